import crypto from 'node:crypto';

/** STUN message layout (RFC 8489 §5, §14; TURN's additions from RFC 8656 §18). */
export const STUN = {
  HEADER: 20,
  MAGIC_COOKIE: 0x2112a442,
  REFRESH_REQUEST: 0x0004,
  ATTR_USERNAME: 0x0006,
  ATTR_MESSAGE_INTEGRITY: 0x0008,
  ATTR_LIFETIME: 0x000d,
  ATTR_REALM: 0x0014,
  ATTR_NONCE: 0x0015,
  ATTR_FINGERPRINT: 0x8028,
  FINGERPRINT_XOR: 0x5354554e,
} as const;

/**
 * The MESSAGE-INTEGRITY value of a STUN message (RFC 8489 §14.5): HMAC-SHA1 with `key`
 * over the message up to that attribute (`upToIntegrity`), its header's length field
 * counting the attribute (24 bytes) as if it were the last one.
 */
export function messageIntegrity(key: Buffer | string, upToIntegrity: Buffer): Buffer {
  const head = Buffer.from(upToIntegrity);
  head.writeUInt16BE(head.length - STUN.HEADER + 24, 2);
  return crypto.createHmac('sha1', key).update(head).digest();
}
