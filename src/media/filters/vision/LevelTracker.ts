/**
 * Turns a percentage per frame into level-change events, as the KMD crowddetector states
 * for occupancy and fluidity alike: level 1 between min and med, 2 between med and max,
 * 3 from max to 100 ("occupancyLevelMed", "occupancyLevelMax"), and a new level is
 * recognised only after "number of consecutive frames that a new ... level has to be
 * detected" ("occupancyNumFramesToEvent"), when "a new ... event will be send".
 *
 * Below min the level is 0. The KMD calls min the "minimun ... percentage in the ROI to
 * send ... events"; we read it as the bound of level 1 and still report a fall back to
 * 0, so a client that was told "level 2" learns when the region empties. The starting
 * level is 0, so a region that stays below min never gives an event.
 */

export interface LevelBands {
  readonly min: number;
  readonly med: number;
  readonly max: number;
  readonly framesToEvent: number;
}

export interface LevelChange {
  readonly level: number;
  readonly percentage: number;
}

export class LevelTracker {
  private reported = 0;
  private candidate = 0;
  private count = 0;

  constructor(private readonly bands: LevelBands) {}

  get level(): number {
    return this.reported;
  }

  levelOf(percentage: number): number {
    const { min, med, max } = this.bands;
    if (percentage < min) return 0;
    if (percentage < med) return 1;
    if (percentage < max) return 2;
    return 3;
  }

  /** One frame's percentage; the change to report, if this frame completes one. */
  update(percentage: number): LevelChange | null {
    const level = this.levelOf(percentage);
    if (level === this.reported) {
      this.count = 0;
      return null;
    }
    if (level === this.candidate && this.count > 0) this.count++;
    else {
      this.candidate = level;
      this.count = 1;
    }
    if (this.count < Math.max(1, this.bands.framesToEvent)) return null;
    this.reported = level;
    this.count = 0;
    return { level, percentage };
  }
}
