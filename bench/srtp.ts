/**
 * SRTP protection cost per packet: Fluo's SrtpEncryptor (native fast path when built,
 * and node:crypto) against werift's SrtpSession, for both DTLS-SRTP profiles, on a
 * 1,150-byte payload with a mid extension.
 *   node --import tsx bench/srtp.ts
 */
import crypto from 'node:crypto';
import { SrtpSession, RtpHeader } from 'werift';
import { fastPath } from '../src/media/native/fastpath.ts';
import { SrtpEncryptor, SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM, srtpKeyLengths } from '../src/media/rtp/SrtpEncryptor.ts';

const N = 100_000;
for (const [name, profile] of [['AES_CM_128_HMAC_SHA1_80', SRTP_AES128_CM_HMAC_SHA1_80], ['AEAD_AES_128_GCM', SRTP_AEAD_AES_128_GCM]] as const) {
  const len = srtpKeyLengths(profile);
  const key = crypto.randomBytes(len.key);
  const salt = crypto.randomBytes(len.salt);
  const ours = new SrtpEncryptor(profile, key, salt, undefined);
  const native = fastPath && new SrtpEncryptor(profile, key, salt, fastPath);
  const werift = new SrtpSession({ profile, keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt } });
  const h = new RtpHeader({ payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc: 5, extensionProfile: 0xbede, extensions: [{ id: 1, payload: Buffer.from('0') }] });
  const header = h.serialize(h.serializeSize);
  const payload = crypto.randomBytes(1150);
  const time = (f: (i: number) => void): number => {
    for (let i = 0; i < 5000; i++) f(i);
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) f(i);
    return Number(process.hrtime.bigint() - t) / N / 1000;
  };
  const a = time((i) => { header.writeUInt16BE(i & 0xffff, 2); ours.protect(header, payload); });
  const n = native ? time((i) => { header.writeUInt16BE(i & 0xffff, 2); native.protect(header, payload); }) : NaN;
  const b = time((i) => { h.sequenceNumber = i & 0xffff; werift.encrypt(payload, h); });
  console.log(`${name.padEnd(24)} SrtpEncryptor native ${native ? `${n.toFixed(2)} µs/packet` : 'not built'}, node:crypto ${a.toFixed(2)} µs/packet; werift SrtpSession ${b.toFixed(2)} µs/packet`);
}
