import type http from 'node:http';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { CONTENT_TYPE, CounterVec, HistogramVec, exposition, type Family } from './PromText.ts';
import type { OpsAccess } from './OpsAccess.ts';
import { mediaFamilies } from './mediaFamilies.ts';
import type { WorkerMediaStats } from '../shared/workerProtocol.ts';

/** What the endpoints read from the server at scrape time (gauges cost nothing between scrapes). */
export interface OpsSource {
  connections(): number;
  sessions(): number;
  /** Live objects by KMD type name. */
  objectsByType(): ReadonlyMap<string, number>;
  /** Media worker slots, threads running now, and whether a pipeline can still be placed. */
  workers(): { readonly slots: number; readonly running: number; readonly accepting: boolean };
  /** Each running media worker's counters and gauges (a worker too busy to answer is left out). */
  media(): Promise<ReadonlyArray<{ worker: number; stats: WorkerMediaStats }>>;
  /** True once stop() began. */
  stopping(): boolean;
}

/** JSON-RPC latency buckets, seconds: from a cached ping to a slow create. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/**
 * The event-loop delay sampler's period. Each sample is a timer wakeup; on this kind of
 * VM a wakeup of an idle thread costs 100-200 µs, so the 20 ms period first used cost an
 * idle server 0.25 % of a core (50 wakeups/s; 0.65 % -> 0.40 % idle with 1 s, measured
 * with /proc ticks over 20 s). A blocked loop still shows: the pending timer fires late.
 */
const LOOP_DELAY_RESOLUTION_MS = 200;

/**
 * `/metrics` (Prometheus text format) and `/health/live`, `/health/ready` on the
 * control port's HTTP server (issue 15 §3). Request counters are incremented where
 * requests are answered (JsonRpcHandler); everything else is read when scraped.
 */
export class OpsEndpoints {
  readonly #source: OpsSource;
  readonly #access: OpsAccess;
  readonly #requests = new CounterVec('fluo_jsonrpc_requests_total', 'JSON-RPC requests answered, by method and outcome (ok, or the Kurento/JSON-RPC error code).');
  readonly #latency = new HistogramVec('fluo_jsonrpc_request_duration_seconds', 'Time from a JSON-RPC request to its answer, by method.', LATENCY_BUCKETS);
  #loopDelay: IntervalHistogram | undefined;

  constructor(source: OpsSource, access: OpsAccess) {
    this.#source = source;
    this.#access = access;
  }

  start(): void {
    this.#loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    this.#loopDelay.enable();
  }

  stop(): void {
    this.#loopDelay?.disable();
    this.#loopDelay = undefined;
  }

  /** One answered request; `code` is 'ok' or the error's code. */
  observeRequest(method: string, code: string, seconds: number): void {
    this.#requests.inc({ method, code });
    this.#latency.observe({ method }, seconds);
  }

  /** Answers `req` when its path is one of ours; false otherwise (the caller answers). */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/metrics' && path !== '/health/live' && path !== '/health/ready') return false;
    if (!this.#access.allows(req.socket.remoteAddress)) {
      send(res, 403, 'text/plain', 'Forbidden: not a loopback client and not in mediaServer.metrics.allow\n');
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'text/plain', 'Method Not Allowed\n');
      return true;
    }
    if (path === '/health/live') {
      send(res, 200, 'application/json', JSON.stringify({ status: 'live' }));
    } else if (path === '/health/ready') {
      const why = this.notReadyReason();
      send(res, why ? 503 : 200, 'application/json', JSON.stringify(why ? { status: 'not ready', reason: why } : { status: 'ready' }));
    } else {
      this.metricsText().then(
        (text) => send(res, 200, CONTENT_TYPE, text),
        (err: unknown) => send(res, 500, 'text/plain', `metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
      );
    }
    return true;
  }

  /** Why a pipeline could not be taken now, or undefined when ready. */
  notReadyReason(): string | undefined {
    if (this.#source.stopping()) return 'the server is stopping';
    const w = this.#source.workers();
    if (w.slots === 0 || !w.accepting) return 'no media worker can take a pipeline';
    return undefined;
  }

  async metricsText(): Promise<string> {
    const s = this.#source;
    const mem = process.memoryUsage();
    const w = s.workers();
    const lag = this.#loopDelay;
    // The p99 delay since the previous scrape (nanoseconds; 0 before any sample).
    const lagSeconds = lag && lag.count > 0 ? lag.percentile(99) / 1e9 : 0;
    lag?.reset();
    const gauge = (name: string, help: string, value: number): Family => ({ name, help, type: 'gauge', samples: [{ value }] });
    const families: Family[] = [
      gauge('fluo_websocket_connections', 'Open WebSocket connections on the control port.', s.connections()),
      gauge('fluo_sessions', 'Kurento sessions known to the server.', s.sessions()),
      {
        name: 'fluo_objects',
        help: 'Live media objects, by KMD type.',
        type: 'gauge',
        samples: [...s.objectsByType()].sort(([a], [b]) => a.localeCompare(b)).map(([type, value]) => ({ labels: { type }, value })),
      },
      this.#requests.family(),
      this.#latency.family(),
      gauge('fluo_process_resident_memory_bytes', 'Resident set size of the Fluo process (main thread and media workers).', mem.rss),
      gauge('fluo_process_heap_used_bytes', 'V8 heap used by the main thread.', mem.heapUsed),
      gauge('fluo_event_loop_lag_seconds', "The main thread's event-loop delay, 99th percentile since the previous scrape.", lagSeconds),
      gauge('fluo_media_workers', 'Media worker slots (mediaServer.mediaWorkers).', w.slots),
      gauge('fluo_media_workers_running', 'Media worker threads running now (mediaServer.mediaWorkersWarm: from the start, else with their first pipeline until idle).', w.running),
      ...mediaFamilies(await s.media()),
    ];
    return exposition(families);
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
