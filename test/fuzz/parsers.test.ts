/**
 * Hostile input to Fluo's own parsers: 100,000 random and mutated inputs each. A parser
 * either answers or throws a KurentoError; nothing else, never a hang. Seeded, so a
 * failure reproduces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { KurentoError } from '../../src/shared/KurentoError.ts';
import { parsePlainSdp } from '../../src/media/rtpEndpoint/PlainSdp.ts';
import { asksKeyframe, isRtcp } from '../../src/media/rtpEndpoint/rtcp.ts';
import { parseJsonc } from '../../src/config/parseJsonc.ts';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { rng, mutate } from '../helpers/fuzz.ts';

const N = 100_000;

const SDP = Buffer.from(['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=x', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=video 5000 RTP/SAVP 96 0', 'a=rtpmap:96 VP8/90000',
  'a=fmtp:96 max-fr=30', 'a=rtcp:5001', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:' + Buffer.alloc(30, 1).toString('base64'), 'a=sendrecv', 'm=audio 5002 RTP/AVP 111', 'a=rtpmap:111 opus/48000/2', ''].join('\r\n'));
const PLI = Buffer.from([0x81, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0x80, 200, 0, 6, ...Array(24).fill(0)]);

test(`PlainSdp: ${N} mutated and random SDPs`, () => {
  const r = rng(1);
  for (let i = 0; i < N; i++) {
    const input = i % 10 === 0 ? Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256))) : mutate(SDP, r);
    try {
      const d = parsePlainSdp(input.toString('latin1'));
      assert.ok(d.media.length > 0);
    } catch (err) {
      assert.ok(err instanceof KurentoError && err.code === 40201, `input ${i}: ${String(err)}`);
    }
  }
});

test(`RTCP readers: ${N} mutated and random packets`, () => {
  const r = rng(2);
  for (let i = 0; i < N; i++) {
    const input = i % 10 === 0 ? Buffer.from(Array.from({ length: Math.floor(r() * 80) }, () => Math.floor(r() * 256))) : mutate(PLI, r);
    assert.equal(typeof asksKeyframe(input), 'boolean');
    if (input.length > 1) assert.equal(typeof isRtcp(input), 'boolean');
  }
});

test(`JSONC config reader: ${N / 10} mutated documents`, () => {
  const r = rng(3);
  const doc = Buffer.from('// c\n{ "mediaServer": { /* x */ "net": { "websocket": { "port": 8888, "path": "kurento", } } } }');
  for (let i = 0; i < N / 10; i++) {
    try { parseJsonc(mutate(doc, r).toString('latin1')); } catch (err) { assert.ok(err instanceof SyntaxError, String(err)); }
  }
});

test('an RtpEndpoint survives 20,000 garbage UDP packets and keeps answering', async () => {
  const fluo = await startFluo();
  const c = await RpcClient.open(fluo.url);
  const sid = (await c.ok('connect')).sessionId!;
  const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
  const ep = (await c.ok('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
  const offer = (await c.ok('invoke', { object: ep, operation: 'generateOffer', sessionId: sid })).value as string;
  const ports = [...offer.matchAll(/^m=\w+ (\d+)/gm)].map((m) => Number(m[1]));
  const sock = dgram.createSocket('udp4');
  const r = rng(4);
  for (let i = 0; i < 20_000; i++) {
    const pkt = i % 3 === 0 ? Buffer.from(Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256))) : mutate(Buffer.concat([Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9]), Buffer.alloc(100)]), r);
    const port = ports[i % ports.length]! + (i % 2);
    sock.send(pkt, port, '127.0.0.1');
    if (i % 500 === 0) await new Promise((res) => setImmediate(res));
  }
  await new Promise((res) => setTimeout(res, 300));
  sock.close();
  const stats = (await c.ok('invoke', { object: ep, operation: 'getStats', sessionId: sid })).value as Record<string, unknown>;
  assert.ok(Object.keys(stats).length > 0, 'still answering');
  assert.equal((await c.ok('describe', { object: ep, sessionId: sid })).type, 'RtpEndpoint');
  await c.ok('release', { object: P, sessionId: sid });
  await c.close();
  await fluo.stop();
});
