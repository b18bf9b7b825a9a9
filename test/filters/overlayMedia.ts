/**
 * Media for the overlay filter tests, made at test time: source clips, overlay images,
 * and the pixels a viewer would see, decoded from a recording of the filter's output.
 * (A stand-in until test/helpers/frameGrab.ts and filterMedia.ts land on main.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { until, type RemotePeer } from '../helpers/RemotePeers.ts';
import type { PlayerBed } from '../helpers/playerBed.ts';
import { FACE_CASCADE } from '../../src/media/filters/FaceOverlayFilterNode.ts';

export const W = 640;
export const H = 480;

export interface Rect { x: number; y: number; width: number; height: number }

const root = fileURLToPath(new URL('../..', import.meta.url));

/** NASA's public-domain astronaut portrait from Debian's python3-skimage (fetched beforehand: the tests have no network). */
export function astronautPng(): string {
  const png = join(root, 'node_modules/.cache/fluo-media/astronaut.png');
  if (!existsSync(png)) {
    throw new Error(`${png} is missing: on the host, \`cd $(mktemp -d) && apt-get download python3-skimage && dpkg-deb --fsys-tarfile python3-skimage_*.deb | tar -xO ./usr/lib/python3/dist-packages/skimage/data/astronaut.png > ${png}\``);
  }
  return png;
}

/** A still `seconds` long 640x480@30 VP8 WebM of a PNG's `crop` (ffmpeg crop=w:h:x:y), scaled to 640x480. */
export function stillClip(dir: string, name: string, png: string, crop: string, seconds: number): string {
  const out = join(dir, `${name}.webm`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '30', '-i', png, '-t', String(seconds),
    '-vf', `crop=${crop},scale=${W}:${H},format=yuv420p`, '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1M', '-g', '30', out]);
  return out;
}

/** A grey picture with a white ball moving over it: no face, no magenta. */
export function ballClip(dir: string, seconds: number): string {
  const out = join(dir, 'ball.webm');
  execFileSync('gst-launch-1.0', ['-q', '-e', ...`videotestsrc num-buffers=${seconds * 30} pattern=ball background-color=0xff505050 ! video/x-raw,width=${W},height=${H},framerate=30/1,format=I420 ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30 ! webmmux ! filesink location=${out}`.split(' ')]);
  return out;
}

/** A PNG of one colour (ffmpeg color names or 0xRRGGBB). */
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

/** The first frame of a clip as a PNG (to find the face in it). */
export function firstFramePng(clip: string, out: string): string {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-frames:v', '1', out]);
  return out;
}

/** RGB24 frames of a recording: the last one, decoded at 640x480. */
export function lastFrame(webm: string): Buffer {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', webm, '-vf', `fps=2,scale=${W}:${H}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 256 * 1024 * 1024 });
  const size = W * H * 3;
  if (raw.length < size) throw new Error(`${webm}: no frame decoded`);
  const n = Math.floor(raw.length / size);
  return raw.subarray((n - 1) * size, n * size);
}

export type Pixel = [number, number, number];
export const isMagenta = ([r, g, b]: Pixel): boolean => r > 180 && g < 90 && b > 180;
export const isCyan = ([r, g, b]: Pixel): boolean => r < 90 && g > 180 && b > 180;

/** The share of a rectangle's pixels (clipped to the frame) for which `test` holds. */
export function share(frame: Buffer, r: Rect, test: (p: Pixel) => boolean): number {
  let hit = 0;
  let all = 0;
  for (let y = Math.max(0, Math.round(r.y)); y < Math.min(H, Math.round(r.y + r.height)); y++) {
    for (let x = Math.max(0, Math.round(r.x)); x < Math.min(W, Math.round(r.x + r.width)); x++) {
      const i = (y * W + x) * 3;
      all++;
      if (test([frame[i]!, frame[i + 1]!, frame[i + 2]!])) hit++;
    }
  }
  return all === 0 ? 0 : hit / all;
}

/** The share of the whole frame outside `keep` (grown by `margin` px) for which `test` holds. */
export function shareOutside(frame: Buffer, keep: Rect[], margin: number, test: (p: Pixel) => boolean): number {
  const grown = keep.map((k) => ({ x: k.x - margin, y: k.y - margin, width: k.width + 2 * margin, height: k.height + 2 * margin }));
  let hit = 0;
  let all = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (grown.some((k) => x >= k.x && x < k.x + k.width && y >= k.y && y < k.y + k.height)) continue;
      const i = (y * W + x) * 3;
      all++;
      if (test([frame[i]!, frame[i + 1]!, frame[i + 2]!])) hit++;
    }
  }
  return all === 0 ? 0 : hit / all;
}

/** A rectangle shrunk by `by` px on every side (to sample its inside, away from blurred edges). */
export function inset(r: Rect, by: number): Rect {
  return { x: r.x + by, y: r.y + by, width: r.width - 2 * by, height: r.height - 2 * by };
}

export interface Playing { P: string; filter: string; viewer: RemotePeer }

/** player (of `clip`) -> a new filter of `type` -> WebRtcEndpoint -> libwebrtc viewer, frames arriving; the filter's Errors recorded. */
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
  await bed.invoke(player, 'play');
  await until(async () => (await bed.frames(viewer)) > 10, 15_000, 'frames at the viewer');
  return { P, filter, viewer };
}

/** What the filter shows for a moment, as a viewer would decode it: the last frame of a 2.5 s recording of its output. */
export async function snapshot(bed: PlayerBed, P: string, filter: string, name: string): Promise<Buffer> {
  const file = join(bed.dir, `${name}.webm`);
  const rec = await bed.create('RecorderEndpoint', { mediaPipeline: P, uri: pathToFileURL(file).href, mediaProfile: 'WEBM_VIDEO_ONLY' });
  await bed.invoke(filter, 'connect', { sink: rec });
  await bed.invoke(rec, 'record');
  await new Promise((r) => setTimeout(r, 2500));
  await bed.invoke(rec, 'stopAndWait');
  await bed.value('release', { object: rec });
  return lastFrame(file);
}
