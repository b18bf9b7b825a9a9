/**
 * Parent side of one engine child process (engine-main.ts): spawn, typed request/reply
 * with timeouts, a heartbeat, and an `exit` event that says why the child went.
 *
 * Faults (issue 11 section 2, engine-host-notes): a child that crashes is only an `exit`
 * here; one that stops answering pings within `heartbeatTimeoutMs` is SIGKILLed. Every
 * pipe has an `error` handler, a write to a dead child must not throw in the server. The
 * child exits by itself when its control channel closes, so even a SIGKILLed parent
 * leaves no engine behind.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdirSync, renameSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { builtFrom, markBuilt, treeStamp } from '../bundle/treeStamp.mjs';
import { EngineError } from './EngineError.ts';
import { splitLines } from './lines.ts';
import type { EngineArgs, EngineEvent, EngineOp, EngineResult, FromEngine, ToEngine } from './protocol.ts';

export interface EngineProcessOptions {
  /** A ping every this often (default 1000 ms). */
  heartbeatIntervalMs?: number;
  /** A ping unanswered this long kills the child (default 5000 ms). */
  heartbeatTimeoutMs?: number;
  /** Default time for a request's answer (default 10000 ms). */
  requestTimeoutMs?: number;
  /** Spawn to `ready` (node-gtk load and Gst.init: ~0.4 s warm, seconds on a cold disk; default 15000 ms). */
  readyTimeoutMs?: number;
  /** Extra environment for the child (GST_DEBUG, ...). */
  env?: NodeJS.ProcessEnv;
  /** The child's stdout/stderr lines (GStreamer's own prints). */
  onLog?: (line: string) => void;
}

export type EngineExitReason =
  /** `stop()` asked for it. */
  | 'stopped'
  /** Killed by the heartbeat: no answer to ping within heartbeatTimeoutMs. */
  | 'heartbeat'
  /** `kill()` from this side. */
  | 'killed'
  /** Exited on its own: a crash (signal) or an unexpected exit code. */
  | 'crashed'
  /** Never became ready. */
  | 'start-failed';

export interface EngineExit {
  reason: EngineExitReason;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** A sentence for logs and error events: what happened, with the child's last stderr line. */
  description: string;
}

export interface EngineProcessEvents {
  event: [EngineEvent];
  exit: [EngineExit];
}

interface Pending {
  op: EngineOp;
  resolve: (v: never) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const ENTRY = fileURLToPath(new URL('./engine-main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LOG_TAIL = 20;

let childArgs: string[] | null = null;

/**
 * How the child runs engine-main.ts: bundled once per source tree with esbuild (a
 * dependency; its binary is local, nothing is fetched) into node_modules/.cache, where
 * `node-gtk` still resolves. Measured here: ready in ~0.2 s and ~67 MB RSS, against
 * ~0.4 s and ~93 MB through `--import tsx`, which stays the fallback (and is forced by
 * FLUO_ENGINE_TSX=1). Concurrent parents write the same bytes; the rename is atomic.
 */
function engineArgs(): string[] {
  if (childArgs) return childArgs;
  // --expose-gc: engine-main collects after removals (finalized elements free descriptors).
  childArgs = ['--expose-gc', '--import', import.meta.resolve('tsx'), ENTRY];
  if (process.env.FLUO_ENGINE_TSX === '1') return childArgs;
  try {
    const out = join(ROOT, 'node_modules', '.cache', 'fluo-engine', 'engine-main.mjs');
    // Built once per tree, not once per parent process (treeStamp.mjs).
    const stamp = treeStamp();
    if (!builtFrom(out, stamp)) {
      const tmp = `${out}.${process.pid}.tmp`;
      mkdirSync(dirname(out), { recursive: true });
      buildSync({ entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'esm', target: 'node20', external: ['node-gtk'], outfile: tmp, logLevel: 'silent' });
      renameSync(tmp, out);
      markBuilt(out, stamp);
    }
    childArgs = ['--expose-gc', out];
  } catch {
    // Read-only tree or no esbuild binary: the tsx path works everywhere tests run.
  }
  return childArgs;
}

export class EngineProcess extends EventEmitter<EngineProcessEvents> {
  readonly pid: number;
  /** GStreamer version the child runs. */
  gstVersion = '';
  private readonly child: ChildProcess;
  private readonly channel: Socket;
  private readonly pending = new Map<number, Pending>();
  private readonly opts: Required<Omit<EngineProcessOptions, 'env' | 'onLog'>> & Pick<EngineProcessOptions, 'onLog'>;
  private readonly tail: string[] = [];
  private nextId = 1;
  private heartbeat: NodeJS.Timeout | null = null;
  private pingSince: number | null = null;
  private exitReason: EngineExitReason | null = null;
  private exited: EngineExit | null = null;
  private readonly exitPromise: Promise<EngineExit>;

  /** Spawns a child and resolves once it is ready (node-gtk loaded, Gst.init done). */
  static async start(options: EngineProcessOptions = {}): Promise<EngineProcess> {
    const engine = new EngineProcess(options);
    await engine.ready(options.readyTimeoutMs ?? 15000);
    return engine;
  }

  private constructor(options: EngineProcessOptions) {
    super();
    this.opts = {
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 5000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10000,
      readyTimeoutMs: options.readyTimeoutMs ?? 15000,
      onLog: options.onLog,
    };
    this.child = spawn(process.execPath, engineArgs(), {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    this.pid = this.child.pid ?? -1;
    this.channel = this.child.stdio[3] as Socket;
    this.exitPromise = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve(this.onExit(code, signal)));
    });
    // A spawn failure (ENOENT, EAGAIN) arrives as 'error' and then 'exit' (or not at all).
    this.child.on('error', (e) => { this.note(`spawn: ${e.message}`); this.exitReason ??= 'start-failed'; });
    this.channel.on('error', () => { /* the child's exit says what happened */ });
    this.channel.on('data', splitLines((line) => this.onLine(line)));
    for (const s of [this.child.stdout, this.child.stderr]) {
      s?.on('error', () => { /* idem */ });
      s?.on('data', splitLines((line) => { this.note(line); this.opts.onLog?.(line); }));
    }
  }

  get alive(): boolean {
    return this.exited === null;
  }

  /** Resolves with the exit once the child is gone. */
  whenExited(): Promise<EngineExit> {
    return this.exitPromise;
  }

  request<K extends EngineOp>(op: K, args: EngineArgs<K>, timeoutMs = this.opts.requestTimeoutMs): Promise<EngineResult<K>> {
    if (this.exited) return Promise.reject(new EngineError('ENGINE_EXITED', `engine ${this.pid} is gone: ${this.exited.description}`));
    const id = this.nextId++;
    return new Promise<EngineResult<K>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new EngineError('TIMEOUT', `engine ${this.pid} did not answer ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { op, resolve: resolve as (v: never) => void, reject, timer });
      this.write({ t: 'req', id, op, args } as ToEngine);
    });
  }

  /** Asks the child to stop its pipelines and exit; SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<EngineExit> {
    if (this.exited) return this.exited;
    this.exitReason ??= 'stopped';
    const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    this.request('stop', {}, graceMs).catch(() => { /* the exit is what counts */ });
    const exit = await this.exitPromise;
    clearTimeout(killer);
    return exit;
  }

  /** SIGKILL now (the exit event follows with `reason`). */
  kill(reason: EngineExitReason = 'killed'): void {
    if (this.exited) return;
    this.exitReason ??= reason;
    this.child.kill('SIGKILL');
  }

  private async ready(timeoutMs: number): Promise<void> {
    let onReady: (() => void) | null = null;
    const ready = new Promise<void>((resolve) => { onReady = resolve; });
    this.readyHook = () => onReady?.();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      ready.then(() => 'ready' as const),
      this.exitPromise.then(() => 'exited' as const),
      new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); }),
    ]);
    clearTimeout(timer);
    if (outcome === 'ready') {
      this.startHeartbeat();
      return;
    }
    this.exitReason ??= 'start-failed';
    this.child.kill('SIGKILL');
    const exit = await this.exitPromise;
    throw new EngineError('ENGINE_EXITED', outcome === 'timeout' ? `engine did not start within ${timeoutMs} ms: ${exit.description}` : `engine failed to start: ${exit.description}`);
  }

  private readyHook: (() => void) | null = null;

  private startHeartbeat(): void {
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      if (this.pingSince !== null) {
        if (now - this.pingSince > this.opts.heartbeatTimeoutMs) this.kill('heartbeat');
        return;
      }
      this.pingSince = now;
      this.request('ping', {}, this.opts.heartbeatTimeoutMs + this.opts.heartbeatIntervalMs)
        .then(() => { this.pingSince = null; }, () => { /* the next tick decides */ });
    }, this.opts.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  private write(m: ToEngine): void {
    if (this.channel.writable) this.channel.write(`${JSON.stringify(m)}\n`);
  }

  private onLine(line: string): void {
    let m: FromEngine;
    try {
      m = JSON.parse(line) as FromEngine;
    } catch {
      this.note(`bad line from engine: ${line.slice(0, 200)}`);
      return;
    }
    if (m.t === 'event') {
      this.emit('event', m.event);
    } else if (m.t === 'res') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result as never);
      else p.reject(new EngineError(m.error.code, m.error.message));
    } else if (m.t === 'ready') {
      this.gstVersion = m.gstVersion;
      this.readyHook?.();
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): EngineExit {
    if (this.heartbeat) clearInterval(this.heartbeat);
    const reason: EngineExitReason = this.exitReason ?? 'crashed';
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    const why: Record<EngineExitReason, string> = {
      stopped: 'stopped', heartbeat: `stopped answering for ${this.opts.heartbeatTimeoutMs} ms and was killed`,
      killed: 'killed', crashed: 'crashed', 'start-failed': 'failed to start',
    };
    const last = this.tail.length ? `; last output: ${this.tail[this.tail.length - 1]}` : '';
    const exit: EngineExit = { reason, code, signal, description: `engine process ${this.pid} ${why[reason]} (${how})${last}` };
    this.exited = exit;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new EngineError('ENGINE_EXITED', `${p.op} not answered: ${exit.description}`));
      this.pending.delete(id);
    }
    this.channel.destroy();
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    this.emit('exit', exit);
    return exit;
  }

  private note(line: string): void {
    this.tail.push(line);
    if (this.tail.length > LOG_TAIL) this.tail.shift();
  }
}
