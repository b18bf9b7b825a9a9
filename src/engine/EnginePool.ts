/**
 * A small warm pool of engine processes. A node-gtk child costs ~60 MB and ~0.4 s before
 * it does anything (engine-host-notes, "Cost"), so pipelines share processes: each caller
 * pipeline is placed on the least loaded one and stays there. `isolate` gives each
 * pipeline its own process instead (issue 11 section 2: a configuration key for users
 * who prefer isolation to memory).
 *
 * A process that died (crash, heartbeat) is replaced on the next `acquire`; the pipelines
 * it held are forgotten here, and their owners learn it from the process's `exit` event.
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { EngineError } from './EngineError.ts';
import { EngineProcess } from './EngineProcess.ts';
import type { EngineExit, EngineProcessOptions } from './EngineProcess.ts';
import type { EngineEvent } from './protocol.ts';

export interface EnginePoolOptions extends EngineProcessOptions {
  /** Processes shared by all pipelines (default: one per core). Ignored with `isolate`. */
  size?: number;
  /** One process per pipeline, stopped when the pipeline is released. */
  isolate?: boolean;
}

interface Slot {
  engine: EngineProcess | null;
  starting: Promise<EngineProcess> | null;
  pipelines: Set<string>;
}

export interface EnginePoolEvents {
  /** Every event of every pool process (`event.pipeline` says whose). */
  event: [EngineEvent];
  /** A process exited other than by `close()`/`release()`: the pipelines it held are gone. */
  lost: [{ pid: number; pipelines: string[]; exit: EngineExit }];
}

export class EnginePool extends EventEmitter<EnginePoolEvents> {
  readonly size: number;
  readonly isolate: boolean;
  private readonly options: EngineProcessOptions;
  private readonly slots: Slot[] = [];
  private readonly placed = new Map<string, Slot>();
  private closed = false;

  constructor(options: EnginePoolOptions = {}) {
    super();
    const { size, isolate, ...processOptions } = options;
    this.isolate = isolate ?? false;
    this.size = Math.max(1, size ?? availableParallelism());
    this.options = processOptions;
    if (!this.isolate) for (let i = 0; i < this.size; i++) this.slots.push({ engine: null, starting: null, pipelines: new Set() });
  }

  /** Starts every shared process now instead of on first use. */
  async warm(): Promise<void> {
    if (this.isolate) return;
    await Promise.all(this.slots.map((s) => this.ensure(s)));
  }

  /**
   * The process that holds `pipeline`: where it already is, else on the least loaded
   * (live processes first, so a warm one beats starting a replacement). A pipeline whose
   * process died is placed anew on a live or fresh one: its bins must be added again.
   */
  async acquire(pipeline: string): Promise<EngineProcess> {
    if (this.closed) throw new EngineError('ENGINE_EXITED', 'engine pool closed');
    let slot = this.placed.get(pipeline);
    if (slot && slot.engine && !slot.engine.alive) {
      slot.pipelines.delete(pipeline);
      this.placed.delete(pipeline);
      slot = undefined;
    }
    if (!slot) {
      if (this.isolate) {
        slot = { engine: null, starting: null, pipelines: new Set() };
        this.slots.push(slot);
      } else {
        const live = (s: Slot) => (s.engine?.alive || s.starting ? 0 : 1);
        slot = [...this.slots].sort((a, b) => a.pipelines.size - b.pipelines.size || live(a) - live(b))[0];
      }
      slot.pipelines.add(pipeline);
      this.placed.set(pipeline, slot);
    }
    try {
      return await this.ensure(slot);
    } catch (e) {
      slot.pipelines.delete(pipeline);
      this.placed.delete(pipeline);
      if (this.isolate) this.slots.splice(this.slots.indexOf(slot), 1);
      throw e;
    }
  }

  /** The process holding `pipeline`, if placed and alive. */
  processOf(pipeline: string): EngineProcess | undefined {
    const e = this.placed.get(pipeline)?.engine;
    return e?.alive ? e : undefined;
  }

  /** Forgets `pipeline` (after its `removePipeline`); an isolated pipeline's process stops. */
  async release(pipeline: string): Promise<void> {
    const slot = this.placed.get(pipeline);
    if (!slot) return;
    slot.pipelines.delete(pipeline);
    this.placed.delete(pipeline);
    if (this.isolate) {
      this.slots.splice(this.slots.indexOf(slot), 1);
      await slot.engine?.stop();
    }
  }

  /** Live processes and how many pipelines each holds. */
  load(): { pid: number; pipelines: number }[] {
    return this.slots.filter((s) => s.engine?.alive).map((s) => ({ pid: (s.engine as EngineProcess).pid, pipelines: s.pipelines.size }));
  }

  /** Stops every process (SIGKILL after a grace period); nothing of the pool remains. */
  async close(): Promise<void> {
    this.closed = true;
    const engines = await Promise.all(this.slots.map((s) => s.starting?.catch(() => null) ?? s.engine));
    await Promise.all(engines.map((e) => e?.stop()));
    this.slots.length = 0;
    this.placed.clear();
  }

  private ensure(slot: Slot): Promise<EngineProcess> {
    if (slot.engine?.alive) return Promise.resolve(slot.engine);
    if (slot.starting) return slot.starting;
    slot.engine = null;
    slot.starting = EngineProcess.start(this.options).then(
      (engine) => {
        slot.starting = null;
        slot.engine = engine;
        // A dead process's pipelines are gone with it: they are placed anew on next use.
        engine.on('event', (e) => this.emit('event', e));
        engine.once('exit', (exit) => {
          if (!this.closed && exit.reason !== 'stopped') this.emit('lost', { pid: engine.pid, pipelines: [...slot.pipelines], exit });
          for (const p of slot.pipelines) this.placed.delete(p);
          slot.pipelines.clear();
          if (this.isolate && this.slots.includes(slot)) this.slots.splice(this.slots.indexOf(slot), 1);
        });
        if (this.closed) void engine.stop();
        return engine;
      },
      (e: unknown) => { slot.starting = null; throw e; },
    );
    return slot.starting;
  }
}
