import { MediaObject } from './MediaObject.ts';
import { renderDot } from './renderDot.ts';
import type { Params } from './types.ts';
import type { EventMessage } from '../shared/workerProtocol.ts';

/**
 * KMD `MediaPipeline`: the container of elements. It owns every element created in it;
 * releasing it releases them all (MediaObject.release cascades). A pipeline keeps all
 * its media state itself, so the media plane can move it to a worker as a unit.
 */
export class MediaPipeline extends MediaObject {
  #mediaAttached = false;
  /**
   * The objects of this pipeline that own a media node, by id: media events are routed
   * by the id of their object, which need not be a child of the pipeline (a HubPort's
   * parent is its Hub).
   */
  readonly #mediaObjects = new Map<string, MediaObject>();

  /** Places this pipeline on a media worker (once), routing node events to their objects. */
  ensureMedia(): void {
    if (this.#mediaAttached) return;
    this.#mediaAttached = true;
    this.host.media.attach(
      this.id,
      (event) => (event.object === this.id ? this : this.#mediaObjects.get(event.object))?.mediaEvent(event),
      (reason) => {
        this.#mediaAttached = false;
        // Kurento reports asynchronous failures with the Error event (KMD MediaObject).
        for (const obj of descendants(this)) obj.emitError('MEDIA_WORKER_CRASHED', 40003, reason);
        this.emitError('MEDIA_WORKER_CRASHED', 40003, reason);
      },
    );
    if (this.latencyStats) this.host.media.send({ t: 'setLatencyStats', pipeline: this.id, on: true });
  }

  registerMedia(obj: MediaObject): void {
    this.#mediaObjects.set(obj.id, obj);
  }

  unregisterMedia(obj: MediaObject): void {
    this.#mediaObjects.delete(obj.id);
  }

  protected override propertyChanged(name: string, value: unknown): void {
    if (name === 'latencyStats' && this.#mediaAttached) this.host.media.send({ t: 'setLatencyStats', pipeline: this.id, on: value === true });
  }

  get mediaAttached(): boolean {
    return this.#mediaAttached;
  }

  /** Only `Error` is raised on the pipeline itself (a failed graph operation). */
  override mediaEvent(event: EventMessage): void {
    if (event.name === 'Error') super.mediaEvent(event);
  }

  protected override onRelease(): void {
    if (!this.#mediaAttached) return;
    this.host.media.send({ t: 'releasePipeline', pipeline: this.id });
    this.host.media.detach(this.id);
    this.#mediaAttached = false;
  }
  get latencyStats(): boolean {
    return this.getProperty('latencyStats') === true;
  }

  /**
   * Fluo's element graph, with the media engine's real GStreamer graph of this pipeline
   * (transcoders, recorders, players) inside it when the engine holds a part of it: one
   * per media worker when the pipeline is spread over several.
   */
  async getGstreamerDot(_p: Params): Promise<string> {
    return renderDot(this, this.#mediaAttached ? await this.host.media.dot(this.id) : []);
  }

  dumpGstreamerDot(p: Params): Promise<void> {
    return this.dumpDot(() => this.getGstreamerDot(p));
  }
}

/** Every object under `root` (children, their children, ...). */
function descendants(root: MediaObject): MediaObject[] {
  return root.children.flatMap((c) => [c, ...descendants(c)]);
}
