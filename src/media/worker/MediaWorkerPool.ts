import v8 from 'node:v8';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { KurentoError, ErrorCodes, type ErrorType } from '../../shared/KurentoError.ts';
import type { EngineProcessStats, EventMessage, WorkerMediaStats, FromWorker, OpArgs, OpName, OpResult, PipelineMessage, ToWorker, TranscoderStats, Wire } from '../../shared/workerProtocol.ts';
import { Logger } from '../../log/Logger.ts';
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings } from '../engine/MediaEngine.ts';
import { workerEntry } from './workerBundle.ts';

const log = Logger.get('FluoMediaWorkers');

/** An event of a node of the pipeline, routed by the id of the object that owns the node. */
export type MediaEventHandler = (event: EventMessage) => void;

interface PipelineEntry {
  worker: WorkerEntry;
  onEvent: MediaEventHandler;
  onCrash: (reason: string) => void;
}

interface WorkerEntry {
  readonly index: number;
  worker: Worker | undefined;
  /** The worker once it has said it is ready; set from the moment its start begins. */
  ready: Promise<Worker> | undefined;
  pipelines: Set<string>;
  idleTimer: NodeJS.Timeout | undefined;
}

/**
 * Media workers: one thread per core by default (a Node thread is one core). Each
 * pipeline lives on exactly one worker, chosen as the least loaded when the pipeline
 * first needs media. A worker that dies costs only its pipelines: they get an `Error`
 * event through `onCrash`, and the next pipeline starts a fresh worker.
 */
export class MediaWorkerPool {
  readonly #workers: WorkerEntry[];
  readonly #pipelines = new Map<string, PipelineEntry>();
  readonly #pending = new Map<number, { resolve: (v: Wire) => void; reject: (e: Error) => void; pipeline: string }>();
  #nextId = 1;
  #closed = false;

  readonly #engine: EngineSettings;
  /** Single-port mode's base port (worker i takes base + i), or 0. */
  readonly #webRtcPort: number;
  /** The workers' young-generation semi-space (MB), or V8's choice. */
  readonly #semiSpaceMb: number | undefined;

  /**
   * `count` worker threads (0: one per core); `engine` the media engine settings, with
   * `processes` the total for the server, shared out among the workers.
   */
  constructor(count: number, engine: EngineSettings = DEFAULT_ENGINE_SETTINGS, options: { keepWarm?: boolean; webRtcPort?: number; semiSpaceMb?: number } = {}) {
    this.keepWarm = options.keepWarm ?? false;
    this.#semiSpaceMb = options.semiSpaceMb;
    this.#webRtcPort = options.webRtcPort ?? 0;
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
    w.pipelines.add(pipeline);
    if (w.idleTimer) clearTimeout(w.idleTimer);
    w.idleTimer = undefined;
    this.#pipelines.set(pipeline, { worker: w, onEvent, onCrash });
  }

  /** Runs an operation on a node of the pipeline and waits for the answer. */
  async call<O extends OpName>(pipeline: string, object: string, op: O, args: OpArgs<O>): Promise<OpResult<O>> {
    const entry = this.#pipelines.get(pipeline);
    if (!entry) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Pipeline '${pipeline}' has no media worker`);
    const worker = await this.#ensure(entry.worker);
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

  /** Sends a graph message (create, link, release, ...) to the pipeline's worker, in order with the others. */
  send(message: PipelineMessage): void {
    const entry = this.#pipelines.get(message.pipeline);
    if (!entry) return;
    void this.#ensure(entry.worker).then((w) => w.postMessage(message), () => undefined);
  }

  /** Forgets a pipeline after its media was released in the worker. */
  detach(pipeline: string): void {
    const entry = this.#pipelines.get(pipeline);
    if (!entry) return;
    entry.worker.pipelines.delete(pipeline);
    this.#pipelines.delete(pipeline);
    // An idle worker is stopped after a grace period, so an idle server holds no
    // threads, without paying a thread start for every short-lived pipeline.
    this.#stopWhenIdle(entry.worker);
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
    const worker = new Worker(url, {
      // Effective where no --max-semi-space-size flag is given (see youngGeneration).
      ...(this.#semiSpaceMb !== undefined ? { resourceLimits: { maxYoungGenerationSizeMb: this.#semiSpaceMb * 3 } } : {}),
      workerData: { index: entry.index, engine: this.#engine, webRtcPort: this.#webRtcPort ? this.#webRtcPort + entry.index : 0, logging: Logger.options },
      // FIFOs (FrameTap, HttpUpload) are opened with fs.openSync and handed to a
      // net.Socket, which closes them itself: Node's tracking of fds opened in a worker
      // never hears of that close, warns "opened in unmanaged mode twice" when the
      // number is reused, and would close the reused number when the worker exits.
      // Every fd of the media plane has an owner that closes it.
      trackUnmanagedFds: false,
    });
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

  /** The media engine's DOT of a pipeline, when the engine holds part of it. */
  async dot(pipeline: string): Promise<string | undefined> {
    const worker = this.#pipelines.get(pipeline)?.worker.worker;
    if (!worker) return undefined;
    const id = this.#nextId++;
    const dot = await answerOf(worker, { t: 'dot', id, pipeline }, (m) => (m.t === 'dot' && m.id === id ? m.dot ?? '' : undefined), '', 5000);
    return dot || undefined;
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
   * Test hook and operator tool: kills the worker hosting `pipeline` at once, as a
   * crash would, without releasing its media first (see `stopWorker` for the risk).
   */
  async crashWorkerOf(pipeline: string): Promise<void> {
    const w = this.#pipelines.get(pipeline)?.worker.worker;
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
