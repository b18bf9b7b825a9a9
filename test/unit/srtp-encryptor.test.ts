import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { SrtpSession, RtpHeader, RtpPacket } from 'werift';
import {
  SrtpEncryptor, SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM, srtpKeyLengths, type SrtpProfileId,
} from '../../src/media/rtp/SrtpEncryptor.ts';
import { fastPath, type FastPath } from '../../src/media/native/fastpath.ts';

/** Each profile through the TypeScript path and, when built, the native one (native/fastpath.c). */
const PROFILES: Array<[string, SrtpProfileId, FastPath | undefined]> = [];
for (const [path, native] of [['TypeScript', undefined], ['native', fastPath]] as const) {
  if (path === 'native' && !native) continue;
  PROFILES.push([`${path} AES_CM_128_HMAC_SHA1_80`, SRTP_AES128_CM_HMAC_SHA1_80, native]);
  PROFILES.push([`${path} AEAD_AES_128_GCM`, SRTP_AEAD_AES_128_GCM, native]);
}

// install.sh builds the addon, so a run without it (unless FLUO_NATIVE=0 asked for
// that) would silently test and ship only the slower path.
test('the native fast path is built and loaded (FLUO_NATIVE=0 turns it off)', () => {
  if (process.env.FLUO_NATIVE === '0') assert.equal(fastPath, undefined);
  else assert.ok(fastPath, 'native/build/Release/fluo_fastpath.node is missing: npm run build:native');
});

/** Our encryptor and a werift session holding the same master key and salt both ways. */
function pair(profile: SrtpProfileId, native: FastPath | undefined): { ours: SrtpEncryptor; werift: () => SrtpSession } {
  const len = srtpKeyLengths(profile);
  const key = crypto.randomBytes(len.key);
  const salt = crypto.randomBytes(len.salt);
  const werift = (): SrtpSession => new SrtpSession({
    profile, keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt },
  });
  return { ours: new SrtpEncryptor(profile, key, salt, native), werift };
}

/** An RTP packet as header bytes + payload bytes; with a one-byte mid extension and padding when asked. */
function rtp(seq: number, opts: { ext?: boolean; padding?: number; csrc?: number[]; ssrc?: number } = {}): { header: Buffer; payload: Buffer; packet: RtpPacket } {
  const h = new RtpHeader({
    payloadType: 96, sequenceNumber: seq, timestamp: (seq * 3000) >>> 0, ssrc: opts.ssrc ?? 0x11223344, marker: seq % 7 === 0,
    csrc: opts.csrc ?? [], extensionProfile: 0xbede,
    extensions: opts.ext ? [{ id: 3, payload: Buffer.from('1') }] : [],
  });
  const media = crypto.randomBytes(200 + (seq % 900));
  let payload = media;
  if (opts.padding) {
    // RFC 3550 §5.1: the last padding octet counts the padding octets, itself included.
    const pad = Buffer.alloc(opts.padding);
    pad[opts.padding - 1] = opts.padding;
    payload = Buffer.concat([media, pad]);
    h.padding = true;
  }
  const header = h.serialize(h.serializeSize);
  return { header, payload, packet: new RtpPacket(h, media) };
}

for (const [name, profile, native] of PROFILES) {
  test(`${name}: werift decrypts what we protect, and werift's own encryption gives the same bytes`, () => {
    const { ours, werift } = pair(profile, native);
    const rx = werift();
    const tx = werift();
    for (let seq = 1000; seq < 1100; seq++) {
      const p = rtp(seq, { ext: seq % 2 === 0, csrc: seq % 5 === 0 ? [7, 8] : [] });
      const out = ours.protect(p.header, p.payload)!;
      assert.equal(out.length, p.header.length + p.payload.length + ours.tagLength);
      assert.deepEqual(rx.decrypt(out), Buffer.concat([p.header, p.payload]), `seq ${seq} decrypts`);
      assert.deepEqual(tx.encrypt(p.payload, p.packet.header), out, `seq ${seq}: same bytes as werift`);
    }
  });

  test(`${name}: padding stays inside the encrypted payload`, () => {
    const { ours, werift } = pair(profile, native);
    const p = rtp(5, { padding: 4 });
    const dec = werift().decrypt(ours.protect(p.header, p.payload)!);
    const parsed = RtpPacket.deSerialize(dec);
    assert.equal(parsed.header.padding, true);
    assert.equal(parsed.header.paddingSize, 4);
    assert.deepEqual(parsed.payload, p.packet.payload);
  });

  test(`${name}: the rollover counter wraps at 65535 -> 0, also with a packet reordered across the wrap`, () => {
    const { ours, werift } = pair(profile, native);
    const rx = werift();
    const seqs: number[] = [];
    for (let s = 65_500; s < 65_536; s++) seqs.push(s);
    seqs.push(0, 1, 65_534, 2, 3); // 65534 arrives late, after the wrap: it keeps ROC 0
    for (let s = 4; s < 200; s++) seqs.push(s);
    for (const seq of seqs) {
      const p = rtp(seq);
      const out = ours.protect(p.header, p.payload)!;
      assert.deepEqual(rx.decrypt(out), Buffer.concat([p.header, p.payload]), `seq ${seq} decrypts`);
    }
    assert.equal(ours.rolloverCounterOf(0x11223344), 1);
    // A second wrap.
    for (let s = 200; s < 65_536 + 300; s += 100) {
      const seq = s & 0xffff;
      const p = rtp(seq);
      assert.deepEqual(rx.decrypt(ours.protect(p.header, p.payload)!), Buffer.concat([p.header, p.payload]), `seq ${seq} (second period)`);
    }
    assert.equal(ours.rolloverCounterOf(0x11223344), 2);
  });

  test(`${name}: the authentication tag covers header and payload`, () => {
    const { ours, werift } = pair(profile, native);
    const p = rtp(10, { ext: true });
    const out = ours.protect(p.header, p.payload)!;
    const tamperedHeader = Buffer.from(out);
    tamperedHeader[1] ^= 0x01; // payload type
    assert.throws(() => werift().decrypt(tamperedHeader));
    const tamperedPayload = Buffer.from(out);
    tamperedPayload[p.header.length + 3] ^= 0x80;
    assert.throws(() => werift().decrypt(tamperedPayload));
  });

  test(`${name}: a packet with no payload gets its tag over the header alone`, () => {
    const { ours, werift } = pair(profile, native);
    const p = rtp(42);
    const out = ours.protect(p.header, Buffer.alloc(0))!;
    assert.equal(out.length, p.header.length + ours.tagLength);
    assert.deepEqual(werift().decrypt(out), p.header);
  });

  test(`${name}: SSRCs keep separate rollover counters; a packet older than the first one is refused`, () => {
    const { ours, werift } = pair(profile, native);
    const rx = werift();
    for (let s = 65_530; s < 65_536 + 5; s++) {
      const p = rtp(s & 0xffff, { ssrc: 1 });
      assert.deepEqual(rx.decrypt(ours.protect(p.header, p.payload)!), Buffer.concat([p.header, p.payload]));
    }
    const other = rtp(100, { ssrc: 2 });
    assert.deepEqual(rx.decrypt(ours.protect(other.header, other.payload)!), Buffer.concat([other.header, other.payload]));
    assert.equal(ours.rolloverCounterOf(1), 1);
    assert.equal(ours.rolloverCounterOf(2), 0);
    // SSRC 3 starts at 10: 65530 would need ROC -1, which no receiver can tell from index 65530 of ROC 0.
    const first = rtp(10, { ssrc: 3 });
    assert.ok(ours.protect(first.header, first.payload));
    const older = rtp(65_530, { ssrc: 3 });
    assert.equal(ours.protect(older.header, older.payload), undefined);
  });
}

test('wrong key lengths are refused', () => {
  assert.throws(() => new SrtpEncryptor(SRTP_AES128_CM_HMAC_SHA1_80, Buffer.alloc(16), Buffer.alloc(12)));
  assert.throws(() => new SrtpEncryptor(SRTP_AEAD_AES_128_GCM, Buffer.alloc(16), Buffer.alloc(14)));
});
