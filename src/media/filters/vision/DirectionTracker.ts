/**
 * Direction events of one ROI (KMD crowddetector: sendOpticalFlowEvent,
 * opticalFlowNumFramesToEvent, opticalFlowNumFramesToReset, opticalFlowAngleOffset).
 *
 * Angles follow the Kurento docs (Crowd Detector tutorial): "0 is the direction from the
 * central point of the video to the top (i.e., north), 90 correspond to the direction to
 * the right (east), 180 is the south, and finally 270 is the west", and the offset is a
 * "counterclockwise offset of the angle ... to move the default axis". Turning the 0 axis
 * counter-clockwise by the offset makes every bearing measured from it larger by the
 * offset, so the event carries (bearing + offset) mod 360. The KMD's own text for the
 * offset ("left (0), up (90), right (180) and down (270)") contradicts the tutorial on
 * where 0 is; we follow the tutorial, the longer and more specific of the two.
 *
 * "Consistent" motion: the KMD says a direction "could have four different values", so
 * two frames agree when their bearings fall in the same quarter (north, east, south, west,
 * each +-45 degrees). A new direction is reported after opticalFlowNumFramesToEvent
 * consecutive moving frames in one quarter that differs from the last one reported, with
 * the mean bearing of those frames (the KMD event's `directionAngle` is a float). After
 * opticalFlowNumFramesToReset frames without consistent motion the tracker forgets the
 * last direction, so the same direction is reported again when motion resumes; shorter
 * pauses neither break nor extend a run.
 */

export class DirectionTracker {
  private reported: number | null = null;
  private quarter: number | null = null;
  private count = 0;
  private sumX = 0;
  private sumY = 0;
  private quiet = 0;

  constructor(
    private readonly framesToEvent: number,
    private readonly framesToReset: number,
    private readonly angleOffset: number,
  ) {}

  /** `bearing`: this frame's motion direction in degrees (0 north, clockwise), or null without consistent motion. */
  update(bearing: number | null): number | null {
    if (bearing === null) {
      this.quiet++;
      if (this.quiet >= Math.max(1, this.framesToReset)) {
        this.reported = null;
        this.quarter = null;
        this.count = 0;
      }
      return null;
    }
    this.quiet = 0;
    const quarter = Math.round(bearing / 90) % 4;
    if (quarter !== this.quarter) {
      this.quarter = quarter;
      this.count = 0;
      this.sumX = 0;
      this.sumY = 0;
    }
    this.count++;
    this.sumX += Math.sin((bearing * Math.PI) / 180);
    this.sumY += Math.cos((bearing * Math.PI) / 180);
    if (quarter === this.reported || this.count < Math.max(1, this.framesToEvent)) return null;
    this.reported = quarter;
    const mean = (Math.atan2(this.sumX, this.sumY) * 180) / Math.PI;
    return (((mean + this.angleOffset) % 360) + 360) % 360;
  }
}
