import net from 'node:net';
import type { RTCPeerConnection } from 'werift';
import { forEachIceProtocol } from './iceProtocols.ts';
import { STUN, messageIntegrity } from './stun.ts';
import { mediaCounters, type MediaCounterValues } from '../worker/mediaCounters.ts';

/** What IceGuard dropped, by reason (reported in the transport stats). */
export interface IceGuardCounters {
  /** Non-STUN datagrams from an address that is no remote candidate of any pair (RFC 8445 §7.3, §11). */
  unknownAddress: number;
  /** Datagrams of no RFC 7983 class, or whose DTLS records or RTP/RTCP header cannot be read. */
  malformed: number;
  /** DTLS alerts after the handshake that are not authenticated by the session keys. */
  unauthenticatedAlert: number;
  /** STUN binding requests without our ufrag or a valid MESSAGE-INTEGRITY (RFC 8445 §7.3). */
  unauthenticatedStun: number;
}

/** The parts of werift-ice's objects the guard reads; werift keeps them private in its types. */
type Receive = (data: Buffer, addr: [string, number]) => void;
/** werift-ice's protocols: host UDP (datagramReceived), STUN over TURN (handleStunMessage), ICE-TCP (handleFrame). */
interface UdpProtocol {
  datagramReceived?: Receive;
  handleStunMessage?: Receive;
  handleFrame?: Receive;
}
const RECEIVERS = ['datagramReceived', 'handleStunMessage', 'handleFrame'] as const;
interface PairLike {
  remoteCandidate: { host: string; port: number };
}
interface ConnectionLike {
  checkList: PairLike[];
  localUsername: string;
  localPassword: string;
  userHistory?: Record<string, string>;
}
interface CipherLike {
  decryptPacket(pkt: { recordLayerHeader: RecordHeader; fragment: Buffer }): Buffer;
}
interface RecordHeader {
  contentType: number;
  protocolVersion: { major: number; minor: number };
  epoch: number;
  sequenceNumber: number;
  contentLen: number;
}

/** Each IceGuard drop reason's worker-wide counter (/metrics). */
const DROP_COUNTERS: Record<keyof IceGuardCounters, keyof MediaCounterValues> = {
  unknownAddress: 'droppedUnknownAddress', malformed: 'droppedMalformed',
  unauthenticatedAlert: 'droppedUnauthenticatedAlert', unauthenticatedStun: 'droppedUnauthenticatedStun',
};
const DTLS_HEADER = 13;
const CONTENT_ALERT = 21;

/**
 * A filter in front of werift's ICE sockets, so a stranger's datagrams cannot reach
 * DTLS or SRTP. werift hands every non-STUN datagram that reaches a local candidate to
 * its DTLS layer whatever its source, and that layer closes the session on any record
 * whose content type it does not know, or on a plaintext alert: one spoofed datagram
 * was enough to end a call (test/media/hostile.test.ts). werift also answers binding
 * requests without checking their credentials, so a stranger became a peer-reflexive
 * candidate and could even be nominated. The guard:
 *  - passes a STUN binding request only with our ufrag in USERNAME and a
 *    MESSAGE-INTEGRITY made with our password (RFC 8445 §7.3, RFC 5389 §10.1.2); other
 *    STUN goes on (werift checks responses against its own transactions);
 *  - drops other datagrams unless they come from the remote address of a candidate pair
 *    (a known or peer-reflexive candidate, which needs an authenticated check first);
 *  - demultiplexes by first byte as RFC 7983 §7 does, and drops DTLS datagrams whose
 *    record layer is not well-formed DTLS 1.0/1.2 (RFC 6347 §4.1: invalid records are
 *    discarded silently), RTP/RTCP shorter than their fixed headers, and anything else;
 *  - once DTLS is up, drops alerts that the session keys do not authenticate.
 * It wraps werift-ice's protocols in place (host UDP, STUN over TURN and ICE-TCP each
 * call their receive method through `this`), each once, when candidates appear.
 */
export class IceGuard {
  readonly counters: IceGuardCounters = { unknownAddress: 0, malformed: 0, unauthenticatedAlert: 0, unauthenticatedStun: 0 };
  readonly #pc: RTCPeerConnection;
  readonly #wrapped = new WeakSet<object>();

  constructor(pc: RTCPeerConnection) {
    this.#pc = pc;
  }

  /** Wraps the UDP protocols gathered so far; call whenever a local candidate appears. */
  attach(): void {
    forEachIceProtocol<UdpProtocol, ConnectionLike>(this.#pc, (p, conn) => {
      if (this.#wrapped.has(p)) return;
      const name = RECEIVERS.find((n) => typeof p[n] === 'function');
      if (!name) return;
      const inner = p[name]!;
      this.#wrapped.add(p);
      p[name] = (data, addr) => {
        if (this.admit(conn, data, addr)) inner.call(p, data, addr);
      };
    });
  }

  /** Whether one datagram may go on to werift. */
  admit(conn: ConnectionLike, data: Buffer, addr: [string, number]): boolean {
    const b = data[0];
    if (b === undefined) return this.#drop('malformed');
    if (b <= 3) return this.#stunOk(conn, data); // STUN (RFC 7983 §7: 0..3)
    if (!conn.checkList.some((p) => p.remoteCandidate.port === addr[1] && sameHost(p.remoteCandidate.host, addr[0]))) {
      return this.#drop('unknownAddress');
    }
    if (b >= 20 && b <= 63) return this.#dtlsOk(data);
    if (b >= 128 && b <= 191) {
      // RFC 5761 §4: payload types 64..95 (with the marker bit, 192..223) are RTCP.
      const rtcp = data.length > 1 && data[1]! >= 192 && data[1]! <= 223;
      return data.length >= (rtcp ? 8 : 12) ? true : this.#drop('malformed');
    }
    return this.#drop('malformed'); // ZRTP (16..19), TURN channels (64..79) and the rest
  }

  #stunOk(conn: ConnectionLike, m: Buffer): boolean {
    if (m.length < STUN.HEADER || m.readUInt32BE(4) !== STUN.MAGIC_COOKIE) return this.#drop('malformed');
    const type = m.readUInt16BE(0);
    // Class bits C1 C0 at bits 8 and 4 (RFC 5389 §6): 00 is a request.
    if ((type & 0x0110) !== 0) return true;
    if (STUN.HEADER + m.readUInt16BE(2) > m.length) return this.#drop('malformed');
    let user: string | undefined;
    let mi = -1;
    for (let at = STUN.HEADER; at + 4 <= m.length;) {
      const t = m.readUInt16BE(at);
      const len = m.readUInt16BE(at + 2);
      if (at + 4 + len > m.length) return this.#drop('malformed');
      if (t === STUN.ATTR_USERNAME) user = m.toString('utf8', at + 4, at + 4 + len);
      if (t === STUN.ATTR_MESSAGE_INTEGRITY) {
        if (len !== 20) return this.#drop('malformed');
        mi = at;
        break;
      }
      at += 4 + ((len + 3) & ~3);
    }
    if (user === undefined || mi < 0) return this.#drop('unauthenticatedStun');
    const ufrag = user.slice(0, user.indexOf(':') >>> 0);
    const password = ufrag === conn.localUsername ? conn.localPassword : conn.userHistory?.[ufrag];
    if (!password || !user.includes(':')) return this.#drop('unauthenticatedStun');
    const mac = messageIntegrity(password, m.subarray(0, mi));
    return mac.equals(m.subarray(mi + 4, mi + 24)) ? true : this.#drop('unauthenticatedStun');
  }

  #dtlsOk(data: Buffer): boolean {
    const cipher = this.#cipher();
    let at = 0;
    while (at < data.length) {
      if (data.length - at < DTLS_HEADER) return this.#drop('malformed');
      const type = data[at]!;
      const major = data[at + 1]!;
      const minor = data[at + 2]!;
      const length = data.readUInt16BE(at + 11);
      // RFC 6347 §4.1: content types 20..23; versions 1.0 (0xfeff) and 1.2 (0xfefd).
      if (type < 20 || type > 23 || major !== 0xfe || (minor !== 0xff && minor !== 0xfd)) return this.#drop('malformed');
      if (at + DTLS_HEADER + length > data.length) return this.#drop('malformed');
      if (type === CONTENT_ALERT && cipher && !authentic(cipher, data, at, length)) return this.#drop('unauthenticatedAlert');
      at += DTLS_HEADER + length;
    }
    return true;
  }

  /** werift's record cipher once the handshake is done (its keys authenticate alerts). */
  #cipher(): CipherLike | undefined {
    for (const t of this.#pc.dtlsTransports) {
      if (t.state !== 'connected') continue;
      const c = (t.dtls as unknown as { cipher?: CipherLike } | undefined)?.cipher;
      if (c && typeof c.decryptPacket === 'function') return c;
    }
    return undefined;
  }

  #drop(reason: keyof IceGuardCounters): false {
    this.counters[reason]++;
    mediaCounters[DROP_COUNTERS[reason]]++;
    return false;
  }
}

/** An alert record after the handshake must be at epoch 1 or later and decrypt (RFC 6347 §4.1.2.1). */
function authentic(cipher: CipherLike, data: Buffer, at: number, length: number): boolean {
  const epoch = data.readUInt16BE(at + 3);
  if (epoch === 0) return false;
  try {
    cipher.decryptPacket({
      recordLayerHeader: {
        contentType: data[at]!, protocolVersion: { major: data[at + 1]!, minor: data[at + 2]! }, epoch,
        sequenceNumber: data.readUIntBE(at + 5, 6), contentLen: length,
      },
      fragment: data.subarray(at + DTLS_HEADER, at + DTLS_HEADER + length),
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether two spellings name the same address: a candidate's address is as the peer
 * wrote it (RFC 8839 allows any IPv6 text form, RFC 4291 §2.2: upper case, leading
 * zeros, uncompressed), a datagram's source as the kernel reports it (RFC 5952's
 * canonical form, or IPv4-mapped on a dual-stack socket).
 */
export function sameHost(a: string, b: string): boolean {
  return a === b || canonicalHost(a) === canonicalHost(b);
}

/** Canonical text of addresses seen lately (per datagram on the drop path, so kept). */
const canonical = new Map<string, string>();

function canonicalHost(h: string): string {
  let c = canonical.get(h);
  if (c !== undefined) return c;
  const unmapped = h.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  c = unmapped.toLowerCase();
  if (net.isIPv6(unmapped)) {
    // The WHATWG URL serializer writes IPv6 as RFC 5952 does.
    try { c = new URL(`http://[${unmapped}]`).hostname.slice(1, -1); } catch { /* a zone id: compared as written */ }
  }
  if (canonical.size >= 1024) canonical.clear();
  canonical.set(h, c);
  return c;
}
