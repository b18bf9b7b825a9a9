/**
 * Checks of the complex-type values a client passes to the vision filters. The JSON-RPC
 * Marshaller (src/api/Marshaller.ts) already checks the KMD types on the wire; these
 * checks are what the KMD cannot say (ranges, order, unique ids) and they also guard
 * direct callers. Type faults raise MARSHALL_ERROR with the Marshaller's own wording;
 * values of the right type but out of range raise MEDIA_OBJECT_ILLEGAL_PARAM_ERROR, as
 * the endpoints of Fluo do for refused values (src/elements/UriEndpoint.ts).
 */
import { KurentoError } from '../../../shared/KurentoError.ts';

export type Fields = Readonly<Record<string, unknown>>;

export function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KurentoError('MARSHALL_ERROR', `'${what}' should be an object`);
  }
  return value as Fields;
}

export function illegal(message: string): KurentoError {
  return new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', message);
}

/** A required, non-empty String field. */
export function idField(fields: Fields, name: string, what: string): string {
  const v = fields[name];
  if (typeof v !== 'string') throw new KurentoError('MARSHALL_ERROR', `'${what}.${name}' parameter should be a String`);
  if (v.length === 0) throw illegal(`'${what}.${name}' must not be empty`);
  return v;
}

export interface NumberRule {
  /** Smallest value allowed (inclusive). */
  readonly min?: number;
  /** Largest value allowed (inclusive). */
  readonly max?: number;
  readonly integer?: boolean;
}

/** A finite number field; `fallback` makes it optional (KMD `optional` with a default). */
export function numberField(fields: Fields, name: string, what: string, rule: NumberRule, fallback?: number): number {
  const v = fields[name];
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  if (typeof v !== 'number') throw new KurentoError('MARSHALL_ERROR', `'${what}.${name}' parameter should be a number`);
  if (!Number.isFinite(v)) throw illegal(`'${what}.${name}' must be a finite number, got ${v}`);
  if (rule.integer && !Number.isInteger(v)) throw illegal(`'${what}.${name}' must be an integer, got ${v}`);
  if (rule.min !== undefined && v < rule.min) throw illegal(`'${what}.${name}' must be at least ${rule.min}, got ${v}`);
  if (rule.max !== undefined && v > rule.max) throw illegal(`'${what}.${name}' must be at most ${rule.max}, got ${v}`);
  return v;
}

/** An optional field of type `kind`, undefined when absent. */
export function optionalField<K extends 'string' | 'boolean'>(
  fields: Fields, name: string, what: string, kind: K,
): (K extends 'string' ? string : boolean) | undefined {
  const v = fields[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== kind) throw new KurentoError('MARSHALL_ERROR', `'${what}.${name}' parameter should be a ${kind === 'string' ? 'String' : 'boolean'}`);
  return v as K extends 'string' ? string : boolean;
}
