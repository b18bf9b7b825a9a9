import type { EngineBin } from '../engine/EngineBin.ts';

export interface Size {
  width: number;
  height: number;
}

/** How often the frame size is read while someone needs it (ms). */
const POLL_MS = 500;

/**
 * The size of the frames entering a filter's core, read from the caps of a pad inside
 * it while `watch` is on. gdkpixbufoverlay sizes an image in pixels only, and a WebRTC
 * sender changes its resolution as its bandwidth moves, so the size is followed, not
 * read once: `onChange` lets the node place its overlays again.
 */
export class FrameSize {
  readonly #bin: () => EngineBin | undefined;
  readonly #element: string;
  readonly #pad: string;
  readonly #onChange: (size: Size) => void;
  #size: Size | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading = false;

  constructor(bin: () => EngineBin | undefined, element: string, pad: string, onChange: (size: Size) => void) {
    this.#bin = bin;
    this.#element = element;
    this.#pad = pad;
    this.#onChange = onChange;
  }

  /** The last size read (undefined before the first frame). */
  get current(): Size | undefined {
    return this.#size;
  }

  /** Forgets the size (a new core): the next reading reports it again. */
  forget(): void {
    this.#size = undefined;
  }

  /** Starts (or stops) following the size; starting reads it at once. */
  watch(on: boolean): void {
    if (!on) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#read(), POLL_MS);
    void this.#read();
  }

  async #read(): Promise<void> {
    const bin = this.#bin();
    if (this.#reading || !bin?.alive) return;
    this.#reading = true;
    try {
      const caps = await bin.getProperty(this.#element, 'caps', this.#pad).catch(() => null);
      const size = typeof caps === 'string' ? parseSize(caps) : undefined;
      if (!size || (size.width === this.#size?.width && size.height === this.#size?.height)) return;
      this.#size = size;
      if (this.#timer) this.#onChange(size);
    } finally {
      this.#reading = false;
    }
  }
}

/** width and height of a raw video caps string (`video/x-raw, ..., width=(int)640, height=(int)480, ...`). */
export function parseSize(caps: string): Size | undefined {
  const w = /\bwidth=\(int\)(\d+)/.exec(caps);
  const h = /\bheight=\(int\)(\d+)/.exec(caps);
  if (!w || !h) return undefined;
  const size = { width: Number(w[1]), height: Number(h[1]) };
  return size.width > 0 && size.height > 0 ? size : undefined;
}
