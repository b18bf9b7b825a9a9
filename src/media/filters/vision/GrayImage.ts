/**
 * The one picture type the plate analysis works on: 8-bit luma, rows tightly packed.
 *
 * Frames arrive from the engine's FrameTap as Node Buffers whose layout only the caps
 * tell (GRAY8 or RGB24, no row padding: the tap's bin asks for widths where GStreamer's
 * 4-byte stride rounding adds nothing). A frame that does not match its announced shape
 * is refused with a reason instead of being read past its end, since a renegotiation or
 * a short write must cost one frame, not the filter.
 */

export type PixelFormat = 'GRAY8' | 'RGB24';

export interface RawFrame {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly format: PixelFormat;
}

export interface GrayImage {
  readonly width: number;
  readonly height: number;
  /** width * height bytes, row after row. */
  readonly data: Uint8Array;
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Frames larger than this are not a low-rate analysis branch's: refuse rather than stall. */
export const MAX_FRAME_PIXELS = 1920 * 1088;

const BYTES_PER_PIXEL: Record<PixelFormat, number> = { GRAY8: 1, RGB24: 3 };

/** The luma picture of a frame, or why the frame cannot be one. GRAY8 is not copied. */
export function grayFrom(frame: RawFrame): GrayImage | string {
  const { data, width, height, format } = frame;
  if (!(data instanceof Uint8Array)) return 'frame data is not a byte buffer';
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 16 || height < 16) {
    return `bad frame size ${String(width)}x${String(height)}`;
  }
  if (width * height > MAX_FRAME_PIXELS) return `frame ${width}x${height} is too large`;
  const bpp = BYTES_PER_PIXEL[format];
  if (bpp === undefined) return `unsupported pixel format ${String(format)}`;
  const expected = width * height * bpp;
  if (data.length !== expected) return `${format} ${width}x${height} needs ${expected} bytes, got ${data.length}`;
  if (bpp === 1) return { width, height, data };
  const out = new Uint8Array(width * height);
  // BT.601 weights in 8.8 fixed point: the same luma GStreamer's videoconvert gives GRAY8.
  for (let i = 0, j = 0; i < out.length; i++, j += 3) {
    out[i] = (77 * data[j]! + 150 * data[j + 1]! + 29 * data[j + 2]!) >> 8;
  }
  return { width, height, data: out };
}

/** Binary PGM (P5), the format tesseract reads from stdin without guessing. */
export function encodePgm(img: GrayImage): Buffer {
  const head = Buffer.from(`P5\n${img.width} ${img.height}\n255\n`, 'ascii');
  return Buffer.concat([head, img.data]);
}

/** Intersection over union of two rectangles, 0 when they do not overlap. */
export function iou(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}
