import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RembEstimator, DEFAULT_REMB_PARAMS } from '../../src/media/rtp/RembEstimator.ts';

/** Feeds `n` packets starting at `seq`, skipping every `lossEvery`-th one (0 = no loss). */
function feed(e: RembEstimator, seq: number, n: number, lossEvery = 0): number {
  for (let i = 0; i < n; i++, seq = (seq + 1) & 0xffff) {
    if (lossEvery && i % lossEvery === 0) continue;
    e.packet(seq);
  }
  return seq;
}

test('REMB starts at rembOnConnect and grows exponentially without losses', () => {
  const e = new RembEstimator();
  assert.equal(e.bitrate, 300_000);
  feed(e, 100, 200);
  assert.equal(e.fractionLost, 0);
  assert.equal(e.update(), 312_000, '300 kbps · 1.04');
  for (let i = 0; i < 9; i++) e.update();
  assert.equal(e.bitrate, Math.round(300_000 * 1.04 ** 10), 'about 444 kbps after 5 s');
});

test('losses above upLosses halve the estimate and set the threshold; then linear growth', () => {
  const e = new RembEstimator({ rembOnConnect: 1_000_000 });
  feed(e, 65_000, 400, 10); // 10 % loss, across the 16-bit wrap
  assert.ok(e.fractionLost > DEFAULT_REMB_PARAMS.upLosses, `fraction lost ${e.fractionLost}/256`);
  assert.equal(e.update(), 500_000, 'decrementFactor 0.5');
  // Below the threshold (800 kbps): exponential again, until it is reached.
  let steps = 0;
  while (e.bitrate < 800_000) { e.update(); steps++; }
  assert.equal(steps, Math.ceil(Math.log(800_000 / 500_000) / Math.log(1.04)));
  const before = e.bitrate;
  const after = e.update();
  assert.ok(after - before >= DEFAULT_REMB_PARAMS.linealFactorMin && after - before < before * 0.04, `linear step ${after - before}`);
});

test('losses under upLosses (4 %) do not lower the estimate; reordering is not loss', () => {
  const e = new RembEstimator({ rembOnConnect: 1_000_000, packetsRecvIntervalTop: 50 });
  feed(e, 0, 200, 50); // 2 % loss
  assert.ok(e.fractionLost > 0 && e.fractionLost <= 12);
  assert.ok(e.update() > 1_000_000);
  const r = new RembEstimator({ packetsRecvIntervalTop: 4 });
  for (const s of [10, 12, 11, 13, 14, 16, 15, 17]) r.packet(s);
  assert.equal(r.fractionLost, 0);
});

test('setParams: new rembOnConnect restarts; bad values fall back to the defaults', () => {
  const e = new RembEstimator();
  e.update();
  e.setParams({ rembOnConnect: 2_000_000, exponentialFactor: Number.NaN, decrementFactor: -1 });
  assert.equal(e.bitrate, 2_000_000);
  assert.equal(e.params.exponentialFactor, 0.04);
  assert.equal(e.params.decrementFactor, 0.5);
});
