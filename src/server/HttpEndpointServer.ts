import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Logger } from '../log/Logger.ts';

const log = Logger.get('HttpEndpointServer');

/** What answers the requests of one endpoint's URL. */
export interface HttpEndpointTarget {
  /** A POST to the endpoint's URL (the only method an HttpPostEndpoint takes). */
  post(req: http.IncomingMessage, res: http.ServerResponse): void;
}

/** HttpEndpoint.conf.ini keys (Kurento names). */
export interface HttpEndpointSettings {
  readonly serverAddress?: string;
  readonly serverPort?: string;
  readonly announcedAddress?: string;
}

/**
 * Fluo's one HTTP server for HttpEndpoints, as KMS's (`HttpEndpoint.conf.ini`:
 * serverAddress, serverPort, announcedAddress). It listens only while an endpoint is
 * registered: started by the first, closed with the last and on server stop, so no
 * socket is left open for nothing. Each endpoint gets an unguessable path (128 random
 * bits); anything else is 404, and a method other than POST is 405 with `Allow`
 * (RFC 9110 §15.5.6).
 */
export class HttpEndpointServer {
  readonly #settings: HttpEndpointSettings;
  readonly #targets = new Map<string, HttpEndpointTarget>();
  #server: http.Server | undefined;
  #listening: Promise<AddressInfo> | undefined;

  constructor(settings: HttpEndpointSettings) {
    this.#settings = settings;
  }

  /** Registers an endpoint; its URL resolves once the server listens. */
  register(target: HttpEndpointTarget): { path: string; url: Promise<string> } {
    const path = randomBytes(16).toString('base64url');
    this.#targets.set(path, target);
    return { path, url: this.#listen().then((addr) => `http://${this.#announced(addr)}:${addr.port}/${path}`) };
  }

  unregister(path: string): void {
    this.#targets.delete(path);
    if (this.#targets.size === 0) void this.close();
  }

  /** Closes the listening socket and every connection (server stop, or no endpoint left). */
  async close(): Promise<void> {
    const server = this.#server;
    const listening = this.#listening;
    this.#server = undefined;
    this.#listening = undefined;
    if (!server) return;
    await listening?.catch(() => undefined);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  #listen(): Promise<AddressInfo> {
    if (this.#listening) return this.#listening;
    const server = http.createServer((req, res) => this.#request(req, res));
    // A client that sends nothing must not hold a connection forever.
    server.requestTimeout = 0;
    server.headersTimeout = 10_000;
    this.#server = server;
    const port = Number(this.#settings.serverPort ?? 0);
    const host = this.#settings.serverAddress || '0.0.0.0';
    this.#listening = new Promise<AddressInfo>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number.isInteger(port) && port >= 0 && port < 65536 ? port : 0, host, () => {
        server.off('error', reject);
        server.on('error', (err) => log.warn(`HTTP endpoint server: ${err.message}`));
        const addr = server.address() as AddressInfo;
        log.info(`HTTP endpoint server listening on ${host}:${addr.port}`);
        resolve(addr);
      });
    });
    this.#listening.catch(() => {
      if (this.#server === server) { this.#server = undefined; this.#listening = undefined; }
    });
    return this.#listening;
  }

  /** The host clients are given: announcedAddress, else the bound address, else (bound to all) this machine's first external one. */
  #announced(addr: AddressInfo): string {
    let host = this.#settings.announcedAddress || addr.address;
    if (host === '0.0.0.0' || host === '::') {
      const ifs = Object.values(networkInterfaces()).flat().filter((i) => i && !i.internal && i.family === (host === '::' ? 'IPv6' : 'IPv4') && !i.address.startsWith('fe80'));
      host = ifs[0]?.address ?? (host === '::' ? '::1' : '127.0.0.1');
    }
    return host.includes(':') ? `[${host}]` : host;
  }

  #request(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '').split('?')[0]!.replace(/^\//, '');
    const target = this.#targets.get(path);
    if (!target) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('No HTTP endpoint at this URL\n');
      req.resume();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'POST', 'Content-Type': 'text/plain' }).end('An HttpPostEndpoint takes POST only\n');
      req.resume();
      return;
    }
    try {
      target.post(req, res);
    } catch (err) {
      // Never let one upload take the server down.
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`);
      req.destroy();
    }
  }
}
