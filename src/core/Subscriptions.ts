import { randomUUID } from 'node:crypto';

/**
 * Event subscriptions, per (session, object, wire event name). Several subscriptions of
 * one session to the same pair share one delivery, and delivery stops only when the
 * last is removed (KMS server_events_test). The wire name is what the client asked
 * for, so a 6.x client subscribed to `OnIceCandidate` gets events of that type.
 */
export class Subscriptions {
  /** objectId -> wire event name -> sessionId -> subscription ids. */
  readonly #byObject = new Map<string, Map<string, Map<string, Set<string>>>>();
  /** subscription id -> where it lives, for unsubscribe. */
  readonly #byId = new Map<string, { objectId: string; wireName: string; sessionId: string }>();

  get size(): number {
    return this.#byId.size;
  }

  add(sessionId: string, objectId: string, wireName: string): string {
    const id = randomUUID();
    let types = this.#byObject.get(objectId);
    if (!types) this.#byObject.set(objectId, (types = new Map()));
    let sessions = types.get(wireName);
    if (!sessions) types.set(wireName, (sessions = new Map()));
    let ids = sessions.get(sessionId);
    if (!ids) sessions.set(sessionId, (ids = new Set()));
    ids.add(id);
    this.#byId.set(id, { objectId, wireName, sessionId });
    return id;
  }

  /** Removes one subscription; false when the id is unknown (or of another object). */
  remove(subscriptionId: string, objectId?: string): boolean {
    const entry = this.#byId.get(subscriptionId);
    if (!entry || (objectId !== undefined && entry.objectId !== objectId)) return false;
    this.#byId.delete(subscriptionId);
    const types = this.#byObject.get(entry.objectId);
    const sessions = types?.get(entry.wireName);
    const ids = sessions?.get(entry.sessionId);
    ids?.delete(subscriptionId);
    if (ids && ids.size === 0) sessions!.delete(entry.sessionId);
    if (sessions && sessions.size === 0) types!.delete(entry.wireName);
    if (types && types.size === 0) this.#byObject.delete(entry.objectId);
    return true;
  }

  /** How many subscriptions one session holds on one wire event of one object. */
  count(sessionId: string, objectId: string, wireName: string): number {
    return this.#byObject.get(objectId)?.get(wireName)?.get(sessionId)?.size ?? 0;
  }

  /** Sessions subscribed to one wire event of one object (each listed once). */
  sessionsFor(objectId: string, wireName: string): Iterable<string> | undefined {
    return this.#byObject.get(objectId)?.get(wireName)?.keys();
  }

  hasAny(objectId: string): boolean {
    return this.#byObject.has(objectId);
  }

  removeObject(objectId: string): void {
    const types = this.#byObject.get(objectId);
    if (!types) return;
    for (const sessions of types.values()) for (const ids of sessions.values()) for (const id of ids) this.#byId.delete(id);
    this.#byObject.delete(objectId);
  }

  removeSession(sessionId: string): void {
    for (const [id, e] of [...this.#byId]) if (e.sessionId === sessionId) this.remove(id);
  }
}
