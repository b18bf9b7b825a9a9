import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RpcConnection } from '../rpc/RpcConnection.ts';
import { Logger } from '../log/Logger.ts';

const log = Logger.get('KurentoWebSocketTransport');

export interface WebSocketTransportOptions {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly secure?: { readonly port: number; readonly certificate: string; readonly password: string };
  /** Frames larger than this are refused by the JSON-RPC layer; ws closes at twice it (1009). */
  readonly maxMessageSize: number;
  readonly onMessage: (text: string, conn: RpcConnection) => string | undefined | Promise<string | undefined>;
  readonly onClose: (conn: RpcConnection) => void;
}

/** One WebSocket as an RpcConnection, with in-order processing of its requests. */
class WsConnection implements RpcConnection {
  sessionId: string | undefined;
  #queue: Promise<void> | undefined;
  #pending = 0;
  #corked = false;

  constructor(readonly id: number, private readonly ws: WebSocket) {}

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
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    if (socket && !this.#corked) {
      this.#corked = true;
      socket.cork();
      setImmediate(() => {
        this.#corked = false;
        socket.uncork();
      });
    }
    this.ws.send(text);
  }

  /**
   * Requests are processed in arrival order (clients pipeline them: kurento-client
   * sends processOffer then gatherCandidates without waiting). Synchronous answers go
   * out at once; once an asynchronous one is pending, later frames wait behind it.
   */
  process(text: string, handler: WebSocketTransportOptions['onMessage']): void {
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
    const done = Promise.resolve(p).then(
      (r) => { if (r !== undefined) this.send(r); },
      (err: unknown) => log.error(`request failed: ${String(err)}`),
    ).finally(() => { this.#pending--; });
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
    const plain = http.createServer((req, res) => this.#http(req, res));
    const port = await this.#listen(plain, this.#opts.port);
    let securePort: number | undefined;
    if (this.#opts.secure) {
      const s = this.#opts.secure;
      const pem = readFileSync(s.certificate);
      const tls = https.createServer({ cert: pem, key: pem, passphrase: s.password || undefined }, (req, res) => this.#http(req, res));
      securePort = await this.#listen(tls, s.port);
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
    const conn = new WsConnection(this.#nextId++, ws);
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
