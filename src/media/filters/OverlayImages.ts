import { lookup } from 'node:dns';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DestinationPolicy, refusedHost } from '../../shared/DestinationPolicy.ts';
import { FileRoots } from '../../shared/FileRoots.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { OverlayFilterOptions } from '../../shared/workerProtocol.ts';
import { imageHeader, type ImageHeader } from './imageHeader.ts';

/** An image ready for gdkpixbufoverlay: a private file, and the picture's size. */
export interface OverlayImage extends ImageHeader {
  readonly path: string;
}

export interface ImageLimits {
  /** Largest image accepted (bytes). */
  maxBytes: number;
  /** Longest a fetch may take, redirects included (ms). */
  timeoutMs: number;
}

const DEFAULT_LIMITS: ImageLimits = { maxBytes: 5 * 1024 * 1024, timeoutMs: 10_000 };
const MAX_REDIRECTS = 3;
/** The error code our lookup hook gives a host that resolves into a denied network. */
const REFUSED = 'EFLUO_DENIED_DESTINATION';

/**
 * The images of one overlay filter node: each `http://`, `https://` or `file://` URI
 * fetched once (Kurento's filters download the image the application names, e.g. the
 * Magic Mirror's hat from the application server: Kurento docs, "Magic Mirror"),
 * checked to be an image gdk-pixbuf loads, and written to a private 0700 folder the
 * engine reads; the folder goes with `close()`. A URI that cannot be used fails the
 * call with a KurentoError saying why; the stream is not touched.
 *
 * Where an image may come from follows the server's security settings, as for
 * PlayerEndpoint: file:// only under mediaServer.security.fileRoots; http(s) only to
 * allowed destinations, checked for every address the host resolves to, at connect
 * time too (a lookup hook), so a name re-pointed between check and use is caught.
 */
export class OverlayImages {
  readonly #who: string;
  readonly #policy: DestinationPolicy;
  readonly #roots: FileRoots;
  readonly #limits: ImageLimits;
  readonly #verify: boolean;
  readonly #cache = new Map<string, Promise<OverlayImage>>();
  #dir: Promise<string> | undefined;
  #files = 0;
  #closed = false;

  constructor(who: string, options: OverlayFilterOptions, limits: Partial<ImageLimits> = {}) {
    this.#who = who;
    this.#policy = new DestinationPolicy(options.destinations.deny, options.destinations.allow);
    this.#roots = new FileRoots(options.fileRoots);
    this.#limits = { ...DEFAULT_LIMITS, ...limits };
    this.#verify = options.verifyCertificates ?? false;
  }

  /** The image of `uri`, fetched on first use; a failed fetch is tried again next time. */
  get(uri: string): Promise<OverlayImage> {
    let p = this.#cache.get(uri);
    if (!p) {
      p = this.#fetch(uri);
      this.#cache.set(uri, p);
      p.catch(() => this.#cache.delete(uri));
    }
    return p;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#cache.clear();
    const dir = await this.#dir?.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  async #fetch(uri: string): Promise<OverlayImage> {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw this.#illegal(`'uri' is not a valid URI: '${uri}'`);
    }
    let bytes: Buffer;
    if (url.protocol === 'file:') bytes = await this.#readFile(url);
    else if (url.protocol === 'http:' || url.protocol === 'https:') bytes = await this.#download(url, AbortSignal.timeout(this.#limits.timeoutMs), 0);
    else throw this.#illegal(`'uri' scheme '${url.protocol.replace(/:$/, '')}' is not supported for images (use http, https or file)`);
    const header = imageHeader(bytes);
    if (!header) throw this.#illegal(`${uri} is not a PNG, JPEG, GIF or BMP image`);
    if (this.#closed) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `${this.#who} was released`);
    this.#dir ??= mkdtemp(join(tmpdir(), 'fluo-overlay-'));
    const path = join(await this.#dir, `image-${++this.#files}.${header.type}`);
    await writeFile(path, bytes, { mode: 0o600 });
    return { ...header, path };
  }

  async #readFile(url: URL): Promise<Buffer> {
    const refused = this.#roots.refuses(url);
    if (refused) throw this.#illegal(`'uri' refused: ${refused}`);
    const file = fileURLToPath(url);
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      throw new KurentoError('URI_PATH_FILE_NOT_FOUND', `${this.#who}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    try {
      const { size } = await handle.stat();
      if (size > this.#limits.maxBytes) throw this.#tooBig(url.href);
      // Read one byte past the limit: a file that grew since stat is caught too.
      const buf = Buffer.alloc(Math.min(size, this.#limits.maxBytes) + 1);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      if (bytesRead > this.#limits.maxBytes) throw this.#tooBig(url.href);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async #download(url: URL, signal: AbortSignal, redirects: number): Promise<Buffer> {
    const why = await refusedHost(this.#policy, url.hostname);
    if (why) throw this.#illegal(`'uri' refused: ${why}`);
    const get = url.protocol === 'https:' ? https.get : http.get;
    return new Promise<Buffer>((resolve, reject) => {
      const fail = (err: unknown): void => {
        if (err instanceof KurentoError) return reject(err);
        if ((err as NodeJS.ErrnoException).code === REFUSED) return reject(this.#illegal((err as Error).message));
        const timedOut = signal.aborted;
        const code = (err as NodeJS.ErrnoException).code;
        const badCertificate = code !== undefined && /CERT|SIGNATURE|ALTNAME/.test(code);
        const what = timedOut ? `no image within ${this.#limits.timeoutMs} ms`
          : badCertificate ? `${code}: the server's certificate does not verify (mediaServer.security.verifyImageCertificates is on)`
          : code ?? (err instanceof Error ? err.message : String(err));
        reject(new KurentoError('URI_PATH_FILE_NOT_FOUND', `${this.#who}: cannot fetch ${url.href}: ${what}`));
      };
      // Certificates are verified only under mediaServer.security.verifyImageCertificates:
      // Kurento's tutorials have the media server fetch the overlay from the application
      // server's own URL, HTTPS with a self-signed certificate (Kurento docs, "Magic
      // Mirror": app.server.url), and that works with Kurento. Where the image may come
      // from is what the destination lists restrict.
      const req = get(url, { signal, lookup: this.#checkedLookup(), headers: { accept: 'image/*' }, rejectUnauthorized: this.#verify }, (res) => {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (status >= 300 && status < 400 && location) {
          res.resume();
          if (redirects >= MAX_REDIRECTS) return fail(new Error(`more than ${MAX_REDIRECTS} redirects`));
          let next: URL;
          try {
            next = new URL(location, url);
          } catch {
            return fail(new Error(`bad redirect to '${location}'`));
          }
          if (next.protocol !== 'http:' && next.protocol !== 'https:') return fail(new Error(`redirect to ${next.protocol} refused`));
          return void this.#download(next, signal, redirects + 1).then(resolve, reject);
        }
        if (status !== 200) {
          res.resume();
          return fail(new Error(`HTTP ${status}`));
        }
        if (Number(res.headers['content-length'] ?? 0) > this.#limits.maxBytes) {
          res.destroy();
          return fail(this.#tooBig(url.href));
        }
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (c: Buffer) => {
          total += c.length;
          if (total > this.#limits.maxBytes) {
            res.destroy();
            return fail(this.#tooBig(url.href));
          }
          chunks.push(c);
        });
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', fail);
      });
      req.on('error', fail);
    });
  }

  /** dns.lookup, refusing any answer in a denied network (the connect-time half of the destination check). */
  #checkedLookup(): LookupFunction {
    return (hostname, options, callback) => {
      lookup(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return callback(err, '', 0);
        for (const a of addresses) {
          const why = this.#policy.refuses(a.address);
          if (why) return callback(Object.assign(new Error(`'uri' refused: ${hostname} resolves to ${why}`), { code: REFUSED }), '', 0);
        }
        const first = addresses[0];
        if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
        if (options.all) (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
        else callback(null, first.address, first.family);
      });
    };
  }

  #illegal(message: string): KurentoError {
    return new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `${this.#who}: ${message}`);
  }

  #tooBig(uri: string): KurentoError {
    return this.#illegal(`${uri} is larger than ${this.#limits.maxBytes} bytes`);
  }
}
