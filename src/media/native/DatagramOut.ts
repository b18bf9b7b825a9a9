import type dgram from 'node:dgram';
import { bufferFull, fastPath, socketFd, udpAddress, type FastPath } from './fastpath.ts';

/** Datagrams a destination keeps Node's path for after sendto refused it. */
const RETRY_AFTER = 1000;

/**
 * Datagrams out of a bound dgram socket to IP literals, through the native fast path's
 * sendto(2) when it is built. Node's own `socket.send` costs more than the hop it makes
 * between a media worker and a media engine: it defers to the next tick, looks the
 * address up, allocates a send request and calls back. Measured here with a bare relay
 * (a 1 Mbps VP8 stream in, out again, 2026-12-07): 0.75-0.95% of a core through
 * `socket.send`, 0.35% through sendto on the socket's descriptor, where gst-launch's
 * udpsrc ! udpsink takes 0.2%. Receiving is DatagramIn's (recvmmsg(2) through the addon).
 * Without the addon, for a host name, or when sendto fails, the datagram goes through
 * `socket.send`, so nothing is lost to the fast path: a full send buffer (EAGAIN), which
 * libuv queues until the socket is writable as Node always did, and any other error,
 * after which this destination keeps Node's path for RETRY_AFTER datagrams (an IPv4
 * literal on an IPv6-only socket, or EPERM from a firewall rule, would fail every time;
 * a route that flapped comes back).
 */
export class DatagramOut {
  readonly #socket: dgram.Socket;
  readonly #native: FastPath | undefined;
  #fd: (() => number | undefined) | undefined;
  /** The last destination's struct sockaddr, kept while packets keep going there. */
  #host = '';
  #port = 0;
  #to: Buffer | undefined;
  /** Datagrams left to send through Node before sendto is tried again for this destination. */
  #nodeFor = 0;
  /** Datagrams handed to Node because sendto found the send buffer full, or failed. */
  handedOver = 0;

  constructor(socket: dgram.Socket, native: FastPath | undefined = fastPath) {
    this.#socket = socket;
    this.#native = native;
  }

  send(packet: Buffer, port: number, host: string): void {
    const fd = this.#native ? (this.#fd ??= socketFd(this.#socket))?.() : undefined;
    if (fd !== undefined) {
      if (port !== this.#port || host !== this.#host) {
        this.#host = host;
        this.#port = port;
        this.#to = udpAddress(host, port);
        this.#nodeFor = 0;
      }
      if (this.#to && this.#nodeFor === 0) {
        const r = this.#native!.sendTo(fd, packet, packet.length, this.#to);
        if (r >= 0) return;
        this.handedOver++;
        if (!bufferFull(r)) this.#nodeFor = RETRY_AFTER;
      } else if (this.#nodeFor > 0) this.#nodeFor--;
    }
    try {
      this.#socket.send(packet, port, host);
    } catch {
      // A socket closed under the sender: nothing to send on.
    }
  }
}
