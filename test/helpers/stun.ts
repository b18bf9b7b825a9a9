/** STUN messages as a peer (honest or not) sends them, for the tests of the ICE readers. */
import { createHmac, randomBytes } from 'node:crypto';

/** One STUN attribute: type, length, value padded to 4 bytes (RFC 5389 §15). */
function attribute(type: number, value: Buffer): Buffer {
  const b = Buffer.alloc(4 + ((value.length + 3) & ~3));
  b.writeUInt16BE(type, 0);
  b.writeUInt16BE(value.length, 2);
  value.copy(b, 4);
  return b;
}

/**
 * A STUN Binding request (RFC 5389 §6) with USERNAME and, when given, a
 * MESSAGE-INTEGRITY attribute: `integrity` as it is (20 bytes of anything), or the
 * HMAC-SHA1 made with a password (short-term credentials, RFC 5389 §15.4).
 */
export function bindingRequest(username: string, integrity?: Buffer | string): Buffer {
  const user = attribute(0x0006, Buffer.from(username));
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt16BE(user.length + (integrity === undefined ? 0 : 24), 2);
  header.writeUInt32BE(0x2112a442, 4);
  randomBytes(12).copy(header, 8);
  if (integrity === undefined) return Buffer.concat([header, user]);
  // The HMAC covers the message up to the attribute, with the length counting it.
  const mac = typeof integrity === 'string' ? createHmac('sha1', integrity).update(Buffer.concat([header, user])).digest() : integrity;
  return Buffer.concat([header, user, attribute(0x0008, mac)]);
}
