import type dgram from 'node:dgram';
import { bufferFull, fastPath, socketFd, udpAddress, type FastPath } from './fastpath.ts';

/**
 * Datagrams out of a bound dgram socket to IP literals, through the native fast path's
 * sendto(2) when it is built. Node's own `socket.send` costs more than the hop it makes
 * between a media worker and a media engine: it defers to the next tick, looks the
 * address up, allocates a send request and calls back. Measured here with a bare relay
 * (a 1 Mbps VP8 stream in, out again, 2026-12-07): 0.75-0.95% of a core through
 * `socket.send`, 0.35% through sendto on the socket's descriptor, where gst-launch's
 * udpsrc ! udpsink takes 0.2%. Receiving stays Node's (the socket's 'message' events).
 * Without the addon, for a host name, or when sendto fails for another reason than a
 * full buffer, it falls back to `socket.send`, so nothing is ever lost to the fast path.
 */
export class DatagramOut {
  readonly #socket: dgram.Socket;
  readonly #native: FastPath | undefined;
  #fd: (() => number | undefined) | undefined;
  /** The last destination's struct sockaddr, kept while packets keep going there. */
  #host = '';
  #port = 0;
  #to: Buffer | undefined;
  /** Datagrams dropped because the socket's send buffer was full. */
  dropped = 0;

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
      }
      if (this.#to) {
        const r = this.#native!.sendTo(fd, packet, packet.length, this.#to);
        if (r >= 0) return;
        if (bufferFull(r)) { this.dropped++; return; }
        // Refused for this destination (ENETUNREACH for an IPv4 literal on an IPv6-only
        // socket, EPERM from a firewall rule, ...): Node's path from now on, until the
        // destination changes, rather than a failed sendto before each of its sends.
        this.#to = undefined;
      }
    }
    try {
      this.#socket.send(packet, port, host);
    } catch {
      // A socket closed under the sender: nothing to send on.
    }
  }
}
