import type { EmitFn } from '../graph/MediaNode.ts';
import type { RtpCodecInfo } from '../graph/MediaPacket.ts';
import { describeCodec } from '../graph/MediaPacket.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { BinListener } from '../engine/MediaEngine.ts';
import type { NodeKind } from '../../shared/workerProtocol.ts';
import { formatKey } from '../transcode/formats.ts';
import { HubNode } from './HubNode.ts';
import type { HubPortNode } from './HubPortNode.ts';

let bins = 0;
/** After the engine process of a hub died, how long before its engine part is built again (ms), as a filter's. */
const REBUILD_MS = 2000;

/**
 * A hub with parts in the pipeline's engine process (Composite, AlphaBlending, Mixer):
 * its structural engine changes run one at a time (`serial`), its bins are named
 * after it, and engine failures come back as its `Error` event.
 */
export abstract class EngineHubNode extends HubNode {
  readonly engine: NodeEngine;
  #chain: Promise<void> = Promise.resolve();
  #closing = false;
  readonly #reported = new Set<string>();
  #rebuildTimer: NodeJS.Timeout | undefined;

  constructor(id: string, emit: EmitFn, kind: NodeKind, engine: NodeEngine) {
    super(id, emit, kind);
    this.engine = engine;
  }

  /** Whether the node is being closed (engine work queued meanwhile is dropped). */
  get closing(): boolean {
    return this.#closing;
  }

  /** Queues a structural engine change after the others; its failure is reported, not thrown. */
  serial(fn: () => Promise<void>): void {
    this.#chain = this.#chain.then(fn).catch((err: unknown) => {
      if (!this.#closing) this.reportError(err instanceof Error ? err.message : String(err));
    });
  }

  /** Resolves once the queued changes are done. */
  settled(): Promise<void> {
    return new Promise((resolve) => this.serial(async () => resolve()));
  }

  reportError(description: string): void {
    this.emit('Error', { description: `${this.kind} ${this.id}: ${description}`, errorCode: 40003, type: 'MEDIA_ENGINE_ERROR' });
  }

  /** A port sends what the engine cannot decode: said once per port and format. */
  reportUnsupported(port: HubPortNode, codec: RtpCodecInfo): void {
    const key = `${port.id}|${formatKey(codec)}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.emit('Error', { description: `${this.kind} ${this.id} cannot decode ${describeCodec(codec)} from ${port.id}`, errorCode: 40005, type: 'UNSUPPORTED_MEDIA_TYPE' });
  }

  /** A bin's listener: the decoders' keyframe requests go to `port`'s source. */
  listener(port?: HubPortNode): BinListener {
    return {
      event: (e) => {
        if (e.type === 'keyframeRequest') port?.requestInputKeyframe(port);
        // A hub being released takes its bins down while they stream: what they say
        // then is the teardown, not an error of the hub's (serial's catch agrees).
        else if (e.type === 'error' && !this.#closing) this.reportError(e.message);
      },
      exit: (x) => this.#lost(x.description),
    };
  }

  /**
   * The engine process died (every bin says so: reported once): the hub's engine part is
   * built again on a fresh process a moment later, the inputs as their next packets come.
   */
  #lost(why: string): void {
    if (this.#closing || this.#rebuildTimer) return;
    this.reportError(`the media engine process stopped (${why}); rebuilding in ${REBUILD_MS} ms`);
    this.#rebuildTimer = setTimeout(() => {
      this.#rebuildTimer = undefined;
      if (!this.#closing) this.rebuild();
    }, REBUILD_MS);
  }

  /** Forgets the engine part that died and builds it again. */
  protected abstract rebuild(): void;

  binName(what: string): string {
    return `${this.kind.toLowerCase()}-${++bins}-${what}`;
  }

  /** Marks the node closing and waits for the engine changes already queued. */
  protected async drain(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#rebuildTimer);
    await this.#chain;
  }
}
