import { KurentoError } from '../../shared/KurentoError.ts';

/**
 * GStreamerFilter's `command` (KMD filters.GStreamerFilter: "a gst-launch fragment"),
 * checked and adjusted on the control plane before the engine parses it.
 */

/**
 * Elements that read or write files, open network sockets or devices, or run other
 * programs: an application could use them to read the server's files or reach other
 * hosts. Kurento accepts them; Fluo refuses them unless GStreamerFilter.conf.ini says
 * `allowUnsafeElements=true` (issue 12).
 */
const UNSAFE = /^(file|multifile|splitfile|splitmux|giosrc|giosink|giostream|souphttp|curl|udp|multiudp|dynudp|tcp|multisocket|socket|rtsp|rtmp|srt|rist|ristsrc|hls|dash|shm|fd|appsrc|appsink|v4l2|alsa|pulse|jack|oss|ximage|uri|playbin|decodebin3?$|uridecodebin|urisourcebin|ipc|inter|webrtc|nice|dtls|srtp|sctp|ladspa|frei0r)/;
const UNSAFE_EXACT = new Set(['filesrc', 'filesink', 'fdsrc', 'fdsink', 'pipewiresrc', 'pipewiresink', 'autovideosink', 'autoaudiosink', 'autovideosrc', 'autoaudiosrc']);

/** Elements that work on audio: AUTODETECT makes an audio filter of a command that starts with one. */
const AUDIO_ELEMENT = /^(audio|volume|level|pitch|equalizer|scaletempo|speed|spectrum|opus|vorbis|lame|mpg123|alaw|mulaw|wavenc|wavparse|rg|removesilence|webrtcdsp|webrtcechoprobe|amr|faac|avenc_aac|voaacenc|capssetter)/;

/** The element factory names a gst-launch fragment instantiates, in order. */
export function commandElements(command: string): string[] {
  const out: string[] = [];
  for (const part of splitOutsideQuotes(command, '!')) {
    const words = part.trim().split(/\s+/).filter(Boolean);
    for (const word of words) {
      // A caps filter (`video/x-raw,...`), a property (`name=value`) or a reference to
      // a named element (`t.`, `t.src_0`) is not an element of its own.
      if (word.includes('=') || word.includes('/') || /^[\w-]+\.\S*$/.test(word) || word.startsWith('(')) continue;
      out.push(word);
      break;
    }
  }
  return out;
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let cur = '';
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === sep) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts;
}

/** Refuses an empty command, and unsafe elements unless allowed. */
export function checkCommand(command: string, allowUnsafe: boolean): void {
  if (!command.trim()) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', 'GStreamerFilter: command is empty');
  if (allowUnsafe) return;
  const bad = commandElements(command).filter((e) => UNSAFE_EXACT.has(e) || UNSAFE.test(e));
  if (bad.length) {
    throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR',
      `GStreamerFilter: ${bad.join(', ')} may read or write files or open network connections, which this server does not allow in filters (GStreamerFilter.conf.ini allowUnsafeElements)`);
  }
}

/** filterType AUTODETECT: audio when the fragment's first element works on audio, video otherwise. */
export function detectFilterType(command: string): 'AUDIO' | 'VIDEO' {
  const first = commandElements(command)[0] ?? '';
  return AUDIO_ELEMENT.test(first) ? 'AUDIO' : 'VIDEO';
}

/** GstVideoFlipMethod nicks (videoflip `method`), by value; `video-direction` takes the same values. */
const FLIP_METHODS = ['none', 'clockwise', 'rotate-180', 'counterclockwise', 'horizontal-flip', 'vertical-flip', 'upper-left-diagonal', 'upper-right-diagonal', 'automatic'];

/**
 * The value `videoflip video-direction` takes for a `method` value (nick or number).
 * Debian's GStreamer 1.22.0 ignores the deprecated `method` property that Kurento's docs
 * and users write (`videoflip method=horizontal-flip`), while `video-direction` works
 * (engine-host-notes); both enumerations number the flips alike.
 */
export function videoDirectionOf(method: string): number | undefined {
  const v = method.trim().replace(/^["']|["']$/g, '');
  const n = /^\d+$/.test(v) ? Number(v) : FLIP_METHODS.indexOf(v);
  return n >= 0 && n < FLIP_METHODS.length ? n : undefined;
}

/** The command with every `videoflip ... method=X` written as `video-direction=X`. */
export function rewriteVideoflip(command: string): string {
  return splitOutsideQuotes(command, '!').map((part) => {
    if (!/^\s*videoflip\b/.test(part)) return part;
    return part.replace(/\bmethod\s*=\s*("[^"]*"|'[^']*'|\S+)/g, (all, value: string) => {
      const n = videoDirectionOf(value);
      return n === undefined ? all : `video-direction=${n}`;
    });
  }).join('!');
}

/** The name of the command's first element, giving it one (`fluo_filter`) if the command does not. */
export function nameFirstElement(command: string): { command: string; element: string } {
  const parts = splitOutsideQuotes(command, '!');
  const first = parts[0] ?? '';
  const named = /\bname\s*=\s*("([^"]*)"|'([^']*)'|(\S+))/.exec(first);
  if (named) return { command, element: named[2] ?? named[3] ?? named[4]! };
  if (commandElements(first).length === 0) return { command, element: '' };
  parts[0] = `${first.replace(/\s+$/, '')} name=fluo_filter `;
  return { command: parts.join('!'), element: 'fluo_filter' };
}
