import type { EmitFn } from '../../shared/workerProtocol.ts';
import type { EngineEvent } from '../../engine/protocol.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import { FilterNode, type FilterCore } from './FilterNode.ts';

/**
 * How long a code must have gone unreported before the same type and value is raised
 * again (ms). zbar's own cache (`cache=true`) already reports a symbol once while it
 * stays in view and again only after it was gone for about two seconds (measured:
 * media-probe-notes §7 and the ZBar test); this guard also swallows a cache entry that
 * expires and comes back while the code is still there (a few frames not decoded).
 */
const REPEAT_AFTER_MS = 3000;

/** Analysis rate of the side branch (frames per second). */
const SCAN_FPS = 10;

/**
 * KMD `ZBarFilter` (filters module): raises `CodeFound {codeType, value}` for each code
 * it sees, the video passing through unchanged (Kurento docs, "Filters": "When a code
 * is found, the filter raises a CodeFoundEvent"; kms-interface: "generated when a new
 * code ... is found").
 *
 * zbar runs on a side branch at 10 fps, not inline on every frame: measured on a
 * 640x480@30 QR clip (14 s, decode included, `/usr/bin/time gst-launch-1.0 ...`):
 * decode alone 0.19 s of CPU, decode + zbar inline 1.42 s, decode + side branch
 * 0.32-0.49 s. The branch's leaky queue drops what zbar cannot keep up with, so a busy
 * scanner never slows the video. zbar wants I420 (media-probe-notes §12.6).
 */
/**
 * The core of a filter that scans for codes: the picture unchanged, zbar on a side
 * branch at SCAN_FPS (`zb`'s element messages name each code); `cache`: zbar reports a
 * code once while it stays in view, instead of on every scanned frame.
 */
export function zbarCore(cache: boolean): FilterCore {
  return {
    fragment: 'identity',
    inputBranch: `queue max-size-buffers=1 max-size-bytes=0 max-size-time=0 leaky=downstream ! videorate ! video/x-raw,framerate=${SCAN_FPS}/1 ! ` +
      `videoconvert ! video/x-raw,format=I420 ! zbar name=zb cache=${String(cache)} ! fakesink sync=false async=false`,
  };
}

export class ZBarFilterNode extends FilterNode {
  /** type + '\0' + value -> when it was last reported by zbar (performance.now()). */
  readonly #seen = new Map<string, number>();

  constructor(id: string, emit: EmitFn, engine: NodeEngine) {
    super(id, emit, 'ZBarFilter', engine, 'VIDEO');
  }

  protected core(): FilterCore {
    return zbarCore(true);
  }

  protected override onCoreEvent(e: EngineEvent): void {
    if (e.type !== 'element' || e.structure.name !== 'barcode') return;
    const { type, symbol } = e.structure.fields;
    if (typeof type !== 'string' || typeof symbol !== 'string') return;
    const key = `${type}\0${symbol}`;
    const now = performance.now();
    const last = this.#seen.get(key);
    this.#seen.set(key, now);
    if (last !== undefined && now - last < REPEAT_AFTER_MS) return;
    for (const [k, at] of this.#seen) if (now - at >= REPEAT_AFTER_MS) this.#seen.delete(k);
    this.emit('CodeFound', { codeType: type, value: symbol });
  }
}
