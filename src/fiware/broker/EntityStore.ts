import { badIdentifier, badValue, inferredType } from '../ngsiRules.ts';

/** An attribute as Orion keeps it (normalized representation). */
export interface Attribute { type: string; value: unknown; metadata: Record<string, unknown> }
export interface Entity { id: string; type: string; servicePath: string; attrs: Map<string, Attribute>; created: number; modified: number }

/** An NGSI-v2 error as Orion answers it: HTTP status, `error`, `description`. */
export class NgsiError extends Error {
  readonly status: number;
  readonly error: string;
  constructor(status: number, error: string, description: string) {
    super(description);
    this.status = status;
    this.error = error;
  }
}

export interface Query { type?: string; idPattern?: string; id?: string; q?: string; servicePath?: string }

/**
 * The broker's entities, per tenant (`Fiware-Service`), with Orion's rules for the calls
 * the bridge makes (API manual: "Create Entity", "Update or Append Entity Attributes",
 * "Update Existing Entity Attributes", "List Entities", "Simple Query Language").
 * Pure: no HTTP here.
 */
export class EntityStore {
  readonly #tenants = new Map<string, Map<string, Entity>>();

  #tenant(service: string): Map<string, Entity> {
    let t = this.#tenants.get(service);
    if (!t) this.#tenants.set(service, (t = new Map()));
    return t;
  }

  /** POST /v2/entities. `keyValues`: attribute values without types, which Orion infers. */
  create(service: string, servicePath: string, body: unknown, keyValues: boolean): Entity {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new NgsiError(400, 'BadRequest', 'entity must be a JSON object');
    const { id, type = 'Thing', ...rest } = body as Record<string, unknown>;
    const why = badIdentifier('entity id', id) ?? badIdentifier('entity type', type);
    if (why) throw new NgsiError(400, 'BadRequest', why);
    const t = this.#tenant(service);
    const key = `${id as string}\u0000${type as string}`;
    if (t.has(key)) throw new NgsiError(422, 'Unprocessable', 'Already Exists');
    const now = Date.now();
    const e: Entity = { id: id as string, type: type as string, servicePath, attrs: new Map(), created: now, modified: now };
    for (const [name, a] of Object.entries(rest)) e.attrs.set(name, attribute(name, a, keyValues));
    t.set(key, e);
    return e;
  }

  /** The entity `id` (of `type` when given): 404 NotFound, or 409 TooManyResults when several types share the id. */
  get(service: string, id: string, type?: string): Entity {
    const found = [...this.#tenant(service).values()].filter((e) => e.id === id && (type === undefined || e.type === type));
    if (found.length === 0) throw new NgsiError(404, 'NotFound', 'The requested entity has not been found. Check type and id');
    if (found.length > 1) throw new NgsiError(409, 'TooManyResults', 'More than one matching entity. Please refine your query');
    return found[0]!;
  }

  /** POST /v2/entities/{id}/attrs: update or append. */
  upsert(service: string, id: string, type: string | undefined, body: unknown, keyValues: boolean): Entity {
    const e = this.get(service, id, type);
    for (const [name, a] of Object.entries(objectBody(body))) e.attrs.set(name, attribute(name, a, keyValues));
    e.modified = Date.now();
    return e;
  }

  /** PATCH /v2/entities/{id}/attrs: update existing attributes only (422 for one that does not exist). */
  patch(service: string, id: string, type: string | undefined, body: unknown, keyValues: boolean): Entity {
    const e = this.get(service, id, type);
    const attrs = Object.entries(objectBody(body)).map(([name, a]) => [name, attribute(name, a, keyValues)] as const);
    const missing = attrs.filter(([name]) => !e.attrs.has(name)).map(([name]) => name);
    if (missing.length) throw new NgsiError(422, 'Unprocessable', `do not exist: ${id} - [ ${missing.join(', ')} ]`);
    for (const [name, a] of attrs) e.attrs.set(name, a);
    e.modified = Date.now();
    return e;
  }

  delete(service: string, id: string, type?: string): void {
    const e = this.get(service, id, type);
    this.#tenant(service).delete(`${e.id}\u0000${e.type}`);
  }

  /** GET /v2/entities: in creation order, filtered by type, id, idPattern, service path and `q`. */
  list(service: string, query: Query): Entity[] {
    const pattern = query.idPattern !== undefined ? safeRegExp(query.idPattern) : undefined;
    const q = query.q !== undefined ? parseQ(query.q) : [];
    return [...this.#tenant(service).values()].filter((e) =>
      (query.type === undefined || query.type.split(',').includes(e.type)) &&
      (query.id === undefined || query.id.split(',').includes(e.id)) &&
      (!pattern || pattern.test(e.id)) &&
      (query.servicePath === undefined || servicePathMatches(query.servicePath, e.servicePath)) &&
      q.every((s) => s.test(e)));
  }
}

function objectBody(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new NgsiError(400, 'BadRequest', 'attributes must be a JSON object');
  return body as Record<string, unknown>;
}

function attribute(name: string, a: unknown, keyValues: boolean): Attribute {
  const why = badIdentifier('attribute name', name);
  if (why) throw new NgsiError(400, 'BadRequest', why);
  if (!keyValues && (!a || typeof a !== 'object' || Array.isArray(a))) {
    throw new NgsiError(400, 'BadRequest', 'attribute must be a JSON object, unless keyValues option is used');
  }
  if (keyValues) {
    const bad = badValue(a);
    if (bad) throw new NgsiError(400, 'BadRequest', bad);
    return { type: inferredType(a), value: a, metadata: {} };
  }
  const { value = null, type, metadata } = a as Record<string, unknown>;
  const bad = badValue(value) ?? (type !== undefined ? badIdentifier('attribute type', type) : undefined);
  if (bad) throw new NgsiError(400, 'BadRequest', bad);
  if (type === 'DateTime' && (typeof value !== 'string' || Number.isNaN(Date.parse(value)))) {
    throw new NgsiError(400, 'BadRequest', `attribute ${name}: a DateTime must be an ISO 8601 string`);
  }
  return { type: typeof type === 'string' ? type : inferredType(value), value, metadata: metadata && typeof metadata === 'object' ? metadata as Record<string, unknown> : {} };
}

function safeRegExp(p: string): RegExp {
  try {
    return new RegExp(p);
  } catch {
    throw new NgsiError(400, 'BadRequest', 'Invalid regex for entity idPattern');
  }
}

/** Fiware-ServicePath: a query for `/a` matches `/a`; `/a/#` matches `/a` and below (API manual, "Service Path"). */
function servicePathMatches(query: string, path: string): boolean {
  return query.split(',').some((q) => {
    const p = q.trim();
    if (p.endsWith('/#')) {
      const base = p.slice(0, -2);
      return path === base || path.startsWith(`${base}/`) || base === '';
    }
    return path === p;
  });
}

/** The Simple Query Language's `attr==value`, `attr!=value` and `attr` (exists) statements, `;`-separated. */
function parseQ(q: string): Array<{ test(e: Entity): boolean }> {
  return q.split(';').filter(Boolean).map((stmt) => {
    const m = /^([^=!<>~]+?)(==|!=)(.*)$/.exec(stmt);
    if (!m) {
      if (/[=!<>~]/.test(stmt)) throw new NgsiError(400, 'BadRequest', `unsupported q statement: ${stmt}`);
      return { test: (e: Entity) => e.attrs.has(stmt) };
    }
    const [, name, op, raw] = m as unknown as [string, string, string, string];
    const wanted = raw.split(',').map((v) => v.replace(/^'(.*)'$/, '$1'));
    return {
      test: (e: Entity) => {
        const a = e.attrs.get(name);
        const hit = a !== undefined && wanted.includes(String(a.value));
        return op === '==' ? hit : a !== undefined && !hit;
      },
    };
  });
}
