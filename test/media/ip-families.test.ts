/**
 * IPv4 and IPv6 alike (Kurento's `*_ipv4`/`*_ipv6` test variants): a libwebrtc peer and
 * a WebRtcEndpoint that exchange only the candidates of one address family, in the SDP
 * and trickled, still connect over that family, and the picture comes back. Loopback
 * (127.0.0.1 and ::1) is what the test's network namespace has.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { withEndpoint } from '../helpers/fluo.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';
import { parseCandidate } from '../helpers/throughRelay.ts';
import { mediaSkipReason } from '../helpers/netns.ts';

const peers = new RemotePeers();
after(() => peers.stop());

for (const family of [4, 6] as const) {
  test(`a peer offering only IPv${family} candidates connects over IPv${family}`, { skip: mediaSkipReason(), timeout: 30_000 }, async () => {
    await withEndpoint({}, async ({ c, sid, P, ep }) => {
      await c.ok('invoke', { object: ep, operation: 'connect', operationParams: { sink: ep }, sessionId: sid });
      for (const type of ['IceCandidateFound', 'NewCandidatePairSelected']) await c.ok('subscribe', { object: ep, type, sessionId: sid });
      const peer = await peers.create({});
      const ofFamily = (line: string): boolean => net.isIP(parseCandidate(line)?.address ?? '') === family;
      const fluoFamilies = new Set<number>();
      c.onEvent((e) => {
        const v = e.params?.value;
        if (v?.object !== ep || v.type !== 'IceCandidateFound') return;
        const cand = v.data.candidate as { candidate: string };
        fluoFamilies.add(net.isIP(parseCandidate(cand.candidate)?.address ?? ''));
        if (ofFamily(cand.candidate)) void peer.call('addCandidate', cand as unknown as Record<string, unknown>);
   });
      peers.onCandidate(peer.id, (cand) => {
        if (ofFamily(String(cand.candidate))) void c.request('invoke', { object: ep, operation: 'addIceCandidate', operationParams: { candidate: cand }, sessionId: sid });
   });
      const onlyFamily = (sdp: string): string => sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:') || ofFamily(l)).join('\r\n');
      const offer = (await peer.call('offer')) as string;
      const answer = (await c.ok('invoke', { object: ep, operation: 'processOffer', operationParams: { offer: onlyFamily(offer) }, sessionId: sid })).value as string;
      await peer.call('setAnswer', { sdp: onlyFamily(answer) });
      await c.ok('invoke', { object: ep, operation: 'gatherCandidates', sessionId: sid });
      await until(async () => (await peer.received()).frames >= 10, 15_000, `frames back over IPv${family}`);
      assert.deepEqual([...fluoFamilies].sort(), [4, 6], 'Fluo gathers IPv4 and IPv6 candidates, as Kurento does');
      const selected = await c.waitEvent((e) => e.params?.value.object === ep && e.params.value.type === 'NewCandidatePairSelected', 5_000);
      const pair = selected.params!.value.data.candidatePair as { localCandidate: string; remoteCandidate: string };
      assert.equal(net.isIP(parseCandidate(pair.localCandidate)?.address ?? ''), family, `local ${pair.localCandidate}`);
      assert.equal(net.isIP(parseCandidate(pair.remoteCandidate)?.address ?? ''), family, `remote ${pair.remoteCandidate}`);
      await c.ok('release', { object: P, sessionId: sid });
      await peer.close();
    });
  });
}
