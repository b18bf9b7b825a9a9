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
    for (const t of all) endRetransmissions(t);
  }
}

/** werift's DTLS socket and handshake state, as far as `endRetransmissions` reads them (private in werift's types). */
interface DtlsStateLike {
  dtls?: { dtls?: { flight: number } };
}

/**
 * A werift DTLS flight is retransmitted, up to 10 times over 27.5 s, until the
 * handshake state reaches the flight that answers it; closing the transport does not
 * end it (nor its timer). A flight number past every flight makes each such loop end
 * when it next wakes.
 */
function endRetransmissions(t: RTCDtlsTransport): void {
  const state = (t as unknown as DtlsStateLike).dtls?.dtls;
  if (state) state.flight = Number.MAX_SAFE_INTEGER;
}
