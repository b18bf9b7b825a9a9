import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, inflateSync } from 'node:zlib';
import { MarksCanvas } from '../../src/media/filters/MarksCanvas.ts';

/** The chunks of a PNG (W3C PNG §5.3), each CRC checked, and its IHDR fields and inflated rows. */
function readPng(png: Buffer): { width: number; height: number; depth: number; colour: number; rows: Buffer } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks = new Map<string, Buffer>();
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    assert.equal(png.readUInt32BE(at + 8 + length), crc32(data, crc32(png.subarray(at + 4, at + 8))), `${type} CRC`);
    chunks.set(type, data);
    at += 12 + length;
  }
  const ihdr = chunks.get('IHDR')!;
  assert.ok(chunks.has('IEND'));
  return { width: ihdr.readUInt32BE(0), height: ihdr.readUInt32BE(4), depth: ihdr[8]!, colour: ihdr[9]!, rows: inflateSync(chunks.get('IDAT')!) };
}

test('MarksCanvas fills clipped rectangles in RGBA byte order; bounds find what is not transparent', () => {
  const c = new MarksCanvas(8, 6);
  assert.equal(c.bounds(), null, 'a new canvas is transparent');
  c.fill(-3, 4, 5, 9, [1, 2, 3, 4]); // clipped to x 0..1, y 4..5
  c.fill(6.4, 1, 9, 1, [10, 20, 30, 255]); // x from 6 to the edge, row 1
  c.fill(3, 3, 2, 1, [9, 9, 9, 0]); // fully transparent: not in the bounds
  const px = (x: number, y: number): number[] => [...c.pixels.subarray((y * 8 + x) * 4, (y * 8 + x) * 4 + 4)];
  assert.deepEqual(px(0, 5), [1, 2, 3, 4]);
  assert.deepEqual(px(1, 4), [1, 2, 3, 4]);
  assert.deepEqual(px(2, 4), [0, 0, 0, 0]);
  assert.deepEqual(px(7, 1), [10, 20, 30, 255]);
  assert.deepEqual(px(5, 1), [0, 0, 0, 0]);
  assert.deepEqual(c.bounds(), { x: 0, y: 1, width: 8, height: 5 });
  const crop = c.crop({ x: 6, y: 1, width: 2, height: 1 });
  assert.deepEqual([...crop.pixels], [10, 20, 30, 255, 10, 20, 30, 255]);
});

test('MarksCanvas writes a PNG that inflates back to its pixels: 8-bit RGBA, filter 0 on every row', () => {
  const c = new MarksCanvas(64, 48);
  c.line(2, 2, 60, 40, [255, 255, 255, 255], 3);
  c.stroke(10, 10, 20, 12, [255, 0, 0, 110]);
  const png = readPng(c.png());
  assert.deepEqual([png.width, png.height, png.depth, png.colour], [64, 48, 8, 6]);
  const stride = 64 * 4;
  assert.equal(png.rows.length, (stride + 1) * 48);
  for (let y = 0; y < 48; y++) {
    assert.equal(png.rows[y * (stride + 1)], 0, `row ${y} filter type`);
    assert.ok(png.rows.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)).equals(Buffer.from(c.pixels.subarray(y * stride, (y + 1) * stride))), `row ${y}`);
  }
});
