/**
 * Regions of interest of Kurento's CrowdDetectorFilter (KMD crowddetector:
 * RegionOfInterest, RelativePoint, RegionOfInterestConfig) and their checks.
 */
import { idField, illegal, numberField, record, type Fields } from './params.ts';
import { KurentoError } from '../../../shared/KurentoError.ts';

/** "values are a percentage relative to the image dimensions [0..1]. X left to right and Y top to down." */
export interface RelativePoint {
  readonly x: number;
  readonly y: number;
}

/** KMD RegionOfInterestConfig: every field optional on the wire, with the KMD default. */
export interface RegionOfInterestConfig {
  readonly occupancyLevelMin?: number;
  readonly occupancyLevelMed?: number;
  readonly occupancyLevelMax?: number;
  readonly occupancyNumFramesToEvent?: number;
  readonly fluidityLevelMin?: number;
  readonly fluidityLevelMed?: number;
  readonly fluidityLevelMax?: number;
  readonly fluidityNumFramesToEvent?: number;
  readonly sendOpticalFlowEvent?: boolean;
  readonly opticalFlowNumFramesToEvent?: number;
  readonly opticalFlowNumFramesToReset?: number;
  readonly opticalFlowAngleOffset?: number;
}

export interface RegionOfInterest {
  readonly id: string;
  readonly points: readonly RelativePoint[];
  readonly regionOfInterestConfig?: RegionOfInterestConfig;
}

export type RoiSettings = Required<RegionOfInterestConfig>;

/** A checked ROI with every setting resolved. */
export interface Roi {
  readonly id: string;
  readonly points: readonly RelativePoint[];
  readonly config: RoiSettings;
}

/** KMD crowddetector defaults (also the values of Kurento's tutorials: 10/35/65/5, false, 3, 3, 0). */
export const ROI_CONFIG_DEFAULTS: RoiSettings = Object.freeze({
  occupancyLevelMin: 10,
  occupancyLevelMed: 35,
  occupancyLevelMax: 65,
  occupancyNumFramesToEvent: 5,
  fluidityLevelMin: 10,
  fluidityLevelMed: 35,
  fluidityLevelMax: 65,
  fluidityNumFramesToEvent: 5,
  sendOpticalFlowEvent: false,
  opticalFlowNumFramesToEvent: 3,
  opticalFlowNumFramesToReset: 3,
  opticalFlowAngleOffset: 0,
});

/**
 * Checks the `rois` of the constructor. Ids: any non-empty string, unique. The KMD asks
 * for "a letter followed by alphanumeric characters or /-_.:+", but Kurento's own
 * tutorials are the only ids we know clients use and nothing says KMS refuses others;
 * refusing them here would break a client that works with KMS.
 */
export function parseRois(value: unknown): Roi[] {
  if (!Array.isArray(value)) throw new KurentoError('MARSHALL_ERROR', `'rois' parameter should be a RegionOfInterest[]`);
  const seen = new Set<string>();
  return value.map((v, i) => {
    const roi = parseRoi(v, i);
    if (seen.has(roi.id)) throw illegal(`ROI '${roi.id}' is given twice`);
    seen.add(roi.id);
    return roi;
  });
}

function parseRoi(value: unknown, index: number): Roi {
  const f = record(value, `rois[${index}]`);
  const id = idField(f, 'id', `rois[${index}]`);
  const what = `ROI '${id}'`;
  const points = f.points;
  if (!Array.isArray(points)) throw new KurentoError('MARSHALL_ERROR', `${what}: 'points' parameter should be a RelativePoint[]`);
  // Kurento docs (Crowd Detector tutorial): "To define a ROI, we need to configure at least three points."
  if (points.length < 3) throw illegal(`${what} needs at least 3 points, got ${points.length}`);
  const parsed = points.map((p, k) => {
    const pf = record(p, `${what}.points[${k}]`);
    const at = `${what}.points[${k}]`;
    return { x: numberField(pf, 'x', at, { min: 0, max: 1 }), y: numberField(pf, 'y', at, { min: 0, max: 1 }) };
  });
  // The KMD makes the config a required field; a missing one is taken as all defaults
  // rather than refused, since every field in it is optional anyway.
  const c = f.regionOfInterestConfig === undefined || f.regionOfInterestConfig === null
    ? {} : record(f.regionOfInterestConfig, `${what}.regionOfInterestConfig`);
  return { id, points: parsed, config: parseConfig(c, `${what}.regionOfInterestConfig`, id) };
}

function parseConfig(c: Fields, what: string, id: string): RoiSettings {
  const d = ROI_CONFIG_DEFAULTS;
  const percent = (name: keyof RoiSettings) => numberField(c, name, what, { min: 0, max: 100 }, d[name] as number);
  // 0 frames is taken as 1: a change is reported on the frame it is seen.
  const frames = (name: keyof RoiSettings) => numberField(c, name, what, { min: 0, integer: true }, d[name] as number);
  const flow = c.sendOpticalFlowEvent;
  if (flow !== undefined && flow !== null && typeof flow !== 'boolean') {
    throw new KurentoError('MARSHALL_ERROR', `'${what}.sendOpticalFlowEvent' parameter should be a boolean`);
  }
  const s: RoiSettings = {
    occupancyLevelMin: percent('occupancyLevelMin'),
    occupancyLevelMed: percent('occupancyLevelMed'),
    occupancyLevelMax: percent('occupancyLevelMax'),
    occupancyNumFramesToEvent: frames('occupancyNumFramesToEvent'),
    fluidityLevelMin: percent('fluidityLevelMin'),
    fluidityLevelMed: percent('fluidityLevelMed'),
    fluidityLevelMax: percent('fluidityLevelMax'),
    fluidityNumFramesToEvent: frames('fluidityNumFramesToEvent'),
    sendOpticalFlowEvent: typeof flow === 'boolean' ? flow : d.sendOpticalFlowEvent,
    opticalFlowNumFramesToEvent: frames('opticalFlowNumFramesToEvent'),
    opticalFlowNumFramesToReset: frames('opticalFlowNumFramesToReset'),
    opticalFlowAngleOffset: numberField(c, 'opticalFlowAngleOffset', what, {}, d.opticalFlowAngleOffset),
  };
  for (const kind of ['occupancy', 'fluidity'] as const) {
    const [min, med, max] = [s[`${kind}LevelMin`], s[`${kind}LevelMed`], s[`${kind}LevelMax`]];
    // The KMD's levels are bands min..med (1), med..max (2), max..100 (3): they must be in order.
    if (!(min <= med && med <= max)) throw illegal(`ROI '${id}': ${kind} levels must be min <= med <= max, got ${min}, ${med}, ${max}`);
  }
  return s;
}
