/**
 * Composite with GStreamer sources of distinct colours and tones: the grid shows each
 * input in its cell, re-lays itself within 2 s when inputs leave, a port's audio mix
 * carries the others' tones but not its own (mix-minus), a stalled input does not stall
 * the output, and releasing the pipeline leaves no engine bin, process, descriptor, socket
 * or timer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { until } from '../helpers/RemotePeers.ts';
import { engineChildren } from '../helpers/engine.ts';
import { grabFrames } from '../helpers/frameGrab.ts';
import { meanColour, colourDistance, type Frame, type Rgb } from '../helpers/pixels.ts';
import { hubBed, create, refused } from './hubBed.ts';
import { colourSource, toneGrab, tonePower } from './gstPeers.ts';

const bed = hubBed();
const { api, launches } = bed;

const SOURCES: Array<{ rgb: number; colour: Rgb; freq: number }> = [
  { rgb: 0xff0000, colour: [255, 0, 0], freq: 440 },
  { rgb: 0x00ff00, colour: [0, 255, 0], freq: 660 },
  { rgb: 0x0000ff, colour: [0, 0, 255], freq: 880 },
  { rgb: 0xffff00, colour: [255, 255, 0], freq: 1100 },
];

/** The mean colour around the centre of a cell of a cols x rows grid. */
function cellColour(f: Frame, col: number, row: number, cols: number, rows: number): Rgb {
  const w = f.width / cols;
  const h = f.height / rows;
  return meanColour(f, { x: Math.round(col * w + w / 4), y: Math.round(row * h + h / 4), width: Math.round(w / 2), height: Math.round(h / 2) });
}

const shows = (f: Frame, cells: Array<[number, number, Rgb]>, cols: number, rows: number): boolean =>
  cells.every(([col, row, c]) => colourDistance(cellColour(f, col, row, cols, rows), c) < 60);

/** Open descriptors of the engine processes this test process started. */
const engineFds = (): number => engineChildren().reduce((n, pid) => n + readdirSync(`/proc/${pid}/fd`).length, 0);

/**
 * The engine processes and their descriptors with no composite in them: a first
 * Composite with media through it, released, starts the process that the test's pipeline
 * reuses (the pool keeps it warm) and what GStreamer opens once per process on first
 * media (a socket pair, kept for good; repeated composites add none), so what stays after
 * the test is what it leaked.
 */
async function engineBaseline(): Promise<{ processes: number; fds: number }> {
  const W = await create(bed, 'MediaPipeline', {});
  const hub = await create(bed, 'Composite', { mediaPipeline: W, width: 160, height: 120, framerate: 15 });
  const src = await colourSource(api, launches, W, 0x808080, 440);
  const port = await create(bed, 'HubPort', { hub });
  await api.invoke(src.ep, 'connect', { sink: port });
  const grab = bed.track(await grabFrames(api, W, await create(bed, 'HubPort', { hub }), { fps: 5 }));
  await grab.waitFor(() => true, 15_000);
  grab.stop();
  src.sender.kill('SIGKILL');
  await bed.c.ok('release', { object: W, sessionId: bed.sid });
  await until(async () => (await bed.fluo.server.media.engineStats()).every((p) => p.bins === 0), 10_000, 'warm-up bins gone');
  await new Promise((r) => setTimeout(r, 500));
  return { processes: engineChildren().length, fds: engineFds() };
}

test('Composite: a 2x2 grid of four inputs, re-laid when inputs leave; mix-minus audio; a stalled input stalls nothing', async () => {
  const baseline = await engineBaseline();
  assert.ok(baseline.processes > 0, 'the warm-up started an engine process');
  const P = await create(bed, 'MediaPipeline', {});
  const hub = await create(bed, 'Composite', { mediaPipeline: P, width: 320, height: 240, framerate: 15 });
  const ports: string[] = [];
  const sources = [];
  for (const s of SOURCES) {
    const src = await colourSource(api, launches, P, s.rgb, s.freq);
    const port = await create(bed, 'HubPort', { hub });
    await api.invoke(src.ep, 'connect', { sink: port });
    ports.push(port);
    sources.push(src);
  }
  const viewerPort = await create(bed, 'HubPort', { hub });
  const grab = bed.track(await grabFrames(api, P, viewerPort, { fps: 5 }));
  const t0 = performance.now();
  const grid = await grab.waitFor((f) => shows(f, SOURCES.map((s, i) => [i % 2, i >> 1, s.colour]), 2, 2), 20_000);
  console.log(`# 2x2 grid at the viewer ${Math.round(performance.now() - t0)} ms after it connected (${grid.width}x${grid.height})`);
  assert.equal(grid.width, 320);

  // Mix-minus: port 0 hears 660, 880 and 1100 Hz, not its own 440 Hz.
  const tones = bed.track(await toneGrab(api, P, ports[0]!));
  // Each window of 1 s until the others' three tones are all in it (inputs join the mix as they start).
  let power: number[] = [];
  await until(() => {
    if (tones.samples < 16000) return false;
    const mix = tones.last(1000);
    power = SOURCES.map((s) => tonePower(mix, s.freq));
    return power.slice(1).every((p) => p > 1e-3);
  }, 15_000, 'the three others\' tones in port 0\'s mix').catch((err: Error) => {
    // What was heard, for a failure seen once under a loaded CI run (2026-12-07).
    throw new Error(`${err.message}: ${tones.samples} samples received, last powers ${power.map((p) => p.toExponential(1)).join(', ') || 'none'}`);
  });
  console.log(`# port 0's mix, tone powers: ${SOURCES.map((s, i) => `${s.freq} Hz ${power[i]!.toExponential(1)}`).join(', ')}`);
  for (const i of [1, 2, 3]) assert.ok(power[i]! > 100 * power[0]!, `the others' tone ${SOURCES[i]!.freq} Hz is in port 0's mix, 100x over its own`);

  // A stalled input (its sender killed): the output and the others go on.
  sources[3]!.sender.kill('SIGKILL');
  const before = grab.count;
  await new Promise((r) => setTimeout(r, 2000));
  assert.ok(grab.count - before >= 6, `the output kept coming while input 3 stalled (${grab.count - before} frames in 2 s at 5 fps)`);
  await grab.waitFor((f) => shows(f, SOURCES.slice(0, 3).map((s, i) => [i % 2, i >> 1, s.colour]), 2, 2), 5_000);

  // Two inputs leave: the two left are side by side within 2 s.
  const t1 = performance.now();
  await bed.c.ok('release', { object: ports[3]!, sessionId: bed.sid });
  await api.invoke(sources[2]!.ep, 'disconnect', { sink: ports[2]! });
  await grab.waitFor((f) => shows(f, [[0, 0, SOURCES[0]!.colour], [1, 0, SOURCES[1]!.colour]], 2, 1), 5_000);
  const relaid = performance.now() - t1;
  console.log(`# re-laid side by side ${Math.round(relaid)} ms after two inputs left`);
  assert.ok(relaid < 2000, `re-laid in ${Math.round(relaid)} ms`);

  // Out of range parameters and a foreign port: clear errors.
  const bad = await bed.c.request('create', { type: 'Composite', constructorParams: { mediaPipeline: P, width: 100000 }, sessionId: bed.sid });
  assert.equal(bad.error?.code, 40107);
  assert.match(String(bad.error?.message), /width 100000 is out of range/);
  const other = await create(bed, 'DispatcherOneToMany', { mediaPipeline: P });
  assert.equal((await refused(bed, other, 'setSource', { source: ports[0]! }))?.code, 40107);

  grab.stop();
  tones.stop();
  await bed.c.ok('release', { object: P, sessionId: bed.sid });
  await until(async () => (await bed.fluo.server.media.engineStats()).every((p) => p.bins === 0), 10_000, 'no engine bin left');
  assert.equal(engineChildren().length, baseline.processes, 'no engine process added');
  // The engine closes a removed element's descriptors when it collects its wrapper, shortly after.
  await until(() => engineFds() <= baseline.fds, 5_000, 'engine descriptors back').catch(() => undefined);
  assert.ok(engineFds() <= baseline.fds, `engine descriptors ${baseline.fds} before the composite, ${engineFds()} after its pipeline's release`);
  // The worker's engine process stays warm for the next pipeline (its pipes and process
  // handle); nothing else may be left: no socket, no timer.
  const left = async (): Promise<string[]> => (await bed.fluo.server.media.workerResources()).flat().filter((r) => r !== 'PipeWrap' && r !== 'ProcessWrap');
  await until(async () => (await left()).length === 0, 8_000, 'worker idle but for the engine process').catch(() => undefined);
  assert.deepEqual(await left(), []);
});

test('Composite: a participant who had a mix of their own leaves; the others keep hearing each other, and the hub raises no Error', async () => {
  const P = await create(bed, 'MediaPipeline', {});
  const hub = await create(bed, 'Composite', { mediaPipeline: P, width: 160, height: 120, framerate: 15 });
  await bed.c.ok('subscribe', { object: hub, type: 'Error', sessionId: bed.sid });
  const from = bed.c.events.length;
  const errors = (): unknown[] => bed.c.events.slice(from).filter((e) => e.params?.value.type === 'Error' && e.params.value.object === hub).map((e) => e.params!.value.data);
  const ports: string[] = [];
  for (const s of SOURCES.slice(0, 3)) {
    const src = await colourSource(api, launches, P, s.rgb, s.freq);
    const port = await create(bed, 'HubPort', { hub });
    await api.invoke(src.ep, 'connect', { sink: port });
    ports.push(port);
  }
  // Ports 0 and 1 each send their mix somewhere: each has an encoder of its own.
  const tones0 = bed.track(await toneGrab(api, P, ports[0]!));
  const tones1 = bed.track(await toneGrab(api, P, ports[1]!));
  const hears = (g: typeof tones0, i: number): boolean => g.samples > 16000 && tonePower(g.last(1000), SOURCES[i]!.freq) > 1e-3;
  await until(() => hears(tones0, 1) && hears(tones0, 2) && hears(tones1, 2), 15_000, 'the mixes before the departure');
  // Port 1 leaves with its mix and the encoder of it.
  await bed.c.ok('release', { object: ports[1]!, sessionId: bed.sid });
  tones1.stop();
  const left = tones0.samples;
  await until(() => tones0.samples > left + 24000, 10_000, '1.5 s of port 0\'s mix after the departure');
  const power = SOURCES.map((s) => tonePower(tones0.last(1000), s.freq));
  assert.ok(power[2]! > 1e-3, `port 0 still hears port 2 after port 1 left: ${power.map((p) => p.toExponential(1)).join(', ')}`);
  assert.deepEqual(errors(), [], 'no Error event from the hub');
  tones0.stop();
  await bed.c.ok('release', { object: P, sessionId: bed.sid });
});
