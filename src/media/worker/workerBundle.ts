/**
 * The media worker's code as one bundled ES module (issue 14 item 3: "make the start
 * itself cheap"). A worker started from `worker-boot.mjs` loads about 370 modules through
 * tsx's loader hooks: ready in ~350 ms on this VM. The same code bundled by esbuild (a
 * dependency; its binary is local) is ready in ~90 ms. The bundle is built once per
 * server process (~200 ms, in esbuild's own process) into node_modules/.cache, where
 * bare imports left outside it still resolve; `worker-boot.mjs` stays the fallback
 * (read-only tree, no esbuild binary) and is forced by FLUO_WORKER_TSX=1.
 *
 * Each source file's `import.meta.url` is replaced by that file's own URL, so the paths
 * the worker code derives from it (the engine's entry, the native addon) stay what they
 * are unbundled. esbuild stays outside the bundle: its JavaScript API finds its binary
 * relative to its own file.
 */
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ENTRY = fileURLToPath(new URL('./worker-main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SRC = join(ROOT, 'src');
const FALLBACK = new URL('./worker-boot.mjs', import.meta.url);

/** `import.meta.url` of each of our source files, as it would be unbundled. */
const ownUrls: Plugin = {
  name: 'fluo-own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith(SRC)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

let entry: Promise<URL> | undefined;

/** The URL to start a media worker from: the bundle, or the tsx boot file when it cannot be built. */
export function workerEntry(): Promise<URL> {
  entry ??= bundle().catch(() => FALLBACK);
  return entry;
}

async function bundle(): Promise<URL> {
  if (process.env.FLUO_WORKER_TSX === '1') return FALLBACK;
  const out = join(ROOT, 'node_modules', '.cache', 'fluo-worker', 'worker-main.mjs');
  // Parents building at the same time (test files) each write their own file; the
  // rename is atomic, and every build of the same tree has the same bytes.
  const tmp = `${out}.${process.pid}.tmp`;
  mkdirSync(dirname(out), { recursive: true });
  await build({
    entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    external: ['esbuild', 'node-gtk'], outfile: tmp, logLevel: 'silent', plugins: [ownUrls],
    // Bundled CommonJS dependencies call require(): give the module one.
    banner: { js: "import { createRequire as __fluoRequire } from 'node:module'; const require = __fluoRequire(import.meta.url);" },
  });
  renameSync(tmp, out);
  return pathToFileURL(out);
}
