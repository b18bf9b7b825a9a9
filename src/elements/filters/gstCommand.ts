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

/**
 * gst-launch's tokens: quoted strings kept whole (quotes included), `!`, `(` and `)`
 * on their own, everything else split on white space (gst-launch-1.0(1), "Pipeline
 * description").
 */
function tokens(command: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  const flush = (): void => {
    if (cur) out.push(cur);
    cur = '';
  };
  for (const ch of command) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
    } else if (/\s/.test(ch)) flush();
    else if (ch === '!' || ch === '(' || ch === ')') {
      flush();
      out.push(ch);
    } else cur += ch;
  }
  flush();
  return out;
}

/** `scheme://...`: gst-launch makes the URI's handler element (a file or network source) of such a word. */
const URI = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Every element a gst-launch fragment instantiates, in order: each word that is not a
 * property (`name=value`), a caps filter (`video/x-raw,...`) or a reference to a named
 * element or its pad (`t.`, `t.src_0`), wherever it stands: after `!`, after another
 * element's properties (a second chain: `a name=x filesink ... x.`), or as a bin's type
 * (`bin.( ... )`). A URI word stands for its handler and is returned as written.
 */
export function commandElements(command: string): string[] {
  const out: string[] = [];
  const t = tokens(command);
  for (let i = 0; i < t.length; i++) {
    const word = t[i]!;
    if (word === '!' || word === '(' || word === ')' || word.startsWith('"') || word.startsWith("'")) continue;
    if (URI.test(word)) {
      out.push(word);
      continue;
    }
    // `type.(`: a bin of factory `type` around what the brackets hold.
    if (/^[\w-]+\.$/.test(word) && t[i + 1] === '(') {
      out.push(word.slice(0, -1));
      continue;
    }
    if (word.includes('=') || word.includes('/') || word.includes('.')) continue;
    out.push(word);
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

/**
 * The unsafe factories as one regular expression (source text) for the engine, which
 * checks every element of the parsed bin against it (addBin `refuseFactories`): what
 * this module's reading of the command might miss, the engine's parse does not.
 */
export function unsafeFactoryPattern(): string {
  return `^(?:${[...UNSAFE_EXACT].join('|')})$|${UNSAFE.source}`;
}

/**
 * Properties that name a file, a device or a URI on otherwise harmless elements
 * (vp8enc and x264enc `multipass-cache-file` write one, gdkpixbufoverlay `location`
 * reads one): refused with the unsafe elements, in the command and in
 * setElementProperty.
 */
const UNSAFE_PROPERTY = /(?:^|-)(?:location|file|filename|uri|device|path|dir|directory)$/;

/** The property names a fragment sets (`key=value`, `child::key=value`), outside quotes and caps. */
function commandProperties(command: string): string[] {
  return tokens(command)
    .filter((w) => !w.startsWith('"') && !w.startsWith("'") && /^[\w:-]+=/.test(w) && !w.slice(0, w.indexOf('=')).includes('/'))
    .map((w) => w.slice(0, w.indexOf('=')).split('::').pop()!);
}

/** Whether setting `name` may read or write a file or reach a device or URL (see UNSAFE_PROPERTY). */
export function unsafeProperty(name: string): boolean {
  return UNSAFE_PROPERTY.test(name.split('::').pop()!.trim());
}

/** Refuses an empty command, and unsafe elements unless allowed. */
export function checkCommand(command: string, allowUnsafe: boolean): void {
  if (!command.trim()) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', 'GStreamerFilter: command is empty');
  if (allowUnsafe) return;
  const bad = [
    ...commandElements(command).filter((e) => URI.test(e) || UNSAFE_EXACT.has(e) || UNSAFE.test(e)),
    ...commandProperties(command).filter(unsafeProperty).map((p) => `the property ${p}`),
  ];
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
