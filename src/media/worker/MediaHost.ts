import { KurentoError } from '../../shared/KurentoError.ts';
import type { EmitFn, FromWorker, NodeKind, NodeKinds, PipelineMessage, TranscoderStats, Wire } from '../../shared/workerProtocol.ts';
import type { MediaNode } from '../graph/MediaNode.ts';
import { MediaGraph } from '../graph/MediaGraph.ts';
import { createNode, isNodeKind } from '../graph/createNode.ts';
import { MediaEngine, type EngineSettings } from '../engine/MediaEngine.ts';

/**
 * The worker side of the media interface: owns the graphs of the pipelines placed on
 * this worker. Every operation is contained: a failing node answers an error (or raises
 * `Error`), never takes the worker down.
 */
export class MediaHost {
  readonly #graphs = new Map<string, MediaGraph>();
  /** Closes still under way (werift closes its sockets asynchronously). */
  readonly #closing = new Set<Promise<void>>();
  readonly #send: (m: FromWorker) => void;
  /** This worker's engine processes (started only when a pipeline needs one). */
  readonly engine: MediaEngine;

  constructor(send: (m: FromWorker) => void, engine?: EngineSettings) {
    this.#send = send;
    this.engine = new MediaEngine(engine);
  }

  /** Every transcoder of this worker's pipelines. */
  transcoderStats(): TranscoderStats[] {
    return [...this.#graphs.values()].flatMap((g) => g.transcoders().map((t) => t.stats()));
  }

  get pipelineCount(): number {
    return this.#graphs.size;
  }

  handle(m: PipelineMessage): void {
    let result: Promise<Wire>;
    try {
      result = Promise.resolve(this.#dispatch(m));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => { if (m.t === 'call') this.#send({ t: 'reply', id: m.id, ok: true, value: value ?? null }); },
      (err: unknown) => {
        const error = err instanceof KurentoError
          ? { type: err.type, message: err.message }
          : { type: 'UNEXPECTED_ERROR', message: err instanceof Error ? err.message : String(err) };
        if (m.t === 'call') this.#send({ t: 'reply', id: m.id, ok: false, error });
        else {
          const object = 'object' in m ? m.object : m.pipeline;
          this.#send({ t: 'event', pipeline: m.pipeline, object, name: 'Error', data: { description: error.message, errorCode: 40003, type: error.type } });
        }
      },
    );
  }

  #dispatch(m: PipelineMessage): Wire | Promise<Wire> {
    switch (m.t) {
      case 'create': this.#create(m.pipeline, m.object, m.kind, m.options); return null;
      case 'release': this.#release(m.pipeline, m.object); return null;
      case 'link': this.#graphs.get(m.pipeline)?.link(m.edge); return null;
      case 'unlink': this.#graphs.get(m.pipeline)?.unlink(m.edge); return null;
      case 'releasePipeline': this.#releasePipeline(m.pipeline); return null;
      case 'setLatencyStats': this.#graphs.get(m.pipeline)?.setLatencyStats(m.on); return null;
      case 'call':
      case 'post': {
        const node = this.#graphs.get(m.pipeline)?.node(m.object);
        if (!node) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Object '${m.object}' not found in the media plane`);
        return node.call(m.op, m.args) as Promise<Wire>;
      }
    }
  }

  #graph(pipelineId: string): MediaGraph {
    let g = this.#graphs.get(pipelineId);
    if (!g) {
      g = new MediaGraph(pipelineId, (object) => this.#emitter(pipelineId, object), this.engine);
      this.#graphs.set(pipelineId, g);
    }
    return g;
  }

  #emitter(pipeline: string, object: string): EmitFn {
    return (name, data) => this.#send({ t: 'event', pipeline, object, name, data } as FromWorker);
  }

  #create(pipelineId: string, object: string, kind: NodeKind, options: NodeKinds[NodeKind]['options']): void {
    if (!isNodeKind(kind)) throw new KurentoError('NOT_IMPLEMENTED', `no media implementation for ${String(kind)}`);
    const g = this.#graph(pipelineId);
    if (g.node(object)) return;
    g.add(createNode(kind, object, this.#emitter(pipelineId, object), options as never, { engine: this.engine, pipeline: pipelineId, node: (id) => g.node(id) }));
  }

  #release(pipelineId: string, object: string): void {
    const node = this.#graphs.get(pipelineId)?.remove(object);
    if (node) this.#close(node);
  }

  #releasePipeline(pipelineId: string): void {
    const g = this.#graphs.get(pipelineId);
    if (!g) return;
    for (const node of g.nodes()) this.#release(pipelineId, node.id);
    this.#graphs.delete(pipelineId);
    this.#track(g.close());
  }

  closeAll(): void {
    for (const id of [...this.#graphs.keys()]) this.#releasePipeline(id);
  }

  /**
   * Releases every pipeline and waits (at most `timeoutMs`) until the nodes released
   * so far have closed their sockets. The worker must not be terminated before: Node
   * 20 aborts the whole process when a UDP datagram arrives on a worker whose
   * JavaScript was already stopped (FATAL ERROR "v8::FromJust Maybe value is Nothing"
   * in UDPWrap::OnRecv), and a peer may well still be sending.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.closeAll();
    this.#track(this.engine.close());
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    const done = Promise.allSettled([...this.#closing]).then(() => true);
    const closed = await Promise.race([done, timedOut]);
    clearTimeout(timer);
    return closed;
  }

  /** Closes a node; its socket closing is waited for by `stop`. */
  #close(node: MediaNode): void {
    this.#track(node.close());
  }

  /** A close under way, which `stop` waits for; one that fails must not stop the others. */
  #track(promise: Promise<void>): void {
    const closing = promise.catch(() => undefined);
    this.#closing.add(closing);
    void closing.then(() => this.#closing.delete(closing));
  }
}
