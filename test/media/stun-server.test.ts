/**
 * STUN as Kurento does it: a WebRtcEndpoint asks the STUN server set with
 * `stunServerAddress` (WebRtcEndpoint.conf.ini, or setStunServerAddress/Port) for its
 * server-reflexive candidates, here a private coturn on loopback. That with none set it
 * asks no STUN server at all (werift alone would ask Google's public one) is shown in
 * test/unit/no-default-stun.test.ts, where the lookups can be seen.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { withEndpoint, type RpcClient } from '../helpers/fluo.ts';
import { startCoturn, type Coturn } from '../helpers/coturn.ts';

let turn: Coturn;
before(async () => { turn = await startCoturn(); });
after(async () => { await turn.stop(); });

/** Gathers `ep`'s candidates (Fluo offers) and answers them once IceGatheringDone came. */
async function gathered(c: RpcClient, sid: string, ep: string): Promise<string[]> {
  for (const type of ['IceCandidateFound', 'IceGatheringDone']) await c.ok('subscribe', { object: ep, type, sessionId: sid });
  await c.ok('invoke', { object: ep, operation: 'generateOffer', operationParams: {}, sessionId: sid });
  const t0 = Date.now();
  await c.ok('invoke', { object: ep, operation: 'gatherCandidates', operationParams: {}, sessionId: sid });
  await c.waitEvent((m) => m.params?.value.object === ep && m.params.value.type === 'IceGatheringDone', 10_000);
  console.log(`# gathering took ${Date.now() - t0} ms`);
  return c.events.filter((m) => m.params?.value.object === ep && m.params.value.type === 'IceCandidateFound')
    .map((m) => String((m.params!.value.data.candidate as { candidate: string }).candidate));
}

test('with stunServerAddress set, the endpoint asks that server and announces its server-reflexive candidates', () =>
  withEndpoint({}, async ({ c, sid, ep }) => {
    await c.ok('invoke', { object: ep, operation: 'setStunServerAddress', operationParams: { stunServerAddress: '127.0.0.1' }, sessionId: sid });
    await c.ok('invoke', { object: ep, operation: 'setStunServerPort', operationParams: { stunServerPort: turn.port }, sessionId: sid });
    const candidates = await gathered(c, sid, ep);
    // A server-reflexive candidate exists only as a STUN server's answer (RFC 8445 §5.1.1.2),
    // with the host candidate it was asked from as its related address.
    const srflx = candidates.filter((x) => / typ srflx raddr \S+ rport \d+/.test(x));
    assert.ok(srflx.length > 0, `a srflx candidate among ${candidates.join(' | ')}`);
  }));
