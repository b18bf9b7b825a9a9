/**
 * What the overlay filter tests share: overlay images and a plain clip made at test
 * time, the face as the filter's LBP cascade finds it, the filter played through to a
 * libwebrtc viewer with its output decoded (test/helpers/frameGrab.ts), and colour
 * shares inside and outside rectangles.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FACE_CASCADE } from '../../src/media/filters/faceDetection.ts';
import { until, type RemotePeer } from '../helpers/RemotePeers.ts';
import type { PlayerBed } from '../helpers/playerBed.ts';
import { grabFrames, type FrameGrabber } from '../helpers/frameGrab.ts';
import { fractionMatching, type ColourRange, type Frame, type Rect } from '../helpers/pixels.ts';
import { SCENE } from '../helpers/filterMedia.ts';

export const W = SCENE.width;
export const H = SCENE.height;

/** Pure magenta and cyan after VP8 and back: colours no source picture here has. */
export const MAGENTA: ColourRange = { min: [180, 0, 180], max: [255, 90, 255] };
export const CYAN: ColourRange = { min: [0, 180, 180], max: [90, 255, 255] };

/** A grey picture with a white ball moving over it: no face, neither colour. */
export function ballClip(dir: string, seconds: number): string {
  const out = join(dir, 'ball.webm');
  execFileSync('gst-launch-1.0', ['-q', '-e', ...`videotestsrc num-buffers=${seconds * 30} pattern=ball background-color=0xff505050 ! video/x-raw,width=${W},height=${H},framerate=30/1,format=I420 ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30 ! webmmux ! filesink location=${out}`.split(' ')]);
  return out;
}

/** A PNG of one colour (ffmpeg colour names or 0xRRGGBB). */
export function solidPng(dir: string, name: string, color: string, width: number, height: number): string {
  const out = join(dir, `${name}.png`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=${color}:s=${width}x${height}`, '-frames:v', '1', out]);
  return out;
}

/** The face OpenCV's LBP cascade finds in a 640x480 PNG, detecting at 320x240 as FaceOverlayFilter does. */
export function faceIn(png: string): Rect {
  const out = execFileSync('gst-launch-1.0', ['-m', ...`filesrc location=${png} ! pngdec ! imagefreeze num-buffers=1 ! videoscale add-borders=false ! video/x-raw,width=320,height=240 ! videoconvert ! facedetect display=false profile=${FACE_CASCADE} ! fakesink`.split(' ')], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const m = /x=\(uint\)(\d+), y=\(uint\)(\d+), width=\(uint\)(\d+), height=\(uint\)(\d+)/.exec(out.replace(/\\/g, ''));
  if (!m) throw new Error(`no face found in ${png}: ${out.slice(-400)}`);
  return { x: Number(m[1]) * 2, y: Number(m[2]) * 2, width: Number(m[3]) * 2, height: Number(m[4]) * 2 };
}

export interface Playing { P: string; filter: string; viewer: RemotePeer; grab: FrameGrabber }

/**
 * player (of `clip`) -> a new filter of `type` -> WebRtcEndpoint -> libwebrtc viewer,
 * frames arriving, and the filter's output decoded as a viewer would see it; the
 * filter's Errors recorded.
 */
export async function playingThrough(bed: PlayerBed, type: string, clip: string): Promise<Playing> {
  const P = await bed.create('MediaPipeline', {});
  const player = await bed.create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(clip).href });
  const filter = await bed.create(type, { mediaPipeline: P });
  await bed.subscribe(filter, 'Error');
  const ep = await bed.create('WebRtcEndpoint', { mediaPipeline: P });
  await bed.invoke(player, 'connect', { sink: filter });
  await bed.invoke(filter, 'connect', { sink: ep });
  const viewer = await bed.peers.create({ recvOnly: true });
  await viewer.connectTo(bed.c, ep, bed.sid);
  const grab = await grabFrames(bed, P, filter);
  await bed.invoke(player, 'play');
  await until(async () => (await bed.frames(viewer)) > 10, 15_000, 'frames at the viewer');
  await grab.waitFor(() => true, 15_000);
  return { P, filter, viewer, grab };
}

export async function stopPlaying(bed: PlayerBed, p: Playing): Promise<void> {
  p.grab.stop();
  await bed.value('release', { object: p.P });
  await p.viewer.close();
}

/** The share of a rectangle's pixels (cut to the frame) in a colour range. */
export const share = (f: Frame, r: Rect, range: ColourRange): number => fractionMatching(f, range, r);

/** The share of the frame's pixels outside every rectangle of `keep` (each grown by `margin` px) in a colour range. */
export function shareOutside(f: Frame, keep: Rect[], margin: number, range: ColourRange): number {
  const grown = keep.map((k) => ({ x: k.x - margin, y: k.y - margin, right: k.x + k.width + margin, bottom: k.y + k.height + margin }));
  let hit = 0;
  let all = 0;
  for (let y = 0; y < f.height; y++) {
    for (let x = 0; x < f.width; x++) {
      if (grown.some((k) => x >= k.x && x < k.right && y >= k.y && y < k.bottom)) continue;
      all++;
      const i = (y * f.width + x) * 3;
      if ([0, 1, 2].every((c) => f.rgb[i + c]! >= range.min[c]! && f.rgb[i + c]! <= range.max[c]!)) hit++;
    }
  }
  return all === 0 ? 0 : hit / all;
}

/** A rectangle shrunk by `by` px on every side (its inside, away from blurred edges). */
export function inset(r: Rect, by: number): Rect {
  return { x: r.x + by, y: r.y + by, width: r.width - 2 * by, height: r.height - 2 * by };
}
