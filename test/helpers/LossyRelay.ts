/**
 * A userspace UDP relay on loopback standing between a WebRTC peer and one of Fluo's
 * ICE candidates, losing some of Fluo's RTP on the way to the peer: a lossy link for
 * tests on a kernel without netem.
 *
 *   peer ──> [peerSide socket]  relay  [fluoSide socket] ──> Fluo's candidate
 *   peer <── [peerSide socket]  relay  [fluoSide socket] <── Fluo's candidate
 *                     (drops `lossRate` of the RTP in this direction)
 *
 * The peer is told Fluo is at `peerSide`; Fluo sees the peer at `fluoSide` (a candidate
 * the test hands it, or a peer-reflexive one). STUN goes through unchanged: ICE's
 * MESSAGE-INTEGRITY covers the message, not the addresses (RFC 8489 §14.5), and the
 * address that passed the checks is the one media later comes from, as ICE requires.
 *
 * Only RTP is ever dropped, classified by first byte as RFC 7983 §7 does (128..191),
 * without the RTCP payload types 192..223 of the second byte (RFC 5761 §4); STUN, DTLS
 * and SRTCP always pass. The SRTP header is plaintext (RFC 3711 §3.1), so the relay
 * reads each packet's SSRC, sequence number and payload type, and counts per SSRC.
 *
 * Losses are spread, not binomial: each SSRC earns `lossRate` of a drop per packet and
 * loses a packet whenever its credit passes a threshold drawn in [0.5, 1.5) from a
 * generator seeded with `seed` and the stream's payload type. So a stream of n packets
 * loses n x lossRate of them (±1) at irregular gaps, and the same seed drops the same
 * positions of each stream run after run: a short test sees the fraction it asked for.
 */
import dgram from 'node:dgram';
import { seeded } from './seeded.ts';

export interface Address { address: string; port: number }

export interface LossyRelayOptions {
  /** Fraction (0..1) of Fluo -> peer RTP datagrams dropped; may be changed later (`lossRate`). */
  lossRate?: number;
  /** Seed of the loss generator. */
  seed?: number;
  /** Fluo's candidate, if known already (else `setTarget`). */
  target?: Address;
  /**
   * Which DTLS datagrams (RFC 7983: first byte 20-63) to lose, asked of each one with
   * its direction: a handshake flight that goes missing on the way.
   */
  dropDtls?: (toward: 'peer' | 'fluo', datagram: Buffer) => boolean;
}

/** What the relay saw of one SSRC going to the peer. */
export interface SsrcCounters {
  /** RTP packets of this SSRC that arrived from Fluo (forwarded + dropped). */
  packets: number;
  forwarded: number;
  dropped: number;
  /** Payload types seen (RTX has its own, RFC 4588 §8.6). */
  payloadTypes: Set<number>;
  /** Sequence numbers of the dropped packets, in order. */
  droppedSeqs: number[];
  /** Sequence numbers of the first and latest packet. */
  firstSeq: number;
  lastSeq: number;
}

/** The loss process of one SSRC. */
interface LossState {
  readonly random: () => number;
  credit: number;
  threshold: number;
}

/** Datagrams that reached the relay, by direction and RFC 7983 class (`toPeer.rtp` includes the dropped). */
export interface RelayCounters {
  toPeer: { stun: number; dtls: number; rtp: number; rtcp: number; other: number };
  toFluo: { stun: number; dtls: number; rtp: number; rtcp: number; other: number };
  /**
   * Datagrams at `fluoSide` from an address that is not the target: another of Fluo's
   * sockets, a stranger, or Fluo's first checks if it had the peer's candidate before the
   * test gave the relay its target (ICE retransmits them).
   */
  strangers: number;
  /** Their sources, "address:port first-byte-class". */
  readonly strangerSources: Set<string>;
  /** Datagrams from Fluo before the peer's address was known. */
  noPeerYet: number;
  /** DTLS datagrams lost on purpose (`dropDtls`), by direction. */
  dtlsDropped: { toPeer: number; toFluo: number };
  /** Datagrams from Fluo that reached the relay while it was `cut`, by class. */
  toPeerWhileCut: { stun: number; dtls: number; rtp: number; rtcp: number; other: number };
}

type Class = 'stun' | 'dtls' | 'rtp' | 'rtcp' | 'other';

/** RFC 7983 §7 demultiplexing by first byte, and RTP/RTCP by second (RFC 5761 §4). */
export function classify(d: Buffer): Class {
  const b = d[0];
  if (b === undefined) return 'other';
  if (b <= 3) return 'stun';
  if (b >= 20 && b <= 63) return 'dtls';
  if (b >= 128 && b <= 191) return d.length > 1 && d[1]! >= 192 && d[1]! <= 223 ? 'rtcp' : 'rtp';
  return 'other';
}

const emptyClasses = () => ({ stun: 0, dtls: 0, rtp: 0, rtcp: 0, other: 0 });

export class LossyRelay {
  /** Fraction of Fluo -> peer RTP dropped from now on. */
  lossRate: number;
  /**
   * While true, nothing crosses either way (the peer vanished: a cable pulled, a laptop
   * closed); what Fluo still sends is counted in `counters.toPeerWhileCut`.
   */
  cut = false;
  readonly counters: RelayCounters = { toPeer: emptyClasses(), toFluo: emptyClasses(), strangers: 0, strangerSources: new Set(), noPeerYet: 0, dtlsDropped: { toPeer: 0, toFluo: 0 }, toPeerWhileCut: emptyClasses() };
  /** Fluo -> peer RTP by SSRC. */
  readonly ssrcs = new Map<number, SsrcCounters>();
  readonly #peerSide: dgram.Socket;
  readonly #fluoSide: dgram.Socket;
  readonly #seed: number;
  readonly #loss = new Map<number, LossState>();
  readonly #dropDtls: ((toward: 'peer' | 'fluo', datagram: Buffer) => boolean) | undefined;
  #target: Address | undefined;
  #peer: Address | undefined;
  #closing: Promise<void> | undefined;
  #open = 2;

  private constructor(peerSide: dgram.Socket, fluoSide: dgram.Socket, o: LossyRelayOptions) {
    this.#peerSide = peerSide;
    this.#fluoSide = fluoSide;
    this.lossRate = o.lossRate ?? 0;
    this.#seed = o.seed ?? 1;
    this.#target = o.target;
    this.#dropDtls = o.dropDtls;
    peerSide.on('message', (d, r) => this.#fromPeer(d, r));
    fluoSide.on('message', (d, r) => this.#fromFluo(d, r));
    // A send to a closed port gives ECONNREFUSED on some systems: a lossy link shrugs.
    for (const s of [peerSide, fluoSide]) s.on('error', () => undefined);
  }

  /** Binds both sockets on 127.0.0.1 (ephemeral ports). */
  static async open(o: LossyRelayOptions = {}): Promise<LossyRelay> {
    const bind = async (): Promise<dgram.Socket> => {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(0, '127.0.0.1', () => { s.off('error', reject); resolve(); });
      });
      return s;
    };
    const peerSide = await bind();
    const fluoSide = await bind().catch((e: Error) => { peerSide.close(); throw e; });
    return new LossyRelay(peerSide, fluoSide, o);
  }

  /** The address the peer must be given in place of Fluo's candidate. */
  get peerSide(): Address {
    return this.#address(this.#peerSide);
  }

  /** The address Fluo sees the peer at. */
  get fluoSide(): Address {
    return this.#address(this.#fluoSide);
  }

  /** Fluo's candidate that the peer's datagrams go to. */
  setTarget(a: Address): void {
    this.#target = { ...a };
  }

  get target(): Address | undefined {
    return this.#target;
  }

  /** The peer's address, learned from the last datagram it sent. */
  get peer(): Address | undefined {
    return this.#peer;
  }

  /** Sockets still open (0 after close). */
  get openSockets(): number {
    return this.#open;
  }

  /** Totals over all SSRCs: RTP packets from Fluo, and how many were dropped. */
  get totals(): { packets: number; dropped: number } {
    let packets = 0;
    let dropped = 0;
    for (const s of this.ssrcs.values()) { packets += s.packets; dropped += s.dropped; }
    return { packets, dropped };
  }

  /** Closes both sockets; safe to call again (the same promise). */
  close(): Promise<void> {
    this.#closing ??= Promise.all([this.#peerSide, this.#fluoSide].map((s) => new Promise<void>((resolve) => {
      try {
        s.close(() => { this.#open--; resolve(); });
      } catch {
        resolve(); // already closed
      }
    }))).then(() => undefined);
    return this.#closing;
  }

  /** Whether the next packet of `ssrc` is lost (see the class comment). */
  #lose(ssrc: number, payloadType: number): boolean {
    if (this.lossRate <= 0) return false;
    if (this.lossRate >= 1) return true;
    let l = this.#loss.get(ssrc);
    if (!l) {
      const random = seeded(this.#seed ^ Math.imul(payloadType + 1, 0x9e3779b9));
      // Half a loss of credit to start: the first loss falls anywhere in the first 1/lossRate packets.
      l = { random, credit: 0.5, threshold: 0.5 + random() };
      this.#loss.set(ssrc, l);
    }
    l.credit += this.lossRate;
    if (l.credit < l.threshold) return false;
    l.credit -= 1;
    l.threshold = 0.5 + l.random();
    return true;
  }

  #address(s: dgram.Socket): Address {
    const a = s.address();
    return { address: a.address, port: a.port };
  }

  #fromPeer(d: Buffer, from: dgram.RemoteInfo): void {
    if (this.#closing || this.cut) return;
    this.#peer = { address: from.address, port: from.port };
    const kind = classify(d);
    this.counters.toFluo[kind]++;
    if (kind === 'dtls' && this.#dropDtls?.('fluo', d)) {
      this.counters.dtlsDropped.toFluo++;
      return;
    }
    const t = this.#target;
    if (t) this.#fluoSide.send(d, t.port, t.address);
  }

  #fromFluo(d: Buffer, from: dgram.RemoteInfo): void {
    if (this.#closing) return;
    const t = this.#target;
    if (!t || from.port !== t.port || from.address !== t.address) {
      this.counters.strangers++;
      this.counters.strangerSources.add(`${from.address}:${from.port} ${classify(d)}`);
      return;
    }
    const peer = this.#peer;
    if (!peer) {
      this.counters.noPeerYet++;
      return;
    }
    const kind = classify(d);
    if (this.cut) {
      this.counters.toPeerWhileCut[kind]++;
      return;
    }
    this.counters.toPeer[kind]++;
    if (kind === 'dtls' && this.#dropDtls?.('peer', d)) {
      this.counters.dtlsDropped.toPeer++;
      return;
    }
    if (kind === 'rtp' && d.length >= 12) {
      const ssrc = d.readUInt32BE(8);
      const seq = d.readUInt16BE(2);
      let c = this.ssrcs.get(ssrc);
      if (!c) {
        c = { packets: 0, forwarded: 0, dropped: 0, payloadTypes: new Set(), droppedSeqs: [], firstSeq: seq, lastSeq: seq };
        this.ssrcs.set(ssrc, c);
      }
      c.packets++;
      c.lastSeq = seq;
      c.payloadTypes.add(d[1]! & 0x7f);
      if (this.#lose(ssrc, d[1]! & 0x7f)) {
        c.dropped++;
        c.droppedSeqs.push(seq);
        return;
      }
      c.forwarded++;
    }
    this.#peerSide.send(d, peer.port, peer.address);
  }
}
