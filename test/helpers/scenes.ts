import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Test scenes for the detector filters, made at test time with qrencode and ffmpeg
 * (VP8 WebM, 640x480@30, a keyframe every second).
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

/** The green of the green-screen scenes, and the colour of the subject in front of it. */
export const GREEN = { r: 0x20, g: 0xc0, b: 0x40 };
export const SUBJECT = { r: 0xd0, g: 0x20, b: 0x60 };

/**
 * A green screen: uniform GREEN with a SUBJECT square (200x200, moving slowly left and
 * right around the centre), 640x480@30. `webm`: VP8 for a PlayerEndpoint; `y4m`: a
 * fake camera for Chromium (--use-file-for-fake-video-capture).
 */
export function greenScreen(dir: string, seconds: number, kind: 'webm' | 'y4m' = 'webm'): string {
  const hex = (c: { r: number; g: number; b: number }): string => `0x${((c.r << 16) | (c.g << 8) | c.b).toString(16).padStart(6, '0')}`;
  const out = join(dir, `green.${kind}`);
  const scene = `color=c=${hex(GREEN)}:s=640x480:r=30:d=${seconds},drawbox=x=220+20*sin(t):y=140:w=200:h=200:color=${hex(SUBJECT)}:t=fill,format=yuv420p`;
  const codec = kind === 'webm' ? ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', '-b:v', '1M'] : ['-f', 'yuv4mpegpipe'];
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', scene, ...codec, out]);
  return out;
}

/** A still PNG (320x240): left half `left`, right half `right` (tells a stretched image from a tiled one). */
export function twoColourPng(dir: string, name: string, left: string, right: string): string {
  const out = join(dir, `${name}.png`);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `color=c=${right}:s=320x240,drawbox=x=0:y=0:w=160:h=240:color=${left}:t=fill`, '-frames:v', '1', out]);
  return out;
}

/** The RGB picture `fromEnd` seconds before the end of a video file, and its size. */
export function frameRgb(file: string, fromEnd = 0.5): { width: number; height: number; at: (x: number, y: number) => { r: number; g: number; b: number } } {
  const info = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file]).toString().trim();
  const [width, height] = info.split(',').map(Number) as [number, number];
  const rgb = execFileSync('ffmpeg', ['-v', 'error', '-sseof', String(-fromEnd), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 64 << 20 });
  return { width, height, at: (x, y) => ({ r: rgb[(y * width + x) * 3]!, g: rgb[(y * width + x) * 3 + 1]!, b: rgb[(y * width + x) * 3 + 2]! }) };
}
