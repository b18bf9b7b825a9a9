import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Frame size and rate of every filter test scene (Kurento's tutorials use VGA). */
export const SCENE = { width: 640, height: 480, fps: 30 } as const;

/** A rendered scene: the same picture as a WebM and, on demand, as a Y4M. */
export interface Scene {
  /** VP8 + Opus, a keyframe every second: for a PlayerEndpoint or a gst RTP sender. */
  webm: string;
  /**
   * I420 YUV4MPEG2 for Chromium's --use-file-for-fake-video-capture (which loops it),
   * rendered on the first call: raw frames weigh 460 kB each, and most tests never ask.
   */
  y4m(): string;
  seconds: number;
  y4mSeconds: number;
}

export interface SceneSpec {
  /** File stem inside the folder: `<name>.webm`, `<name>.y4m`. */
  name: string;
  seconds: number;
  /** The Y4M's length: a still scene needs little of it. */
  y4mSeconds?: number;
  /** ffmpeg input arguments (`-loop 1 -i picture.png` ...), numbered from 0 in `filter`. */
  inputs?: string[];
  /** An ffmpeg filtergraph that ends with the label `[v]`: the 640x480 picture. */
  filter: string;
}

/**
 * Runs ffmpeg on the scene's inputs (and `extraInputs` after them), its `[v]` made
 * 30 fps in `format` and mapped first, then the `output` arguments.
 */
function ffmpeg(spec: SceneSpec, extraInputs: string[], output: string[], format = 'yuv420p'): void {
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', ...(spec.inputs ?? []), ...extraInputs,
    '-filter_complex', `${spec.filter};[v]fps=${SCENE.fps},format=${format}[out]`, '-map', '[out]', ...output,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Renders a scene's WebM now and its Y4M when first asked. Also the hook for scenes
 * written elsewhere (test/helpers/plateScene.ts): give it a filtergraph and get the same
 * encoding as every other scene. VP8 at realtime speed, cpu-used 8 keeps a scene to a
 * few seconds on two cores; a fixed GOP of one second lets a late receiver start soon.
 */
export function renderScene(dir: string, spec: SceneSpec): Scene {
  const webm = join(dir, `${spec.name}.webm`);
  const audioInput = (spec.inputs ?? []).filter((a) => a === '-i').length;
  ffmpeg(spec, ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'], [
    '-map', `${audioInput}:a`, '-t', String(spec.seconds),
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '2M', '-qmin', '4', '-qmax', '40',
    '-g', String(SCENE.fps), '-keyint_min', String(SCENE.fps), '-c:a', 'libopus', '-ac', '2', webm,
  ]);
  const y4mSeconds = Math.min(spec.y4mSeconds ?? spec.seconds, spec.seconds);
  let y4m: string | undefined;
  return {
    webm, seconds: spec.seconds, y4mSeconds,
    y4m: () => {
      if (y4m) return y4m;
      const file = join(dir, `${spec.name}.y4m`);
      ffmpeg(spec, [], ['-t', String(y4mSeconds), '-f', 'yuv4mpegpipe', file]);
      return (y4m = file);
    },
  };
}

/**
 * The scene's lossless picture at `atSeconds` as a PNG: the reference a test compares
 * decoded frames with, and what a detector is run on to learn where things are.
 */
export function stillOf(dir: string, spec: SceneSpec, atSeconds: number, file: string): string {
  const png = join(dir, file);
  ffmpeg(spec, [], ['-ss', String(atSeconds), '-frames:v', '1', png], 'rgb24');
  return png;
}
