/**
 * A viewer that vanishes without a word (its link cut: no BYE, no DTLS close_notify, no
 * ICE answer any more). Fluo keeps sending while consent lasts, then (RFC 7675: consent
 * expires 30 s after the last answered check) reports the ICE component FAILED, the
 * connection DISCONNECTED and the media session terminated, and stops sending to that
 * address: "an agent MUST cease transmission" (§5.1), on its native fast path too; its
 * media then no longer flows out (MediaFlowOutStateChanged NOT_FLOWING).
 * The link is a LossyRelay that stops relaying; what Fluo still sends reaches it and is
 * counted.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { withEndpoint, sleep } from '../helpers/fluo.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';
import { LossyRelay } from '../helpers/LossyRelay.ts';
import { signalThroughRelay } from '../helpers/throughRelay.ts';
import { mediaSkipReason } from '../helpers/netns.ts';

const peers = new RemotePeers();
after(() => peers.stop());

test('a viewer whose link is cut: FAILED, DISCONNECTED and MediaSessionTerminated when consent expires, and Fluo stops sending', { skip: mediaSkipReason(), timeout: 90_000 }, async () => {
  const relay = await LossyRelay.open({});
  try {
    await withEndpoint({}, async ({ c, sid, P, ep: publisher }) => {
      const viewerEp = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
      await c.ok('invoke', { object: publisher, operation: 'connect', operationParams: { sink: viewerEp }, sessionId: sid });
      for (const type of ['IceComponentStateChanged', 'ConnectionStateChanged', 'MediaSessionTerminated', 'MediaStateChanged', 'MediaFlowOutStateChanged']) {
        await c.ok('subscribe', { object: viewerEp, type, sessionId: sid });
      }
      const pub = await peers.create({});
      await pub.connectTo(c, publisher, sid);
      const viewer = await peers.create({ recvOnly: true });
      await signalThroughRelay({ c, sessionId: sid, endpoint: viewerEp, peers, peer: viewer, relay });
      await until(async () => (await viewer.received()).frames >= 10, 15_000, 'the viewer decoding');

      relay.cut = true;
      const cutAt = Date.now();
      await sleep(3000);
      const rtpWhileConsented = relay.counters.toPeerWhileCut.rtp;
      assert.ok(rtpWhileConsented > 50, `Fluo goes on sending while consent lasts (${rtpWhileConsented} RTP packets in 3 s)`);

      const ofViewer = (type: string, pred: (d: Record<string, unknown>) => boolean = () => true) =>
        (e: { params?: { value: { object: string; type: string; data: Record<string, unknown> } } }): boolean =>
          e.params?.value.object === viewerEp && e.params.value.type === type && pred(e.params.value.data);
      await c.waitEvent(ofViewer('IceComponentStateChanged', (d) => d.state === 'FAILED'), 45_000);
      const failedAfter = Date.now() - cutAt;
      await c.waitEvent(ofViewer('ConnectionStateChanged', (d) => d.newState === 'DISCONNECTED'), 2_000);
      await c.waitEvent(ofViewer('MediaSessionTerminated'), 2_000);
      assert.ok(failedAfter > 20_000 && failedAfter < 40_000, `consent expired ${failedAfter} ms after the cut (RFC 7675: 30 s)`);

      // Nothing more goes to the vanished address, though the publisher still sends.
      await sleep(500);
      const before = { ...relay.counters.toPeerWhileCut };
      await sleep(3000);
      const after3s = relay.counters.toPeerWhileCut;
      console.log(`# consent expired ${failedAfter} ms after the cut; RTP to the vanished viewer: ${rtpWhileConsented} in the first 3 s, ${after3s.rtp - before.rtp} in 3 s after FAILED`);
      assert.equal(after3s.rtp - before.rtp, 0, 'no RTP after consent expired');
      assert.equal(after3s.rtcp - before.rtcp, 0, 'no RTCP after consent expired');
      assert.equal((await c.ok('invoke', { object: viewerEp, operation: 'getConnectionState', sessionId: sid })).value, 'DISCONNECTED');
      // What no longer leaves no longer counts as flowing out.
      await c.waitEvent(ofViewer('MediaFlowOutStateChanged', (d) => d.state === 'NOT_FLOWING' && d.mediaType === 'VIDEO'), 5_000);
      assert.equal((await c.ok('invoke', { object: viewerEp, operation: 'isMediaFlowingOut', operationParams: { mediaType: 'VIDEO' }, sessionId: sid })).value, false);
      await c.ok('release', { object: P, sessionId: sid });
      await pub.close();
      await viewer.close();
    });
  } finally {
    await relay.close();
  }
});
