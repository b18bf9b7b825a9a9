/**
 * Foreground of a GRAY8 stream: what differs from a slowly adapting background, or what
 * changed since the previous frame. Kurento's CrowdDetector tells "static crowds (or
 * moving slowly)" from fast ones (Kurento docs, Crowd Detector tutorial), so people who
 * stop must stay foreground for a while: frame differencing alone would lose them on the
 * next frame. The background therefore learns fast where the picture is background and
 * only very slowly where it is foreground.
 */

/** Grey levels from the background above which a pixel is foreground (camera noise is a few levels). */
const BACKGROUND_THRESHOLD = 25;
/** Grey levels of change from the previous frame above which a pixel is moving. */
const DIFF_THRESHOLD = 20;
/** Background learning rate where the picture is background: follows light changes in ~20 frames. */
const ALPHA_BACKGROUND = 0.05;
/**
 * Where it is foreground: an object that stays still is absorbed into the background
 * only after some 500 frames, nearly a minute at the 10 fps of the analysis branch.
 * The same rate makes a "ghost" (a person present in the very first frame who then
 * leaves) last as long: the cost of having no learning period.
 */
const ALPHA_FOREGROUND = 0.002;

export class MotionModel {
  /** 1 where the last frame was foreground (either test), else 0. */
  readonly foreground: Uint8Array;
  private readonly background: Float32Array;
  private readonly previous: Uint8Array;
  private primed = false;

  constructor(readonly width: number, readonly height: number) {
    const n = width * height;
    this.foreground = new Uint8Array(n);
    this.background = new Float32Array(n);
    this.previous = new Uint8Array(n);
  }

  /** Updates the model with one GRAY8 frame of this size and recomputes `foreground`. */
  update(gray: Uint8Array): void {
    const { foreground: fg, background: bg, previous: prev } = this;
    if (!this.primed) {
      // The first frame is the background as far as we know: nothing moves yet.
      for (let i = 0; i < gray.length; i++) bg[i] = gray[i]!;
      prev.set(gray);
      fg.fill(0);
      this.primed = true;
      return;
    }
    for (let i = 0; i < gray.length; i++) {
      const v = gray[i]!;
      const b = bg[i]!;
      const d = v - b;
      const m = v - prev[i]!;
      if (d > BACKGROUND_THRESHOLD || d < -BACKGROUND_THRESHOLD || m > DIFF_THRESHOLD || m < -DIFF_THRESHOLD) {
        fg[i] = 1;
        bg[i] = b + d * ALPHA_FOREGROUND;
      } else {
        fg[i] = 0;
        bg[i] = b + d * ALPHA_BACKGROUND;
      }
    }
    prev.set(gray);
  }
}
