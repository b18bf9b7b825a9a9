/**
 * A VP8 RTP stream in, H.264 RTP out, through an engine bin: what a VP8 publisher to an
 * H.264-only viewer needs (issue 11 section 3). Real GStreamer on 127.0.0.1, no mocks.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { EngineProcess } from '../../src/engine/EngineProcess.ts';
import type { EngineEvent } from '../../src/engine/protocol.ts';
import { freeUdpPort, h264NalTypes, RtpReceiver, startVp8Sender, stopChild, VP8_CAPS, waitUntil } from './media.ts';

const IDR = 5;
let engine: EngineProcess;
let out: RtpReceiver;
let sender: ChildProcess;
const events: EngineEvent[] = [];

/** Arrival times of packets that start an IDR slice. */
const idrTimes = () => out.packets.filter((p) => p.pt === 102 && h264NalTypes(p.payload).includes(IDR)).map((p) => p.at);

before(async () => {
  engine = await EngineProcess.start();
  engine.on('event', (e) => events.push(e));
  out = await RtpReceiver.open();
});

after(async () => {
  if (sender) await stopChild(sender);
  await engine?.stop();
  out?.close();
});

test('VP8 RTP in, H.264 RTP out; the depayloader joining mid-stream asks for a keyframe', async () => {
  // The sender starts first, so the engine joins mid-stream and its depayloader sees no
  // keyframe: `request-keyframe=true` sends a force-key-unit upstream, which the engine
  // reports as a keyframeRequest (what becomes a PLI to the publisher).
  const inPort = await freeUdpPort();
  sender = startVp8Sender(inPort);
  await new Promise((r) => setTimeout(r, 700));
  const added = await engine.request('addBin', {
    pipeline: 'call', bin: 'vp8-to-h264',
    description:
      `udpsrc name=in port=${inPort} reuse=false caps="${VP8_CAPS}" ! rtpjitterbuffer latency=50 ! rtpvp8depay request-keyframe=true wait-for-keyframe=true ` +
      '! vp8dec ! videoconvert ! x264enc name=enc tune=zerolatency speed-preset=ultrafast key-int-max=3000 bitrate=300 threads=1 ' +
      `! video/x-h264,profile=constrained-baseline ! rtph264pay pt=102 config-interval=-1 ! udpsink name=out host=127.0.0.1 port=${out.port} sync=false`,
  });
  assert.deepEqual(added.ports.find((p) => p.element === 'in'), { element: 'in', kind: 'receive', port: inPort });
  assert.equal(added.ports.find((p) => p.element === 'out')?.kind, 'send');

  await waitUntil(() => events.some((e) => e.type === 'keyframeRequest'), 5000, 'a keyframe request from the depayloader');
  const req = events.find((e) => e.type === 'keyframeRequest');
  assert.deepEqual(req && { bin: req.bin, element: req.element, pipeline: req.pipeline }, { pipeline: 'call', bin: 'vp8-to-h264', element: 'in' });

  // The sender's next periodic keyframe (one a second) starts the decoder.
  await waitUntil(() => out.packets.length > 30, 8000, 'H.264 RTP packets out of the engine').catch((e: Error) => {
    const problems = events.filter((x) => x.type === 'error' || x.type === 'warning');
    throw new Error(`${e.message}; ${out.packets.length} packets; engine said ${JSON.stringify(problems)}`);
  });
  const sendPort = added.ports.find((p) => p.element === 'out')?.port;
  assert.ok(sendPort && sendPort > 0, 'the udpsink reports the port it sends from');
  const h264 = out.packets.filter((p) => p.pt === 102);
  assert.ok(h264.length > 30, `H.264 packets (pt 102): ${h264.length}`);
  const types = new Set(h264.flatMap((p) => h264NalTypes(p.payload)));
  assert.ok(types.has(7) && types.has(8) && types.has(IDR), `SPS, PPS and IDR seen (NAL types ${[...types].join(',')})`);
});

test('a keyframe request makes an IDR arrive within 1 s', async (t) => {
  // key-int-max=3000: without a request the encoder makes no IDR for 100 s.
  await new Promise((r) => setTimeout(r, 1200));
  const quietSince = Date.now() - 1000;
  assert.equal(idrTimes().filter((t) => t > quietSince).length, 0, 'no IDR without a request');
  for (let i = 0; i < 2; i++) {
    const asked = Date.now();
    await engine.request('keyframe', { pipeline: 'call', bin: 'vp8-to-h264', element: 'enc' });
    const ms = await waitUntil(() => idrTimes().some((t) => t >= asked), 1000, 'an IDR after the keyframe request');
    assert.ok(ms < 1000, `IDR ${ms} ms after the request`);
    t.diagnostic(`IDR ${ms} ms after keyframe request ${i + 1}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const stats = await engine.request('stats', { pipeline: 'call' });
  const served = stats.pipelines.call.bins['vp8-to-h264'].elements.out.values['bytes-served'];
  assert.ok(typeof served === 'number' && served > 10_000, `udpsink bytes-served ${served}`);
});
