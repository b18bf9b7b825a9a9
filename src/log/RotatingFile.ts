import fs from 'node:fs';
import path from 'node:path';

export interface RotatingFileOptions {
  readonly dir: string;
  /** Start a new file once the current one would grow past this many bytes. */
  readonly maxBytes: number;
  /** Log files kept in `dir` (the current one included); older ones are deleted. */
  readonly maxFiles: number;
  /** Added to the file names, so that several writers (worker threads) never share a file. */
  readonly suffix?: string;
}

/** Names Kurento gives its log files: `{DateTime}.{LogNumber}.pid{PID}.log`. */
const NAME = /^\d{4}-\d\d-\d\dT\d{6}\.\d{5}\.pid\d+(?:\.[A-Za-z0-9_-]+)?\.log$/;

/**
 * Log files named and rotated as Kurento's (Kurento docs, "Debug Logging"):
 * `2018-06-14T194426.00000.pid13006.log` — creation time (ISO 8601, basic time), file
 * number, process id — a new file when the size limit (`--log-file-size`, MB) is reached,
 * and only the newest `--number-log-files` files kept. Older runs' files in the folder
 * count towards that limit, so a restarting server does not fill the disk either.
 *
 * Writes are synchronous: a log line must not be lost when the process dies right
 * after writing it, and GStreamer's own file output is synchronous too.
 */
export class RotatingFile {
  readonly #opts: RotatingFileOptions;
  #fd: number | undefined;
  #size = 0;
  #number = 0;
  #current = '';

  constructor(opts: RotatingFileOptions) {
    this.#opts = { ...opts, maxBytes: Math.max(1, opts.maxBytes), maxFiles: Math.max(1, opts.maxFiles) };
  }

  /** The file being written (empty before the first write). */
  get current(): string {
    return this.#current;
  }

  write(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (this.#fd === undefined || (this.#size > 0 && this.#size + bytes > this.#opts.maxBytes)) this.#open();
    fs.writeSync(this.#fd!, text);
    this.#size += bytes;
  }

  close(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(): void {
    const first = this.#fd === undefined && this.#current === '';
    this.close();
    if (!first) this.#number++;
    fs.mkdirSync(this.#opts.dir, { recursive: true });
    const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '');
    const suffix = this.#opts.suffix ? `.${this.#opts.suffix}` : '';
    const name = `${stamp}.${String(this.#number).padStart(5, '0')}.pid${process.pid}${suffix}.log`;
    this.#current = path.join(this.#opts.dir, name);
    this.#fd = fs.openSync(this.#current, 'a');
    this.#size = fs.fstatSync(this.#fd).size;
    this.#prune();
  }

  /** Deletes the oldest log files beyond the limit (by modification time, then name). */
  #prune(): void {
    const files = fs.readdirSync(this.#opts.dir)
      .filter((f) => NAME.test(f))
      .map((f) => {
        const full = path.join(this.#opts.dir, f);
        try {
          return { full, mtime: fs.statSync(full).mtimeMs };
        } catch {
          return undefined; // removed meanwhile by another writer
        }
      })
      .filter((f): f is { full: string; mtime: number } => f !== undefined && f.full !== this.#current)
      .sort((a, b) => a.mtime - b.mtime || a.full.localeCompare(b.full));
    const excess = files.length + 1 - this.#opts.maxFiles;
    for (const f of files.slice(0, Math.max(0, excess))) fs.rmSync(f.full, { force: true });
  }
}
