import https from 'node:https';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { selfSignedCertificate } from './certificate.ts';

const require = createRequire(import.meta.url);
const SHARED_STATIC = fileURLToPath(new URL('../static/', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml' };

/** One browser connection: JSON messages in Kurento tutorial format `{id, ...}`. */
export class Client {
  closed = false;
  constructor(readonly id: number, private readonly ws: WebSocket) {}

  send(message: Record<string, unknown>): void {
    if (!this.closed && this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  error(message: string): void {
    this.send({ id: 'error', message });
  }
}

export interface Tutorial {
  /** WebSocket path of the original tutorial, e.g. `/helloworld`. */
  readonly path: string;
  /** Folder of the tutorial's own page. */
  readonly staticDir: string;
  onMessage(client: Client, message: Record<string, unknown>): Promise<void> | void;
  onClose(client: Client): Promise<void> | void;
  /** More folders of files after `staticDir` (one the tutorial writes at run time, a page script it shares). */
  readonly moreDirs?: readonly string[];
  /** Told the port once the server listens (a tutorial whose media server fetches from it, as the Magic Mirror's hat). */
  listening?(port: number): void;
  /** Frees what the tutorial holds beyond its users (e.g. a temp folder), when its server closes. */
  close?(): Promise<void> | void;
}

let bundle: string | undefined;

/** kurento-utils for the browser, bundled from the npm package at first request (never a CDN). */
async function kurentoUtilsBundle(): Promise<string> {
  if (bundle) return bundle;
  const esbuild = require('esbuild') as typeof import('esbuild');
  const entry = require.resolve('kurento-utils/lib/browser.js');
  const out = await esbuild.build({ entryPoints: [entry], bundle: true, format: 'iife', globalName: 'kurentoUtils', platform: 'browser', write: false, minify: true, define: { global: 'window' }, logLevel: 'silent' });
  bundle = out.outputFiles[0]!.text;
  return bundle;
}

/**
 * The application server of a tutorial, as in Kurento's originals: HTTPS with a
 * self-signed certificate, the page, kurento-utils, and a WebSocket for signalling.
 * A malformed message gets an `error` reply; an exception in a handler never stops
 * the server or other users' calls.
 */
export class TutorialServer {
  readonly #server: https.Server;
  readonly #wss: WebSocketServer;
  readonly #clients = new Set<Client>();
  #next = 1;

  constructor(private readonly tutorial: Tutorial) {
    this.#server = https.createServer(selfSignedCertificate(), (req, res) => void this.#http(req.url ?? '/', res));
    this.#wss = new WebSocketServer({ server: this.#server, path: tutorial.path, maxPayload: 1 << 20 });
    this.#wss.on('connection', (ws) => this.#accept(ws));
  }

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    const { port: bound } = this.#server.address() as AddressInfo;
    this.tutorial.listening?.(bound);
    return bound;
  }

  async #http(url: string, res: import('node:http').ServerResponse): Promise<void> {
    const p = decodeURIComponent(url.split('?')[0]!);
    try {
      if (p === '/js/kurento-utils.js') {
        res.writeHead(200, { 'Content-Type': TYPES['.js']! });
        res.end(await kurentoUtilsBundle());
        return;
      }
      const rel = p === '/' ? 'index.html' : p.replace(/^\/+/, '');
      for (const dir of [this.tutorial.staticDir, ...(this.tutorial.moreDirs ?? []), SHARED_STATIC]) {
        const file = path.resolve(dir, rel);
        if (!file.startsWith(path.resolve(dir)) || !fs.existsSync(file) || !fs.statSync(file).isFile()) continue;
        res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
        res.end(fs.readFileSync(file));
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('Not found\n');
    } catch (err) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`Error: ${(err as Error).message}\n`);
    }
  }

  #accept(ws: WebSocket): void {
    const client = new Client(this.#next++, ws);
    this.#clients.add(client);
    ws.on('message', (data) => {
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        client.error('Invalid message: not JSON');
        return;
      }
      if (typeof message !== 'object' || message === null || typeof (message as { id?: unknown }).id !== 'string') {
        client.error('Invalid message: an object with a string "id" is expected');
        return;
      }
      Promise.resolve()
        .then(() => this.tutorial.onMessage(client, message as Record<string, unknown>))
        .catch((err: Error) => client.error(err.message ?? String(err)));
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      client.closed = true;
      this.#clients.delete(client);
      Promise.resolve().then(() => this.tutorial.onClose(client)).catch((err: Error) => console.error(`cleanup failed: ${err.message}`));
    });
  }

  async close(): Promise<void> {
    for (const c of this.#wss.clients) c.terminate();
    this.#wss.close();
    const closed = new Promise<void>((r) => this.#server.close(() => r()));
    // Browsers keep idle HTTPS connections open; close() alone would wait for them.
    this.#server.closeAllConnections();
    await closed;
    await this.tutorial.close?.();
  }
}

/** Reads an ICE candidate sent by kurento-utils pages. */
export function candidateOf(message: Record<string, unknown>): Record<string, unknown> | undefined {
  const c = message.candidate;
  return c && typeof c === 'object' && typeof (c as { candidate?: unknown }).candidate === 'string' ? (c as Record<string, unknown>) : undefined;
}
