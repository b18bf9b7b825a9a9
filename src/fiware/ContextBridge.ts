import { Logger } from '../log/Logger.ts';
import { cameraEntity, fromKurentoEvent, ldId, mediaEventEntity, toLd, type CameraInfo, type EntityBody, type MediaEventInput } from './mediaEntities.ts';

const log = Logger.get('FluoFiware');

export interface ContextBridgeOptions {
  /** The broker (Orion, or the project's own test broker). Default http://localhost:1026. */
  brokerUrl?: string;
  /** `Fiware-Service` (tenant) and `Fiware-ServicePath` headers; none by default. */
  service?: string;
  servicePath?: string;
  /** NGSI-LD (`/ngsi-ld/v1/entities`, URN ids, `@context`) instead of NGSI-v2. */
  ngsiLd?: boolean;
  /** The NGSI-LD `@context` (default: ETSI's core context). */
  ldContext?: string;
  /** Writes waiting for the broker at most; past it the oldest waiting is dropped. Default 1000. */
  queueLimit?: number;
  /** Backoff of retries: first wait and cap (ms). Defaults 250 and 10,000. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** One request's time limit (ms). Default 5000. */
  requestTimeoutMs?: number;
  /**
   * Tries of one write before it is dropped (counted as `dropped.attempts`, logged), so
   * that a write the broker keeps failing (a 5xx for that entity only) does not hold
   * back the ones behind it. Default 0: no limit (a broker that is down gets every
   * write once it is back, within `queueLimit`).
   */
  maxAttempts?: number;
}

/** What the bridge did, for operators and tests. */
export interface BridgeCounters {
  queued: number;
  sent: number;
  retried: number;
  dropped: { queueFull: number; rejected: number; closed: number; attempts: number };
}

/** Anything with Kurento events: a kurento-client object, or an EventEmitter. */
export interface EventSource { on(type: string, listener: (event: Record<string, unknown>) => void): unknown; removeListener?(type: string, listener: (event: Record<string, unknown>) => void): unknown }

/** The events `attach` publishes unless told otherwise: the filters' detections. */
export const DETECTION_EVENTS = ['PlateDetected', 'CodeFound', 'WindowIn', 'WindowOut', 'CrowdDetectorOccupancy', 'CrowdDetectorFluidity', 'CrowdDetectorDirection'];

interface Write { method: 'POST' | 'PATCH'; path: string; body: EntityBody; what: string; attempt: number; fallback?: Write }

const LD_CORE = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld';

/**
 * Media events into a FIWARE context broker (issue 15 §1; seeds 001 and 002: the
 * Stream-Oriented GE's events become Orion entities), as Kurento's kurento-fiware Java
 * module did, but with the smart-data-models' names and types (its dates were not ISO
 * 8601, its attribute `mediasource` and `sofwareVersion` misspelt).
 *
 * A broker that is down or slow never stalls the caller: every write goes into a bounded
 * queue and the call returns; one write is in flight at a time, in order; a write that
 * fails for the network, a timeout or a 5xx is tried again with exponential backoff;
 * one the broker refuses (4xx) is dropped and logged, as is one that failed
 * `maxAttempts` times (if set); past `queueLimit` the oldest waiting write is dropped
 * and logged. `counters` says what happened.
 */
export class ContextBridge {
  readonly counters: BridgeCounters = { queued: 0, sent: 0, retried: 0, dropped: { queueFull: 0, rejected: 0, closed: 0, attempts: 0 } };
  readonly #base: string;
  readonly #o: Required<Omit<ContextBridgeOptions, 'service' | 'servicePath' | 'brokerUrl'>> & Pick<ContextBridgeOptions, 'service' | 'servicePath'>;
  readonly #queue: Write[] = [];
  #running = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #abort: AbortController | undefined;
  #idle: Array<() => void> = [];

  constructor(options: ContextBridgeOptions = {}) {
    this.#base = (options.brokerUrl ?? 'http://localhost:1026').replace(/\/+$/, '');
    this.#o = {
      ngsiLd: options.ngsiLd ?? false, ldContext: options.ldContext ?? LD_CORE, queueLimit: options.queueLimit ?? 1000,
      retryBaseMs: options.retryBaseMs ?? 250, retryMaxMs: options.retryMaxMs ?? 10_000, requestTimeoutMs: options.requestTimeoutMs ?? 5000,
      maxAttempts: options.maxAttempts ?? 0,
      service: options.service, servicePath: options.servicePath,
    };
    if (!/^https?:\/\//.test(this.#base)) throw new Error(`brokerUrl must be an http(s) URL: ${options.brokerUrl}`);
  }

  /** Registers the camera entity (created, or its attributes replaced when it exists). */
  registerCamera(camera: CameraInfo): void {
    const e = cameraEntity(camera, new Date());
    if (this.#o.ngsiLd) {
      const body = toLd(e, this.#o.ldContext);
      const id = String(body.id);
      const { id: _i, type: _t, ...attrs } = body;
      this.#enqueue({ method: 'POST', path: '/ngsi-ld/v1/entities', body, what: `camera ${id}`, attempt: 0,
        fallback: { method: 'POST', path: `/ngsi-ld/v1/entities/${encodeURIComponent(id)}/attrs`, body: attrs, what: `camera ${id}`, attempt: 0 } });
    } else {
      const { id, type, ...attrs } = e;
      this.#enqueue({ method: 'POST', path: '/v2/entities', body: e, what: `camera ${String(id)}`, attempt: 0,
        fallback: { method: 'POST', path: `/v2/entities/${encodeURIComponent(String(id))}/attrs?type=${String(type)}`, body: attrs, what: `camera ${String(id)}`, attempt: 0 } });
    }
  }

  /** Updates attributes of an entity (the camera's state, say): PATCH, as Orion's manual has it. */
  updateEntity(id: string, type: string, attrs: Record<string, { type: string; value: unknown }>): void {
    const path = this.#o.ngsiLd
      ? `/ngsi-ld/v1/entities/${encodeURIComponent(ldId(type, id))}/attrs`
      : `/v2/entities/${encodeURIComponent(id)}/attrs?type=${encodeURIComponent(type)}`;
    const body = this.#o.ngsiLd ? toLdAttrs(attrs, this.#o.ldContext) : attrs;
    this.#enqueue({ method: 'PATCH', path, body, what: `update of ${id}`, attempt: 0 });
  }

  /** Publishes one media event as a MediaEvent entity; returns its id. */
  publish(event: MediaEventInput): string {
    const e = mediaEventEntity(event);
    const body = this.#o.ngsiLd ? toLd(e, this.#o.ldContext) : e;
    this.#enqueue({ method: 'POST', path: this.#o.ngsiLd ? '/ngsi-ld/v1/entities' : '/v2/entities', body, what: `MediaEvent ${String(body.id)}`, attempt: 0 });
    return String(body.id);
  }

  /**
   * Publishes `events` of a Kurento element (a kurento-client object or any `on`
   * emitter) as MediaEvents, the camera as their `deviceSource`. Returns a detach.
   */
  attach(source: EventSource, options: { camera?: string; refersTo?: string[]; events?: readonly string[] } = {}): () => void {
    const subs = (options.events ?? DETECTION_EVENTS).map((type) => {
      const listener = (ev: Record<string, unknown>): void => {
        if (!this.#closed) this.publish(fromKurentoEvent(type, ev, { camera: options.camera, refersTo: options.refersTo }));
      };
      source.on(type, listener);
      return { type, listener };
    });
    return () => { for (const s of subs) source.removeListener?.(s.type, s.listener); };
  }

  /** Resolves once nothing waits (for tests, and an application shutting down cleanly). */
  flush(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.#idle.push(r));
  }

  /** Stops: what still waits is dropped (counted), the request in flight aborted. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#abort?.abort();
    this.counters.dropped.closed += this.#queue.length;
    this.#queue.length = 0;
    this.#settle();
  }

  #enqueue(w: Write): void {
    if (this.#closed) {
      this.counters.dropped.closed++;
      return;
    }
    if (this.#queue.length >= this.#o.queueLimit) {
      // The oldest waiting write goes (not the one in flight, at the head while running).
      const victim = this.#queue.splice(this.#running ? 1 : 0, 1)[0];
      this.counters.dropped.queueFull++;
      log.warn(`context broker ${this.#base}: queue full (${this.#o.queueLimit}), dropped ${victim?.what ?? 'a write'}`);
    }
    this.#queue.push(w);
    this.counters.queued++;
    if (!this.#running) void this.#run();
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#queue.length && !this.#closed) {
      const w = this.#queue[0]!;
      const outcome = await this.#send(w);
      if (this.#closed) break;
      if (outcome === 'retry' && this.#o.maxAttempts > 0 && w.attempt + 1 >= this.#o.maxAttempts) {
        this.#queue.shift();
        this.counters.dropped.attempts++;
        log.warn(`context broker ${this.#base}: dropped ${w.what} after ${this.#o.maxAttempts} tries`);
        continue;
      }
      if (outcome === 'retry') {
        this.counters.retried++;
        const wait = Math.min(this.#o.retryMaxMs, this.#o.retryBaseMs * 2 ** w.attempt++);
        if (w.attempt === 1) log.warn(`context broker ${this.#base} unreachable (${w.what}): retrying with backoff`);
        await new Promise<void>((r) => { this.#timer = setTimeout(r, wait); });
        continue;
      }
      this.#queue.shift();
      if (outcome === 'exists' && w.fallback) this.#queue.unshift(w.fallback);
    }
    this.#running = false;
    this.#settle();
  }

  #settle(): void {
    if (this.#running || this.#queue.length) return;
    for (const r of this.#idle.splice(0)) r();
  }

  async #send(w: Write): Promise<'done' | 'retry' | 'exists'> {
    this.#abort = new AbortController();
    const timer = setTimeout(() => this.#abort?.abort(), this.#o.requestTimeoutMs);
    try {
      const headers: Record<string, string> = { 'content-type': this.#o.ngsiLd ? 'application/ld+json' : 'application/json' };
      if (this.#o.service) headers['fiware-service'] = this.#o.service;
      if (this.#o.servicePath) headers['fiware-servicepath'] = this.#o.servicePath;
      const res = await fetch(this.#base + w.path, { method: w.method, headers, body: JSON.stringify(w.body), signal: this.#abort.signal });
      const text = await res.text();
      if (res.ok) {
        this.counters.sent++;
        return 'done';
      }
      if (res.status >= 500) return 'retry';
      // Orion's 422 "Already Exists" (NGSI-LD: 409): an upsert goes on with its fallback.
      if ((res.status === 422 || res.status === 409) && w.fallback) return 'exists';
      this.counters.dropped.rejected++;
      log.warn(`context broker refused ${w.what}: ${res.status} ${text.slice(0, 300)}`);
      return 'done';
    } catch {
      return 'retry';
    } finally {
      clearTimeout(timer);
    }
  }
}

function toLdAttrs(attrs: Record<string, { type: string; value: unknown }>, context: string): EntityBody {
  const { id: _id, type: _type, ...rest } = toLd({ id: 'x', type: 'Thing', ...attrs }, context);
  return rest;
}
