/**
 * H.264 SPS reading (src/media/graph/h264Sps.ts) on parameter sets x264 made
 * (constrained baseline with cropping, high with its chroma fields, main at 1080p),
 * in RTP alone and in a STAP-A, and on broken input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSps, spsOfRtp } from '../../src/media/graph/h264Sps.ts';
import { rng, mutate } from '../helpers/fuzz.ts';

// x264 through gst-launch: 640x360 constrained-baseline (368 lines of macroblocks cropped
// to 360), 320x240 high (chroma format and bit depths), 1920x1080 main (1088 cropped).
const BASELINE_640x360 = Buffer.from('6742c01ed900a02ff97016a0c0c0d4a0000003002000000791e2c5c9', 'hex');
const HIGH_320x240 = Buffer.from('67640014acd94141fb016a0c0c0d4a000003000200000300791e28532c', 'hex');
const MAIN_1920x1080 = Buffer.from('674d4028eca03c0113f2e02d40404050000003001000000303c8f1831960', 'hex');

function rtp(payload: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head[0] = 0x80;
  head[1] = 96;
  return Buffer.concat([head, payload]);
}

test('profile, constraints, level and the cropped picture size', () => {
  assert.deepEqual(parseSps(BASELINE_640x360), { profileIdc: 66, constraints: 0xc0, levelIdc: 30, width: 640, height: 360 });
  assert.deepEqual(parseSps(HIGH_320x240), { profileIdc: 100, constraints: 0, levelIdc: 20, width: 320, height: 240 });
  assert.deepEqual(parseSps(MAIN_1920x1080), { profileIdc: 77, constraints: 0x40, levelIdc: 40, width: 1920, height: 1080 });
});

test('in RTP: a single SPS NAL unit, or inside a STAP-A (RFC 6184 §5.7.1); other packets give none', () => {
  assert.equal(spsOfRtp(rtp(BASELINE_640x360))?.width, 640);
  const pps = Buffer.from('68ce3c80', 'hex');
  const stap = Buffer.concat([Buffer.from([0x18, 0, pps.length]), pps, Buffer.from([0, HIGH_320x240.length]), HIGH_320x240]);
  assert.equal(spsOfRtp(rtp(stap))?.height, 240);
  assert.equal(spsOfRtp(rtp(pps)), undefined);
  assert.equal(spsOfRtp(rtp(Buffer.from([0x18, 0, 200, 0x67]))), undefined, 'a STAP-A unit longer than the packet');
  assert.equal(spsOfRtp(Buffer.alloc(12)), undefined);
});

test('cut or mutated parameter sets answer undefined or a size, never throw', () => {
  for (let n = 1; n < BASELINE_640x360.length; n++) parseSps(BASELINE_640x360.subarray(0, n));
  assert.equal(parseSps(BASELINE_640x360.subarray(0, 6)), undefined);
  const r = rng(7);
  for (let i = 0; i < 20_000; i++) {
    const sps = parseSps(mutate(MAIN_1920x1080, r));
    if (sps) assert.ok(sps.width > 0 && sps.height > 0 && Number.isInteger(sps.width));
  }
});
