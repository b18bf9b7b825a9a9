import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RpcConnection } from '../rpc/RpcConnection.ts';
import { Logger } from '../log/Logger.ts';
import { readCertificate } from '../config/certificate.ts';
import type { UpgradeGuard } from './UpgradeGuard.ts';
import { WsConnection, type FrameHandler, type SendBufferLimits } from './WsConnection.ts';

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
  readonly onMessage: FrameHandler;
  readonly onClose: (conn: RpcConnection) => void;
  /** Plain HTTP requests: true when answered (`/metrics`, `/health/*`), else the 426 below. */
  readonly onHttp?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
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

  #http(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.#opts.onHttp?.(req, res)) return;
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
