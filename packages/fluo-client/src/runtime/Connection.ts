import { WebSocket } from 'ws';
import { KurentoClientError } from './KurentoClientError.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type EventListener = (data: Record<string, Json>) => void;

export interface ConnectionOptions {
  /** A request not answered within this time fails (ms). Default 20,000. */
  requestTimeoutMs?: number;
  /** `ping` every this many ms while connected, as kurento-client does; 0: never. Default 10,000. */
  pingIntervalMs?: number;
  /** Reconnection after a lost connection: attempts (0: none) and the backoff bounds (ms). */
  reconnect?: { attempts?: number; minDelayMs?: number; maxDelayMs?: number };
}

interface Pending { resolve: (v: Json | undefined) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
interface Subscription { object: string; type: string; id?: string; listeners: Set<EventListener> }
interface Answer {
  id?: number;
  result?: { value?: Json; sessionId?: string };
  error?: { code: number; message: string; data?: { type?: string } };
  method?: string;
  params?: { value?: { data: Record<string, Json>; object: string; type: string } };
}

/**
 * One Kurento Protocol connection (JSON-RPC 2.0 over WebSocket, Kurento docs "Kurento
 * Protocol"): requests carry the `sessionId` the server gave, `onEvent` notifications
 * go to the listeners of their (object, type). A lost connection is made again with
 * the same `sessionId` (the server keeps the session's objects) and every
 * subscription is made again; requests made meanwhile wait for it.
 */
export class Connection {
  readonly url: string;
  sessionId: string | undefined;
  readonly #timeoutMs: number;
  readonly #pingMs: number;
  readonly #retry: { attempts: number; minDelayMs: number; maxDelayMs: number };
  #ws: WebSocket | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #subs = new Map<string, Subscription>();
  #ping: NodeJS.Timeout | undefined;
  #closed = false;
  /** Resolved while connected; pending while reconnecting. */
  #ready: Promise<void> = Promise.resolve();
  #reconnecting = false;
  /** Called after a reconnection (for applications and tests). */
  onReconnect: (() => void) | undefined;

  private constructor(url: string, options: ConnectionOptions) {
    this.url = url;
    this.#timeoutMs = options.requestTimeoutMs ?? 20_000;
    this.#pingMs = options.pingIntervalMs ?? 10_000;
    this.#retry = { attempts: options.reconnect?.attempts ?? 10, minDelayMs: options.reconnect?.minDelayMs ?? 100, maxDelayMs: options.reconnect?.maxDelayMs ?? 5_000 };
  }

  /** Opens a connection and its session (`connect`). */
  static async open(url: string, options: ConnectionOptions = {}): Promise<Connection> {
    const c = new Connection(url, options);
    await c.#connect();
    return c;
  }

  get connected(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  async #connect(): Promise<void> {
    const ws = new WebSocket(this.url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => undefined);
    ws.on('message', (data) => this.#message(String(data)));
    ws.on('close', () => this.#lost(ws));
    this.#ws = ws;
    // Kurento's `connect` resumes a session by its id; the answer names the session.
    const r = (await this.#send('connect', this.sessionId ? { sessionId: this.sessionId } : {})) as { sessionId?: string } | undefined;
    if (r?.sessionId) this.sessionId = r.sessionId;
    clearInterval(this.#ping);
    if (this.#pingMs > 0) {
      this.#ping = setInterval(() => { this.#send('ping', { interval: this.#pingMs }).catch(() => undefined); }, this.#pingMs);
      this.#ping.unref();
    }
  }

  /** A Kurento method (`create`, `invoke`, `release`, ...) with the session's id. */
  async request(method: string, params: Record<string, Json | undefined>): Promise<Json | undefined> {
    if (this.#closed) throw new KurentoClientError(-1, 'the connection is closed');
    await this.#ready;
    return this.#send(method, { ...params, ...(this.sessionId ? { sessionId: this.sessionId } : {}) });
  }

  #send(method: string, params: Record<string, Json | undefined>): Promise<Json | undefined> {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new KurentoClientError(-1, 'not connected'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new KurentoClientError(-2, `no answer to '${method}' within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  #message(text: string): void {
    let m: Answer;
    try {
      m = JSON.parse(text) as Answer;
    } catch {
      return;
    }
    if (m.method === 'onEvent') {
      const v = m.params?.value;
      const sub = v ? this.#subs.get(key(v.object, v.type)) : undefined;
      if (v && sub) for (const l of sub.listeners) l(v.data);
      return;
    }
    const p = m.id !== undefined ? this.#pending.get(m.id) : undefined;
    if (!p) return;
    this.#pending.delete(m.id!);
    clearTimeout(p.timer);
    if (m.error) p.reject(new KurentoClientError(m.error.code, m.error.message, m.error.data?.type));
    // `connect` answers {sessionId}; every other method {value} (or nothing).
    else p.resolve(m.result && !('value' in m.result) && 'sessionId' in m.result ? (m.result as Json) : m.result?.value);
  }

  /** Adds a listener; the first one of an (object, type) subscribes. */
  async subscribe(object: string, type: string, listener: EventListener): Promise<void> {
    const k = key(object, type);
    let sub = this.#subs.get(k);
    if (!sub) {
      sub = { object, type, listeners: new Set() };
      this.#subs.set(k, sub);
      try {
        sub.id = String(await this.request('subscribe', { object, type }));
      } catch (err) {
        this.#subs.delete(k);
        throw err;
      }
    }
    sub.listeners.add(listener);
  }

  /** Removes a listener; the last one of an (object, type) unsubscribes. */
  async unsubscribe(object: string, type: string, listener: EventListener): Promise<void> {
    const k = key(object, type);
    const sub = this.#subs.get(k);
    if (!sub || !sub.listeners.delete(listener) || sub.listeners.size > 0) return;
    this.#subs.delete(k);
    if (sub.id) await this.request('unsubscribe', { object, subscription: sub.id });
  }

  /** Forgets the subscriptions of a released object (the server dropped them). */
  forget(object: string): void {
    for (const [k, s] of this.#subs) if (s.object === object) this.#subs.delete(k);
  }

  #lost(ws: WebSocket): void {
    if (ws !== this.#ws) return;
    clearInterval(this.#ping);
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new KurentoClientError(-1, 'the connection was lost'));
    }
    if (this.#closed || this.#retry.attempts === 0 || this.#reconnecting) return;
    this.#reconnecting = true;
    let done!: () => void;
    this.#ready = new Promise((r) => { done = r; });
    void this.#reconnect().finally(() => {
      this.#reconnecting = false;
      done();
    });
  }

  async #reconnect(): Promise<void> {
    const { attempts, minDelayMs, maxDelayMs } = this.#retry;
    for (let i = 0; i < attempts && !this.#closed; i++) {
      await new Promise((r) => setTimeout(r, Math.min(maxDelayMs, minDelayMs * 2 ** i)));
      try {
        await this.#connect();
        for (const s of this.#subs.values()) s.id = String(await this.#send('subscribe', { object: s.object, type: s.type, sessionId: this.sessionId ?? null }));
        this.onReconnect?.();
        return;
      } catch {
        // The next attempt, after a longer wait.
      }
    }
    this.#closed = true;
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#ping);
    this.#ws?.close();
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(new KurentoClientError(-1, 'the connection is closed'));
    }
    this.#pending.clear();
  }

  /** Drops the socket as a network failure would (tests, and applications that detect a dead link). */
  dropSocket(): void {
    this.#ws?.terminate();
  }
}

const key = (object: string, type: string): string => `${object}\u0000${type}`;
