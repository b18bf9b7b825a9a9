/**
 * H.264 SDP parameters (RFC 6184 §8.1): packetization-mode and profile-level-id, and
 * what makes two H.264 streams interchangeable for a forwarder. Fluo does not
 * transcode, so a sink can take a source's H.264 only with the same profile and
 * packetization mode; the level may differ (level-asymmetry-allowed, RFC 6184 §8.1).
 */

export type H264Profile =
  | 'constrained-baseline' | 'baseline' | 'main' | 'extended' | 'high' | 'constrained-high'
  | 'high10' | 'high422' | 'high444' | 'unknown';

/** Key/value pairs of an fmtp line ("a=b;c=d"), names lower-cased. */
export function fmtpParams(fmtp: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (fmtp ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim().toLowerCase(), part.slice(i + 1).trim());
  }
  return out;
}

/**
 * The profile named by a profile-level-id (profile_idc, profile-iop, level_idc as six
 * hex digits). Constrained Baseline is any profile_idc whose constraint flags say the
 * stream also conforms to it (RFC 6184 §8.1 table 5: 42/4D/58 with set1, set0+set1 …).
 * Absent, it is 42000A: Baseline, level 1 (RFC 6184 §8.1).
 */
export function h264Profile(profileLevelId: string | undefined): H264Profile {
  const id = (profileLevelId ?? '42000a').toLowerCase();
  if (!/^[0-9a-f]{6}$/.test(id)) return 'unknown';
  const idc = parseInt(id.slice(0, 2), 16);
  const iop = parseInt(id.slice(2, 4), 16);
  const set0 = (iop & 0x80) !== 0;
  const set1 = (iop & 0x40) !== 0;
  const set3 = (iop & 0x10) !== 0;
  switch (idc) {
    case 0x42: return set1 ? 'constrained-baseline' : 'baseline';
    case 0x4d: return set0 ? 'constrained-baseline' : 'main';
    case 0x58: return set0 && set1 ? 'constrained-baseline' : set0 ? 'baseline' : 'extended';
    case 0x64: return (iop & 0x0c) === 0x0c ? 'constrained-high' : 'high';
    case 0x6e: return set3 ? 'unknown' : 'high10';
    case 0x7a: return 'high422';
    case 0xf4: return 'high444';
    default: return 'unknown';
  }
}

/** packetization-mode, 0 when absent (RFC 6184 §8.1). */
export function packetizationMode(fmtp: string | undefined): number {
  const v = Number(fmtpParams(fmtp).get('packetization-mode') ?? 0);
  return Number.isInteger(v) ? v : -1;
}

/** Whether Fluo can take an offered H.264 format: modes 0 and 1 of a known 8-bit 4:2:0 profile. */
export function h264Acceptable(fmtp: string | undefined): boolean {
  const p = h264Profile(fmtpParams(fmtp).get('profile-level-id'));
  const mode = packetizationMode(fmtp);
  return (mode === 0 || mode === 1) && ['constrained-baseline', 'baseline', 'main', 'high', 'constrained-high'].includes(p);
}

/**
 * Whether packets of one H.264 format decode as the other: same packetization mode and
 * the same profile (Constrained Baseline streams also decode as Baseline and Main, and
 * Constrained High as High: RFC 6184 §8.1 constraint flags).
 */
export function h264Compatible(source: string | undefined, sink: string | undefined): boolean {
  if (packetizationMode(source) !== packetizationMode(sink)) return false;
  const pa = fmtpParams(source).get('profile-level-id');
  const pb = fmtpParams(sink).get('profile-level-id');
  // Plain RTP peers often leave the profile out while sending Constrained Baseline:
  // without it on either side, only the packetization mode is checked.
  if (pa === undefined || pb === undefined) return true;
  const a = h264Profile(pa);
  const b = h264Profile(pb);
  if (a === 'unknown' || b === 'unknown') return false;
  if (a === b) return true;
  if (a === 'constrained-baseline') return b === 'baseline' || b === 'main';
  if (a === 'constrained-high') return b === 'high';
  return false;
}

/** The H.264 formats of an SDP's video sections: payload type and fmtp (RFC 4566 §6). */
export function offeredH264(sdp: string): Array<{ payloadType: number; fmtp: string }> {
  const out: Array<{ payloadType: number; fmtp: string }> = [];
  for (const m of sdp.matchAll(/^a=rtpmap:(\d+) H264\/90000\s*$/gim)) {
    const pt = Number(m[1]);
    const fmtp = new RegExp(`^a=fmtp:${pt} (.*?)\\s*$`, 'm').exec(sdp)?.[1] ?? '';
    out.push({ payloadType: pt, fmtp });
  }
  return out;
}

/** The RTX formats of an SDP (or one section) and the payload type each repairs (apt=, RFC 4588 §8.6). */
export function rtxFormats(sdp: string): Array<{ payloadType: number; apt: number }> {
  return [...sdp.matchAll(/^a=fmtp:(\d+) .*\bapt=(\d+)/gm)].map((m) => ({ payloadType: Number(m[1]), apt: Number(m[2]) }));
}

/**
 * The offer without the H.264 formats Fluo cannot take (h264Acceptable) and their RTX
 * formats (apt=, RFC 4588 §8.6), so the answer cannot pick them: werift would answer
 * any H.264 whose parameters match none of ours with the offerer's own. A section left
 * with no format keeps them all, and werift decides.
 */
export function withoutUnacceptableH264(sdp: string): string {
  return sdp.split(/(?=^m=)/m).map((section) => {
    if (!section.startsWith('m=video')) return section;
    const drop = new Set(offeredH264(section).filter((f) => !h264Acceptable(f.fmtp)).map((f) => f.payloadType));
    if (!drop.size) return section;
    for (const f of rtxFormats(section)) if (drop.has(f.apt)) drop.add(f.payloadType);
    const mline = /^(m=video \S+ \S+)((?: \d+)+)\s*$/m.exec(section);
    if (!mline) return section;
    const kept = mline[2]!.trim().split(/\s+/).filter((pt) => !drop.has(Number(pt)));
    if (!kept.length) return section;
    return section
      .replace(mline[0], `${mline[1]} ${kept.join(' ')}`)
      .split(/\r?\n/)
      .filter((l) => { const m = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+) /.exec(l); return !m || !drop.has(Number(m[1])); })
      .join('\r\n');
  }).join('');
}
