import type { RTCDtlsTransport, RTCPeerConnection } from 'werift';

/**
 * Every DTLS transport (and so ICE transport, with its sockets) werift has made for one
 * peer connection. werift forgets a transport when a BUNDLE answer moves its m-section
 * onto the group's transport (RFC 9143 §7.3.3: the other transports are then no longer
 * used), but never stops it: its sockets stay bound and keep answering connectivity
 * checks until the process ends, and `close()` does not reach it either. An offer of
 * audio, video and data thus left two transports behind per released endpoint: with
 * IPv6 and ICE-TCP on, 4 UDP sockets and 4 TCP listeners.
 */
export class DtlsTransportKeeper {
  readonly #pc: RTCPeerConnection;
  readonly #known = new Set<RTCDtlsTransport>();

  constructor(pc: RTCPeerConnection) {
    this.#pc = pc;
  }

  /** Takes note of the transports in use now (after a local or remote description). */
  note(): void {
    for (const t of this.#pc.dtlsTransports) this.#known.add(t);
  }

  /** Stops the transports werift no longer uses; resolves once their sockets are closed. */
  async stopUnused(): Promise<void> {
    const live = new Set(this.#pc.dtlsTransports);
    const unused = [...this.#known].filter((t) => !live.has(t));
    for (const t of unused) this.#known.delete(t);
    await Promise.allSettled(unused.map((t) => t.stop()));
    this.note();
  }

  /** After the peer connection closed: stops every transport it ever had. */
  async stopAll(): Promise<void> {
    const all = [...this.#known];
    this.#known.clear();
    await Promise.allSettled(all.map((t) => t.stop()));
  }
}
