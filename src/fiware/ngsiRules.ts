/**
 * What Orion accepts (its API manual, "Field syntax restrictions"), shared by the
 * project's test broker, which enforces it, and the bridge, which keeps to it.
 */

/** Characters Orion refuses in attribute values, ids, types and names (400 BadRequest). */
export const FORBIDDEN_IN_VALUES = /[<>"'=;()]/;
/** Ids, types and attribute names: no whitespace, `&`, `?`, `/`, `#` either, 1 to 256 characters. */
const FORBIDDEN_IN_IDS = /[<>"'=;()\s&?/#]/;
export const MAX_ID_LENGTH = 256;

/** Why an id, type or attribute name is not acceptable, or undefined. */
export function badIdentifier(what: string, v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return `${what} must be a non-empty string`;
  if (v.length > MAX_ID_LENGTH) return `${what} longer than ${MAX_ID_LENGTH} characters`;
  if (FORBIDDEN_IN_IDS.test(v)) return `Invalid characters in ${what}`;
  return undefined;
}

/** Why a value (any JSON, strings checked at every depth) is not acceptable, or undefined. */
export function badValue(v: unknown): string | undefined {
  if (typeof v === 'string') return FORBIDDEN_IN_VALUES.test(v) ? 'Invalid characters in attribute value' : undefined;
  if (Array.isArray(v)) {
    for (const x of v) {
      const why = badValue(x);
      if (why) return why;
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const why = badValue(k) ?? badValue(x);
      if (why) return why;
    }
  }
  return undefined;
}

/** The type Orion gives an attribute sent without one (API manual, "Special attribute types"). */
export function inferredType(v: unknown): string {
  if (typeof v === 'string') return 'Text';
  if (typeof v === 'number') return 'Number';
  if (typeof v === 'boolean') return 'Boolean';
  if (v === null) return 'None';
  return 'StructuredValue';
}

/**
 * A string value made acceptable to Orion without losing it: each forbidden character,
 * and `%` itself, percent-encoded (decodeURIComponent gives the original back). A QR
 * code's URL (`?a=b`) or a plate read with a stray quote must still reach the broker.
 */
export function escapeValue(s: string): string {
  return s.replace(/[<>"'=;()%]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** `escapeValue` through a JSON value: every string, keys included. */
export function escapeDeep(v: unknown): unknown {
  if (typeof v === 'string') return escapeValue(v);
  if (Array.isArray(v)) return v.map(escapeDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [escapeValue(k), escapeDeep(x)]));
  return v;
}

/** An id or name part made acceptable: forbidden characters become `_` (ids need not round-trip). */
export function safeIdPart(s: string): string {
  return s.replace(/[<>"'=;()\s&?/#%]/g, '_').slice(0, 100);
}
