import { escapeDeep, escapeValue, safeIdPart } from './ngsiRules.ts';

/** A camera as the bridge registers it (smart-data-models dataModel.Device/Camera). */
export interface CameraInfo {
  /** Entity id (NGSI-v2), or the last part of the URN (NGSI-LD). */
  id: string;
  name: string;
  /** Camera `cameraUsage` (the model's enum: ANPR, LPR, SURVEILLANCE, ...). */
  usage?: string;
  /** Camera `cameraType` (FIXED, PTZ, ...). */
  cameraType?: string;
  streamName?: string;
  streamURL?: string;
  description?: string;
}

/** A media event to publish (dataModel.Multimedia/MediaEvent). */
export interface MediaEventInput {
  /** The Kurento event type (PlateDetected, CodeFound, ...): the entity's `eventType`. */
  eventType: string;
  /** What the event says (the Kurento event's own fields). */
  data: Record<string, unknown>;
  /** When it happened (ms since the epoch); now when absent. */
  at?: number;
  /** The media element that raised it (its Kurento object id): `mediaSource`. */
  mediaSource?: string;
  /** The camera entity the media came from: `deviceSource`. */
  camera?: string;
  /** Other entities the event is about (a vehicle for a plate): `refersTo`. */
  refersTo?: string[];
}

/** An entity as NGSI-v2 normalized attributes or NGSI-LD properties. */
export type EntityBody = Record<string, unknown>;

/** NGSI-LD ids are URNs (ETSI GS CIM 009 §4.5.1): `urn:ngsi-ld:<Type>:<id>`. */
export const ldId = (type: string, id: string): string => (id.startsWith('urn:') ? id : `urn:ngsi-ld:${type}:${id}`);

/** The Camera entity, NGSI-v2 normalized: values escaped for Orion (see ngsiRules). */
export function cameraEntity(c: CameraInfo, now: Date): EntityBody {
  const text = (v: string | undefined) => (v === undefined ? undefined : { type: 'Text', value: escapeValue(v) });
  return compact({
    id: c.id, type: 'Camera',
    cameraName: text(c.name), description: text(c.description), cameraUsage: text(c.usage), cameraType: text(c.cameraType),
    streamName: text(c.streamName), streamURL: text(c.streamURL), on: { type: 'Boolean', value: true },
    dateCreated: { type: 'DateTime', value: now.toISOString() },
  });
}

let sequence = 0;

/**
 * The MediaEvent entity, NGSI-v2 normalized: `dateCreated` an ISO 8601 DateTime (the
 * Java module wrote epoch seconds as a number), `mediaSource` in camel case (it wrote
 * `mediasource`), `deviceSource`/`refersTo` Relationships. Ids are unique per process:
 * event type, time and a sequence number.
 */
export function mediaEventEntity(e: MediaEventInput): EntityBody {
  const at = new Date(e.at ?? Date.now());
  const id = `MediaEvent-${safeIdPart(e.eventType)}-${at.getTime()}-${++sequence}`;
  return compact({
    id, type: 'MediaEvent',
    eventType: { type: 'Text', value: escapeValue(e.eventType) },
    dateCreated: { type: 'DateTime', value: at.toISOString() },
    data: { type: 'StructuredValue', value: escapeDeep(e.data) },
    mediaSource: e.mediaSource === undefined ? undefined : { type: 'Text', value: escapeValue(e.mediaSource) },
    deviceSource: e.camera === undefined ? undefined : { type: 'Relationship', value: e.camera },
    refersTo: e.refersTo === undefined ? undefined : { type: 'Relationship', value: e.refersTo },
  });
}

/**
 * An NGSI-v2 normalized entity as NGSI-LD: URN ids (relationships too), Relationship
 * `object`s, DateTime values as `{"@type": "DateTime", "@value"}`, and the `@context`.
 */
export function toLd(entity: EntityBody, context: string): EntityBody {
  const out: EntityBody = { id: ldId(String(entity.type), String(entity.id)), type: entity.type };
  for (const [k, a] of Object.entries(entity)) {
    if (k === 'id' || k === 'type') continue;
    const { type, value } = a as { type: string; value: unknown };
    if (type === 'Relationship') {
      const target = (v: unknown) => ldId(k === 'deviceSource' ? 'Camera' : 'Thing', String(v));
      out[k] = { type: 'Relationship', object: Array.isArray(value) ? value.map(target) : target(value) };
    } else if (type === 'DateTime') {
      out[k] = { type: 'Property', value: { '@type': 'DateTime', '@value': value } };
    } else {
      out[k] = { type: 'Property', value };
    }
  }
  out['@context'] = context;
  return out;
}

function compact(o: Record<string, unknown>): EntityBody {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * What a Kurento event object carries besides its own fields (kurento-client's event
 * objects: source, type, timestamps, tags), left out of `data`.
 */
const ENVELOPE = new Set(['source', 'type', 'timestamp', 'timestampMillis', 'tags', 'componentId', 'streamId']);

/** A Kurento event (as kurento-client hands it to a listener) as a MediaEventInput. */
export function fromKurentoEvent(type: string, event: Record<string, unknown>, extra: Omit<MediaEventInput, 'eventType' | 'data' | 'at'> = {}): MediaEventInput {
  const data = Object.fromEntries(Object.entries(event).filter(([k]) => !ENVELOPE.has(k)));
  const ms = Number(event.timestampMillis ?? (Number(event.timestamp) * 1000));
  return { eventType: type, data, ...(Number.isFinite(ms) && ms > 0 ? { at: ms } : {}), mediaSource: typeof event.source === 'string' ? event.source : undefined, ...extra };
}
