/**
 * The detection windows of a PointerDetectorFilter and their WindowIn / WindowOut events
 * (KMD pointerdetector: addWindow, removeWindow, clearWindows; events WindowIn and
 * WindowOut with `windowId`, "generated when an object enters / exits a window").
 */
import { KurentoError } from '../../../shared/KurentoError.ts';
import { idField, illegal, numberField, optionalField, record } from './params.ts';

/**
 * KMD `PointerDetectorWindowMediaParam`. Despite their names, upperRightX/Y are the
 * upper LEFT corner ("X coordinate in pixels of the upper left corner"), in pixels of the
 * full picture. The images are drawn by the filter node; this core only needs geometry.
 */
export interface PointerDetectorWindowMediaParam {
  readonly id: string;
  readonly height: number;
  readonly width: number;
  readonly upperRightX: number;
  readonly upperRightY: number;
  readonly activeImage?: string;
  readonly imageTransparency?: number;
  readonly image?: string;
}

export interface WindowEvent {
  readonly type: 'WindowIn' | 'WindowOut';
  readonly windowId: string;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Checks a window as a client sent it: MARSHALL_ERROR / MEDIA_OBJECT_ILLEGAL_PARAM_ERROR. */
export function parseWindow(value: unknown): PointerDetectorWindowMediaParam {
  const f = record(value, 'window');
  const id = idField(f, 'id', 'window');
  const what = `window '${id}'`;
  // A window of no area could never hold the pointer: surely a client's mistake.
  const width = numberField(f, 'width', what, { min: 1 });
  const height = numberField(f, 'height', what, { min: 1 });
  // Positions may be negative: a window partly outside the picture is still usable.
  const upperRightX = numberField(f, 'upperRightX', what, {});
  const upperRightY = numberField(f, 'upperRightY', what, {});
  const image = optionalField(f, 'image', what, 'string');
  const activeImage = optionalField(f, 'activeImage', what, 'string');
  const imageTransparency = f.imageTransparency === undefined || f.imageTransparency === null
    ? undefined : numberField(f, 'imageTransparency', what, { min: 0, max: 1 });
  return {
    id, width, height, upperRightX, upperRightY,
    ...(image !== undefined && { image }),
    ...(activeImage !== undefined && { activeImage }),
    ...(imageTransparency !== undefined && { imageTransparency }),
  };
}

export class PointerWindows {
  /** Insertion order: events of one frame come out in the order the windows were added. */
  private readonly windows = new Map<string, PointerDetectorWindowMediaParam>();
  private readonly inside = new Set<string>();

  add(value: unknown): PointerDetectorWindowMediaParam {
    const w = parseWindow(value);
    if (this.windows.has(w.id)) throw illegal(`window '${w.id}' already exists`);
    this.windows.set(w.id, w);
    return w;
  }

  /**
   * Removing a window gives no WindowOut even with the pointer inside: the client asked
   * for it, and an event naming a window that no longer exists would only confuse it.
   * An unknown id is not an error (false), as clearing twice is not.
   */
  remove(windowId: unknown): boolean {
    if (typeof windowId !== 'string') throw new KurentoError('MARSHALL_ERROR', `'windowId' parameter should be a String`);
    this.inside.delete(windowId);
    return this.windows.delete(windowId);
  }

  clear(): void {
    this.windows.clear();
    this.inside.clear();
  }

  list(): PointerDetectorWindowMediaParam[] {
    return [...this.windows.values()];
  }

  /** Whether the pointer was inside `windowId` after the last update (for the active image). */
  isActive(windowId: string): boolean {
    return this.inside.has(windowId);
  }

  /**
   * Moves the pointer (full-picture pixels, or null when none is seen) and returns the
   * transitions. All WindowOut come before the WindowIn of the same frame, so a client
   * that keeps one "current window" sees it leave one before entering the next. A
   * pointer that vanishes inside a window leaves it: the object is no longer there.
   */
  update(pointer: Point | null): WindowEvent[] {
    const outs: WindowEvent[] = [];
    const ins: WindowEvent[] = [];
    for (const w of this.windows.values()) {
      const now = pointer !== null
        && pointer.x >= w.upperRightX && pointer.x < w.upperRightX + w.width
        && pointer.y >= w.upperRightY && pointer.y < w.upperRightY + w.height;
      const was = this.inside.has(w.id);
      if (now === was) continue;
      if (now) {
        this.inside.add(w.id);
        ins.push({ type: 'WindowIn', windowId: w.id });
      } else {
        this.inside.delete(w.id);
        outs.push({ type: 'WindowOut', windowId: w.id });
      }
    }
    return [...outs, ...ins];
  }
}
