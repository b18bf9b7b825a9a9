import { fastPath, type NativeSrtpContext } from '../native/fastpath.ts';
import {
  sendRecords as T, sendRings as RINGS, R, RECORD_SIZE, RING_BLOCK, RING_ENTRY, RING_VALID, ADDR_MAX, EXT_MAX,
  FLAG_HAVE_SRC, FLAG_HAVE_LAST, FLAG_HAVE_ROC,
} from './SendRecords.ts';

/** Word indexes of the record's fields, relative to its first word. */
const W = Object.fromEntries(Object.entries(R).map(([k, v]) => [k, v / 4])) as { readonly [K in keyof typeof R]: number };
const D = { lastAt: R.lastAt / 8, lastSentAt: R.lastSentAt / 8, sentBytes: R.sentBytes / 8 } as const;
const WORDS = RECORD_SIZE / 4;

/** What a released record leaves to free: its slot, its ring's block, and the native context it holds. */
interface Held {
  readonly slot: number;
  readonly ring: number;
}

function free(h: Held): void {
  fastPath?.sinkContext?.(h.slot, null);
  T.free(h.slot);
  if (h.ring >= 0) RINGS.free(h.ring);
}

/** Records whose stream was dropped without `release` (a test's, say) are freed when collected. */
const orphans = new FinalizationRegistry<Held>(free);

/**
 * One outgoing stream's record in the worker's table (SendRecords.ts): the TypeScript
 * twin of native/forward_batch.c's steps on it. Both paths go through the same fields,
 * so a stream whose packets go now one way, now the other (a fan-out, then a single
 * sink; the native path missing for a copy), stays one stream: continuous sequence
 * numbers and timestamps (RFC 3550 §5.1), one rollover counter (RFC 3711 §3.3.1), one
 * NACK ring, one set of counters.
 */
export class SendRecord {
  static #nextId = 1;
  readonly slot: number;
  /** This stream's id in its slot (never 0): batch entries carry it, so a slot freed and reused since is not touched. */
  readonly id: number;
  /** Entries in this stream's NACK ring (0: none). */
  readonly historySize: number;
  readonly #w: number;
  readonly #d: number;
  readonly #ring: number;
  readonly #ringWord: number;
  readonly #held: Held;
  #released = false;
  /** Set by `rewrite`: the outgoing sequence number and timestamp. */
  seq = 0;
  timestamp = 0;
  /** Set by `lookup`: what the ring holds for a sequence number. */
  foundIndex = 0;
  foundTimestamp = 0;
  foundPayloadType = 0;
  foundRoc = 0;

  constructor(ssrc: number, clockRate: number, extension: Buffer | undefined, historySize: number) {
    if (historySize > RING_BLOCK) throw new RangeError(`a NACK history holds at most ${RING_BLOCK} packets`);
    if (extension && extension.length > EXT_MAX) throw new RangeError('extension block too long');
    this.slot = T.alloc();
    this.#w = this.slot * WORDS;
    this.#d = this.#w / 2;
    this.historySize = historySize;
    this.#ring = historySize ? RINGS.alloc() : -1;
    this.#ringWord = this.#ring < 0 ? 0 : (this.#ring * RING_BLOCK * RING_ENTRY) / 4;
    this.id = SendRecord.#nextId;
    SendRecord.#nextId = SendRecord.#nextId >= 0xffffffff ? 1 : SendRecord.#nextId + 1;
    const u = T.u32;
    const w = this.#w;
    u[w + W.streamId] = this.id;
    u[w + W.ssrc] = ssrc >>> 0;
    u[w + W.clockRate] = clockRate;
    T.i32[w + W.fd] = -1;
    u[w + W.historySize] = historySize;
    u[w + W.historyAt] = this.#ring < 0 ? 0 : this.#ring * RING_BLOCK;
    if (extension) {
      u[w + W.extLen] = extension.length;
      extension.copy(T.buffer, this.slot * RECORD_SIZE + R.ext);
    }
    this.#held = { slot: this.slot, ring: this.#ring };
    orphans.register(this, this.#held, this);
  }

  /**
   * The RFC 3550 rewrite of a packet from source `srcSsrc` with `seq` and `ts`: sets
   * `seq` and `timestamp`. A new source continues at the last sequence number + 1 and at
   * the last timestamp advanced by the wall time elapsed (`now`, ms); serial-number
   * arithmetic (RFC 1982). forward_batch.c `rewrite`, step for step.
   */
  rewrite(srcSsrc: number, seq: number, ts: number, now: number): void {
    const u = T.u32;
    const w = this.#w;
    let flags = u[w]!;
    if (!(flags & FLAG_HAVE_SRC) || srcSsrc !== u[w + W.srcSsrc]) {
      u[w + W.srcSsrc] = srcSsrc;
      flags |= FLAG_HAVE_SRC;
      if (!(flags & FLAG_HAVE_LAST)) {
        u[w + W.seqOffset] = 0;
        u[w + W.tsOffset] = 0;
      } else {
        const e = Math.floor(((now - T.f64[this.#d + D.lastAt]!) / 1000) * u[w + W.clockRate]! + 0.5);
        const elapsed = e < 1 ? 1 : e > 0xffffffff ? 0xffffffff : e;
        u[w + W.seqOffset] = (u[w + W.lastSeq]! + 1 - seq) & 0xffff;
        u[w + W.tsOffset] = u[w + W.lastTs]! + elapsed - ts;
      }
    }
    const s = (seq + u[w + W.seqOffset]!) & 0xffff;
    const t = (ts + u[w + W.tsOffset]!) >>> 0;
    if (!(flags & FLAG_HAVE_LAST) || ((s - u[w + W.lastSeq]!) & 0xffff) < 0x8000) {
      u[w + W.lastSeq] = s;
      u[w + W.lastTs] = t;
      T.f64[this.#d + D.lastAt] = now;
      flags |= FLAG_HAVE_LAST;
    }
    u[w] = flags;
    this.seq = s;
    this.timestamp = t;
  }

  /**
   * The rollover counter for `seq` and the state's update (RFC 3711 §3.3.1, Appendix
   * A), as SrtpEncryptor's per-SSRC state: -1 for an index below the first one sent.
   */
  rollover(seq: number): number {
    const u = T.u32;
    const w = this.#w;
    const flags = u[w]!;
    if (!(flags & FLAG_HAVE_ROC)) {
      u[w] = flags | FLAG_HAVE_ROC;
      u[w + W.roc] = 0;
      u[w + W.highestSeq] = seq;
      return 0;
    }
    const roc = u[w + W.roc]!;
    const highest = u[w + W.highestSeq]!;
    let v = roc;
    if (highest < 0x8000) {
      if (seq - highest > 0x8000) v = roc - 1;
    } else if (highest - 0x8000 > seq) {
      v = roc + 1;
    }
    if (v > roc) {
      u[w + W.roc] = v;
      u[w + W.highestSeq] = seq;
    } else if (v === roc && seq > highest) {
      u[w + W.highestSeq] = seq;
    }
    return v;
  }

  /** A packet taken (history index `k`, `roc` as `rollover` gave it): its ring entry and the counters. */
  taken(k: number, payloadType: number, roc: number, payloadOctets: number, now: number): void {
    const u = T.u32;
    const w = this.#w;
    const n = this.historySize;
    if (n) {
      const r = RINGS.u32;
      const at = this.#ringWord + (this.seq % n) * (RING_ENTRY / 4);
      r[at] = roc < 0 ? 0 : (RING_VALID | ((payloadType & 0x7f) << 16) | this.seq) >>> 0;
      r[at + 1] = k;
      r[at + 2] = this.timestamp;
      r[at + 3] = roc;
    }
    u[w + W.packets] = u[w + W.packets]! + 1;
    u[w + W.octets] = u[w + W.octets]! + payloadOctets;
    u[w + W.lastTimestamp] = this.timestamp;
    T.f64[this.#d + D.lastSentAt] = now;
  }

  /** What the ring holds for `seq` (sets the `found*` fields): false when it was not sent or was overwritten. */
  lookup(seq: number): boolean {
    const n = this.historySize;
    if (!n) return false;
    const r = RINGS.u32;
    const at = this.#ringWord + (seq % n) * (RING_ENTRY / 4);
    const head = r[at]!;
    if (!(head & RING_VALID) || (head & 0xffff) !== seq) return false;
    this.foundPayloadType = (head >>> 16) & 0x7f;
    this.foundIndex = r[at + 1]!;
    this.foundTimestamp = r[at + 2]!;
    this.foundRoc = r[at + 3]!;
    return true;
  }

  /** The selected pair's socket and address the native path sends on. */
  route(fd: number, sockaddr: Buffer): void {
    if (sockaddr.length > ADDR_MAX) throw new RangeError('sockaddr too long');
    const w = this.#w;
    T.i32[w + W.fd] = fd;
    T.u32[w + W.addrLen] = sockaddr.length;
    sockaddr.copy(T.buffer, this.slot * RECORD_SIZE + R.addr);
  }

  /**
   * New SRTP keys (`context`: their native half, if any): the rollover counter starts
   * again, as a new SRTP context's does (RFC 3711 §3.3.1: the receiver's starts at 0).
   */
  keys(context: NativeSrtpContext | undefined): void {
    T.u32[this.#w] = T.u32[this.#w]! & ~FLAG_HAVE_ROC;
    // The ring's packets were protected with the old keys and their ROCs: resent with the
    // new keys at those indexes, they would reuse keystream the new stream will use
    // again (RFC 3711 §9.1). They are forgotten, so NACKs for them are not answered.
    if (this.historySize) RINGS.u32.fill(0, this.#ringWord, this.#ringWord + this.historySize * (RING_ENTRY / 4));
    fastPath?.sinkContext?.(this.slot, context ?? null);
  }

  get packets(): number {
    return T.u32[this.#w + W.packets]!;
  }

  get octets(): number {
    return T.u32[this.#w + W.octets]!;
  }

  get lastTimestamp(): number {
    return T.u32[this.#w + W.lastTimestamp]!;
  }

  /** When the last packet was taken (the rewriter's clock, ms), or -Infinity before. */
  get lastSentAt(): number {
    return T.u32[this.#w + W.packets] || T.u32[this.#w] & FLAG_HAVE_LAST ? T.f64[this.#d + D.lastSentAt]! : -Infinity;
  }

  /** Copies the native path sent, and their bytes (the transport's counters take them in `ForwardingSender.foldCounts`). */
  get sentPackets(): number {
    return T.u32[this.#w + W.sentPackets]!;
  }

  get sentBytes(): number {
    return T.f64[this.#d + D.sentBytes]!;
  }

  /** Frees the slot, the ring and the native context. Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    orphans.unregister(this);
    free(this.#held);
  }
}
