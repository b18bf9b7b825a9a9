/**
 * The few RTCP packets a plain RTP endpoint writes and reads (RFC 3550 §6, RFC 4585).
 */

/** Seconds between 1900 and 1970, for NTP timestamps (RFC 5905). */
const NTP_EPOCH_OFFSET = 2208988800;

/**
 * 64-bit NTP timestamp (RFC 5905) of a wall-clock time in ms; the seconds wrap at 2^32
 * (era 1 from 2036, RFC 5905 §6).
 */
export function ntpFromMs(ms: number): bigint {
  const secs = Math.floor(ms / 1000);
  const frac = Math.floor(((ms - secs * 1000) / 1000) * 2 ** 32);
  return (BigInt((secs + NTP_EPOCH_OFFSET) >>> 0) << 32n) | BigInt(frac >>> 0);
}

/** Sender report without report blocks (RFC 3550 §6.4.1). */
export function senderReport(ssrc: number, rtpTimestamp: number, packets: number, octets: number, nowMs = Date.now()): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(ssrc >>> 0, 4);
  b.writeBigUInt64BE(ntpFromMs(nowMs), 8);
  b.writeUInt32BE(rtpTimestamp >>> 0, 16);
  b.writeUInt32BE(packets >>> 0, 20);
  b.writeUInt32BE(octets >>> 0, 24);
  return b;
}

/** Picture Loss Indication (RFC 4585 §6.3.1): PSFB, FMT 1. */
export function pli(senderSsrc: number, mediaSsrc: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 0x81;
  b[1] = 206;
  b.writeUInt16BE(2, 2);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(mediaSsrc >>> 0, 8);
  return b;
}

/** True when a compound RTCP packet asks for a keyframe (PLI, RFC 4585, or FIR, RFC 5104). */
export function asksKeyframe(buf: Buffer): boolean {
  let off = 0;
  while (off + 4 <= buf.length) {
    if (buf[off]! >> 6 !== 2) return false;
    const fmt = buf[off]! & 0x1f;
    const pt = buf[off + 1]!;
    const len = (buf.readUInt16BE(off + 2) + 1) * 4;
    if (len <= 0 || off + len > buf.length) return false;
    if (pt === 206 && (fmt === 1 || fmt === 4)) return true;
    off += len;
  }
  return false;
}

/** RFC 5761 §4: on a shared port, payload types 64-95 (RTCP 192-223) are RTCP. */
export function isRtcp(buf: Buffer): boolean {
  const pt = buf[1]! & 0x7f;
  return buf.length >= 4 && pt >= 64 && pt <= 95;
}
