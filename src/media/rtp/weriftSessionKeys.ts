import { SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80, srtpKeyLengths, type SrtpProfileId } from './SrtpEncryptor.ts';

/** What werift's SrtpSession and SrtcpSession keep of their construction (RFC 5764 §4.2 exporter output). */
export interface WeriftSessionConfig {
  readonly profile: number;
  readonly keys: {
    readonly localMasterKey: Buffer;
    readonly localMasterSalt: Buffer;
    readonly remoteMasterKey: Buffer;
    readonly remoteMasterSalt: Buffer;
  };
}

/**
 * One side's master key and salt of a werift SRTP or SRTCP session's construction, when
 * its profile is one Fluo protects with and the lengths are the profile's (werift keeps
 * a GCM salt padded to 14 bytes: the profile's length is taken).
 */
export function weriftSessionKeys(config: WeriftSessionConfig | undefined, side: 'local' | 'remote'): { profile: SrtpProfileId; key: Buffer; salt: Buffer } | undefined {
  const profile = config?.profile;
  if (!config || (profile !== SRTP_AES128_CM_HMAC_SHA1_80 && profile !== SRTP_AEAD_AES_128_GCM)) return undefined;
  const len = srtpKeyLengths(profile);
  const key = side === 'local' ? config.keys.localMasterKey : config.keys.remoteMasterKey;
  const salt = (side === 'local' ? config.keys.localMasterSalt : config.keys.remoteMasterSalt)?.subarray(0, len.salt);
  return key?.length === len.key && salt?.length === len.salt ? { profile, key, salt } : undefined;
}
