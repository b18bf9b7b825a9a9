/**
 * What an H.264 sequence parameter set says about the picture (ITU-T H.264 §7.3.2.1.1,
 * §7.4.2.1.1): profile, level and the cropped picture size, read from the SPS NAL unit
 * as it travels in RTP (RFC 6184: alone, in a STAP-A, or starting an FU-A).
 */
import { payloadOffset } from './keyframes.ts';

export interface SpsInfo {
  readonly profileIdc: number;
  /** The constraint_set flags byte. */
  readonly constraints: number;
  readonly levelIdc: number;
  readonly width: number;
  readonly height: number;
}

/** Profiles whose SPS carries chroma format, bit depths and scaling matrices (§7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Reads Exp-Golomb and fixed-length fields from an RBSP (emulation prevention removed). */
class Bits {
  #pos = 0;
  constructor(readonly data: Uint8Array) {}

  bit(): number {
    const byte = this.#pos >> 3;
    if (byte >= this.data.length) throw new RangeError('SPS ends early');
    const v = (this.data[byte]! >> (7 - (this.#pos & 7))) & 1;
    this.#pos++;
    return v;
  }

  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  /** ue(v), §9.1: at most 31 leading zeros (larger values mean a corrupt SPS). */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) if (++zeros > 31) throw new RangeError('bad Exp-Golomb code');
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  /** se(v), §9.1.1. */
  se(): number {
    const k = this.ue();
    return k & 1 ? (k + 1) / 2 : -(k / 2);
  }
}

/** The RBSP of a NAL unit: its header byte dropped, and every 0x000003 made 0x0000 (§7.4.1). */
function rbsp(nal: Uint8Array): Uint8Array {
  const out = new Uint8Array(nal.length);
  let n = 0;
  let zeros = 0;
  for (let i = 1; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) { zeros = 0; continue; }
    zeros = b === 0 ? zeros + 1 : 0;
    out[n++] = b;
  }
  return out.subarray(0, n);
}

function skipScalingList(r: Bits, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Parses one SPS NAL unit (header byte included); undefined if it is not one or is corrupt. */
export function parseSps(nal: Uint8Array): SpsInfo | undefined {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) return undefined;
  try {
    const r = new Bits(rbsp(nal));
    const profileIdc = r.bits(8);
    const constraints = r.bits(8);
    const levelIdc = r.bits(8);
    r.ue(); // seq_parameter_set_id
    let chroma = 1;
    if (HIGH_PROFILES.has(profileIdc)) {
      chroma = r.ue();
      if (chroma > 3) return undefined;
      if (chroma === 3) r.bit(); // separate_colour_plane_flag
      r.ue(); // bit_depth_luma_minus8
      r.ue(); // bit_depth_chroma_minus8
      r.bit(); // qpprime_y_zero_transform_bypass_flag
      if (r.bit()) {
        for (let i = 0; i < (chroma !== 3 ? 8 : 12); i++) if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) r.ue();
    else if (pocType === 1) {
      r.bit();
      r.se();
      r.se();
      const cycle = r.ue();
      if (cycle > 255) return undefined;
      for (let i = 0; i < cycle; i++) r.se();
    }
    r.ue(); // max_num_ref_frames
    r.bit(); // gaps_in_frame_num_value_allowed_flag
    const widthMbs = r.ue() + 1;
    const heightMapUnits = r.ue() + 1;
    const frameMbsOnly = r.bit();
    if (!frameMbsOnly) r.bit(); // mb_adaptive_frame_field_flag
    r.bit(); // direct_8x8_inference_flag
    let [left, right, top, bottom] = [0, 0, 0, 0];
    if (r.bit()) [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
    // Crop units (§7.4.2.1.1, Table 6-1): SubWidthC 2 for 4:2:0 and 4:2:2, SubHeightC 2 for 4:2:0.
    const cropX = chroma === 1 || chroma === 2 ? 2 : 1;
    const cropY = (chroma === 1 ? 2 : 1) * (2 - frameMbsOnly);
    const width = widthMbs * 16 - cropX * (left + right);
    const height = (2 - frameMbsOnly) * heightMapUnits * 16 - cropY * (top + bottom);
    if (width <= 0 || height <= 0) return undefined;
    return { profileIdc, constraints, levelIdc, width, height };
  } catch {
    return undefined;
  }
}

/** The SPS an RTP packet of H.264 carries, alone or in a STAP-A (RFC 6184 §5.6, §5.7.1); undefined if none. */
export function spsOfRtp(rtp: Buffer): SpsInfo | undefined {
  const p = rtp.subarray(payloadOffset(rtp));
  if (p.length < 1) return undefined;
  const type = p[0]! & 0x1f;
  if (type === 7) return parseSps(p);
  if (type !== 24) return undefined;
  for (let i = 1; i + 2 < p.length;) {
    const size = p.readUInt16BE(i);
    if (i + 2 + size > p.length) return undefined;
    if ((p[i + 2]! & 0x1f) === 7) return parseSps(p.subarray(i + 2, i + 2 + size));
    i += 2 + size;
  }
  return undefined;
}
