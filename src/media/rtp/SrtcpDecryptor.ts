import { fastPath, type FastPath, type NativeSrtpContext } from '../native/fastpath.ts';
import { srtcpSessionKeys } from './SrtcpEncryptor.ts';
import type { SrtpProfileId } from './SrtpEncryptor.ts';

type Unprotect = Required<Pick<FastPath, 'unprotectRtcp'>>['unprotectRtcp'];

/**
 * The peer's SRTCP checked and decrypted by the native fast path, with the peer's
 * SRTCP session keys derived and a cipher keyed once (RFC 3711 §3.4, RFC 7714 §9),
 * where werift makes a new cipher and HMAC object per packet: about 5% of a media
 * worker's CPU at 100 subscribers, whose receiver reports come every second or so each
 * (a `perf` profile of bench:sfu). Native only: without the addon werift's own path
 * stays. No replay check, as werift's (RTCP here carries reports and feedback, which a
 * replay can only repeat).
 */
export class SrtcpDecryptor {
  readonly #unprotect: Unprotect;
  readonly #context: NativeSrtpContext;

  private constructor(unprotect: Unprotect, context: NativeSrtpContext) {
    this.#unprotect = unprotect;
    this.#context = context;
  }

  /** A decryptor for the peer's master key and salt, or undefined without the native fast path. */
  static create(profile: SrtpProfileId, masterKey: Buffer, masterSalt: Buffer, native: FastPath | undefined = fastPath): SrtcpDecryptor | undefined {
    const unprotect = native?.unprotectRtcp;
    if (!native || !unprotect) return undefined;
    const keys = srtcpSessionKeys(profile, masterKey, masterSalt);
    return new SrtcpDecryptor(unprotect.bind(native), native.srtpContext(profile, keys.key, keys.salt, keys.authKey));
  }

  /**
   * The plain compound RTCP packet of an SRTCP packet, in a new buffer (the received
   * one is left as it was). Undefined when it does not authenticate or was sent
   * unencrypted (E flag clear): the caller's other path decides then.
   */
  unprotect(packet: Buffer): Buffer | undefined {
    const copy = Buffer.from(packet);
    const n = this.#unprotect(this.#context, copy, copy.length);
    return n > 0 ? copy.subarray(0, n) : undefined;
  }
}
