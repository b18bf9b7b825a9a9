/**
 * Whether an RTP packet starts a keyframe, read from its payload format's own headers:
 * where a recording may begin, so that its first picture decodes.
 */

/** Offset of the payload in an RTP packet (RFC 3550 §5.1: CSRCs, then the extension). */
export function payloadOffset(rtp: Buffer): number {
  if (rtp.length < 12) return rtp.length;
  let off = 12 + 4 * (rtp[0]! & 0x0f);
  if (rtp[0]! & 0x10) {
    if (rtp.length < off + 4) return rtp.length;
    off += 4 + 4 * rtp.readUInt16BE(off + 2);
  }
  return Math.min(off, rtp.length);
}

/**
 * VP8 (RFC 7741 §4.2, §4.3): where the VP8 frame header starts, in a payload that starts
 * partition 0 (S=1, PID=0) of a keyframe (its header has P=0); -1 otherwise.
 */
function vp8KeyframeHeader(p: Buffer): number {
  if (p.length < 1) return -1;
  const b0 = p[0]!;
  if (!(b0 & 0x10) || (b0 & 0x07) !== 0) return -1;
  let i = 1;
  if (b0 & 0x80) {
    if (p.length < 2) return -1;
    const x = p[1]!;
    i = 2;
    if (x & 0x80) i += p.length > 2 && p[2]! & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
    if (x & 0x40) i += 1; // TL0PICIDX
    if (x & 0x30) i += 1; // TID/Y/KEYIDX
  }
  return p.length > i && (p[i]! & 0x01) === 0 ? i : -1;
}

function vp8(p: Buffer): boolean {
  return vp8KeyframeHeader(p) >= 0;
}

/**
 * The picture size a VP8 keyframe announces, from its first RTP packet: after the
 * 3-byte frame tag, the start code 9d 01 2a, then width and height, 14 bits each,
 * little-endian (RFC 6386 §9.1). Undefined for any other packet.
 */
export function vp8KeyframeSize(rtp: Buffer): { width: number; height: number } | undefined {
  const p = rtp.subarray(payloadOffset(rtp));
  const h = vp8KeyframeHeader(p);
  if (h < 0 || p.length < h + 10 || p[h + 3] !== 0x9d || p[h + 4] !== 0x01 || p[h + 5] !== 0x2a) return undefined;
  const width = p.readUInt16LE(h + 6) & 0x3fff;
  const height = p.readUInt16LE(h + 8) & 0x3fff;
  return width && height ? { width, height } : undefined;
}

/** VP9 (RFC 9628 §4.2): the beginning of a frame (B=1) that is not inter-picture predicted (P=0). */
function vp9(p: Buffer): boolean {
  return p.length >= 1 && (p[0]! & 0x08) !== 0 && (p[0]! & 0x40) === 0;
}

/** H.264 (RFC 6184 §5.4-5.8): an IDR slice or an SPS, alone, in a STAP-A, or starting an FU-A. */
function h264(p: Buffer): boolean {
  if (p.length < 1) return false;
  const type = p[0]! & 0x1f;
  if (type === 5 || type === 7) return true;
  if (type === 24) {
    for (let i = 1; i + 2 < p.length;) {
      const size = p.readUInt16BE(i);
      const t = p[i + 2]! & 0x1f;
      if (t === 5 || t === 7) return true;
      i += 2 + size;
    }
    return false;
  }
  if (type === 28) return p.length >= 2 && (p[1]! & 0x80) !== 0 && ((p[1]! & 0x1f) === 5 || (p[1]! & 0x1f) === 7);
  return false;
}

/** Whether `rtp` (a whole packet of `codec`) starts a keyframe; audio codecs: every packet does. */
export function startsKeyframe(codec: string, rtp: Buffer): boolean {
  const p = rtp.subarray(payloadOffset(rtp));
  switch (codec.toLowerCase()) {
    case 'vp8': return vp8(p);
    case 'vp9': return vp9(p);
    case 'h264': return h264(p);
    default: return true;
  }
}
