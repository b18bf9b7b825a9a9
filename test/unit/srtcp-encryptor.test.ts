/**
 * SrtcpEncryptor (Fluo's SRTCP for its sender reports) against werift's SrtcpSession,
 * which decrypts what browsers send and is an independent implementation of RFC 3711
 * §3.4 and RFC 7714 §9: byte for byte the same packets for the same index, in both
 * profiles, on the native path and the TypeScript one; and werift's receiving side
 * authenticates and decrypts ours.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SrtcpSession, RtcpSrPacket, RtcpSenderInfo, RtcpSourceDescriptionPacket, SourceDescriptionChunk, SourceDescriptionItem } from 'werift';
import { fastPath } from '../../src/media/native/fastpath.ts';
import { SrtcpEncryptor, MAX_SRTCP_INDEX } from '../../src/media/rtp/SrtcpEncryptor.ts';
import { SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM, srtpKeyLengths, type SrtpProfileId } from '../../src/media/rtp/SrtpEncryptor.ts';

/** A compound SR + SDES as ForwardingSender sends it. */
function compound(ssrc: number, packets: number): Buffer {
  const sr = new RtcpSrPacket({
    ssrc,
    senderInfo: new RtcpSenderInfo({ ntpTimestamp: 0xe1b2c3d4_01020304n, rtpTimestamp: 123456, packetCount: packets, octetCount: packets * 1100 }),
  });
  const sdes = new RtcpSourceDescriptionPacket({ chunks: [new SourceDescriptionChunk({ source: ssrc, items: [new SourceDescriptionItem({ type: 1, text: 'fluo-cname' })] })] });
  return Buffer.concat([sr.serialize(), sdes.serialize()]);
}

const paths = [['TypeScript', undefined], ...(fastPath?.protectRtcp ? [['native', fastPath]] as const : [])] as const;

for (const profile of [SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM] as SrtpProfileId[]) {
  for (const [name, native] of paths) {
    test(`profile ${profile}, ${name} path: werift's SRTCP gives the same bytes for the same index and decrypts ours`, () => {
      const len = srtpKeyLengths(profile);
      const key = Buffer.from(Array.from({ length: len.key }, (_, i) => 0x10 + i));
      const salt = Buffer.from(Array.from({ length: len.salt }, (_, i) => 0xa0 + i));
      const ours = new SrtcpEncryptor(profile, key, salt, native);
      const werift = new SrtcpSession({ profile, keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt } });
      const ssrc = 0xdeadbeef;
      // werift counts its index from 1 per SSRC; ours is given.
      for (let index = 1; index <= 3; index++) {
        const plain = compound(ssrc, index * 10);
        const protectedByUs = ours.protect(plain, index);
        assert.ok(protectedByUs);
        assert.equal(protectedByUs.length, plain.length + ours.overhead);
        assert.deepEqual(protectedByUs, werift.encrypt(plain), `index ${index}: the same SRTCP packet as werift's`);
        assert.deepEqual(werift.decrypt(protectedByUs), plain);
        assert.notDeepEqual(protectedByUs.subarray(8, plain.length), plain.subarray(8), 'the reports are encrypted');
      }
      // The last index the field can carry, and a tampered packet werift refuses.
      const last = ours.protect(compound(ssrc, 1), MAX_SRTCP_INDEX)!;
      assert.deepEqual(werift.decrypt(last), compound(ssrc, 1));
      last[10]! ^= 1;
      assert.throws(() => werift.decrypt(last));
      assert.equal(ours.protect(compound(ssrc, 1), MAX_SRTCP_INDEX + 1), undefined);
      assert.equal(ours.protect(compound(ssrc, 1), -1), undefined);
      assert.equal(ours.protect(Buffer.alloc(4), 1), undefined);
    });
  }
}
