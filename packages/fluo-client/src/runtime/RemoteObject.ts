import type { Connection, Json } from './Connection.ts';
import { RECORDS } from '../generated/schema.ts';

/** Fields every Kurento event carries (KMD core `RaiseBase`); object references are ids. */
export interface RaiseBase {
  source: string;
  timestampMillis: string;
  tags: Array<{ key: string; value: string }>;
  /** 6.x servers send it (seconds). */
  timestamp?: string;
}

/** An object of the media server: a MediaPipeline, an endpoint, a filter, a hub... */
export interface RemoteRef { readonly id: string }

/**
 * The base of every generated class: the object's id and connection, its methods as
 * `invoke`s, typed event listeners. Deliberately without `then`: kurento-client's
 * objects are thenables, so `await obj` and `Promise.resolve(obj)` hang on them; these
 * are plain objects, safe to await and return from async functions.
 */
export class RemoteObject<E extends object = Record<string, RaiseBase>> implements RemoteRef {
  readonly id: string;
  readonly connection: Connection;
  readonly #listeners = new Map<(e: never) => void, (data: Record<string, Json>) => void>();

  constructor(id: string, connection: Connection) {
    this.id = id;
    this.connection = connection;
  }

  /**
   * Calls an operation of the object (KMD method, or `get<Prop>`/`set<Prop>`); `types`
   * names the declared type of each parameter that holds a record (see `toWire`).
   */
  protected async invoke(operation: string, params: Record<string, unknown> = {}, types: Record<string, string> = {}): Promise<Json | undefined> {
    return this.connection.request('invoke', { object: this.id, operation, operationParams: paramsToWire(params, types) as Json });
  }

  /** Listens to an event of this object (the first listener subscribes to it). */
  async on<K extends keyof E & string>(type: K, listener: (event: E[K]) => void): Promise<void> {
    const wire = (data: Record<string, Json>): void => listener(data as unknown as E[K]);
    this.#listeners.set(listener as (e: never) => void, wire);
    await this.connection.subscribe(this.id, type, wire);
  }

  /** Stops listening (the last listener unsubscribes). */
  async off<K extends keyof E & string>(type: K, listener: (event: E[K]) => void): Promise<void> {
    const wire = this.#listeners.get(listener as (e: never) => void);
    if (!wire) return;
    this.#listeners.delete(listener as (e: never) => void);
    await this.connection.unsubscribe(this.id, type, wire);
  }

  /** Releases the object and its children on the server. */
  async release(): Promise<void> {
    await this.connection.request('release', { object: this.id });
    this.connection.forget(this.id);
  }
}

/** Parameters by name, each as the wire takes it (`toWire` with its declared type, if any). */
export function paramsToWire(params: Record<string, unknown>, types: Record<string, string> = {}): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([, x]) => x !== undefined).map(([k, x]) => [k, toWire(x, types[k])]));
}

/**
 * A value as the wire takes it, as kurento-client marshals it: remote objects by id at
 * any depth; a record of a declared KMD type (`ref`: `module.Type`, with `[]` or `<>`) with
 * its fields marshalled by their own types and `__module__`/`__type__` added (KMS reads
 * them to pick a subtype; Fluo accepts records with or without them).
 */
export function toWire(v: unknown, ref?: string): unknown {
  if (v instanceof RemoteObject) return v.id;
  if (ref?.endsWith('[]') && Array.isArray(v)) return v.map((x) => toWire(x, ref.slice(0, -2)));
  if (ref?.endsWith('<>') && isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toWire(x, ref.slice(0, -2))]));
  if (Array.isArray(v)) return v.map((x) => toWire(x));
  if (!isRecord(v)) return v;
  const schema = ref === undefined ? undefined : RECORDS[ref];
  if (!schema) return paramsToWire(v);
  const out = paramsToWire(v, fieldsOf(ref!));
  // Schema keys are `module.Type`; `__type__` is the bare KMD name.
  return { ...out, __module__: schema.module, __type__: ref!.slice(ref!.lastIndexOf('.') + 1) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A record's own fields and its parents'. */
function fieldsOf(ref: string): Record<string, string> {
  const schema = RECORDS[ref];
  if (!schema) return {};
  return { ...(schema.extends ? fieldsOf(schema.extends) : {}), ...schema.fields };
}
