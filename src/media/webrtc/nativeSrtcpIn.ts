import { RTCDtlsTransport } from 'werift';
import { fastPath, type FastPath } from '../native/fastpath.ts';
import { SrtcpDecryptor } from '../rtp/SrtcpDecryptor.ts';
import { weriftSessionKeys, type WeriftSessionConfig } from '../rtp/weriftSessionKeys.ts';

/** What this override uses of werift's SrtcpSession: the keys it was built with, and its decrypt (an own property). */
interface SrtcpSessionLike {
  readonly config?: WeriftSessionConfig;
  decrypt?: (packet: Buffer) => Buffer;
}

let installed = false;

/**
 * The peers' SRTCP decrypted natively in this worker (SrtcpDecryptor): a small override
 * of werift's `RTCDtlsTransport.updateSrtpSession`, where werift makes the SRTP and SRTCP
 * sessions of a transport whenever it derives keys. The new SRTCP session's `decrypt`
 * tries the native check first and hands anything it refuses (a packet that does not
 * authenticate, or one sent unencrypted) to werift's own, unchanged, so werift still
 * decides what is dropped and logs it. Nothing else of werift's receive path changes.
 * False when the addon or werift's shape is not there (werift's path stays).
 */
export function installNativeSrtcpIn(native: FastPath | undefined = fastPath): boolean {
  if (installed) return true;
  if (!native?.unprotectRtcp) return false;
  const proto = RTCDtlsTransport.prototype as unknown as { updateSrtpSession?: (this: RTCDtlsTransport) => void };
  const original = proto.updateSrtpSession;
  if (typeof original !== 'function') return false;
  proto.updateSrtpSession = function updateSrtpSession(this: RTCDtlsTransport): void {
    original.call(this);
    nativeDecrypt(this.srtcp as unknown as SrtcpSessionLike | undefined, native);
  };
  installed = true;
  return true;
}

function nativeDecrypt(session: SrtcpSessionLike | undefined, native: FastPath): void {
  const werift = session?.decrypt;
  const keys = weriftSessionKeys(session?.config, 'remote');
  if (!session || !keys || typeof werift !== 'function') return;
  const decryptor = SrtcpDecryptor.create(keys.profile, keys.key, keys.salt, native);
  if (!decryptor) return;
  session.decrypt = (packet: Buffer): Buffer => decryptor.unprotect(packet) ?? werift(packet);
}
