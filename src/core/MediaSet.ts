import { randomUUID } from 'node:crypto';
import { KurentoError } from '../shared/KurentoError.ts';
import type { MediaObject } from './MediaObject.ts';
import type { ObjectRef } from '../api/Marshaller.ts';

/**
 * The object registry and its session references (Kurento's MediaSet). Rules pinned by
 * KMS's server_json_session test and module-core mediaSet test:
 * - any request carrying a sessionId refs the object it touches into that session;
 *   referencing a child also refs its pipeline;
 * - `unref` (and closing a session) releases objects no session references any more;
 * - `closeSession` with `release:true` force-releases everything the session holds.
 * Pinned objects (the ServerManager) are never released by unref.
 */
export class MediaSet {
  readonly #objects = new Map<string, MediaObject>();
  /** sessionId -> objects it references. */
  readonly #sessionObjects = new Map<string, Set<string>>();
  /** objectId -> sessions that reference it. */
  readonly #objectSessions = new Map<string, Set<string>>();
  readonly #pinned = new Set<string>();
  /** Objects per session, counted for the `maxObjectsPerSession` resource limit. */
  readonly #createdBy = new Map<string, string>();
  readonly #createdCount = new Map<string, number>();

  get size(): number {
    return this.#objects.size;
  }

  newId(typeQualified: string, parent?: MediaObject): string {
    const own = `${randomUUID()}_${typeQualified}`;
    return parent ? `${parent.pipeline?.id ?? parent.id}/${own}` : own;
  }

  add(obj: MediaObject, creatorSession: string | undefined, pinned = false): void {
    this.#objects.set(obj.id, obj);
    if (pinned) this.#pinned.add(obj.id);
    if (creatorSession !== undefined) {
      this.#createdBy.set(obj.id, creatorSession);
      this.#createdCount.set(creatorSession, (this.#createdCount.get(creatorSession) ?? 0) + 1);
    }
  }

  /** The session that created a live object (undefined for the ServerManager). */
  creatorOf(objectId: string): string | undefined {
    return this.#createdBy.get(objectId);
  }

  /** Objects created by a session still alive, for the per-session resource limit. */
  createdBy(sessionId: string): number {
    return this.#createdCount.get(sessionId) ?? 0;
  }

  get(id: string): MediaObject | undefined {
    return this.#objects.get(id);
  }

  /** Looks an object up, or throws Kurento's 40101 / 40109 (a `newref:` outside a transaction). */
  require(id: string): MediaObject {
    const obj = this.#objects.get(id);
    if (obj) return obj;
    if (id.startsWith('newref:')) {
      throw new KurentoError('MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT', `Object '${id}' not found: 'newref:' references are only valid inside a transaction`);
    }
    throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Object '${id}' not found`);
  }

  /** Adapter for the Marshaller: resolves ids of live objects. */
  resolve = (id: string): ObjectRef | undefined => this.#objects.get(id);

  all(): MediaObject[] {
    return [...this.#objects.values()];
  }

  pipelines(): MediaObject[] {
    return this.all().filter((o) => o.typeName === 'MediaPipeline');
  }

  sessions(): string[] {
    return [...this.#sessionObjects.keys()];
  }

  hasSession(sessionId: string): boolean {
    return this.#sessionObjects.has(sessionId);
  }

  /** Registers a session even before it references an object (a `connect` that resumes it). */
  ensureSession(sessionId: string): void {
    if (!this.#sessionObjects.has(sessionId)) this.#sessionObjects.set(sessionId, new Set());
  }

  ref(sessionId: string, obj: MediaObject): void {
    this.#refOne(sessionId, obj.id);
    const pipeline = obj.pipeline;
    if (pipeline && pipeline !== obj) this.#refOne(sessionId, pipeline.id);
  }

  #refOne(sessionId: string, objectId: string): void {
    let objs = this.#sessionObjects.get(sessionId);
    if (!objs) this.#sessionObjects.set(sessionId, (objs = new Set()));
    objs.add(objectId);
    let sessions = this.#objectSessions.get(objectId);
    if (!sessions) this.#objectSessions.set(objectId, (sessions = new Set()));
    sessions.add(sessionId);
  }

  /** Drops one session's reference; releases the object when no session holds it. */
  unref(sessionId: string, obj: MediaObject): void {
    this.#sessionObjects.get(sessionId)?.delete(obj.id);
    const sessions = this.#objectSessions.get(obj.id);
    sessions?.delete(sessionId);
    if ((!sessions || sessions.size === 0) && !this.#pinned.has(obj.id)) obj.release();
  }

  /**
   * Ends a session: unrefs all it holds (children before pipelines, so a pipeline
   * held only through this session goes last), or force-releases with `release`.
   */
  closeSession(sessionId: string, release = false): void {
    const ids = [...(this.#sessionObjects.get(sessionId) ?? [])];
    this.#sessionObjects.delete(sessionId);
    const objs = ids.map((id) => this.#objects.get(id)).filter((o): o is MediaObject => o !== undefined);
    objs.sort((a, b) => Number(a.typeName === 'MediaPipeline') - Number(b.typeName === 'MediaPipeline'));
    for (const obj of objs) {
      if (obj.released) continue;
      if (release && !this.#pinned.has(obj.id)) obj.release();
      else this.unref(sessionId, obj);
    }
  }

  /** Called when an object is released by any path: forget it everywhere. */
  removed(obj: MediaObject): void {
    this.#objects.delete(obj.id);
    const creator = this.#createdBy.get(obj.id);
    if (creator !== undefined) {
      this.#createdBy.delete(obj.id);
      const n = (this.#createdCount.get(creator) ?? 1) - 1;
      if (n > 0) this.#createdCount.set(creator, n);
      else this.#createdCount.delete(creator);
    }
    for (const s of this.#objectSessions.get(obj.id) ?? []) this.#sessionObjects.get(s)?.delete(obj.id);
    this.#objectSessions.delete(obj.id);
  }

  /** Releases every object (server shutdown, tests). */
  releaseAll(): void {
    for (const p of this.pipelines()) p.release();
    this.#sessionObjects.clear();
  }
}
