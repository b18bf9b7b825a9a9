/**
 * Batched sends (src/media/rtp/SendBatch.ts, native forwardBatch): one source packet's
 * copies, each built natively from its stream's record (SendRecord: header rewrite,
 * rollover counter, NACK ring, counters), protected and sent with sendmmsg(2), arrive
 * byte for byte as the TypeScript path (RtpSendStream.prepare, SrtpEncryptor without
 * the addon) makes them, for both SRTP profiles, from two sockets; NACKs after batched
 * sends resend the same bytes, and nothing sent before new keys; a stream whose packets go now in a batch, now alone, is
 * one stream across a sequence-number wrap; batches flush on a new source and when
 * full; failed copies are their owner's to send (from scratch when the record was not
 * advanced, else built again as the batch built them); a slot freed and reused within a
 * fan-out does not take the old stream's copy; bad arguments never crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { SrtpSession, RtpPacket } from 'werift';
import { fastPath, udpAddress, socketFd } from '../../src/media/native/fastpath.ts';
import { SendBatch, NOT_PREPARED, type BatchOwner, type FailedCopy } from '../../src/media/rtp/SendBatch.ts';
import { RtpSendStream } from '../../src/media/rtp/RtpSendStream.ts';
import { sendRecords, sendRings } from '../../src/media/rtp/SendRecords.ts';
import { mediaCounters } from '../../src/media/worker/mediaCounters.ts';
import { SrtpEncryptor, SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM, srtpKeyLengths, type SrtpProfileId } from '../../src/media/rtp/SrtpEncryptor.ts';

const native = fastPath?.forwardBatch && fastPath.sinkContext ? fastPath : undefined;
const skip = !native && 'addon without batched sends';
const newBatch = (): SendBatch => new SendBatch(native!.forwardBatch!.bind(native));

/** A source packet: SSRC `ssrc`, a CSRC, an extension of its own (replaced by ours), optional padding. */
function source(seq: number, ssrc = 0xabc, payload = 'the payload of one source packet, shared by every copy', padding = 0): Buffer {
  const p = Buffer.from(payload);
  const h = Buffer.alloc(12 + 4 + 8);
  h[0] = 0x80 | 0x10 | 1 | (padding ? 0x20 : 0);
  h[1] = 0x80 | 100;
  h.writeUInt16BE(seq & 0xffff, 2);
  h.writeUInt32BE((seq * 3000) >>> 0, 4);
  h.writeUInt32BE(ssrc, 8);
  h.writeUInt32BE(0x5151, 12);
  h.writeUInt16BE(0xbede, 16);
  h.writeUInt16BE(1, 18);
  h[20] = 0x91;
  const pad = padding ? Buffer.concat([Buffer.alloc(padding - 1), Buffer.from([padding])]) : Buffer.alloc(0);
  return Buffer.concat([h, p, pad]);
}

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

class Owner implements BatchOwner {
  readonly failed: Array<{ tag: object; result: number; copy: FailedCopy }> = [];
  batchFailed(tag: object, result: number, copy: FailedCopy): void {
    this.failed.push({ tag, result, copy });
  }
}

const options = (i: number) => ({ ssrc: 0x1000 + i, clockRate: 90000, historySize: 16, ...(i % 2 ? { midExtensionId: 4, mid: String(i) } : {}) });

for (const profile of [SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM] as SrtpProfileId[]) {
  test(`batched copies arrive as the TypeScript path makes them, and NACKs resend them (profile ${profile}), from two sockets`, { skip }, async () => {
    const txA = await bound();
    const txB = await bound();
    const receivers = await Promise.all(Array.from({ length: 12 }, () => bound()));
    const got = receivers.map(() => [] as Buffer[]);
    receivers.forEach((r, i) => r.on('message', (m: Buffer) => got[i]!.push(m)));
    const len = srtpKeyLengths(profile);
    const streams = receivers.map((r, i) => {
      const key = Buffer.alloc(len.key, i + 1);
      const salt = Buffer.alloc(len.salt, 0x40 + i);
      const s = new RtpSendStream(options(i));
      const enc = new SrtpEncryptor(profile, key, salt);
      s.keys(enc);
      s.route(socketFd(i < 6 ? txA : txB)!()!, udpAddress('127.0.0.1', r.address().port)!);
      return { s, enc, twin: new RtpSendStream(options(i)), twinEnc: new SrtpEncryptor(profile, key, salt, undefined) };
    });
    try {
      const batch = newBatch();
      const owner = new Owner();
      const start = { ...mediaCounters };
      const expected = streams.map(() => [] as Buffer[]);
      for (const [n, src] of [source(7), source(8, 0xabc, 'a padded one', 4), source(9)].entries()) {
        batch.hold();
        streams.forEach(({ s, twin, twinEnc }, i) => {
          assert.equal(s.queue(batch, owner, { i }, src, 96 + (i % 3)), true);
          expected[i]!.push(twin.protect(src, 96 + (i % 3), twinEnc)!);
        });
        if (n === 0) assert.equal(got.flat().length, 0, 'nothing leaves before the batch is released');
        batch.release();
      }
      assert.equal(mediaCounters.sendBatches - start.sendBatches, 3);
      assert.equal(mediaCounters.sendBatchPackets - start.sendBatchPackets, 36);
      assert.deepEqual(owner.failed, []);
      while (got.some((g) => g.length < 3)) await once(receivers[got.findIndex((g) => g.length < 3)]!, 'message');
      streams.forEach(({ s, twin }, i) => {
        assert.deepEqual(got[i], expected[i], `stream ${i}`);
        assert.deepEqual(s.stats, twin.stats, 'the same counters');
        assert.equal(s.nativeSent.packets, 3);
        assert.equal(s.nativeSent.bytes, expected[i]!.reduce((a, b) => a + b.length, 0));
      });
      // NACKs for what the batch sent: the ring gives back each packet's header and index.
      const { s, enc, twin, twinEnc } = streams[5]!;
      const seqs = expected[5]!.map((b) => b.readUInt16BE(2));
      assert.deepEqual(s.retransmissions(seqs, enc), twin.retransmissions(seqs, twinEnc));
      assert.deepEqual(s.retransmissions(seqs, enc), expected[5], 'the same bytes as first sent');
      // New keys: what was sent with the old ones is not resent (its indexes would come round again under the new keys).
      const rekeyed = new SrtpEncryptor(profile, Buffer.alloc(len.key, 0x77), Buffer.alloc(len.salt, 0x78));
      s.keys(rekeyed);
      assert.deepEqual(s.retransmissions(seqs, rekeyed), []);
    } finally {
      for (const st of streams) st.s.release();
      for (const sock of [txA, txB, ...receivers]) sock.close();
    }
  });
}

test('one stream, batched and alone in turn, through a source switch and a sequence-number wrap, decrypts in order', { skip }, async () => {
  const tx = await bound();
  const rx = await bound();
  const key = Buffer.alloc(16, 7);
  const salt = Buffer.alloc(14, 9);
  const s = new RtpSendStream({ ssrc: 4242, clockRate: 90000, historySize: 16, midExtensionId: 2, mid: '0' });
  const enc = new SrtpEncryptor(SRTP_AES128_CM_HMAC_SHA1_80, key, salt);
  s.keys(enc);
  s.route(socketFd(tx)!()!, udpAddress('127.0.0.1', rx.address().port)!);
  const got: Buffer[] = [];
  rx.on('message', (m: Buffer) => got.push(m));
  try {
    const batch = newBatch();
    const owner = new Owner();
    // Source A near the end of its sequence space, then source B: the output wraps 65535 -> 0 and continues across the switch.
    const srcs = [source(65533, 1), source(65534, 1), source(65535, 1), source(0, 1), source(500, 2), source(501, 2)];
    const alone: Buffer[] = [];
    srcs.forEach((src, i) => {
      if (i % 2 === 0) {
        batch.hold();
        s.queue(batch, owner, {}, src, 96);
        batch.release();
      } else {
        alone.push(s.protect(src, 96, enc)!);
      }
    });
    while (got.length < 3) await once(rx, 'message');
    const peer = new SrtpSession({ profile: SRTP_AES128_CM_HMAC_SHA1_80, keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt } });
    const inOrder = [got[0]!, alone[0]!, got[1]!, alone[1]!, got[2]!, alone[2]!];
    const packets = inOrder.map((b) => RtpPacket.deSerialize(peer.decrypt(b)));
    const first = packets[0]!.header.sequenceNumber;
    assert.deepEqual(packets.map((p) => p.header.sequenceNumber), [0, 1, 2, 3, 4, 5].map((d) => (first + d) & 0xffff));
    assert.ok(packets.every((p) => p.header.ssrc === 4242 && p.header.payloadType === 96));
    assert.deepEqual(packets.map((p) => p.payload.toString()), srcs.map(() => 'the payload of one source packet, shared by every copy'));
    const ts = packets.map((p) => p.header.timestamp);
    assert.equal(ts[1]! - ts[0]!, 3000, 'timestamps kept within a source');
    assert.ok(((ts[4]! - ts[3]!) >>> 0) >= 1 && ((ts[4]! - ts[3]!) >>> 0) < 90000, 'a switch continues by the time elapsed');
    assert.equal(s.stats.packetsSent, 6);
  } finally {
    s.release();
    tx.close();
    rx.close();
  }
});

test('a new source packet or a full batch flushes; failed copies go to their owner with what the record knows, the others go', { skip }, async () => {
  const tx = await bound();
  const rx = await bound();
  const rx2 = await bound();
  const last: number[] = [];
  const used = sendRecords.used;
  const key = Buffer.alloc(16, 1);
  const salt = Buffer.alloc(14, 2);
  const enc = new SrtpEncryptor(SRTP_AES128_CM_HMAC_SHA1_80, key, salt);
  const make = (port: number, fd = socketFd(tx)!()!, keyed = true): RtpSendStream => {
    const s = new RtpSendStream({ ssrc: 77, clockRate: 90000, historySize: 0 });
    if (keyed) s.keys(enc);
    s.route(fd, udpAddress('127.0.0.1', port)!);
    return s;
  };
  // 300 streams to one quiet port would overflow its receive buffer: the burst goes to rx, the checked copies to rx2.
  const many = Array.from({ length: 300 }, () => make(rx.address().port));
  const good = [make(rx2.address().port), make(rx2.address().port)];
  const closed = make(rx2.address().port, 100_000);
  const unkeyed = make(rx2.address().port, socketFd(tx)!()!, false);
  rx2.on('message', (m: Buffer) => last.push(m.length));
  try {
    const batch = newBatch();
    const owner = new Owner();
    const start = { ...mediaCounters };
    batch.hold();
    many[0]!.queue(batch, owner, {}, source(1), 96);
    many[1]!.queue(batch, owner, {}, source(2), 96);
    assert.equal(mediaCounters.sendBatches - start.sendBatches, 1, 'the second source flushed the first one\'s copies');
    const two = source(3);
    for (const s of many) s.queue(batch, owner, {}, two, 96);
    assert.equal(mediaCounters.sendBatches - start.sendBatches, 3, 'a new source, then full at 256 copies');
    batch.release();
    batch.hold();
    good[0]!.queue(batch, owner, {}, source(4, 1, 'x'.repeat(1700)), 96);
    batch.release();
    batch.hold();
    const small = source(5);
    good[1]!.queue(batch, owner, { n: 1 }, small, 96);
    closed.queue(batch, owner, { closed: true }, small, 96);
    unkeyed.queue(batch, owner, { unkeyed: true }, small, 96);
    good[0]!.queue(batch, owner, { n: 2 }, small, 96);
    batch.release();
    const tags = owner.failed.map((f) => Object.keys(f.tag)[0]);
    assert.deepEqual(owner.failed.map((f) => f.result), [-90, -9, -22], 'EMSGSIZE, EBADF, EINVAL');
    assert.deepEqual(tags, [undefined, 'closed', 'unkeyed']);
    assert.equal(owner.failed[0]!.copy.seq, NOT_PREPARED, 'too big for a slot: refused before the record moved');
    assert.equal(owner.failed[2]!.copy.seq, NOT_PREPARED, 'no keys: the record was not touched');
    assert.equal(unkeyed.stats.packetsSent, 0);
    // The copy on a closed socket was counted: built again as the batch built it, it decrypts as the stream's first packet.
    const failed = owner.failed[1]!.copy;
    assert.notEqual(failed.seq, NOT_PREPARED);
    assert.equal(closed.stats.packetsSent, 1);
    const peer = new SrtpSession({ profile: SRTP_AES128_CM_HMAC_SHA1_80, keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt } });
    const again = RtpPacket.deSerialize(peer.decrypt(closed.rebuild(failed, small, enc)!));
    assert.deepEqual([again.header.sequenceNumber, again.header.timestamp, again.header.payloadType, again.header.ssrc], [failed.seq, failed.timestamp, 96, 77]);
    assert.equal(again.header.sequenceNumber, 5, 'a first packet keeps its source\'s numbers');
    while (last.length < 2) await once(rx2, 'message');
    assert.equal(last.length, 2, 'the copies on either side of the failed ones arrived');
    assert.equal(good[0]!.stats.packetsSent, 1, 'the big copy was not counted');
  } finally {
    for (const s of [...many, ...good, closed, unkeyed]) s.release();
    tx.close();
    rx.close();
    rx2.close();
  }
  assert.equal(sendRecords.used, used, 'released records give their slots back');
});

test('the native batch call refuses bad arguments with an error or per-entry errno, never a crash', { skip }, () => {
  const send = native!.forwardBatch!.bind(native);
  const sink = native!.sinkContext!.bind(native);
  const entries = Buffer.from(new ArrayBuffer(32 * 300));
  const src = source(1);
  assert.throws(() => send('x' as never, sendRings.buffer, entries, 1, src, 0), /forwardBatch/);
  assert.throws(() => send(sendRecords.buffer, sendRings.buffer, entries.subarray(0, 16), 1, src, 0), /forwardBatch/, 'entries shorter than count');
  assert.throws(() => send(sendRecords.buffer, sendRings.buffer, entries, 300, src, 0), /forwardBatch/, 'more than 256');
  assert.throws(() => send(Buffer.alloc(200).subarray(1), sendRings.buffer, entries, 1, src, 0), /forwardBatch/, 'a misaligned table');
  assert.throws(() => sink(-1, null), /sinkContext/);
  assert.throws(() => sink(1, {} as never), /sinkContext/);
  // A slot past the table, and a source that is not RTP: per-entry results, nothing touched.
  const s = new RtpSendStream({ ssrc: 5, clockRate: 90000, historySize: 0 });
  s.keys(new SrtpEncryptor(SRTP_AES128_CM_HMAC_SHA1_80, Buffer.alloc(16, 1), Buffer.alloc(14, 2)));
  try {
    entries.writeUInt32LE(1 << 19, 0);
    sink(1 << 19, new SrtpEncryptor(SRTP_AES128_CM_HMAC_SHA1_80, Buffer.alloc(16, 1), Buffer.alloc(14, 2)).nativeContext!);
    assert.equal(send(sendRecords.buffer, sendRings.buffer, entries, 1, src, 0), 1);
    assert.equal(entries.readInt32LE(8), -22);
    assert.equal(entries.readUInt32LE(12), NOT_PREPARED);
    sink(1 << 19, null);
    // An entry for the slot without its stream's id: refused, the record untouched.
    entries.writeUInt32LE(s.slot, 0);
    entries.writeUInt32LE(0, 28);
    assert.equal(send(sendRecords.buffer, sendRings.buffer, entries, 1, src, 0), 1);
    assert.equal(entries.readInt32LE(8), -22);
    assert.equal(s.stats.packetsSent, 0);
    // A source that is not RTP: nothing to send, nothing counted.
    const batch = newBatch();
    const owner = new Owner();
    batch.hold();
    assert.ok(s.queue(batch, owner, {}, Buffer.from([0x40, 1, 2]), 96));
    batch.release();
    assert.deepEqual(owner.failed, []);
    assert.equal(s.stats.packetsSent, 0);
  } finally {
    s.release();
  }
});

test('a stream released during a fan-out: its slot, given to a new stream before the flush, does not take the old copy', { skip }, async () => {
  const tx = await bound();
  const rx = await bound();
  const enc = new SrtpEncryptor(SRTP_AES128_CM_HMAC_SHA1_80, Buffer.alloc(16, 3), Buffer.alloc(14, 4));
  const make = (): RtpSendStream => {
    const s = new RtpSendStream({ ssrc: 99, clockRate: 90000, historySize: 16 });
    s.keys(enc);
    s.route(socketFd(tx)!()!, udpAddress('127.0.0.1', rx.address().port)!);
    return s;
  };
  const old = make();
  const batch = newBatch();
  const owner = new Owner();
  let fresh: RtpSendStream | undefined;
  try {
    batch.hold();
    old.queue(batch, owner, { old: true }, source(1), 96);
    const slot = old.slot;
    old.release();
    fresh = make();
    assert.equal(fresh.slot, slot, 'the freed slot is reused');
    batch.release();
    assert.deepEqual(owner.failed.map((f) => [Object.keys(f.tag)[0], f.result, f.copy.seq]), [['old', -22, NOT_PREPARED]]);
    assert.equal(fresh.stats.packetsSent, 0, 'the new stream took nothing');
  } finally {
    fresh?.release();
    tx.close();
    rx.close();
  }
});
