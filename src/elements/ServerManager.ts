import os from 'node:os';
import { MediaObject } from '../core/MediaObject.ts';
import type { MediaSet } from '../core/MediaSet.ts';
import type { CallContext, ObjectInit, Params } from '../core/types.ts';
import { FLUO_VERSION } from '../version.ts';

/** What the ServerManager needs to see of the server, injected to avoid globals. */
export interface ServerView {
  readonly mediaSet: MediaSet;
  /** Factories Fluo actually builds, by module. */
  readonly factoriesByModule: ReadonlyMap<string, readonly string[]>;
  readonly moduleVersions: ReadonlyMap<string, string>;
  kmdJson(moduleName: string): string;
  readonly metadata: string;
  onLifecycle(fn: (kind: 'created' | 'destroyed', obj: MediaObject) => void): () => void;
  /** Whether a session may see an object (always true unless sessions are isolated). */
  visibleTo(sessionId: string, obj: MediaObject): boolean;
  /** mediaServer.security.isolateSessions: each session sees only itself in getSessions. */
  readonly isolated: boolean;
}

/**
 * KMD `ServerManager` (`manager_ServerManager`): server info, the live pipelines and
 * sessions, KMD documents, and CPU/memory figures. Raises ObjectCreated and
 * ObjectDestroyed for every object (KMS server_events_test).
 */
export class ServerManager extends MediaObject {
  readonly #view: ServerView;
  readonly #startedAt = new Date().toISOString();
  readonly #stopLifecycle: () => void;

  constructor(init: ObjectInit, _params: Params, view?: ServerView) {
    super(init);
    if (!view) throw new Error('ServerManager needs a ServerView');
    this.#view = view;
    this.#stopLifecycle = view.onLifecycle((kind, obj) => {
      if (obj === this) return;
      if (kind === 'created') this.emit('ObjectCreated', { object: obj });
      else this.emit('ObjectDestroyed', { objectId: obj.id });
    });
  }

  getInfo(): Record<string, unknown> {
    const modules = [...this.#view.moduleVersions].map(([name, version]) => ({
      name,
      version,
      generationTime: this.#startedAt,
      factories: [...(this.#view.factoriesByModule.get(name) ?? [])],
    }));
    return { version: FLUO_VERSION, modules, type: 'KMS', capabilities: ['transactions'] };
  }

  /** Live pipelines; under isolation only those the caller may see. */
  getPipelines(_p: Params, ctx: CallContext): MediaObject[] {
    return this.#view.mediaSet.pipelines().filter((p) => this.#view.visibleTo(ctx.sessionId, p));
  }

  /** Live sessions; under isolation only the caller's (others' ids would let it impersonate them). */
  getSessions(_p: Params, ctx: CallContext): string[] {
    const all = this.#view.mediaSet.sessions();
    return this.#view.isolated ? all.filter((s) => s === ctx.sessionId) : all;
  }

  getMetadata(): string {
    return this.#view.metadata;
  }

  getKmd(p: Params): string {
    return this.#view.kmdJson(p.moduleName as string);
  }

  getCpuCount(): number {
    return os.availableParallelism();
  }

  /** Average CPU use of this process over `interval` ms, in percent of all cores. */
  async getUsedCpu(p: Params): Promise<number> {
    const interval = Math.min(Math.max(Number(p.interval) || 1000, 10), 60_000);
    const start = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, interval));
    const used = process.cpuUsage(start);
    const elapsedUs = Number(process.hrtime.bigint() - t0) / 1000;
    return ((used.user + used.system) / elapsedUs / os.availableParallelism()) * 100;
  }

  /** Resident memory of the server, in KiB as KMS reports it. */
  getUsedMemory(): number {
    return Math.round(process.memoryUsage.rss() / 1024);
  }

  protected override onRelease(): void {
    this.#stopLifecycle();
  }
}
