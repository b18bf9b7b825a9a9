/**
 * Bounds on the shape of a JSON text, checked by one linear scan before `JSON.parse`.
 *
 * Why before parsing: V8 parses any nesting depth, but everything after it that walks
 * the value recursively (JSON.stringify for the request cache, the Marshaller) overflows
 * the stack on 100,000 levels (issue 16, defect 1); and `JSON.parse` of one object with
 * 600,000 keys takes 0.8 s on one thread, stalling every other client (defect 7), so it
 * must be refused without being parsed. No Kurento message comes near these bounds:
 * the deepest KMD structures nest a few levels inside a transaction, and the largest
 * objects (RTC stats) have a few dozen members.
 */
export interface FrameLimits {
  /** Deepest nesting of objects and arrays. */
  readonly maxDepth: number;
  /** Most members in one object (arrays are bounded by `maxValues` only). */
  readonly maxMembers: number;
  /** Most values (scalars and containers) in the whole frame. */
  readonly maxValues: number;
}

export const FRAME_LIMITS: FrameLimits = { maxDepth: 64, maxMembers: 1000, maxValues: 100_000 };

/** Frames longer than this are scanned in slices, yielding to other connections between them. */
const SLICE = 128 * 1024;

/**
 * A resumable scanner over JSON text: only structure is tracked (strings are skipped,
 * escapes honoured); the text is not validated, `JSON.parse` does that afterwards.
 */
export class FrameShape {
  readonly #limits: FrameLimits;
  #depth = 0;
  #inString = false;
  #values = 0;
  /** Members counted so far in each open container, by depth; -1 for an array. */
  readonly #members: number[] = [];
  #problem: string | undefined;

  constructor(limits: FrameLimits = FRAME_LIMITS) {
    this.#limits = limits;
  }

  /** The first bound the text broke, in words, or undefined. */
  get problem(): string | undefined {
    return this.#problem;
  }

  /**
   * Scans `text` from `from` to `to`; stops at the first broken bound. Strings are
   * skipped with `indexOf` (native speed: a 6 KB SDP offer costs ~2 us, not ~30 us);
   * a quote preceded by an odd number of backslashes is escaped.
   */
  feed(text: string, from = 0, to = text.length): void {
    const { maxDepth, maxMembers, maxValues } = this.#limits;
    let depth = this.#depth;
    let inString = this.#inString;
    let values = this.#values;
    const members = this.#members;
    for (let i = from; i < to && this.#problem === undefined; i++) {
      if (inString) {
        const end = closingQuote(text, i, to);
        if (end < 0) { i = to; break; }
        i = end;
        inString = false;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        inString = true;
      } else if (c === 0x7b || c === 0x5b) { // { [
        values++;
        if (++depth > maxDepth) this.#problem = `nested deeper than ${maxDepth} levels`;
        members[depth] = c === 0x7b ? 0 : -1;
      } else if (c === 0x7d || c === 0x5d) { // } ]
        depth--;
      } else if (c === 0x2c) { // ,
        values++;
        if (depth > 0 && members[depth]! >= 0 && ++members[depth]! >= maxMembers) this.#problem = `an object or array with more than ${maxMembers} members`;
      }
      if (values > maxValues) this.#problem ??= `more than ${maxValues} values`;
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#values = values;
  }

  /**
   * Checks a whole frame: at once when it is small, else slice by slice with a
   * `setImmediate` between slices, so a 10 MB frame never holds the event loop for
   * more than a few milliseconds (defect 7). Resolves to the problem or undefined.
   */
  static check(text: string, limits: FrameLimits = FRAME_LIMITS): string | undefined | Promise<string | undefined> {
    const s = new FrameShape(limits);
    if (text.length <= SLICE) {
      s.feed(text);
      return s.problem;
    }
    return (async () => {
      for (let from = 0; from < text.length && s.problem === undefined; from += SLICE) {
        s.feed(text, from, Math.min(text.length, from + SLICE));
        await new Promise<void>((r) => setImmediate(r));
      }
      return s.problem;
    })();
  }
}

/** Index of the quote ending the string that `from` is inside, before `to`, or -1. */
function closingQuote(text: string, from: number, to: number): number {
  for (let j = text.indexOf('"', from); j >= 0 && j < to; j = text.indexOf('"', j + 1)) {
    let backslashes = 0;
    for (let k = j - 1; text.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return j;
  }
  return -1;
}
