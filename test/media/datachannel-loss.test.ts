/**
 * A reliable data channel keeps its promise across a lossy link: a LossyRelay between
 * a libwebrtc peer and a WebRtcEndpoint loses every tenth DTLS application-data
 * datagram (SCTP, RFC 8261) each way, and the endpoint echoes the channel back to itself
 * over a DATA connection. Every message must come back, once and in order: SCTP's
 * retransmissions (RFC 9260 §6.3) in werift and libwebrtc repair the loss.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withEndpoint } from '../helpers/fluo.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';
import { LossyRelay } from '../helpers/LossyRelay.ts';
import { signalThroughRelay } from '../helpers/throughRelay.ts';
import { mediaSkipReason } from '../helpers/netns.ts';

const peers = new RemotePeers();
after(() => peers.stop());

/** DTLS content type application_data (RFC 6347 §4.1): SCTP once the handshake is done. */
const APPLICATION_DATA = 23;
const MESSAGES = 100;

test('a data channel across a link losing 10% of its datagrams each way delivers every message, in order', { skip: mediaSkipReason(), timeout: 60_000 }, async () => {
  const seen = { peer: 0, fluo: 0 };
  const dropped = { peer: 0, fluo: 0 };
  const relay = await LossyRelay.open({
    dropDtls: (toward, d) => {
      if (d[0] !== APPLICATION_DATA) return false;
      if (++seen[toward] % 10 !== 0) return false;
      dropped[toward]++;
      return true;
    },
  });
  try {
    await withEndpoint({ useDataChannels: true }, async ({ c, sid, P, ep }) => {
      await c.ok('invoke', { object: ep, operation: 'connect', operationParams: { sink: ep }, sessionId: sid });
      const peer = await peers.create({});
      await peer.call('createDataChannel', { label: 'chat' });
      await signalThroughRelay({ c, sessionId: sid, endpoint: ep, peers, peer, relay });
      await until(() => peer.openChannels.has('chat'), 20_000, 'the channel to open');
      const t0 = Date.now();
      for (let i = 0; i < MESSAGES; i++) await peer.call('sendData', { label: 'chat', data: `message ${i}` });
      await until(() => peer.messages.length >= MESSAGES, 30_000, `${MESSAGES} echoes`);
      console.log(`# ${MESSAGES} messages echoed in ${Date.now() - t0} ms across the relay; application-data datagrams lost toward Fluo ${dropped.fluo} of ${seen.fluo}, toward the peer ${dropped.peer} of ${seen.peer}`);
      assert.ok(dropped.fluo > 0 && dropped.peer > 0, 'datagrams were lost both ways');
      assert.deepEqual(peer.messages.map((m) => m.data), Array.from({ length: MESSAGES }, (_, i) => `message ${i}`), 'every message, once, in order');
      await c.ok('release', { object: P, sessionId: sid });
      await peer.close();
    });
  } finally {
    await relay.close();
  }
});
