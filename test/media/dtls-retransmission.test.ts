/**
 * Repeated DTLS handshake flights after the handshake must not break the session
 * (RFC 6347 §4.2.4: they are discarded). werift did not: as the client (Fluo answers
 * an offer, a=setup:active) it ran flight 5 again with new keys on a late copy of the
 * server's flight 4, and as the server (Fluo offers) a late ClientHello reset its
 * state; either way the data channel went dead (src/media/webrtc/dtlsGuard.ts). Here a
 * werift peer sends every handshake datagram of its own again, byte for byte, from its
 * own socket, once the data channel is open, as a network that duplicates or a peer
 * whose retransmission timer fired would; the channel must keep echoing. And during the
 * handshake: a HelloVerifyRequest sent twice made werift's client throw and report the
 * transport FAILED (seen in CI as a flake: under load Fluo repeats its ClientHello and
 * the werift server answers each copy).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RTCPeerConnection, type RTCDataChannel } from 'werift';
import { withEndpoint, sleep } from '../helpers/fluo.ts';
import { forEachIceProtocol } from '../../src/media/webrtc/iceProtocols.ts';
import { until } from '../helpers/RemotePeers.ts';
import { trickleIce } from '../helpers/weriftPeer.ts';

/** werift-ice's host protocols and their UDP transports (private in werift's types). */
interface SendingTransport { send(data: Buffer, addr?: [string, number]): Promise<void> }
interface ProtocolLike { transport?: SendingTransport }

/** Wraps the peer's ICE transports so each DTLS handshake datagram it sends (RFC 7983: first byte 20-22) is kept. */
function recordHandshakes(pc: RTCPeerConnection, kept: Array<{ data: Buffer; addr: [string, number]; via: SendingTransport }>, seen: WeakSet<object>): void {
  forEachIceProtocol<ProtocolLike>(pc, (p) => {
    const tr = p.transport;
    if (!tr || seen.has(tr)) return;
    seen.add(tr);
    const send = tr.send.bind(tr);
    tr.send = (data, addr) => {
      if (addr && data[0]! >= 20 && data[0]! <= 22) kept.push({ data: Buffer.from(data), addr, via: tr });
      return send(data, addr);
    };
  });
}

/**
 * One session over a DATA loopback, the peer's handshake repeated once the channel is
 * open, and an echo before and after. `fluoOffers`: Fluo is the DTLS server (it offers
 * actpass, werift answers active), else the client.
 */
function repeatedFlights(fluoOffers: boolean): Promise<void> {
  return withEndpoint({ useDataChannels: true }, async ({ c, sid, P, ep }) => {
    await c.ok('invoke', { object: ep, operation: 'connect', operationParams: { sink: ep }, sessionId: sid });
    await c.ok('subscribe', { object: ep, type: 'DtlsConnectionStateChange', sessionId: sid });

    const pc = new RTCPeerConnection({ iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false });
    try {
      const kept: Array<{ data: Buffer; addr: [string, number]; via: SendingTransport }> = [];
      const seen = new WeakSet<object>();
      pc.onIceCandidate.subscribe(() => recordHandshakes(pc, kept, seen));
      await trickleIce(c, sid, ep, pc);
      const echoes: string[] = [];
      let channel: RTCDataChannel | undefined;
      const use = (ch: RTCDataChannel): void => {
        channel = ch;
        ch.onMessage.subscribe((m) => echoes.push(m.toString()));
      };
      if (fluoOffers) {
        pc.onDataChannel.subscribe(use);
        const offer = (await c.ok('invoke', { object: ep, operation: 'generateOffer', sessionId: sid })).value as string;
        assert.match(offer, /^a=setup:actpass/m);
        await pc.setRemoteDescription({ type: 'offer', sdp: offer });
        await pc.setLocalDescription(await pc.createAnswer());
        recordHandshakes(pc, kept, seen);
        assert.match(pc.localDescription!.sdp, /^a=setup:active/m, 'the peer answers as the DTLS client: Fluo is the server');
        await c.ok('invoke', { object: ep, operation: 'processAnswer', operationParams: { answer: pc.localDescription!.sdp }, sessionId: sid });
      } else {
        use(pc.createDataChannel('chat'));
        await pc.setLocalDescription(await pc.createOffer());
        recordHandshakes(pc, kept, seen);
        const answer = (await c.ok('invoke', { object: ep, operation: 'processOffer', operationParams: { offer: pc.localDescription!.sdp }, sessionId: sid })).value as string;
        assert.match(answer, /^a=setup:active/m, 'Fluo answers as the DTLS client');
        await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      }
      await c.ok('invoke', { object: ep, operation: 'gatherCandidates', sessionId: sid });
      await until(() => channel?.readyState === 'open', 10_000, 'the data channel to open');
      channel!.send('before');
      await until(() => echoes.includes('before'), 5_000, 'the first echo');

      // The peer's flights again, each datagram as it was sent.
      assert.ok(kept.filter((k) => k.data[0] === 22).length >= 2, `the peer's handshake datagrams were seen (${kept.length})`);
      for (const k of kept.splice(0)) await k.via.send(k.data, k.addr);
      await sleep(500);
      channel!.send('after');
      await until(() => echoes.includes('after'), 5_000, 'an echo after the repeated flights');
      const states = c.events.filter((e) => e.params?.value.object === ep && e.params.value.type === 'DtlsConnectionStateChange')
        .map((e) => String(e.params!.value.data.state));
      assert.equal(states.at(-1), 'CONNECTED', `DTLS states: ${states.join(' ')}`);
      await c.ok('release', { object: P, sessionId: sid });
    } finally {
      await pc.close();
    }
  });
}

test('Fluo as the DTLS client (it answered): the server\'s flights repeated after the handshake change nothing', () => repeatedFlights(false));

test('Fluo as the DTLS server (it offered): the client\'s flights repeated after the handshake change nothing', () => repeatedFlights(true));

test('Fluo as the DTLS client: a HelloVerifyRequest that comes twice (a server answering each copy of the ClientHello) is not a failure', () =>
  withEndpoint({ useDataChannels: true }, async ({ c, sid, P, ep }) => {
    await c.ok('invoke', { object: ep, operation: 'connect', operationParams: { sink: ep }, sessionId: sid });
    await c.ok('subscribe', { object: ep, type: 'DtlsConnectionStateChange', sessionId: sid });
    const pc = new RTCPeerConnection({ iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false });
    try {
      // The peer is the DTLS server (it offers actpass, Fluo answers active): each
      // HelloVerifyRequest it sends (record type 22, handshake type 3 after the 13-byte
      // record header) goes out twice, as for two copies of the ClientHello.
      let doubled = 0;
      const seen = new WeakSet<object>();
      const hook = (): void => forEachIceProtocol<ProtocolLike>(pc, (p) => {
        const tr = p.transport;
        if (!tr || seen.has(tr)) return;
        seen.add(tr);
        const send = tr.send.bind(tr);
        tr.send = (data, addr) => {
          if (addr && data[0] === 22 && data[13] === 3) {
            doubled++;
            void send(Buffer.from(data), addr).catch(() => undefined);
          }
          return send(data, addr);
        };
      });
      pc.onIceCandidate.subscribe(hook);
      await trickleIce(c, sid, ep, pc);
      const channel = pc.createDataChannel('chat');
      const echoes: string[] = [];
      channel.onMessage.subscribe((m) => echoes.push(m.toString()));
      await pc.setLocalDescription(await pc.createOffer());
      hook();
      const answer = (await c.ok('invoke', { object: ep, operation: 'processOffer', operationParams: { offer: pc.localDescription!.sdp }, sessionId: sid })).value as string;
      assert.match(answer, /^a=setup:active/m);
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      await c.ok('invoke', { object: ep, operation: 'gatherCandidates', sessionId: sid });
      await until(() => channel.readyState === 'open', 10_000, 'the data channel to open');
      channel.send('hello');
      await until(() => echoes.includes('hello'), 5_000, 'an echo');
      assert.ok(doubled >= 1, 'the peer sent a HelloVerifyRequest, twice');
      const states = () => c.events.filter((e) => e.params?.value.object === ep && e.params.value.type === 'DtlsConnectionStateChange')
        .map((e) => String(e.params!.value.data.state));
      await until(() => states().includes('CONNECTED'), 5_000, `DTLS CONNECTED (${states().join(' ')})`);
      assert.ok(!states().includes('FAILED'), `DTLS states: ${states().join(' ')}`);
      await c.ok('release', { object: P, sessionId: sid });
    } finally {
      await pc.close();
    }
  }));
