import type { EngineBin } from '../engine/EngineBin.ts';

/** Where an overlay is drawn, in pixels of the frame (it may reach past the edges: it is clipped). */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The properties of one gdkpixbufoverlay as last set, so that unchanged ones are not sent again. */
type SlotState = Partial<Record<'location' | 'offset-x' | 'offset-y' | 'overlay-width' | 'overlay-height' | 'alpha', string | number>>;

/**
 * A fixed chain of `gdkpixbufoverlay` elements in a filter's core, one per image that
 * can be shown at once. The chain is built with the core (a bin's elements are fixed
 * once it runs), so slots are shown and hidden by properties, all changeable while
 * PLAYING: an unused slot has alpha 0, which gdkpixbufoverlay turns into passthrough
 * (no blending cost). Positions are absolute pixels (positioning-mode
 * pixels-absolute), which may be negative: a hat above a face near the top is cut.
 */
export class OverlayPool {
  readonly size: number;
  readonly #prefix: string;
  readonly #state: SlotState[];
  /** Property changes go out in order, one slot's after another's. */
  #chain: Promise<void> = Promise.resolve();

  constructor(prefix: string, size: number) {
    this.#prefix = prefix;
    this.size = size;
    this.#state = Array.from({ length: size }, () => ({ alpha: 0 }));
  }

  /** The gst-launch fragment of the chain (raw video in and out). */
  fragment(): string {
    return Array.from({ length: this.size }, (_, i) => `gdkpixbufoverlay name=${this.#prefix}${i} alpha=0 positioning-mode=pixels-absolute`).join(' ! ');
  }

  /** Draws `path` at `rect` in slot `i`, with `alpha` (0 transparent to 1 opaque). */
  show(bin: EngineBin, i: number, path: string, rect: PixelRect, alpha = 1): Promise<void> {
    // The image first, the size and place next, alpha last: a slot never shows an image at another's place.
    return this.#set(bin, i, [
      ['location', path],
      ['offset-x', Math.round(rect.x)],
      ['offset-y', Math.round(rect.y)],
      ['overlay-width', Math.max(1, Math.round(rect.width))],
      ['overlay-height', Math.max(1, Math.round(rect.height))],
      ['alpha', alpha],
    ]);
  }

  hide(bin: EngineBin, i: number): Promise<void> {
    return this.#set(bin, i, [['alpha', 0]]);
  }

  /** Every slot hidden. */
  hideAll(bin: EngineBin): Promise<void> {
    return Promise.all(Array.from({ length: this.size }, (_, i) => this.hide(bin, i))).then(() => undefined);
  }

  /** After the core was built again (engine process lost): nothing is set in the new one. */
  reset(): void {
    for (let i = 0; i < this.size; i++) this.#state[i] = { alpha: 0 };
  }

  #set(bin: EngineBin, i: number, props: Array<[keyof SlotState, string | number]>): Promise<void> {
    const state = this.#state[i];
    if (!state) return Promise.reject(new Error(`overlay slot ${i} out of range`));
    const changed = props.filter(([name, value]) => state[name] !== value);
    if (changed.length === 0) return this.#chain;
    for (const [name, value] of changed) state[name] = value;
    const element = `${this.#prefix}${i}`;
    const run = this.#chain.then(async () => {
      for (const [name, value] of changed) await bin.setProperty(element, name, value);
    });
    // A failed change (engine gone) forgets what was set: the next show sends everything.
    this.#chain = run.catch(() => {
      this.#state[i] = {};
    });
    return run;
  }
}
