/**
 * The worker's media graph: it owns the edges, one source per sink input, and decides
 * per edge and source format whether packets are forwarded (the sink accepts the
 * format) or not (until the engine transcodes, the sink reports it once).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaGraph } from '../../src/media/graph/MediaGraph.ts';
import { MediaNode, type FormatSet } from '../../src/media/graph/MediaNode.ts';
import { PassThroughNode } from '../../src/media/graph/PassThroughNode.ts';
import type { MediaPacket, RtpCodecInfo } from '../../src/media/graph/MediaPacket.ts';
import type { EdgeSpec, MediaEventName } from '../../src/shared/workerProtocol.ts';

const VP8: RtpCodecInfo = { name: 'VP8', clockRate: 90000 };
const H264_BASELINE: RtpCodecInfo = { name: 'H264', clockRate: 90000, fmtp: 'profile-level-id=42e01f;packetization-mode=1' };
const H264_HIGH: RtpCodecInfo = { name: 'H264', clockRate: 90000, fmtp: 'profile-level-id=640c1f;packetization-mode=1' };

/** An endpoint-like node: takes the formats it was "negotiated" with, and counts what it gets. */
class Endpoint extends MediaNode {
  formats: FormatSet;
  received: MediaPacket[] = [];
  keyframeRequests = 0;
  constructor(id: string, formats: FormatSet, events: Array<[string, MediaEventName, unknown]>) {
    super(id, (name, data) => events.push([id, name, data]), 'WebRtcEndpoint');
    this.formats = formats;
  }
  override accepts(): FormatSet { return this.formats; }
  override produces(): FormatSet { return this.formats; }
  override deliver(_kind: 'AUDIO' | 'VIDEO', pkt: MediaPacket): void { this.received.push(pkt); }
  override requestKeyframe(): void { this.keyframeRequests++; }
  renegotiate(formats: FormatSet): void {
    this.formats = formats;
    this.formatsChanged();
  }
  send(pkt: MediaPacket): void { this.forward('VIDEO', pkt); }
}

const packet = (codec: RtpCodecInfo): MediaPacket => ({ codec, buf: Buffer.alloc(12), at: performance.now() });
const spec = (source: string, sink: string, sinkDescription = 'default'): EdgeSpec => ({ source, sink, kind: 'VIDEO', sourceDescription: 'default', sinkDescription });

function setup() {
  const events: Array<[string, MediaEventName, unknown]> = [];
  const graph = new MediaGraph('p', (object) => (name, data) => events.push([object, name, data]));
  const add = <N extends MediaNode>(n: N): N => { graph.add(n); return n; };
  return { graph, events, add };
}

test('forwards a format the sink accepts; refuses another once, with the reason, and forwards again after a renegotiation', () => {
  const { graph, events, add } = setup();
  const src = add(new Endpoint('src', [VP8], events));
  const sink = add(new Endpoint('sink', [VP8], events));
  graph.link(spec('src', 'sink'));
  const vp8 = packet(VP8);
  src.send(vp8);
  assert.deepEqual(sink.received, [vp8]);
  assert.deepEqual(graph.edges()[0]!.route, { via: 'forward' });

  sink.renegotiate([H264_BASELINE]);
  for (let i = 0; i < 5; i++) src.send(vp8);
  assert.equal(sink.received.length, 1, 'VP8 is not forwarded to an H.264-only sink');
  const reports = events.filter(([o]) => o === 'sink');
  assert.deepEqual(reports.map(([, n]) => n), ['MediaTranscodingStateChanged', 'Error'], 'reported once, not per packet');
  assert.deepEqual(reports[0]![2], { state: 'NOT_TRANSCODING', binName: 'default', mediaType: 'VIDEO' });
  assert.match(String((reports[1]![2] as { description: string }).description), /VP8\/90000 .* H264\/90000 \(constrained-baseline, packetization-mode 1\)/);
  assert.equal((reports[1]![2] as { errorCode: number }).errorCode, 40005);

  sink.renegotiate([VP8, H264_BASELINE]);
  src.send(vp8);
  assert.equal(sink.received.length, 2, 'decided again after the sink renegotiated');
});

test('H.264 is forwarded only to a sink negotiated with the same profile (h264.ts)', () => {
  const { graph, events, add } = setup();
  const src = add(new Endpoint('src', [H264_BASELINE, H264_HIGH], events));
  const high = add(new Endpoint('high', [H264_HIGH], events));
  const base = add(new Endpoint('base', [H264_BASELINE], events));
  graph.link(spec('src', 'high'));
  graph.link(spec('src', 'base'));
  src.send(packet(H264_BASELINE));
  src.send(packet(H264_HIGH));
  assert.deepEqual(high.received.map((p) => p.codec), [H264_HIGH]);
  assert.deepEqual(base.received.map((p) => p.codec), [H264_BASELINE]);
});

test('one source per sink input: a new source replaces the edge, a second input description is its own', () => {
  const { graph, events, add } = setup();
  const a = add(new Endpoint('a', [VP8], events));
  const b = add(new Endpoint('b', [VP8], events));
  const sink = add(new Endpoint('sink', [VP8], events));
  graph.link(spec('a', 'sink'));
  graph.link(spec('b', 'sink'));
  assert.equal(a.outputs.VIDEO.length, 0, 'the old edge left its source');
  assert.equal(sink.input('VIDEO')?.source, b);
  graph.link(spec('a', 'sink', 'second'));
  assert.equal(sink.inputs.size, 2);
  a.send(packet(VP8));
  b.send(packet(VP8));
  assert.equal(sink.received.length, 2);
  assert.equal(graph.edges().length, 2);
  graph.unlink(spec('b', 'sink'));
  assert.equal(sink.input('VIDEO'), undefined);
  assert.equal(graph.edges().length, 1);
});

test('a PassThrough accepts anything and produces what its source does; feedback goes up the edges', () => {
  const { graph, events, add } = setup();
  const src = add(new Endpoint('src', [VP8], events));
  const pass = add(new PassThroughNode('pass', () => undefined));
  const sink = add(new Endpoint('sink', [VP8], events));
  graph.link(spec('src', 'pass'));
  graph.link(spec('pass', 'sink'));
  assert.equal(pass.accepts('VIDEO'), 'any');
  assert.deepEqual(pass.produces('VIDEO'), [VP8]);
  src.send(packet(VP8));
  assert.equal(sink.received.length, 1);
  const before = src.keyframeRequests;
  sink.input('VIDEO')!.requestKeyframe(sink);
  assert.equal(src.keyframeRequests, before + 1, 'a keyframe request crosses the PassThrough to the source');
});

test('removing a node removes its edges on both sides', () => {
  const { graph, events, add } = setup();
  add(new Endpoint('src', [VP8], events));
  const mid = add(new PassThroughNode('mid', () => undefined));
  const sink = add(new Endpoint('sink', [VP8], events));
  graph.link(spec('src', 'mid'));
  graph.link(spec('mid', 'sink'));
  const edges = graph.edges();
  assert.equal(graph.remove('mid'), mid);
  assert.equal(graph.edges().length, 0);
  assert.ok(edges.every((e) => e.removed));
  assert.equal(sink.inputs.size, 0);
  assert.equal(graph.node('mid'), undefined);
});

/** A source that can end its stream (as a PlayerEndpoint at the end of its file). */
class Ending extends Endpoint {
  end(): void { this.signalEndOfStream(); }
}

/** A sink that counts the ends it is told of. */
class EndCounter extends Endpoint {
  ends = 0;
  override endOfStream(): void { this.ends++; }
}

test('the end of a stream goes round a loop of elements once (WebRtc -> filter -> the same WebRtc), not until the stack overflows', () => {
  const { graph, events, add } = setup();
  const player = add(new Ending('player', [VP8], events));
  const a = add(new PassThroughNode('a', () => undefined));
  const b = add(new PassThroughNode('b', () => undefined));
  const tail = add(new EndCounter('tail', [VP8], events));
  graph.link(spec('player', 'a'));
  graph.link(spec('a', 'b'));
  graph.link({ ...spec('b', 'a'), kind: 'DATA' });
  graph.link(spec('b', 'tail'));
  player.end();
  assert.equal(tail.ends, 1);
});
