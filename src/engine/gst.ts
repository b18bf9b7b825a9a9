/**
 * GStreamer through node-gtk, for the engine child only (never import this from the
 * server or its media workers: issue 11 section 2 keeps GStreamer out of them).
 *
 * node-gtk ships no TypeScript declarations; its objects are typed `GObj` here, inside
 * the engine, and never cross the seam: everything leaving is converted to `Json`.
 * Rules from ../shared/reference/engine-host-notes.md applied here:
 * - GstVideo is required after Gst.init;
 * - properties go through GObject.Object.prototype.{get,set}Property.call (a method of the
 *   same name can hide a property; on bins `setProperty` is GstChildProxy's, wanting a GValue);
 * - 64-bit values arrive as BigInt.
 */
import { createRequire } from 'node:module';
import type { GstStateName, Json, JsonStructure } from './protocol.ts';

// node-gtk has no types: `any` stays inside the engine child, never in a public type.
export type GObj = any;

const require = createRequire(import.meta.url);
const gi: GObj = require('node-gtk');

export const Gst: GObj = gi.require('Gst', '1.0');
export const GObject: GObj = gi.require('GObject', '2.0');
export const GLib: GObj = gi.require('GLib', '2.0');
Gst.init(null);
export const GstVideo: GObj = gi.require('GstVideo', '1.0');
// Gio gives GSocket its methods (udpsink's `used-socket` local port).
gi.require('Gio', '2.0');

export const CLOCK_TIME_NONE = 0xffffffffffffffffn;

const STATE_NAMES: GstStateName[] = ['VOID_PENDING', 'NULL', 'READY', 'PAUSED', 'PLAYING'];

export function stateName(state: number): GstStateName {
  return STATE_NAMES[state] ?? 'VOID_PENDING';
}

export function stateValue(name: 'NULL' | 'READY' | 'PAUSED' | 'PLAYING'): number {
  return STATE_NAMES.indexOf(name);
}

/** A property read as node-gtk gives it (undefined when the object has no such property). */
export function readProperty(obj: GObj, name: string): unknown {
  return GObject.Object.prototype.getProperty.call(obj, name);
}

export function writeProperty(obj: GObj, name: string, value: unknown): void {
  GObject.Object.prototype.setProperty.call(obj, name, value);
}

function numberOf(v: unknown): number {
  return typeof v === 'bigint' ? (v === CLOCK_TIME_NONE ? -1 : Number(v)) : Number(v);
}

/** A GValue as JSON, by its GType name; unknown types as their gst_value_serialize text. */
export function gvalueToJson(v: GObj): Json {
  const type: string = GObject.typeName(v.gType) ?? '';
  switch (type) {
    case 'gchararray': return v.getString() ?? null;
    case 'gboolean': return Boolean(v.getBoolean());
    case 'gint': return v.getInt();
    case 'guint': return v.getUint();
    case 'glong': return numberOf(v.getLong());
    case 'gulong': return numberOf(v.getUlong());
    case 'gint64': return numberOf(v.getInt64());
    case 'guint64': return numberOf(v.getUint64());
    case 'gdouble': return v.getDouble();
    case 'gfloat': return v.getFloat();
    case 'GstFraction': return [Gst.valueGetFractionNumerator(v), Gst.valueGetFractionDenominator(v)];
    case 'GstStructure': {
      const s = Gst.valueGetStructure(v);
      return s ? (structureToJson(s) as unknown as Json) : null;
    }
    case 'GstValueList':
    case 'GstValueArray': {
      const api = type === 'GstValueList' ? Gst.ValueList : Gst.ValueArray;
      const out: Json[] = [];
      const n: number = api.getSize(v);
      for (let i = 0; i < n; i++) out.push(gvalueToJson(api.getValue(v, i)));
      return out;
    }
    case 'GValueArray': {
      // level's rms/peak/decay: a GValueArray (deprecated GLib type, still what level posts).
      const arr = v.getBoxed();
      const out: Json[] = [];
      const n: number = arr?.nValues ?? 0;
      for (let i = 0; i < n; i++) out.push(gvalueToJson(arr.getNth(i)));
      return out;
    }
    default: {
      const text: string | null = Gst.valueSerialize(v);
      return text ?? null;
    }
  }
}

export function structureToJson(s: GObj): JsonStructure {
  const fields: { [k: string]: Json } = {};
  const n: number = s.nFields();
  for (let i = 0; i < n; i++) {
    const name: string = s.nthFieldName(i);
    fields[name] = gvalueToJson(s.getValue(name));
  }
  return { name: s.getName(), fields };
}

/** A JS value read from node-gtk as JSON (structures expanded, objects by name). */
export function jsToJson(v: unknown): Json {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return numberOf(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(jsToJson);
  const o = v as GObj;
  if (o instanceof Gst.Structure) return structureToJson(o) as unknown as Json;
  if (o instanceof Gst.Caps) return o.toString();
  if (o instanceof Gst.Object) return o.getName();
  return String(v);
}

/** Every element below `bin`, depth first, with its path relative to it (`a`, `inner/b`). */
export function walkElements(bin: GObj, prefix = ''): { path: string; element: GObj }[] {
  const out: { path: string; element: GObj }[] = [];
  const n: number = bin.getChildrenCount();
  for (let i = 0; i < n; i++) {
    const child: GObj = bin.getChildByIndex(i);
    const path = prefix + nameOf(child);
    out.push({ path, element: child });
    if (child instanceof Gst.Bin) out.push(...walkElements(child, `${path}/`));
  }
  return out;
}

/**
 * gst_object_get_name through GstObject's prototype: node-gtk leaves `getName` undefined
 * on pad objects (seen on GstGhostPad, found here).
 */
export function nameOf(obj: GObj): string {
  return Gst.Object.prototype.getName.call(obj);
}

/**
 * GstPad methods through the class prototypes, for the same reason: on ghost pads from
 * gst_parse_bin_from_description, node-gtk left `isLinked`, `getName`, ... undefined.
 */
export const pads = {
  isLinked: (pad: GObj): boolean => Gst.Pad.prototype.isLinked.call(pad),
  link: (src: GObj, sink: GObj): number => Gst.Pad.prototype.link.call(src, sink),
  unlink: (src: GObj, sink: GObj): boolean => Gst.Pad.prototype.unlink.call(src, sink),
  setActive: (pad: GObj, active: boolean): boolean => Gst.Pad.prototype.setActive.call(pad, active),
  sendEvent: (pad: GObj, event: GObj): boolean => Gst.Pad.prototype.sendEvent.call(pad, event),
  parent: (pad: GObj): GObj => Gst.Object.prototype.getParent.call(pad),
  /** The inner pad a ghost pad exposes (null for other pads). */
  target: (pad: GObj): GObj => (pad instanceof Gst.GhostPad ? Gst.GhostPad.prototype.getTarget.call(pad) : null),
};

export function factoryName(element: GObj): string {
  return element.getFactory?.()?.getName() ?? (element instanceof Gst.Bin ? 'bin' : 'unknown');
}

/** The pads of `element` (node-gtk cannot step a GstIterator: gst_element_foreach_pad runs on this thread). */
export function padsOf(element: GObj): GObj[] {
  const pads: GObj[] = [];
  element.foreachPad((_el: GObj, pad: GObj) => { pads.push(pad); return true; });
  return pads;
}
