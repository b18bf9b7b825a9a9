/**
 * Media workers run a prebuilt bundle: the process's TypeScript loader (tsx) is left out
 * of their execArgv, in each spelling Node accepts, and every other flag is kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withoutTypeScriptLoader } from '../../src/media/worker/MediaWorkerPool.ts';

test('withoutTypeScriptLoader drops tsx loaders only', () => {
  assert.deepEqual(withoutTypeScriptLoader(['--import', 'tsx', '--cpu-prof', '--cpu-prof-dir', '/tmp/p']), ['--cpu-prof', '--cpu-prof-dir', '/tmp/p']);
  assert.deepEqual(withoutTypeScriptLoader(['--import=tsx', '--require', 'tsx/cjs', '--loader', 'tsx/esm', '--perf-basic-prof']), ['--perf-basic-prof']);
  assert.deepEqual(withoutTypeScriptLoader(['--import', './other.mjs', '--max-semi-space-size=4', '--import', 'tsxlike']), ['--import', './other.mjs', '--max-semi-space-size=4', '--import', 'tsxlike']);
  assert.deepEqual(withoutTypeScriptLoader([]), []);
});
