/**
 * Test pictures for the plate detector, drawn with ImageMagick (apt `imagemagick`): the
 * front of a car (grey gradient, dark body, windscreen, headlights, bumper) with an
 * optional European plate: white or yellow, blue EU strip with its country letter, black
 * characters in DejaVu Sans Bold, a thin black border, 520x110 mm proportions (200x43 px
 * at scale 1 in a 640x480 frame). Given as raw GRAY8 and RGB24 buffers, as the engine's
 * FrameTap would hand them over, and as a PNG to look at; `plateVideoScene` makes a video
 * of such stills (a PlayerEndpoint's WebM, Chromium's fake-camera Y4M).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedScene } from './filterMedia.ts';
import { renderScene, SCENE, type Scene } from './sceneEncoder.ts';

export interface PlateSceneOptions {
  /** The characters on the plate, or null for a car without a plate (default 8886AJR). */
  readonly plate?: string | null;
  /** Top-left corner of the plate in the 640x480 scene (default off-centre, 250,350). */
  readonly x?: number;
  readonly y?: number;
  /** Plate size factor (default 1: 200x43 px). */
  readonly scale?: number;
  readonly yellow?: boolean;
  /** Output size; the scene is drawn at 640x480 and resized (default 640x480). */
  readonly width?: number;
  readonly height?: number;
}

export interface PlateScene {
  readonly width: number;
  readonly height: number;
  readonly gray: Buffer;
  readonly rgb: Buffer;
  /** The rendered picture, in a private directory that `dispose()` removes. */
  readonly png: string;
  /** Where the plate is in the output frame, when there is one. */
  readonly plateRect?: { x: number; y: number; width: number; height: number };
  dispose(): void;
}

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
const PLATE_W = 200, PLATE_H = 43;

export function renderPlateScene(opts: PlateSceneOptions = {}): PlateScene {
  const plate = opts.plate === undefined ? '8886AJR' : opts.plate;
  const px = opts.x ?? 250, py = opts.y ?? 350, s = opts.scale ?? 1;
  const width = opts.width ?? 640, height = opts.height ?? 480;
  const dir = mkdtempSync(join(tmpdir(), 'fluo-plate-'));
  const png = join(dir, 'scene.png');
  const car = [
    '-size', '640x480', 'gradient:#5a5a5a-#262626',
    '-fill', '#3c3f44', '-draw', 'roundrectangle 60,150 580,470 40,40',
    '-fill', '#1c1c1c', '-draw', 'rectangle 100,170 540,260',
    '-fill', '#d8d8c8', '-draw', 'ellipse 130,300 40,18 0,360', '-draw', 'ellipse 510,300 40,18 0,360',
    // A grille: horizontal bars, as on many cars (no vertical edges worth a plate).
    '-fill', '#2a2c30', '-draw', 'rectangle 230,280 410,286', '-draw', 'rectangle 230,296 410,302',
    '-fill', '#222222', '-draw', 'rectangle 60,420 580,470',
  ];
  const plateArgs = plate === null ? [] : [
    '(', '-size', `${PLATE_W}x${PLATE_H}`, `xc:${opts.yellow ? '#f2c400' : '#f4f4f4'}`,
    '-fill', '#003399', '-draw', `rectangle 0,0 17,${PLATE_H - 1}`,
    '-fill', '#ffcc00', '-font', FONT, '-pointsize', '9', '-draw', "text 5,36 'E'",
    '-fill', 'black', '-pointsize', '32', '-gravity', 'center', '-annotate', '+9+0', plate, '-gravity', 'northwest',
    '-stroke', 'black', '-strokewidth', '2', '-fill', 'none', '-draw', `rectangle 0,0 ${PLATE_W - 1},${PLATE_H - 1}`,
    '-resize', `${Math.round(PLATE_W * s)}x${Math.round(PLATE_H * s)}!`,
    ')', '-geometry', `+${px}+${py}`, '-composite',
  ];
  try {
    execFileSync('convert', [...car, ...plateArgs, '-resize', `${width}x${height}!`, png]);
    const gray = execFileSync('convert', [png, '-depth', '8', 'gray:-'], { maxBuffer: 1 << 24 });
    const rgb = execFileSync('convert', [png, '-depth', '8', 'rgb:-'], { maxBuffer: 1 << 24 });
    const fx = width / 640, fy = height / 480;
    const plateRect = plate === null ? undefined : {
      x: Math.round(px * fx), y: Math.round(py * fy),
      width: Math.round(PLATE_W * s * fx), height: Math.round(PLATE_H * s * fy),
    };
    return { width, height, gray, rgb, png, plateRect, dispose: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export interface PlateSegment {
  /** The plate shown, or null for the car without one. */
  readonly plate: string | null;
  readonly seconds: number;
}

export interface PlateVideoScene extends Scene {
  /** The plates in the order they appear (segments without a plate left out). */
  readonly plates: readonly string[];
}

/**
 * The car scene as video (sceneEncoder's WebM, and a Y4M on demand): one still segment
 * per entry, played one after another, e.g. `8886AJR` for 4 s, no plate for 3 s, then
 * `1234BCD`. Cached per folder and segment list.
 */
export function plateVideoScene(dir: string, segments: readonly PlateSegment[], name = 'plates'): PlateVideoScene {
  return cachedScene(dir, `plates:${name}:${JSON.stringify(segments)}`, () => {
    const inputs: string[] = [];
    const labels: string[] = [];
    const parts: string[] = [];
    segments.forEach((seg, i) => {
      const still = renderPlateScene({ plate: seg.plate });
      const png = join(dir, `${name}-${i}.png`);
      copyFileSync(still.png, png);
      still.dispose();
      inputs.push('-loop', '1', '-framerate', String(SCENE.fps), '-i', png);
      parts.push(`[${i}:v]trim=duration=${seg.seconds},setpts=PTS-STARTPTS[s${i}]`);
      labels.push(`[s${i}]`);
    });
    const seconds = segments.reduce((t, s) => t + s.seconds, 0);
    const filter = `${parts.join(';')};${labels.join('')}concat=n=${segments.length}:v=1:a=0,scale=${SCENE.width}:${SCENE.height}[v]`;
    const scene = renderScene(dir, { name, seconds, y4mSeconds: Math.min(seconds, 2), inputs, filter });
    return { ...scene, plates: segments.flatMap((s) => (s.plate === null ? [] : [s.plate])) };
  });
}
