import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * What filterMedia.ts's scenes do not give, made at test time with qrencode and ffmpeg:
 * a clip showing several QR codes one after the other (VP8 WebM, 640x480@30, a keyframe
 * every second), and two-colour images (a stretched image told from a tiled one).
 */

/** One code shown centred on white from `from` to `to` seconds. */
export interface QrShow { text: string; from: number; to: number }

/** A white clip `seconds` long showing each code in turn (QR, qrencode's defaults plus 6-pixel modules). */
export function qrClip(dir: string, name: string, seconds: number, shows: readonly QrShow[]): string {
  const inputs: string[] = [];
  let graph = '[0]null[v0]';
  shows.forEach((s, i) => {
    const png = join(dir, `${name}-${i}.png`);
    execFileSync('qrencode', ['-o', png, '-s', '6', '-m', '4', s.text]);
    inputs.push('-loop', '1', '-i', png);
    graph += `;[v${i}][${i + 1}]overlay=(W-w)/2:(H-h)/2:enable='between(t,${s.from},${s.to})'[v${i + 1}]`;
  });
  graph += `;[v${shows.length}]format=yuv420p[out]`;
  const out = join(dir, `${name}.webm`);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `color=white:s=640x480:r=30:d=${seconds}`, ...inputs,
    '-filter_complex', graph, '-map', '[out]', '-t', String(seconds), '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', '-b:v', '800k', out]);
  return out;
}

/** A still PNG (320x240): left half `left`, right half `right` (tells a stretched image from a tiled one). */
export function twoColourPng(dir: string, name: string, left: string, right: string): string {
  const out = join(dir, `${name}.png`);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `color=c=${right}:s=320x240,drawbox=x=0:y=0:w=160:h=240:color=${left}:t=fill`, '-frames:v', '1', out]);
  return out;
}
