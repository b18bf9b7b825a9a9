/**
 * A transparent RGBA picture the vision filters draw their marks on (pointer windows,
 * crowd ROIs), written as a PNG that the core bin's `gdkpixbufoverlay` shows over the
 * video. Drawing happens here, on the worker's thread, only when the marks change: the
 * engine must run no JavaScript on its streaming threads (engine-host-notes), which
 * rules out `cairooverlay`, and `rsvgoverlay` renders through cairo on every frame in
 * a BGRA format, so the video would be converted twice per frame.
 *
 * PNG as the spec says (W3C PNG, §5 datastream, §11.2 IHDR/IDAT/IEND): 8-bit RGBA
 * (colour type 6), filter type 0 on every row, one zlib stream.
 */
import { deflateSync, crc32 } from 'node:zlib';

export type Rgba = readonly [number, number, number, number];

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** One pixel's RGBA bytes, and the same bytes as the 32-bit word the pixel array holds (in this machine's byte order). */
const PIXEL = new Uint8Array(4);
const PIXEL_WORD = new Uint32Array(PIXEL.buffer);
/** The word of a pixel's RGBA bytes. */
function pixelWord(c: Rgba): number {
  PIXEL.set(c);
  return PIXEL_WORD[0]!;
}
/** A pixel's alpha byte within its word. */
const ALPHA = pixelWord([0, 0, 0, 255]);

export class MarksCanvas {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
  /** The same pixels a word each, to fill and scan a pixel at a time. */
  readonly #words: Uint32Array;

  constructor(width: number, height: number) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new RangeError(`bad overlay size ${width}x${height}`);
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height * 4);
    this.#words = new Uint32Array(this.pixels.buffer, 0, width * height);
  }

  /** Fills the rectangle (clipped to the picture; fractional edges rounded). */
  fill(x: number, y: number, w: number, h: number, c: Rgba): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    if (x1 <= x0) return;
    const word = pixelWord(c);
    for (let j = y0; j < y1; j++) this.#words.fill(word, j * this.width + x0, j * this.width + x1);
  }

  /** The outline of a rectangle, `thickness` pixels inside its edges. */
  stroke(x: number, y: number, w: number, h: number, c: Rgba, thickness = 2): void {
    const t = Math.min(thickness, w / 2, h / 2);
    this.fill(x, y, w, t, c);
    this.fill(x, y + h - t, w, t, c);
    this.fill(x, y + t, t, h - 2 * t, c);
    this.fill(x + w - t, y + t, t, h - 2 * t, c);
  }

  /** A line between two points, `thickness` pixels wide (a square brush stepped along it). */
  line(ax: number, ay: number, bx: number, by: number, c: Rgba, thickness = 2): void {
    const steps = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay)));
    const r = thickness / 2;
    for (let s = 0; s <= steps; s++) {
      const k = s / steps;
      this.fill(ax + (bx - ax) * k - r, ay + (by - ay) * k - r, thickness, thickness, c);
    }
  }

  /** The smallest rectangle holding every pixel that is not fully transparent, or null. */
  bounds(): { x: number; y: number; width: number; height: number } | null {
    let x0 = this.width, y0 = this.height, x1 = -1, y1 = -1;
    const words = this.#words;
    const width = this.width;
    for (let y = 0; y < this.height; y++) {
      const row = y * width;
      let first = 0;
      while (first < width && (words[row + first]! & ALPHA) === 0) first++;
      if (first === width) continue;
      let last = width - 1;
      while ((words[row + last]! & ALPHA) === 0) last--;
      if (first < x0) x0 = first;
      if (last > x1) x1 = last;
      if (y < y0) y0 = y;
      y1 = y;
    }
    return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
  }

  /** A copy of a rectangle of this picture (inside it). */
  crop(r: { x: number; y: number; width: number; height: number }): MarksCanvas {
    const out = new MarksCanvas(r.width, r.height);
    for (let y = 0; y < r.height; y++) {
      const from = ((r.y + y) * this.width + r.x) * 4;
      out.pixels.set(this.pixels.subarray(from, from + r.width * 4), y * r.width * 4);
    }
    return out;
  }

  png(): Buffer {
    const stride = this.width * 4;
    const raw = Buffer.alloc((stride + 1) * this.height);
    for (let y = 0; y < this.height; y++) {
      raw[y * (stride + 1)] = 0;
      raw.set(this.pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
    }
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(this.width, 0);
    ihdr.writeUInt32BE(this.height, 4);
    ihdr.set([8, 6, 0, 0, 0], 8);
    // Level 1: a tenth of the default level's time on a 640x480 crowd paint (0.7 against
    // 7 ms here), for a file of some 10 KB instead of 3 that the engine reads once.
    return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0))]);
  }
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}
