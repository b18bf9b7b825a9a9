import type { Json } from '../../engine/protocol.ts';
import type { FaceBox } from './overlayGeometry.ts';

/** The detection picture (media-probe-notes §4: LBP at 10 fps on 320x240 costs a fifth of a core). */
export const DETECT_W = 320;
export const DETECT_H = 240;
const DETECT_FPS = 10;
/** OpenCV's LBP frontal-face cascade (Debian opencv-data): about a third cheaper than the default Haar one. */
export const FACE_CASCADE = '/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml';

/**
 * The face detection side branch of a filter's core (FilterCore.inputBranch): the raw
 * input at 10 fps, scaled to 320x240, into `facedetect name=fd`, whose element
 * messages list the faces in that picture. Detection inline on every full frame costs
 * more than a core (media-probe-notes §4, §6). videorate sits before the valve, if
 * any: a valve opened after a long pause would make a videorate behind it fill the gap
 * with copies (§12.2: the rate is set by caps, since decoded RTP says framerate 0/1).
 * `valve`: the name of a valve that starts shut (`drop=<shut>`), for a filter that
 * detects only while it has something to draw.
 */
export function faceDetectionBranch(valve?: { name: string; shut: boolean }): string {
  const gate = valve ? ` ! valve name=${valve.name} drop=${String(valve.shut)}` : '';
  return `queue max-size-buffers=1 max-size-bytes=0 max-size-time=0 leaky=downstream ! videorate ! video/x-raw,framerate=${DETECT_FPS}/1${gate}` +
    ` ! videoscale add-borders=false ! video/x-raw,width=${DETECT_W},height=${DETECT_H} ! videoconvert ! facedetect name=fd profile=${FACE_CASCADE} display=false ! fakesink sync=false async=false`;
}

/** The `faces` field of a facedetect message: a list of face structures (x, y, width, height in the detection picture). */
export function facesOf(v: Json | undefined): FaceBox[] {
  if (!Array.isArray(v)) return [];
  const out: FaceBox[] = [];
  for (const f of v) {
    if (!f || typeof f !== 'object' || Array.isArray(f)) continue;
    // A nested GstStructure may come as { name, fields } or flattened.
    const o = f.fields && typeof f.fields === 'object' && !Array.isArray(f.fields) ? f.fields : f;
    const [x, y, width, height] = [o.x, o.y, o.width, o.height].map(Number);
    if ([x, y, width, height].every((n) => Number.isFinite(n)) && width! > 0 && height! > 0) out.push({ x: x!, y: y!, width: width!, height: height! });
  }
  return out;
}
