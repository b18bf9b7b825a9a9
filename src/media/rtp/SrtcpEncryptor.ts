import crypto from 'node:crypto';
import { fastPath, type FastPath, type NativeSrtpContext } from '../native/fastpath.ts';
import { checkMasterKeys, deriveSessionKey, SRTP_AEAD_AES_128_GCM, type SrtpProfileId } from './SrtpEncryptor.ts';

/** KDF labels for SRTCP session keys (RFC 3711 §4.3.2). */
const LABEL_RTCP_ENCRYPTION = 0x03;
const LABEL_RTCP_AUTH = 0x04;
const LABEL_RTCP_SALT = 0x05;
/** The E flag and SRTCP index field that follow the encrypted part (RFC 3711 §3.4). */
const INDEX_FIELD = 4;
/** The SRTCP index is 31 bits (RFC 3711 §3.4). */
export const MAX_SRTCP_INDEX = 0x7fffffff;

/**
 * The SRTCP session keys (RFC 3711 §4.3.2, labels 3-5; RFC 7714 §11: a 96-bit salt for
 * GCM, which has no authentication key) from a DTLS-exported master key and salt.
 */
export function srtcpSessionKeys(profile: SrtpProfileId, masterKey: Buffer, masterSalt: Buffer): { key: Buffer; salt: Buffer; authKey: Buffer } {
  checkMasterKeys(profile, masterKey, masterSalt);
  const gcm = profile === SRTP_AEAD_AES_128_GCM;
  return {
    key: deriveSessionKey(masterKey, masterSalt, LABEL_RTCP_ENCRYPTION, 16),
    salt: deriveSessionKey(masterKey, masterSalt, LABEL_RTCP_SALT, gcm ? 12 : 14),
    authKey: gcm ? Buffer.alloc(0) : deriveSessionKey(masterKey, masterSalt, LABEL_RTCP_AUTH, 20),
  };
}

/**
 * SRTCP protection of the compound RTCP packets Fluo sends itself (sender reports), for
 * the two profiles WebRTC negotiates (RFC 3711 §3.4, RFC 7714 §9). Session keys are
 * derived once from the DTLS-exported master key and salt; with the native fast path
 * the cipher is keyed once too, where werift's sendRtcp makes a new cipher and HMAC
 * object per packet and goes through a promise chain (about a sixth of a media
 * worker's CPU at 100 subscribers, most of it there: a `perf` profile of bench:sfu).
 *
 * The caller gives the SRTCP index: it is per sender SSRC and must not repeat under
 * these keys (RFC 3711 §9.1), and werift sends other RTCP (receiver reports, NACK,
 * PLI, REMB) with the same SSRC, so both must count on one counter (ForwardingSender).
 */
export class SrtcpEncryptor {
  readonly profile: SrtpProfileId;
  /** Bytes SRTCP adds after the packet: E || index and the tag. */
  readonly overhead: number;
  readonly #gcm: boolean;
  readonly #key: Buffer;
  readonly #salt: Buffer;
  readonly #authKey: Buffer;
  readonly #native: { readonly path: FastPath & Required<Pick<FastPath, 'protectRtcp'>>; readonly context: NativeSrtpContext } | undefined;

  /** `native`: the fast path to use, by default the built one (tests pass undefined for the TypeScript path). */
  constructor(profile: SrtpProfileId, masterKey: Buffer, masterSalt: Buffer, native: FastPath | undefined = fastPath) {
    this.profile = profile;
    this.#gcm = profile === SRTP_AEAD_AES_128_GCM;
    this.overhead = INDEX_FIELD + (this.#gcm ? 16 : 10);
    ({ key: this.#key, salt: this.#salt, authKey: this.#authKey } = srtcpSessionKeys(profile, masterKey, masterSalt));
    const path = native?.protectRtcp ? native as FastPath & Required<Pick<FastPath, 'protectRtcp'>> : undefined;
    this.#native = path && { path, context: path.srtpContext(profile, this.#key, this.#salt, this.#authKey) };
  }

  /**
   * The SRTCP packet for the compound RTCP packet `rtcp` (at least its 8-octet first
   * header with the sender SSRC) with SRTCP index `index`, in a new buffer. Undefined
   * for a packet too short or an index out of range.
   */
  protect(rtcp: Buffer, index: number): Buffer | undefined {
    if (rtcp.length < 8 || !Number.isInteger(index) || index < 0 || index > MAX_SRTCP_INDEX) return undefined;
    const out = Buffer.allocUnsafe(rtcp.length + this.overhead);
    rtcp.copy(out, 0);
    if (this.#native) return this.#native.path.protectRtcp(this.#native.context, out, rtcp.length, index) > 0 ? out : undefined;
    const ssrc = rtcp.readUInt32BE(4);
    const eIndex = (index | 0x80000000) >>> 0;
    if (this.#gcm) {
      // RFC 7714 §9.1: IV = (0x0000 || SSRC || 0x0000 || SRTCP index) XOR salt; AAD = header || E || index.
      const iv = Buffer.alloc(12);
      iv.writeUInt32BE(ssrc, 2);
      iv.writeUInt32BE(index, 8);
      for (let i = 0; i < 12; i++) iv[i]! ^= this.#salt[i]!;
      const aad = Buffer.alloc(12);
      rtcp.copy(aad, 0, 0, 8);
      aad.writeUInt32BE(eIndex, 8);
      const c = crypto.createCipheriv('aes-128-gcm', this.#key, iv);
      c.setAAD(aad);
      c.update(rtcp.subarray(8)).copy(out, 8);
      c.final();
      c.getAuthTag().copy(out, rtcp.length);
      out.writeUInt32BE(eIndex, rtcp.length + 16);
      return out;
    }
    // RFC 3711 §4.1.1 with i = the SRTCP index; §3.4: the tag covers the packet and E || index.
    const iv = Buffer.alloc(16);
    iv.writeUInt32BE(ssrc, 4);
    iv.writeUInt32BE(index, 10);
    for (let i = 0; i < 14; i++) iv[i]! ^= this.#salt[i]!;
    crypto.createCipheriv('aes-128-ctr', this.#key, iv).update(rtcp.subarray(8)).copy(out, 8);
    out.writeUInt32BE(eIndex, rtcp.length);
    crypto.createHmac('sha1', this.#authKey).update(out.subarray(0, rtcp.length + INDEX_FIELD)).digest().copy(out, rtcp.length + INDEX_FIELD, 0, 10);
    return out;
  }
}
