import type { Connection, Json } from './Connection.ts';

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

  /** Calls an operation of the object (KMD method, or `get<Prop>`/`set<Prop>`). */
  protected async invoke(operation: string, params: Record<string, unknown> = {}): Promise<Json | undefined> {
    return this.connection.request('invoke', { object: this.id, operation, operationParams: toWire(params) as Json });
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

/** Parameters as the wire takes them: remote objects by id, at any depth. */
export function toWire(v: unknown): unknown {
  if (v instanceof RemoteObject) return v.id;
  if (Array.isArray(v)) return v.map(toWire);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, toWire(x)]));
  return v;
}
