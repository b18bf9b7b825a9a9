import { MediaObject } from './MediaObject.ts';
import { renderDot } from './renderDot.ts';
import type { Params } from './types.ts';
import type { Wire } from '../shared/workerProtocol.ts';

/** What a child needs to receive the media events of its node. */
interface MediaEventTarget extends MediaObject {
  mediaEvent?(name: string, data: Wire): void;
}

/**
 * KMD `MediaPipeline`: the container of elements. It owns every element created in it;
 * releasing it releases them all (MediaObject.release cascades). A pipeline keeps all
 * its media state itself, so the media plane can move it to a worker as a unit.
 */
export class MediaPipeline extends MediaObject {
  #mediaAttached = false;

  /** Places this pipeline on a media worker (once), routing node events to children. */
  ensureMedia(): void {
    if (this.#mediaAttached) return;
    this.#mediaAttached = true;
    this.host.media.attach(
      this.id,
      (element, name, data) => {
        const target = (element === this.id ? this : this.children.find((c) => c.id === element)) as MediaEventTarget | undefined;
        target?.mediaEvent?.(name, data);
      },
      (reason) => {
        this.#mediaAttached = false;
        // Kurento reports asynchronous failures with the Error event (KMD MediaObject).
        for (const child of this.children) child.emitError('MEDIA_WORKER_CRASHED', 40003, reason);
        this.emitError('MEDIA_WORKER_CRASHED', 40003, reason);
      },
    );
    if (this.latencyStats) this.host.media.post(this.id, '', 'setLatencyStats', { on: true });
  }

  protected override propertyChanged(name: string, value: unknown): void {
    if (name === 'latencyStats' && this.#mediaAttached) this.host.media.post(this.id, '', 'setLatencyStats', { on: value === true });
  }

  get mediaAttached(): boolean {
    return this.#mediaAttached;
  }

  mediaEvent(name: string, data: Wire): void {
    if (name === 'Error' && data && typeof data === 'object' && !Array.isArray(data)) {
      this.emitError(String(data.type), Number(data.errorCode), String(data.description));
    }
  }

  protected override onRelease(): void {
    if (!this.#mediaAttached) return;
    this.host.media.post(this.id, '', 'releasePipeline', null);
    this.host.media.detach(this.id);
    this.#mediaAttached = false;
  }
  get latencyStats(): boolean {
    return this.getProperty('latencyStats') === true;
  }

  getGstreamerDot(_p: Params): string {
    return renderDot(this);
  }

  dumpGstreamerDot(p: Params): void {
    this.writeDot(this.getGstreamerDot(p));
  }

  /** Writes a DOT file where GStreamer would (GST_DEBUG_DUMP_DOT_DIR), as KMS does. */
  protected writeDot(dot: string): void {
    const dir = process.env.GST_DEBUG_DUMP_DOT_DIR;
    if (!dir) this.notImplemented('dumpGstreamerDot (set GST_DEBUG_DUMP_DOT_DIR)');
    void import('node:fs').then((fs) =>
      fs.promises.writeFile(`${dir}/${this.id.replace(/[^\w.-]/g, '_')}.dot`, dot).catch(() => undefined));
  }
}
