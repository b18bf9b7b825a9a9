/**
 * GStreamer's debug threshold list, the syntax of `GST_DEBUG` and `--gst-debug` that
 * Kurento users already know (Kurento docs, "Debug Logging"; GStreamer docs, "Running
 * GStreamer Applications"): a comma-separated list whose items are either
 *
 * - `LEVEL`: the default threshold for every category, or
 * - `PATTERN:LEVEL`: the threshold of the categories matching PATTERN, where `*` matches
 *   any run of characters (`Kurento*`, `*rtpendpoint`, `*`).
 *
 * LEVEL is a number 0..9 or a level name. For a category, the last matching item wins,
 * as in GStreamer (its list is applied in order, later patterns overriding earlier ones).
 */

/** GStreamer's levels (GstDebugLevel). 8 has no name; MEMDUMP is 9 in GStreamer. */
export const Level = {
  NONE: 0,
  ERROR: 1,
  WARNING: 2,
  FIXME: 3,
  INFO: 4,
  DEBUG: 5,
  LOG: 6,
  TRACE: 7,
  MEMDUMP: 9,
} as const;
export type LevelName = keyof typeof Level;

/**
 * The threshold Kurento's packages set (Kurento docs, "Suggested levels": "the default
 * suggested level is what KMS sets automatically when it is started as a system
 * service"). Fluo uses it when neither GST_DEBUG nor a --gst-debug* flag is given.
 */
export const DEFAULT_SPEC = '3,Kurento*:4,kms*:4,sdp*:4,webrtc*:4,*rtpendpoint:4,rtp*handler:4,rtpsynchronizer:4,agnosticbin:4';

export interface DebugRule {
  readonly pattern: string;
  readonly regex: RegExp;
  readonly level: number;
}

export interface DebugSpec {
  readonly defaultLevel: number;
  readonly rules: readonly DebugRule[];
  /** Items that could not be read, with the reason; GStreamer skips them, and so does the logger. */
  readonly errors: readonly string[];
}

/** Reads a level: a number 0..9 or a name (any case; WARN is accepted for WARNING). */
export function parseLevel(text: string): number | undefined {
  const t = text.trim().toUpperCase();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n <= 9 ? n : undefined;
  }
  const name = (t === 'WARN' ? 'WARNING' : t) as LevelName;
  return Object.hasOwn(Level, name) ? Level[name] : undefined;
}

/** The name printed for a level (GStreamer prints levels 8 as "8"). */
export function levelName(level: number): string {
  for (const [name, value] of Object.entries(Level)) if (value === level) return name;
  return String(level);
}

export function parseDebugSpec(spec: string): DebugSpec {
  let defaultLevel = 0;
  const rules: DebugRule[] = [];
  const errors: string[] = [];
  for (const raw of spec.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const colon = item.lastIndexOf(':');
    const levelText = colon < 0 ? item : item.slice(colon + 1);
    const level = parseLevel(levelText);
    if (level === undefined) {
      errors.push(`'${item}': '${levelText}' is not a level (0..9 or NONE, ERROR, WARNING, FIXME, INFO, DEBUG, LOG, TRACE, MEMDUMP)`);
      continue;
    }
    if (colon < 0) {
      defaultLevel = level;
      continue;
    }
    const pattern = item.slice(0, colon).trim();
    if (!pattern) {
      errors.push(`'${item}': missing category name before ':'`);
      continue;
    }
    rules.push({ pattern, regex: globToRegExp(pattern), level });
  }
  return { defaultLevel, rules, errors };
}

/** The threshold of one category under a spec: the last matching rule, else the default. */
export function levelFor(category: string, spec: Pick<DebugSpec, 'defaultLevel' | 'rules'>): number {
  for (let i = spec.rules.length - 1; i >= 0; i--) {
    const rule = spec.rules[i]!;
    if (rule.regex.test(category)) return rule.level;
  }
  return spec.defaultLevel;
}

/** `*` is the only wildcard in GStreamer patterns (it uses g_pattern_match_simple, which also has `?`). */
function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}
