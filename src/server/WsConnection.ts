import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { RpcConnection } from '../rpc/RpcConnection.ts';
import { Logger } from '../log/Logger.ts';

const log = Logger.get('KurentoWebSocketTransport');

/** What the connection does with one text frame: the reply, if any. */
export type FrameHandler = (text: string, conn: RpcConnection) => string | undefined | Promise<string | undefined>;

export interface SendBufferLimits {
  /** Bytes of unsent output over which the connection's requests are no longer read. */
  readonly pause: number;
  /** Bytes of unsent output over which the connection is closed. */
  readonly close: number;
  /** Seconds the output may stay over `pause` before the connection is closed. */
  readonly timeout: number;
}

/**
 * Requests queued behind an asynchronous one past which the connection is no longer
 * read: each may be a whole `maxMessageSize` frame held in memory meanwhile.
 */
const MAX_QUEUED = 256;

/**
 * Milliseconds of frame processing one connection gets per turn of the event loop.
 * ws hands over every frame of a socket read at once (64 KiB: hundreds of small
 * requests); processed in one go, a pipelining client held the loop 30-100 ms while
 * other clients' requests waited (issue 16, defect 7, measured by test/fuzz/jsonrpc).
 */
const SLICE_MS = 2;

/**
 * Close code for a client that does not read what it asked for: 1008 "policy
 * violation" (RFC 6455 section 7.4.1); the reason says which bound it broke.
 */
const CLOSE_NOT_READING = 1008;

/**
 * One WebSocket as an RpcConnection: in-order processing of its requests, a fair share
 * of the event loop, and backpressure on its output.
 */
export class WsConnection implements RpcConnection {
  sessionId: string | undefined;
  #queue: Promise<void> | undefined;
  #pending = 0;
  #corked = false;
  /** Reading stopped for backpressure (output over the bound, or too many queued). */
  #paused = false;
  #stallTimer: NodeJS.Timeout | undefined;
  /** Frames received but not processed yet: over this turn's slice, or while paused. */
  readonly #inbox: string[] = [];
  #draining = false;
  /** When this turn's processing of this connection started (undefined: not yet). */
  #sliceStart: number | undefined;
  #handler: FrameHandler | undefined;

  constructor(readonly id: number, private readonly ws: WebSocket, private readonly limits: SendBufferLimits) {
    this.#socket?.on('drain', () => this.#flow());
  }

  get #socket(): Socket | undefined {
    return (this.ws as unknown as { _socket?: Socket })._socket;
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /**
   * Requests are processed in arrival order (clients pipeline them: kurento-client
   * sends processOffer then gatherCandidates without waiting). Synchronous answers go
   * out at once; once an asynchronous one is pending, later frames wait behind it.
   * Past its slice of this turn, or while paused, a frame waits in the inbox and the
   * socket is not read until the inbox is empty again.
   */
  process(text: string, handler: FrameHandler): void {
    this.#handler = handler;
    if (!this.open) return;
    if (this.#paused || this.#inbox.length > 0 || this.#overSlice()) {
      this.#inbox.push(text);
      this.#reading();
      this.#scheduleDrain();
      return;
    }
    this.#process(text, handler);
  }

  #overSlice(): boolean {
    const now = performance.now();
    if (this.#sliceStart === undefined) {
      this.#sliceStart = now;
      setImmediate(() => { this.#sliceStart = undefined; });
      return false;
    }
    return now - this.#sliceStart > SLICE_MS;
  }

  #scheduleDrain(): void {
    if (this.#draining || this.#paused || this.#inbox.length === 0) return;
    this.#draining = true;
    setImmediate(() => {
      this.#draining = false;
      this.#drain();
    });
  }

  /** One slice of the inbox, in a later turn of the loop (other connections went first). */
  #drain(): void {
    if (!this.open || !this.#handler) return;
    const start = performance.now();
    while (this.#inbox.length && !this.#paused && performance.now() - start < SLICE_MS) {
      this.#process(this.#inbox.shift()!, this.#handler);
    }
    this.#reading();
    this.#scheduleDrain();
  }

  /** The socket is read only while nothing waits in the inbox and output is not held up. */
  #reading(): void {
    const stop = this.#paused || this.#inbox.length > 0;
    if (stop && !this.ws.isPaused) this.ws.pause();
    else if (!stop && this.ws.isPaused && this.open) this.ws.resume();
  }

  /**
   * Backpressure (issue 16, defect 3). A client that sends requests but never reads its
   * socket made the server buffer every answer without bound. While the unsent output
   * (ws's `bufferedAmount`: the socket's write queue and ws's own) is over
   * `limits.pause`, or too many requests wait behind an asynchronous one, this
   * connection's socket is not read: its requests stay in the kernel and in the
   * client, not in our memory. Output over `limits.close`, or over `limits.pause`
   * for `limits.timeout` seconds, closes the connection with 1008.
   */
  #flow(): void {
    if (!this.open) return;
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.limits.close) {
      this.#shut(`output of ${buffered} bytes unread, over mediaServer.resources.sendBufferClose (${this.limits.close})`);
      return;
    }
    const over = buffered > this.limits.pause;
    if (over && !this.#stallTimer) {
      this.#stallTimer = setTimeout(() => {
        this.#shut(`output over mediaServer.resources.sendBufferPause (${this.limits.pause} bytes) unread for mediaServer.resources.sendBufferTimeout (${this.limits.timeout} s)`);
      }, this.limits.timeout * 1000);
      this.#stallTimer.unref();
    } else if (!over && this.#stallTimer) {
      clearTimeout(this.#stallTimer);
      this.#stallTimer = undefined;
    }
    const pause = over || this.#pending > MAX_QUEUED;
    if (pause !== this.#paused) {
      this.#paused = pause;
      this.#reading();
      this.#scheduleDrain();
    }
  }

  #shut(reason: string): void {
    log.warn(`connection ${this.id} closed (${CLOSE_NOT_READING}): the client does not read its answers: ${reason}`);
    this.#stop();
    // The close frame waits behind the unread output: a client that reads again within
    // a grace period gets it; otherwise the socket is destroyed.
    this.ws.close(CLOSE_NOT_READING, 'client does not read its answers');
    // Read again, for the client's answering close frame (later requests are dropped).
    this.#paused = false;
    this.ws.resume();
    setTimeout(() => this.ws.terminate(), 5000).unref();
  }

  /** Ends the stall timer and drops unread frames (the connection is closing). */
  #stop(): void {
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    this.#inbox.length = 0;
  }

  closed(): void {
    this.#stop();
  }

  /**
   * Answers and events written in one turn of the event loop leave in one write: the
   * socket stays corked until setImmediate. Without it every frame cost a writev
   * syscall of its own, 40% of the main thread's time under pipelined load
   * (`npm run bench` with FLUO_CPU_PROF set).
   */
  send(text: string): void {
    if (!this.open) return;
    const socket = this.#socket;
    if (socket && !this.#corked) {
      this.#corked = true;
      socket.cork();
      setImmediate(() => {
        this.#corked = false;
        socket.uncork();
      });
    }
    this.ws.send(text);
    this.#flow();
  }

  #process(text: string, handler: FrameHandler): void {
    if (this.#pending === 0) {
      const r = safe(() => handler(text, this));
      if (!(r instanceof Promise)) {
        if (r !== undefined) this.send(r);
        return;
      }
      this.#chain(r);
      return;
    }
    this.#chain(Promise.resolve(this.#queue).then(() => safe(() => handler(text, this))));
  }

  #chain(p: Promise<string | undefined> | string | undefined): void {
    this.#pending++;
    if (this.#pending > MAX_QUEUED) this.#flow();
    const done = Promise.resolve(p).then(
      (r) => { if (r !== undefined) this.send(r); },
      (err: unknown) => log.error(`request failed: ${String(err)}`),
    ).finally(() => {
      this.#pending--;
      if (this.#paused) this.#flow();
    });
    this.#queue = done;
  }
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    log.error(`unhandled error processing a frame: ${err instanceof Error ? err.stack : String(err)}`);
    return undefined;
  }
}
