import crypto from 'node:crypto';
import type dgram from 'node:dgram';
import zlib from 'node:zlib';
import type { RTCPeerConnection } from 'werift';
import { forEachIceProtocol } from './iceProtocols.ts';
import { STUN, messageIntegrity } from './stun.ts';

/** The parts of werift-ice's TURN client an allocation's deletion reads (private in werift's types). */
interface TurnClientLike {
  readonly username?: string;
  readonly realm?: string;
  readonly nonce?: Buffer;
  readonly integrityKey?: Buffer;
  readonly relayedAddress?: unknown;
  readonly server: [string, number];
  readonly serverEndpoint?: [string, number];
  readonly transport: {
    readonly type?: string;
    readonly closed?: boolean;
    readonly socket?: dgram.Socket;
    send(data: Buffer, addr?: [string, number]): Promise<void>;
  };
}
interface TurnProtocolLike {
  readonly type?: string;
  readonly turn?: TurnClientLike;
}

/** How long a release waits for the deletions to leave before closing the sockets. */
const SEND_WAIT_MS = 250;

/**
 * A TURN Refresh request with LIFETIME 0, which deletes the allocation (RFC 8656 §7.2),
 * authenticated with the long-term credentials the allocation was made with: USERNAME,
 * REALM, NONCE, MESSAGE-INTEGRITY (RFC 8489 §14.5: HMAC-SHA1 over the message up to it,
 * with the length field counting it) and FINGERPRINT (§14.7: CRC-32 xor 0x5354554e).
 */
export function refreshToDelete(username: string, realm: string, nonce: Buffer, key: Buffer): Buffer {
  const attr = (type: number, value: Buffer): Buffer => {
    const a = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
    a.writeUInt16BE(type, 0);
    a.writeUInt16BE(value.length, 2);
    value.copy(a, 4);
    return a;
  };
  const body = Buffer.concat([
    attr(STUN.ATTR_LIFETIME, Buffer.alloc(4)),
    attr(STUN.ATTR_USERNAME, Buffer.from(username, 'utf8')),
    attr(STUN.ATTR_REALM, Buffer.from(realm, 'utf8')),
    attr(STUN.ATTR_NONCE, nonce),
  ]);
  const header = Buffer.alloc(STUN.HEADER);
  header.writeUInt16BE(STUN.REFRESH_REQUEST, 0);
  header.writeUInt32BE(STUN.MAGIC_COOKIE, 4);
  crypto.randomFillSync(header, 8, 12);
  const mac = messageIntegrity(key, Buffer.concat([header, body]));
  const withMac = Buffer.concat([header, body, attr(STUN.ATTR_MESSAGE_INTEGRITY, mac)]);
  withMac.writeUInt16BE(body.length + 24 + 8, 2);
  const fingerprint = Buffer.alloc(4);
  fingerprint.writeUInt32BE((zlib.crc32(withMac) ^ STUN.FINGERPRINT_XOR) >>> 0);
  return Buffer.concat([withMac, attr(STUN.ATTR_FINGERPRINT, fingerprint)]);
}

/**
 * Deletes the TURN allocations a peer connection holds, before its sockets close:
 * werift stops refreshing them on close but leaves them on the server until their
 * lifetime runs out (600 s by default), each holding a relayed port and counting
 * against the user's quota there. One request per allocation, not retried (a lost one
 * lets the allocation expire as before); waits at most SEND_WAIT_MS for them to leave.
 * Resolves with the number of deletions sent.
 */
export async function deleteTurnAllocations(pc: RTCPeerConnection): Promise<number> {
  const clients: TurnClientLike[] = [];
  forEachIceProtocol<TurnProtocolLike>(pc, (p) => {
    const t = p.type === 'turn' ? p.turn : undefined;
    if (t?.relayedAddress && t.integrityKey && t.nonce && t.realm && t.username && !t.transport.closed && !clients.includes(t)) clients.push(t);
  });
  if (!clients.length) return 0;
  let timer: NodeJS.Timeout | undefined;
  const sends = clients.map((t) => send(t, refreshToDelete(t.username!, t.realm!, t.nonce!, t.integrityKey!)).then(() => 1, () => 0));
  try {
    const sent = await Promise.race([
      Promise.all(sends).then((r) => r.reduce<number>((a, b) => a + b, 0)),
      new Promise<number>((resolve) => { timer = setTimeout(() => resolve(0), SEND_WAIT_MS); }),
    ]);
    return sent;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Sends on the TURN client's own transport; for UDP, resolves once the datagram left. */
function send(t: TurnClientLike, message: Buffer): Promise<void> {
  const to = t.serverEndpoint ?? t.server;
  const socket = t.transport.type === 'udp' ? t.transport.socket : undefined;
  if (!socket) return t.transport.send(message, to);
  return new Promise((resolve, reject) => socket.send(message, to[1], to[0], (e) => (e ? reject(e) : resolve())));
}
