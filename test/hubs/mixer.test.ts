/**
 * Mixer with GStreamer colour and tone sources: a sink port hears the mix of the
 * sources whose AUDIO is connected to it (and not the others), disconnecting one takes
 * its tone out, and VIDEO is routed from one source at a time, switched by connect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grabFrames } from '../helpers/frameGrab.ts';
import { meanColour, colourDistance, type Rgb } from '../helpers/pixels.ts';
import { until } from '../helpers/RemotePeers.ts';
import { hubBed, create, invoke, refused } from './hubBed.ts';
import { colourSource, toneGrab, tonePower } from './gstPeers.ts';

const bed = hubBed();
const SOURCES: Array<{ rgb: number; colour: Rgb; freq: number }> = [
  { rgb: 0xff0000, colour: [255, 0, 0], freq: 440 },
  { rgb: 0x00ff00, colour: [0, 255, 0], freq: 660 },
  { rgb: 0x0000ff, colour: [0, 0, 255], freq: 880 },
];

test('Mixer: audio mixed from the connected sources only; video routed from one', async () => {
  const P = await create(bed, 'MediaPipeline', {});
  const hub = await create(bed, 'Mixer', { mediaPipeline: P });
  const ports: string[] = [];
  for (const s of SOURCES) {
    const src = await colourSource(bed.api, bed.launches, P, s.rgb, s.freq);
    const port = await create(bed, 'HubPort', { hub });
    await invoke(bed, src.ep, 'connect', { sink: port });
    ports.push(port);
  }
  const sink = await create(bed, 'HubPort', { hub });
  const mix = (media: string, i: number, op = 'connect') => invoke(bed, hub, op, { media, source: ports[i]!, sink });
  await mix('AUDIO', 0);
  await mix('AUDIO', 1);
  await mix('VIDEO', 2);
  const tones = bed.track(await toneGrab(bed.api, P, sink));
  const grab = bed.track(await grabFrames(bed.api, P, sink, { fps: 5 }));
  await grab.waitFor((f) => colourDistance(meanColour(f), SOURCES[2]!.colour) < 60, 20_000);
  const heard = async (): Promise<number[]> => {
    const n = tones.samples;
    await until(() => tones.samples > n + 16000 * 1.5, 10_000, 'more of the sink\'s audio');
    const last = tones.last(500);
    return SOURCES.map((s) => tonePower(last, s.freq));
  };
  let p = await heard();
  console.log(`# sink hears (A+B connected): ${p.map((x) => x.toExponential(1)).join(', ')}`);
  assert.ok(p[0]! > 100 * p[2]! && p[1]! > 100 * p[2]!, 'A and B are heard, C is not');

  await mix('AUDIO', 0, 'disconnect');
  await mix('VIDEO', 0);
  p = await heard();
  console.log(`# sink hears (B connected): ${p.map((x) => x.toExponential(1)).join(', ')}`);
  assert.ok(p[1]! > 100 * p[0]! && p[1]! > 100 * p[2]!, 'only B is heard after A was disconnected');
  await grab.waitFor((f) => colourDistance(meanColour(f), SOURCES[0]!.colour) < 60, 5_000);

  assert.equal((await refused(bed, hub, 'connect', { media: 'DATA', source: ports[0]!, sink }))?.code, 40107);
  assert.equal((await refused(bed, hub, 'connect', { media: 'AUDIO', source: sink, sink }))?.code, 40107);
  grab.stop();
  tones.stop();
  await bed.c.ok('release', { object: P, sessionId: bed.sid });
  await until(async () => (await bed.fluo.server.media.engineStats()).every((s) => s.bins === 0), 10_000, 'no engine bin left');
});
