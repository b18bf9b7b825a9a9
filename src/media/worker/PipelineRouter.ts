import type { EdgeSpec, MediaKind, NodeKind, PipelineMessage } from '../../shared/workerProtocol.ts';

/** A message for one worker. */
export interface Delivery {
  worker: number;
  message: PipelineMessage;
}

/** The media of one source pad carried to one other worker, with the kinds its sinks there take. */
interface Pipe {
  readonly id: string;
  readonly source: string;
  readonly sourceDescription: string;
  readonly from: number;
  readonly to: number;
  /** Linked edges per kind on the far side; the source -> PipeOut edge of a kind lives while its count is above 0. */
  readonly kinds: Map<MediaKind, number>;
}

/** How the control plane's edge (one sink input) was laid out: on one worker, or through a pipe. */
interface EdgeRoute {
  readonly spec: EdgeSpec;
  readonly pipe: Pipe | undefined;
}

/**
 * Where the parts of one MediaPipeline live among the media workers, and what each
 * control-plane message becomes for them (issue 14 item 6). The control plane speaks of
 * one pipeline, as Kurento's applications do; the pipeline has a home worker, where
 * every object goes unless the pool places a WebRtcEndpoint elsewhere, and an edge
 * whose two ends are on different workers becomes, as mediasoup's pipeToRouter does, a
 * pipe from the source's worker to the sink's: one per (source pad, far worker),
 * shared by every sink there, so a source's packets cross to a worker once however many
 * sinks it has there. Pure bookkeeping, kept apart from the threads so it can be tested.
 */
export class PipelineRouter {
  readonly pipeline: string;
  readonly home: number;
  readonly #objects = new Map<string, { worker: number; kind: NodeKind }>();
  /** Pipes by `source|sourceDescription|worker`. */
  readonly #pipes = new Map<string, Pipe>();
  /** Each linked sink input (`sink|kind|sinkDescription`: one source each, as in Kurento). */
  readonly #edges = new Map<string, EdgeRoute>();
  /** Nodes per worker (objects and pipe ends): a worker with any holds a part of the pipeline. */
  readonly #nodesOn = new Map<number, number>();
  readonly #newPipeId: () => string;
  #latency = false;

  constructor(pipeline: string, home: number, newPipeId: () => string) {
    this.pipeline = pipeline;
    this.home = home;
    this.#newPipeId = newPipeId;
  }

  /** Records where an object's node goes (before its `create` is routed). */
  place(object: string, kind: NodeKind, worker: number): void {
    if (!this.#objects.has(object)) this.#objects.set(object, { worker, kind });
  }

  workerOf(object: string): number {
    return this.#objects.get(object)?.worker ?? this.home;
  }

  /** Objects of `kind` placed on `worker`. */
  count(worker: number, kind: NodeKind): number {
    let n = 0;
    for (const o of this.#objects.values()) if (o.worker === worker && o.kind === kind) n++;
    return n;
  }

  /** Workers holding a part of the pipeline, the home worker first. */
  workers(): number[] {
    return [this.home, ...[...this.#nodesOn.keys()].filter((w) => w !== this.home)];
  }

  /** Pipes in use (for tests and stats). */
  get pipes(): number {
    return this.#pipes.size;
  }

  /** What `m` becomes: the messages to send, to which worker, in order. */
  route(m: PipelineMessage): Delivery[] {
    switch (m.t) {
      case 'create': return this.#add(this.workerOf(m.object), m);
      case 'call':
      case 'post': return [{ worker: this.workerOf(m.object), message: m }];
      case 'release': return this.#release(m.object);
      case 'link': return this.#link(m.edge);
      case 'unlink': return this.#unlink(m.edge);
      case 'setLatencyStats':
        this.#latency = m.on;
        return this.workers().map((worker) => ({ worker, message: m }));
      case 'releasePipeline': return this.workers().map((worker) => ({ worker, message: m }));
    }
  }

  /** A node is created on `worker`; a worker's first part of a pipeline with latency stats on is told first. */
  #add(worker: number, message: PipelineMessage): Delivery[] {
    const out: Delivery[] = [];
    const n = this.#nodesOn.get(worker) ?? 0;
    if (n === 0 && this.#latency && worker !== this.home) out.push({ worker, message: { t: 'setLatencyStats', pipeline: this.pipeline, on: true } });
    this.#nodesOn.set(worker, n + 1);
    out.push({ worker, message });
    return out;
  }

  /** A node is released; a worker other than the home that holds no more of the pipeline forgets it. */
  #remove(worker: number, object: string): Delivery[] {
    const n = (this.#nodesOn.get(worker) ?? 1) - 1;
    const out: Delivery[] = [{ worker, message: { t: 'release', pipeline: this.pipeline, object } }];
    if (n > 0 || worker === this.home) this.#nodesOn.set(worker, Math.max(n, 0));
    else {
      this.#nodesOn.delete(worker);
      out.push({ worker, message: { t: 'releasePipeline', pipeline: this.pipeline } });
    }
    return out;
  }

  #release(object: string): Delivery[] {
    // The control plane unlinks an element's edges before releasing it; any left (a
    // message lost to a crash, a hub port) are taken down here so no pipe outlives them.
    const out = [...this.#edges.values()]
      .filter((r) => r.spec.source === object || r.spec.sink === object)
      .flatMap((r) => this.#unlink(r.spec));
    const worker = this.workerOf(object);
    this.#objects.delete(object);
    out.push(...this.#remove(worker, object));
    return out;
  }

  #link(spec: EdgeSpec): Delivery[] {
    const key = inputKey(spec);
    const old = this.#edges.get(key);
    if (old && old.spec.source === spec.source && old.spec.sourceDescription === spec.sourceDescription) return [];
    const out: Delivery[] = [];
    // A sink input has one source: the one it had is replaced. On one worker the graph
    // replaces it itself; a piped one must let go of its pipe.
    if (old?.pipe) out.push(...this.#unlink(old.spec));
    else if (old) this.#edges.delete(key);
    const from = this.workerOf(spec.source);
    const to = this.workerOf(spec.sink);
    if (from === to) {
      this.#edges.set(key, { spec, pipe: undefined });
      out.push({ worker: from, message: { t: 'link', pipeline: this.pipeline, edge: spec } });
      return out;
    }
    const pipe = this.#pipeFor(spec, from, to, out);
    const n = pipe.kinds.get(spec.kind) ?? 0;
    pipe.kinds.set(spec.kind, n + 1);
    if (n === 0) out.push({ worker: from, message: { t: 'link', pipeline: this.pipeline, edge: outEdge(pipe, spec.kind) } });
    out.push({ worker: to, message: { t: 'link', pipeline: this.pipeline, edge: inEdge(pipe, spec) } });
    this.#edges.set(key, { spec, pipe });
    return out;
  }

  #pipeFor(spec: EdgeSpec, from: number, to: number, out: Delivery[]): Pipe {
    const key = `${spec.source}|${spec.sourceDescription}|${to}`;
    let pipe = this.#pipes.get(key);
    if (pipe) return pipe;
    const id = this.#newPipeId();
    pipe = { id, source: spec.source, sourceDescription: spec.sourceDescription, from, to, kinds: new Map() };
    this.#pipes.set(key, pipe);
    out.push(...this.#add(from, { t: 'create', pipeline: this.pipeline, object: pipeOutId(id), kind: 'PipeOut', options: { pipe: id, peer: to } }));
    out.push(...this.#add(to, { t: 'create', pipeline: this.pipeline, object: pipeInId(id), kind: 'PipeIn', options: { pipe: id, peer: from } }));
    return pipe;
  }

  #unlink(spec: EdgeSpec): Delivery[] {
    const key = inputKey(spec);
    const route = this.#edges.get(key);
    if (!route || route.spec.source !== spec.source || route.spec.sourceDescription !== spec.sourceDescription) return [];
    this.#edges.delete(key);
    const pipe = route.pipe;
    if (!pipe) return [{ worker: this.workerOf(spec.source), message: { t: 'unlink', pipeline: this.pipeline, edge: route.spec } }];
    const out: Delivery[] = [{ worker: pipe.to, message: { t: 'unlink', pipeline: this.pipeline, edge: inEdge(pipe, route.spec) } }];
    const n = (pipe.kinds.get(spec.kind) ?? 1) - 1;
    if (n > 0) {
      pipe.kinds.set(spec.kind, n);
      return out;
    }
    pipe.kinds.delete(spec.kind);
    out.push({ worker: pipe.from, message: { t: 'unlink', pipeline: this.pipeline, edge: outEdge(pipe, spec.kind) } });
    if (pipe.kinds.size === 0) {
      this.#pipes.delete(`${pipe.source}|${pipe.sourceDescription}|${pipe.to}`);
      out.push(...this.#remove(pipe.from, pipeOutId(pipe.id)), ...this.#remove(pipe.to, pipeInId(pipe.id)));
    }
    return out;
  }
}

function inputKey(spec: EdgeSpec): string {
  return `${spec.sink}|${spec.kind}|${spec.sinkDescription}`;
}

export function pipeOutId(pipe: string): string {
  return `${pipe}:out`;
}

export function pipeInId(pipe: string): string {
  return `${pipe}:in`;
}

/** The source's edge into its pipe, on the source's worker. */
function outEdge(pipe: Pipe, kind: MediaKind): EdgeSpec {
  return { source: pipe.source, sink: pipeOutId(pipe.id), kind, sourceDescription: pipe.sourceDescription, sinkDescription: 'default' };
}

/** The sink's edge out of the pipe, on the sink's worker: the PipeIn stands for the source. */
function inEdge(pipe: Pipe, spec: EdgeSpec): EdgeSpec {
  return { source: pipeInId(pipe.id), sink: spec.sink, kind: spec.kind, sourceDescription: 'default', sinkDescription: spec.sinkDescription };
}
