/** How long without packets before a FLOWING direction becomes NOT_FLOWING. */
export const FLOW_TIMEOUT_MS = 2000;

type Dir = 'in' | 'out';
type FlowKind = 'AUDIO' | 'VIDEO' | 'DATA';

/**
 * Media flow state per direction and media type, as Kurento's MediaFlowIn/Out events
 * report it: FLOWING on the first packet, NOT_FLOWING after a quiet period. One
 * coarse timer per node (started on the first packet), cleared on close.
 */
export class FlowMonitor {
  readonly #last = new Map<string, number>();
  readonly #flowing = new Set<string>();
  readonly #packets = new Map<string, number>();
  readonly #onChange: (dir: Dir, kind: FlowKind, state: 'FLOWING' | 'NOT_FLOWING') => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;

  constructor(onChange: (dir: Dir, kind: FlowKind, state: 'FLOWING' | 'NOT_FLOWING') => void, now: () => number = () => performance.now()) {
    this.#onChange = onChange;
    this.#now = now;
  }

  packet(dir: Dir, kind: FlowKind): void {
    const key = `${dir}/${kind}`;
    this.#last.set(key, this.#now());
    this.#packets.set(key, (this.#packets.get(key) ?? 0) + 1);
    if (!this.#flowing.has(key)) {
      this.#flowing.add(key);
      this.#onChange(dir, kind, 'FLOWING');
      if (!this.#timer) {
        this.#timer = setInterval(() => this.check(), FLOW_TIMEOUT_MS / 2);
        this.#timer.unref();
      }
    }
  }

  /** Marks quiet directions NOT_FLOWING (called by the timer; public for tests). */
  check(): void {
    const now = this.#now();
    for (const key of [...this.#flowing]) {
      if (now - (this.#last.get(key) ?? 0) > FLOW_TIMEOUT_MS) {
        this.#flowing.delete(key);
        const [dir, kind] = key.split('/') as [Dir, FlowKind];
        this.#onChange(dir, kind, 'NOT_FLOWING');
      }
    }
  }

  count(dir: Dir, kind: FlowKind): number {
    return this.#packets.get(`${dir}/${kind}`) ?? 0;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
