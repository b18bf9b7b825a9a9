import dgram from 'node:dgram';
import os from 'node:os';
import type { RTCPeerConnection } from 'werift';
import { forEachIceProtocol } from '../iceProtocols.ts';
import { mediaCounters } from '../../worker/mediaCounters.ts';
import { stunHeader, stunUsername, isBinding } from './stunHeader.ts';
import { DatagramIn } from '../../native/DatagramIn.ts';
import { VirtualUdpTransport, type Address } from './VirtualUdpTransport.ts';

/** STUN transactions remembered for their responses at most (oldest forgotten first). */
const MAX_TRANSACTIONS = 10_000;
/** A stranger's request for an unknown ufrag rescans the endpoints at most this often (ms). */
const RESCAN_MS = 100;

/** A family's shared socket, read by `input` (closed first: it holds a duplicate of the socket's descriptor). */
interface FamilySocket { socket: dgram.Socket; input: DatagramIn; transports: Set<VirtualUdpTransport> }

/**
 * One UDP port per media worker for all its WebRtcEndpoints (issue 14 item 1), as
 * mediasoup's WebRtcServer and LiveKit's single-port mode: each endpoint's host
 * candidates name this port, and what arrives is demultiplexed:
 *  - a STUN response by the transaction id of the request it answers;
 *  - anything from a known remote address to the endpoint that owns that address;
 *  - a STUN Binding request from an unknown address by the local ufrag of its USERNAME
 *    (RFC 8445 §7.2.2, "LFRAG:RFRAG") to the endpoint with that ufrag, which checks its
 *    MESSAGE-INTEGRITY itself;
 *  - anything else is dropped and counted (IceGuard's rule: a stranger's packets reach
 *    no endpoint).
 * A remote address belongs to an endpoint once the endpoint answers a Binding request
 * from it with a success response, which werift sends only for an authenticated one:
 * an address cannot be claimed with unauthenticated STUN, nor by putting another
 * peer's address in one's own candidates (our checks to it are matched by transaction).
 * Sockets are opened with the first endpoint and closed with the last.
 */
export class SharedUdpPort {
  readonly port: number;
  readonly #families = new Map<'udp4' | 'udp6', FamilySocket>();
  readonly #opening = new Map<'udp4' | 'udp6', Promise<FamilySocket>>();
  /** Closed for good (close()): a bind that completes after it closes its socket. */
  #closed = false;
  readonly #byRemote = new Map<string, VirtualUdpTransport>();
  readonly #byTransaction = new Map<string, VirtualUdpTransport>();
  readonly #byUfrag = new Map<string, VirtualUdpTransport[]>();
  readonly #peers = new Set<RTCPeerConnection>();
  /** The remote ufrag each transport's ICE connection checks against (for loopback). */
  readonly #remoteUfrag = new Map<VirtualUdpTransport, string>();
  /** This machine's addresses (the shared socket listens on all of them). */
  readonly #ownAddresses = new Set<string>(['127.0.0.1', '::1', ...Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address))]);
  #lastScan = -Infinity;
  /** Datagrams no endpoint could take. */
  dropped = 0;

  constructor(port: number) {
    this.port = port;
  }

  /** A transport on the shared socket of `family` (bound now if it is not yet). */
  async transport(family: 'udp4' | 'udp6'): Promise<VirtualUdpTransport> {
    const f = this.#families.get(family) ?? await this.#open(family);
    const t = new VirtualUdpTransport(this, f.socket, family);
    f.transports.add(t);
    return t;
  }

  /** The peer connections whose ufrags requests may name (WebRtcEndpointNode registers its own). */
  addPeer(pc: RTCPeerConnection): void {
    this.#peers.add(pc);
    this.#lastScan = -Infinity;
  }

  removePeer(pc: RTCPeerConnection): void {
    this.#peers.delete(pc);
  }

  /** The peer connections registered (the ICE-TCP half looks up ufrags among them too). */
  peers(): Iterable<RTCPeerConnection> {
    return this.#peers;
  }

  /** Remote addresses and ufrags known (tests). */
  get routes(): { remotes: number; ufrags: number } {
    return { remotes: this.#byRemote.size, ufrags: this.#byUfrag.size };
  }

  #open(family: 'udp4' | 'udp6'): Promise<FamilySocket> {
    let p = this.#opening.get(family);
    if (p) return p;
    p = new Promise<FamilySocket>((resolve, reject) => {
      const socket = dgram.createSocket({ type: family, ipv6Only: family === 'udp6' });
      socket.once('error', (err) => {
        this.#opening.delete(family);
        socket.close();
        reject(err);
      });
      socket.bind(this.port, () => {
        this.#opening.delete(family);
        if (this.#closed) {
          // Closed while binding: the socket goes too.
          socket.close();
          reject(new Error('the shared UDP port is closed'));
          return;
        }
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        const input = new DatagramIn(socket, (data, address, port) => this.#received(data, [address, port], family));
        const f: FamilySocket = { socket, input, transports: new Set() };
        this.#families.set(family, f);
        resolve(f);
      });
    });
    this.#opening.set(family, p);
    return p;
  }

  #received(data: Buffer, from: Address, family: 'udp4' | 'udp6'): void {
    const key = `${from[0]}|${from[1]}`;
    const stun = stunHeader(data);
    let t: VirtualUdpTransport | undefined;
    if (stun && (stun.cls === 'success' || stun.cls === 'error')) {
      t = this.#byTransaction.get(stun.transaction);
      this.#byTransaction.delete(stun.transaction);
    }
    t ??= this.#byRemote.get(key);
    if (!t && stun && stun.cls === 'request' && isBinding(stun)) t = this.#byLocalUfrag(stunUsername(data), family);
    if (!t || t.closed) {
      this.dropped++;
      mediaCounters.droppedUnknownAddress++;
      return;
    }
    t.onData(data, from);
  }

  /** The endpoint's transport on the socket the request came in on (its family). */
  #byLocalUfrag(username: string | undefined, family: 'udp4' | 'udp6'): VirtualUdpTransport | undefined {
    const ufrag = username?.split(':')[0];
    if (!ufrag) return undefined;
    const pick = (): VirtualUdpTransport | undefined => this.#byUfrag.get(ufrag)?.find((t) => !t.closed && t.family === family);
    let t = pick();
    if (!t && performance.now() - this.#lastScan >= RESCAN_MS) {
      this.#scan();
      t = pick();
    }
    return t;
  }

  /** Which ufrag each virtual transport serves now, and checks against (ICE restarts change them). */
  #scan(): void {
    this.#lastScan = performance.now();
    this.#byUfrag.clear();
    this.#remoteUfrag.clear();
    for (const pc of this.#peers) {
      forEachIceProtocol<{ transport?: unknown }, { localUsername?: string; remoteUsername?: string }>(pc, (p, c) => {
        if (!(p.transport instanceof VirtualUdpTransport) || !c.localUsername) return;
        const list = this.#byUfrag.get(c.localUsername) ?? [];
        list.push(p.transport);
        this.#byUfrag.set(c.localUsername, list);
        if (c.remoteUsername) this.#remoteUfrag.set(p.transport, c.remoteUsername);
      });
    }
  }

  /** Whether `addr` is this port on one of the machine's own addresses. */
  isOwnAddress(addr: Address): boolean {
    return addr[1] === this.port && this.#ownAddresses.has(addr[0]);
  }

  /**
   * A datagram from one endpoint of this worker to another (its ICE peer is an endpoint
   * of the same worker): delivered to the transport whose local ufrag is the sender's
   * remote ufrag (RFC 8445 §7.2.2: the peer's USERNAME fragment names it), on the next
   * turn of the loop as a datagram would arrive, from this port's address. Dropped and
   * counted when no such endpoint is (any longer) here.
   */
  loopback(from: VirtualUdpTransport, data: Buffer, to: Address): void {
    let target = this.#peerOf(from);
    if (!target && performance.now() - this.#lastScan >= RESCAN_MS / 10) {
      this.#scan();
      target = this.#peerOf(from);
    }
    if (!target) {
      this.dropped++;
      mediaCounters.droppedUnknownAddress++;
      return;
    }
    const copy = Buffer.from(data);
    const t = target;
    setImmediate(() => { if (!t.closed) t.onData(copy, [to[0], this.port]); });
  }

  /** The transport of this port whose local ufrag is `from`'s remote one (its ICE peer). */
  #peerOf(from: VirtualUdpTransport): VirtualUdpTransport | undefined {
    const ufrag = this.#remoteUfrag.get(from);
    return ufrag === undefined ? undefined : this.#byUfrag.get(ufrag)?.find((t) => !t.closed && t.family === from.family && t !== from);
  }

  /** Called for every datagram a transport sends: learns who answers whom. */
  sent(t: VirtualUdpTransport, data: Buffer, to: Address): void {
    const stun = stunHeader(data);
    if (!stun) return;
    if (stun.cls === 'request') {
      if (this.#byTransaction.size >= MAX_TRANSACTIONS) this.#byTransaction.delete(this.#byTransaction.keys().next().value!);
      this.#byTransaction.set(stun.transaction, t);
    } else if (stun.cls === 'success' && isBinding(stun)) {
      this.#byRemote.set(`${to[0]}|${to[1]}`, t);
    }
  }

  /** A transport closed: its routes go, and the socket with the last transport. */
  remove(t: VirtualUdpTransport): void {
    this.#remoteUfrag.delete(t);
    for (const [k, v] of this.#byRemote) if (v === t) this.#byRemote.delete(k);
    for (const [k, v] of this.#byTransaction) if (v === t) this.#byTransaction.delete(k);
    for (const [k, list] of this.#byUfrag) {
      const rest = list.filter((x) => x !== t);
      if (rest.length) this.#byUfrag.set(k, rest);
      else this.#byUfrag.delete(k);
    }
    const f = this.#families.get(t.family);
    if (!f) return;
    f.transports.delete(t);
    if (f.transports.size === 0) {
      this.#families.delete(t.family);
      f.input.close();
      f.socket.close();
    }
  }

  close(): void {
    this.#closed = true;
    for (const f of this.#families.values()) {
      f.input.close();
      f.socket.close();
    }
    this.#families.clear();
    this.#byRemote.clear();
    this.#byTransaction.clear();
    this.#byUfrag.clear();
    this.#remoteUfrag.clear();
    this.#peers.clear();
  }
}
