import { readFile, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { DestinationPolicy, refusedHost } from '../../shared/DestinationPolicy.ts';
import { KurentoError } from '../../shared/KurentoError.ts';

/**
 * Fetches an image a filter shows (ChromaFilter's background), once, into a local file
 * the media engine reads: http(s) or file URIs (the control side checked the scheme,
 * file roots and IP literals), at most `maxBytes`, within `timeoutMs` (redirects
 * included), every host on
 * the way (redirects included) checked against the destination lists, and the bytes
 * must be an image gdk-pixbuf reads (PNG, JPEG, GIF, BMP). Errors are KurentoErrors
 * naming the URI, for the call that gave it.
 *
 * Kept small and on its own: the overlay filters get their own fetcher
 * (OverlayImage.ts, another branch); when it lands this one should give way to it.
 */
export interface ImageFetchOptions {
  destinations: { deny: readonly string[]; allow: readonly string[] };
  maxBytes?: number;
  timeoutMs?: number;
  /**
   * Whether https certificates are verified. Kurento's image fetch (libsoup without a CA
   * file) does not verify them, and its tutorials rely on that: the background comes
   * from the application server's self-signed `https://.../img/mario.jpg`.
   * ChromaFilter.conf.ini `verifyImageCertificates=true` turns verification on.
   */
  verifyTls?: boolean;
}

const MAX_BYTES = 8 * 1024 * 1024;
const TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;

export async function fetchImage(uri: string, file: string, opts: ImageFetchOptions): Promise<void> {
  const fail = (why: string): KurentoError => new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `image '${uri}': ${why}`);
  const maxBytes = opts.maxBytes ?? MAX_BYTES;
  const timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
  let bytes: Buffer;
  try {
    const url = new URL(uri);
    bytes = url.protocol === 'file:' ? await readLocal(url) : await download(url);
  } catch (err) {
    if (err instanceof KurentoError) throw err;
    throw fail((err as Error).message);
  }
  if (!isImage(bytes)) throw fail('not a PNG, JPEG, GIF or BMP image');
  await writeFile(file, bytes, { mode: 0o600 });

  async function readLocal(url: URL): Promise<Buffer> {
    const path = fileURLToPath(url);
    const s = await stat(path);
    if (!s.isFile()) throw fail('not a regular file');
    if (s.size > maxBytes) throw fail(`larger than ${maxBytes} bytes`);
    return readFile(path);
  }

  async function download(start: URL): Promise<Buffer> {
    const policy = new DestinationPolicy(opts.destinations.deny, opts.destinations.allow);
    const deadline = Date.now() + timeoutMs;
    let url = start;
    for (let hop = 0; ; hop++) {
      const why = await refusedHost(policy, url.hostname);
      if (why) throw fail(`refused: ${why}`);
      // Redirects are followed here, one by one, so each host is checked before it is reached.
      const got = await get(url, deadline);
      if ('location' in got) {
        if (hop >= MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects`);
        url = new URL(got.location, url);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(`redirected to a ${url.protocol} URI`);
        continue;
      }
      return got.body;
    }
  }

  function get(url: URL, deadline: number): Promise<{ body: Buffer } | { location: string }> {
    return new Promise((resolve, reject) => {
      const left = Math.max(1, deadline - Date.now());
      const req = (url.protocol === 'https:' ? https : http).get(url, { rejectUnauthorized: opts.verifyTls === true, timeout: left }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          return resolve({ location: res.headers.location });
        }
        if (status !== 200) {
          res.resume();
          return reject(fail(`HTTP ${status}`));
        }
        if (Number(res.headers['content-length'] ?? 0) > maxBytes) {
          req.destroy();
          return reject(fail(`larger than ${maxBytes} bytes`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy();
            reject(fail(`larger than ${maxBytes} bytes`));
          } else chunks.push(chunk);
        });
        res.on('end', () => resolve({ body: Buffer.concat(chunks, size) }));
        res.on('error', reject);
      });
      // One deadline for the whole fetch, redirects included.
      const timer = setTimeout(() => req.destroy(fail(`no answer within ${timeoutMs} ms`)), left);
      req.on('close', () => clearTimeout(timer));
      req.on('timeout', () => req.destroy(fail(`no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
    });
  }
}

/** The magic numbers of the formats every gdk-pixbuf build reads. */
function isImage(b: Buffer): boolean {
  return (b.length > 8 && b.readUInt32BE(0) === 0x89504e47) // PNG
    || (b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) // JPEG
    || (b.length > 6 && (b.toString('latin1', 0, 6) === 'GIF87a' || b.toString('latin1', 0, 6) === 'GIF89a'))
    || (b.length > 26 && b.toString('latin1', 0, 2) === 'BM');
}
