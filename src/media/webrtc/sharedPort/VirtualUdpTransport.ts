import type dgram from 'node:dgram';
import type { SharedUdpPort } from './SharedUdpPort.ts';

export type Address = [string, number];

/**
 * What werift's StunProtocol takes as its UDP transport (werift's UdpTransport: `type`,
 * `socket`, `address`, `addressFamily`, `onData`, `send`, `close`), on the worker's
 * shared socket instead of a socket of its own. `socket` is the shared one, so the
 * native fast path (SelectedPairRoute) sends SRTP through the same port.
 */
export class VirtualUdpTransport {
  readonly type = 'udp';
  readonly #port: SharedUdpPort;
  readonly socket: dgram.Socket;
  readonly family: 'udp4' | 'udp6';
  closed = false;
  onData: (data: Buffer, addr: Address) => void = () => undefined;

  constructor(port: SharedUdpPort, socket: dgram.Socket, family: 'udp4' | 'udp6') {
    this.#port = port;
    this.socket = socket;
    this.family = family;
  }

  get address(): { address: string; port: number } {
    return this.socket.address();
  }

  /** 4 or 6, as werift's UdpTransport says it (its STUN client resolves names with it). */
  get addressFamily(): 4 | 6 {
    return this.family === 'udp4' ? 4 : 6;
  }

  /** Whether `addr` is the shared port itself: another endpoint of this worker. */
  isOwnAddress(addr: Address): boolean {
    return this.#port.isOwnAddress(addr);
  }

  async send(data: Buffer, addr: Address): Promise<void> {
    if (this.closed) return;
    // To another endpoint of this worker (two WebRtcEndpoints connected to each other):
    // both sides of such a pair have the same address, so the kernel's copy could not be
    // told apart on arrival; it is handed over in the worker instead.
    if (this.#port.isOwnAddress(addr)) return this.#port.loopback(this, data, addr);
    this.#port.sent(this, data, addr);
    await new Promise<void>((resolve) => this.socket.send(data, addr[1], addr[0], () => resolve()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.#port.remove(this);
  }
}
