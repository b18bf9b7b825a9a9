/**
 * Media workers without cold starts (issue 14 item 3): they start from the esbuild
 * bundle of their code, not through tsx's loader; warm workers are running when the
 * server's port opens and stay while idle; with `mediaWorkersWarm: false` an idle
 * worker still stops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { MediaWorkerPool } from '../../src/media/worker/MediaWorkerPool.ts';
import { workerEntry } from '../../src/media/worker/workerBundle.ts';
import { startFluo, sleep } from '../helpers/fluo.ts';

test('workers start from the bundled module (node_modules/.cache), not the tsx boot file', async () => {
  const url = await workerEntry();
  assert.match(fileURLToPath(url), /node_modules\/\.cache\/fluo-worker\/worker-main\.mjs$/);
});

test('a warm pool keeps idle workers; a cold one stops them', async () => {
  for (const keepWarm of [true, false]) {
    const pool = new MediaWorkerPool(2, undefined, { keepWarm });
    // Cold: long enough that the first worker ready is still there when the second one
    // is (on a loaded machine the two starts can be a second apart).
    pool.idleTimeoutMs = keepWarm ? 50 : 1500;
    const t0 = performance.now();
    await pool.warm();
    const ms = performance.now() - t0;
    assert.equal(pool.running, 2, 'both workers started');
    pool.attach('p1', () => undefined, () => undefined);
    // A worker that answers a call is a working worker.
    assert.deepEqual((await pool.workerResources()).length, 2);
    pool.detach('p1');
    if (keepWarm) await sleep(400);
    else for (let waited = 0; pool.running > 0 && waited < 5000; waited += 50) await sleep(50);
    assert.equal(pool.running, keepWarm ? 2 : 0, keepWarm ? 'kept while idle' : 'stopped when idle');
    await pool.close();
    assert.equal(pool.running, 0);
    console.log(`# keepWarm ${keepWarm}: two workers ready in ${ms.toFixed(0)} ms`);
  }
});

test('a fresh server has its media workers running when its port opens', async () => {
  const fluo = await startFluo();
  try {
    assert.equal(fluo.server.media.running, fluo.server.media.size);
  } finally {
    await fluo.stop();
  }
  assert.equal(fluo.server.media.running, 0);
  const cold = await startFluo((c) => ({ ...c, mediaWorkersWarm: false }));
  try {
    assert.equal(cold.server.media.running, 0, 'mediaWorkersWarm: false starts workers with their first pipeline');
  } finally {
    await cold.stop();
  }
});
