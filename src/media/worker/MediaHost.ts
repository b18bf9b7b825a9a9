import { KurentoError } from '../../shared/KurentoError.ts';
import { MediaNode, type EmitFn } from '../graph/MediaNode.ts';
import type { FromWorker, MediaKind, PipelineMessage, Wire } from '../../shared/workerProtocol.ts';
import { createNode } from '../graph/createNode.ts';
import { LatencyMeter } from '../graph/LatencyMeter.ts';

type Pipeline = Map<string, MediaNode>;

/**
 * The worker side of the media interface: owns the pipelines placed on this worker,
 * their nodes and links. Every operation is contained: a failing node answers an
 * error (or raises `Error`), never takes the worker down.
 */
export class MediaHost {
  readonly #pipelines = new Map<string, Pipeline>();
  readonly #latencyOn = new Set<string>();
  /** Closes still under way (werift closes its sockets asynchronously). */
  readonly #closing = new Set<Promise<void>>();
  readonly #send: (m: FromWorker) => void;

  constructor(send: (m: FromWorker) => void) {
    this.#send = send;
  }

  get pipelineCount(): number {
    return this.#pipelines.size;
  }

  handle(m: PipelineMessage): void {
    let result: Promise<Wire>;
    try {
      result = Promise.resolve(this.#dispatch(m.pipeline, m.element, m.op, m.args));
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
        else this.#send({ t: 'event', pipeline: m.pipeline, element: m.element || m.pipeline, name: 'Error', data: { description: error.message, errorCode: 40003, type: error.type } });
      },
    );
  }

  #dispatch(pipelineId: string, element: string, op: string, args: Wire): Wire | Promise<Wire> {
    const a = (args ?? {}) as Record<string, Wire>;
    if (element === '') {
      switch (op) {
        case 'create': return this.#create(pipelineId, String(a.element), String(a.kind), a.options ?? null);
        case 'release': this.#release(pipelineId, String(a.element)); return null;
        case 'link': return this.#link(pipelineId, a, true);
        case 'unlink': return this.#link(pipelineId, a, false);
        case 'releasePipeline': this.#releasePipeline(pipelineId); return null;
        case 'setLatencyStats': this.#setLatencyStats(pipelineId, a.on === true); return null;
        default: throw new KurentoError('NOT_IMPLEMENTED', `pipeline operation '${op}'`);
      }
    }
    const node = this.#pipelines.get(pipelineId)?.get(element);
    if (!node) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Object '${element}' not found in the media plane`);
    return node.call(op, args);
  }

  #create(pipelineId: string, element: string, kind: string, options: Wire): Promise<Wire> | Wire {
    let p = this.#pipelines.get(pipelineId);
    if (!p) this.#pipelines.set(pipelineId, (p = new Map()));
    if (p.has(element)) return null;
    const emit: EmitFn = (name, data) => this.#send({ t: 'event', pipeline: pipelineId, element, name, data });
    const node = createNode(kind, element, emit, options);
    if (this.#latencyOn.has(pipelineId)) node.latency = new LatencyMeter();
    p.set(element, node);
    return null;
  }

  #link(pipelineId: string, a: Record<string, Wire>, add: boolean): null {
    const p = this.#pipelines.get(pipelineId);
    const src = p?.get(String(a.source));
    const sink = p?.get(String(a.sink));
    const kind = a.kind as MediaKind;
    if (!src || !sink) return null;
    if (add) {
      const old = sink.sources.get(kind);
      if (old && old !== src) {
        old.sinks[kind].delete(sink);
        old.sinkRemoved(kind, sink);
      }
      src.sinks[kind].add(sink);
      sink.sources.set(kind, src);
      sink.sourceChanged(kind, src);
      src.sinkAdded(kind, sink);
    } else if (sink.sources.get(kind) === src) {
      src.sinks[kind].delete(sink);
      sink.sources.delete(kind);
      src.sinkRemoved(kind, sink);
      sink.sourceChanged(kind, undefined);
    }
    return null;
  }

  #release(pipelineId: string, element: string): void {
    const p = this.#pipelines.get(pipelineId);
    const node: MediaNode | undefined = p?.get(element);
    if (!p || !node) return;
    for (const kind of ['AUDIO', 'VIDEO', 'DATA'] as const) {
      const sinks: MediaNode[] = [...node.sinks[kind]];
      for (const sinkNode of sinks) {
        if (sinkNode.sources.get(kind) === node) {
          sinkNode.sources.delete(kind);
          sinkNode.sourceChanged(kind, undefined);
        }
      }
      node.sinks[kind].clear();
      const src = node.sources.get(kind);
      if (src) {
        src.sinks[kind].delete(node);
        src.sinkRemoved(kind, node);
      }
      node.sources.delete(kind);
    }
    p.delete(element);
    this.#close(node);
  }

  /** MediaPipeline.latencyStats: every element of the pipeline measures, or none does. */
  #setLatencyStats(pipelineId: string, on: boolean): void {
    if (on) this.#latencyOn.add(pipelineId);
    else this.#latencyOn.delete(pipelineId);
    for (const node of this.#pipelines.get(pipelineId)?.values() ?? []) node.latency = on ? node.latency ?? new LatencyMeter() : undefined;
  }

  #releasePipeline(pipelineId: string): void {
    this.#latencyOn.delete(pipelineId);
    const p = this.#pipelines.get(pipelineId);
    if (!p) return;
    for (const id of [...p.keys()]) this.#release(pipelineId, id);
    this.#pipelines.delete(pipelineId);
  }

  closeAll(): void {
    for (const id of [...this.#pipelines.keys()]) this.#releasePipeline(id);
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
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    const done = Promise.allSettled([...this.#closing]).then(() => true);
    const closed = await Promise.race([done, timedOut]);
    clearTimeout(timer);
    return closed;
  }

  /** Closes a node; its socket closing is waited for by `stop`. */
  #close(node: MediaNode): void {
    // A node that fails to close must not stop the others from closing.
    const closing = node.close().catch(() => undefined);
    this.#closing.add(closing);
    void closing.then(() => this.#closing.delete(closing));
  }
}
