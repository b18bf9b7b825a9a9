import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { until } from './RemotePeers.ts';
import { sleep } from './fluo.ts';
import { engineChildren } from './engine.ts';
import type { PlayerBed } from './playerBed.ts';

/** Descriptors of this process (Fluo's workers included) and of its engine processes. */
const ownFds = (): number => readdirSync('/proc/self/fd').length;
const engineFds = (): number => engineChildren().reduce((n, pid) => n + readdirSync(`/proc/${pid}/fd`).length, 0);
/** The FIFO folders of FrameTaps and the PNG folders of MarksOverlay. */
const visionDirs = (): number => readdirSync(tmpdir()).filter((n) => /^fluo-(tap|marks)-/.test(n)).length;

/**
 * Creates, connects (player -> filter -> PassThrough) and releases `cycles` filters made
 * by `make`, then checks that nothing stays: engine bins, engine processes, descriptors
 * on either side, and the vision filters' temporary folders.
 */
export async function assertFilterCycles(bed: PlayerBed, P: string, player: string, make: () => Promise<string>, cycles: number): Promise<void> {
  const sink = await bed.create('PassThrough', { mediaPipeline: P });
  const cycle = async (): Promise<void> => {
    const f = await make();
    await bed.invoke(player, 'connect', { sink: f });
    await bed.invoke(f, 'connect', { sink });
    await bed.value('release', { object: f });
  };
  const server = bed.fluo.server;
  const bins = async (): Promise<number> => (await server.media.engineStats()).reduce((n, s) => n + s.bins, 0);
  await cycle();
  await sleep(300);
  const before = { own: ownFds(), engine: engineFds(), processes: engineChildren().length, dirs: visionDirs(), bins: await bins() };
  for (let i = 0; i < cycles; i++) await cycle();
  await until(async () => (await bins()) <= before.bins, 10_000, 'filter bins gone').catch(() => undefined);
  await until(() => ownFds() <= before.own + 4 && engineFds() <= before.engine + 4 && visionDirs() <= before.dirs, 5_000, 'descriptors back').catch(() => undefined);
  const after = { own: ownFds(), engine: engineFds(), processes: engineChildren().length, dirs: visionDirs() };
  assert.ok(after.own <= before.own + 4, `Fluo's descriptors ${before.own} -> ${after.own}`);
  assert.ok(after.engine <= before.engine + 4, `engine descriptors ${before.engine} -> ${after.engine}`);
  assert.equal(after.processes, before.processes, 'no engine process added');
  assert.ok(after.dirs <= before.dirs, `vision temp folders ${before.dirs} -> ${after.dirs}`);
  const left = await bins();
  assert.ok(left <= before.bins, `engine bins ${before.bins} -> ${left}`);
}
