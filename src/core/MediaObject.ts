import { KurentoError } from '../shared/KurentoError.ts';
import type { CallContext, ObjectHost, ObjectInit, ObjectSettings, Params } from './types.ts';
import type { MediaPipeline } from './MediaPipeline.ts';
import type { CreateMessage, EventMessage, NodeKind, NodeOptions, OpArgs, OpName, OpResult } from '../shared/workerProtocol.ts';
import { writeFile } from 'node:fs/promises';

/**
 * Base of every remote object (KMD `MediaObject`). Holds identity, the parent/child
 * tree, name and tags, and the generic property store the router reads and
 * writes for `get<Prop>`/`set<Prop>`.
 *
 * Operations the KMD declares are implemented as methods with exactly the KMD name
 * and the signature `(params, ctx)`; the router only calls a method after the
 * API registry has confirmed the operation exists for the class, so internal helpers
 * are never reachable from the wire.
 */
export class MediaObject {
  readonly id: string;
  readonly typeName: string;
  readonly parent: MediaObject | undefined;
  /** Seconds since the epoch, as Kurento's `creationTime` (int). */
  readonly creationTime: number;
  protected readonly host: ObjectHost;
  protected readonly settings: ObjectSettings;
  readonly #children = new Map<string, MediaObject>();
  readonly #tags = new Map<string, string>();
  /** Values of KMD properties that have no dedicated getter/setter. */
  readonly #props = new Map<string, unknown>();
  #released = false;
  /** The kind of this object's node in its pipeline's media worker, once it has one. */
  #mediaKind: NodeKind | undefined;
  name: string;
  sendTagsInEvents = false;

  constructor(init: ObjectInit) {
    this.id = init.id;
    this.typeName = init.typeName;
    this.parent = init.parent;
    this.host = init.host;
    this.settings = init.settings;
    this.name = init.id;
    this.creationTime = Math.floor(Date.now() / 1000);
    for (const p of init.host.api.allProperties(init.typeName)) {
      if (p.def.defaultValue !== undefined) this.#props.set(p.def.name, p.def.defaultValue);
    }
    if (init.parent) init.parent.#children.set(this.id, this);
  }

  /** Forgets a child whose constructor threw after this object had adopted it. */
  static abandonChild(parent: MediaObject, id: string): void {
    parent.#children.delete(id);
  }

  get released(): boolean {
    return this.#released;
  }

  /** The pipeline this object belongs to (itself for a pipeline). */
  get pipeline(): MediaPipeline | undefined {
    let o: MediaObject | undefined = this;
    while (o && o.typeName !== 'MediaPipeline') o = o.parent;
    return o as MediaPipeline | undefined;
  }

  get children(): MediaObject[] {
    return [...this.#children.values()];
  }

  /** Generic property store, used by the router for properties without own accessors. */
  getProperty(name: string): unknown {
    switch (name) {
      case 'id': return this.id;
      case 'name': return this.name;
      case 'sendTagsInEvents': return this.sendTagsInEvents;
      case 'creationTime': return this.creationTime;
      case 'parent': return this.parent;
      case 'mediaPipeline': return this.pipeline;
      case 'children':
      case 'childs': return this.children;
      default: return this.#props.get(name);
    }
  }

  setProperty(name: string, value: unknown): void {
    switch (name) {
      case 'name': this.name = value as string; break;
      case 'sendTagsInEvents': this.sendTagsInEvents = value as boolean; break;
      default: this.#props.set(name, value);
    }
    this.propertyChanged(name, value);
  }

  /** Hook for subclasses that act on a property change (bitrates, STUN, ...). */
  protected propertyChanged(_name: string, _value: unknown): void {}

  // ---- KMD MediaObject methods -------------------------------------------------

  addTag(p: Params): void {
    this.#tags.set(p.key as string, p.value as string);
  }

  removeTag(p: Params): void {
    this.#tags.delete(p.key as string);
  }

  getTag(p: Params): string {
    const v = this.#tags.get(p.key as string);
    if (v === undefined) {
      throw new KurentoError('MEDIA_OBJECT_TAG_KEY_NOT_FOUND', `Tag key '${String(p.key)}' not found`);
    }
    return v;
  }

  getTags(): Array<{ key: string; value: string }> {
    return [...this.#tags].map(([key, value]) => ({ key, value }));
  }

  /** Tags to put into events, per `sendTagsInEvents` (KMD MediaObject). */
  eventTags(): Array<{ key: string; value: string }> {
    return this.sendTagsInEvents ? this.getTags() : [];
  }

  // ---- events ------------------------------------------------------------------

  /** Raises an event with its own properties; RaiseBase fields are added by the host. */
  protected emit(eventName: string, data: Record<string, unknown> = {}): void {
    if (!this.#released) this.host.emitEvent(this, eventName, data);
  }

  /** Raises Kurento's `Error` event (KMD core, event Error). */
  emitError(type: string, errorCode: number, description: string): void {
    this.emit('Error', { description, errorCode, type });
  }

  // ---- media plane -------------------------------------------------------------

  /**
   * Creates this object's node in its pipeline's media worker. Elements and hubs with
   * media call it from their constructor (KMD: a Hub is a MediaObject with media too);
   * the create is ordered with later links and operations.
   */
  protected createMedia<K extends NodeKind>(kind: K, options: NodeOptions<K>): void {
    const pipeline = this.pipeline;
    if (!pipeline) return;
    pipeline.ensureMedia();
    pipeline.registerMedia(this);
    this.#mediaKind = kind;
    this.host.media.send({ t: 'create', pipeline: pipeline.id, object: this.id, kind, options } as CreateMessage);
  }

  get hasMedia(): boolean {
    return this.#mediaKind !== undefined;
  }

  /** Runs an operation on this object's media node and waits for the answer. */
  protected mediaCall<O extends OpName>(op: O, args: OpArgs<O>): Promise<OpResult<O>> {
    return this.host.media.call(this.pipeline!.id, this.id, op, args);
  }

  /** Runs an operation on this object's media node without waiting (failures come back as `Error`). */
  protected mediaPost<O extends OpName>(op: O, args: OpArgs<O>): void {
    if (this.hasMedia) this.host.media.post(this.pipeline!.id, this.id, op, args);
  }

  /** An event raised by this object's media node (canonical Kurento name). */
  mediaEvent(event: EventMessage): void {
    if (event.name === 'Error') this.emitError(event.data.type, event.data.errorCode, event.data.description);
    else this.emit(event.name, event.data);
  }

  /** Frees this object's media node (once, on release). */
  #releaseMedia(): void {
    const pipeline = this.pipeline;
    if (this.#mediaKind === undefined || !pipeline) return;
    pipeline.unregisterMedia(this);
    if (pipeline.mediaAttached) this.host.media.send({ t: 'release', pipeline: pipeline.id, object: this.id });
  }

  // ---- lifetime ----------------------------------------------------------------

  /**
   * Releases this object and, first, all its children. Idempotent. Subclasses free
   * their media resources in `onRelease`, which runs exactly once.
   */
  release(): void {
    if (this.#released) return;
    for (const child of [...this.#children.values()]) child.release();
    this.#released = true;
    try {
      this.#releaseMedia();
      this.onRelease();
    } finally {
      if (this.parent) this.parent.#children.delete(this.id);
      this.host.objectReleased(this);
    }
  }

  /** Frees what the subclass owns (sockets, timers, workers). Must not throw. */
  protected onRelease(): void {}

  /** Throws the `describe`-style 40101 when the object was released meanwhile. */
  assertAlive(): void {
    if (this.#released) {
      throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Object '${this.id}' not found`);
    }
  }

  /**
   * KMD dumpGstreamerDot: writes `dot` where GStreamer would (GST_DEBUG_DUMP_DOT_DIR), as
   * KMS does, one file per object named after its id. Without that variable there is
   * nowhere to write: a clear error rather than a silent no-op. Answers once the file
   * is written; a directory that cannot be written to is an error naming it.
   */
  protected async dumpDot(dot: () => string | Promise<string>): Promise<void> {
    const dir = process.env.GST_DEBUG_DUMP_DOT_DIR;
    if (!dir) throw new KurentoError('NOT_IMPLEMENTED', `${this.typeName}.dumpGstreamerDot needs GST_DEBUG_DUMP_DOT_DIR, the folder to write to, in Fluo's environment`);
    const file = `${dir}/${this.id.replace(/[^\w.-]/g, '_')}.dot`;
    const text = await dot();
    try {
      await writeFile(file, text);
    } catch (err) {
      throw new KurentoError('UNEXPECTED_ERROR', `Could not write ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Used by operations whose media part is not built yet: a clear error, never a no-op. */
  protected notImplemented(operation: string, _ctx?: CallContext): never {
    throw new KurentoError('NOT_IMPLEMENTED', `${this.typeName}.${operation} is not implemented in Fluo yet`);
  }
}
