import type { EmitFn } from '../../shared/workerProtocol.ts';

/** How long without packets before a FLOWING direction becomes NOT_FLOWING. */
export const FLOW_TIMEOUT_MS = 2000;

type Dir = 'in' | 'out';
type FlowKind = 'AUDIO' | 'VIDEO' | 'DATA';

const KINDS: readonly FlowKind[] = ['AUDIO', 'VIDEO', 'DATA'];
const DIRS: readonly Dir[] = ['in', 'out'];
/** One slot per direction and media type: in/AUDIO, in/VIDEO, in/DATA, out/AUDIO, ... */
const slotOf = (dir: Dir, kind: FlowKind): number => (dir === 'in' ? 0 : 3) + (kind === 'AUDIO' ? 0 : kind === 'VIDEO' ? 1 : 2);

/**
 * Media flow state per direction and media type, as Kurento's MediaFlowIn/Out events
 * report it: FLOWING on the first packet, NOT_FLOWING after a quiet period. One
 * coarse timer per node (started on the first packet), cleared on close. `packet` runs
 * for every packet each way, so its state lives in fixed slots rather than keyed maps.
 */
export class FlowMonitor {
  readonly #last = new Float64Array(6);
  readonly #packets = new Float64Array(6);
  readonly #flowing = new Uint8Array(6);
  readonly #onChange: (dir: Dir, kind: FlowKind, state: 'FLOWING' | 'NOT_FLOWING') => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;

  /** A monitor that raises a node's MediaFlowIn/OutStateChanged (Kurento's pad name `default`). */
  static reporting(emit: EmitFn): FlowMonitor {
    return new FlowMonitor((dir, kind, state) => emit(dir === 'in' ? 'MediaFlowInStateChanged' : 'MediaFlowOutStateChanged', { state, padName: 'default', mediaType: kind }));
  }

  constructor(onChange: (dir: Dir, kind: FlowKind, state: 'FLOWING' | 'NOT_FLOWING') => void, now: () => number = () => performance.now()) {
    this.#onChange = onChange;
    this.#now = now;
  }

  /** A packet in `dir`; `now`: the monitor's clock, when the caller just read it. */
  packet(dir: Dir, kind: FlowKind, now: number = this.#now()): void {
    const slot = slotOf(dir, kind);
    this.#last[slot] = now;
    this.#packets[slot]!++;
    if (this.#flowing[slot]) return;
    this.#flowing[slot] = 1;
    this.#onChange(dir, kind, 'FLOWING');
    if (!this.#timer) {
      this.#timer = setInterval(() => this.check(), FLOW_TIMEOUT_MS / 2);
      this.#timer.unref();
    }
  }

  /** Marks quiet directions NOT_FLOWING (called by the timer; public for tests). */
  check(): void {
    const now = this.#now();
    for (let slot = 0; slot < 6; slot++) {
      if (!this.#flowing[slot] || now - this.#last[slot]! <= FLOW_TIMEOUT_MS) continue;
      this.#flowing[slot] = 0;
      this.#onChange(DIRS[slot < 3 ? 0 : 1]!, KINDS[slot % 3]!, 'NOT_FLOWING');
    }
  }

  /**
   * A direction of `kind` stopped for a known reason (the engine process making it
   * died): NOT_FLOWING now, not after the quiet period; the next packet makes it
   * FLOWING again.
   */
  stop(dir: Dir, kind: FlowKind): void {
    const slot = slotOf(dir, kind);
    if (!this.#flowing[slot]) return;
    this.#flowing[slot] = 0;
    this.#onChange(dir, kind, 'NOT_FLOWING');
  }

  /** Whether a direction of a media type is FLOWING now. */
  isFlowing(dir: Dir, kind: FlowKind): boolean {
    return this.#flowing[slotOf(dir, kind)] === 1;
  }

  /** Packets seen in a direction of a media type. */
  count(dir: Dir, kind: FlowKind): number {
    return this.#packets[slotOf(dir, kind)]!;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
