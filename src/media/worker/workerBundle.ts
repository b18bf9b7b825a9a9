/**
 * The media worker's code as one bundled ES module (issue 14 item 3: "make the start
 * itself cheap"): ready in ~90 ms against ~350 ms through tsx's loader hooks, built once
 * per source tree (~200 ms, in esbuild's own process) by `src/bundle/esbundle.mjs`.
 * `worker-boot.mjs` (tsx) stays the fallback (read-only tree, no esbuild binary) and is
 * forced by FLUO_WORKER_TSX=1.
 */
import { fileURLToPath } from 'node:url';
import { bundle } from '../../bundle/esbundle.mjs';

const ENTRY = fileURLToPath(new URL('./worker-main.ts', import.meta.url));
const FALLBACK = new URL('./worker-boot.mjs', import.meta.url);

let entry: Promise<URL> | undefined;

/** The URL to start a media worker from: the bundle, or the tsx boot file when it cannot be built. */
export function workerEntry(): Promise<URL> {
  entry ??= process.env.FLUO_WORKER_TSX === '1' ? Promise.resolve(FALLBACK) : bundle(ENTRY, 'fluo-worker').catch(() => FALLBACK);
  return entry;
}
