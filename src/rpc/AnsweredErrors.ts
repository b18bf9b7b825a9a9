import type { JsonRpcError } from './errorToJsonRpc.ts';

/** What a log line of an answered error is written to (Logger.info in the server). */
export type LineSink = (line: string) => void;

/** Lines per error code per window before the rest are only counted. */
const BURST = 10;
const WINDOW_MS = 10_000;

/**
 * Errors answered to a client, logged (issue 15 §3): KMS logs a failed `create`, and
 * Fluo printed nothing when Kurento's own tutorials hit NOT_IMPLEMENTED. One line per
 * error with the method, the object or type it was about and the Kurento code; per code
 * at most 10 lines every 10 s, so a client sending bad requests in a loop cannot flood
 * the log: the lines it would have written are counted and said in the code's next line.
 */
export class AnsweredErrors {
  readonly #write: LineSink;
  readonly #now: () => number;
  readonly #byCode = new Map<number, { since: number; lines: number; suppressed: number }>();

  constructor(write: LineSink, now: () => number = () => performance.now()) {
    this.#write = write;
    this.#now = now;
  }

  /** One error answered to `method` about `target` (an object id, a type name, or nothing). */
  answered(method: string, target: string | undefined, error: JsonRpcError): void {
    const now = this.#now();
    let w = this.#byCode.get(error.code);
    if (!w || now - w.since >= WINDOW_MS) {
      const suppressed = w?.suppressed ?? 0;
      w = { since: now, lines: 0, suppressed };
      this.#byCode.set(error.code, w);
    }
    if (w.lines >= BURST) {
      w.suppressed++;
      return;
    }
    w.lines++;
    const more = w.suppressed > 0 ? ` (and ${w.suppressed} more with this code, not logged)` : '';
    w.suppressed = 0;
    const about = target ? ` on ${target}` : '';
    const type = error.data?.type ? ` ${error.data.type}` : '';
    this.#write(`'${method}'${about} answered error ${error.code}${type}: ${error.message}${more}`);
  }
}
