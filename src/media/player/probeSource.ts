import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { KurentoError } from '../../shared/KurentoError.ts';

/** How long probing a source may take before it counts as unreachable (ms). */
const PROBE_TIMEOUT_MS = 8000;

/** One track of a source, as ffprobe names it (`vp8`, `h264`, `aac`, ...). */
export interface SourceTrack {
  readonly codec: string;
  /** H.264: ffprobe's profile name (`Constrained Baseline`, `High`, ...) and level (31 = 3.1). */
  readonly profile?: string;
  readonly level?: number;
}

/** What a PlayerEndpoint learns about its URI before it builds the engine bin. */
export interface SourceInfo {
  readonly video?: SourceTrack;
  readonly audio?: SourceTrack;
  /** Known duration (ms); null for live sources. */
  readonly durationMs: number | null;
  /** Whether the source can seek: files, HTTP servers that honour Range requests (RFC 9110 §14); never RTSP here. */
  readonly seekable: boolean;
  /** A live source (RTSP): its timestamps follow the clock, a pause does not hold it back. */
  readonly live: boolean;
}

/**
 * Looks at a player's URI before anything is built, so a missing file, a 404, an
 * unreachable RTSP server or a file that is not media is an error naming the URI
 * (Kurento raises `Error`), and so the engine bin has exactly one branch per track
 * with the formats known (`produces`). ffprobe (Debian's ffmpeg, installed with the
 * engine) reads the streams; HTTP sources are also asked for one byte with a Range
 * request: a server that answers 200 instead of 206 cannot seek (the non-seekable mode).
 */
export async function probeSource(uri: string): Promise<SourceInfo> {
  const url = new URL(uri);
  const shown = redact(url);
  let seekable = false;
  const live = url.protocol === 'rtsp:' || url.protocol === 'rtsps:';
  if (url.protocol === 'file:') {
    const path = fileURLToPath(url);
    await access(path, constants.R_OK).catch((err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'the file does not exist' : err.code === 'EACCES' ? 'permission denied' : err.message;
      throw new KurentoError('URI_PATH_FILE_NOT_FOUND', `Cannot play ${shown}: ${why}`);
    });
    seekable = true;
  } else if (url.protocol === 'http:' || url.protocol === 'https:') {
    seekable = await rangeSupported(url, shown);
  }
  const json = await ffprobe(uri, live).catch((err: Error) => {
    throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `Cannot play ${shown}: ${err.message}`);
  });
  const streams = Array.isArray(json.streams) ? json.streams as Array<Record<string, unknown>> : [];
  const track = (type: string): SourceTrack | undefined => {
    const s = streams.find((x) => x.codec_type === type && typeof x.codec_name === 'string');
    if (!s) return undefined;
    return { codec: String(s.codec_name), ...(typeof s.profile === 'string' ? { profile: s.profile } : {}), ...(typeof s.level === 'number' ? { level: s.level } : {}) };
  };
  const video = track('video');
  const audio = track('audio');
  if (!video && !audio) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `Cannot play ${shown}: it holds no audio or video`);
  const seconds = Number((json.format as Record<string, unknown> | undefined)?.duration);
  return { ...(video ? { video } : {}), ...(audio ? { audio } : {}), durationMs: live || !Number.isFinite(seconds) ? null : Math.round(seconds * 1000), seekable, live };
}

/** The URI without its password, for messages. */
export function redact(url: URL): string {
  if (!url.password) return url.href;
  const u = new URL(url.href);
  u.password = '***';
  return u.href;
}

function ffprobe(uri: string, live: boolean): Promise<Record<string, unknown>> {
  // RTSP over TCP: one connection, no UDP ports to open for a probe (RFC 2326 §10.12).
  const args = ['-v', 'error', ...(live ? ['-rtsp_transport', 'tcp', '-timeout', String(PROBE_TIMEOUT_MS * 1000)] : []),
    '-show_entries', 'format=duration:stream=codec_type,codec_name,profile,level', '-of', 'json', uri];
  return new Promise((resolve, reject) => {
    execFile('ffprobe', args, { timeout: PROBE_TIMEOUT_MS, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const line = stderr.trim().split('\n').pop()?.replace(/^.*?: /, '') ?? '';
        reject(new Error(err.killed ? `no answer within ${PROBE_TIMEOUT_MS} ms` : line || err.message));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as Record<string, unknown>);
      } catch {
        reject(new Error('it is not a media file'));
      }
    });
  });
}

/** Asks for the first byte: 206 means the server seeks; 200 means it ignores Range; anything else is an error. */
function rangeSupported(url: URL, shown: string): Promise<boolean> {
  const get = url.protocol === 'https:' ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: { range: 'bytes=0-0' }, timeout: PROBE_TIMEOUT_MS }, (res) => {
      const status = res.statusCode ?? 0;
      res.destroy();
      if (status === 206) resolve(true);
      // A redirect is followed by the engine's source (and ffprobe); where it leads is not asked again: not offered as seekable.
      else if (status === 200 || (status >= 300 && status < 400)) resolve(false);
      else reject(new KurentoError('URI_PATH_FILE_NOT_FOUND', `Cannot play ${shown}: the server answered HTTP ${status} ${res.statusMessage ?? ''}`.trim()));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)));
    req.on('error', (err) => reject(new KurentoError('URI_PATH_FILE_NOT_FOUND', `Cannot play ${shown}: ${err.message}`)));
  });
}
