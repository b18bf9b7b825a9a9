import { randomUUID } from 'node:crypto';
import { KurentoError } from '../shared/KurentoError.ts';
import { SERVER_MANAGER_ID, type OperationRouter } from '../core/OperationRouter.ts';
import type { JsonValue } from '../api/types.ts';
import { errorToJsonRpc, isUnexpected } from './errorToJsonRpc.ts';
import { RequestCache } from './RequestCache.ts';
import { SessionTable, type SessionLimits } from './SessionTable.ts';
import { ObjectQuota, type ObjectLimits } from './ObjectQuota.ts';
import { FrameShape } from './FrameShape.ts';
import { yielder } from './yielder.ts';
import type { RpcConnection } from './RpcConnection.ts';
import { Logger } from '../log/Logger.ts';
import { AnsweredErrors } from './AnsweredErrors.ts';

type Id = string | number | null;
type Obj = Record<string, unknown>;
interface Response { jsonrpc: '2.0'; id: Id; result?: JsonValue; error?: ReturnType<typeof errorToJsonRpc> }
type Result = JsonValue | undefined;
type MethodFn = (params: Obj, conn: RpcConnection, sid: string | undefined) => Result | Promise<Result>;

export interface JsonRpcOptions {
  readonly router: OperationRouter;
  readonly disableRequestCache: boolean;
  readonly requestCacheTimeout: number;
  readonly maxMessageSize: number;
  /** Most operations in one transaction, or requests in one batch. */
  readonly maxOperationsPerTransaction: number;
  readonly sessionLimits: SessionLimits;
  readonly objectLimits: ObjectLimits;
  /** Told of every answered request (metrics): the method, 'ok' or the error code, seconds taken. */
  readonly observe?: (method: string, code: string, seconds: number) => void;
}

const log = Logger.get('KurentoJsonRpc');

/**
 * Kurento Protocol over JSON-RPC 2.0: framing, sessions, the duplicate-request cache,
 * transactions with `newref:` and error mapping. It sees remote objects only through
 * the OperationRouter; it never touches media. Behaviour follows KMS's ServerMethods
 * (conformance notes a.1-a.8).
 */
export class JsonRpcHandler {
  readonly sessions: SessionTable;
  readonly #objects: ObjectQuota;
  readonly serverId = randomUUID();
  readonly #d: OperationRouter;
  readonly #cache: RequestCache | undefined;
  readonly #maxMessageSize: number;
  readonly #maxOperations: number;
  readonly #methods: Record<string, MethodFn>;
  /** Events raised while a request runs synchronously wait until its response is out. */
  readonly #held = new Map<RpcConnection, string[]>();
  readonly #observe: JsonRpcOptions['observe'];

  constructor(opts: JsonRpcOptions) {
    this.#d = opts.router;
    this.sessions = new SessionTable(opts.sessionLimits);
    this.#objects = new ObjectQuota(opts.objectLimits, opts.router);
    this.#cache = opts.disableRequestCache ? undefined : new RequestCache(opts.requestCacheTimeout);
    this.#maxMessageSize = opts.maxMessageSize;
    this.#maxOperations = opts.maxOperationsPerTransaction;
    this.#observe = opts.observe;
    this.#methods = {
      ping: (p, c) => this.#ping(p, c),
      connect: (p, c) => this.#connect(p, c),
      create: (p, c, s) => this.#withSession(p, c, s, (sid) => {
        this.#objects.check(c);
        const created = this.#d.create(sid, str(p.type, 'type'), p.constructorParams, p.properties);
        const done = (id: string) => {
          this.#objects.created(id, c);
          return { value: id };
        };
        return typeof created === 'string' ? done(created) : created.then(done);
      }),
      invoke: (p, c, s) => this.#withSession(p, c, s, (sid) => {
        const r = this.#d.invoke(sid, p.object, p.operation, p.operationParams);
        return r instanceof Promise ? r.then((value) => valueResult(value)) : valueResult(r);
      }),
      describe: (p, c, s) => this.#withSession(p, c, s, (sid) => this.#d.describe(sid, p.object)),
      release: (p, c, s) => this.#withSession(p, c, s, (sid) => { this.#d.release(sid, p.object); return {}; }),
      subscribe: (p, c, s) => this.#withSession(p, c, s, (sid) => ({ value: this.#d.subscribe(sid, p.object, p.type) })),
      unsubscribe: (p, c, s) => this.#withSession(p, c, need(s), () => { this.#d.unsubscribe(p.object, p.subscription); return {}; }),
      ref: (p, c, s) => this.#withSession(p, c, need(s), (sid) => { this.#d.lookup(sid, p.object); return {}; }),
      unref: (p, c, s) => this.#withSession(p, c, need(s), (sid) => {
        this.#d.mediaSet.unref(sid, this.#d.lookup(sid, p.object, false));
        return {};
      }),
      keepAlive: (p, c, s) => this.#withSession(p, c, need(s), () => ({})),
      closeSession: (p, _c, s) => {
        const sid = need(s);
        this.#d.closeSession(sid, p.release === true);
        this.sessions.forget(sid);
        return null;
      },
      transaction: (p, c, s) => this.#transaction(p, c, s),
    };
  }

  /**
   * Handles one text frame; returns the reply text (undefined for notifications).
   * Every frame gets a valid JSON-RPC answer (issue 16, defect 1): a failure no method
   * caught becomes -32603 here rather than a frame left unanswered.
   */
  handle(text: string, conn: RpcConnection): string | undefined | Promise<string | undefined> {
    try {
      const r = this.#frame(text, conn);
      return r instanceof Promise ? r.catch(internalError) : r;
    } catch (err) {
      return internalError(err);
    }
  }

  #frame(text: string, conn: RpcConnection): string | undefined | Promise<string | undefined> {
    if (text.length > this.#maxMessageSize) {
      return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message: `Invalid JSON-RPC request: message of ${text.length} bytes exceeds mediaServer.resources.maxMessageSize (${this.#maxMessageSize})` } });
    }
    const shape = FrameShape.check(text);
    if (shape instanceof Promise) return shape.then((problem) => this.#parsed(text, conn, problem));
    return this.#parsed(text, conn, shape);
  }

  #parsed(text: string, conn: RpcConnection, problem: string | undefined): string | undefined | Promise<string | undefined> {
    if (problem !== undefined) {
      return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message: `Invalid JSON-RPC request: ${problem}` } });
    }
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error.' } });
    }
    if (Array.isArray(msg)) return this.#batch(msg, conn);
    const r = this.#request(msg, conn, text);
    return r instanceof Promise ? r.then(toText) : toText(r);
  }

  /** JSON-RPC 2.0 batch: each request in order, one array reply (notifications omitted). */
  async #batch(msgs: unknown[], conn: RpcConnection): Promise<string | undefined> {
    if (msgs.length === 0) return JSON.stringify(invalidRequest());
    if (msgs.length > this.#maxOperations) {
      const err = new KurentoError('NOT_ENOUGH_RESOURCES', `A batch of ${msgs.length} requests exceeds the limit of ${this.#maxOperations} (mediaServer.resources.maxOperationsPerTransaction)`);
      return JSON.stringify([fail(null, err, 'batch', {})]);
    }
    const out: Response[] = [];
    const pause = yielder();
    for (const m of msgs) {
      await pause();
      const r = await this.#request(m, conn, JSON.stringify(m));
      if (r) out.push(r);
    }
    return out.length ? JSON.stringify(out) : undefined;
  }

  #request(msg: unknown, conn: RpcConnection, text: string): Response | undefined | Promise<Response | undefined> {
    if (!isObj(msg) || msg.jsonrpc !== '2.0' || typeof msg.method !== 'string' || !validId(msg.id)) {
      return invalidRequest();
    }
    const isNotification = !('id' in msg);
    const id = (msg.id ?? null) as Id;
    const params = isObj(msg.params) ? msg.params : {};
    if (msg.params !== undefined && msg.params !== null && !isObj(msg.params)) {
      return isNotification ? undefined : { jsonrpc: '2.0', id, error: { code: -32602, message: 'Invalid params: params must be an object' } };
    }
    const sid = typeof params.sessionId === 'string' ? params.sessionId : undefined;
    try {
      // Before anything stores the id (table, cache, MediaSet): defects 2 and 4.
      this.sessions.admit(sid, conn);
    } catch (err) {
      return isNotification ? undefined : fail(id, err, msg.method, params);
    }
    // Kurento keys its cache on (sessionId, id) only; we also key on the request itself,
    // so a client that restarts its id counter under the same session (an application
    // restart resuming a saved session) is not answered with another request's result.
    // A real retry re-sends the identical frame and still gets the stored answer.
    const cacheKey = this.#cache && sid !== undefined && !isNotification ? RequestCache.key(sid, id, text) : undefined;
    if (cacheKey) {
      const hit = this.#cache!.get(cacheKey);
      if (hit !== null) {
        if (sid !== undefined) this.sessions.bind(sid, conn);
        return hit instanceof Promise ? hit.then(parseCached) : parseCached(hit);
      }
    }
    const out = this.#run(msg.method, params, conn, sid, id);
    const res = out instanceof Promise ? out.then((r) => (isNotification ? undefined : r)) : isNotification ? undefined : out;
    if (cacheKey) this.#cache!.set(cacheKey, res instanceof Promise ? res.then(toText) : toText(res));
    return res;
  }

  /** Runs one method (counted for the metrics when observed), turning exceptions into error responses. */
  #run(method: string, params: Obj, conn: RpcConnection, sid: string | undefined, id: Id): Response | Promise<Response> {
    const observe = this.#observe;
    if (!observe) return this.#runMethod(method, params, conn, sid, id);
    const start = performance.now();
    // Unknown methods share one label: a client must not mint metric series.
    const label = Object.hasOwn(this.#methods, method) ? method : 'unknown';
    const done = (r: Response): Response => {
      observe(label, r.error ? String(r.error.code) : 'ok', (performance.now() - start) / 1000);
      return r;
    };
    const r = this.#runMethod(method, params, conn, sid, id);
    return r instanceof Promise ? r.then(done) : done(r);
  }

  /** Runs one method, turning exceptions into error responses; events raised meanwhile wait. */
  #runMethod(method: string, params: Obj, conn: RpcConnection, sid: string | undefined, id: Id): Response | Promise<Response> {
    const fn = Object.hasOwn(this.#methods, method) ? this.#methods[method] : undefined;
    if (!fn) return { jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found.' } };
    this.#held.set(conn, this.#held.get(conn) ?? []);
    try {
      const r = fn(params, conn, sid);
      if (r instanceof Promise) {
        this.#release(conn);
        return r.then((result) => ok(id, result), (err) => fail(id, err, method, params));
      }
      return ok(id, r);
    } catch (err) {
      return fail(id, err, method, params);
    } finally {
      // The sync path's response is sent by the caller right after; flush on next tick.
      if (this.#held.has(conn)) queueMicrotask(() => this.#release(conn));
    }
  }

  #release(conn: RpcConnection): void {
    const held = this.#held.get(conn);
    this.#held.delete(conn);
    if (held) for (const t of held) conn.send(t);
  }

  /** Sends an `onEvent` notification to the connection bound to `sessionId`. */
  deliverEvent(sessionId: string, value: { data: JsonValue; object: string; type: string }): void {
    const conn = this.sessions.connectionOf(sessionId);
    if (!conn) return;
    const text = JSON.stringify({ jsonrpc: '2.0', method: 'onEvent', params: { value } });
    const held = this.#held.get(conn);
    if (held) held.push(text);
    else conn.send(text);
  }

  connectionClosed(conn: RpcConnection): void {
    this.#held.delete(conn);
    this.sessions.connectionClosed(conn);
  }

  // ---- methods -----------------------------------------------------------------

  #ping(p: Obj, conn: RpcConnection): Result {
    if (p.interval !== undefined && typeof p.interval !== 'number') {
      throw new KurentoError('INVALID_PARAMS', "Invalid params: 'interval' should be a number");
    }
    const sid = typeof p.sessionId === 'string' ? p.sessionId : undefined;
    if (sid !== undefined) this.sessions.keepAlive(sid, conn);
    return sid !== undefined ? { value: 'pong', sessionId: sid } : { value: 'pong' };
  }

  #connect(p: Obj, conn: RpcConnection): Result {
    let sid = typeof p.sessionId === 'string' ? p.sessionId : undefined;
    if (sid !== undefined && !this.#d.mediaSet.hasSession(sid)) {
      throw new KurentoError('INVALID_SESSION', `Invalid session '${sid}'`);
    }
    sid = this.#session(sid, conn);
    return { sessionId: sid, serverId: this.serverId };
  }

  /**
   * Runs `fn` with the request's session, minting and binding one when the request
   * carried none (KMS: create/invoke/describe/subscribe/release/transaction do).
   */
  #withSession(_p: Obj, conn: RpcConnection, sid: string | undefined, fn: (sid: string) => Result | Promise<Result>): Result | Promise<Result> {
    const session = this.#session(sid, conn);
    const r = fn(session);
    const add = (v: Result): Result => (isObj(v) ? { ...v, sessionId: session } : v);
    return r instanceof Promise ? r.then(add) : add(r);
  }

  /** The request's session, or one minted for it (within the connection's limits), bound to `conn`. */
  #session(sid: string | undefined, conn: RpcConnection): string {
    if (sid === undefined) this.sessions.admit(undefined, conn);
    const session = sid ?? randomUUID();
    this.sessions.bind(session, conn);
    return session;
  }

  async #transaction(p: Obj, conn: RpcConnection, s: string | undefined): Promise<Result> {
    const sid = this.#session(s, conn);
    if (!Array.isArray(p.operations)) {
      throw new KurentoError('MALFORMED_TRANSACTION', "'operations' should be an array");
    }
    if (p.operations.length > this.#maxOperations) {
      throw new KurentoError('NOT_ENOUGH_RESOURCES', `A transaction of ${p.operations.length} operations exceeds the limit of ${this.#maxOperations} (mediaServer.resources.maxOperationsPerTransaction)`);
    }
    const responses: Response[] = [];
    const pause = yielder();
    for (let i = 0; i < p.operations.length; i++) {
      await pause();
      const op: unknown = p.operations[i];
      if (!isObj(op) || Number(op.id) !== i || typeof op.method !== 'string') {
        throw new KurentoError('MALFORMED_TRANSACTION', `Id of request '${i}' should be '${i}'`);
      }
      if (op.method === 'transaction') throw new KurentoError('MALFORMED_TRANSACTION', 'Transactions cannot be nested');
      const params = { ...(replaceNewRefs(isObj(op.params) ? op.params : {}, responses) as Obj), sessionId: sid };
      const r = await this.#run(op.method, params, conn, sid, op.id as Id);
      responses.push(r);
      if (r.error) break;
    }
    return { sessionId: sid, value: responses as unknown as JsonValue };
  }
}

function ok(id: Id, result: Result): Response {
  return { jsonrpc: '2.0', id, result: result === undefined ? null : result };
}

const answeredErrors = new AnsweredErrors((line) => log.info(line));

function fail(id: Id, err: unknown, method: string, params: Obj): Response {
  if (isUnexpected(err)) log.error(`Unexpected error in '${method}': ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  const error = errorToJsonRpc(err);
  const target = typeof params.object === 'string' ? params.object : typeof params.type === 'string' ? `type ${params.type}` : undefined;
  answeredErrors.answered(method, target?.slice(0, 200), error);
  return { jsonrpc: '2.0', id, error };
}

function internalError(err: unknown): string {
  log.error(`unhandled error answering a frame: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Internal error.' } });
}

function invalidRequest(): Response {
  return { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid JSON-RPC request.' } };
}

function valueResult(value: JsonValue | undefined): Result {
  return value === undefined ? {} : { value };
}

function toText(r: Response | undefined): string | undefined {
  return r === undefined ? undefined : JSON.stringify(r);
}

function parseCached(text: string | undefined): Response | undefined {
  return text === undefined ? undefined : (JSON.parse(text) as Response);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validId(id: unknown): boolean {
  return id === undefined || id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string') throw new KurentoError('MARSHALL_ERROR', `'${name}' parameter should be a String`);
  return v;
}

function need(sid: string | undefined): string {
  if (sid === undefined) throw new KurentoError('INVALID_PARAMS', "Invalid params: 'sessionId' is required");
  return sid;
}

/**
 * Replaces every string `newref:N` (at any depth) with the object id answered by
 * operation N of the same transaction (KMS ServerMethods::transaction).
 */
function replaceNewRefs(v: unknown, responses: readonly Response[], depth = 0): unknown {
  if (depth > 64) throw new KurentoError('MALFORMED_TRANSACTION', 'Transaction parameters nested too deeply');
  if (typeof v === 'string') {
    if (!v.startsWith('newref:')) return v;
    const n = Number(v.slice(7));
    const res = Number.isInteger(n) ? responses[n] : undefined;
    const value = res?.result && isObj(res.result) ? res.result.value : undefined;
    if (typeof value !== 'string') throw new KurentoError('MALFORMED_TRANSACTION', `Reference '${v}' does not name an object created earlier in this transaction`);
    return value;
  }
  if (Array.isArray(v)) return v.map((x) => replaceNewRefs(x, responses, depth + 1));
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) out[k] = replaceNewRefs(x, responses, depth + 1);
    return out;
  }
  return v;
}

export { SERVER_MANAGER_ID };
