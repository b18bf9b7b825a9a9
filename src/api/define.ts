import type {
  ComplexTypeDef, EventDef, JsonValue, MethodDef, ModuleDef, ParamDef, PropertyDef, RemoteClassDef,
} from './types.ts';

/**
 * Small builders that keep the module definitions readable: one line per member.
 * `p` a required parameter, `o` an optional one (with its default), `m` a method,
 * `prop` a property with flags: 'r' read-only, 'f' final, 'L' 6.x-only (legacy).
 */
export const p = (name: string, type: string): ParamDef => ({ name, type });

export const o = (name: string, type: string, defaultValue?: JsonValue): ParamDef =>
  defaultValue === undefined ? { name, type, optional: true } : { name, type, optional: true, defaultValue };

/** A 6.x-only field of a complex type or event. */
export const legacy = (d: ParamDef): ParamDef => ({ ...d, legacy: true });

export const m = (name: string, params: ParamDef[] = [], returns?: string, isLegacy = false): MethodDef => ({
  name, params, ...(returns ? { returns } : {}), ...(isLegacy ? { legacy: true } : {}),
});

export const prop = (name: string, type: string, flags = '', defaultValue?: JsonValue): PropertyDef => ({
  name, type,
  ...(flags.includes('r') ? { readOnly: true } : {}),
  ...(flags.includes('f') ? { final: true } : {}),
  ...(flags.includes('L') ? { legacy: true } : {}),
  ...(defaultValue !== undefined ? { defaultValue } : {}),
});

interface ClassSpec {
  extends?: string;
  abstract?: boolean;
  ctor?: ParamDef[];
  methods?: MethodDef[];
  props?: PropertyDef[];
  events?: string[];
}

interface ModuleSpec {
  version: string;
  kurentoVersion?: string;
  classes: Record<string, ClassSpec>;
  enums?: Record<string, string[]>;
  types?: Record<string, { extends?: string; props: ParamDef[] }>;
  events?: Record<string, { extends?: string; props: ParamDef[]; aliasOf?: string }>;
}

export function defineModule(name: string, spec: ModuleSpec): ModuleDef {
  const remoteClasses: RemoteClassDef[] = Object.entries(spec.classes).map(([cname, c]) => ({
    name: cname,
    module: name,
    ...(c.extends ? { extends: c.extends } : {}),
    ...(c.abstract ? { abstract: true } : {}),
    ...(c.ctor ? { constructorParams: c.ctor } : {}),
    methods: c.methods ?? [],
    properties: c.props ?? [],
    events: c.events ?? [],
  }));
  const complexTypes: ComplexTypeDef[] = [
    ...Object.entries(spec.enums ?? {}).map(([tname, values]): ComplexTypeDef => ({ kind: 'enum', name: tname, module: name, values })),
    ...Object.entries(spec.types ?? {}).map(([tname, t]): ComplexTypeDef => ({
      kind: 'register', name: tname, module: name, ...(t.extends ? { extends: t.extends } : {}), properties: t.props,
    })),
  ];
  const events: EventDef[] = Object.entries(spec.events ?? {}).map(([ename, e]) => ({
    name: ename, module: name, ...(e.extends ? { extends: e.extends } : {}), properties: e.props,
    ...(e.aliasOf ? { aliasOf: e.aliasOf } : {}),
  }));
  return { name, version: spec.version, ...(spec.kurentoVersion ? { kurentoVersion: spec.kurentoVersion } : {}), remoteClasses, complexTypes, events };
}
