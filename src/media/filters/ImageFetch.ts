import { readFile, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DestinationPolicy, refusedHost } from '../../shared/DestinationPolicy.ts';
import { KurentoError } from '../../shared/KurentoError.ts';

/**
 * Fetches an image a filter shows (ChromaFilter's background), once, into a local file
 * the media engine reads: http(s) or file URIs (the control side checked the scheme,
 * file roots and IP literals), at most `maxBytes`, within `timeoutMs`, every host on
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
}

const MAX_BYTES = 8 * 1024 * 1024;
const TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;

export async function fetchImage(uri: string, file: string, opts: ImageFetchOptions): Promise<void> {
  const fail = (why: string): KurentoError => new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `image '${uri}': ${why}`);
  const maxBytes = opts.maxBytes ?? MAX_BYTES;
  let bytes: Buffer;
  try {
    const url = new URL(uri);
    bytes = url.protocol === 'file:' ? await readLocal(url, maxBytes) : await download(url, opts, maxBytes);
  } catch (err) {
    if (err instanceof KurentoError) throw err;
    const e = err as Error & { cause?: { code?: string } };
    throw fail(e.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs ?? TIMEOUT_MS} ms` : e.message + (e.cause?.code ? ` (${e.cause.code})` : ''));
  }
  if (!isImage(bytes)) throw fail('not a PNG, JPEG, GIF or BMP image');
  await writeFile(file, bytes, { mode: 0o600 });

  async function readLocal(url: URL, max: number): Promise<Buffer> {
    const path = fileURLToPath(url);
    const s = await stat(path);
    if (!s.isFile()) throw fail('not a regular file');
    if (s.size > max) throw fail(`larger than ${max} bytes`);
    return readFile(path);
  }

  async function download(start: URL, o: ImageFetchOptions, max: number): Promise<Buffer> {
    const policy = new DestinationPolicy(o.destinations.deny, o.destinations.allow);
    const signal = AbortSignal.timeout(o.timeoutMs ?? TIMEOUT_MS);
    let url = start;
    for (let hop = 0; ; hop++) {
      const why = await refusedHost(policy, url.hostname);
      if (why) throw fail(`refused: ${why}`);
      // Redirects are followed here, one by one, so each host is checked before it is reached.
      const res = await fetch(url, { redirect: 'manual', signal });
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects`);
        url = new URL(location, url);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(`redirected to a ${url.protocol} URI`);
        continue;
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw fail(`HTTP ${res.status}`);
      }
      if (Number(res.headers.get('content-length') ?? 0) > max) {
        await res.body?.cancel();
        throw fail(`larger than ${max} bytes`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body ?? []) {
        size += (chunk as Uint8Array).byteLength;
        if (size > max) throw fail(`larger than ${max} bytes`);
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
      return Buffer.concat(chunks, size);
    }
  }
}

/** The magic numbers of the formats every gdk-pixbuf build reads. */
function isImage(b: Buffer): boolean {
  return (b.length > 8 && b.readUInt32BE(0) === 0x89504e47) // PNG
    || (b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) // JPEG
    || (b.length > 6 && (b.toString('latin1', 0, 6) === 'GIF87a' || b.toString('latin1', 0, 6) === 'GIF89a'))
    || (b.length > 26 && b.toString('latin1', 0, 2) === 'BM');
}
