import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { SrtpSession, RtpHeader, RtpPacket, unwrapRtx } from 'werift';
import { SrtpEncryptor, SRTP_AES128_CM_HMAC_SHA1_80 } from '../../src/media/rtp/SrtpEncryptor.ts';
import { RtpSendStream } from '../../src/media/rtp/RtpSendStream.ts';

const key = crypto.randomBytes(16);
const salt = crypto.randomBytes(14);
const srtp = (): SrtpEncryptor => new SrtpEncryptor(SRTP_AES128_CM_HMAC_SHA1_80, key, salt);
const peer = (): SrtpSession => new SrtpSession({ profile: SRTP_AES128_CM_HMAC_SHA1_80, keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt } });

/** A source packet as the pipeline carries it: another SSRC, its own extension, payload type 100. */
function source(seq: number): Buffer {
  const h = new RtpHeader({ payloadType: 100, sequenceNumber: seq, timestamp: seq * 3000, ssrc: 0xabcdef01, marker: true, extensionProfile: 0xbede, extensions: [{ id: 9, payload: Buffer.from([1, 2]) }] });
  return new RtpPacket(h, crypto.randomBytes(300 + seq)).serialize();
}

test('a forwarded packet: our SSRC and payload type, the peer mid instead of the source extensions, and it decrypts', () => {
  const s = new RtpSendStream({ ssrc: 1111, clockRate: 90000, midExtensionId: 4, mid: '1', historySize: 16 });
  const src = source(500);
  const out = s.protect(src, 96, srtp())!;
  const got = RtpPacket.deSerialize(peer().decrypt(out));
  assert.equal(got.header.ssrc, 1111);
  assert.equal(got.header.payloadType, 96);
  assert.equal(got.header.marker, true);
  assert.deepEqual(got.header.extensions.map((e) => [e.id, e.payload.toString()]), [[4, '1']]);
  assert.deepEqual(got.payload, RtpPacket.deSerialize(src).payload);
  assert.equal(s.stats.packetsSent, 1);
});

test('NACKed packets come back as sent without RTX, and as RTX packets (RFC 4588) with it', () => {
  const plain = new RtpSendStream({ ssrc: 2222, clockRate: 90000, historySize: 16 });
  const enc = srtp();
  const sent = [10, 11, 12].map((q) => plain.protect(source(q), 96, enc)!);
  // A source switch in between changes how new packets are rewritten, not the history.
  plain.protect(new RtpPacket(new RtpHeader({ payloadType: 100, sequenceNumber: 7, timestamp: 5, ssrc: 77 }), Buffer.alloc(50)).serialize(), 96, enc);
  const again = plain.retransmissions([RtpPacket.deSerialize(peer().decrypt(sent[1]!)).header.sequenceNumber, 9999], enc);
  assert.deepEqual(again, [sent[1]], 'the same bytes; unknown sequence numbers are skipped');

  const withRtx = new RtpSendStream({ ssrc: 3333, clockRate: 90000, historySize: 16, rtx: { payloadType: 97, ssrc: 4444 } });
  const e2 = srtp();
  const srcs = [20, 21, 22].map(source);
  const first = srcs.map((b) => RtpPacket.deSerialize(peer().decrypt(withRtx.protect(b, 96, e2)!)));
  const rtx = withRtx.retransmissions([first[0]!.header.sequenceNumber, first[2]!.header.sequenceNumber], e2);
  assert.equal(rtx.length, 2);
  const dec = peer();
  const r0 = RtpPacket.deSerialize(dec.decrypt(rtx[0]!));
  const r1 = RtpPacket.deSerialize(dec.decrypt(rtx[1]!));
  assert.equal(r0.header.payloadType, 97);
  assert.equal(r0.header.ssrc, 4444);
  assert.equal((r1.header.sequenceNumber - r0.header.sequenceNumber) & 0xffff, 1, 'RTX has its own sequence');
  const restored = unwrapRtx(r0, 96, 3333);
  assert.equal(restored.header.sequenceNumber, first[0]!.header.sequenceNumber, 'OSN carries the original sequence number');
  assert.deepEqual(restored.payload, first[0]!.payload);
  assert.equal(withRtx.stats.retransmittedPacketsSent, 2);
});

test('a NACK flood is answered within the retransmission budget, the rest counted', () => {
  let now = 1_000_000;
  const s = new RtpSendStream({ ssrc: 5555, clockRate: 90000, historySize: 512, now: () => now });
  const enc = srtp();
  const seqs = Array.from({ length: 512 }, (_, i) => RtpPacket.deSerialize(peer().decrypt(s.protect(source(i), 96, enc)!)).header.sequenceNumber);
  let resent = 0;
  for (let i = 0; i < 10; i++) resent += s.retransmissions(seqs, enc).length;
  assert.equal(resent, 500, 'one second of budget');
  assert.equal(s.stats.retransmissionsRefused, 10 * 512 - 500);
  now += 100;
  assert.equal(s.retransmissions(seqs.slice(0, 100), enc).length, 50, 'refilled at 500/s');
});
