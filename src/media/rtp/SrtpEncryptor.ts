import crypto from 'node:crypto';
import { fastPath, type FastPath, type NativeSrtpContext } from '../native/fastpath.ts';

/** DTLS-SRTP protection profile ids (RFC 5764 §4.1.2, RFC 7714 §14.2). */
export const SRTP_AES128_CM_HMAC_SHA1_80 = 0x0001;
export const SRTP_AEAD_AES_128_GCM = 0x0007;
export type SrtpProfileId = typeof SRTP_AES128_CM_HMAC_SHA1_80 | typeof SRTP_AEAD_AES_128_GCM;

/** Master key and salt lengths in bytes of a profile (RFC 5764 §4.1.2, RFC 7714 §12). */
export function srtpKeyLengths(profile: SrtpProfileId): { key: number; salt: number } {
  return profile === SRTP_AEAD_AES_128_GCM ? { key: 16, salt: 12 } : { key: 16, salt: 14 };
}

/** Throws unless `profile` is one of the two and the master key and salt have its lengths. */
export function checkMasterKeys(profile: SrtpProfileId, masterKey: Buffer, masterSalt: Buffer): void {
  const len = srtpKeyLengths(profile);
  if (profile !== SRTP_AES128_CM_HMAC_SHA1_80 && profile !== SRTP_AEAD_AES_128_GCM) throw new Error(`unsupported SRTP profile ${String(profile)}`);
  if (masterKey.length !== len.key || masterSalt.length !== len.salt) throw new Error('SRTP master key or salt of the wrong length');
}

/** KDF labels for SRTP session keys (RFC 3711 §4.3.2). */
const LABEL_ENCRYPTION = 0x00;
const LABEL_AUTH = 0x01;
const LABEL_SALT = 0x02;

/** Per-SSRC sender state: the rollover counter and the highest sequence number sent (s_l). */
interface SsrcState {
  roc: number;
  highestSeq: number;
}

/**
 * SRTP protection of outgoing RTP (RFC 3711) for the two profiles WebRTC negotiates:
 * AES_CM_128_HMAC_SHA1_80 (profile 1: AES-128 counter mode, HMAC-SHA1 tag cut to 80
 * bits) and AEAD_AES_128_GCM (profile 7, RFC 7714: the 16-byte GCM tag authenticates
 * the header as AAD). Session keys are derived once from the DTLS-exported master key
 * and salt. With the native fast path, the packet is encrypted in its output buffer by
 * a cipher keyed once; without it each packet costs one cipher object (Node has no way
 * to re-key an IV on a live one) and one HMAC for profile 1.
 *
 * Only the sending direction: receiving stays with werift. Each SSRC keeps its own
 * rollover counter; this object must be the only one encrypting RTP for its SSRCs with
 * these keys, or two packets would share a keystream (RFC 3711 §9.1).
 */
export class SrtpEncryptor {
  readonly profile: SrtpProfileId;
  /** Bytes SRTP adds after the payload: the authentication tag. */
  readonly tagLength: number;
  readonly #key: Buffer;
  readonly #salt: Buffer;
  readonly #authKey: Buffer;
  readonly #iv: Buffer;
  readonly #states = new Map<number, SsrcState>();
  #lastSsrc = -1;
  #lastState: SsrcState | undefined;
  /** The same keys in the native fast path, when it is built (native/fastpath.c). */
  readonly #native: { readonly path: FastPath; readonly context: NativeSrtpContext } | undefined;

  /** `native`: the fast path to use, by default the built one (tests pass undefined for the TypeScript path). */
  constructor(profile: SrtpProfileId, masterKey: Buffer, masterSalt: Buffer, native: FastPath | undefined = fastPath) {
    checkMasterKeys(profile, masterKey, masterSalt);
    this.profile = profile;
    const gcm = profile === SRTP_AEAD_AES_128_GCM;
    this.tagLength = gcm ? 16 : 10;
    this.#key = deriveSessionKey(masterKey, masterSalt, LABEL_ENCRYPTION, 16);
    // RFC 3711 §4.3.3 / RFC 7714 §11: a 112-bit session salt for counter mode, 96 bits for GCM.
    this.#salt = deriveSessionKey(masterKey, masterSalt, LABEL_SALT, gcm ? 12 : 14);
    this.#authKey = gcm ? Buffer.alloc(0) : deriveSessionKey(masterKey, masterSalt, LABEL_AUTH, 20);
    this.#iv = Buffer.alloc(gcm ? 12 : 16);
    this.#native = native && { path: native, context: native.srtpContext(profile, this.#key, this.#salt, this.#authKey) };
  }

  /**
   * Encrypts one RTP packet given as its header (fixed part, CSRCs and extension, with
   * the final SSRC and sequence number) and its payload (padding included), and returns
   * the SRTP packet in a new buffer. Undefined when the packet's index cannot be told
   * apart from one already used (a packet older than the first one sent on this SSRC).
   */
  protect(header: Buffer, payload: Buffer): Buffer | undefined {
    const roc = this.#rolloverCounter(header.readUInt32BE(8), header.readUInt16BE(2));
    return roc < 0 ? undefined : this.protectWithRoc(header, payload, roc);
  }

  /** The native half of these keys (for the native fast path's per-sink records), if built. */
  get nativeContext(): NativeSrtpContext | undefined {
    return this.#native?.context;
  }

  /**
   * `protect` with the rollover counter given: for a stream that keeps its own (its
   * SendRecord, shared with the native fast path) instead of this object's per-SSRC state.
   */
  protectWithRoc(header: Buffer, payload: Buffer, roc: number): Buffer | undefined {
    const ssrc = header.readUInt32BE(8);
    const seq = header.readUInt16BE(2);
    const body = header.length + payload.length;
    const out = Buffer.allocUnsafe(body + this.tagLength);
    header.copy(out, 0);
    if (this.#native) {
      payload.copy(out, header.length);
      return this.#native.path.protect(this.#native.context, out, header.length, payload.length, roc) > 0 ? out : undefined;
    }
    const iv = this.#iv;
    if (this.profile === SRTP_AEAD_AES_128_GCM) {
      // RFC 7714 §8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt.
      iv.writeUInt16BE(0, 0);
      iv.writeUInt32BE(ssrc, 2);
      iv.writeUInt32BE(roc, 6);
      iv.writeUInt16BE(seq, 10);
      for (let i = 0; i < 12; i++) iv[i]! ^= this.#salt[i]!;
      const c = crypto.createCipheriv('aes-128-gcm', this.#key, iv);
      c.setAAD(header);
      c.update(payload).copy(out, header.length);
      c.final();
      c.getAuthTag().copy(out, body);
      return out;
    }
    // RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = ROC || SEQ.
    iv.writeUInt32BE(0, 0);
    iv.writeUInt32BE(ssrc, 4);
    iv.writeUInt32BE(roc, 8);
    iv.writeUInt16BE(seq, 12);
    iv.writeUInt16BE(0, 14);
    for (let i = 0; i < 14; i++) iv[i]! ^= this.#salt[i]!;
    const c = crypto.createCipheriv('aes-128-ctr', this.#key, iv);
    c.update(payload).copy(out, header.length);
    // RFC 3711 §4.2: tag = HMAC-SHA1(k_a, authenticated portion || ROC), first 80 bits.
    // The ROC goes where the tag will be, so one HMAC update covers both.
    out.writeUInt32BE(roc, body);
    crypto.createHmac('sha1', this.#authKey).update(out.subarray(0, body + 4)).digest().copy(out, body, 0, 10);
    return out;
  }

  /**
   * Protects header + `source`'s payload with rollover counter `roc` and sends the
   * packet on `fd` to `sockaddr`, in one native call with no buffer allocated
   * (fastpath.c sendProtected). The bytes sent, minus the errno of a failed send, or
   * undefined without the native fast path.
   */
  sendProtected(header: Buffer, headerLength: number, source: Buffer, payloadOffset: number, payloadLength: number, fd: number, sockaddr: Buffer, roc: number): number | undefined {
    const n = this.#native;
    return n ? n.path.sendProtected(n.context, header, headerLength, source, payloadOffset, payloadLength, roc, fd, sockaddr) : undefined;
  }

  /**
   * The ROC for a packet's sequence number, and the sender state's update (RFC 3711
   * §3.3.1 and Appendix A): the index closest to the highest one sent, so a packet
   * reordered across a 65535 -> 0 wrap keeps the ROC it was meant for. -1 for a
   * packet that would need a ROC below zero.
   */
  #rolloverCounter(ssrc: number, seq: number): number {
    // Packets come in runs of one SSRC: the last one's state saves a map lookup.
    let s = ssrc === this.#lastSsrc ? this.#lastState : this.#states.get(ssrc);
    if (!s) {
      s = { roc: 0, highestSeq: seq };
      this.#states.set(ssrc, s);
      this.#lastSsrc = ssrc;
      this.#lastState = s;
      return 0;
    }
    this.#lastSsrc = ssrc;
    this.#lastState = s;
    let v = s.roc;
    if (s.highestSeq < 0x8000) {
      if (seq - s.highestSeq > 0x8000) v = s.roc - 1;
    } else if (s.highestSeq - 0x8000 > seq) {
      v = s.roc + 1;
    }
    if (v > s.roc) {
      s.roc = v >>> 0;
      s.highestSeq = seq;
    } else if (v === s.roc && seq > s.highestSeq) {
      s.highestSeq = seq;
    }
    return v;
  }

  /** The current rollover counter of an SSRC (0 before its first packet). */
  rolloverCounterOf(ssrc: number): number {
    return this.#states.get(ssrc)?.roc ?? 0;
  }
}

/**
 * The AES-CM PRF of RFC 3711 §4.3.1/§4.3.3 with a key derivation rate of 0:
 * x = (label << 48) XOR master salt, right-aligned on 112 bits, and the output is the
 * AES-128 counter-mode keystream from IV = x * 2^16 under the master key. A 96-bit
 * GCM master salt is padded with zeros on the right to 112 bits (RFC 7714 §11), as
 * libsrtp and werift do.
 */
export function deriveSessionKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, Math.min(14, masterSalt.length));
  iv[7]! ^= label;
  const c = crypto.createCipheriv('aes-128-ctr', masterKey, iv);
  return Buffer.concat([c.update(Buffer.alloc(length)), c.final()]);
}
