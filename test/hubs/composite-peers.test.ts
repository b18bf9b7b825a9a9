/**
 * A group call through a Composite with real libwebrtc peers (the MCU of issue 13's
 * tutorial): three participants each send one stream and receive one mixed stream,
 * decoded at the composite's size, encoded once for all of them; a port whose sink takes
 * H.264 gets its own encoder; a fourth leaves the room and the others keep decoding; the
 * engine process dies and the composite is built again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { until, type RemotePeer } from '../helpers/RemotePeers.ts';
import { hubBed, create, invoke, joined } from './hubBed.ts';
import { engineChildren } from '../helpers/engine.ts';

const bed = hubBed();

test('Composite with WebRTC peers: everyone decodes the mixed picture; one leaving stalls nobody; an engine crash is recovered', async () => {
  const P = await create(bed, 'MediaPipeline', {});
  const hub = await create(bed, 'Composite', { mediaPipeline: P, width: 320, height: 240, framerate: 15 });
  const people: Array<{ ep: string; peer: RemotePeer; port: string }> = [];
  for (const shade of [220, 150, 90, 60]) {
    const p = await joined(bed, P, { shade });
    const port = await create(bed, 'HubPort', { hub });
    await invoke(bed, p.ep, 'connect', { sink: port });
    await invoke(bed, port, 'connect', { sink: p.ep });
    people.push({ ...p, port });
  }
  await until(async () => (await Promise.all(people.map((p) => p.peer.received()))).every((r) => r.frames > 20), 30_000, 'every participant decoding the mix');
  for (const p of people) {
    const r = await p.peer.received();
    assert.deepEqual([r.width, r.height], [320, 240], 'the composite\'s picture');
    assert.ok(r.checksums > 10, 'a moving picture');
  }
  // The picture is encoded once for all four (they all took VP8); a port whose sink takes
  // only H.264 gets a second encoder, not a transcoder behind the first.
  const outputs = async (): Promise<number> => (await bed.fluo.server.media.dot(P)).map((d) => d.dot).join('\n').match(/composite-\d+-out-video/g)?.length ?? 0;
  assert.equal(await outputs(), 1, 'one VP8 encoder shared by four ports');
  const h264Port = await create(bed, 'HubPort', { hub });
  const h264 = await create(bed, 'RtpEndpoint', { mediaPipeline: P });
  await invoke(bed, h264, 'processOffer', { offer: ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=h264', 'c=IN IP4 127.0.0.1', 't=0 0',
    'm=video 9 RTP/AVP 102', 'a=rtpmap:102 H264/90000', 'a=fmtp:102 profile-level-id=42e01f;packetization-mode=1', 'a=recvonly', ''].join('\r\n') });
  await invoke(bed, h264Port, 'connect', { sink: h264, mediaType: 'VIDEO' });
  await until(async () => (await outputs()) === 2, 10_000, 'an H.264 encoder for the H.264 port');
  assert.equal((await invoke(bed, h264, 'isMediaTranscoding', { mediaType: 'VIDEO' })).value, false, 'no transcoder: the composite encodes H.264 itself');
  // One leaves: the others keep decoding.
  await bed.c.ok('release', { object: people[3]!.ep, sessionId: bed.sid });
  await people[3]!.peer.close();
  const before = await Promise.all(people.slice(0, 3).map(async (p) => (await p.peer.received()).frames));
  await until(async () => (await Promise.all(people.slice(0, 3).map(async (p) => (await p.peer.received()).frames))).every((n, i) => n > before[i]! + 15), 10_000, 'the others still decoding');
  // The engine process dies: the composite is built again on a fresh one and the picture comes back.
  // This file's Fluo runs in this process: its engine processes are our children (from /proc).
  const engines = engineChildren();
  assert.ok(engines.length > 0, 'the composite lives in an engine process');
  for (const pid of engines) process.kill(pid, 'SIGKILL');
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 500));
  const stalled = await Promise.all(people.slice(0, 3).map(async (p) => (await p.peer.received()).frames));
  await until(async () => (await Promise.all(people.slice(0, 3).map(async (p) => (await p.peer.received()).frames))).every((n, i) => n > stalled[i]! + 15), 20_000, 'the mix back after the engine process died');
  console.log(`# the mix back at every participant ${Math.round(performance.now() - t0)} ms after its engine process was killed`);
  const st = (await invoke(bed, people[0]!.port, 'getStats', { mediaType: 'VIDEO' })).value as Record<string, unknown>;
  assert.ok(Object.keys(st).length > 0);
  await bed.c.ok('release', { object: P, sessionId: bed.sid });
  for (const p of people.slice(0, 3)) await p.peer.close();
  await until(async () => (await bed.fluo.server.media.engineStats()).every((p) => p.bins === 0), 10_000, 'no engine bin left');
});
