import { deflateSync } from 'node:zlib';

/** The hat's colour, for whoever looks for it in the picture (the tutorial's test). */
export const HAT_RED: readonly [number, number, number] = [220, 30, 40];
const BAND: readonly [number, number, number] = [250, 250, 250];

/**
 * The Magic Mirror's hat as a PNG, drawn here rather than shipped as a picture: a red
 * cap (a half ellipse) with a white band over a wide brim, on a transparent background,
 * so that only the hat covers the picture. Kurento's tutorial uses a drawing of Super
 * Mario's hat (Kurento docs, "Magic Mirror"); any image with transparency does.
 */
export function hatPng(width = 240, height = 180): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  const cx = width / 2;
  const brimTop = height * 0.72;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let colour: readonly [number, number, number] | undefined;
      // The cap: the top half of an ellipse standing on the brim.
      const dx = (x - cx) / (width * 0.36);
      const dy = (y - brimTop) / (height * 0.68);
      if (y <= brimTop && dx * dx + dy * dy <= 1) colour = y > brimTop - height * 0.12 ? BAND : HAT_RED;
      // The brim: a flat ellipse across the whole width.
      const bx = (x - cx) / (width * 0.5);
      const by = (y - brimTop - height * 0.06) / (height * 0.1);
      if (bx * bx + by * by <= 1) colour = HAT_RED;
      if (!colour) continue;
      const i = (y * width + x) * 4;
      rgba[i] = colour[0];
      rgba[i + 1] = colour[1];
      rgba[i + 2] = colour[2];
      rgba[i + 3] = 255;
    }
  }
  return encodePng(width, height, rgba);
}

/** RGBA 8-bit, no interlace, filter type 0 on every row (PNG spec §11.2.2, §9.2). */
function encodePng(width: number, height: number, rgba: Buffer): Buffer {
  const rows = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) rgba.copy(rows, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type 6 (RGBA)
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

let table: Uint32Array | undefined;

/** CRC-32 (ISO 3309) over a chunk's type and data, as PNG wants (spec §5.5). */
function crc32(b: Buffer): number {
  table ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (const byte of b) c = table[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
