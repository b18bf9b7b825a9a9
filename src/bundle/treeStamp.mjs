// Whether a bundle in node_modules/.cache was built from the tree as it is now, so that a
// process can use it without building it again. Every test file's process (and every
// server start) used to run esbuild for the media worker's bundle and the engine's:
// about 0.3-0.5 s of CPU each, in a suite of some 50 such processes.
//
// The stamp is the size and modification time of every file under src/ (what the
// bundles are built from), of package-lock.json (the bundled dependencies) and of the
// bundler files themselves: a few hundred stat(2) calls, about 2-5 ms. An edit that
// keeps both a file's size and its mtime is the one change it misses.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The stamp of the tree now (a hex digest). */
export function treeStamp() {
  const h = createHash('sha1');
  const add = (p) => {
    const s = statSync(p, { throwIfNoEntry: false });
    if (s) h.update(`${p}\0${s.size}\0${s.mtimeMs}\n`);
  };
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else add(p);
    }
  };
  walk(join(ROOT, 'src'));
  add(join(ROOT, 'package-lock.json'));
  return h.digest('hex');
}

/** True when `out` exists and was built from a tree with stamp `stamp`. */
export function builtFrom(out, stamp) {
  try {
    statSync(out);
    return readFileSync(`${out}.stamp`, 'utf8') === stamp;
  } catch {
    return false;
  }
}

/** Records that `out` (just renamed into place) was built from the tree with `stamp`. */
export function markBuilt(out, stamp) {
  const tmp = `${out}.stamp.${process.pid}.tmp`;
  writeFileSync(tmp, stamp);
  renameSync(tmp, `${out}.stamp`);
}
