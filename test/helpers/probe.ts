import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ProbedStream {
  codec: string;
  type: 'video' | 'audio' | string;
  width?: number;
  height?: number;
  /** Frames (video) or packets (audio) ffprobe counted by decoding. */
  frames: number;
}

export interface Probed {
  format: string;
  /** Container duration in seconds (NaN when the file does not say). */
  duration: number;
  streams: ProbedStream[];
}

/** ffprobe of a media file, decoding it to count frames (-count_frames). */
export async function probe(path: string): Promise<Probed> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-show_format', '-show_streams', '-of', 'json', path], { maxBuffer: 16 << 20 });
  const j = JSON.parse(stdout) as {
    format?: { format_name?: string; duration?: string };
    streams?: Array<{ codec_name?: string; codec_type?: string; width?: number; height?: number; nb_read_frames?: string }>;
  };
  return {
    format: j.format?.format_name ?? '',
    duration: Number(j.format?.duration ?? NaN),
    streams: (j.streams ?? []).map((s) => ({
      codec: s.codec_name ?? '', type: s.codec_type ?? '', width: s.width, height: s.height, frames: Number(s.nb_read_frames ?? 0),
    })),
  };
}

/**
 * Decodes a whole file with ffmpeg and returns the errors of its demuxer and decoders
 * (empty: it decodes cleanly). The null muxer's own complaints about two frames of a
 * live source landing on one output tick are left out: they are about ffmpeg's output,
 * not about the file.
 */
export async function decodeErrors(path: string): Promise<string[]> {
  const { stderr } = await run('ffmpeg', ['-v', 'error', '-i', path, '-f', 'null', '-'], { maxBuffer: 16 << 20 }).catch((e: { stderr?: string }) => ({ stderr: e.stderr ?? String(e) }));
  return stderr.split('\n').filter((l) => l && !l.startsWith('[null @'));
}

/** The time of the last decodable frame of a stream (seconds), from its packets. */
export async function lastTimestamp(path: string, stream: 'v' | 'a'): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', `${stream}:0`, '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', path], { maxBuffer: 64 << 20 });
  const times = stdout.split('\n').map(Number).filter((t) => Number.isFinite(t));
  return times.length ? Math.max(...times) : NaN;
}

/**
 * When the picture turns bright (mean luma crossing mid-grey upwards), in seconds of the
 * file's timeline: the flashes of a `flashes` publisher (wrtcPeer.ts).
 */
export async function flashTimes(path: string): Promise<number[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', path, '-an', '-vf', 'signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-', '-f', 'null', '-'], { maxBuffer: 64 << 20 });
  const out: number[] = [];
  let t = NaN;
  let bright = false;
  for (const line of stdout.split('\n')) {
    const pts = /pts_time:([\d.]+)/.exec(line);
    if (pts) t = Number(pts[1]);
    const y = /YAVG=([\d.]+)/.exec(line);
    if (!y) continue;
    const now = Number(y[1]) > 128;
    if (now && !bright) out.push(t);
    bright = now;
  }
  return out;
}

/** When sound starts after silence (ffmpeg silencedetect's ends of silence), in seconds: the beeps of a `flashes` publisher. */
export async function beepTimes(path: string): Promise<number[]> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', path, '-vn', '-af', 'silencedetect=n=-30dB:d=0.05,ametadata=print:key=lavfi.silence_end:file=-', '-f', 'null', '-'], { maxBuffer: 16 << 20 });
  return [...stdout.matchAll(/silence_end=([\d.]+)/g)].map((m) => Number(m[1]));
}

/** Each decoded video frame's size, `WxH`, in order. */
export async function frameSizes(path: string): Promise<string[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=width,height', '-of', 'csv=p=0', path], { maxBuffer: 64 << 20 });
  return stdout.split('\n').map((l) => l.split(',').filter(Boolean)).filter((f) => f.length === 2).map(([w, h]) => `${w}x${h}`);
}
