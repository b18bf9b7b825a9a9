/**
 * Batched sends against one send per copy, without werift or the graph: one 1,200-byte
 * source packet forwarded to N subscriber streams (RtpSendStream, each with its SRTP
 * keys) on N loopback sockets, either each copy rewritten in TypeScript
 * (RtpSendStream.prepare) and sent by one sendProtected call (sendmsg each), or every
 * copy named in a batch and rewritten, protected and sent natively from the streams'
 * records by one forwardBatch call (sendmmsg), in the same run, alternating rounds.
 *   node --import tsx bench/sendBatch.ts [--subscribers 200] [--rounds 2000]
 * Prints wall time and this process's CPU (user, kernel) per copy, and /proc/stat's
 * softirq time per copy (loopback delivery to the receiving sockets runs there).
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import { once } from 'node:events';
import { fastPath, socketFd, udpAddress } from '../src/media/native/fastpath.ts';
import { SendBatch } from '../src/media/rtp/SendBatch.ts';
import { RtpSendStream } from '../src/media/rtp/RtpSendStream.ts';
import { SrtpEncryptor, SRTP_AES128_CM_HMAC_SHA1_80 } from '../src/media/rtp/SrtpEncryptor.ts';

const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const subscribers = Number(arg('subscribers', '200'));
const rounds = Number(arg('rounds', '2000'));
if (!fastPath?.forwardBatch) throw new Error('the native fast path with forwardBatch is not built (npm run build:native)');

function softirqSeconds(): number {
  const f = /^cpu (.*)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))![1]!.trim().split(/\s+/).map(Number);
  return f[6]! / 100;
}

async function main(): Promise<void> {
  const tx = dgram.createSocket('udp4');
  tx.bind(0, '127.0.0.1');
  await once(tx, 'listening');
  const fd = socketFd(tx)!()!;
  // Receivers that read nothing: the kernel drops past their buffer, which costs less
  // than a read and is the same for both ways of sending.
  const rx = await Promise.all(Array.from({ length: subscribers }, async () => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    return s;
  }));
  const subs = rx.map((r, i) => {
    const srtp = new SrtpEncryptor(SRTP_AES128_CM_HMAC_SHA1_80, Buffer.alloc(16, i + 1), Buffer.alloc(14, i));
    const stream = new RtpSendStream({ ssrc: 0x1000 + i, clockRate: 90000, historySize: 512, midExtensionId: 4, mid: '1' });
    const to = udpAddress('127.0.0.1', r.address().port)!;
    stream.keys(srtp);
    stream.route(fd, to);
    return { srtp, stream, to };
  });
  const source = Buffer.alloc(1212, 7);
  source[0] = 0x80;
  source[1] = 100;
  const batch = new SendBatch(fastPath!.forwardBatch!.bind(fastPath));
  const owner = { batchFailed(): void {} };
  const tag = {};
  let seq = 0;
  const next = (): void => {
    seq++;
    source.writeUInt16BE(seq & 0xffff, 2);
    source.writeUInt32BE((seq * 3000) >>> 0, 4);
  };
  const oneByOne = (): void => {
    next();
    const now = performance.now();
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i]!;
      const h = s.stream.prepare(source, 96, now);
      s.srtp.sendProtected(s.stream.header, h, source, 12, 1200, fd, s.to, s.stream.roc);
    }
  };
  const batched = (): void => {
    next();
    batch.hold();
    for (let i = 0; i < subs.length; i++) subs[i]!.stream.queue(batch, owner, tag, source, 96);
    batch.release();
  };
  const totals = { one: { wall: 0, user: 0, sys: 0, soft: 0 }, batch: { wall: 0, user: 0, sys: 0, soft: 0 } };
  const measure = (fn: () => void, into: typeof totals.one): void => {
    const c0 = process.cpuUsage();
    const s0 = softirqSeconds();
    const t0 = performance.now();
    for (let r = 0; r < 50; r++) fn();
    into.wall += performance.now() - t0;
    const c = process.cpuUsage(c0);
    into.user += c.user / 1000;
    into.sys += c.system / 1000;
    into.soft += (softirqSeconds() - s0) * 1000;
  };
  for (let i = 0; i < 20; i++) { oneByOne(); batched(); } // warm-up
  for (let r = 0; r < rounds; r += 100) {
    measure(oneByOne, totals.one);
    measure(batched, totals.batch);
  }
  const copies = (rounds / 2) * subscribers;
  const per = (ms: number): string => ((ms * 1000) / copies).toFixed(2);
  console.log(`# batched sends against one call per copy: ${os.cpus().length} cores (${os.cpus()[0]?.model}), node ${process.version}; ${subscribers} subscribers on loopback, 1,200-byte payload, a mid extension and a NACK history per stream, AES-CM-128/HMAC-SHA1-80, ${copies} copies each way, alternating rounds of 50 packets`);
  console.log('way             µs/copy wall   µs/copy user   µs/copy kernel   µs/copy softirq (machine)');
  for (const [name, t] of [['one by one', totals.one], ['batched', totals.batch]] as const) {
    console.log(`${name.padEnd(14)}  ${per(t.wall).padStart(13)}  ${per(t.user).padStart(13)}  ${per(t.sys).padStart(15)}  ${per(t.soft).padStart(26)}`);
  }
  console.log(`batched / one by one (user + kernel): ${((totals.batch.user + totals.batch.sys) / (totals.one.user + totals.one.sys)).toFixed(2)}`);
  for (const s of subs) s.stream.release();
  for (const s of [tx, ...rx]) s.close();
}

main().catch((e) => { console.error(e); process.exit(1); });
