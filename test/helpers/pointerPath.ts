import type { Rect } from './pixels.ts';

/** The pointer's centre at `t` seconds; straight lines between keys. */
export interface PointerKey { t: number; x: number; y: number }

export interface PointerTimeline {
  path: PointerKey[];
  window: Rect;
  /** The disc sits in the calibration square until then. */
  calibrationUntil: number;
  /** Seconds of the first frame with the centre inside the window, and of the first after it outside. */
  enter: number;
  exit: number;
}

/** The centre at `t`, interpolated along `path` (held before its first key and after its last). */
export function positionAt(path: PointerKey[], t: number): { x: number; y: number } {
  for (let i = 0; i + 1 < path.length; i++) {
    const a = path[i]!, b = path[i + 1]!;
    if (t < b.t) {
      const k = t <= a.t ? 0 : (t - a.t) / (b.t - a.t);
      return { x: a.x + (b.x - a.x) * k, y: a.y + (b.y - a.y) * k };
    }
  }
  const last = path[path.length - 1]!;
  return { x: last.x, y: last.y };
}

/** The same interpolation as an ffmpeg expression of `t`, for overlay's x or y. */
export function pwlExpression(path: PointerKey[], axis: 'x' | 'y'): string {
  let expr = String(path[path.length - 1]![axis]);
  for (let i = path.length - 2; i >= 0; i--) {
    const a = path[i]!, b = path[i + 1]!;
    expr = `if(lt(t,${b.t}),${a[axis]}+(${b[axis] - a[axis]})*(t-${a.t})/${b.t - a.t},${expr})`;
  }
  return expr;
}

/** When the centre enters and leaves `window`, frame by frame as the scene shows it. */
export function pointerTimeline(path: PointerKey[], window: Rect, fps: number): PointerTimeline {
  const inside = (t: number): boolean => {
    const p = positionAt(path, t);
    return p.x >= window.x && p.x < window.x + window.width && p.y >= window.y && p.y < window.y + window.height;
  };
  const frames = Math.round(path[path.length - 1]!.t * fps);
  let enter = NaN, exit = NaN;
  for (let i = 0; i <= frames; i++) {
    const t = i / fps;
    if (Number.isNaN(enter) && inside(t)) enter = t;
    else if (!Number.isNaN(enter) && Number.isNaN(exit) && !inside(t)) exit = t;
  }
  if (Number.isNaN(enter) || Number.isNaN(exit)) throw new Error(`the pointer's path never enters and leaves ${JSON.stringify(window)}`);
  // The disc is still until the key before the first one that moves it.
  const moves = path.findIndex((k) => k.x !== path[0]!.x || k.y !== path[0]!.y);
  const calibrationUntil = moves > 0 ? path[moves - 1]!.t : 0;
  return { path, window, calibrationUntil, enter, exit };
}
