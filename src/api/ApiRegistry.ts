import { KurentoError } from '../shared/KurentoError.ts';
import type {
  ComplexTypeDef, EventDef, JsonValue, MethodDef, ModuleDef, ParamDef, PropertyDef, RemoteClassDef,
} from './types.ts';

export type Operation =
  | { kind: 'method'; def: MethodDef; owner: string }
  | { kind: 'get'; prop: { def: PropertyDef; owner: string } }
  | { kind: 'set'; prop: { def: PropertyDef; owner: string } };

/** Modules whose types are qualified `kurento.` (Kurento's core, elements, filters). */
const KURENTO_MODULES = new Set(['core', 'elements', 'filters']);

/**
 * The one registry of the declared API. Lookups walk the class hierarchy; results are
 * cached because `invoke` asks on every call.
 */
export class ApiRegistry {
  readonly #modules: readonly ModuleDef[];
  readonly #classes = new Map<string, RemoteClassDef>();
  readonly #types = new Map<string, ComplexTypeDef>();
  readonly #events = new Map<string, EventDef>();
  readonly #aliases = new Map<string, string[]>();
  readonly #opCache = new Map<string, Operation | null>();
  readonly #propsCache = new Map<string, Array<{ def: PropertyDef; owner: string }>>();
  readonly #eventPropsCache = new Map<string, ParamDef[]>();

  constructor(modules: readonly ModuleDef[]) {
    this.#modules = modules;
    for (const mod of modules) {
      for (const c of mod.remoteClasses) {
        this.#classes.set(c.name, c);
        this.#classes.set(`${this.#qualifier(mod.name)}.${c.name}`, c);
      }
      for (const t of mod.complexTypes) this.#types.set(t.name, t);
      for (const e of mod.events) {
        this.#events.set(e.name, e);
        if (e.aliasOf) this.#aliases.set(e.aliasOf, [...(this.#aliases.get(e.aliasOf) ?? []), e.name]);
      }
    }
  }

  #qualifier(module: string): string {
    return KURENTO_MODULES.has(module) ? 'kurento' : module;
  }

  modules(): readonly ModuleDef[] {
    return this.#modules;
  }

  getModule(name: string): ModuleDef | undefined {
    return this.#modules.find((m) => m.name === name);
  }

  getClass(typeName: string): RemoteClassDef | undefined {
    return this.#classes.get(typeName);
  }

  /** `kurento.WebRtcEndpoint`, `chroma.ChromaFilter`. */
  qualifiedName(className: string): string {
    const c = this.#classes.get(className);
    return c ? `${this.#qualifier(c.module)}.${c.name}` : className;
  }

  /** Module qualifier used on the wire (`__module__`, object ids). */
  moduleQualifier(moduleName: string): string {
    return this.#qualifier(moduleName);
  }

  /** Qualified ancestors, nearest first, own type excluded. */
  hierarchy(className: string): string[] {
    const out: string[] = [];
    let c = this.#classes.get(className);
    while (c?.extends) {
      c = this.#classes.get(c.extends);
      if (c) out.push(this.qualifiedName(c.name));
    }
    return out;
  }

  isA(className: string, ancestor: string): boolean {
    let c = this.#classes.get(className);
    const target = this.#classes.get(ancestor)?.name ?? ancestor;
    while (c) {
      if (c.name === target) return true;
      c = c.extends ? this.#classes.get(c.extends) : undefined;
    }
    return false;
  }

  #chain(className: string): RemoteClassDef[] {
    const out: RemoteClassDef[] = [];
    let c = this.#classes.get(className);
    while (c) {
      out.push(c);
      c = c.extends ? this.#classes.get(c.extends) : undefined;
    }
    return out;
  }

  findMethod(className: string, operation: string): { def: MethodDef; owner: string } | undefined {
    for (const c of this.#chain(className)) {
      const def = c.methods.find((m) => m.name === operation);
      if (def) return { def, owner: c.name };
    }
    return undefined;
  }

  findProperty(className: string, propName: string): { def: PropertyDef; owner: string } | undefined {
    return this.allProperties(className).find((p) => p.def.name === propName);
  }

  allProperties(className: string): Array<{ def: PropertyDef; owner: string }> {
    let cached = this.#propsCache.get(className);
    if (!cached) {
      cached = this.#chain(className).flatMap((c) => c.properties.map((def) => ({ def, owner: c.name })));
      this.#propsCache.set(className, cached);
    }
    return cached;
  }

  /**
   * What an `invoke` operation is: a declared method, or `get<Prop>`/`set<Prop>` of a
   * property (Kurento's accessor naming; `set` only for writable properties).
   */
  resolveOperation(className: string, operation: string): Operation | undefined {
    const key = `${className}\u0000${operation}`;
    let op = this.#opCache.get(key);
    if (op === undefined) {
      op = this.#resolve(className, operation) ?? null;
      this.#opCache.set(key, op);
    }
    return op ?? undefined;
  }

  #resolve(className: string, operation: string): Operation | undefined {
    const method = this.findMethod(className, operation);
    if (method) return { kind: 'method', ...method };
    const m = /^(get|set)(.+)$/.exec(operation);
    if (!m) return undefined;
    const rest = m[2]!;
    const prop = this.findProperty(className, rest[0]!.toLowerCase() + rest.slice(1)) ?? this.findProperty(className, rest);
    if (!prop) return undefined;
    if (m[1] === 'get') return { kind: 'get', prop };
    if (prop.def.readOnly || prop.def.final) return undefined;
    return { kind: 'set', prop };
  }

  /** An event the class (or an ancestor) declares; 6.x aliases resolve to their 7.x event. */
  resolveEvent(className: string, eventName: string): { def: EventDef; canonical: string } | undefined {
    const def = this.#events.get(eventName);
    if (!def) return undefined;
    const declared = this.#chain(className).some((c) => c.events.includes(eventName));
    if (!declared) return undefined;
    return { def, canonical: def.aliasOf ?? def.name };
  }

  /** 6.x names delivered when the canonical event fires. */
  eventAliases(canonical: string): readonly string[] {
    return this.#aliases.get(canonical) ?? [];
  }

  getEvent(name: string): EventDef | undefined {
    return this.#events.get(name);
  }

  /** All properties of an event up its `extends` chain (RaiseBase, Media, ...). */
  eventProperties(eventName: string): ParamDef[] {
    let cached = this.#eventPropsCache.get(eventName);
    if (!cached) {
      cached = [];
      for (let e = this.#events.get(eventName); e; e = e.extends ? this.#events.get(e.extends) : undefined) {
        cached.push(...e.properties);
      }
      this.#eventPropsCache.set(eventName, cached);
    }
    return cached;
  }

  getComplexType(name: string): ComplexTypeDef | undefined {
    return this.#types.get(name);
  }

  /** All properties of a register type, its own and inherited (base first). */
  typeProperties(name: string): ParamDef[] {
    const t = this.#types.get(name);
    if (!t || t.kind !== 'register') return [];
    return [...(t.extends ? this.typeProperties(t.extends) : []), ...t.properties];
  }

  /** True when `sub` is `base` or extends it. */
  typeExtends(sub: string, base: string): boolean {
    for (let t = this.#types.get(sub); t; t = t.kind === 'register' && t.extends ? this.#types.get(t.extends) : undefined) {
      if (t.name === base) return true;
    }
    return false;
  }

  /** A KMD-shaped document for `ServerManager.getKmd`, generated from our definitions. */
  kmdJson(moduleName: string): string {
    const mod = this.getModule(moduleName);
    if (!mod) throw new KurentoError('SERVER_MANAGER_ERROR_KMD_NOT_FOUND', `Module '${moduleName}' not found`);
    const param = (p: ParamDef): Record<string, JsonValue> => ({
      name: p.name, doc: '', type: p.type,
      ...(p.optional ? { optional: true } : {}),
      ...(p.defaultValue !== undefined ? { defaultValue: p.defaultValue } : {}),
    });
    const doc = {
      name: mod.name,
      version: mod.version,
      ...(mod.kurentoVersion ? { kurentoVersion: mod.kurentoVersion } : {}),
      remoteClasses: mod.remoteClasses.map((c) => ({
        name: c.name, doc: '',
        ...(c.extends ? { extends: c.extends } : {}),
        ...(c.abstract ? { abstract: true } : {}),
        ...(c.constructorParams ? { constructor: { doc: '', params: c.constructorParams.map(param) } } : {}),
        methods: c.methods.map((m) => ({ name: m.name, doc: '', params: m.params.map(param), ...(m.returns ? { return: { type: m.returns, doc: '' } } : {}) })),
        properties: c.properties.map((p) => ({
          name: p.name, doc: '', type: p.type,
          ...(p.readOnly ? { readOnly: true } : {}), ...(p.final ? { final: true } : {}),
          ...(p.defaultValue !== undefined ? { defaultValue: p.defaultValue } : {}),
        })),
        events: [...c.events],
      })),
      complexTypes: mod.complexTypes.map((t) => (t.kind === 'enum'
        ? { typeFormat: 'ENUM', name: t.name, doc: '', values: [...t.values] }
        : { typeFormat: 'REGISTER', name: t.name, doc: '', ...(t.extends ? { extends: t.extends } : {}), properties: t.properties.map(param) })),
      events: mod.events.map((e) => ({ name: e.name, doc: '', ...(e.extends ? { extends: e.extends } : {}), properties: e.properties.map(param) })),
    };
    return JSON.stringify(doc, null, 2);
  }
}
