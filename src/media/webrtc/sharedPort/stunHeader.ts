/**
 * What the shared port's demultiplexer reads of a STUN message (RFC 8489 §5, §6): its
 * class and method, transaction id and USERNAME; nothing is verified here (werift
 * checks MESSAGE-INTEGRITY of what it is handed).
 */
const MAGIC_COOKIE = 0x2112a442;
const HEADER = 20;
const USERNAME = 0x0006;
const BINDING = 0x0001;

export type StunClass = 'request' | 'indication' | 'success' | 'error';

export interface StunHeader {
  readonly cls: StunClass;
  readonly method: number;
  /** The 96-bit transaction id, as hex. */
  readonly transaction: string;
}

/** The header of a STUN message, or undefined when `data` is not one (RFC 7983: first byte 0-3, the magic cookie). */
export function stunHeader(data: Buffer): StunHeader | undefined {
  if (data.length < HEADER || data[0]! > 3 || data.readUInt32BE(4) !== MAGIC_COOKIE) return undefined;
  const type = data.readUInt16BE(0);
  const length = data.readUInt16BE(2);
  if (length % 4 !== 0 || HEADER + length > data.length) return undefined;
  // Class bits C1 (bit 8) and C0 (bit 4) of the message type (RFC 8489 §5).
  const c = ((type >> 7) & 0x2) | ((type >> 4) & 0x1);
  const method = (type & 0x000f) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0f80);
  return { cls: (['request', 'indication', 'success', 'error'] as const)[c]!, method, transaction: data.toString('hex', 8, 20) };
}

export const isBinding = (h: StunHeader): boolean => h.method === BINDING;

/** The USERNAME attribute's value (ICE: "LFRAG:RFRAG", RFC 8445 §7.2.2), or undefined. */
export function stunUsername(data: Buffer): string | undefined {
  const end = Math.min(data.length, HEADER + data.readUInt16BE(2));
  for (let at = HEADER; at + 4 <= end;) {
    const type = data.readUInt16BE(at);
    const len = data.readUInt16BE(at + 2);
    if (at + 4 + len > end) return undefined;
    if (type === USERNAME) return data.toString('utf8', at + 4, at + 4 + len);
    at += 4 + len + ((4 - (len % 4)) % 4);
  }
  return undefined;
}
