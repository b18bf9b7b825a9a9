/**
 * Hostile input to the media plane's own readers: IceGuard's STUN/DTLS/RTP checks, the
 * forwarding rewrite (RtpSendStream), and the H.264/SDP rewrites of offers. 100,000
 * random and mutated inputs each, seeded: each answers, none throws.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { RTCPeerConnection } from 'werift';
import { IceGuard } from '../../src/media/webrtc/IceGuard.ts';
import { RtpSendStream } from '../../src/media/rtp/RtpSendStream.ts';
import { SrtpEncryptor, SRTP_AEAD_AES_128_GCM } from '../../src/media/rtp/SrtpEncryptor.ts';
import { withoutUnacceptableH264, offeredH264, h264Compatible } from '../../src/media/graph/h264.ts';
import { withStreamMsid, withMids } from '../../src/media/webrtc/sdpMunging.ts';
import { rng, mutate, randomBytes } from '../helpers/fuzz.ts';
import { bindingRequest } from '../helpers/stun.ts';

const N = 100_000;
const PEER: [string, number] = ['127.0.0.1', 40000];
const STRANGER: [string, number] = ['127.0.0.1', 40001];

test(`IceGuard: ${N} mutated and random STUN, DTLS and RTP datagrams`, async () => {
  const pc = new RTCPeerConnection();
  try {
    const guard = new IceGuard(pc);
    const conn = { checkList: [{ remoteCandidate: { host: PEER[0], port: PEER[1] } }], localUsername: 'loc', localPassword: 'localpasswordlocalpass' };
    const stun = bindingRequest('loc:rem', conn.localPassword);
    assert.equal(guard.admit(conn, stun, STRANGER), true, 'an authenticated request from anywhere (ICE checks new addresses)');
    assert.equal(guard.admit(conn, bindingRequest('loc:rem', 'wrong'), STRANGER), false);
    const dtls = Buffer.concat([Buffer.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 20]), Buffer.alloc(20)]);
    const rtp = Buffer.concat([Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9]), Buffer.alloc(100)]);
    assert.equal(guard.admit(conn, dtls, PEER), true);
    assert.equal(guard.admit(conn, rtp, STRANGER), false, 'media from an unknown address');
    const r = rng(11);
    const bases = [stun, dtls, rtp];
    let admitted = 0;
    for (let i = 0; i < N; i++) {
      const input = i % 10 === 0 ? randomBytes(r, Math.floor(r() * 200)) : mutate(bases[i % 3]!, r);
      if (guard.admit(conn, input, i % 7 === 0 ? STRANGER : PEER)) admitted++;
    }
    const c = guard.counters;
    assert.ok(c.malformed > 0 && c.unauthenticatedStun > 0 && c.unknownAddress > 0, JSON.stringify(c));
    assert.ok(admitted > 0 && admitted < N);
  } finally {
    await pc.close();
  }
});

test(`RtpSendStream: ${N} mutated and random packets to forward`, () => {
  const s = new RtpSendStream({ ssrc: 7, clockRate: 90000, midExtensionId: 3, mid: '0', historySize: 64, rtx: { payloadType: 97, ssrc: 8 } });
  const srtp = new SrtpEncryptor(SRTP_AEAD_AES_128_GCM, crypto.randomBytes(16), crypto.randomBytes(12));
  const base = Buffer.concat([Buffer.from([0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0]), Buffer.alloc(80, 7)]);
  const r = rng(12);
  let sent = 0;
  for (let i = 0; i < N; i++) {
    const input = i % 10 === 0 ? randomBytes(r, Math.floor(r() * 100)) : mutate(base, r);
    const out = s.protect(input, 96, srtp);
    if (out) {
      sent++;
      assert.ok(out.length >= 12 + 16, 'header and GCM tag');
    }
    if (i % 1000 === 0) s.retransmissions([i & 0xffff, (i * 7) & 0xffff], srtp);
  }
  assert.ok(sent > N / 2, `most mutated packets are still RTP (${sent})`);
});

test(`H.264 and SDP rewrites: ${N} mutated offers`, () => {
  const offer = Buffer.from(['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104', 'a=mid:0',
    'a=rtpmap:96 VP8/90000', 'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96', 'a=rtpmap:102 H264/90000', 'a=fmtp:102 packetization-mode=1;profile-level-id=42e01f',
    'a=rtpmap:103 rtx/90000', 'a=fmtp:103 apt=102', 'a=rtpmap:104 H264/90000', 'a=fmtp:104 packetization-mode=2;profile-level-id=f4001f', 'a=ssrc:1 cname:x', ''].join('\r\n'));
  const r = rng(13);
  for (let i = 0; i < N; i++) {
    const sdp = mutate(offer, r).toString('latin1');
    assert.equal(typeof withoutUnacceptableH264(sdp), 'string');
    assert.equal(typeof withStreamMsid(sdp, 'fluo-x'), 'string');
    assert.equal(typeof withMids(sdp), 'string');
    for (const f of offeredH264(sdp)) assert.equal(typeof h264Compatible(f.fmtp, 'packetization-mode=1;profile-level-id=42e01f'), 'boolean');
  }
});
