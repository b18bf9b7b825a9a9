import type dgram from 'node:dgram';
import { fastPath, openUdpHandle, type FastPath, type NativeReader } from './fastpath.ts';

/** The slab layout native/datagram_in.c writes (SLOTS, SLOT, META_WORDS there). */
const SLOTS = 32;
const SLOT = 9216;
const META_WORDS = 8;

/** One datagram: a Buffer of its own (the handler may keep it), and where it came from. */
export type DatagramHandler = (packet: Buffer, address: string, port: number) => void;

/** The slab and meta of this thread: a batch is read out before the next is taken, so every reader of the thread shares them. */
let shared: { slab: Buffer; meta: Uint32Array; metaBytes: Buffer } | undefined;

/**
 * Datagrams in from a bound IPv4 dgram socket, through the native fast path's
 * recvmmsg(2) reader when it is built (native/datagram_in.c says what that saves), else
 * through the socket's 'message' events; the handler sees the same either way. The
 * socket stays Node's for sending. `close()` before closing the socket: the reader
 * holds a duplicate of its descriptor, so the port is not free until it is closed (a
 * socket closed first closes the reader on its 'close' event).
 *
 * Where the native reader differs from Node's events: a batch's datagrams all reach the
 * handler, and only the first error one of them throws is raised (after the batch);
 * datagrams over 9216 bytes are dropped and counted (`truncated`: RTP stays under the
 * MTU); the reader keeps the loop alive as a ref'd socket does (`socket.unref()` does not
 * reach it).
 */
export class DatagramIn {
  readonly #handler: DatagramHandler;
  readonly #native: FastPath | undefined;
  #reader: NativeReader | undefined;
  #closed = false;
  /** The last sender's address word (its four bytes in network order), and as a string. */
  #lastWord = -1;
  #lastAddress = '';
  /** Datagrams dropped for not fitting a slot (9216 bytes). */
  truncated = 0;

  /** `native`: the addon, or null to read through Node's events (tests compare both). */
  constructor(socket: dgram.Socket, handler: DatagramHandler, native: FastPath | null | undefined = fastPath) {
    this.#handler = handler;
    this.#native = native ?? undefined;
    const handle = native?.recvStart && socket.address().family === 'IPv4' ? openUdpHandle(socket) : undefined;
    if (handle) {
      shared ??= newSlab();
      try {
        this.#reader = native!.recvStart!(handle.fd, shared.slab, shared.metaBytes, (n) => this.#batch(n));
      } catch {
        this.#reader = undefined;
      }
      if (this.#reader && handle.recvStop() !== 0) {
        // Node keeps reading: its events stay the path, the native reader goes.
        native!.recvStop!(this.#reader);
        this.#reader = undefined;
      }
    }
    if (!this.#reader) socket.on('message', (msg, rinfo) => { if (!this.#closed) handler(msg, rinfo.address, rinfo.port); });
    socket.once('close', () => this.close());
  }

  /** Whether the native reader reads the socket. */
  get native(): boolean {
    return this.#reader !== undefined;
  }

  /** A batch of `n` datagrams in the slab: each copied out and handed over, in order. */
  #batch(n: number): void {
    const { slab, meta, metaBytes } = shared!;
    let error: unknown;
    for (let i = 0; i < n && !this.#closed; i++) {
      const m = i * META_WORDS;
      if (meta[m + 2] !== 4) {
        this.truncated++;
        continue;
      }
      const length = meta[m]!;
      const packet = Buffer.allocUnsafe(length);
      slab.copy(packet, 0, i * SLOT, i * SLOT + length);
      try {
        this.#handler(packet, this.#address(meta[m + 4]!, metaBytes, (m + 4) * 4), meta[m + 1]!);
      } catch (err) {
        // The next datagrams still go to the handler; the first error then goes where a
        // throwing 'message' listener's would (the addon passes it to the uncaught path).
        error ??= err;
      }
    }
    if (error !== undefined) throw error;
  }

  /** The dotted address whose four bytes are at `bytes[at]` (`word`: the same bytes as one number, to compare). */
  #address(word: number, bytes: Buffer, at: number): string {
    if (word !== this.#lastWord) {
      this.#lastWord = word;
      this.#lastAddress = `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
    }
    return this.#lastAddress;
  }

  /** Stops reading (idempotent); the native reader's descriptor is closed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#reader) this.#native!.recvStop!(this.#reader);
  }
}

function newSlab(): { slab: Buffer; meta: Uint32Array; metaBytes: Buffer } {
  const metaBytes = Buffer.alloc(SLOTS * META_WORDS * 4);
  return { slab: Buffer.alloc(SLOTS * SLOT), meta: new Uint32Array(metaBytes.buffer, metaBytes.byteOffset, SLOTS * META_WORDS), metaBytes };
}
