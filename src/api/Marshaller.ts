import { KurentoError } from '../shared/KurentoError.ts';
import type { ApiRegistry } from './ApiRegistry.ts';
import type { JsonValue, ParamDef, TypeRef } from './types.ts';

/** A live remote object as the Marshaller sees it. */
export interface ObjectRef {
  readonly id: string;
  /** Unqualified KMD class name. */
  readonly typeName: string;
}

export interface ObjectResolver {
  resolve(id: string): ObjectRef | undefined;
}

/** Nesting deeper than this is refused: no Kurento type nests more than a few levels. */
const MAX_DEPTH = 32;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isRef(v: unknown): v is ObjectRef {
  return typeof v === 'object' && v !== null && typeof (v as ObjectRef).id === 'string' && typeof (v as ObjectRef).typeName === 'string';
}

/**
 * Wire JSON <-> typed values, per KMD type. Inbound: validate, apply defaults, resolve
 * object ids to live objects. Outbound: objects become ids, complex values carry
 * `__module__`/`__type__` as KMS sends them. Messages follow KMS's generated code
 * ("'<name>' parameter should be a <type>", conformance notes a.8).
 */
export class Marshaller {
  readonly #api: ApiRegistry;

  constructor(api: ApiRegistry) {
    this.#api = api;
  }

  unmarshalParams(defs: readonly ParamDef[], given: unknown, resolver: ObjectResolver, what: 'constructorParams' | 'operationParams'): Record<string, unknown> {
    if (given === undefined || given === null) {
      const required = defs.find((d) => !d.optional && d.defaultValue === undefined);
      if (required) throw new KurentoError('MARSHALL_ERROR', `'${what}' is required`);
      given = {};
    }
    if (!isRecord(given)) throw new KurentoError('MARSHALL_ERROR', `'${what}' should be an object`);
    const out: Record<string, unknown> = {};
    for (const d of defs) {
      const v = given[d.name];
      if (v === undefined || (v === null && d.optional)) {
        if (d.defaultValue !== undefined) out[d.name] = this.unmarshal(d.type, d.defaultValue, d.name, resolver);
        else if (!d.optional) throw new KurentoError('MARSHALL_ERROR', `'${d.name}' parameter should be a ${d.type}`);
        continue;
      }
      out[d.name] = this.unmarshal(d.type, v, d.name, resolver);
    }
    return out;
  }

  unmarshal(type: TypeRef, value: unknown, paramName: string, resolver: ObjectResolver, depth = 0): unknown {
    const fail = (): never => { throw new KurentoError('MARSHALL_ERROR', `'${paramName}' parameter should be a ${type}`); };
    if (depth > MAX_DEPTH) throw new KurentoError('MARSHALL_ERROR', `'${paramName}' parameter is nested too deeply`);
    if (type.endsWith('[]')) {
      if (!Array.isArray(value)) return fail();
      const inner = type.slice(0, -2);
      return value.map((v, i) => this.unmarshal(inner, v, `${paramName}[${i}]`, resolver, depth + 1));
    }
    if (type.endsWith('<>')) {
      if (!isRecord(value)) return fail();
      const inner = type.slice(0, -2);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.unmarshal(inner, v, `${paramName}.${k}`, resolver, depth + 1);
      return out;
    }
    switch (type) {
      case 'String': return typeof value === 'string' ? value : fail();
      case 'boolean': return typeof value === 'boolean' ? value : fail();
      case 'int': return typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX ? value : fail();
      case 'int64': return typeof value === 'number' && Number.isInteger(value) ? value : fail();
      case 'float':
      case 'double': return typeof value === 'number' && Number.isFinite(value) ? value : fail();
    }
    const complex = this.#api.getComplexType(type);
    if (complex?.kind === 'enum') {
      if (typeof value !== 'string' || !complex.values.includes(value)) {
        throw new KurentoError('MARSHALL_ERROR', `'${paramName}' parameter should be a ${type} (one of ${complex.values.join(', ')})`);
      }
      return value;
    }
    if (complex?.kind === 'register') {
      if (!isRecord(value)) return fail();
      let actual = type;
      if (typeof value.__type__ === 'string' && value.__type__ !== type) {
        if (!this.#api.typeExtends(value.__type__, type)) return fail();
        actual = value.__type__;
      }
      const out: Record<string, unknown> = {};
      for (const p of this.#api.typeProperties(actual)) {
        const v = value[p.name];
        if (v === undefined || v === null) {
          if (p.defaultValue !== undefined) out[p.name] = p.defaultValue;
          else if (!p.optional && !p.legacy) throw new KurentoError('MARSHALL_ERROR', `'${paramName}.${p.name}' parameter should be a ${p.type}`);
          continue;
        }
        out[p.name] = this.unmarshal(p.type, v, `${paramName}.${p.name}`, resolver, depth + 1);
      }
      if (actual !== type) out.__type__ = actual;
      return out;
    }
    if (this.#api.getClass(type)) {
      // kurento-client's promise form sends an awaited object whole (its fields, with
      // `id`) where a reference is expected: its `id` is the reference.
      if (isRecord(value) && typeof value.id === 'string') value = value.id;
      if (typeof value !== 'string') return fail();
      const obj = resolver.resolve(value);
      if (!obj) {
        if (value.startsWith('newref:')) {
          throw new KurentoError('MEDIA_OBJECT_NOT_FOUND_TRANSACTION_NO_COMMIT', `Object '${value}' not found: 'newref:' references are only valid inside a transaction`);
        }
        throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Object '${value}' not found`);
      }
      if (!this.#api.isA(obj.typeName, type)) return fail();
      return obj;
    }
    throw new KurentoError('MARSHALL_ERROR', `'${paramName}' has an unknown type ${type}`);
  }

  marshal(type: TypeRef, value: unknown, depth = 0): JsonValue {
    if (value === undefined || value === null) return null;
    if (depth > MAX_DEPTH) return null;
    if (type.endsWith('[]')) {
      const inner = type.slice(0, -2);
      return Array.isArray(value) ? value.map((v) => this.marshal(inner, v, depth + 1)) : [];
    }
    if (type.endsWith('<>')) {
      const inner = type.slice(0, -2);
      const out: Record<string, JsonValue> = {};
      if (isRecord(value)) for (const [k, v] of Object.entries(value)) out[k] = this.marshal(inner, v, depth + 1);
      return out;
    }
    if (isRef(value)) return value.id;
    switch (type) {
      case 'String': return String(value);
      case 'boolean': return Boolean(value);
      case 'int':
      case 'int64':
      case 'float':
      case 'double': return typeof value === 'number' && Number.isFinite(value) ? value : 0;
    }
    const complex = this.#api.getComplexType(type);
    if (complex?.kind === 'enum') return String(value);
    if (complex?.kind === 'register' && isRecord(value)) {
      const actual = typeof value.__type__ === 'string' && this.#api.typeExtends(value.__type__, type) ? value.__type__ : type;
      const def = this.#api.getComplexType(actual)!;
      const out: Record<string, JsonValue> = {};
      for (const p of this.#api.typeProperties(actual)) {
        if (value[p.name] !== undefined) out[p.name] = this.marshal(p.type, value[p.name], depth + 1);
      }
      // Stats may carry Fluo's own scalar counters beside Kurento's fields (documented
      // in docs/architecture.md); kurento-client ignores fields it does not know.
      if (this.#api.typeExtends(actual, 'Stats')) {
        for (const [k, v] of Object.entries(value)) {
          if (!(k in out) && !k.startsWith('__') && (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')) out[k] = v;
        }
      }
      out.__module__ = this.#api.moduleQualifier(def.module);
      out.__type__ = actual;
      return out;
    }
    return typeof value === 'object' ? null : (value as JsonValue);
  }
}
