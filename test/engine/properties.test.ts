/**
 * Live control: a property set while media flows changes what leaves the engine (REMB
 * and encoderBitrate will drive the encoder's target this way, issue 11 section 2), and
 * pipeline actions (pause, play, query, seek).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EngineProcess } from '../../src/engine/EngineProcess.ts';
import { RtpReceiver, waitUntil } from './media.ts';

let engine: EngineProcess;
let out: RtpReceiver;

before(async () => {
  engine = await EngineProcess.start();
  out = await RtpReceiver.open();
});

after(async () => {
  await engine?.stop();
  out?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('setProperty on a running encoder: bitrate 800 kbps -> 100 kbps moves the RTP output rate', async (t) => {
  // Snow does not compress: the encoder's rate control then sends about its target.
  await engine.request('addBin', {
    pipeline: 'live', bin: 'enc',
    description: 'videotestsrc is-live=true pattern=snow ! video/x-raw,width=320,height=240,framerate=15/1 ' +
      '! x264enc name=h264 tune=zerolatency speed-preset=ultrafast bitrate=800 threads=1 ' +
      `! rtph264pay pt=102 ! udpsink host=127.0.0.1 port=${out.port} sync=false`,
  });
  await waitUntil(() => out.packets.length > 0, 5000, 'the first RTP packet');
  await sleep(1000);
  let from = Date.now();
  await sleep(2000);
  const high = out.bitrate(from, Date.now());
  await engine.request('setProperty', { pipeline: 'live', bin: 'enc', element: 'h264', name: 'bitrate', value: 100 });
  assert.deepEqual(await engine.request('getProperty', { pipeline: 'live', bin: 'enc', element: 'h264', name: 'bitrate' }), { value: 100 });
  await sleep(1500);
  from = Date.now();
  await sleep(2000);
  const low = out.bitrate(from, Date.now());
  t.diagnostic(`RTP out ${Math.round(high / 1000)} kbps at target 800 kbps, ${Math.round(low / 1000)} kbps at 100 kbps`);
  assert.ok(high > 400_000, `high: ${Math.round(high / 1000)} kbps`);
  assert.ok(low < 200_000 && low < high / 3, `low: ${Math.round(low / 1000)} kbps after ${Math.round(high / 1000)} kbps`);
  // A change the element ignores in its state is reported, not silently dropped.
  await assert.rejects(
    engine.request('setProperty', { pipeline: 'live', bin: 'enc', element: 'h264', name: 'threads', value: 2 }),
    { code: 'BAD_REQUEST', message: /threads stayed 1, 2 not applied/ },
  );
});

test('pause and play a pipeline; query its position', async () => {
  const q1 = await engine.request('action', { pipeline: 'live', action: { kind: 'query' } });
  assert.ok(q1.query && q1.query.positionMs !== null && q1.query.positionMs > 1000, `position ${q1.query?.positionMs}`);
  await engine.request('action', { pipeline: 'live', action: { kind: 'state', state: 'PAUSED' } });
  await sleep(300);
  const pausedAt = Date.now();
  const count = out.packets.length;
  await sleep(700);
  assert.ok(out.packets.filter((p) => p.at > pausedAt).length <= 2, `paused: ${out.packets.length - count} packets`);
  await engine.request('action', { pipeline: 'live', action: { kind: 'state', state: 'PLAYING' } });
  const n = out.packets.length;
  await waitUntil(() => out.packets.length > n + 10, 3000, 'packets again after PLAYING');
});
