/**
 * The frames the vision cores read: a tightly packed picture as FrameTap cuts it out of
 * the engine (src/engine/FrameTap.ts), one byte per channel, no row padding.
 */

export interface FrameSize {
  readonly width: number;
  readonly height: number;
}

/** A picture of `width` x `height` pixels, `channels` bytes each (1: GRAY8, 3: RGB24). */
export interface VideoFrame extends FrameSize {
  readonly data: Uint8Array;
}

/**
 * Refuses a frame whose buffer does not hold exactly width*height*channels bytes. That is
 * a wiring mistake of the caller (caps and tap size disagree), not a client's error, so
 * it is a plain RangeError, never a KurentoError.
 */
export function checkFrame(frame: VideoFrame, channels: 1 | 3): void {
  const { width, height, data } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`bad frame size ${width}x${height}`);
  }
  if (data.length !== width * height * channels) {
    throw new RangeError(`frame of ${width}x${height}x${channels} needs ${width * height * channels} bytes, got ${data.length}`);
  }
}
