/**
 * The routing hubs' media plane alone, in this process (no worker, no peers): a
 * DispatcherOneToMany and a Dispatcher in a MediaGraph with fake sources and sinks.
 * What a viewer receives is one continuous stream (one SSRC, sequence numbers
 * consecutive across a switch), a new video source is taken at its first keyframe (the
 * old one is shown until then) and was asked for one at once, audio switches at once,
 * and the source does not receive itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MediaGraph } from '../../src/media/graph/MediaGraph.ts';
import { MediaNode } from '../../src/media/graph/MediaNode.ts';
import type { MediaPacket, RtpCodecInfo } from '../../src/media/graph/MediaPacket.ts';
import type { EmitFn, MediaKind } from '../../src/shared/workerProtocol.ts';
import { DispatcherOneToManyNode } from '../../src/media/hubs/DispatcherOneToManyNode.ts';
import { DispatcherNode } from '../../src/media/hubs/DispatcherNode.ts';
import { HubPortNode } from '../../src/media/hubs/HubPortNode.ts';
import type { HubNode } from '../../src/media/hubs/HubNode.ts';
import { SWITCH_WAIT_MS } from '../../src/media/hubs/PortRoute.ts';

const VP8: RtpCodecInfo = { name: 'VP8', clockRate: 90000 };
const OPUS: RtpCodecInfo = { name: 'opus', clockRate: 48000, channels: 2 };
const noEmit: EmitFn = () => undefined;

/** A source that sends what the test says and counts keyframe requests. */
class Source extends MediaNode {
  seq = 1000;
  audioSeq = 5000;
  keyframeRequests = 0;
  constructor(id: string, readonly ssrc: number) { super(id, noEmit); }
  /** One VP8 packet: `key` starts a keyframe (S=1, PID=0, P=0, RFC 7741 §4.2-4.3). */
  video(key: boolean): void {
    const buf = Buffer.alloc(20);
    buf[0] = 0x80; buf[1] = 96;
    buf.writeUInt16BE(this.seq++ & 0xffff, 2);
    buf.writeUInt32BE(this.seq * 3000, 4);
    buf.writeUInt32BE(this.ssrc, 8);
    buf[12] = 0x10; buf[13] = key ? 0x00 : 0x01;
    this.forward('VIDEO', { codec: VP8, buf, at: performance.now() });
  }
  audio(): void {
    const buf = Buffer.alloc(20);
    buf[0] = 0x80; buf[1] = 111;
    buf.writeUInt16BE(this.audioSeq++ & 0xffff, 2);
    buf.writeUInt32BE(this.audioSeq * 960, 4);
    buf.writeUInt32BE(this.ssrc + 1, 8);
    this.forward('AUDIO', { codec: OPUS, buf, at: performance.now() });
  }
  override requestKeyframe(): void { this.keyframeRequests++; }
}

class Sink extends MediaNode {
  readonly got: Array<{ kind: string; ssrc: number; seq: number; from: number }> = [];
  override deliver(kind: 'AUDIO' | 'VIDEO', pkt: MediaPacket): void {
    // Which source a packet came from is kept in its payload's last byte by the test.
    this.got.push({ kind, ssrc: pkt.buf.readUInt32BE(8), seq: pkt.buf.readUInt16BE(2), from: pkt.buf[19]! });
  }
}

function bed(hub: HubNode) {
  const g = new MediaGraph('P', () => noEmit);
  g.add(hub);
  const port = (id: string): HubPortNode => { const p = new HubPortNode(id, noEmit, hub); g.add(p); return p; };
  const link = (source: string, sink: string, kinds: MediaKind[] = ['AUDIO', 'VIDEO']): void => {
    for (const kind of kinds) g.link({ source, sink, kind, sourceDescription: 'default', sinkDescription: 'default' });
  };
  return { g, port, link };
}

/** Marks a source's packets so the sink can tell whose they are. */
function tagged(s: Source, tag: number): Source {
  const forward = (s as unknown as { forward: (k: 'AUDIO' | 'VIDEO', p: MediaPacket) => void }).forward.bind(s);
  (s as unknown as { forward: typeof forward }).forward = (k, p) => { p.buf[19] = tag; forward(k, p); };
  return s;
}

test('DispatcherOneToMany: one continuous stream per viewer; video switches at the new source\'s keyframe, asked for at once', async () => {
  const hub = new DispatcherOneToManyNode('hub', noEmit);
  const { g, port, link } = bed(hub);
  const a = tagged(new Source('a', 0x1111), 1);
  const b = tagged(new Source('b', 0x2222), 2);
  const viewer = new Sink('viewer', noEmit);
  for (const n of [a, b, viewer]) g.add(n);
  const pa = port('pa'); const pb = port('pb'); const pv = port('pv');
  link('a', 'pa'); link('b', 'pb'); link('pv', 'viewer');
  const toA = new Sink('toA', noEmit); g.add(toA); link('pa', 'toA');

  await hub.call('setSource', { port: 'pa' });
  assert.ok(a.keyframeRequests >= 1, 'the new source was asked for a keyframe at once');
  a.video(false);
  assert.equal(viewer.got.length, 0, 'nothing before the first keyframe');
  a.video(true); a.video(false); a.audio();
  assert.deepEqual(viewer.got.map((p) => p.from), [1, 1, 1]);
  assert.equal(toA.got.length, 0, 'the source port does not receive its own media');

  const kfBefore = b.keyframeRequests;
  await hub.call('setSource', { port: 'pb' });
  assert.ok(b.keyframeRequests > kfBefore, 'B asked for a keyframe at once (once per viewer: its endpoint coalesces them)');
  b.video(false); a.video(false); b.audio();
  // Until B's keyframe, A's video goes on; B's audio is taken at once.
  assert.deepEqual(viewer.got.slice(3).map((p) => `${p.kind}:${p.from}`), ['VIDEO:1', 'AUDIO:2']);
  b.video(true); a.video(false); b.video(false);
  assert.deepEqual(viewer.got.slice(5).map((p) => `${p.kind}:${p.from}`), ['VIDEO:2', 'VIDEO:2'], 'A is dropped from B\'s keyframe on');
  const video = viewer.got.filter((p) => p.kind === 'VIDEO');
  assert.equal(new Set(video.map((p) => p.ssrc)).size, 1, 'one SSRC across the switch');
  assert.deepEqual(video.map((p) => (p.seq - video[0]!.seq) & 0xffff), [0, 1, 2, 3, 4], 'consecutive sequence numbers across the switch');
  assert.equal(toA.got.filter((p) => p.from === 2).length, 3, 'A, now a viewer, receives B');

  // A switch whose keyframe never comes is taken after SWITCH_WAIT_MS.
  await hub.call('setSource', { port: 'pa' });
  a.video(false);
  const n = viewer.got.length;
  await new Promise((r) => setTimeout(r, SWITCH_WAIT_MS + 50));
  a.video(false);
  assert.equal(viewer.got.length, n + 1);
  assert.equal(viewer.got.at(-1)!.from, 1);

  await hub.call('setSource', { port: null });
  a.video(true); b.video(true); a.audio();
  assert.equal(viewer.got.length, n + 1, 'removeSource: nothing is sent');

  await assert.rejects(hub.call('setSource', { port: 'nobody' }), /not a port/);
  for (const node of g.nodes()) { g.remove(node.id); await node.close(); }
});

test('Dispatcher: arbitrary pairs, a port cannot feed itself, a released source leaves its sinks silent', async () => {
  const hub = new DispatcherNode('hub', noEmit);
  const { g, port, link } = bed(hub);
  const a = tagged(new Source('a', 0x1111), 1);
  const b = tagged(new Source('b', 0x2222), 2);
  const va = new Sink('va', noEmit); const vb = new Sink('vb', noEmit);
  for (const n of [a, b, va, vb]) g.add(n);
  port('pa'); port('pb');
  link('a', 'pa'); link('b', 'pb'); link('pa', 'va'); link('pb', 'vb');
  await hub.call('routePorts', { source: 'pa', sink: 'pb', media: null, connected: true });
  await hub.call('routePorts', { source: 'pb', sink: 'pa', media: null, connected: true });
  a.video(true); b.video(true); a.audio(); b.audio();
  assert.deepEqual(vb.got.map((p) => p.from), [1, 1], 'A goes to B\'s viewer');
  assert.deepEqual(va.got.map((p) => p.from), [2, 2], 'B goes to A\'s viewer');
  await assert.rejects(hub.call('routePorts', { source: 'pa', sink: 'pa', media: null, connected: true }), /own source/);
  a.video(false);
  assert.equal(vb.got.length, 3, 'the refused call changed nothing');
  await hub.call('routePorts', { source: 'pa', sink: 'pb', media: 'AUDIO', connected: false });
  a.audio(); a.video(false);
  assert.deepEqual(vb.got.slice(3).map((p) => p.kind), ['VIDEO'], 'only audio was disconnected');
  const pa = g.remove('pa')!; await pa.close();
  b.video(false);
  assert.equal(va.got.length, 2);
  for (const node of g.nodes()) { g.remove(node.id); await node.close(); }
});
