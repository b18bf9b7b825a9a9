import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import type dgram from 'node:dgram';

/** An SRTP context held by the addon (keys set once); opaque to TypeScript. */
export type NativeSrtpContext = { readonly __nativeSrtpContext: unique symbol };

/**
 * The optional native fast path (native/fastpath.c, built by `npm run build:native`).
 * It does two things byte-for-byte as the TypeScript path does them, faster: SRTP
 * protection in place with keys set once, and a datagram onto a UDP socket's fd.
 */
export interface FastPath {
  srtpContext(profile: number, sessionKey: Buffer, sessionSalt: Buffer, authKey: Buffer): NativeSrtpContext;
  /** Encrypts `packet`'s payload and writes the tag after it; the packet's length, or -1. */
  protect(context: NativeSrtpContext, packet: Buffer, headerLength: number, payloadLength: number, roc: number): number;
  /**
   * Protects a compound RTCP packet's first `length` bytes in place with SRTCP index
   * `index` (the context made from SRTCP session keys), appending E || index and the
   * tag: the SRTCP length, or -1. Absent from addons built before it.
   */
  protectRtcp?(context: NativeSrtpContext, packet: Buffer, length: number, index: number): number;
  /**
   * Checks and decrypts a peer's SRTCP packet (its first `length` bytes) in place with
   * a context made from the peer's SRTCP session keys: the plain compound packet's
   * length, -1 when it does not authenticate, -2 when it was sent unencrypted. Absent
   * from addons built before it.
   */
  unprotectRtcp?(context: NativeSrtpContext, packet: Buffer, length: number): number;
  /** 0, or minus the errno of sendto(2). */
  sendTo(fd: number, packet: Buffer, length: number, sockaddr: Buffer): number;
  /**
   * Copies header + the source's payload into a per-thread scratch buffer, protects and
   * sends it: the bytes sent, 0 when SRTP refused the packet, or minus the errno.
   */
  sendProtected(
    context: NativeSrtpContext, header: Buffer, headerLength: number, source: Buffer, payloadOffset: number, payloadLength: number,
    roc: number, fd: number, sockaddr: Buffer,
  ): number;
  /**
   * The SRTP context the copies of record `slot` (SendRecords.ts) are protected with,
   * or null; held until replaced. Absent from addons built before it.
   */
  sinkContext?(slot: number, context: NativeSrtpContext | null): void;
  /**
   * One source packet's copies, one per entry of `entries` (a record slot and the
   * stream's history index each; SendBatch.ts gives the layout): each copy's header
   * written from its record, the record advanced, the copy protected, and all sent in
   * as few sendmmsg(2) calls as there are runs of one socket. Each entry gets its result
   * and outgoing sequence number. `now`: wall-clock ms. Absent from addons built before it.
   */
  forwardBatch?(records: Buffer, rings: Buffer, entries: Buffer, count: number, source: Buffer, now: number): number;
  /**
   * Reads a UDP socket's datagrams natively (native/datagram_in.c): a batch at a time
   * into `slab`, described in `meta`, then `callback(count)`. DatagramIn.ts gives the
   * layout. Absent from addons built before it.
   */
  recvStart?(fd: number, slab: Buffer, meta: Buffer, callback: (count: number) => void): NativeReader;
  /** Stops a reader and closes its descriptor (idempotent). */
  recvStop?(reader: NativeReader): void;
}

/** A native reader of one socket (recvStart); opaque to TypeScript. */
export type NativeReader = { readonly __nativeReader: unique symbol };

/**
 * The addon when it was built and is allowed: FLUO_NATIVE=0 turns it off (to compare
 * both paths, or to rule it out). Linux only: sockaddr layouts below are Linux's.
 */
function load(): FastPath | undefined {
  if (process.env.FLUO_NATIVE === '0' || os.platform() !== 'linux') return undefined;
  try {
    return createRequire(import.meta.url)('../../../native/build/Release/fluo_fastpath.node') as FastPath;
  } catch {
    return undefined;
  }
}

export const fastPath: FastPath | undefined = load();

/**
 * Whether a sendto(2) result (minus the errno) means "the socket's buffer is full now"
 * (EAGAIN, ENOBUFS on Linux): nothing went, and trying again later may work. A
 * forwarded copy is then dropped, as a congested link would (SelectedPairRoute);
 * DatagramOut hands the datagram to libuv's queue instead.
 */
export const bufferFull = (result: number): boolean => result === -11 || result === -105;

const AF_INET = 2;
const AF_INET6 = 10;
const little = os.endianness() === 'LE';

/**
 * A Linux struct sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes) for an IP literal:
 * sa_family in host order, the port in network order. Undefined for a host name.
 */
export function udpAddress(host: string, port: number): Buffer | undefined {
  const family = net.isIP(host);
  if (!family || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  const b = Buffer.alloc(family === 4 ? 16 : 28);
  if (little) b.writeUInt16LE(family === 4 ? AF_INET : AF_INET6, 0);
  else b.writeUInt16BE(family === 4 ? AF_INET : AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  if (family === 4) {
    host.split('.').forEach((o, i) => { b[4 + i] = Number(o); });
  } else {
    const words = expandIPv6(host.replace(/%.*$/, ''));
    if (!words) return undefined;
    words.forEach((w, i) => b.writeUInt16BE(w, 8 + i * 2));
  }
  return b;
}

/** The eight 16-bit words of an IPv6 literal (with :: and an embedded IPv4 tail). */
function expandIPv6(host: string): number[] | undefined {
  let h = host;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    h = `${h.slice(0, -v4[1]!.length)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = h.split('::') as [string, string | undefined];
  const a = head ? head.split(':') : [];
  const b = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - a.length - b.length;
  const words = [...a, ...new Array<string>(Math.max(fill, 0)).fill('0'), ...b].map((x) => parseInt(x, 16));
  return words.length === 8 && words.every((w) => w >= 0 && w <= 0xffff) ? words : undefined;
}

/** What Fluo uses of a bound dgram socket's libuv handle (Node's UDPWrap). */
export interface UdpHandle {
  readonly fd: number;
  /** Stops libuv reading the socket for Node ('message' events end); 0 or a libuv error. */
  recvStop(): number;
}

/**
 * A bound dgram socket's handle and a check that it is still the socket's, or undefined
 * for a socket that is not open. Node keeps the handle behind a symbol (the `_handle`
 * accessor is deprecated, DEP0112); once the socket is closed Node drops it.
 */
function udpHandle(socket: dgram.Socket): SocketRef | undefined {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const state = key ? (socket as unknown as Record<symbol, { handle?: Partial<UdpHandle> | null } | undefined>)[key] : undefined;
  const handle = state?.handle;
  if (!state || !handle || typeof handle.fd !== 'number' || handle.fd < 0 || typeof handle.recvStop !== 'function') return undefined;
  return { fd: handle.fd, handle: handle as UdpHandle, state: state as SocketRef['state'] };
}

/**
 * An open dgram socket's descriptor with what tells whether it is still open: Node
 * drops the socket's handle from `state` when the socket closes (and libuv closes the
 * descriptor at once, so its number may go to the next file opened). The handle object
 * identifies the open socket: comparing it (`state.handle === handle`) costs one load
 * per packet, where reading `fd` again would ask libuv every time.
 */
export interface SocketRef {
  readonly fd: number;
  readonly handle: UdpHandle;
  readonly state: { readonly handle?: unknown };
}

/** The socket's descriptor and liveness check (SocketRef), or undefined for a socket that is not open. */
export function socketRef(socket: dgram.Socket): SocketRef | undefined {
  return udpHandle(socket);
}

/**
 * A reader of a dgram socket's file descriptor, or undefined for a socket that is not
 * open. The reader answers undefined once the socket is closed, so a closed socket's
 * number, which the kernel may give to another file, is never written to. Reading it
 * does not change the socket: libuv keeps sending and receiving on it as before.
 */
export function socketFd(socket: dgram.Socket): (() => number | undefined) | undefined {
  const h = udpHandle(socket);
  if (!h) return undefined;
  const { fd, handle, state } = h;
  return () => (state.handle === handle ? fd : undefined);
}

/** The open socket's handle (for DatagramIn, which takes its reading over), or undefined. */
export function openUdpHandle(socket: dgram.Socket): UdpHandle | undefined {
  return udpHandle(socket)?.handle;
}
