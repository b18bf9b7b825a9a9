import { KurentoError } from '../shared/KurentoError.ts';
import { MediaSet } from './MediaSet.ts';
import { MediaObject } from './MediaObject.ts';
import { Subscriptions } from './Subscriptions.ts';
import type { ApiRegistry } from '../api/ApiRegistry.ts';
import type { Marshaller, ObjectResolver } from '../api/Marshaller.ts';
import type { JsonValue } from '../api/types.ts';
import type { MediaPlane, ObjectHost, ObjectInit, ObjectSettings, Params } from './types.ts';

/** A remote class implementation: `new Impl(init, constructorParams)`. */
export type ObjectFactory = new (init: ObjectInit, params: Params) => MediaObject;

/** Where events go: the RPC layer turns them into `onEvent` frames for one session. */
export type EventDelivery = (sessionId: string, value: { data: JsonValue; object: string; type: string }) => void;

export interface OperationRouterOptions {
  readonly api: ApiRegistry;
  readonly marshaller: Marshaller;
  readonly media: MediaPlane;
  readonly factories: ReadonlyMap<string, ObjectFactory>;
  readonly settings: ObjectSettings;
  readonly deliver: EventDelivery;
  readonly maxObjectsPerSession: number;
  /** Bounds on every object's tags (issue 16, defect 5). */
  readonly tags: TagLimits;
  /** Each session sees and touches only its own objects (mediaServer.security.isolateSessions). */
  readonly isolateSessions: boolean;
}

export interface TagLimits {
  /** Most tags on one object. */
  readonly maxPerObject: number;
  /** Longest tag key or value, in characters. */
  readonly maxLength: number;
}

export const SERVER_MANAGER_ID = 'manager_ServerManager';

/** Subscriptions one session may hold to one event of one object. */
const MAX_SUBSCRIPTIONS_PER_EVENT = 100;

/**
 * The one place where `create`, `invoke`, `subscribe` and friends are resolved against
 * the API registry and dispatched to implementations. No per-method switch: the
 * registry says what an operation is (method, getter, setter), the Marshaller checks
 * and converts its parameters, and the implementation's method of the same name runs.
 */
export class OperationRouter implements ObjectHost {
  readonly api: ApiRegistry;
  readonly marshaller: Marshaller;
  readonly media: MediaPlane;
  readonly mediaSet = new MediaSet();
  readonly subscriptions = new Subscriptions();
  readonly #factories: ReadonlyMap<string, ObjectFactory>;
  readonly #settings: ObjectSettings;
  readonly #deliver: EventDelivery;
  readonly #maxObjectsPerSession: number;
  readonly #tags: TagLimits;
  readonly isolated: boolean;
  /** Observers of object lifetime (ServerManager's ObjectCreated/ObjectDestroyed). */
  readonly #lifecycle = new Set<(kind: 'created' | 'destroyed', obj: MediaObject) => void>();

  constructor(opts: OperationRouterOptions) {
    this.api = opts.api;
    this.marshaller = opts.marshaller;
    this.media = opts.media;
    this.#factories = opts.factories;
    this.#settings = opts.settings;
    this.#deliver = opts.deliver;
    this.#maxObjectsPerSession = opts.maxObjectsPerSession;
    this.#tags = opts.tags;
    this.isolated = opts.isolateSessions;
  }

  onLifecycle(fn: (kind: 'created' | 'destroyed', obj: MediaObject) => void): () => void {
    this.#lifecycle.add(fn);
    return () => this.#lifecycle.delete(fn);
  }

  /** Registers a server-owned singleton (the ServerManager): never released by unref. */
  registerPinned(obj: MediaObject): void {
    this.mediaSet.add(obj, undefined, true);
  }

  // ---- create / release --------------------------------------------------------

  create(sessionId: string, type: string, constructorParams: unknown, properties: unknown): string | Promise<string> {
    const def = this.api.getClass(type);
    if (!def || def.abstract || !def.constructorParams) {
      throw new KurentoError('MEDIA_OBJECT_NOT_AVAILABLE', `Factory '${type}' not found`);
    }
    const Impl = this.#factories.get(def.name);
    if (!Impl) {
      throw new KurentoError('NOT_IMPLEMENTED', `Fluo does not implement ${def.name} yet`);
    }
    const params = this.marshaller.unmarshalParams(def.constructorParams, constructorParams, this.#resolver(sessionId), 'constructorParams');
    if (this.mediaSet.createdBy(sessionId) >= this.#maxObjectsPerSession) {
      throw new KurentoError('NOT_ENOUGH_RESOURCES', `Session '${sessionId}' reached its limit of ${this.#maxObjectsPerSession} objects (mediaServer.resources.maxObjectsPerSession)`);
    }
    const parent = parentOf(def.constructorParams.map((p) => params[p.name]));
    const id = this.mediaSet.newId(this.api.qualifiedName(def.name), parent);
    let obj: MediaObject;
    try {
      obj = new Impl({ id, typeName: def.name, host: this, settings: this.#settings, parent }, params);
    } catch (err) {
      // Refused in its constructor (bad parameters): nothing of it may stay behind.
      if (parent) MediaObject.abandonChild(parent, id);
      throw err;
    }
    this.mediaSet.add(obj, sessionId);
    this.mediaSet.ref(sessionId, obj);
    try {
      this.#applyProperties(obj, properties, sessionId);
    } catch (err) {
      obj.release();
      throw err;
    }
    for (const fn of this.#lifecycle) fn('created', obj);
    // An object whose media part can be refused (a filter the engine cannot build) is
    // answered once that part is ready: a refusal releases it and fails the create.
    if (!isReadyAware(obj)) return id;
    return obj.ready().then(() => id, (err: unknown) => {
      obj.release();
      throw err;
    });
  }

  /** `create`'s optional `properties`: settable KMD properties are applied, others ignored. */
  #applyProperties(obj: MediaObject, properties: unknown, sessionId: string): void {
    if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) return;
    for (const [name, value] of Object.entries(properties)) {
      const prop = this.api.findProperty(obj.typeName, name);
      if (!prop || prop.def.readOnly || prop.def.final) continue;
      obj.setProperty(name, this.marshaller.unmarshal(prop.def.type, value, name, this.#resolver(sessionId)));
    }
  }

  release(sessionId: string, objectId: unknown): void {
    const obj = this.lookup(sessionId, objectId, false);
    if (obj.id === SERVER_MANAGER_ID) {
      throw new KurentoError('MEDIA_OBJECT_OPERATION_NOT_SUPPORTED', 'The ServerManager cannot be released');
    }
    obj.release();
  }

  /** Finds a live object and (by default) refs it into the calling session. */
  lookup(sessionId: string, objectId: unknown, ref = true): MediaObject {
    if (typeof objectId !== 'string') {
      throw new KurentoError('MARSHALL_ERROR', "'object' parameter should be a String");
    }
    const obj = this.mediaSet.require(objectId);
    if (!this.visibleTo(sessionId, obj)) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Object '${objectId}' not found`);
    if (ref) this.mediaSet.ref(sessionId, obj);
    return obj;
  }

  /**
   * Isolation between applications (mediaServer.security.isolateSessions; Fluo
   * addition, off by default as Kurento has none): a session sees and touches only
   * the objects it created, everything in the pipelines it created, and the shared
   * ServerManager. Others' objects are "not found" (40101), as if they did not exist,
   * whether named in `object` or as a parameter (a sink, a pipeline).
   */
  visibleTo(sessionId: string, obj: MediaObject): boolean {
    if (!this.isolated || obj.id === SERVER_MANAGER_ID) return true;
    if (this.mediaSet.creatorOf(obj.id) === sessionId) return true;
    const pipeline = obj.pipeline;
    return pipeline !== undefined && this.mediaSet.creatorOf(pipeline.id) === sessionId;
  }

  #resolver(sessionId: string): ObjectResolver {
    if (!this.isolated) return this.mediaSet;
    return { resolve: (id) => { const o = this.mediaSet.get(id); return o && this.visibleTo(sessionId, o) ? o : undefined; } };
  }

  // ---- invoke ------------------------------------------------------------------

  invoke(sessionId: string, objectId: unknown, operation: unknown, operationParams: unknown): JsonValue | undefined | Promise<JsonValue | undefined> {
    const obj = this.lookup(sessionId, objectId);
    if (typeof operation !== 'string') {
      throw new KurentoError('MARSHALL_ERROR', "'operation' parameter should be a String");
    }
    const op = this.api.resolveOperation(obj.typeName, operation);
    if (!op) {
      const n = operationParams && typeof operationParams === 'object' ? Object.keys(operationParams).length : 0;
      throw new KurentoError('MALFORMED_TRANSACTION', `Method '${operation}' with ${n} parameters not found`);
    }
    this.#checkWrite(obj, op.kind === 'method' ? op.def.name : op.kind, operationParams);
    const ctx = { sessionId };
    const target = obj as unknown as Record<string, unknown>;
    if (op.kind === 'get') {
      const own = target[operation];
      const value = typeof own === 'function' ? (own as (p: Params, c: typeof ctx) => unknown).call(obj, {}, ctx) : obj.getProperty(op.prop.def.name);
      // A getter may ask the media plane (PlayerEndpoint.getPosition): its answer is awaited.
      if (value instanceof Promise) return value.then((v: unknown) => this.marshaller.marshal(op.prop.def.type, v));
      return this.marshaller.marshal(op.prop.def.type, value);
    }
    if (op.kind === 'set') {
      const args = this.marshaller.unmarshalParams([{ name: op.prop.def.name, type: op.prop.def.type }], operationParams, this.#resolver(sessionId), 'operationParams');
      const own = target[operation];
      if (typeof own === 'function') return settle((own as (p: Params, c: typeof ctx) => unknown).call(obj, args, ctx), undefined, this.marshaller);
      obj.setProperty(op.prop.def.name, args[op.prop.def.name]);
      return undefined;
    }
    const params = this.marshaller.unmarshalParams(op.def.params, operationParams, this.#resolver(sessionId), 'operationParams');
    const fn = target[op.def.name];
    if (typeof fn !== 'function') {
      throw new KurentoError('NOT_IMPLEMENTED', `${obj.typeName}.${op.def.name} is not implemented in Fluo yet`);
    }
    const result = (fn as (p: Params, c: typeof ctx) => unknown).call(obj, params, ctx);
    return settle(result, op.def.returns, this.marshaller);
  }

  /**
   * Writes every client can see must stay bounded (issue 16, defect 5): tags are
   * bounded in number and length on every object, and the ServerManager, shared by
   * all clients and never released, takes no tags and no property writes at all (one
   * client's 100 tags of 2 MB with sendTagsInEvents made every ObjectCreated event
   * 200 MB for everyone).
   */
  #checkWrite(obj: MediaObject, operation: string, operationParams: unknown): void {
    const isTagWrite = operation === 'addTag' || operation === 'removeTag';
    if (obj.id === SERVER_MANAGER_ID && (isTagWrite || operation === 'set')) {
      throw new KurentoError('MEDIA_OBJECT_OPERATION_NOT_SUPPORTED', 'The ServerManager is shared by all clients: its tags and properties cannot be changed');
    }
    if (operation !== 'addTag' || operationParams === null || typeof operationParams !== 'object') return;
    const { key, value } = operationParams as { key?: unknown; value?: unknown };
    const { maxPerObject, maxLength } = this.#tags;
    for (const [name, v] of [['key', key], ['value', value]] as const) {
      if (typeof v === 'string' && v.length > maxLength) {
        throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `Tag ${name} of ${v.length} characters is longer than ${maxLength} (mediaServer.resources.maxTagLength)`);
      }
    }
    const tags = obj.getTags();
    if (tags.length >= maxPerObject && !tags.some((t) => t.key === key)) {
      throw new KurentoError('NOT_ENOUGH_RESOURCES', `Object '${obj.id}' reached its limit of ${maxPerObject} tags (mediaServer.resources.maxTagsPerObject)`);
    }
  }

  describe(sessionId: string, objectId: unknown): { type: string; qualifiedType: string; hierarchy: string[] } {
    const obj = this.lookup(sessionId, objectId);
    return {
      type: obj.typeName,
      qualifiedType: this.api.qualifiedName(obj.typeName),
      hierarchy: this.api.hierarchy(obj.typeName),
    };
  }

  // ---- events ------------------------------------------------------------------

  subscribe(sessionId: string, objectId: unknown, type: unknown): string {
    const obj = this.lookup(sessionId, objectId);
    if (typeof type !== 'string') throw new KurentoError('MARSHALL_ERROR', "'type' parameter should be a String");
    if (!this.api.resolveEvent(obj.typeName, type)) {
      throw new KurentoError('MEDIA_OBJECT_EVENT_NOT_SUPPORTED', `Event '${type}' not supported`);
    }
    // Each subscribe keeps an id until unsubscribed: bounded like every other thing a
    // client can make the server keep (issue 16). kurento-client subscribes once per
    // event and object, however many listeners it has.
    if (this.subscriptions.count(sessionId, obj.id, type) >= MAX_SUBSCRIPTIONS_PER_EVENT) {
      throw new KurentoError('NOT_ENOUGH_RESOURCES', `Session '${sessionId}' holds ${MAX_SUBSCRIPTIONS_PER_EVENT} subscriptions to ${type} of this object already`);
    }
    return this.subscriptions.add(sessionId, obj.id, type);
  }

  /**
   * Removes a subscription. Unsubscribing one that is already gone (its object was
   * released, which drops its subscriptions) succeeds: kurento-client unsubscribes its
   * listeners right after `release`, and that must not surface as an error.
   */
  unsubscribe(objectId: unknown, subscription: unknown): void {
    if (typeof subscription !== 'string') {
      throw new KurentoError('MARSHALL_ERROR', "'subscription' parameter should be a String");
    }
    this.subscriptions.remove(subscription, typeof objectId === 'string' ? objectId : undefined);
  }

  emitEvent(source: MediaObject, eventName: string, data: Record<string, unknown>): void {
    if (!this.subscriptions.hasAny(source.id)) return;
    const names = [eventName, ...this.api.eventAliases(eventName)];
    let base: Record<string, JsonValue> | undefined;
    for (const wireName of names) {
      const sessions = this.subscriptions.sessionsFor(source.id, wireName);
      if (!sessions) continue;
      base ??= this.#eventData(source, eventName, data);
      const value = { data: { ...base, type: 'type' in data ? base.type! : wireName }, object: source.id, type: wireName };
      const subject = this.isolated ? subjectOf(data, this.mediaSet) : undefined;
      for (const s of sessions) if (!subject || this.visibleTo(s, subject)) this.#deliver(s, value);
    }
  }

  /** RaiseBase fields + the event's own, marshalled per the event's KMD properties. */
  #eventData(source: MediaObject, eventName: string, data: Record<string, unknown>): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const p of this.api.eventProperties(eventName)) {
      if (p.name in data) out[p.name] = this.marshaller.marshal(p.type, data[p.name]);
    }
    const now = Date.now();
    out.source = source.id;
    out.tags = this.marshaller.marshal('Tag[]', source.eventTags());
    out.timestampMillis = String(now);
    // 6.x clients read `timestamp` (seconds); KMD 7 dropped it but it harms nobody.
    out.timestamp = String(Math.floor(now / 1000));
    return out;
  }

  objectReleased(obj: MediaObject): void {
    // Observers first, while the MediaSet still knows who created the object: under
    // isolation, ObjectDestroyed goes only to the sessions that could see it.
    for (const fn of this.#lifecycle) fn('destroyed', obj);
    this.mediaSet.removed(obj);
    this.subscriptions.removeObject(obj.id);
  }

  closeSession(sessionId: string, release: boolean): void {
    this.subscriptions.removeSession(sessionId);
    this.mediaSet.closeSession(sessionId, release);
  }

  /** Releases everything (server stop). */
  shutdown(): void {
    this.mediaSet.releaseAll();
  }
}

/** The object a ServerManager event is about (ObjectCreated's `object`, ObjectDestroyed's `objectId`). */
function subjectOf(data: Record<string, unknown>, set: MediaSet): MediaObject | undefined {
  if (data.object instanceof MediaObject) return data.object;
  return typeof data.objectId === 'string' ? set.get(data.objectId) : undefined;
}

/**
 * An object's parent is the media object its constructor takes: the pipeline for an
 * element or a hub, the Hub for a HubPort (KMS HubPortImpl is built with its hub as
 * parent, so `getParent` answers the hub and releasing the hub releases its ports).
 */
function parentOf(values: unknown[]): MediaObject | undefined {
  for (const v of values) {
    if (v instanceof MediaObject) return v;
  }
  return undefined;
}

function settle(result: unknown, returns: string | undefined, m: Marshaller): JsonValue | undefined | Promise<JsonValue | undefined> {
  const conv = (v: unknown): JsonValue | undefined => (returns === undefined || v === undefined ? undefined : m.marshal(returns, v));
  if (result instanceof Promise) return result.then(conv);
  return conv(result);
}

/** An object that says when its media part is ready (`Filter.ready`). */
function isReadyAware(obj: MediaObject): obj is MediaObject & { ready(): Promise<void> } {
  return typeof (obj as { ready?: unknown }).ready === 'function';
}
