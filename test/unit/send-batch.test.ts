/**
 * Batched sends (src/media/rtp/SendBatch.ts, native sendProtectedBatch): one source
 * packet's copies, each with its own header, keys and destination, protected and sent
 * with sendmmsg(2) arrive byte for byte as the TypeScript SRTP path makes them, on two
 * sockets (two runs of one fd), for both SRTP profiles; batches flush on a new source
 * and when full; a copy that cannot go in a batch is reported to its owner, the others
 * still go; bad arguments are refused without a crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fastPath, udpAddress, socketFd } from '../../src/media/native/fastpath.ts';
import { SendBatch, type BatchOwner } from '../../src/media/rtp/SendBatch.ts';
import { mediaCounters } from '../../src/media/worker/mediaCounters.ts';

/** Native calls and copies any batch of this thread made since `from` (the worker's counters). */
function since(from: { sendBatches: number; sendBatchPackets: number }): { flushes: number; copies: number } {
  return { flushes: mediaCounters.sendBatches - from.sendBatches, copies: mediaCounters.sendBatchPackets - from.sendBatchPackets };
}
import { SrtpEncryptor, SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM, srtpKeyLengths, type SrtpProfileId } from '../../src/media/rtp/SrtpEncryptor.ts';

const native = fastPath?.sendProtectedBatch ? fastPath : undefined;
const skip = !native && 'addon without batched sends';

function rtpHeader(seq: number, ssrc: number, pt = 96): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = pt;
  h.writeUInt16BE(seq, 2);
  h.writeUInt32BE(seq * 3000, 4);
  h.writeUInt32BE(ssrc, 8);
  return h;
}

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

class Results implements BatchOwner {
  readonly got: Array<{ tag: object; result: number; header: Buffer }> = [];
  batchSent(tag: object, result: number, header: Buffer): void {
    this.got.push({ tag, result, header: Buffer.from(header) });
  }
}

for (const profile of [SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM] as SrtpProfileId[]) {
  test(`a batch's copies arrive as the TypeScript path protects them (profile ${profile}), from two sockets`, { skip }, async () => {
    const txA = await bound();
    const txB = await bound();
    const receivers = await Promise.all(Array.from({ length: 12 }, () => bound()));
    const got = new Map<number, Buffer>();
    let all: () => void = () => undefined;
    const arrived = new Promise<void>((r) => { all = r; });
    receivers.forEach((r, i) => r.on('message', (m) => { got.set(i, m); if (got.size === receivers.length) all(); }));
    try {
      const batch = new SendBatch(native!.sendProtectedBatch!.bind(native));
      const start = { ...mediaCounters };
      const owner = new Results();
      const len = srtpKeyLengths(profile);
      const source = Buffer.concat([rtpHeader(7, 1), Buffer.from('the payload of one source packet, shared by every copy')]);
      const expected: Buffer[] = [];
      batch.hold();
      receivers.forEach((r, i) => {
        const key = Buffer.alloc(len.key, i + 1);
        const salt = Buffer.alloc(len.salt, 0x40 + i);
        const header = rtpHeader(1000 + i, 0x1000 + i, 100 + (i % 3));
        const fd = socketFd(i < 6 ? txA : txB)!()!;
        const queued = new SrtpEncryptor(profile, key, salt).queueProtected(batch, owner, { i }, header, 12, source, 12, source.length - 12, fd, udpAddress('127.0.0.1', r.address().port)!);
        assert.equal(queued, true);
        expected.push(new SrtpEncryptor(profile, key, salt, undefined).protect(header, source.subarray(12))!);
      });
      assert.equal(got.size, 0, 'nothing leaves before the batch is released');
      batch.release();
      assert.equal(since(start).flushes, 1);
      assert.equal(since(start).copies, 12);
      assert.deepEqual(owner.got.map((g) => g.result), expected.map((e) => e.length));
      await arrived;
      receivers.forEach((_, i) => assert.deepEqual(got.get(i), expected[i], `copy ${i}`));
    } finally {
      for (const s of [txA, txB, ...receivers]) s.close();
    }
  });
}

test('a new source packet or a full batch flushes; a copy too big or on a closed socket is its owner\'s to send, the others go', { skip }, async () => {
  const tx = await bound();
  const rx = await bound();
  // The 300-copy burst overflows a loopback socket's default receive buffer, so what
  // arrives is checked on a second, quiet receiver: the copies after the failures.
  const rx2 = await bound();
  const last: number[] = [];
  rx2.on('message', (m: Buffer) => { last.push(m.readUInt16BE(2)); });
  try {
    const batch = new SendBatch(native!.sendProtectedBatch!.bind(native));
    const start = { ...mediaCounters };
    const owner = new Results();
    const to = udpAddress('127.0.0.1', rx.address().port)!;
    const fd = socketFd(tx)!()!;
    const srtp = new SrtpEncryptor(SRTP_AES128_CM_HMAC_SHA1_80, Buffer.alloc(16, 1), Buffer.alloc(14, 2));
    const one = Buffer.concat([rtpHeader(1, 9), Buffer.alloc(100, 1)]);
    const two = Buffer.concat([rtpHeader(2, 9), Buffer.alloc(100, 2)]);
    batch.hold();
    srtp.queueProtected(batch, owner, {}, rtpHeader(1, 5), 12, one, 12, 100, fd, to);
    srtp.queueProtected(batch, owner, {}, rtpHeader(2, 5), 12, two, 12, 100, fd, to);
    assert.equal(since(start).flushes, 1, 'the second source flushed the first one\'s copies');
    for (let i = 0; i < 300; i++) srtp.queueProtected(batch, owner, {}, rtpHeader(10 + i, 6 + i), 12, two, 12, 100, fd, to);
    assert.equal(since(start).flushes, 2, 'full at 256 copies');
    // Too big for a batch slot, and a socket that is not open: reported, the rest sent.
    const big = Buffer.concat([rtpHeader(3, 9), Buffer.alloc(1700)]);
    batch.release();
    batch.hold();
    srtp.queueProtected(batch, owner, { big: true }, rtpHeader(400, 7), 12, big, 12, 1700, fd, to);
    batch.release();
    batch.hold();
    const to2 = udpAddress('127.0.0.1', rx2.address().port)!;
    srtp.queueProtected(batch, owner, {}, rtpHeader(402, 7), 12, two, 12, 100, fd, to2);
    srtp.queueProtected(batch, owner, { closed: true }, rtpHeader(401, 7), 12, two, 12, 100, 100_000, to2);
    srtp.queueProtected(batch, owner, {}, rtpHeader(403, 7), 12, two, 12, 100, fd, to2);
    assert.equal(batch.add(owner, {}, {} as never, Buffer.alloc(100), 100, 0, fd, to2, two, 12, 100), false, 'a header longer than a slot\'s is sent alone');
    batch.release();
    const results = owner.got.map((g) => g.result);
    assert.equal(results.length, 2 + 300 + 1 + 3);
    assert.equal(owner.got.find((g) => (g.tag as { big?: boolean }).big)!.result, -90, 'EMSGSIZE');
    assert.equal(owner.got.find((g) => (g.tag as { closed?: boolean }).closed)!.result, -9, 'EBADF');
    const sent = results.filter((r) => r > 0).length;
    assert.equal(sent, 2 + 300 + 2);
    while (last.length < 2) await once(rx2, 'message');
    assert.deepEqual(last, [402, 403], 'the copies on either side of the failed one arrived, in order');
  } finally {
    tx.close();
    rx.close();
    rx2.close();
  }
});

test('the native batch call refuses bad arguments with an error or per-entry errno, never a crash', { skip }, () => {
  const send = native!.sendProtectedBatch!.bind(native);
  assert.throws(() => send('x' as never, Buffer.alloc(128), 1, Buffer.alloc(10)), /sendProtectedBatch/);
  assert.throws(() => send([], Buffer.alloc(64), 1, Buffer.alloc(10)), /sendProtectedBatch/, 'entries shorter than count');
  assert.throws(() => send([], Buffer.alloc(128 * 300), 300, Buffer.alloc(10)), /sendProtectedBatch/, 'more than 256');
  const entries = Buffer.alloc(128);
  entries.writeUInt32LE(12, 0);
  entries.writeUInt32LE(16, 12);
  entries.writeUInt32LE(0, 16);
  entries.writeUInt32LE(5000, 20); // payload past the source
  assert.equal(send([{} as never], entries, 1, Buffer.alloc(10)), 1);
  assert.equal(entries.readInt32LE(24), -22);
});
