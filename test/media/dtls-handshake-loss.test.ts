/**
 * A DTLS handshake survives losing any of its flights (RFC 6347 §4.2.4: timers and
 * retransmission), with Fluo as client (it answers a libwebrtc offer) and as server (it
 * offers). A LossyRelay between the peer and Fluo loses the first datagram that carries
 * a chosen part of the handshake, once; the endpoint is its own sink, so frames coming
 * back to the peer prove the handshake completed and SRTP keys agree. Before Fluo
 * renumbered werift's retransmissions (src/media/webrtc/dtlsRetransmission.ts), a lost
 * server flight 6 stalled the handshake for good, the peer dropping werift's byte-equal
 * repeats of flight 5 as replays.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';
import { LossyRelay } from '../helpers/LossyRelay.ts';
import { signalThroughRelay } from '../helpers/throughRelay.ts';
import { mediaSkipReason } from '../helpers/netns.ts';

const peers = new RemotePeers();
after(() => peers.stop());

/** Handshake message names (RFC 5246 §7.4) for the types a test may drop. */
const HANDSHAKE: Record<number, string> = { 1: 'ClientHello', 2: 'ServerHello', 11: 'Certificate', 12: 'ServerKeyExchange', 14: 'ServerHelloDone', 16: 'ClientKeyExchange' };

/**
 * What a DTLS datagram carries, record by record (RFC 6347 §4.1): plaintext handshake
 * messages by name, 'ChangeCipherSpec', and 'Encrypted' for a record of epoch 1 or more
 * (a Finished during the handshake).
 */
function contents(d: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at + 13 <= d.length;) {
    const type = d[at]!;
    const epoch = d.readUInt16BE(at + 3);
    const length = d.readUInt16BE(at + 11);
    if (epoch > 0) out.push('Encrypted');
    else if (type === 20) out.push('ChangeCipherSpec');
    else if (type === 22 && length > 0) out.push(HANDSHAKE[d[at + 13]!] ?? `handshake ${d[at + 13]}`);
    at += 13 + length;
  }
  return out;
}

interface Case { fluoOffers: boolean; toward: 'peer' | 'fluo'; part: string; what: string }
const cases: Case[] = [
  // Fluo answers: it is the DTLS client, libwebrtc the server.
  { fluoOffers: false, toward: 'peer', part: 'ClientHello', what: 'Fluo\'s ClientHello (flight 1)' },
  { fluoOffers: false, toward: 'fluo', part: 'ServerHello', what: 'the server\'s flight 4' },
  { fluoOffers: false, toward: 'peer', part: 'ClientKeyExchange', what: 'part of Fluo\'s flight 5' },
  { fluoOffers: false, toward: 'fluo', part: 'Encrypted', what: 'the server\'s last flight (6: ChangeCipherSpec + Finished)' },
  // Fluo offers: it is the DTLS server, libwebrtc the client.
  { fluoOffers: true, toward: 'peer', part: 'ServerHello', what: 'part of Fluo\'s flight 4' },
  { fluoOffers: true, toward: 'fluo', part: 'ClientKeyExchange', what: 'part of the client\'s flight 5' },
  { fluoOffers: true, toward: 'peer', part: 'Encrypted', what: 'Fluo\'s Finished (flight 6)' },
];

test('DTLS handshakes complete when a flight is lost, Fluo as client and as server', { skip: mediaSkipReason(), timeout: 120_000 }, async () => {
  const fluo = await startFluo();
  const c = await RpcClient.open(fluo.url);
  try {
    const sid = (await c.ok('connect')).sessionId!;
    for (const k of cases) {
      const role = k.fluoOffers ? 'server' : 'client';
      let dropped = 0;
      const relay = await LossyRelay.open({
        dropDtls: (toward, d) => {
          if (dropped > 0 || toward !== k.toward || !contents(d).includes(k.part)) return false;
          dropped++;
          return true;
        },
      });
      try {
        const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
        const ep = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
        await c.ok('invoke', { object: ep, operation: 'connect', operationParams: { sink: ep }, sessionId: sid });
        await c.ok('subscribe', { object: ep, type: 'DtlsConnectionStateChange', sessionId: sid });
        const peer = await peers.create({});
        const t0 = Date.now();
        const { fluoSdp } = await signalThroughRelay({ c, sessionId: sid, endpoint: ep, peers, peer, relay, fluoOffers: k.fluoOffers });
        assert.match(fluoSdp, k.fluoOffers ? /^a=setup:actpass/m : /^a=setup:active/m);
        await until(async () => (await peer.received()).frames >= 10, 15_000, `frames back with Fluo as DTLS ${role}, ${k.what} lost`);
        console.log(`# Fluo as DTLS ${role}, ${k.what} lost: frames back after ${Date.now() - t0} ms (DTLS datagrams to the peer ${relay.counters.toPeer.dtls}, to Fluo ${relay.counters.toFluo.dtls})`);
        assert.equal(dropped, 1, `${k.what} was lost on the way`);
        const states = c.events.filter((e) => e.params?.value.object === ep && e.params.value.type === 'DtlsConnectionStateChange').map((e) => String(e.params!.value.data.state));
        assert.equal(states.at(-1), 'CONNECTED', `DTLS states: ${states.join(' ')}`);
        await c.ok('release', { object: P, sessionId: sid });
        await peer.close();
      } finally {
        await relay.close();
      }
    }
  } finally {
    await c.close();
    await fluo.stop();
  }
});
