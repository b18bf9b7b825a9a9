import { EnginePool } from '../../engine/EnginePool.ts';
import type { EngineProcess, EngineExit } from '../../engine/EngineProcess.ts';
import type { EngineEvent } from '../../engine/protocol.ts';
import type { EngineProcessStats } from '../../shared/workerProtocol.ts';
import { EngineBin } from './EngineBin.ts';
import { mediaCounters } from '../worker/mediaCounters.ts';
import { Logger } from '../../log/Logger.ts';

const log = Logger.get('FluoEngine');

/** Engine settings a media worker receives (kurento.conf.json `mediaServer.engine`). */
export interface EngineSettings {
  /** Engine processes this worker may run, shared by its pipelines. */
  readonly processes: number;
  /** One engine process per pipeline instead. */
  readonly isolatePipelines: boolean;
  /** A process that does not answer its heartbeat this long is killed (ms). */
  readonly heartbeatTimeoutMs: number;
}

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = { processes: 1, isolatePipelines: false, heartbeatTimeoutMs: 5000 };

/** What a bin's owner hears from the engine: its bus messages, and the end of its process. */
export interface BinListener {
  event(e: EngineEvent): void;
  exit(exit: EngineExit): void;
}

/**
 * A media worker's access to the media engine (src/engine): the GStreamer processes
 * that hold the engine part of this worker's pipelines, one engine pipeline per
 * MediaPipeline, one bin per engine element. The pool starts lazily, so a worker that
 * only forwards never starts an engine process (design: transcode only when you must).
 * Bus messages and process exits are routed to the owner of each bin.
 */
export class MediaEngine {
  readonly #settings: EngineSettings;
  #pool: EnginePool | undefined;
  readonly #listeners = new Map<string, BinListener>();
  readonly #wired = new Set<EngineProcess>();
  #closed = false;

  constructor(settings: EngineSettings = DEFAULT_ENGINE_SETTINGS) {
    this.#settings = settings;
  }

  /** Engine processes alive now. */
  get processes(): number {
    return this.#pool?.load().length ?? 0;
  }

  #poolNow(): EnginePool {
    this.#pool ??= new EnginePool({
      size: this.#settings.processes, isolate: this.#settings.isolatePipelines, heartbeatTimeoutMs: this.#settings.heartbeatTimeoutMs,
      // GStreamer's own prints: only what the GST_DEBUG the server was started with lets
      // through in the engine process (as KMS's log holds GStreamer's lines).
      onLog: (line) => log.warn(line),
      // Those lines go into Fluo's log, which colours by its own rules.
      env: { GST_DEBUG_NO_COLOR: '1' },
    });
    return this.#pool;
  }

  /**
   * Adds a bin to `pipeline`'s engine pipeline (starting an engine process if none
   * runs). `refuseFactories`: element factories the bin may not hold (addBin's check).
   */
  async addBin(pipeline: string, bin: string, description: string, listener: BinListener, refuseFactories?: string): Promise<EngineBin> {
    if (this.#closed) throw new Error('the media engine is closed');
    const engine = await this.#poolNow().acquire(pipeline);
    this.#wire(engine);
    const key = `${pipeline}/${bin}`;
    this.#listeners.set(key, listener);
    try {
      const result = await engine.request('addBin', { pipeline, bin, description, ...(refuseFactories === undefined ? {} : { refuseFactories }) });
      return new EngineBin(engine, pipeline, bin, result, () => this.#listeners.delete(key));
    } catch (err) {
      this.#listeners.delete(key);
      throw err;
    }
  }

  #wire(engine: EngineProcess): void {
    if (this.#wired.has(engine)) return;
    this.#wired.add(engine);
    mediaCounters.engineProcessesStarted++;
    engine.on('event', (e) => {
      // The bus's warnings and errors, whoever handles them: how an engine problem that
      // raises no Kurento event (late buffers dropped by a mixer, say) can be seen.
      if (e.type === 'warning' || e.type === 'error') {
        const where = [e.pipeline, e.bin, e.element].filter((x) => x !== null).join('/');
        log.warn(`engine ${engine.pid} ${e.type} in ${where}: ${e.message}${e.debug ? ` (${e.debug})` : ''}`);
      }
      if (e.bin !== null) this.#listeners.get(`${e.pipeline}/${e.bin}`)?.event(e);
    });
    engine.once('exit', (exit) => {
      this.#wired.delete(engine);
      if (!this.#closed && exit.reason !== 'stopped') mediaCounters.engineProcessesLost++;
      for (const [key, l] of [...this.#listeners]) {
        this.#listeners.delete(key);
        l.exit(exit);
      }
    });
  }

  /** Frees a MediaPipeline's engine pipeline, once its bins are gone. */
  async releasePipeline(pipeline: string): Promise<void> {
    const pool = this.#pool;
    const engine = pool?.processOf(pipeline);
    if (!pool) return;
    if (engine) await engine.request('removePipeline', { pipeline }).catch(() => undefined);
    await pool.release(pipeline);
  }

  /** The engine's own graph of a pipeline (gst_debug_bin_to_dot_data), if it has one. */
  async dot(pipeline: string): Promise<string | undefined> {
    const engine = this.#pool?.processOf(pipeline);
    if (!engine) return undefined;
    return (await engine.request('dot', { pipeline }).catch(() => undefined))?.dot;
  }

  /** Per live engine process: its pid, pipelines and bins (for leak checks and operators). */
  async stats(): Promise<EngineProcessStats[]> {
    return Promise.all([...this.#wired].filter((e) => e.alive).map(async (e) => {
      const r = await e.request('stats', {}).catch(() => undefined);
      const pipelines = Object.values(r?.pipelines ?? {});
      return { pid: e.pid, rssBytes: r?.process.rssBytes ?? 0, pipelines: pipelines.length, bins: pipelines.reduce((n, p) => n + Object.keys(p.bins).length, 0) };
    }));
  }

  /** Stops every engine process of this worker. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#pool?.close();
  }
}
