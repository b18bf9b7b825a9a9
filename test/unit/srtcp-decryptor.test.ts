/**
 * The peers' SRTCP checked and decrypted natively (SrtcpDecryptor, installNativeSrtcpIn)
 * against werift's SrtcpSession as the sender: the same plain packets in both profiles;
 * a packet that does not authenticate, or one sent unencrypted, is left to werift's
 * own decrypt, which drops the first with its SrtpAuthenticationError as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SrtcpSession, RTCDtlsTransport, RtcpRrPacket, RtcpReceiverInfo, RtcpPayloadSpecificFeedback, PictureLossIndication } from 'werift';
import { fastPath, type FastPath } from '../../src/media/native/fastpath.ts';
import { SrtcpDecryptor } from '../../src/media/rtp/SrtcpDecryptor.ts';
import { installNativeSrtcpIn } from '../../src/media/webrtc/nativeSrtcpIn.ts';
import { SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM, srtpKeyLengths, type SrtpProfileId } from '../../src/media/rtp/SrtpEncryptor.ts';

const skip = fastPath?.unprotectRtcp ? false : 'the native fast path is not built';
const bytes = (n: number, from: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (from + i) & 0xff));

/** A receiver report and a PLI, as a viewer sends them. */
function compound(ssrc: number, lost: number): Buffer {
  const rr = new RtcpRrPacket({ ssrc, reports: [new RtcpReceiverInfo({ ssrc: 0x1234, fractionLost: 0, packetsLost: lost, highestSequence: 1000, jitter: 3, lsr: 0, dlsr: 0 })] });
  const pli = new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc: ssrc, mediaSsrc: 0x1234 }) });
  return Buffer.concat([rr.serialize(), pli.serialize()]);
}

/** The peer's session (sending with its local keys) and ours (its keys as our remote ones). */
function keys(profile: SrtpProfileId): { peer: SrtcpSession; key: Buffer; salt: Buffer } {
  const len = srtpKeyLengths(profile);
  const key = bytes(len.key, 0x30);
  const salt = bytes(len.salt, 0x60);
  const other = bytes(len.key, 0x90);
  const peer = new SrtcpSession({ profile, keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: other, remoteMasterSalt: bytes(len.salt, 1) } });
  return { peer, key, salt };
}

for (const profile of [SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM] as SrtpProfileId[]) {
  test(`profile ${profile}: what werift protects decrypts to the same packet; tampered or wrongly keyed packets are refused`, { skip }, () => {
    const { peer, key, salt } = keys(profile);
    const ours = SrtcpDecryptor.create(profile, key, salt)!;
    for (let i = 0; i < 3; i++) {
      const plain = compound(0xabcdef01, i);
      const srtcp = peer.encrypt(plain);
      const kept = Buffer.from(srtcp);
      assert.deepEqual(ours.unprotect(srtcp), plain);
      assert.deepEqual(srtcp, kept, 'the received buffer is left as it was');
      for (const at of [2, 9, srtcp.length - 1, srtcp.length - 12]) {
        const bad: Buffer = Buffer.from(srtcp);
        bad[at]! ^= 0x40;
        assert.equal(ours.unprotect(bad), undefined, `byte ${at} changed`);
      }
    }
    const len = srtpKeyLengths(profile);
    assert.equal(SrtcpDecryptor.create(profile, bytes(len.key, 0x31), salt)!.unprotect(peer.encrypt(compound(1, 1))), undefined, 'another key');
    assert.equal(ours.unprotect(Buffer.alloc(20)), undefined, 'too short');
  });
}

test('installNativeSrtcpIn: a transport\'s new SRTCP session decrypts natively, and leaves what it refuses to werift', { skip }, () => {
  let calls = 0;
  // The addon's functions are not enumerable: the counting path inherits them.
  const counting = Object.create(fastPath!, {
    unprotectRtcp: { value: (c: Parameters<NonNullable<FastPath['unprotectRtcp']>>[0], p: Buffer, l: number) => { calls++; return fastPath!.unprotectRtcp!(c, p, l); } },
  }) as FastPath;
  assert.equal(installNativeSrtcpIn(counting), true);
  for (const profile of [SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM] as SrtpProfileId[]) {
    const { peer, key, salt } = keys(profile);
    const len = srtpKeyLengths(profile);
    // What werift's updateSrtpSession reads of a transport: the negotiated profile and the exported keys.
    const transport = {
      dtls: { srtp: { srtpProfile: profile }, extractSessionKeys: () => ({ localKey: bytes(len.key, 0x90), localSalt: bytes(len.salt, 1), remoteKey: key, remoteSalt: salt }) },
    } as unknown as RTCDtlsTransport & { srtcp: SrtcpSession };
    RTCDtlsTransport.prototype.updateSrtpSession.call(transport);
    const before = calls;
    const plain = compound(0x55667788, 7);
    assert.deepEqual(transport.srtcp.decrypt(peer.encrypt(plain)), plain);
    assert.equal(calls, before + 1, 'decrypted by the native path');
    const bad = peer.encrypt(plain);
    bad[bad.length - 1]! ^= 1;
    assert.throws(() => transport.srtcp.decrypt(bad), (e: Error) => e.name === 'SrtpAuthenticationError', 'werift refuses it as before');
  }
});
