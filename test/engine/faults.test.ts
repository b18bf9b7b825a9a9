/**
 * Faults and lifetimes (issue 11 section 2): a crashed engine is an exit event and the
 * pool starts a fresh one on next use; a hung one is killed by the heartbeat; a parent
 * killed by SIGKILL leaves no engine; `close()` leaves nothing behind in the parent.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { EngineError } from '../../src/engine/EngineError.ts';
import { EnginePool } from '../../src/engine/EnginePool.ts';
import type { EngineExit } from '../../src/engine/EngineProcess.ts';
import { processAlive, waitUntil } from './media.ts';

const TONE = 'audiotestsrc is-live=true ! level ! fakesink';

/** Handle kinds that keep a process alive (getActiveResourcesInfo), counted. */
function resources(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

test('a crashed engine surfaces as an exit event; the pool gives a fresh process next time', async () => {
  const pool = new EnginePool({ size: 1 });
  try {
    const first = await pool.acquire('a');
    await first.request('addBin', { pipeline: 'a', bin: 'tone', description: TONE });
    const exited = once(first, 'exit') as Promise<[EngineExit]>;
    const lost = once(pool, 'lost') as Promise<[{ pid: number; pipelines: string[] }]>;
    process.kill(first.pid, 'SIGKILL');
    const [exit] = await exited;
    const [gone] = await lost;
    assert.deepEqual({ pid: gone.pid, pipelines: gone.pipelines }, { pid: first.pid, pipelines: ['a'] }, 'the pool says which pipelines went with it');
    assert.equal(exit.reason, 'crashed');
    assert.equal(exit.signal, 'SIGKILL');
    assert.match(exit.description, new RegExp(`engine process ${first.pid} crashed \\(killed by SIGKILL\\)`));
    await assert.rejects(first.request('ping', {}), (e: unknown) => e instanceof EngineError && e.code === 'ENGINE_EXITED');
    const second = await pool.acquire('a');
    assert.notEqual(second.pid, first.pid);
    assert.ok(second.alive);
    const r = await second.request('addBin', { pipeline: 'a', bin: 'tone', description: TONE });
    assert.deepEqual(r.pads, { sink: [], src: [] });
  } finally {
    await pool.close();
  }
});

test('a hung engine (SIGSTOP) is killed by the heartbeat, its pending request answered', async (t) => {
  const pool = new EnginePool({ size: 1, heartbeatIntervalMs: 200, heartbeatTimeoutMs: 800 });
  try {
    const engine = await pool.acquire('h');
    const exited = once(engine, 'exit') as Promise<[EngineExit]>;
    process.kill(engine.pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    const pending = engine.request('stats', {}, 10_000).then(() => null, (e: unknown) => e);
    const [exit] = await exited;
    const ms = Date.now() - stoppedAt;
    assert.equal(exit.reason, 'heartbeat');
    assert.match(exit.description, /stopped answering for 800 ms and was killed/);
    assert.ok(ms < 2000, `killed ${ms} ms after it stopped`);
    t.diagnostic(`heartbeat kill ${ms} ms after SIGSTOP (interval 200 ms, timeout 800 ms)`);
    const err = await pending;
    assert.ok(err instanceof EngineError && err.code === 'ENGINE_EXITED', `pending request: ${String(err)}`);
    assert.equal(processAlive(engine.pid), false);
    const next = await pool.acquire('h');
    assert.equal((await next.request('ping', {})).pid, next.pid);
  } finally {
    await pool.close();
  }
});

test('a request not answered in time rejects with TIMEOUT; the engine serves again once it runs', async () => {
  const pool = new EnginePool({ size: 1, heartbeatTimeoutMs: 30_000 });
  try {
    const engine = await pool.acquire('slow');
    process.kill(engine.pid, 'SIGSTOP');
    await assert.rejects(engine.request('ping', {}, 300), (e: unknown) => e instanceof EngineError && e.code === 'TIMEOUT' && /did not answer ping within 300 ms/.test(e.message));
    process.kill(engine.pid, 'SIGCONT');
    assert.equal((await engine.request('ping', {})).pid, engine.pid);
    assert.ok(engine.alive);
  } finally {
    await pool.close();
  }
});

test('a parent killed by SIGKILL leaves no engine process', async (t) => {
  const script = fileURLToPath(new URL('./engineParent.ts', import.meta.url));
  const parent = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    parent.stdout.once('data', (b: Buffer) => resolve(b.toString()));
    parent.once('exit', () => reject(new Error('parent exited before starting its engine')));
  });
  const enginePid = (JSON.parse(line) as { engine: number }).engine;
  assert.ok(processAlive(enginePid), 'the engine runs');
  const killedAt = Date.now();
  parent.kill('SIGKILL');
  await once(parent, 'close');
  const ms = await waitUntil(() => !processAlive(enginePid), 2000, `engine ${enginePid} to exit after its parent's SIGKILL`);
  assert.ok(Date.now() - killedAt < 2500, `engine gone ${ms} ms after the parent`);
  t.diagnostic(`engine gone ${Date.now() - killedAt} ms after its parent's SIGKILL`);
});

test('pool placement: least loaded process, isolate gives each pipeline its own', async () => {
  const shared = new EnginePool({ size: 2 });
  const isolated = new EnginePool({ isolate: true });
  try {
    const pids = [];
    for (const id of ['p1', 'p2', 'p3']) pids.push((await shared.acquire(id)).pid);
    assert.equal(new Set(pids).size, 2, 'two processes for three pipelines');
    assert.deepEqual(shared.load().map((l) => l.pipelines).sort(), [1, 2]);
    assert.equal((await shared.acquire('p1')).pid, pids[0], 'a pipeline stays where it is');
    const a = await isolated.acquire('x');
    const b = await isolated.acquire('y');
    assert.notEqual(a.pid, b.pid);
    await isolated.release('x');
    assert.equal(a.alive, false, 'an isolated pipeline released stops its process');
    assert.equal(processAlive(a.pid), false);
  } finally {
    await shared.close();
    await isolated.close();
  }
});

test('close() leaves no child process, socket or timer in the parent', async () => {
  const before = resources();
  const pool = new EnginePool({ size: 2 });
  await pool.warm();
  const engines = await Promise.all(['a', 'b'].map((id) => pool.acquire(id)));
  for (const [i, e] of engines.entries()) await e.request('addBin', { pipeline: ['a', 'b'][i], bin: 'tone', description: TONE });
  assert.ok((resources().get('ProcessWrap') ?? 0) >= 2, 'two child processes while open');
  await pool.close();
  for (const e of engines) assert.equal(processAlive(e.pid), false, `engine ${e.pid} gone`);
  // A closed handle leaves the active list when its close callback has run (a loop turn or two).
  const kinds = ['ProcessWrap', 'PipeWrap', 'Timeout', 'TTYWrap', 'UDPWrap', 'TCPWrap'];
  const settled = () => { const now = resources(); return kinds.every((k) => (now.get(k) ?? 0) <= (before.get(k) ?? 0)); };
  await waitUntil(settled, 1000, 'the handles of the closed pool to go').catch(() => { /* the assertions below say which */ });
  const after = resources();
  for (const kind of kinds) {
    assert.ok((after.get(kind) ?? 0) <= (before.get(kind) ?? 0), `${kind} handles: ${after.get(kind) ?? 0} after close, ${before.get(kind) ?? 0} before`);
  }
  await assert.rejects(pool.acquire('c'), /pool closed/);
});
