/**
 * SendRate: the measured send rate KMS reports as an outbound stream's targetBitrate
 * (kms-core takes GStreamer's RTPSource `bitrate`), sampled with the sender reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SendRate } from '../../src/media/rtp/SendRate.ts';

test('the rate over the last two seconds or more, from samples taken with the reports', () => {
  const r = new SendRate();
  assert.equal(r.bps(5_000, 100), 0, 'no sample yet: 0');
  // 62,500 payload bytes a second = 500 kbps, sampled every second.
  for (let s = 0; s <= 4; s++) r.sample(s * 62_500, s * 1000);
  assert.equal(r.bps(4 * 62_500, 4000), 500_000);
  // Between reports: measured up to now from the newest sample at least 2 s old.
  assert.equal(r.bps(4 * 62_500 + 31_250, 4500), Math.round(((2.5 * 62_500) * 8000) / 2500));
  // A poll between reports is not a sample (spacing under 500 ms).
  r.sample(4 * 62_500 + 100, 4200);
  assert.equal(r.bps(4 * 62_500, 4000), 500_000);
});

test('the rate falls when the stream stops, and reads 0 once its samples show no growth', () => {
  const r = new SendRate();
  for (let s = 0; s <= 2; s++) r.sample(s * 10_000, s * 1000);
  assert.equal(r.bps(20_000, 2000), 80_000);
  for (let s = 3; s <= 6; s++) r.sample(20_000, s * 1000);
  assert.equal(r.bps(20_000, 6000), 0);
});

test('a 32-bit octet count that wraps (as an SR\'s) still gives the rate', () => {
  const r = new SendRate();
  r.sample(2 ** 32 - 10_000, 0);
  assert.equal(r.bps(15_000, 2000), 100_000);
});
