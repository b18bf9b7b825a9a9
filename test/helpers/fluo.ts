import { WebSocket } from 'ws';
import { loadConfig } from '../../src/config/loadConfig.ts';
import type { FluoConfig } from '../../src/config/FluoConfig.ts';
import { FluoServer } from '../../src/server/FluoServer.ts';

/** Starts an in-process Fluo on a free loopback port with the shipped defaults. */
export async function startFluo(patch: (c: FluoConfig) => FluoConfig = (c) => c, argv: string[] = []): Promise<{ server: FluoServer; url: string; stop: () => Promise<void> }> {
  // The test runner's single-port runs set FLUO_WEBRTC_PORT (issue 14: the suite passes in both port modes).
  // and its spread runs set FLUO_PIPELINE_SPREAD (item 6: pipelines over several workers).
  const env = Object.fromEntries((['FLUO_WEBRTC_PORT', 'FLUO_PIPELINE_SPREAD'] as const).flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
  const loaded = loadConfig(argv, env);
  if (loaded.kind !== 'run') throw new Error('unexpected config result');
  const base = loaded.config;
  const config = patch({ ...base, websocket: { ...base.websocket, host: '127.0.0.1', port: 0 } });
  const server = new FluoServer(config);
  const { port } = await server.start();
  return { server, url: `ws://127.0.0.1:${port}/${config.websocket.path}`, stop: () => server.stop() };
}

export interface RpcMessage {
  jsonrpc?: string;
  id?: unknown;
  method?: string;
  result?: Record<string, unknown> & { value?: unknown; sessionId?: string };
  error?: { code: number; message: string; data?: { type: string } };
  params?: { value: { data: Record<string, unknown>; object: string; type: string } };
}

/** A raw JSON-RPC client over a real WebSocket, in the spirit of KMS's BaseTest. */
export class RpcClient {
  readonly ws: WebSocket;
  readonly events: RpcMessage[] = [];
  #next = 0;
  #waiters = new Map<string, (m: RpcMessage) => void>();
  #errorWaiters: Array<(m: RpcMessage) => void> = [];
  #eventWaiters: Array<{ pred: (m: RpcMessage) => boolean; resolve: (m: RpcMessage) => void }> = [];
  #listeners: Array<(m: RpcMessage) => void> = [];

  /** Calls `fn` for every event from now on. */
  onEvent(fn: (m: RpcMessage) => void): void {
    this.#listeners.push(fn);
  }

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as RpcMessage;
      if (m.method === 'onEvent') {
        this.events.push(m);
        for (const l of this.#listeners) l(m);
        this.#eventWaiters = this.#eventWaiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
        return;
      }
      const w = this.#waiters.get(JSON.stringify(m.id ?? null));
      if (w) {
        this.#waiters.delete(JSON.stringify(m.id ?? null));
        w(m);
      } else if (m.error && this.#errorWaiters.length) {
        this.#errorWaiters.shift()!(m);
      }
    });
  }

  static async open(url: string): Promise<RpcClient> {
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RpcClient(ws);
  }

  /** Sends a request and waits for the reply with the same id (ids count from 0). */
  request(method: string, params?: unknown, id: unknown = this.#next++): Promise<RpcMessage> {
    return this.sendRaw(JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }), id);
  }

  sendRaw(text: string, id: unknown = null, timeoutMs = 10_000): Promise<RpcMessage> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no reply to ${text.slice(0, 200)}`)), timeoutMs);
      const done = (m: RpcMessage): void => { clearTimeout(t); resolve(m); };
      if (id === null) this.#errorWaiters.push(done);
      else this.#waiters.set(JSON.stringify(id), done);
      this.ws.send(text);
    });
  }

  /** Sends and expects an answer; throws with the error text if the server answered an error. */
  async ok(method: string, params?: unknown): Promise<NonNullable<RpcMessage['result']>> {
    const r = await this.request(method, params);
    if (r.error) throw new Error(`${method} failed: ${r.error.code} ${r.error.message}`);
    return r.result ?? {};
  }

  waitEvent(pred: (m: RpcMessage) => boolean, timeoutMs = 5000): Promise<RpcMessage> {
    const found = this.events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('event not received')), timeoutMs);
      this.#eventWaiters.push({ pred, resolve: (m) => { clearTimeout(t); resolve(m); } });
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === this.ws.CLOSED) return Promise.resolve();
    return new Promise((r) => { this.ws.once('close', () => r()); this.ws.close(); });
  }
}

/**
 * The suite runs in single-port mode (FLUO_WEBRTC_PORT, issue 14): tests of what only
 * per-endpoint ports have (an ICE-TCP listener, a TURN allocation, sockets per
 * transport) skip with this reason, the rest run as they are.
 */
export const SINGLE_PORT = process.env.FLUO_WEBRTC_PORT ? 'single-port mode: endpoints share the worker\'s UDP and ICE-TCP ports (only TURN allocations get sockets of their own)' : false;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Handles keeping the event loop alive (sockets, servers, timers), by kind. */
export function activeResources(): string[] {
  // Typed here because @types/node 20.9 does not declare this (stable) API.
  return (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo()
    .filter((r) => !['TTYWrap', 'PipeWrap', 'FSReqCallback'].includes(r));
}

/** Socket handles (UDP, TCP, TCP servers) the running media workers hold. */
export async function workerSockets(server: FluoServer): Promise<string[]> {
  return (await server.media.workerResources()).flat().filter((r) => /^(UDP|TCP)/.test(r));
}

/**
 * Waits until the media workers hold nothing that keeps a loop alive, neither socket
 * nor timer, and fails with what is left after `timeoutMs`. A release closes werift's
 * sockets asynchronously, and a DTLS flight werift was retransmitting keeps its timer
 * (up to 5.5 s, not cancellable) until it wakes and ends (DtlsTransportKeeper).
 */
export async function assertWorkersIdle(server: FluoServer, timeoutMs = 8_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let left = (await server.media.workerResources()).flat();
  while (left.length && Date.now() < end) {
    await sleep(50);
    left = (await server.media.workerResources()).flat();
  }
  if (left.length) throw new Error(`left in the media workers after release: ${left.join(', ')}`);
}

/** What `withEndpoint` hands its test: the client, its session, a pipeline and a WebRtcEndpoint in it. */
export interface EndpointSession { c: RpcClient; sid: string; P: string; ep: string; server: FluoServer }

/**
 * Runs `fn` against an in-process Fluo with one session, one pipeline and one
 * WebRtcEndpoint (`constructorParams` added to its mediaPipeline), then closes the
 * client and stops Fluo, whatever `fn` did. When `fn` succeeds, the pipeline is
 * released (if `fn` did not) and the media workers must be left without a socket or timer.
 */
export async function withEndpoint<T>(constructorParams: Record<string, unknown>, fn: (s: EndpointSession) => Promise<T>): Promise<T> {
  const fluo = await startFluo();
  const c = await RpcClient.open(fluo.url);
  try {
    const sid = (await c.ok('connect')).sessionId!;
    const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
    const ep = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P, ...constructorParams }, sessionId: sid })).value as string;
    const result = await fn({ c, sid, P, ep, server: fluo.server });
    await c.request('release', { object: P, sessionId: sid });
    await assertWorkersIdle(fluo.server);
    return result;
  } finally {
    await c.close();
    await fluo.stop();
  }
}

/** Sends one raw frame on `ws` and resolves with the next frame it receives (any kind), or rejects after `timeoutMs`. */
export function exchangeRaw(ws: WebSocket, text: string, timeoutMs = 5_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { ws.off('message', on); reject(new Error(`no reply to ${text.slice(0, 80)}…`)); }, timeoutMs);
    const on = (d: Buffer): void => { clearTimeout(t); ws.off('message', on); resolve(JSON.parse(d.toString()) as unknown); };
    ws.on('message', on);
    ws.send(text);
  });
}
