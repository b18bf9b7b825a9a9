import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directories `file://` URIs of players and recorders may name (issue 16: a
 * control-socket client must not read or write files elsewhere). The path is made
 * absolute and normal (no `..`), and symbolic links in the part that exists are
 * followed, so neither `..` nor a link leads out of a root. Default: `/`, the whole
 * file system, as Kurento.
 */
export class FileRoots {
  readonly #roots: readonly string[];

  constructor(roots: readonly string[] = ['/']) {
    this.#roots = roots.map((r) => realOrSelf(path.resolve(r)));
  }

  /** The roots, resolved (handed to the media plane, which builds its own). */
  get list(): readonly string[] {
    return this.#roots;
  }

  /** Why `uri` (a parsed file: URL) may not be used, or undefined. */
  refuses(uri: URL): string | undefined {
    if (uri.hostname !== '' && uri.hostname !== 'localhost') return `file URI on another host '${uri.hostname}'`;
    let file: string;
    try {
      file = fileURLToPath(uri);
    } catch (err) {
      return (err as Error).message;
    }
    const real = realPrefix(path.resolve(file));
    if (this.#roots.some((root) => real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep))) return undefined;
    return `${real} is outside mediaServer.security.fileRoots (${this.#roots.join(', ')})`;
  }
}

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** The path with its longest existing prefix resolved through symbolic links (a recording's file may not exist yet). */
function realPrefix(p: string): string {
  let head = p;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(head), ...tail);
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return p;
      tail.unshift(path.basename(head));
      head = parent;
    }
  }
}
