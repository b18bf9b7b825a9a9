/**
 * The pixel arithmetic of the filter tests (test/helpers/pixels.ts) and the PPM stream
 * their frames arrive in (test/helpers/ppmStream.ts), on made-up frames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanColour, fractionMatching, near, flipHorizontal, isMirrored, mirrorCorrelations, clip, colourDistance, type Frame, type Rgb } from '../helpers/pixels.ts';
import { PpmStream } from '../helpers/ppmStream.ts';
import { pointerTimeline, positionAt } from '../helpers/pointerPath.ts';

/** A frame painted by `paint(x, y)`. */
function frame(width: number, height: number, paint: (x: number, y: number) => Rgb): Frame {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgb.set(paint(x, y), (y * width + x) * 3);
  return { width, height, rgb };
}

/** Left half red, right half blue. */
const halves = frame(8, 4, (x) => (x < 4 ? [255, 0, 0] : [0, 0, 255]));

/** A seeded, lopsided picture: no mirror symmetry to be found by chance. */
function texture(width: number, height: number, seed: number): Frame {
  let s = seed;
  const rnd = (): number => { s = (s * 1103515245 + 12345) & 0x7fffffff; return s % 256; };
  const cells = Array.from({ length: 64 }, rnd);
  return frame(width, height, (x, y) => {
    const v = cells[(Math.floor(x / 8) % 8) + 8 * (Math.floor(y / 8) % 8)]!;
    return [v, (v + x) & 255, 255 - v];
  });
}

test('meanColour averages a rectangle or the whole frame', () => {
  assert.deepEqual(meanColour(halves, { x: 0, y: 0, width: 4, height: 4 }), [255, 0, 0]);
  assert.deepEqual(meanColour(halves, { x: 2, y: 1, width: 4, height: 2 }), [127.5, 0, 127.5]);
  assert.deepEqual(meanColour(halves), [127.5, 0, 127.5]);
  assert.equal(colourDistance([10, 20, 30], [12, 15, 30]), 5);
});

test('a rectangle past the edge is clipped; one wholly outside is an error', () => {
  assert.deepEqual(clip(halves, { x: 6, y: -2, width: 10, height: 4 }), { x: 6, y: 0, width: 2, height: 2 });
  assert.deepEqual(meanColour(halves, { x: 6, y: -2, width: 10, height: 4 }), [0, 0, 255]);
  assert.throws(() => meanColour(halves, { x: 9, y: 0, width: 2, height: 2 }), /outside the 8x4 frame/);
});

test('fractionMatching counts pixels inside a colour range', () => {
  assert.equal(fractionMatching(halves, near([250, 5, 5], 10)), 0.5);
  assert.equal(fractionMatching(halves, near([250, 5, 5], 10), { x: 0, y: 0, width: 2, height: 4 }), 1);
  assert.equal(fractionMatching(halves, { min: [0, 0, 0], max: [255, 255, 254] }), 0.5);
  assert.equal(fractionMatching(halves, near([0, 255, 0], 50)), 0);
});

test('flipHorizontal mirrors left and right; isMirrored tells a flip from the same picture', () => {
  const flipped = flipHorizontal(halves);
  assert.deepEqual(meanColour(flipped, { x: 0, y: 0, width: 4, height: 4 }), [0, 0, 255]);
  assert.deepEqual(flipHorizontal(flipped).rgb, halves.rgb);
  const a = texture(64, 48, 7);
  const b = flipHorizontal(a);
  assert.equal(isMirrored(a, b), true);
  assert.equal(isMirrored(a, a), false);
  assert.equal(isMirrored(a, texture(64, 48, 99)), false, 'an unrelated picture');
  // A codec's noise does not hide the flip.
  const noisy = { ...b, rgb: Buffer.from(b.rgb.map((v, i) => Math.min(255, Math.max(0, v + ((i * 7919) % 21) - 10)))) };
  assert.equal(isMirrored(a, noisy), true);
  const c = mirrorCorrelations(a, b);
  assert.ok(c.mirrored > 0.99 && c.straight < 0.5, JSON.stringify(c));
  assert.throws(() => isMirrored(a, halves), /differ in size/);
});

test('a left-right symmetric picture is not called mirrored', () => {
  const sym = frame(32, 16, (x, y) => { const d = Math.abs(x - 15.5); return [d * 16, y * 16, 0]; });
  assert.equal(isMirrored(sym, flipHorizontal(sym)), false);
});

test('PpmStream splits concatenated P6 pictures however the bytes are chunked', () => {
  const ppm = (f: Frame, header: string): Buffer => Buffer.concat([Buffer.from(header), f.rgb]);
  const a = texture(16, 8, 1);
  const b = texture(4, 2, 2);
  const bytes = Buffer.concat([ppm(a, 'P6\n16 8\n255\n'), ppm(b, 'P6 # a comment\n4  2\n255 ')]);
  for (const step of [1, 7, 100, bytes.length]) {
    const s = new PpmStream();
    const got: Frame[] = [];
    for (let i = 0; i < bytes.length; i += step) got.push(...s.push(bytes.subarray(i, i + step)));
    assert.deepEqual(got.map((f) => [f.width, f.height]), [[16, 8], [4, 2]], `chunks of ${step}`);
    assert.deepEqual(got[0]!.rgb, a.rgb);
    assert.deepEqual(got[1]!.rgb, b.rgb);
  }
  assert.throws(() => new PpmStream().push(Buffer.from('GIF89a')), /not a binary PPM/);
  assert.throws(() => new PpmStream().push(Buffer.from('P6\n1 1\n65535\n')), /maxval 65535/);
});

test('the pointer path: positions between keys, and when its centre is in a window', () => {
  const path = [{ t: 0, x: 0, y: 0 }, { t: 1, x: 0, y: 0 }, { t: 3, x: 200, y: 0 }];
  assert.deepEqual(positionAt(path, 0.5), { x: 0, y: 0 });
  assert.deepEqual(positionAt(path, 2), { x: 100, y: 0 });
  assert.deepEqual(positionAt(path, 9), { x: 200, y: 0 });
  const tl = pointerTimeline(path, { x: 50, y: -10, width: 100, height: 20 }, 10);
  assert.equal(tl.calibrationUntil, 1);
  assert.equal(tl.enter, 1.5); // x 50 at 1.5 s
  assert.equal(tl.exit, 2.5); // x 150 at 2.5 s is past the window's last column
  assert.throws(() => pointerTimeline(path, { x: 500, y: 0, width: 10, height: 10 }, 10), /never enters/);
});
