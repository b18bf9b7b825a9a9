// Fluo's own code as one bundled ES module per process entry (server, media worker),
// built by esbuild (a dependency; its binary is local, nothing is fetched) into
// node_modules/.cache, where the bare imports left outside the bundle still resolve.
// Loading ~370 modules through tsx's loader hooks costs time and memory at every start:
// a media worker is ready in ~90 ms bundled against ~350 ms through tsx, and an idle
// server holds ~25 MB less without tsx's loader thread (measured on the 2-core VM).
// Plain JavaScript: the launcher (src/fluo.mjs) runs it before any TypeScript loads.
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, stop } from 'esbuild';
import { lightWeriftEvents } from './lightEvents.mjs';
import { builtFrom, markBuilt, treeStamp } from './treeStamp.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(ROOT, 'src');
// Spelt in pieces so that this file's text never holds the expression the plugin below
// rewrites in the files it bundles.
const META_URL = ['import', 'meta', 'url'].join('.');

/**
 * Each of our source files' module URL stays its own: the paths derived from it (the
 * engine's entry, the native addon, package.json) stay what they are unbundled.
 */
const ownUrls = {
  name: 'fluo-own-module-url',
  setup(b) {
    b.onLoad({ filter: /\.m?[tj]s$/ }, (args) => {
      if (!args.path.startsWith(SRC)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(META_URL)) return undefined;
      return { contents: text.replaceAll(META_URL, JSON.stringify(pathToFileURL(args.path).href)), loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
    });
  },
};

/**
 * Bundles `entry` (an absolute path under src/) into node_modules/.cache/<cacheName>/
 * and resolves with the bundle's URL. Parents building at the same time (test files)
 * each write their own file and rename it: the rename is atomic and every build of the
 * same tree has the same bytes. esbuild itself stays outside (its JavaScript API finds
 * its binary relative to its own file), node-gtk too (a native addon).
 */
export function bundle(entry, cacheName) {
  const run = queue.then(() => buildOne(entry, cacheName));
  const after = run.catch(() => undefined).then(() => (queue === after ? stop() : undefined));
  queue = after;
  return run;
}

/**
 * Builds run one after another, and esbuild's service process (~90 MB, idle otherwise)
 * is stopped once no build is waiting: a server builds twice (itself, then its media
 * workers' code) and never again.
 */
let queue = Promise.resolve();

async function buildOne(entry, cacheName) {
  const out = join(ROOT, 'node_modules', '.cache', cacheName, `${basename(entry, '.ts')}.mjs`);
  // A bundle built from this very tree (treeStamp.mjs) is used as it is.
  const stamp = treeStamp();
  if (builtFrom(out, stamp)) return pathToFileURL(out);
  const tmp = `${out}.${process.pid}.tmp`;
  mkdirSync(dirname(out), { recursive: true });
  await build({
    entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    external: ['esbuild', 'node-gtk'], outfile: tmp, logLevel: 'silent', plugins: [ownUrls, lightWeriftEvents],
    // Bundled CommonJS dependencies call require(): give the module one.
    banner: { js: `import { createRequire as __fluoRequire } from 'node:module'; const require = __fluoRequire(${META_URL});` },
  });
  renameSync(tmp, out);
  markBuilt(out, stamp);
  return pathToFileURL(out);
}
