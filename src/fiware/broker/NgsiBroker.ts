import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { EntityStore, NgsiError, type Entity } from './EntityStore.ts';

/** Largest request body (Orion's default inbound limit is 1 MB). */
const MAX_BODY = 1024 * 1024;
/** A notification that takes longer is abandoned (the subscriber is slow or gone). */
const NOTIFY_TIMEOUT_MS = 5_000;

interface Subscription {
  id: string;
  service: string;
  description?: string;
  entities: Array<{ id?: string; idPattern?: RegExp; type?: string }>;
  url: string;
  /** `subject.condition.attrs`: only a change of one of these notifies (none: any change). */
  conditionAttrs: string[];
  /** `notification.attrs`: only these attributes go out (none: all). */
  attrs: string[];
  /** `notification.attrsFormat`. */
  keyValues: boolean;
  /** The subscription as given, for GET. */
  body: Record<string, unknown>;
  timesSent: number;
}

/**
 * A small NGSI-v2 context broker (in memory, `node:http`) for the project's tests and
 * demos, where no Orion can be installed: it answers as Orion's API manual specifies
 * for exactly the calls the FIWARE bridge and the tutorial make (entities: create, read,
 * list, update or append, update existing, delete; subscriptions and their
 * notifications; `Fiware-Service` tenants, `Fiware-ServicePath`, `Fiware-Total-Count`),
 * and the NGSI-LD entity calls the bridge's LD mode makes. Not a replacement for Orion:
 * no persistence, registrations, geo-queries or batch operations.
 */
export class NgsiBroker {
  readonly store = new EntityStore();
  readonly #server = http.createServer((req, res) => void this.#handle(req, res));
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #notifying = new Set<AbortController>();
  /** Notifications sent, for tests. */
  notificationsSent = 0;

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => resolve());
    });
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const c of this.#notifying) c.abort();
    this.#server.closeAllConnections();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://broker');
      const service = String(req.headers['fiware-service'] ?? '').toLowerCase();
      const servicePath = String(req.headers['fiware-servicepath'] ?? '/');
      const body = req.method === 'POST' || req.method === 'PATCH' || req.method === 'PUT' ? await readJson(req) : undefined;
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const keyValues = (url.searchParams.get('options') ?? '').split(',').includes('keyValues');
      const type = url.searchParams.get('type') ?? undefined;
      if (url.pathname === '/version' && req.method === 'GET') return json(res, 200, { orion: { version: '0.0.0-fluo-test-broker' } });
      if (parts[0] === 'v2' && parts[1] === 'entities') return this.#entities(req.method ?? 'GET', parts.slice(2), url, service, servicePath, body, keyValues, type, res);
      if (parts[0] === 'v2' && parts[1] === 'subscriptions') return this.#subs(req.method ?? 'GET', parts[2], service, body, res);
      if (parts[0] === 'ngsi-ld' && parts[1] === 'v1' && parts[2] === 'entities') return this.#ld(req.method ?? 'GET', parts.slice(3), url, service, body, res);
      throw new NgsiError(404, 'BadRequest', 'service not found');
    } catch (err) {
      if (err instanceof NgsiError) return json(res, err.status, { error: err.error, description: err.message });
      json(res, 500, { error: 'InternalServerError', description: err instanceof Error ? err.message : String(err) });
    }
  }

  #entities(method: string, rest: string[], url: URL, service: string, servicePath: string, body: unknown, keyValues: boolean, type: string | undefined, res: http.ServerResponse): void {
    const [id, sub] = rest;
    if (id === undefined && method === 'POST') {
      const e = this.store.create(service, servicePath, body, keyValues);
      this.#notify(service, e, [...e.attrs.keys()]);
      res.setHeader('Location', `/v2/entities/${encodeURIComponent(e.id)}?type=${encodeURIComponent(e.type)}`);
      return end(res, 201);
    }
    if (id === undefined && method === 'GET') {
      const all = this.store.list(service, {
        type, idPattern: url.searchParams.get('idPattern') ?? undefined, id: url.searchParams.get('id') ?? undefined,
        q: url.searchParams.get('q') ?? undefined, servicePath: url.searchParams.has('servicePath') ? undefined : servicePathFilter(servicePath),
      });
      const offset = intParam(url, 'offset', 0);
      const limit = intParam(url, 'limit', 20);
      if (limit < 1 || limit > 1000) throw new NgsiError(400, 'BadRequest', 'Bad pagination limit: must be in the range 1 to 1000');
      if ((url.searchParams.get('options') ?? '').split(',').includes('count')) res.setHeader('Fiware-Total-Count', String(all.length));
      return json(res, 200, all.slice(offset, offset + limit).map((e) => render(e, keyValues)));
    }
    if (id !== undefined && sub === undefined && method === 'GET') return json(res, 200, render(this.store.get(service, id, type), keyValues));
    if (id !== undefined && sub === undefined && method === 'DELETE') {
      this.store.delete(service, id, type);
      return end(res, 204);
    }
    if (id !== undefined && sub === 'attrs' && (method === 'POST' || method === 'PATCH')) {
      const e = method === 'POST' ? this.store.upsert(service, id, type, body, keyValues) : this.store.patch(service, id, type, body, keyValues);
      this.#notify(service, e, Object.keys((body ?? {}) as object));
      return end(res, 204);
    }
    throw new NgsiError(405, 'MethodNotAllowed', `${method} not allowed here`);
  }

  #subs(method: string, id: string | undefined, service: string, body: unknown, res: http.ServerResponse): void {
    if (id === undefined && method === 'POST') {
      const s = subscription(service, body);
      this.#subscriptions.set(s.id, s);
      res.setHeader('Location', `/v2/subscriptions/${s.id}`);
      return end(res, 201);
    }
    if (id === undefined && method === 'GET') {
      return json(res, 200, [...this.#subscriptions.values()].filter((s) => s.service === service).map(renderSub));
    }
    const s = id !== undefined ? this.#subscriptions.get(id) : undefined;
    if (!s || s.service !== service) throw new NgsiError(404, 'NotFound', 'The requested subscription has not been found. Check id');
    if (method === 'GET') return json(res, 200, renderSub(s));
    if (method === 'DELETE') {
      this.#subscriptions.delete(s.id);
      return end(res, 204);
    }
    throw new NgsiError(405, 'MethodNotAllowed', `${method} not allowed here`);
  }

  /** NGSI-LD entities (ETSI GS CIM 009): create, read, list by type, append attributes, delete. */
  #ld(method: string, rest: string[], url: URL, service: string, body: unknown, res: http.ServerResponse): void {
    const tenant = `ld:${service}`;
    const [id, sub] = rest;
    if (id === undefined && method === 'POST') {
      const { '@context': _context, ...entity } = (body ?? {}) as Record<string, unknown>;
      if (typeof entity.id !== 'string' || !/^urn:/.test(entity.id)) throw new NgsiError(400, 'BadRequestData', 'an NGSI-LD entity id must be a URI');
      let e: Entity;
      try {
        e = this.store.create(tenant, '/', fromLd(entity), false);
      } catch (err) {
        // NGSI-LD says 409 AlreadyExists where NGSI-v2 says 422.
        if (err instanceof NgsiError && err.status === 422) throw new NgsiError(409, 'AlreadyExists', `${entity.id} already exists`);
        throw err;
      }
      res.setHeader('Location', `/ngsi-ld/v1/entities/${encodeURIComponent(e.id)}`);
      return end(res, 201);
    }
    if (id === undefined && method === 'GET') return json(res, 200, this.store.list(tenant, { type: url.searchParams.get('type') ?? undefined }).map(renderLd));
    if (id !== undefined && sub === undefined && method === 'GET') return json(res, 200, renderLd(this.store.get(tenant, id)));
    if (id !== undefined && sub === undefined && method === 'DELETE') {
      this.store.delete(tenant, id);
      return end(res, 204);
    }
    if (id !== undefined && sub === 'attrs' && (method === 'POST' || method === 'PATCH')) {
      const { '@context': _context, ...attrs } = (body ?? {}) as Record<string, unknown>;
      if (method === 'POST') this.store.upsert(tenant, id, undefined, fromLd(attrs), false);
      else this.store.patch(tenant, id, undefined, fromLd(attrs), false);
      return end(res, 204);
    }
    throw new NgsiError(405, 'MethodNotAllowed', `${method} not allowed here`);
  }

  /**
   * Notifies every subscription of the tenant whose subject matches `e` and whose
   * condition attributes include one of those `changed` (Orion API manual,
   * "Subscriptions": an empty condition.attrs means any attribute), fire and forget.
   */
  #notify(service: string, e: Entity, changed: readonly string[]): void {
    for (const s of this.#subscriptions.values()) {
      if (s.service !== service || !s.entities.some((x) => (x.type === undefined || x.type === e.type) && (x.id === e.id || x.idPattern?.test(e.id)))) continue;
      if (s.conditionAttrs.length && !changed.some((a) => s.conditionAttrs.includes(a))) continue;
      const ctrl = new AbortController();
      this.#notifying.add(ctrl);
      const timer = setTimeout(() => ctrl.abort(), NOTIFY_TIMEOUT_MS);
      s.timesSent++;
      this.notificationsSent++;
      fetch(s.url, {
        method: 'POST', signal: ctrl.signal,
        headers: { 'content-type': 'application/json', ...(service ? { 'fiware-service': service } : {}) },
        body: JSON.stringify({ subscriptionId: s.id, data: [only(render(e, s.keyValues), s.attrs)] }),
      }).then((r) => r.arrayBuffer(), () => undefined).finally(() => {
        clearTimeout(timer);
        this.#notifying.delete(ctrl);
      });
    }
  }
}

function servicePathFilter(p: string): string | undefined {
  // A query without Fiware-ServicePath searches everything under `/` (API manual).
  return p === '/' ? '/#' : p;
}

function intParam(url: URL, name: string, dflt: number): number {
  const v = url.searchParams.get(name);
  if (v === null) return dflt;
  if (!/^\d+$/.test(v)) throw new NgsiError(400, 'BadRequest', `Bad pagination ${name}: must be a non-negative integer`);
  return Number(v);
}

function subscription(service: string, body: unknown): Subscription {
  const b = (body ?? {}) as {
    description?: string;
    subject?: { entities?: Array<Record<string, unknown>>; condition?: { attrs?: unknown } };
    notification?: { http?: { url?: unknown }; attrs?: unknown; attrsFormat?: unknown };
  };
  const entities = b.subject?.entities;
  const url = b.notification?.http?.url;
  if (!Array.isArray(entities) || entities.length === 0) throw new NgsiError(400, 'BadRequest', 'no subject entities specified');
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new NgsiError(400, 'BadRequest', 'http notification has no valid url');
  const format = b.notification?.attrsFormat ?? 'normalized';
  if (format !== 'normalized' && format !== 'keyValues') throw new NgsiError(400, 'BadRequest', `invalid attrsFormat: ${String(format)}`);
  return {
    id: randomBytes(12).toString('hex'), service, url, body: body as Record<string, unknown>, timesSent: 0,
    conditionAttrs: names(b.subject?.condition?.attrs, 'condition attrs'), attrs: names(b.notification?.attrs, 'notification attrs'), keyValues: format === 'keyValues',
    ...(typeof b.description === 'string' ? { description: b.description } : {}),
    entities: entities.map((x) => {
      if (typeof x.idPattern === 'string') {
        try {
          return { idPattern: new RegExp(x.idPattern), ...(typeof x.type === 'string' ? { type: x.type } : {}) };
        } catch {
          throw new NgsiError(400, 'BadRequest', 'Invalid regex for entity idPattern');
        }
      }
      if (typeof x.id !== 'string') throw new NgsiError(400, 'BadRequest', 'entity id or idPattern required');
      return { id: x.id, ...(typeof x.type === 'string' ? { type: x.type } : {}) };
    }),
  };
}

function names(v: unknown, what: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new NgsiError(400, 'BadRequest', `${what} must be an array of strings`);
  return v as string[];
}

/** An entity rendered with only `attrs` (and its id and type); all when none are named. */
function only(rendered: Record<string, unknown>, attrs: readonly string[]): Record<string, unknown> {
  if (!attrs.length) return rendered;
  return Object.fromEntries(Object.entries(rendered).filter(([k]) => k === 'id' || k === 'type' || attrs.includes(k)));
}

function renderSub(s: Subscription): Record<string, unknown> {
  return { id: s.id, ...s.body, status: 'active', notification: { ...(s.body.notification as object), timesSent: s.timesSent } };
}

function render(e: Entity, keyValues: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { id: e.id, type: e.type };
  for (const [name, a] of e.attrs) out[name] = keyValues ? a.value : { type: a.type, value: a.value, metadata: a.metadata };
  return out;
}

/** NGSI-LD attributes (Property `value`, Relationship `object`) as the store keeps them. */
function fromLd(attrs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attrs).map(([k, a]) => {
    if (k === 'id' || k === 'type' || !a || typeof a !== 'object') return [k, a];
    const x = a as Record<string, unknown>;
    return [k, x.type === 'Relationship' ? { type: 'Relationship', value: x.object } : { type: 'Property', value: x.value }];
  }));
}

function renderLd(e: Entity): Record<string, unknown> {
  const out: Record<string, unknown> = { id: e.id, type: e.type };
  for (const [name, a] of e.attrs) out[name] = a.type === 'Relationship' ? { type: 'Relationship', object: a.value } : { type: 'Property', value: a.value };
  return out;
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new NgsiError(413, 'RequestEntityTooLarge', `payload size: ${size}, max size supported: ${MAX_BODY}`);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.length === 0) throw new NgsiError(400, 'BadRequest', 'empty payload');
  const ct = String(req.headers['content-type'] ?? '');
  if (!/^application\/(ld\+)?json/.test(ct)) throw new NgsiError(415, 'UnsupportedMediaType', `not supported content type: ${ct || 'none'}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new NgsiError(400, 'ParseError', 'Errors found in incoming JSON buffer');
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function end(res: http.ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}
