/**
 * Media workers run a prebuilt bundle: the process's TypeScript loader (tsx) is left out
 * of their execArgv, in each spelling Node accepts, and every other flag is kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { newWorker, withoutTypeScriptLoader } from '../../src/media/worker/MediaWorkerPool.ts';

test('withoutTypeScriptLoader drops tsx loaders only', () => {
  assert.deepEqual(withoutTypeScriptLoader(['--import', 'tsx', '--cpu-prof', '--cpu-prof-dir', '/tmp/p']), ['--cpu-prof', '--cpu-prof-dir', '/tmp/p']);
  assert.deepEqual(withoutTypeScriptLoader(['--import=tsx', '--require', 'tsx/cjs', '--loader', 'tsx/esm', '--perf-basic-prof']), ['--perf-basic-prof']);
  assert.deepEqual(withoutTypeScriptLoader(['--import', './other.mjs', '--max-semi-space-size=4', '--import', 'tsxlike']), ['--import', './other.mjs', '--max-semi-space-size=4', '--import', 'tsxlike']);
  assert.deepEqual(withoutTypeScriptLoader([]), []);
});

test('newWorker: tsx left out; flags Node refuses in a worker (V8 heap flags) dropped, the rest kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluo-worker-argv-'));
  try {
    const file = join(dir, 'echo.mjs');
    writeFileSync(file, "import { parentPort } from 'node:worker_threads'; parentPort.postMessage(process.execArgv);");
    const argvOf = async (execArgv: string[]): Promise<unknown> => {
      const w = newWorker(pathToFileURL(file), {}, execArgv);
      const [argv] = await once(w, 'message') as [unknown];
      await w.terminate();
      return argv;
    };
    assert.deepEqual(await argvOf(['--import', 'tsx', '--max-semi-space-size=32', '--no-warnings']), ['--no-warnings']);
    assert.deepEqual(await argvOf(['--import', 'tsx']), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
