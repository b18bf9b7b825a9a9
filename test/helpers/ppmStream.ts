import type { Frame } from './pixels.ts';

/**
 * Splits a byte stream of concatenated binary PPM pictures (P6, maxval 255: what
 * GStreamer's `pnmenc` and ffmpeg's `-f image2pipe -c:v ppm` write) into frames. Each
 * picture carries its own size, so a receiver need not know the caps beforehand.
 */
export class PpmStream {
  #pending: Buffer = Buffer.alloc(0);

  /** Takes the next chunk; returns the pictures it completed. */
  push(chunk: Buffer): Frame[] {
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const out: Frame[] = [];
    for (;;) {
      const header = parseHeader(this.#pending);
      if (!header) break;
      const size = header.width * header.height * 3;
      if (this.#pending.length < header.length + size) break;
      // A copy: the rest of the pending buffer is dropped soon, the frame may be kept long.
      out.push({ width: header.width, height: header.height, rgb: Buffer.from(this.#pending.subarray(header.length, header.length + size)) });
      this.#pending = this.#pending.subarray(header.length + size);
    }
    return out;
  }
}

/**
 * A P6 header: magic, width, height and maxval separated by whitespace, then one
 * whitespace byte (netpbm's ppm(5)). Null while incomplete; throws on anything else.
 */
function parseHeader(b: Buffer): { width: number; height: number; length: number } | null {
  if (b.length < 2) return null;
  if (b[0] !== 0x50 || b[1] !== 0x36) throw new Error(`not a binary PPM stream (starts ${JSON.stringify(b.subarray(0, 8).toString('latin1'))})`);
  const fields: number[] = [];
  let i = 2;
  while (fields.length < 3) {
    while (i < b.length && isSpace(b[i]!)) i++;
    if (b[i] === 0x23) { // a comment runs to the end of its line
      while (i < b.length && b[i] !== 0x0a) i++;
      continue;
    }
    const start = i;
    while (i < b.length && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
    if (i >= b.length) return null;
    if (i === start) throw new Error(`bad PPM header near byte ${i}`);
    fields.push(Number(b.subarray(start, i).toString('latin1')));
  }
  if (fields[2] !== 255) throw new Error(`PPM maxval ${fields[2]}: only 8-bit pictures are read`);
  return { width: fields[0]!, height: fields[1]!, length: i + 1 };
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
