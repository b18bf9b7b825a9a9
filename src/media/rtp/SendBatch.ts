import { fastPath, type FastPath, type NativeSrtpContext } from '../native/fastpath.ts';
import { mediaCounters } from '../worker/mediaCounters.ts';

/** The entry layout native/fastpath.c reads (sendProtectedBatch), in bytes. */
const ENTRY = 128;
const SOCKADDR_AT = 28;
const HEADER_AT = 56;
const HEADER_MAX = ENTRY - HEADER_AT;
const NO_HEADER = Buffer.alloc(0);
/** Entries per native call (fastpath.c BATCH_MAX). */
export const BATCH_CAPACITY = 256;

/** Who queued an entry: told its result once the batch went out. */
export interface BatchOwner {
  /**
   * `result`: the bytes sent, 0 when SRTP refused the packet, or -errno; on an error,
   * `header` and the source's payload are there for a caller that must send the copy
   * another way (otherwise `header` is empty).
   */
  batchSent(tag: object, result: number, header: Buffer, source: Buffer, payloadOffset: number, payloadLength: number): void;
}

/**
 * Batched sends (issue 14 item 2): while a source packet fans out to its sinks
 * (MediaNode.forward holds the batch), each WebRtcEndpoint's copy is queued here (its
 * rewritten header, ROC, socket and destination) instead of going out alone; when the
 * fan-out ends, one native call protects every copy and sends them with sendmmsg(2),
 * one system call per run of copies on one socket: in single-port mode, one for the
 * whole fan-out. ICE consent and the route are still checked per copy when it is
 * queued (SelectedPairRoute.queueProtected).
 */
export class SendBatch {
  readonly #send: NonNullable<FastPath['sendProtectedBatch']>;
  readonly #entries = Buffer.alloc(BATCH_CAPACITY * ENTRY);
  readonly #u32 = new Uint32Array(this.#entries.buffer, this.#entries.byteOffset, (BATCH_CAPACITY * ENTRY) / 4);
  readonly #i32 = new Int32Array(this.#entries.buffer, this.#entries.byteOffset, (BATCH_CAPACITY * ENTRY) / 4);
  readonly #u8 = new Uint8Array(this.#entries.buffer, this.#entries.byteOffset, BATCH_CAPACITY * ENTRY);
  readonly #contexts: NativeSrtpContext[] = [];
  readonly #owners: Array<BatchOwner | undefined> = [];
  readonly #tags: Array<object | undefined> = [];
  #count = 0;
  #source: Buffer | undefined;
  #depth = 0;
  #flushing = false;

  constructor(send: NonNullable<FastPath['sendProtectedBatch']>) {
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

  /** Queues one copy; false when it cannot be (the caller sends it alone). */
  add(owner: BatchOwner, tag: object, context: NativeSrtpContext, header: Buffer, headerLength: number, roc: number, fd: number, sockaddr: Buffer, source: Buffer, payloadOffset: number, payloadLength: number): boolean {
    if (this.#flushing || headerLength > HEADER_MAX || sockaddr.length > HEADER_AT - SOCKADDR_AT) return false;
    // A batch carries one source packet's payload.
    if (this.#count && (this.#source !== source || this.#count === BATCH_CAPACITY)) this.flush();
    const i = this.#count++;
    const w = (i * ENTRY) / 4;
    this.#u32[w] = headerLength;
    this.#u32[w + 1] = roc;
    this.#i32[w + 2] = fd;
    this.#u32[w + 3] = sockaddr.length;
    this.#u32[w + 4] = payloadOffset;
    this.#u32[w + 5] = payloadLength;
    this.#i32[w + 6] = 0;
    // Byte loops: for these few bytes cheaper than Buffer#copy's call into C++.
    const u8 = this.#u8;
    const at = i * ENTRY;
    for (let k = 0; k < sockaddr.length; k++) u8[at + SOCKADDR_AT + k] = sockaddr[k]!;
    for (let k = 0; k < headerLength; k++) u8[at + HEADER_AT + k] = header[k]!;
    this.#contexts[i] = context;
    this.#owners[i] = owner;
    this.#tags[i] = tag;
    this.#source = source;
    return true;
  }

  /** Sends what is queued and tells each owner its copy's result. */
  flush(): void {
    const n = this.#count;
    const source = this.#source;
    if (!n || !source) return;
    this.#count = 0;
    this.#source = undefined;
    this.#flushing = true;
    try {
      try {
        this.#send(this.#contexts, this.#entries, n, source);
      } catch {
        for (let i = 0; i < n; i++) this.#i32[(i * ENTRY) / 4 + 6] = -22; // EINVAL: each owner sends its copy alone
      }
      mediaCounters.sendBatches++;
      mediaCounters.sendBatchPackets += n;
      for (let i = 0; i < n; i++) {
        const w = (i * ENTRY) / 4;
        const owner = this.#owners[i]!;
        const tag = this.#tags[i]!;
        // No references kept past the flush: an endpoint released meanwhile is not held.
        this.#owners[i] = undefined;
        this.#tags[i] = undefined;
        const result = this.#i32[w + 6]!;
        // The header only for a copy that failed (its owner sends it another way): no allocation per copy.
        owner.batchSent(tag, result, result < 0 ? this.#entries.subarray(i * ENTRY + HEADER_AT, i * ENTRY + HEADER_AT + this.#u32[w]!) : NO_HEADER, source, this.#u32[w + 4]!, this.#u32[w + 5]!);
      }
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
  fastPath?.sendProtectedBatch && process.env.FLUO_BATCH !== '0' ? new SendBatch(fastPath.sendProtectedBatch.bind(fastPath)) : undefined;
