import v8 from 'node:v8';
import os from 'node:os';
import { MessageChannel, Worker, type WorkerOptions } from 'node:worker_threads';
import { KurentoError, ErrorCodes, type ErrorType } from '../../shared/KurentoError.ts';
import type { EngineDot, EngineProcessStats, EventMessage, WorkerMediaStats, FromWorker, OpArgs, OpName, OpResult, PipelineMessage, ToWorker, TranscoderStats, Wire } from '../../shared/workerProtocol.ts';
import { Logger } from '../../log/Logger.ts';
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings } from '../engine/MediaEngine.ts';
import { workerEntry } from './workerBundle.ts';
import { PipelineRouter } from './PipelineRouter.ts';

const log = Logger.get('FluoMediaWorkers');

/** An event of a node of the pipeline, routed by the id of the object that owns the node. */
export type MediaEventHandler = (event: EventMessage) => void;

interface PipelineEntry {
  /** Where the pipeline's parts live, and what each message becomes for them. */
  router: PipelineRouter;
  onEvent: MediaEventHandler;
  onCrash: (reason: string) => void;
}

interface WorkerEntry {
  readonly index: number;
  worker: Worker | undefined;
  /** The worker once it has said it is ready; set from the moment its start begins. */
  ready: Promise<Worker> | undefined;
  /** Pipelines with a part on this worker. */
  pipelines: Set<string>;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * Media workers: one thread per core by default (a Node thread is one core). Each
 * pipeline has a home worker, chosen as the least loaded when the pipeline first needs
 * media, where its objects live; once `spreadThreshold` of its WebRtcEndpoints are
 * there, further ones go to the worker with the fewest, and the pipeline's edges
 * between workers become pipes (PipelineRouter), so a room can be bigger than a core
 * (issue 14 item 6). A worker that dies costs only the pipelines with a part on it:
 * they get an `Error` event through `onCrash`, and the next pipeline starts a fresh
 * worker.
 */
export class MediaWorkerPool {
  readonly #workers: WorkerEntry[];
  readonly #pipelines = new Map<string, PipelineEntry>();
  readonly #pending = new Map<number, { resolve: (v: Wire) => void; reject: (e: Error) => void; pipeline: string }>();
  #nextId = 1;
  #nextPipe = 1;
  #closed = false;
  /** Channels between two workers (`i-j`), with the start of each that they were made for. */
  readonly #channels = new Map<string, { a: Promise<Worker>; b: Promise<Worker> }>();
  /** WebRtcEndpoints of a pipeline on its home worker before others go elsewhere (0: never). */
  readonly #spreadThreshold: number;

  readonly #engine: EngineSettings;
  /** Single-port mode's base port (worker i takes base + i), or 0. */
  readonly #webRtcPort: number;
  readonly #webRtcPorts: readonly number[];
  /** The workers' young-generation semi-space (MB), or V8's choice. */
  readonly #semiSpaceMb: number | undefined;

  /**
   * `count` worker threads (0: one per core); `engine` the media engine settings, with
   * `processes` the total for the server, shared out among the workers.
   */
  constructor(count: number, engine: EngineSettings = DEFAULT_ENGINE_SETTINGS, options: { keepWarm?: boolean; webRtcPort?: number; webRtcPorts?: readonly number[]; semiSpaceMb?: number; spreadThreshold?: number } = {}) {
    this.keepWarm = options.keepWarm ?? false;
    this.#spreadThreshold = options.spreadThreshold ?? 0;
    this.#semiSpaceMb = options.semiSpaceMb;
    this.#webRtcPort = options.webRtcPort ?? 0;
    this.#webRtcPorts = options.webRtcPorts ?? [];
    const n = count > 0 ? count : os.availableParallelism();
    this.#engine = { ...engine, processes: Math.max(1, Math.ceil(engine.processes / n)) };
    this.#workers = Array.from({ length: n }, (_, index) => ({ index, worker: undefined, ready: undefined, pipelines: new Set(), idleTimer: undefined }));
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Pipelines currently placed on a worker. */
  get attachedPipelines(): number {
    return this.#pipelines.size;
  }

  /** Threads running now (workers start lazily). */
  get running(): number {
    return this.#workers.filter((w) => w.worker).length;
  }

  /** False once close() began: no pipeline can be placed any more. */
  get accepting(): boolean {
    return !this.#closed;
  }

  /** Binds a pipeline to a worker; events for its elements go to `onEvent`. */
  attach(pipeline: string, onEvent: MediaEventHandler, onCrash: (reason: string) => void): void {
    if (this.#pipelines.has(pipeline)) return;
    const w = [...this.#workers].sort((a, b) => a.pipelines.size - b.pipelines.size || Number(!a.worker) - Number(!b.worker))[0]!;
    this.#claim(w, pipeline);
    this.#pipelines.set(pipeline, { router: new PipelineRouter(pipeline, w.index, () => `pipe-${this.#nextPipe++}`), onEvent, onCrash });
  }

  /** Workers holding a part of `pipeline` (its home first); empty once it is detached. */
  workersOf(pipeline: string): number[] {
    return this.#pipelines.get(pipeline)?.router.workers() ?? [];
  }

  /** The worker of an object of a pipeline (its home worker if unknown). */
  workerOf(pipeline: string, object: string): number | undefined {
    return this.#pipelines.get(pipeline)?.router.workerOf(object);
  }

  /**
   * Where a new node goes: its pipeline's home, except for a WebRtcEndpoint once the
   * home holds `spreadThreshold` of the pipeline's: then the worker with the fewest
   * WebRtcEndpoints of all pipelines (the home on a tie).
   */
  #place(entry: PipelineEntry, kind: string): number {
    const { router } = entry;
    if (kind !== 'WebRtcEndpoint' || this.#spreadThreshold <= 0 || this.#workers.length < 2) return router.home;
    if (router.count(router.home, 'WebRtcEndpoint') < this.#spreadThreshold) return router.home;
    const load = this.#workers.map((w) => {
      let n = 0;
      for (const p of w.pipelines) n += this.#pipelines.get(p)?.router.count(w.index, 'WebRtcEndpoint') ?? 0;
      return n;
    });
    let best = router.home;
    for (let i = 0; i < load.length; i++) if (load[i]! < load[best]!) best = i;
    return best;
  }

  /** Runs an operation on a node of the pipeline and waits for the answer. */
  async call<O extends OpName>(pipeline: string, object: string, op: O, args: OpArgs<O>): Promise<OpResult<O>> {
    const entry = this.#pipelines.get(pipeline);
    if (!entry) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Pipeline '${pipeline}' has no media worker`);
    const worker = await this.#ensure(this.#workers[entry.router.workerOf(object)]!);
    const id = this.#nextId++;
    return new Promise<OpResult<O>>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: Wire) => void, reject, pipeline });
      worker.postMessage({ t: 'call', id, pipeline, object, op, args } as ToWorker);
    });
  }

  /** Runs an operation on a node without waiting; a failure comes back as the node's `Error` event. */
  post<O extends OpName>(pipeline: string, object: string, op: O, args: OpArgs<O>): void {
    this.send({ t: 'post', pipeline, object, op, args } as PipelineMessage);
  }

  /**
   * Sends a graph message (create, link, release, ...) to the workers it concerns, in
   * order with the others: the object's worker, or for an edge between two workers the
   * pipe's ends on both.
   */
  send(message: PipelineMessage): void {
    const entry = this.#pipelines.get(message.pipeline);
    if (!entry) return;
    if (message.t === 'create') entry.router.place(message.object, message.kind, this.#place(entry, message.kind));
    for (const d of entry.router.route(message)) {
      const w = this.#workers[d.worker]!;
      const m = d.message;
      this.#claim(w, message.pipeline);
      if (m.t === 'create' && (m.kind === 'PipeOut' || m.kind === 'PipeIn')) this.#connect(w, this.#workers[m.options.peer]!);
      void this.#ensure(w).then((worker) => worker.postMessage(m), () => undefined);
      // The router releases the pipeline on a worker whose last node of it went: that
      // worker's crash no longer concerns the pipeline, and it may go idle.
      if (m.t === 'releasePipeline') this.#letGo(w, message.pipeline);
    }
  }

  /** `w` holds a part of `pipeline`: it must not be stopped as idle. */
  #claim(w: WorkerEntry, pipeline: string): void {
    if (w.pipelines.has(pipeline)) return;
    w.pipelines.add(pipeline);
    if (w.idleTimer) clearTimeout(w.idleTimer);
    w.idleTimer = undefined;
  }

  /** `w` holds nothing of `pipeline` any more; true when it held something. */
  #letGo(w: WorkerEntry, pipeline: string): boolean {
    if (!w.pipelines.delete(pipeline)) return false;
    this.#stopWhenIdle(w);
    return true;
  }

  /**
   * Makes sure two workers have a channel for their pipes, made for the threads running
   * now (a restarted worker needs a new one). The ports are posted before the message
   * that needs them, on each worker's ordered queue.
   */
  #connect(a: WorkerEntry, b: WorkerEntry): void {
    const key = a.index < b.index ? `${a.index}-${b.index}` : `${b.index}-${a.index}`;
    const [x, y] = a.index < b.index ? [a, b] : [b, a];
    const px = this.#ensure(x);
    const py = this.#ensure(y);
    const known = this.#channels.get(key);
    if (known && known.a === px && known.b === py) return;
    const { port1, port2 } = new MessageChannel();
    this.#channels.set(key, { a: px, b: py });
    void px.then((w) => w.postMessage({ t: 'peer', worker: y.index, port: port1 } satisfies ToWorker, [port1]), () => port1.close());
    void py.then((w) => w.postMessage({ t: 'peer', worker: x.index, port: port2 } satisfies ToWorker, [port2]), () => port2.close());
  }

  /** Forgets a pipeline after its media was released in the worker. */
  detach(pipeline: string): void {
    const entry = this.#pipelines.get(pipeline);
    if (!entry) return;
    this.#pipelines.delete(pipeline);
    // An idle worker is stopped after a grace period, so an idle server holds no
    // threads, without paying a thread start for every short-lived pipeline.
    for (const w of this.#workers) this.#letGo(w, pipeline);
  }

  #stopWhenIdle(w: WorkerEntry): void {
    if (w.pipelines.size > 0 || !w.worker || this.keepWarm || w.idleTimer) return;
    w.idleTimer = setTimeout(() => this.#stopIdle(w), this.idleTimeoutMs);
    w.idleTimer.unref();
  }

  /** How long an idle worker thread is kept (ms), unless `keepWarm`. */
  idleTimeoutMs = 10_000;

  /**
   * Workers are kept while idle (`mediaServer.mediaWorkersWarm`): a server that has been
   * quiet answers its next call as fast as a busy one (issue 14 item 3: the first
   * processOffer after an idle worker had stopped took 0.9-1.3 s, then 2.2-3.8 s on a
   * busy machine, against 5-18 ms on a running worker).
   */
  readonly keepWarm: boolean;

  /**
   * Starts every worker now and resolves when all are ready (a worker that fails to
   * start is logged and started again by the first pipeline that needs it).
   */
  async warm(): Promise<void> {
    await Promise.all(this.#workers.map((w) => this.#ensure(w).then(() => this.#stopWhenIdle(w), (err: Error) => {
      if (!this.#closed) log.warn(`media worker ${w.index} did not start: ${err.message}`);
    })));
  }

  #stopIdle(w: WorkerEntry): void {
    w.idleTimer = undefined;
    if (w.pipelines.size > 0 || !w.worker) return;
    const worker = w.worker;
    w.worker = undefined;
    w.ready = undefined;
    worker.removeAllListeners('exit');
    void stopWorker(worker);
  }

  #ensure(entry: WorkerEntry): Promise<Worker> {
    if (this.#closed) return Promise.reject(new KurentoError('UNEXPECTED_ERROR', 'Media workers are stopped'));
    entry.ready ??= this.#start(entry);
    return entry.ready;
  }

  async #start(entry: WorkerEntry): Promise<Worker> {
    const url = await workerEntry();
    if (this.#closed) throw new KurentoError('UNEXPECTED_ERROR', 'Media workers are stopped');
    if (this.#semiSpaceMb !== undefined) youngGeneration(this.#semiSpaceMb);
    const options = {
      // Effective where no --max-semi-space-size flag is given (see youngGeneration).
      ...(this.#semiSpaceMb !== undefined ? { resourceLimits: { maxYoungGenerationSizeMb: this.#semiSpaceMb * 3 } } : {}),
      workerData: { index: entry.index, engine: this.#engine, webRtcPort: this.#webRtcPorts[entry.index] ?? (this.#webRtcPort ? this.#webRtcPort + entry.index : 0), logging: Logger.options },
      // FIFOs (FrameTap, HttpUpload) are opened with fs.openSync and handed to a
      // net.Socket, which closes them itself: Node's tracking of fds opened in a worker
      // never hears of that close, warns "opened in unmanaged mode twice" when the
      // number is reused, and would close the reused number when the worker exits.
      // Every fd of the media plane has an owner that closes it.
      trackUnmanagedFds: false,
    };
    const worker = newWorker(url, options);
    entry.worker = worker;
    const ready = new Promise<Worker>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m: FromWorker) => {
        if (m.t === 'ready') {
          worker.off('error', reject);
          resolve(worker);
        }
      });
    });
    worker.on('message', (m: FromWorker) => this.#onMessage(m));
    worker.on('error', (err) => log.error(`media worker ${entry.index} error: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => this.#onExit(entry, worker, code));
    return ready;
  }

  #onMessage(m: FromWorker): void {
    if (m.t === 'reply') {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new KurentoError(isErrorType(m.error.type) ? m.error.type : 'UNEXPECTED_ERROR', m.error.message));
    } else if (m.t === 'event') {
      this.#pipelines.get(m.pipeline)?.onEvent(m);
    }
  }

  #onExit(entry: WorkerEntry, worker: Worker, code: number): void {
    if (entry.worker !== worker) return;
    entry.worker = undefined;
    entry.ready = undefined;
    const lost = [...entry.pipelines];
    entry.pipelines.clear();
    if (!this.#closed) log.error(`media worker ${entry.index} exited with code ${code}; ${lost.length} pipeline(s) lost their media`);
    // A pipeline spread over workers is lost as a whole: its parts elsewhere are released.
    for (const pipeline of lost) {
      for (const w of this.#workers) {
        if (w === entry || !this.#letGo(w, pipeline)) continue;
        void w.ready?.then((worker) => worker.postMessage({ t: 'releasePipeline', pipeline } satisfies ToWorker), () => undefined);
      }
    }
    for (const [id, p] of this.#pending) {
      if (lost.includes(p.pipeline)) {
        this.#pending.delete(id);
        p.reject(new KurentoError('UNEXPECTED_ERROR', `Media worker exited (code ${code})`));
      }
    }
    for (const pipeline of lost) {
      const e = this.#pipelines.get(pipeline);
      this.#pipelines.delete(pipeline);
      if (!this.#closed) e?.onCrash(`media worker exited with code ${code}`);
    }
  }

  /**
   * What keeps each running worker's event loop alive (UDPWrap, TCPServerWrap, Timeout,
   * ...), one list per running worker: with no pipelines, a worker must hold no socket.
   */
  async workerResources(): Promise<string[][]> {
    const running = this.#workers.flatMap((w) => (w.worker ? [w.worker] : []));
    return Promise.all(running.map((worker) => {
      const id = this.#nextId++;
      return answerOf(worker, { t: 'resources', id }, (m) => (m.t === 'resources' && m.id === id ? m.list : undefined), []);
    }));
  }

  /** The media engine's DOT of a pipeline from every worker holding part of it (home first), where the engine holds some. */
  async dot(pipeline: string): Promise<EngineDot[]> {
    const held = this.#pipelines.get(pipeline)?.router.workers() ?? [];
    const dots = await Promise.all(held.map(async (index) => {
      const worker = this.#workers[index]?.worker;
      if (!worker) return undefined;
      const id = this.#nextId++;
      const dot = await answerOf(worker, { t: 'dot', id, pipeline }, (m) => (m.t === 'dot' && m.id === id ? m.dot ?? '' : undefined), '', 5000);
      return dot ? { worker: index, dot } : undefined;
    }));
    return dots.filter((d): d is EngineDot => d !== undefined);
  }

  /** The engine processes of every running worker, with their pipelines and bins. */
  /**
   * Each running worker's media counters and gauges (/metrics); a worker that does not
   * answer within `timeoutMs` (busy, or stopping) is left out of this scrape.
   */
  async mediaStats(timeoutMs: number): Promise<Array<{ worker: number; stats: WorkerMediaStats }>> {
    const running = this.#workers.flatMap((w) => (w.worker ? [{ index: w.index, worker: w.worker }] : []));
    const answers = await Promise.all(running.map(({ index, worker }) => {
      const id = this.#nextId++;
      return answerOf<WorkerMediaStats | null>(worker, { t: 'mediaStats', id }, (m) => (m.t === 'mediaStats' && m.id === id ? m.stats : undefined), null, timeoutMs)
        .then((stats) => (stats ? [{ worker: index, stats }] : []));
    }));
    return answers.flat();
  }

  async engineStats(timeoutMs?: number): Promise<EngineProcessStats[]> {
    return (await this.#engineReports(timeoutMs)).flatMap((r) => r.processes);
  }

  /** Every transcoder of every running worker, with its frame latencies. */
  async transcoderStats(): Promise<TranscoderStats[]> {
    return (await this.#engineReports()).flatMap((r) => r.transcoders);
  }

  /** A worker that has not answered within `timeoutMs` (if given) reports nothing. */
  #engineReports(timeoutMs?: number): Promise<Array<{ processes: EngineProcessStats[]; transcoders: TranscoderStats[] }>> {
    const running = this.#workers.flatMap((w) => (w.worker ? [w.worker] : []));
    return Promise.all(running.map((worker) => {
      const id = this.#nextId++;
      const none: { processes: EngineProcessStats[]; transcoders: TranscoderStats[] } = { processes: [], transcoders: [] };
      return answerOf(worker, { t: 'engineStats', id }, (m) => (m.t === 'engineStats' && m.id === id ? { processes: m.processes, transcoders: m.transcoders } : undefined), none, timeoutMs);
    }));
  }

  /**
   * Test hook and operator tool: kills the worker hosting `pipeline` (its home, or
   * the worker of `object`) at once, as a
   * crash would, without releasing its media first (see `stopWorker` for the risk).
   */
  async crashWorkerOf(pipeline: string, object?: string): Promise<void> {
    const router = this.#pipelines.get(pipeline)?.router;
    const w = router ? this.#workers[object === undefined ? router.home : router.workerOf(object)]!.worker : undefined;
    if (w) await w.terminate();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map(async (w) => {
      if (w.idleTimer) clearTimeout(w.idleTimer);
      const worker = w.worker;
      w.worker = undefined;
      if (worker) await stopWorker(worker);
    }));
    for (const p of this.#pending.values()) p.reject(new KurentoError('UNEXPECTED_ERROR', 'Media workers are stopped'));
    this.#pending.clear();
  }
}

/** How long a worker gets to close its sockets before it is terminated anyway (ms). */
const STOP_GRACE_MS = 3_000;

/**
 * Stops a worker after it has released its media and closed its sockets. Terminating
 * a worker with a UDP socket still open can abort the whole process: Node 20 calls into
 * the stopped JavaScript for a datagram that arrives meanwhile (UDPWrap::OnRecv,
 * FATAL ERROR "v8::FromJust Maybe value is Nothing").
 */
async function stopWorker(worker: Worker): Promise<void> {
  // Only the worker's own answer can say its sockets had not closed; silence (an exit,
  // the grace time) leaves nothing to report.
  const closed = await answerOf(worker, { t: 'stop' }, (m) => (m.t === 'stopped' ? m.closed : undefined), true, STOP_GRACE_MS);
  if (!closed) log.warn('a media worker was stopped before all of its sockets had closed');
  await worker.terminate();
}

/**
 * Posts `message` to a worker and resolves with what `pick` takes from the first
 * message it accepts; with `fallback` if the worker exits first or `timeoutMs` passes.
 */
function answerOf<T>(worker: Worker, message: ToWorker, pick: (m: FromWorker) => T | undefined, fallback: T, timeoutMs?: number): Promise<T> {
  return new Promise<T>((resolve) => {
    const done = (value: T): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve(value);
    };
    const onMessage = (m: FromWorker): void => {
      const value = pick(m);
      if (value !== undefined) done(value);
    };
    const onExit = (): void => done(fallback);
    const timer = timeoutMs === undefined ? undefined : setTimeout(onExit, timeoutMs);
    worker.on('message', onMessage);
    worker.on('exit', onExit);
    worker.postMessage(message);
  });
}

function isErrorType(t: string): t is ErrorType {
  return Object.hasOwn(ErrorCodes, t);
}

/**
 * The young generation of isolates created from now on: the media workers'.
 * `--max-semi-space-size`, given to the server process for its own thread (npm start),
 * is a process-wide V8 flag that overrides a Worker's resourceLimits; V8 reads it when
 * an isolate's heap is set up, so setting it here, before a worker starts, sizes that
 * worker's heap and leaves the running main thread's as it was (measured: 64 MB new
 * space on the main thread, 8 MB in a worker started after). A young generation is two
 * semi-spaces and a large-object space of the same size, hence 3x for resourceLimits.
 */
function youngGeneration(semiSpaceMb: number): void {
  v8.setFlagsFromString(`--max-semi-space-size=${semiSpaceMb}`);
}

/**
 * A worker that runs the prebuilt JavaScript bundle: a TypeScript loader the process
 * was started with (tsx, in tests and development) only slows its start (every import
 * through the loader's hooks thread: about 0.55 s of CPU per start instead of 0.40), so
 * it is left out of the worker's flags. Given explicitly, execArgv is checked: Node
 * refuses V8 and per-process flags there (the launcher's --max-semi-space-size, which
 * workers otherwise inherit silently), so a refused list falls back to inheriting all.
 */
export function newWorker(url: URL, options: WorkerOptions, execArgv: readonly string[] = process.execArgv): Worker {
  let argv = withoutTypeScriptLoader(execArgv);
  if (argv.length === execArgv.length) return new Worker(url, options);
  for (let attempt = 0; ; attempt++) {
    try {
      return new Worker(url, { ...options, execArgv: argv });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || attempt > 0) return new Worker(url, options);
      // "Initiated Worker with invalid execArgv flags: --a, --b": those are process-wide
      // (V8's heap flags), in force in the worker without being given again.
      const refused = new Set(((err as Error).message.split(': ')[1] ?? '').split(', '));
      argv = argv.filter((a) => !refused.has(a));
    }
  }
}

/**
 * `argv` without a TypeScript loader: `--import tsx`, `--import=tsx`, `--loader tsx`,
 * `--require tsx/cjs` and the like (tsx's own entry points), in either spelling.
 */
export function withoutTypeScriptLoader(argv: readonly string[]): string[] {
  const out: string[] = [];
  const isTsx = (v: string | undefined): boolean => v !== undefined && /^tsx(\/|$)/.test(v);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = /^--(import|loader|experimental-loader|require)=(.*)$/.exec(a);
    if (eq && isTsx(eq[2])) continue;
    if (/^--(import|loader|experimental-loader|require)$/.test(a) && isTsx(argv[i + 1])) {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}
