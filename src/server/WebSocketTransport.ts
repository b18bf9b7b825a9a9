import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RpcConnection } from '../rpc/RpcConnection.ts';
import { Logger } from '../log/Logger.ts';
import { readCertificate } from '../config/certificate.ts';
import type { UpgradeGuard } from './UpgradeGuard.ts';

const log = Logger.get('KurentoWebSocketTransport');

export interface WebSocketTransportOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly secure?: { readonly port: number; readonly certificate: string; readonly password: string };
  /** Frames larger than this are refused by the JSON-RPC layer; ws closes at twice it (1009). */
  readonly maxMessageSize: number;
  /** Checks on the upgrade request: access token, Origin. */
  readonly guard: UpgradeGuard;
  /** Most open connections; more are closed at once with 1013 (issue 16, defect 2). */
  readonly maxConnections: number;
  /** Output bounds of one connection (issue 16, defect 3). */
  readonly sendBuffer: SendBufferLimits;
  readonly onMessage: (text: string, conn: RpcConnection) => string | undefined | Promise<string | undefined>;
  readonly onClose: (conn: RpcConnection) => void;
}

export interface SendBufferLimits {
  /** Bytes of unsent output over which the connection's requests are no longer read. */
  readonly pause: number;
  /** Bytes of unsent output over which the connection is closed. */
  readonly close: number;
  /** Seconds the output may stay over `pause` before the connection is closed. */
  readonly timeout: number;
}

/**
 * Requests queued behind an asynchronous one past which the connection is no longer
 * read: each may be a whole `maxMessageSize` frame held in memory meanwhile.
 */
const MAX_QUEUED = 256;

/**
 * Close code for a client that does not read what it asked for: 1008 "policy
 * violation" (RFC 6455 section 7.4.1); the reason says which bound it broke.
 */
const CLOSE_NOT_READING = 1008;

/** One WebSocket as an RpcConnection, with in-order processing of its requests. */
class WsConnection implements RpcConnection {
  sessionId: string | undefined;
  #queue: Promise<void> | undefined;
  #pending = 0;
  #corked = false;
  #paused = false;
  #stallTimer: NodeJS.Timeout | undefined;
  /**
   * Frames ws had already read when the connection was paused: ws delivers every frame
   * of a socket read at once, pause or not, so they wait here (one read's worth).
   */
  readonly #inbox: string[] = [];
  #handler: WebSocketTransportOptions['onMessage'] | undefined;

  constructor(readonly id: number, private readonly ws: WebSocket, private readonly limits: SendBufferLimits) {
    this.#socket?.on('drain', () => this.#flow());
  }

  get #socket(): Socket | undefined {
    return (this.ws as unknown as { _socket?: Socket })._socket;
  }

  /**
   * Backpressure (issue 16, defect 3). A client that sends requests but never reads its
   * socket made the server buffer every answer without bound. While the unsent output
   * (ws's `bufferedAmount`: the socket's write queue and ws's own) is over
   * `limits.pause`, or too many requests wait behind an asynchronous one, this
   * connection's socket is not read: its requests stay in the kernel and in the
   * client, not in our memory. Output over `limits.close`, or over `limits.pause`
   * for `limits.timeout` seconds, closes the connection with 1008.
   */
  #flow(): void {
    if (!this.open) return;
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.limits.close) {
      this.#shut(`output of ${buffered} bytes unread, over mediaServer.resources.sendBufferClose (${this.limits.close})`);
      return;
    }
    const over = buffered > this.limits.pause;
    if (over && !this.#stallTimer) {
      this.#stallTimer = setTimeout(() => {
        this.#shut(`output over mediaServer.resources.sendBufferPause (${this.limits.pause} bytes) unread for mediaServer.resources.sendBufferTimeout (${this.limits.timeout} s)`);
      }, this.limits.timeout * 1000);
      this.#stallTimer.unref();
    } else if (!over && this.#stallTimer) {
      clearTimeout(this.#stallTimer);
      this.#stallTimer = undefined;
    }
    const pause = over || this.#pending > MAX_QUEUED;
    if (pause !== this.#paused) {
      this.#paused = pause;
      if (pause) {
        this.ws.pause();
      } else {
        this.ws.resume();
        while (this.#inbox.length && !this.#paused) this.#process(this.#inbox.shift()!, this.#handler!);
      }
    }
  }

  #shut(reason: string): void {
    log.warn(`connection ${this.id} closed (${CLOSE_NOT_READING}): the client does not read its answers: ${reason}`);
    this.#stop();
    // The close frame waits behind the unread output: a client that reads again within
    // a grace period gets it; otherwise the socket is destroyed.
    this.ws.close(CLOSE_NOT_READING, 'client does not read its answers');
    // Read again, for the client's answering close frame (later requests are dropped).
    this.#paused = false;
    this.ws.resume();
    setTimeout(() => this.ws.terminate(), 5000).unref();
  }

  /** Ends the stall timer and drops unread frames (the connection is closing). */
  #stop(): void {
    if (this.#stallTimer) clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
    this.#inbox.length = 0;
  }

  closed(): void {
    this.#stop();
  }

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /**
   * Answers and events written in one turn of the event loop leave in one write: the
   * socket stays corked until setImmediate. Without it every frame cost a writev
   * syscall of its own, 40% of the main thread's time under pipelined load
   * (`npm run bench` with FLUO_CPU_PROF set).
   */
  send(text: string): void {
    if (!this.open) return;
    const socket = this.#socket;
    if (socket && !this.#corked) {
      this.#corked = true;
      socket.cork();
      setImmediate(() => {
        this.#corked = false;
        socket.uncork();
      });
    }
    this.ws.send(text);
    this.#flow();
  }

  /**
   * Requests are processed in arrival order (clients pipeline them: kurento-client
   * sends processOffer then gatherCandidates without waiting). Synchronous answers go
   * out at once; once an asynchronous one is pending, later frames wait behind it.
   */
  process(text: string, handler: WebSocketTransportOptions['onMessage']): void {
    this.#handler = handler;
    if (!this.open) return;
    if (this.#paused) this.#inbox.push(text);
    else this.#process(text, handler);
  }

  #process(text: string, handler: WebSocketTransportOptions['onMessage']): void {
    if (this.#pending === 0) {
      const r = safe(() => handler(text, this));
      if (!(r instanceof Promise)) {
        if (r !== undefined) this.send(r);
        return;
      }
      this.#chain(r);
      return;
    }
    this.#chain(Promise.resolve(this.#queue).then(() => safe(() => handler(text, this))));
  }

  #chain(p: Promise<string | undefined> | string | undefined): void {
    this.#pending++;
    if (this.#pending > MAX_QUEUED) this.#flow();
    const done = Promise.resolve(p).then(
      (r) => { if (r !== undefined) this.send(r); },
      (err: unknown) => log.error(`request failed: ${String(err)}`),
    ).finally(() => {
      this.#pending--;
      if (this.#paused) this.#flow();
    });
    this.#queue = done;
  }
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    log.error(`unhandled error processing a frame: ${err instanceof Error ? err.stack : String(err)}`);
    return undefined;
  }
}

/**
 * The Kurento WebSocket endpoint: `ws://host:port/<path>` (and `wss://` on the secure
 * port with a PEM certificate). A plain HTTP GET answers `426 Upgrade Required`, as
 * KMS does (FIWARE uses it as a health check); other paths are refused.
 */
export class WebSocketTransport {
  readonly #opts: WebSocketTransportOptions;
  readonly #servers: Array<http.Server | https.Server> = [];
  readonly #wss: WebSocketServer;
  readonly #conns = new Set<WsConnection>();
  #nextId = 1;

  constructor(opts: WebSocketTransportOptions) {
    this.#opts = opts;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageSize * 2, perMessageDeflate: false });
  }

  get connectionCount(): number {
    return this.#conns.size;
  }

  async start(): Promise<{ port: number; securePort?: number }> {
    // The certificate is read and checked before anything listens (issue 16, defect 6).
    const s = this.#opts.secure;
    const tlsFiles = s ? readCertificate(s.certificate, s.password) : undefined;
    const plain = http.createServer((req, res) => this.#http(req, res));
    const port = await this.#listen(plain, this.#opts.port);
    let securePort: number | undefined;
    if (s && tlsFiles) {
      const tls = https.createServer(tlsFiles, (req, res) => this.#http(req, res));
      try {
        securePort = await this.#listen(tls, s.port);
      } catch (err) {
        await this.stop(); // all or nothing: no plain port left listening
        throw err;
      }
    }
    return { port, securePort };
  }

  async #listen(server: http.Server | https.Server, port: number): Promise<number> {
    server.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '/').split('?')[0]!.replace(/^\/+/, '').replace(/\/+$/, '');
      if (path !== this.#opts.path.replace(/^\/+/, '').replace(/\/+$/, '')) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 13\r\n\r\nInvalid path\n');
        return;
      }
      const refusal = this.#opts.guard.check(req);
      if (refusal) {
        log.warn(`connection from ${req.socket.remoteAddress ?? '?'} refused (${refusal.status}): ${refusal.reason}`);
        const body = `${refusal.reason}\n`;
        const challenge = refusal.status === 401 ? 'WWW-Authenticate: Bearer realm="kurento", error="invalid_token"\r\n' : '';
        socket.end(`HTTP/1.1 ${refusal.status} ${refusal.status === 401 ? 'Unauthorized' : 'Forbidden'}\r\n${challenge}Connection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    this.#servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.#opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  #http(_req: http.IncomingMessage, res: http.ServerResponse): void {
    const body = 'Upgrade Required: this is the Kurento Protocol WebSocket endpoint\n';
    res.writeHead(426, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), Upgrade: 'websocket', Connection: 'Upgrade' });
    res.end(body);
  }

  #accept(ws: WebSocket): void {
    if (this.#conns.size >= this.#opts.maxConnections) {
      // 1013 "Try Again Later" (IANA WebSocket close code registry); the reason names
      // Kurento's code and the limit, as the other limits' errors do.
      const reason = `NOT_ENOUGH_RESOURCES (40009): mediaServer.resources.maxConnections (${this.#opts.maxConnections}) reached`;
      log.warn(`connection refused: ${reason}`);
      ws.close(1013, reason);
      return;
    }
    const conn = new WsConnection(this.#nextId++, ws, this.#opts.sendBuffer);
    this.#conns.add(conn);
    log.debug(`connection ${conn.id} opened`);
    ws.on('message', (data, isBinary) => {
      // ws delivers Buffers (binaryType 'nodebuffer'); binary frames are read as UTF-8 text too.
      void isBinary;
      const text = (data as Buffer).toString('utf8');
      conn.process(text, this.#opts.onMessage);
    });
    ws.on('error', (err) => log.warn(`connection ${conn.id}: ${err.message}`));
    ws.on('close', () => {
      conn.closed();
      this.#conns.delete(conn);
      log.debug(`connection ${conn.id} closed`);
      this.#opts.onClose(conn);
    });
  }

  async stop(): Promise<void> {
    for (const c of this.#wss.clients) c.terminate();
    await Promise.all(this.#servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.#servers.length = 0;
    this.#wss.close();
  }
}
