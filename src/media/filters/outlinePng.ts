import { crc32, deflateSync } from 'node:zlib';

/**
 * A PNG of a square outline on transparency (RGBA), for gdkpixbufoverlay to draw:
 * ChromaFilter's calibration square ("a little square appears in upper left of the
 * video ... When the calibration is finished, the square disappears", Kurento docs,
 * Chroma tutorial). A few lines of PNG rather than a drawing library.
 */
export function outlinePng(width: number, height: number, thickness: number, rgb: { r: number; g: number; b: number }): Buffer {
  const row = 1 + width * 4;
  const raw = Buffer.alloc(row * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const edge = x < thickness || y < thickness || x >= width - thickness || y >= height - thickness;
      if (!edge) continue;
      const i = y * row + 1 + x * 4;
      raw[i] = rgb.r;
      raw[i + 1] = rgb.g;
      raw[i + 2] = rgb.b;
      raw[i + 3] = 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter method, no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
