/**
 * What Kurento's users complain about, checked: a recording cut short by SIGKILL of the
 * server is playable up to a second or two before the kill (Matroska written
 * unbuffered, fragmented MP4); a recording uploaded over HTTP while it is made arrives
 * whole and plays; other profiles (FLV, JPEG) write what they say; 200 recorder
 * create/record/release cycles leave no engine bin, socket or file descriptor behind.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startFluo, RpcClient, sleep, type RpcMessage } from '../helpers/fluo.ts';
import { RemotePeers, until, type RemotePeer } from '../helpers/RemotePeers.ts';
import { startFluoProcess } from '../helpers/fluoProcess.ts';
import { probe, decodeErrors, lastTimestamp } from '../helpers/probe.ts';

const peers = new RemotePeers();
const dir = mkdtempSync(join(tmpdir(), 'fluo-rec2-'));
after(() => {
  peers.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** JSON-RPC helpers for one session of `c`, with its events kept. */
function session(c: RpcClient, sid: string) {
  const events: Array<{ object: string; type: string; data: Record<string, unknown>; at: number }> = [];
  c.onEvent((e: RpcMessage) => {
    const v = e.params?.value;
    if (v) events.push({ object: v.object, type: v.type, data: v.data as Record<string, unknown>, at: performance.now() });
  });
  const value = async (method: string, params: Record<string, unknown>): Promise<unknown> => (await c.ok(method, { ...params, sessionId: sid })).value;
  return {
    events,
    value,
    create: async (type: string, constructorParams: Record<string, unknown>) => (await value('create', { type, constructorParams })) as string,
    invoke: (object: string, operation: string, operationParams: Record<string, unknown> = {}) => value('invoke', { object, operation, operationParams }),
    async recording(rec: string) {
      for (const type of ['Recording', 'Stopped', 'Error']) await value('subscribe', { object: rec, type });
      await value('invoke', { object: rec, operation: 'record', operationParams: {} });
      await until(() => events.some((e) => e.object === rec && e.type === 'Recording'), 15_000, 'Recording');
      return events.find((e) => e.object === rec && e.type === 'Recording')!.at;
    },
  };
}

/** A publisher into a new pipeline of `c`. */
async function publish(c: RpcClient, sid: string): Promise<{ P: string; ep: string; publisher: RemotePeer; s: ReturnType<typeof session> }> {
  const s = session(c, sid);
  const P = await s.create('MediaPipeline', {});
  const ep = await s.create('WebRtcEndpoint', { mediaPipeline: P });
  const publisher = await peers.create();
  await publisher.connectTo(c, ep, sid);
  return { P, ep, publisher, s };
}

test('SIGKILL of the server mid-recording: WEBM and MP4 files play up to the last second or two', async () => {
  const fluo = await startFluoProcess();
  try {
    const sid = (await fluo.client.ok('connect')).sessionId!;
    const { P, ep, publisher, s } = await publish(fluo.client, sid);
    const webm = join(dir, 'killed.webm');
    const mp4 = join(dir, 'killed.mp4');
    const recWebm = await s.create('RecorderEndpoint', { mediaPipeline: P, uri: pathToFileURL(webm).href });
    const recMp4 = await s.create('RecorderEndpoint', { mediaPipeline: P, uri: pathToFileURL(mp4).href, mediaProfile: 'MP4' });
    await s.invoke(ep, 'connect', { sink: recWebm });
    await s.invoke(ep, 'connect', { sink: recMp4 });
    const started = Math.max(await s.recording(recWebm), await s.recording(recMp4));
    await sleep(5000);
    const recorded = (performance.now() - started) / 1000;
    await fluo.kill('SIGKILL');
    await publisher.close();
    for (const file of [webm, mp4]) {
      const last = await lastTimestamp(file, 'v');
      assert.ok(last >= recorded - 2, `${file}: playable up to ${last.toFixed(2)} s of ${recorded.toFixed(2)} s recorded before the kill`);
      assert.deepEqual(await decodeErrors(file), [], file);
      const p = await probe(file);
      assert.ok(p.streams.some((x) => x.type === 'video' && x.frames > 60), `${file}: ${JSON.stringify(p.streams)}`);
    }
  } finally {
    await fluo.kill('SIGKILL');
  }
});

test('HTTP upload: the recording is POSTed chunked while it is made, and plays', async () => {
  const received: Buffer[] = [];
  let headers: http.IncomingHttpHeaders = {};
  let method = '';
  const server = http.createServer((req, res) => {
    method = req.method ?? '';
    headers = req.headers;
    req.on('data', (b: Buffer) => received.push(b));
    req.on('end', () => res.end('stored'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const fluo = await startFluo();
  const c = await RpcClient.open(fluo.url);
  try {
    const sid = (await c.ok('connect')).sessionId!;
    const { P, ep, publisher, s } = await publish(c, sid);
    const rec = await s.create('RecorderEndpoint', { mediaPipeline: P, uri: `http://user:secret@127.0.0.1:${port}/repository/item-1` });
    await s.invoke(ep, 'connect', { sink: rec });
    const started = await s.recording(rec);
    await sleep(3000);
    const midway = received.reduce((n, b) => n + b.length, 0);
    await sleep(1000);
    const recorded = (performance.now() - started) / 1000;
    await s.invoke(rec, 'stopAndWait');
    assert.equal(method, 'POST');
    assert.equal(headers['transfer-encoding'], 'chunked');
    assert.equal(headers.authorization, `Basic ${Buffer.from('user:secret').toString('base64')}`);
    assert.ok(midway > 10_000, `bytes arrived while recording (${midway})`);
    const file = join(dir, 'uploaded.webm');
    writeFileSync(file, Buffer.concat(received));
    const p = await probe(file);
    assert.deepEqual(p.streams.map((x) => x.codec).sort(), ['opus', 'vp8']);
    const last = await lastTimestamp(file, 'v');
    assert.ok(Math.abs(last - recorded) < 0.5, `last frame at ${last.toFixed(2)} s of ${recorded.toFixed(2)} s recorded`);
    assert.deepEqual(await decodeErrors(file), []);
    assert.deepEqual(s.events.filter((e) => e.type === 'Error'), []);
    await s.value('release', { object: P });
    await publisher.close();
  } finally {
    await c.close();
    await fluo.stop();
    server.close();
  }
});

test('FLV (H.264 + AAC) and JPEG_VIDEO_ONLY write what they say; 200 create/record/release cycles leave nothing behind', async () => {
  const fluo = await startFluo();
  const c = await RpcClient.open(fluo.url);
  try {
    const sid = (await c.ok('connect')).sessionId!;
    const { P, ep, publisher, s } = await publish(c, sid);
    for (const [profile, name] of [['FLV', 'call.flv'], ['JPEG_VIDEO_ONLY', 'frames.mjpeg']] as const) {
      const file = join(dir, name);
      const rec = await s.create('RecorderEndpoint', { mediaPipeline: P, uri: pathToFileURL(file).href, mediaProfile: profile });
      await s.invoke(ep, 'connect', { sink: rec, ...(profile === 'JPEG_VIDEO_ONLY' ? { mediaType: 'VIDEO' } : {}) });
      await s.recording(rec);
      await sleep(2000);
      await s.invoke(rec, 'stopAndWait');
      const p = await probe(file);
      const codecs = p.streams.map((x) => x.codec).sort();
      assert.deepEqual(codecs, profile === 'FLV' ? ['aac', 'h264'] : ['mjpeg'], `${profile}: ${JSON.stringify(p.streams)}`);
      assert.ok(p.streams.find((x) => x.type === 'video')!.frames > 20, profile);
      await s.value('release', { object: rec });
    }

    // The leak check: every cycle records for real (its engine bin is added and removed).
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const workerHandles = async (): Promise<number> => (await fluo.server.media.workerResources()).flat().filter((r) => /UDP|TCP|FSReq|Pipe/.test(r)).length;
    const fdsBefore = fds();
    const handlesBefore = await workerHandles();
    // Four applications' worth at once, 50 cycles each: recorders come and go while
    // others of the same pipeline record, as in a real server (and in a quarter the time).
    await Promise.all([0, 1, 2, 3].map(async (lane) => {
      for (let i = 0; i < 50; i++) {
        const rec = await s.create('RecorderEndpoint', { mediaPipeline: P, uri: pathToFileURL(join(dir, `cycle-${lane}.webm`)).href, mediaProfile: 'WEBM_AUDIO_ONLY' });
        await s.invoke(ep, 'connect', { sink: rec, mediaType: 'AUDIO' });
        await s.recording(rec);
        await s.value('release', { object: rec });
      }
    }));
    await until(async () => (await workerHandles()) <= handlesBefore, 10_000, 'worker sockets back to where they were');
    assert.ok(fds() <= fdsBefore + 2, `file descriptors ${fdsBefore} -> ${fds()}`);
    // A released recorder finishes its file first (drain, EOS), then removes its bin.
    let stats = await fluo.server.media.engineStats();
    await until(async () => (stats = await fluo.server.media.engineStats()).every((p) => p.bins === 0), 10_000, 'no engine bin left')
      .catch(() => undefined);
    assert.deepEqual(stats.map((p) => p.bins), [0], `engine bins left: ${JSON.stringify(stats)}`);
    await s.value('release', { object: P });
    await publisher.close();
  } finally {
    await c.close();
    await fluo.stop();
  }
});
