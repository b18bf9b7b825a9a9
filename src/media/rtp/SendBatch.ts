import { fastPath, type FastPath } from '../native/fastpath.ts';
import { mediaCounters } from '../worker/mediaCounters.ts';
import { sendRecords, sendRings } from './SendRecords.ts';

/**
 * The entry layout native/forward_batch.c reads and writes (u32 each): slot, history
 * index (in); result, outgoing sequence number, timestamp, ROC (out); the payload type
 * to send with and the stream's id in its slot (in).
 */
const ENTRY_WORDS = 8;
/** An entry's sequence-number word when the native side did not touch the record. */
export const NOT_PREPARED = 0xffffffff;
/** Entries per native call (forward_batch.c BATCH_MAX). */
export const BATCH_CAPACITY = 256;
const EINVAL = -22;
const TIME_ORIGIN = performance.timeOrigin;

/** Who queued an entry: told its result when it failed. */
export interface BatchOwner {
  /**
   * A queued copy did not go out: `result` is minus the errno. `copy.seq` is NOT_PREPARED
   * when its record was not advanced (the caller sends it from scratch, with
   * `copy.payloadType`); otherwise the copy was counted, and `copy` says how it was built
   * (to build it again).
   */
  batchFailed(tag: object, result: number, copy: FailedCopy, source: Buffer): void;
}

/** How a copy that failed to send was built: its sequence number, timestamp, SRTP rollover counter and payload type. */
export interface FailedCopy {
  readonly seq: number;
  readonly timestamp: number;
  readonly roc: number;
  readonly payloadType: number;
}

/**
 * Batched sends (issue 14 item 2): while a source packet fans out to its sinks
 * (MediaNode.forward holds the batch), each WebRtcEndpoint stream whose checks stand
 * (ForwardingSender: route, consent, keys) queues its record's slot here instead of
 * sending; when the fan-out ends, one native call writes every copy's header from its
 * record (SendRecord), protects the copies and sends them with sendmmsg(2), one system
 * call per run of copies on one socket: in single-port mode, one for the whole fan-out.
 * Per copy, TypeScript writes two numbers.
 */
export class SendBatch {
  readonly #send: NonNullable<FastPath['forwardBatch']>;
  readonly #entries = Buffer.from(new ArrayBuffer(BATCH_CAPACITY * ENTRY_WORDS * 4));
  readonly #u32 = new Uint32Array(this.#entries.buffer);
  readonly #i32 = new Int32Array(this.#entries.buffer);
  readonly #owners: Array<BatchOwner | undefined> = [];
  readonly #tags: Array<object | undefined> = [];
  #count = 0;
  #source: Buffer | undefined;
  #depth = 0;
  #flushing = false;

  constructor(send: NonNullable<FastPath['forwardBatch']>) {
    this.#send = send;
  }

  /** Copies queued from now on wait for the matching `release` (nested holds allowed). */
  hold(): void {
    this.#depth++;
  }

  release(): void {
    if (--this.#depth === 0 && this.#count) this.flush();
  }

  /** Whether a copy given now would be batched. */
  get holding(): boolean {
    return this.#depth > 0 && !this.#flushing;
  }

  /**
   * Queues `source` for the stream of record `slot` (whose id there is `id`) with
   * `payloadType`: the entry's number, for `index`, or -1 when it cannot be queued (the
   * caller sends it alone).
   */
  add(owner: BatchOwner, tag: object, slot: number, id: number, source: Buffer, payloadType: number): number {
    if (this.#flushing) return -1;
    // A batch carries one source packet.
    if (this.#count && (this.#source !== source || this.#count === BATCH_CAPACITY)) this.flush();
    const i = this.#count++;
    const w = i * ENTRY_WORDS;
    this.#u32[w] = slot;
    this.#u32[w + 1] = 0;
    this.#u32[w + 6] = payloadType & 0x7f;
    this.#u32[w + 7] = id;
    this.#owners[i] = owner;
    this.#tags[i] = tag;
    this.#source = source;
    return i;
  }

  /** The stream's history index for entry `i` (its NACK ring keeps it beside the sequence number). */
  index(i: number, k: number): void {
    this.#u32[i * ENTRY_WORDS + 1] = k;
  }

  /** Sends what is queued; owners hear of the copies that failed. */
  flush(): void {
    const n = this.#count;
    const source = this.#source;
    if (!n || !source) return;
    this.#count = 0;
    this.#source = undefined;
    this.#flushing = true;
    try {
      try {
        this.#send(sendRecords.buffer, sendRings.buffer, this.#entries, n, source, TIME_ORIGIN + performance.now());
      } catch {
        for (let i = 0; i < n; i++) {
          this.#i32[i * ENTRY_WORDS + 2] = EINVAL;
          this.#u32[i * ENTRY_WORDS + 3] = NOT_PREPARED;
        }
      }
      let packets = 0;
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const w = i * ENTRY_WORDS;
        const owner = this.#owners[i]!;
        const tag = this.#tags[i]!;
        // No references kept past the flush: an endpoint released meanwhile is not held.
        this.#owners[i] = undefined;
        this.#tags[i] = undefined;
        const result = this.#i32[w + 2]!;
        if (result > 0) {
          packets++;
          bytes += result;
        } else if (result < 0) {
          const copy = { seq: this.#u32[w + 3]!, timestamp: this.#u32[w + 4]!, roc: this.#u32[w + 5]!, payloadType: this.#u32[w + 6]! };
          owner.batchFailed(tag, result, copy, source);
        }
      }
      mediaCounters.sendBatches++;
      mediaCounters.sendBatchPackets += packets;
      mediaCounters.webrtcPacketsSent += packets;
      mediaCounters.webrtcBytesSent += bytes;
    } finally {
      this.#flushing = false;
    }
  }
}

/**
 * The worker's batch (one per thread: module state is per worker), when the native fast
 * path has batched sends; FLUO_BATCH=0 turns them off (to compare).
 */
export const sendBatch: SendBatch | undefined =
  fastPath?.forwardBatch && process.env.FLUO_BATCH !== '0' ? new SendBatch(fastPath.forwardBatch.bind(fastPath)) : undefined;
