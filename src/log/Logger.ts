import fs from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

/** GStreamer debug levels, as Kurento documents them ("Debug Logging"). */
export const LEVELS = ['NONE', 'ERROR', 'WARNING', 'FIXME', 'INFO', 'DEBUG', 'LOG', 'TRACE', 'MEMDUMP'] as const;
export type LevelName = (typeof LEVELS)[number];

/** Kurento's default when GST_DEBUG is not set. */
export const DEFAULT_SPEC = '3,Kurento*:4,kms*:4,sdp*:4,webrtc*:4,*rtpendpoint:4,rtp*handler:4,rtpsynchronizer:4,agnosticbin:4';

export interface LoggingOptions {
  readonly spec: string;
  readonly color: boolean;
  readonly logsPath?: string;
  /** Rotation: size of one file in MB, and how many files to keep. */
  readonly logFileSizeMb?: number;
  readonly numberLogFiles?: number;
}

interface Rule { readonly pattern: RegExp; readonly level: number }

/** Parses a GST_DEBUG spec: `N` sets the default, `pattern:N` a category (glob `*`). */
export function parseDebugSpec(spec: string): { defaultLevel: number; rules: Rule[] } {
  let defaultLevel = 0;
  const rules: Rule[] = [];
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const colon = item.lastIndexOf(':');
    if (colon < 0) {
      const l = parseLevel(item);
      if (l !== undefined) defaultLevel = l;
      continue;
    }
    const l = parseLevel(item.slice(colon + 1));
    if (l === undefined) continue;
    const glob = item.slice(0, colon).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
    rules.push({ pattern: new RegExp(`^${glob}$`), level: l });
  }
  return { defaultLevel, rules };
}

export function parseLevel(s: string): number | undefined {
  const t = s.trim().toUpperCase();
  if (/^\d+$/.test(t)) return Math.min(Number(t), 9);
  const i = LEVELS.indexOf(t === 'WARN' ? 'WARNING' : (t as LevelName));
  return i >= 0 ? i : undefined;
}

/** The level a category gets: the last matching rule wins, as in GStreamer. */
export function levelFor(category: string, spec: { defaultLevel: number; rules: readonly Rule[] }): number {
  let level = spec.defaultLevel;
  for (const r of spec.rules) if (r.pattern.test(category)) level = r.level;
  return level;
}

/** Where lines go: stdout/stderr, or rotating files under `--logs-path`. */
class Sink {
  #fd: number | undefined;
  #size = 0;
  constructor(readonly opts: LoggingOptions) {}

  write(line: string, level: number): void {
    if (!this.opts.logsPath) {
      (level <= 2 ? process.stderr : process.stdout).write(line);
      return;
    }
    const max = (this.opts.logFileSizeMb ?? 100) * 1024 * 1024;
    if (this.#fd === undefined || this.#size + line.length > max) this.#rotate();
    fs.writeSync(this.#fd!, line);
    this.#size += Buffer.byteLength(line);
  }

  #rotate(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    const dir = this.opts.logsPath!;
    fs.mkdirSync(dir, { recursive: true });
    const keep = Math.max(this.opts.numberLogFiles ?? 10, 1);
    const base = path.join(dir, 'fluo.log');
    for (let i = keep - 1; i >= 1; i--) {
      const from = i === 1 ? base : `${base}.${i - 1}`;
      if (fs.existsSync(from)) fs.renameSync(from, `${base}.${i}`);
    }
    if (keep === 1 && fs.existsSync(base)) fs.rmSync(base);
    this.#fd = fs.openSync(base, 'a');
    this.#size = 0;
  }
}

const COLORS = ['', '\x1b[31m', '\x1b[33m', '\x1b[35m', '\x1b[32m', '\x1b[36m', '\x1b[37m', '\x1b[90m', '\x1b[90m'];

/**
 * A logger per debug category, configured like Kurento with GST_DEBUG. Process-wide
 * configuration (like GST_DEBUG itself), no media state. Disabled levels cost one
 * integer comparison.
 */
export class Logger {
  static #spec = parseDebugSpec(process.env.GST_DEBUG ?? '2');
  static #opts: LoggingOptions = { spec: process.env.GST_DEBUG ?? '2', color: false };
  static #sink = new Sink(Logger.#opts);
  static readonly #all = new Map<string, Logger>();

  readonly category: string;
  #level: number;

  private constructor(category: string) {
    this.category = category;
    this.#level = levelFor(category, Logger.#spec);
  }

  static configure(opts: LoggingOptions): void {
    Logger.#opts = opts;
    Logger.#spec = parseDebugSpec(opts.spec);
    Logger.#sink = new Sink(opts);
    for (const l of Logger.#all.values()) l.#level = levelFor(l.category, Logger.#spec);
  }

  static get(category: string): Logger {
    let l = Logger.#all.get(category);
    if (!l) Logger.#all.set(category, (l = new Logger(category)));
    return l;
  }

  get level(): number {
    return this.#level;
  }

  enabled(level: number): boolean {
    return level <= this.#level;
  }

  error(msg: string): void { if (this.#level >= 1) this.#write(1, msg); }
  warn(msg: string): void { if (this.#level >= 2) this.#write(2, msg); }
  fixme(msg: string): void { if (this.#level >= 3) this.#write(3, msg); }
  info(msg: string): void { if (this.#level >= 4) this.#write(4, msg); }
  debug(msg: string): void { if (this.#level >= 5) this.#write(5, msg); }
  log(msg: string): void { if (this.#level >= 6) this.#write(6, msg); }
  trace(msg: string): void { if (this.#level >= 7) this.#write(7, msg); }

  #write(level: number, msg: string): void {
    const name = LEVELS[level]!.padEnd(7);
    const head = `${new Date().toISOString()} ${process.pid} ${`0x${threadId.toString(16)}`.padEnd(6)}`;
    const lvl = Logger.#opts.color && !Logger.#opts.logsPath ? `${COLORS[level]}${name}\x1b[0m` : name;
    Logger.#sink.write(`${head} ${lvl} ${this.category} ${msg}\n`, level);
  }
}
