/**
 * Source media for the filter tests: one function per scene, each showing what a
 * Kurento filter needs (a face, a QR code, a green screen, a red pointer, a crowd),
 * rendered into the caller's temp folder as a WebM and, when asked, a Y4M
 * (test/helpers/sceneEncoder.ts), and cached for the process. Each also says where things are in the picture, so a test
 * can look for them after the filter. Plate scenes live in test/helpers/plateScene.ts,
 * written with the same `renderScene`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { astronautPng } from './astronaut.ts';
import type { Rect, Rgb } from './pixels.ts';
import { renderScene, stillOf, SCENE, type Scene, type SceneSpec } from './sceneEncoder.ts';
import { pointerTimeline, pwlExpression, type PointerKey, type PointerTimeline } from './pointerPath.ts';

export { renderScene, stillOf, SCENE, type Scene, type SceneSpec };

const made = new Map<string, unknown>();

/** `make()` once per folder and key in this process: scenes take seconds to render. */
export function cachedScene<T>(dir: string, key: string, make: () => T): T {
  const k = `${dir}\0${key}`;
  if (!made.has(k)) made.set(k, make());
  return made.get(k) as T;
}

export interface FaceScene extends Scene {
  /** The lossless first frame, to compare decoded frames with. */
  picture: string;
  /** Where OpenCV's frontal-face Haar cascade finds the face in `picture`. */
  face: Rect;
  /** How far the picture drifts from `picture`, in pixels, either way. */
  motionPx: number;
}

/**
 * The astronaut's face, large and frontal near the middle (a 320x240 crop of the 512x512
 * portrait, doubled), drifting by up to 4 px so encoders keep sending real frames.
 */
export function faceScene(dir: string, seconds = 6): FaceScene {
  return cachedScene(dir, `face:${seconds}`, () => {
    const spec: SceneSpec = {
      name: 'face', seconds, y4mSeconds: 2,
      inputs: ['-loop', '1', '-framerate', String(SCENE.fps), '-i', astronautPng()],
      filter: `[0:v]crop=w=320:h=240:x='60+2*sin(PI*t)':y='4+2*sin(PI*t/2)',scale=${SCENE.width}:${SCENE.height}[v]`,
    };
    const picture = stillOf(dir, spec, 0, 'face.png');
    return { ...renderScene(dir, spec), picture, face: detectFace(picture), motionPx: 4 };
  });
}

/**
 * The largest face GStreamer's `facedetect` (OpenCV, haarcascade_frontalface_default
 * from opencv-data) reports in a picture, as Kurento's FaceOverlayFilter would find it.
 */
export function detectFace(png: string): Rect {
  const out = execFileSync('gst-launch-1.0', ['-m', ...`filesrc location=${png} ! pngdec ! imagefreeze num-buffers=1 ! videoconvert ! facedetect display=false ! fakesink`.split(' ')], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const faces = [...out.replace(/\\/g, '').matchAll(/x=\(uint\)(\d+), y=\(uint\)(\d+), width=\(uint\)(\d+), height=\(uint\)(\d+)/g)]
    .map((m) => ({ x: Number(m[1]), y: Number(m[2]), width: Number(m[3]), height: Number(m[4]) }))
    .sort((a, b) => b.width * b.height - a.width * a.height);
  if (!faces[0]) throw new Error(`facedetect found no face in ${png}`);
  return faces[0];
}

export interface QrScene extends Scene { text: string; picture: string; code: Rect }

/** PNG width and height from its IHDR chunk (PNG spec §11.2.2), read without a decoder. */
function pngSize(png: string): { width: number; height: number } {
  const b = readFileSync(png);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** A QR code of `text` (qrencode, level M) about 360 px wide, centred on white, still. */
export function qrScene(dir: string, text = 'https://fluo.test/zbar', seconds = 4): QrScene {
  return cachedScene(dir, `qr:${text}:${seconds}`, () => {
    const png = join(dir, 'qr-code.png');
    // One pixel per module first, to learn the module count and scale to whole pixels.
    execFileSync('qrencode', ['-t', 'PNG', '-l', 'M', '-s', '1', '-m', '0', '-o', png, text]);
    const modules = pngSize(png).width;
    execFileSync('qrencode', ['-t', 'PNG', '-l', 'M', '-s', String(Math.floor(360 / modules)), '-m', '0', '-o', png, text]);
    const { width, height } = pngSize(png);
    const code = { x: (SCENE.width - width) >> 1, y: (SCENE.height - height) >> 1, width, height };
    const spec: SceneSpec = {
      name: 'qr', seconds, y4mSeconds: 2,
      inputs: ['-loop', '1', '-framerate', String(SCENE.fps), '-i', png],
      filter: `color=c=white:s=${SCENE.width}x${SCENE.height}:r=${SCENE.fps}[bg];[0:v]format=rgb24[q];[bg][q]overlay=x=${code.x}:y=${code.y}[v]`,
    };
    return { ...renderScene(dir, spec), text, picture: stillOf(dir, spec, 0, 'qr.png'), code };
  });
}

export interface GreenScreenScene extends Scene {
  picture: string;
  /** The subject's place in `picture`; it drifts `motionPx` either way horizontally. */
  subject: Rect;
  motionPx: number;
  background: Rgb;
  /** Kurento's ChromaFilter calibration window (5,5,30,30): all background. */
  calibration: Rect;
}

/** The astronaut (240x240) in front of pure green (0,255,0), drifting a few pixels. */
export function greenScreenScene(dir: string, seconds = 6): GreenScreenScene {
  return cachedScene(dir, `green:${seconds}`, () => {
    const subject = { x: 200, y: 120, width: 240, height: 240 };
    const spec: SceneSpec = {
      name: 'green-screen', seconds, y4mSeconds: 2,
      inputs: ['-loop', '1', '-framerate', String(SCENE.fps), '-i', astronautPng()],
      filter: `color=c=0x00ff00:s=${SCENE.width}x${SCENE.height}:r=${SCENE.fps}[bg];[0:v]scale=${subject.width}:${subject.height}[s];[bg][s]overlay=x='${subject.x}+4*sin(PI*t)':y=${subject.y}[v]`,
    };
    return {
      ...renderScene(dir, spec), picture: stillOf(dir, spec, 0, 'green-screen.png'), subject, motionPx: 4,
      background: [0, 255, 0], calibration: { x: 5, y: 5, width: 30, height: 30 },
    };
  });
}

/** Where the red disc of `pointerScene` goes: centres in pixels at seconds. */
export const POINTER_PATH: PointerKey[] = [
  { t: 0, x: 20, y: 20 }, { t: 2, x: 20, y: 20 }, // in Kurento's calibration square (5,5,30,30)
  { t: 3, x: 20, y: 175 }, // down, left of the window
  { t: 6, x: 600, y: 175 }, // right, through the window and out of it
  { t: 7, x: 600, y: 175 },
];

export interface PointerScene extends Scene, PointerTimeline { radius: number; colour: Rgb }

/**
 * A bright red disc (30 px across) on near-black: still in the calibration square for
 * 2 s, then along `path`. The timeline says when its centre is inside `window`
 * (PointerDetectorFilter's windows are tested against the pointer's centre).
 */
export function pointerScene(dir: string, window: Rect = { x: 50, y: 150, width: 500, height: 50 }, path: PointerKey[] = POINTER_PATH): PointerScene {
  return cachedScene(dir, `pointer:${JSON.stringify({ window, path })}`, () => {
    const radius = 15;
    const seconds = path[path.length - 1]!.t;
    const spec: SceneSpec = {
      name: 'pointer', seconds,
      filter: `color=c=0x101010:s=${SCENE.width}x${SCENE.height}:r=${SCENE.fps}[bg];${disc(2 * radius, `r='255':g='0':b='0'`)}[d];` +
        `[bg][d]overlay=x='${pwlExpression(path, 'x')}-${radius}':y='${pwlExpression(path, 'y')}-${radius}'[v]`,
    };
    return { ...renderScene(dir, spec), ...pointerTimeline(path, window, SCENE.fps), radius, colour: [255, 0, 0] };
  });
}

/** An ffmpeg source of a disc `size` px across, coloured by geq expressions, clear outside. */
function disc(size: number, colour: string): string {
  const c = (size - 1) / 2;
  return `color=c=black:s=${size}x${size}:r=${SCENE.fps},format=rgba,geq=${colour}:a='255*lte(hypot(X-${c},Y-${c}),${size / 2})'`;
}

export interface CrowdScene extends Scene {
  /** Until then the picture is still. */
  stillUntil: number;
  /** Where the blobs move: the Kurento tutorial's ROI, (0,0)-(0.5,0.5) of the frame. */
  roi: Rect;
  blobs: number;
}

/**
 * The astronaut portrait stretched over the frame (a still, textured scene) for 3 s,
 * then four checkered `size` px blobs moving right at 80 px/s inside the top-left quarter,
 * wrapping round at its right edge: texture that moves, as optical flow wants. At 48 px
 * they cover 9.4% of the quarter, at 64 px about 16% (over Kurento's tutorial occupancy
 * minimum of 10%).
 */
export function crowdScene(dir: string, seconds = 8, size = 48): CrowdScene {
  return cachedScene(dir, `crowd:${seconds}:${size}`, () => {
    const stillUntil = 3;
    const roi = { x: 0, y: 0, width: SCENE.width / 2, height: SCENE.height / 2 };
    const rows = [10, 65, 120, 175];
    const offsets = [0, 90, 180, 45];
    const chequer = `'40+180*mod(floor(X/8)+floor(Y/8),2)'`;
    let filter = `[0:v]scale=${SCENE.width}:${SCENE.height}[bg];${disc(size, `r=${chequer}:g=${chequer}:b=${chequer}`)},split=${rows.length}${rows.map((_, i) => `[b${i}]`).join('')}`;
    let last = 'bg';
    rows.forEach((y, i) => {
      const out = i === rows.length - 1 ? 'v' : `o${i}`;
      filter += `;[${last}][b${i}]overlay=x='mod(80*(t-${stillUntil})+${offsets[i]},${roi.width - size})':y=${y}:enable='gte(t,${stillUntil})'[${out}]`;
      last = out;
    });
    const spec: SceneSpec = { name: size === 48 ? 'crowd' : `crowd-${size}`, seconds, inputs: ['-loop', '1', '-framerate', String(SCENE.fps), '-i', astronautPng()], filter };
    return { ...renderScene(dir, spec), stillUntil, roi, blobs: rows.length };
  });
}
