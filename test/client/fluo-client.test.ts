/**
 * The typed client (packages/fluo-client, issue 15 §4) against Fluo: its generated code
 * is what the API definitions give today; a loopback call driven through it with a
 * libwebrtc peer (typed IceCandidateFound, processOffer, getStats); objects safe to
 * await (kurento-client's thenables hang there); Kurento errors as typed errors; a
 * dropped connection made again with the same session, its objects and subscriptions
 * intact. The suite's type check compiles this file: the @ts-expect-error lines prove
 * the event payloads and parameters are typed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KurentoClient, KurentoClientError, type IceCandidateFoundEvent, type ElementConnectedEvent } from '../../packages/fluo-client/src/index.ts';
import { generateClient } from '../../scripts/gen-client.ts';
import { startFluo, assertWorkersIdle } from '../helpers/fluo.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';
import { WebSocket, WebSocketServer } from 'ws';

test('the committed client is what the API definitions generate', () => {
  for (const [name, text] of generateClient()) {
    const committed = readFileSync(fileURLToPath(new URL(`../../packages/fluo-client/src/generated/${name}`, import.meta.url)), 'utf8');
    assert.equal(committed, text, `${name} is stale: run npm run gen:client`);
  }
});

test('a typed loopback call, await-safe objects, typed errors, and a reconnection that keeps the session', async () => {
  const fluo = await startFluo();
  const peers = new RemotePeers();
  const client = await KurentoClient.connect(fluo.url, { pingIntervalMs: 500, reconnect: { attempts: 5, minDelayMs: 50 } });
  try {
    const pipeline = await client.create('MediaPipeline', {});
    const endpoint = await client.create('WebRtcEndpoint', { mediaPipeline: pipeline });
    // Safe to await and to resolve: no `then` on the object.
    assert.equal(await Promise.resolve(endpoint), endpoint);
    assert.equal(await (async () => endpoint)(), endpoint);

    const peer = await peers.create();
    const candidates: IceCandidateFoundEvent[] = [];
    await endpoint.on('IceCandidateFound', (e) => {
      candidates.push(e);
      void peer.call('addCandidate', { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex });
      // @ts-expect-error a candidate has no `address` field in Kurento's IceCandidate
      void e.candidate.address;
    });
    peers.onCandidate(peer.id, (c) => void endpoint.addIceCandidate({ candidate: String(c.candidate), sdpMid: String(c.sdpMid), sdpMLineIndex: Number(c.sdpMLineIndex) }));
    await endpoint.connect(endpoint);
    const answer = await endpoint.processOffer((await peer.call('offer')) as string);
    assert.match(answer, /^v=0/);
    await peer.call('setAnswer', { sdp: answer });
    await endpoint.gatherCandidates();
    await until(async () => (await peer.received()).frames > 10, 15_000, 'frames back through the typed client\'s loopback');
    assert.ok(candidates.length > 0);
    const stats = await endpoint.getStats('VIDEO');
    assert.ok(Object.values(stats).some((s) => s.type === 'inboundrtp'));
    assert.equal((await endpoint.getMediaPipeline()).id, pipeline.id);
    // @ts-expect-error processOffer takes the offer as a string
    await endpoint.processOffer(42).catch(() => undefined);

    // Kurento's errors come typed, with the code and its name.
    const err = await client.create('WebRtcEndpoint', { mediaPipeline: 'no-such-pipeline' }).catch((e: unknown) => e);
    assert.ok(err instanceof KurentoClientError);
    assert.equal(err.code, 40101);
    assert.equal(err.type, 'MEDIA_OBJECT_NOT_FOUND');

    // The socket drops: the client connects again with the same session; the objects
    // and the subscriptions are there, and events still arrive.
    const session = client.sessionId;
    const connected: ElementConnectedEvent[] = [];
    await endpoint.on('ElementConnected', (e) => connected.push(e));
    const reconnected = new Promise<void>((r) => { client.connection.onReconnect = r; });
    client.connection.dropSocket();
    await reconnected;
    assert.equal(client.sessionId, session, 'the same session');
    assert.equal((await endpoint.getMediaPipeline()).id, pipeline.id, 'the objects survived');
    const other = await client.create('PassThrough', { mediaPipeline: pipeline });
    await endpoint.connect(other);
    await until(() => connected.some((e) => e.sink === other.id), 5_000, 'ElementConnected after the reconnection');
    await peer.close();
    await pipeline.release();
    await assertWorkersIdle(fluo.server);
  } finally {
    client.close();
    peers.stop();
    await fluo.stop();
  }
});

test('records travel as kurento-client sends them (__module__, __type__, nested ones too); pipeline.create makes elements in the pipeline', async () => {
  const fluo = await startFluo();
  // A relay between the client and Fluo that keeps what the client sends.
  const sent: Array<{ method: string; params: Record<string, unknown> }> = [];
  const relay = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  relay.on('connection', (downstream) => {
    const upstream = new WebSocket(fluo.url);
    const queue: string[] = [];
    upstream.on('open', () => { for (const m of queue.splice(0)) upstream.send(m); });
    upstream.on('message', (m) => downstream.send(String(m)));
    downstream.on('message', (m) => {
      sent.push(JSON.parse(String(m)) as { method: string; params: Record<string, unknown> });
      if (upstream.readyState === WebSocket.OPEN) upstream.send(String(m));
      else queue.push(String(m));
    });
    downstream.on('close', () => upstream.close());
  });
  await new Promise<void>((r) => relay.once('listening', () => r()));
  const client = await KurentoClient.connect(`ws://127.0.0.1:${(relay.address() as { port: number }).port}/kurento`);
  try {
    const pipeline = await client.create('MediaPipeline', {});
    const region = { topRightCornerX: 10, topRightCornerY: 10, width: 40, height: 40 };
    const pointer = await pipeline.create('PointerDetectorFilter', { calibrationRegion: region });
    assert.equal((await pointer.getMediaPipeline()).id, pipeline.id);
    await pointer.addWindow({ id: 'w1', upperRightX: 100, upperRightY: 20, width: 50, height: 50 });
    const crowd = await pipeline.create('CrowdDetectorFilter', {
      rois: [{
        id: 'roi1',
        points: [{ x: 0, y: 0 }, { x: 0.5, y: 0 }, { x: 0.5, y: 0.5 }, { x: 0, y: 0.5 }],
        regionOfInterestConfig: { occupancyLevelMin: 10, occupancyLevelMed: 35, occupancyLevelMax: 65, occupancyNumFramesToEvent: 5, fluidityLevelMin: 10, fluidityLevelMed: 35, fluidityLevelMax: 65, fluidityNumFramesToEvent: 5, sendOpticalFlowEvent: false, opticalFlowNumFramesToEvent: 3, opticalFlowNumFramesToReset: 3, opticalFlowAngleOffset: 0 },
      }],
    });
    assert.equal((await crowd.getMediaPipeline()).id, pipeline.id);

    const create = sent.find((m) => m.method === 'create' && m.params.type === 'pointerdetector.PointerDetectorFilter')!;
    assert.deepEqual((create.params.constructorParams as Record<string, unknown>).calibrationRegion, { ...region, __module__: 'pointerdetector', __type__: 'WindowParam' });
    assert.equal((create.params.constructorParams as Record<string, unknown>).mediaPipeline, pipeline.id, 'pipeline.create passes the pipeline by id');
    const add = sent.find((m) => m.method === 'invoke' && m.params.operation === 'addWindow')!;
    assert.equal(((add.params.operationParams as Record<string, Record<string, unknown>>).window)!.__type__, 'PointerDetectorWindowMediaParam');
    const rois = ((sent.find((m) => m.params.type === 'crowddetector.CrowdDetectorFilter')!.params.constructorParams as Record<string, unknown>).rois) as Array<Record<string, unknown>>;
    assert.equal(rois[0]!.__type__, 'RegionOfInterest');
    assert.equal(rois[0]!.__module__, 'crowddetector');
    assert.deepEqual((rois[0]!.points as unknown[])[0], { x: 0, y: 0, __module__: 'crowddetector', __type__: 'RelativePoint' });
    assert.equal((rois[0]!.regionOfInterestConfig as Record<string, unknown>).__type__, 'RegionOfInterestConfig');
    // @ts-expect-error a pipeline is not made in a pipeline
    void pipeline.create('MediaPipeline').catch(() => undefined);
    // @ts-expect-error a PointerDetectorFilter's calibration region is a WindowParam
    void pipeline.create('PointerDetectorFilter', { calibrationRegion: { x: 1 } }).catch(() => undefined);
    await pipeline.release();
  } finally {
    client.close();
    relay.close();
    await fluo.stop();
  }
});
