import { inspect } from 'node:util';
import { isMainThread, threadId } from 'node:worker_threads';
import { Level, levelFor, levelName, parseDebugSpec, type DebugSpec, type LevelName } from './DebugSpec.ts';
import { RotatingFile } from './RotatingFile.ts';

export { DEFAULT_SPEC, Level, levelFor, levelName, parseDebugSpec, parseLevel } from './DebugSpec.ts';
export type { DebugRule, DebugSpec, LevelName } from './DebugSpec.ts';

export interface LoggingOptions {
  /** A GST_DEBUG-style threshold list, e.g. "3,Kurento*:4,KurentoWebSocket*:5". */
  readonly spec: string;
  /** Colours allowed (they are used only when the output is a terminal and not a file). */
  readonly color: boolean;
  /** Write rotating log files in this folder instead of the console. */
  readonly logsPath?: string;
  /** Size of one log file, MB (Kurento's --log-file-size, default 100). */
  readonly logFileSizeMb?: number;
  /** Log files kept (Kurento's --number-log-files, default 10). */
  readonly numberLogFiles?: number;
}

/** Colours of GStreamer's console output, by level. */
const COLORS: Record<number, string> = { 1: '\x1b[31;1m', 2: '\x1b[33;1m', 3: '\x1b[35m', 4: '\x1b[32;1m', 5: '\x1b[36m', 6: '\x1b[37m', 7: '\x1b[90m', 9: '\x1b[90m' };

/**
 * Before `configure` (unit tests, Fluo embedded as a library): GST_DEBUG if set, else
 * warnings and errors only, so that a library user's console stays quiet. `npm start`
 * configures it from the command line with Kurento's default.
 */
const UNCONFIGURED: LoggingOptions = { spec: process.env.GST_DEBUG?.trim() || '2', color: false };

/**
 * A logger per debug category, thresholds set like Kurento's with GST_DEBUG. The
 * configuration is process-wide (each worker thread has its own copy: pass `options`
 * to it), like GST_DEBUG itself; no media state lives here.
 *
 * A disabled call costs one integer comparison. Build expensive messages only when
 * needed: `if (log.enabled(Level.DEBUG)) ...`, or pass a function as the message.
 *
 * Line format (close to Kurento's):
 * `2024-05-01T10:00:00.123Z 4242 0x0001 INFO    KurentoMediaServer message k=v`.
 */
export class Logger {
  static #options: LoggingOptions = UNCONFIGURED;
  static #spec: DebugSpec = parseDebugSpec(UNCONFIGURED.spec);
  static #file: RotatingFile | undefined;
  static readonly #all = new Map<string, Logger>();

  readonly category: string;
  #level: number;

  private constructor(category: string) {
    this.category = category;
    this.#level = levelFor(category, Logger.#spec);
  }

  /** Sets thresholds and output for every logger, existing and future. */
  static configure(opts: LoggingOptions): void {
    Logger.#file?.close();
    Logger.#options = { ...opts };
    Logger.#spec = parseDebugSpec(opts.spec);
    Logger.#file = opts.logsPath
      ? new RotatingFile({
        dir: opts.logsPath,
        maxBytes: (opts.logFileSizeMb ?? 100) * 1024 * 1024,
        maxFiles: opts.numberLogFiles ?? 10,
        // Worker threads write files of their own: two rotators on one file would clash.
        suffix: isMainThread ? undefined : `t${threadId}`,
      })
      : undefined;
    for (const l of Logger.#all.values()) l.#level = levelFor(l.category, Logger.#spec);
  }

  /** The options in force, e.g. to hand to a worker thread. */
  static get options(): LoggingOptions {
    return Logger.#options;
  }

  /** The log file being written, if logging to files. */
  static get currentFile(): string | undefined {
    return Logger.#file?.current || undefined;
  }

  static get(category: string): Logger {
    let l = Logger.#all.get(category);
    if (!l) Logger.#all.set(category, (l = new Logger(category)));
    return l;
  }

  /** This category's threshold. */
  get level(): number {
    return this.#level;
  }

  enabled(level: number | LevelName): boolean {
    return (typeof level === 'number' ? level : Level[level]) <= this.#level;
  }

  error(msg: Message, ...fields: unknown[]): void { if (this.#level >= Level.ERROR) this.#write(Level.ERROR, msg, fields); }
  warn(msg: Message, ...fields: unknown[]): void { if (this.#level >= Level.WARNING) this.#write(Level.WARNING, msg, fields); }
  fixme(msg: Message, ...fields: unknown[]): void { if (this.#level >= Level.FIXME) this.#write(Level.FIXME, msg, fields); }
  info(msg: Message, ...fields: unknown[]): void { if (this.#level >= Level.INFO) this.#write(Level.INFO, msg, fields); }
  debug(msg: Message, ...fields: unknown[]): void { if (this.#level >= Level.DEBUG) this.#write(Level.DEBUG, msg, fields); }
  log(msg: Message, ...fields: unknown[]): void { if (this.#level >= Level.LOG) this.#write(Level.LOG, msg, fields); }
  trace(msg: Message, ...fields: unknown[]): void { if (this.#level >= Level.TRACE) this.#write(Level.TRACE, msg, fields); }
  memdump(msg: Message, ...fields: unknown[]): void { if (this.#level >= Level.MEMDUMP) this.#write(Level.MEMDUMP, msg, fields); }

  #write(level: number, msg: Message, fields: readonly unknown[]): void {
    let text = typeof msg === 'function' ? msg() : msg;
    for (const f of fields) text += ` ${formatField(f, level)}`;
    const name = levelName(level).padEnd(7);
    const head = `${new Date().toISOString()} ${process.pid} 0x${threadId.toString(16).padStart(4, '0')}`;
    const file = Logger.#file;
    if (file) {
      file.write(`${head} ${name} ${this.category} ${text}\n`);
      return;
    }
    // Errors and warnings to stderr, the rest to stdout (GStreamer writes all to stderr,
    // but a service manager's journal keeps both, and stdout is what `npm start` shows).
    const stream = level <= Level.WARNING ? process.stderr : process.stdout;
    const colored = Logger.#options.color && stream.isTTY === true;
    const lvl = colored ? `${COLORS[level] ?? ''}${name}\x1b[0m` : name;
    const cat = colored ? `\x1b[1m${this.category}\x1b[0m` : this.category;
    stream.write(`${head} ${lvl} ${cat} ${text}\n`);
  }
}

/** A message, or a function making it (called only when the level is enabled). */
export type Message = string | (() => string);

/** `key=value` for plain objects, the message (stack from DEBUG on) for errors, inspect() otherwise. */
function formatField(f: unknown, level: number): string {
  if (typeof f === 'string') return f;
  if (f instanceof Error) return level >= Level.DEBUG && f.stack ? f.stack : `${f.name}: ${f.message}`;
  if (f !== null && typeof f === 'object' && Object.getPrototypeOf(f) === Object.prototype) {
    return Object.entries(f as Record<string, unknown>)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : inspect(v, { breakLength: Infinity, depth: 3 })}`)
      .join(' ');
  }
  return inspect(f, { breakLength: Infinity, depth: 3 });
}
