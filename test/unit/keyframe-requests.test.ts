/**
 * Keyframe requests from sinks to an SdpEndpoint's peer: coalesced to one per
 * KEYFRAME_INTERVAL_MS, except for a sink that became ready to receive since the last
 * request (it could not get that keyframe); a sink not ready yet does not ask when it is
 * connected to its source, only once it can receive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SdpEndpointNode, KEYFRAME_INTERVAL_MS } from '../../src/media/sdp/SdpEndpointNode.ts';
import { MediaNode } from '../../src/media/graph/MediaNode.ts';
import { MediaGraph } from '../../src/media/graph/MediaGraph.ts';
import type { Wire } from '../../src/shared/workerProtocol.ts';

/** An SdpEndpointNode whose peer is a counter of the keyframe requests (PLI) it was sent. */
class CountingPeer extends SdpEndpointNode {
  sent = 0;
  protected processOffer(): Promise<string> { return Promise.resolve(''); }
  protected generateOffer(): Promise<string> { return Promise.resolve(''); }
  protected processAnswer(): Promise<string> { return Promise.resolve(''); }
  protected stats(): Wire { return {}; }
  protected sendKeyframeRequest(): boolean { this.sent++; return true; }
}

const stats = async (n: CountingPeer): Promise<Record<string, number>> =>
  ((await n.call('getStats', { mediaType: null })) as Record<string, Record<string, number>>)[n.id]!;

test('keyframe requests: one per interval, a newly ready sink is not coalesced, a sink not ready does not ask', async () => {
  const source = new CountingPeer('source', () => undefined);
  const ready = new MediaNode('ready', () => undefined);
  const later = new MediaNode('later', () => undefined);
  later.readySince = Infinity; // a WebRtcEndpoint whose peer is not connected yet
  const graph = new MediaGraph('pipeline', () => () => undefined);
  for (const n of [source, ready, later]) graph.add(n);
  const connect = (sink: MediaNode) => graph.link({ source: source.id, sink: sink.id, kind: 'VIDEO', sourceDescription: 'default', sinkDescription: 'default' });

  connect(later);
  assert.equal(source.sent, 0, 'a sink that cannot receive yet does not ask when connected to its source');
  connect(ready);
  assert.equal(source.sent, 1, 'a ready sink asks at once');
  for (let i = 0; i < 10; i++) source.requestKeyframe(ready);
  assert.equal(source.sent, 1, 'its repeats within the interval are coalesced');

  later.readySince = performance.now(); // its peer connected: it asks for a picture
  source.requestKeyframe(later);
  assert.equal(source.sent, 2, 'a sink ready since the last request is not coalesced with it');
  source.requestKeyframe(later);
  source.requestKeyframe(ready);
  assert.equal(source.sent, 2, 'then both are coalesced again');
  const s = await stats(source);
  assert.equal(s.keyframeRequestsSent, 2);
  assert.equal(s.keyframeRequestsCoalesced, 12);

  await new Promise((r) => setTimeout(r, KEYFRAME_INTERVAL_MS + 20));
  source.requestKeyframe(ready);
  assert.equal(source.sent, 3, 'after the interval a request goes again');
  source.close();
});
