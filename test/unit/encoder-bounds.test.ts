/**
 * encoderBounds: how an engine encoder's start bitrate and REMB range follow the KMD
 * MediaElement properties encoderBitrate, minEncoderBitrate and maxEncoderBitrate of
 * the element whose output it makes and of the sinks it feeds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encoderBounds, type EncoderBitrates } from '../../src/media/transcode/encoderBounds.ts';

const fallback = { start: 500_000, min: 30_000, max: 2_500_000 };
const unset: EncoderBitrates = { minEncoderBitrate: 0, maxEncoderBitrate: 0 };

test('nothing set: the fallback', () => {
  assert.deepEqual(encoderBounds(unset, [unset, unset], fallback), fallback);
  assert.deepEqual(encoderBounds(undefined, [], fallback), fallback);
});

test("the owner's settings, then a sink's target over the owner's; the highest target among sinks", () => {
  assert.deepEqual(encoderBounds({ encoderBitrate: 300_000, minEncoderBitrate: 100_000, maxEncoderBitrate: 800_000 }, [], fallback), { start: 300_000, min: 100_000, max: 800_000 });
  assert.equal(encoderBounds({ ...unset, encoderBitrate: 300_000 }, [{ ...unset, encoderBitrate: 80_000 }], fallback).start, 80_000);
  assert.equal(encoderBounds(unset, [{ ...unset, encoderBitrate: 80_000 }, { ...unset, encoderBitrate: 1_000_000 }], fallback).start, 1_000_000);
});

test('the highest minimum and the lowest maximum; the start kept inside them; a minimum above a maximum wins', () => {
  const b = encoderBounds({ ...unset, maxEncoderBitrate: 600_000 }, [{ ...unset, minEncoderBitrate: 200_000, maxEncoderBitrate: 900_000 }, { ...unset, encoderBitrate: 2_000_000 }], fallback);
  assert.deepEqual(b, { start: 600_000, min: 200_000, max: 600_000 });
  assert.deepEqual(encoderBounds({ ...unset, maxEncoderBitrate: 100_000 }, [{ ...unset, minEncoderBitrate: 400_000 }], fallback), { start: 400_000, min: 400_000, max: 400_000 });
});
