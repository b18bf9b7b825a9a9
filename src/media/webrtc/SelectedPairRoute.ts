import type dgram from 'node:dgram';
import { bufferFull, fastPath, socketRef, udpAddress, type FastPath, type SocketRef } from '../native/fastpath.ts';
import type { SrtpEncryptor } from '../rtp/SrtpEncryptor.ts';

/** The parts of werift-ice's Connection and CandidatePair the route reads (private in werift's types). */
interface PairLike {
  readonly remoteAddr: readonly [string, number];
  readonly protocol: {
    readonly type?: string;
    readonly transport?: { readonly type?: string; readonly closed?: boolean; readonly socket?: dgram.Socket; isOwnAddress?(addr: [string, number]): boolean };
  };
}
export interface ConnectionLike {
  readonly nominated?: PairLike;
  /** werift-ice: a pair is selected and its consent is fresh (RFC 7675). */
  canSendApplicationData?(): boolean;
}

/**
 * Where a WebRTC connection's packets go when the native fast path can take them: the
 * selected candidate pair's UDP socket and remote address (RFC 8445 §12: media goes on
 * the selected pair). A pair over TURN or ICE-TCP, or a host name, has no route here and
 * keeps werift's path, which frames and relays it. The route follows the connection: a
 * new selected pair (ICE restart, nomination change) or a closed socket makes a new one.
 */
export class SelectedPairRoute {
  readonly #pair: PairLike | undefined;
  readonly #connection: ConnectionLike;
  readonly #socket: SocketRef | undefined;
  readonly #to: Buffer | undefined;
  /** The pair's transport (fixed for a pair), kept so each packet reads one object, not three. */
  readonly #transport: { readonly closed?: boolean } | undefined;
  readonly #native: FastPath | undefined;
  /** Packets the socket refused because its send buffer was full. */
  dropped = 0;

  private constructor(connection: ConnectionLike, pair: PairLike | undefined, native: FastPath | undefined) {
    this.#connection = connection;
    this.#pair = pair;
    this.#native = native;
    const t = pair?.protocol.transport;
    // A pair to another endpoint of this worker's shared port goes through werift's path,
    // which hands the packet over in the worker (VirtualUdpTransport.send).
    const self = pair !== undefined && t?.isOwnAddress?.([pair.remoteAddr[0], pair.remoteAddr[1]]) === true;
    const socket = native && !self && pair?.protocol.type === 'stun' && t?.type === 'udp' && !t.closed ? t.socket : undefined;
    this.#socket = socket && pair ? socketRef(socket) : undefined;
    this.#to = this.#socket && pair ? udpAddress(pair.remoteAddr[0], pair.remoteAddr[1]) : undefined;
    this.#transport = t;
  }

  /** The route for a connection's selected pair now (one without a socket when there is none); `native` null: no fast path. */
  static of(connection: ConnectionLike, native: FastPath | null = fastPath ?? null): SelectedPairRoute {
    return new SelectedPairRoute(connection, connection.nominated, native ?? undefined);
  }

  /** Whether this route still describes the connection's selected pair. */
  follows(connection: ConnectionLike): boolean {
    return connection.nominated === this.#pair;
  }

  /**
   * Sends a packet on the pair's socket: true when it went (or was dropped by a full
   * buffer), false when this route cannot send it and the caller should use werift's path.
   */
  send(packet: Buffer): boolean {
    if (!this.consented) return true;
    const fd = this.#liveFd();
    return fd !== undefined && this.#settled(this.#native!.sendTo(fd, packet, packet.length, this.#to!));
  }

  /**
   * Protects (with `srtp`'s native context) and sends one RTP packet given as our header
   * and the source packet whose payload it carries, without a buffer per packet. The
   * bytes sent; 0 when nothing went but nothing is left to do (a full socket buffer, or
   * an index SRTP refuses); -1 when this route cannot send it and the caller should
   * protect it in TypeScript and use werift's path.
   */
  sendProtected(srtp: SrtpEncryptor, header: Buffer, headerLength: number, source: Buffer, payloadOffset: number, payloadLength: number, roc: number): number {
    return this.consented ? this.sendConsented(srtp, header, headerLength, source, payloadOffset, payloadLength, roc) : 0;
  }

  /** `sendProtected` for a caller that checked consent itself a moment ago (ForwardingSender's checked streams). */
  sendConsented(srtp: SrtpEncryptor, header: Buffer, headerLength: number, source: Buffer, payloadOffset: number, payloadLength: number, roc: number): number {
    const fd = this.#liveFd();
    if (fd === undefined) return -1;
    const r = srtp.sendProtected(header, headerLength, source, payloadOffset, payloadLength, fd, this.#to!, roc);
    if (r === undefined) return -1;
    return r >= 0 ? r : this.#settled(r) ? 0 : -1;
  }

  /**
   * The socket descriptor and destination a native sender (SendRecord) may use now,
   * or undefined when this route cannot send natively. Valid only until the socket
   * closes: callers ask `live` again before each use.
   */
  get target(): { readonly fd: number; readonly to: Buffer } | undefined {
    const fd = this.#liveFd();
    return fd === undefined ? undefined : { fd, to: this.#to! };
  }

  /** Whether the socket `target` gave is still open (checked per copy: a closed descriptor's number may belong to another file). */
  get live(): boolean {
    const s = this.#socket;
    return s !== undefined && s.state.handle === s.handle && this.#to !== undefined && this.#transport?.closed !== true;
  }

  /** Whether a send's result leaves nothing to do (see #settled): for copies sent in a batch. */
  settle(result: number): boolean {
    return this.#settled(result);
  }

  /**
   * Whether media may go to the peer: an agent "MUST cease transmission" on a pair
   * whose consent expired (RFC 7675 §5.1). werift checks it on its own send path; the
   * fast path bypasses that path, so it asks too. Packets without consent are dropped
   * whichever path would have taken them.
   */
  get consented(): boolean {
    return this.#connection.canSendApplicationData?.() !== false;
  }

  /** The socket's descriptor while this route can send on it (socket open, transport not closed). */
  #liveFd(): number | undefined {
    return this.live ? this.#socket!.fd : undefined;
  }

  /** Whether a sendto(2) result leaves nothing to do: sent, or dropped by a full buffer (counted). */
  #settled(result: number): boolean {
    if (result >= 0) return true;
    if (!bufferFull(result)) return false;
    this.dropped++;
    return true;
  }
}
