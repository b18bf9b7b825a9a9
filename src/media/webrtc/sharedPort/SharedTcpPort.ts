import net from 'node:net';
import type { RTCPeerConnection } from 'werift';
import { forEachIceProtocol } from '../iceProtocols.ts';
import { mediaCounters } from '../../worker/mediaCounters.ts';
import { isBinding, stunHeader, stunUsername } from './stunHeader.ts';

/** A connection must name its endpoint (its first STUN request) within this long (ms). */
const FIRST_MESSAGE_MS = 5000;
/** Connections waiting for their first message, at most (more are closed at once). */
const MAX_PENDING = 256;
/** RFC 4571 framing: a 16-bit length; a first STUN request is far below this. */
const MAX_FIRST_FRAME = 1500;

/** What werift's passive ICE-TCP protocol shows: its listening server and local address. */
interface PassiveProtocol { server?: unknown; localIp?: string }

/**
 * One ICE-TCP port per media worker (issue 14 item 1: "one UDP port (and one ICE-TCP
 * port) per media worker"), the TCP half of single-port mode. Each endpoint's passive
 * ICE-TCP candidate (RFC 6544 §4.5) names this port: werift's listening servers for
 * those candidates are made virtual (they never bind: `virtualize`), and this port's
 * real listeners accept the connections. A connection's first RFC 4571 frame must be a
 * STUN Binding request whose USERNAME names a local ufrag of this worker (RFC 8445
 * §7.2.2, "LFRAG:RFRAG"); the connection, that frame first, is then handed to that
 * endpoint's passive protocol, as if its own server had accepted it. There werift's
 * checks and IceGuard's (MESSAGE-INTEGRITY with the endpoint's password) apply as on a
 * port of its own. A connection that names no endpoint, sends something else or
 * nothing within FIRST_MESSAGE_MS is closed and counted: a stranger reaches no
 * endpoint. The listeners open with the first virtual server and close with the last.
 */
export class SharedTcpPort {
  readonly port: number;
  readonly #peers: () => Iterable<RTCPeerConnection>;
  readonly #listen: (server: net.Server, options: net.ListenOptions) => void;
  readonly #virtual = new Set<net.Server>();
  readonly #pending = new Set<net.Socket>();
  #listeners: net.Server[] = [];
  #opening: Promise<boolean> | undefined;
  /** Connections closed because they named no endpoint of this worker. */
  dropped = 0;

  /**
   * `peers`: the worker's peer connections (whose ufrags requests may name); `listen`:
   * net.Server's own listen, for the real listeners (the worker's is patched).
   */
  constructor(port: number, peers: () => Iterable<RTCPeerConnection>, listen: (server: net.Server, options: net.ListenOptions) => void) {
    this.port = port;
    this.#peers = peers;
    this.#listen = listen;
  }

  /** Whether `server` is one of this port's real listeners. */
  owns(server: net.Server): boolean {
    return this.#listeners.includes(server);
  }

  /**
   * Makes werift's passive-candidate server `server` virtual: it reports this port as
   * its address once the real listeners are up, and its connections come from them.
   * Falls back to `fallback` (a real listen on a port of its own) if this port cannot
   * be bound.
   */
  virtualize(server: net.Server, host: string | undefined, fallback: () => void): void {
    void this.#open().then((ok) => {
      if (!ok) return fallback();
      this.#virtual.add(server);
      const family = host && net.isIPv6(host) ? 'IPv6' : 'IPv4';
      server.address = () => ({ address: host ?? '0.0.0.0', family, port: this.port });
      // werift closes its server with the protocol: the virtual one just leaves.
      server.close = ((cb?: (err?: Error) => void) => {
        this.#virtual.delete(server);
        if (!this.#virtual.size) this.#closeListeners();
        if (cb) process.nextTick(cb);
        return server;
      }) as net.Server['close'];
      server.emit('listening');
    });
  }

  /** Open connections still waiting for their first message (tests). */
  get pending(): number {
    return this.#pending.size;
  }

  #open(): Promise<boolean> {
    if (this.#listeners.length) return Promise.resolve(true);
    this.#opening ??= (async () => {
      const tries: Array<[string, boolean]> = [['0.0.0.0', false], ['::', true]];
      const made: net.Server[] = [];
      for (const [host, ipv6Only] of tries) {
        const s = net.createServer((socket) => this.#accepted(socket));
        const ok = await new Promise<boolean>((resolve) => {
          s.once('error', () => resolve(false));
          s.once('listening', () => resolve(true));
          this.#listen(s, { host, port: this.port, ipv6Only, exclusive: true });
        });
        if (ok) {
          s.removeAllListeners('error');
          s.on('error', () => undefined);
          made.push(s);
        } else s.close();
      }
      this.#listeners = made;
      this.#opening = undefined;
      return made.length > 0;
    })();
    return this.#opening;
  }

  #closeListeners(): void {
    for (const s of this.#listeners) s.close();
    this.#listeners = [];
    for (const socket of this.#pending) socket.destroy();
    this.#pending.clear();
  }

  #accepted(socket: net.Socket): void {
    if (this.#pending.size >= MAX_PENDING) return this.#refuse(socket);
    this.#pending.add(socket);
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => this.#refuse(socket), FIRST_MESSAGE_MS);
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      this.#pending.delete(socket);
    };
    const onClose = (): void => done();
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (length > MAX_FIRST_FRAME) {
        done();
        return this.#refuse(socket);
      }
      if (buffered.length < 2 + length) return;
      done();
      const target = this.#target(buffered.subarray(2, 2 + length), socket.localAddress);
      if (!target) return this.#refuse(socket);
      // The endpoint's server "accepts" it: werift reads the same bytes from the start.
      socket.pause();
      socket.unshift(buffered);
      target.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', onData);
    socket.on('close', onClose);
  }

  /** The virtual server of the endpoint a first message names, on the address it came to. */
  #target(message: Buffer, localAddress: string | undefined): net.Server | undefined {
    const stun = stunHeader(message);
    if (!stun || stun.cls !== 'request' || !isBinding(stun)) return undefined;
    const ufrag = stunUsername(message)?.split(':')[0];
    if (!ufrag) return undefined;
    const local = localAddress?.replace(/^::ffff:/, '');
    let any: net.Server | undefined;
    let exact: net.Server | undefined;
    for (const pc of this.#peers()) {
      forEachIceProtocol<PassiveProtocol, { localUsername?: string }>(pc, (p, c) => {
        if (c.localUsername !== ufrag || !(p.server instanceof net.Server) || !this.#virtual.has(p.server)) return;
        any ??= p.server;
        if (p.localIp === local) exact ??= p.server;
      });
    }
    return exact ?? any;
  }

  #refuse(socket: net.Socket): void {
    this.#pending.delete(socket);
    this.dropped++;
    mediaCounters.droppedUnknownAddress++;
    socket.destroy();
  }
}
