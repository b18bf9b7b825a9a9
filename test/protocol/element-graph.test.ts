/** MediaElement connection graph (conformance notes section f, module-core mediaElement tests). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFluo, RpcClient, sleep } from '../helpers/fluo.ts';

let fluo: Awaited<ReturnType<typeof startFluo>>;
let c: RpcClient;
let sid: string;
before(async () => {
  fluo = await startFluo();
  c = await RpcClient.open(fluo.url);
  sid = (await c.ok('connect')).sessionId!;
});
after(async () => { await c.close(); await fluo.stop(); });

const create = async (type: string, constructorParams?: unknown): Promise<string> =>
  (await c.ok('create', { type, constructorParams, sessionId: sid })).value as string;
const invoke = async (object: string, operation: string, operationParams?: unknown): Promise<unknown> =>
  (await c.ok('invoke', { object, operation, operationParams, sessionId: sid })).value;

test('connect without media type makes AUDIO, VIDEO and DATA "default" connections', async () => {
  const P = await create('MediaPipeline');
  const a = await create('PassThrough', { mediaPipeline: P });
  const b = await create('kurento.PassThrough', { mediaPipeline: P });
  await c.ok('subscribe', { object: a, type: 'ElementConnected', sessionId: sid });
  await c.ok('subscribe', { object: a, type: 'ElementDisconnected', sessionId: sid });
  c.events.length = 0;
  await invoke(a, 'connect', { sink: b });
  await sleep(50);
  const connected = c.events.filter((e) => e.params?.value.type === 'ElementConnected');
  assert.equal(connected.length, 3);
  assert.deepEqual(connected.map((e) => e.params!.value.data.mediaType).sort(), ['AUDIO', 'DATA', 'VIDEO']);
  assert.equal(connected[0]!.params!.value.data.sink, b);
  assert.equal(connected[0]!.params!.value.data.sourceMediaDescription, 'default');
  const src = (await invoke(b, 'getSourceConnections')) as Array<Record<string, unknown>>;
  assert.equal(src.length, 3);
  assert.equal(src[0]!.source, a);
  assert.equal(src[0]!.sink, b);
  assert.equal(src[0]!.__type__, 'ElementConnectionData');
  assert.equal(((await invoke(a, 'getSinkConnections')) as unknown[]).length, 3);
  assert.equal(((await invoke(b, 'getSourceConnections', { mediaType: 'AUDIO' })) as unknown[]).length, 1);
  assert.equal(((await invoke(b, 'getSourceConnections', { mediaType: 'AUDIO', description: 'test' })) as unknown[]).length, 0);
  c.events.length = 0;
  await invoke(a, 'disconnect', { sink: b });
  await sleep(50);
  assert.equal(c.events.filter((e) => e.params?.value.type === 'ElementDisconnected').length, 3);
  assert.equal(((await invoke(b, 'getSourceConnections')) as unknown[]).length, 0);
  await invoke(a, 'connect', { sink: b, mediaType: 'VIDEO' });
  assert.equal(((await invoke(b, 'getSourceConnections')) as unknown[]).length, 1);
  // A filter's getStats is its ElementStats, keyed by its id (no packets: no latency yet).
  const stats = (await invoke(b, 'getStats')) as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(stats), [b]);
  assert.equal(stats[b]!.__type__, 'ElementStats');
  assert.equal(stats[b]!.type, 'element');
  assert.deepEqual(stats[b]!.inputLatency, []);
  await c.ok('release', { object: P, sessionId: sid });
});

test('a new source replaces the old one on a sink input; self-connection allowed', async () => {
  const P = await create('MediaPipeline');
  const [a, b, s] = [await create('PassThrough', { mediaPipeline: P }), await create('PassThrough', { mediaPipeline: P }), await create('PassThrough', { mediaPipeline: P })];
  await c.ok('subscribe', { object: a, type: 'ElementDisconnected', sessionId: sid });
  await invoke(a, 'connect', { sink: s });
  c.events.length = 0;
  await invoke(b, 'connect', { sink: s, mediaType: 'VIDEO' });
  await sleep(50);
  const disc = c.events.filter((e) => e.params?.value.type === 'ElementDisconnected');
  assert.equal(disc.length, 1);
  assert.equal(disc[0]!.params!.value.data.mediaType, 'VIDEO');
  const sources = (await invoke(s, 'getSourceConnections')) as Array<{ source: string; type: string }>;
  assert.deepEqual(sources.map((x) => `${x.type}:${x.source === a ? 'a' : 'b'}`).sort(), ['AUDIO:a', 'DATA:a', 'VIDEO:b']);
  await invoke(s, 'connect', { sink: s });
  assert.equal(((await invoke(s, 'getSinkConnections')) as unknown[]).length, 3);
  await c.ok('release', { object: P, sessionId: sid });
});

test('elements of two pipelines cannot be connected (40004); release cascades; calls after release 40101', async () => {
  const P1 = await create('MediaPipeline');
  const P2 = await create('MediaPipeline');
  const a = await create('PassThrough', { mediaPipeline: P1 });
  const b = await create('PassThrough', { mediaPipeline: P2 });
  const r = await c.request('invoke', { object: a, operation: 'connect', operationParams: { sink: b }, sessionId: sid });
  assert.equal(r.error?.code, 40004);
  assert.equal(r.error?.data?.type, 'CONNECT_ERROR');
  assert.equal(r.error?.message, 'Media elements do not share pipeline');
  await c.ok('release', { object: P1, sessionId: sid });
  for (const op of ['getName', 'getChildren']) {
    const e = await c.request('invoke', { object: a, operation: op, sessionId: sid });
    assert.equal(e.error?.code, 40101);
  }
  const rel = await c.request('release', { object: a, sessionId: sid });
  assert.equal(rel.error?.code, 40101);
  await c.ok('release', { object: P2, sessionId: sid });
});

test('MediaObject properties: name, tags, sendTagsInEvents, creationTime, parent, mediaPipeline, children', async () => {
  const P = await create('MediaPipeline');
  const a = await create('PassThrough', { mediaPipeline: P });
  assert.equal(await invoke(a, 'getName'), a);
  await invoke(a, 'setName', { name: 'my-passthrough' });
  assert.equal(await invoke(a, 'getName'), 'my-passthrough');
  await invoke(a, 'addTag', { key: 'room', value: '42' });
  assert.equal(await invoke(a, 'getTag', { key: 'room' }), '42');
  assert.deepEqual(await invoke(a, 'getTags'), [{ key: 'room', value: '42', __module__: 'kurento', __type__: 'Tag' }]);
  const missing = await c.request('invoke', { object: a, operation: 'getTag', operationParams: { key: 'nope' }, sessionId: sid });
  assert.equal(missing.error?.code, 40110);
  await invoke(a, 'removeTag', { key: 'room' });
  assert.deepEqual(await invoke(a, 'getTags'), []);
  const ct = (await invoke(a, 'getCreationTime')) as number;
  assert.ok(Math.abs(ct - Date.now() / 1000) < 60);
  assert.equal(await invoke(a, 'getParent'), P);
  assert.equal(await invoke(a, 'getMediaPipeline'), P);
  assert.equal(await invoke(P, 'getMediaPipeline'), P);
  assert.equal(await invoke(P, 'getParent'), null);
  assert.deepEqual(await invoke(P, 'getChildren'), [a]);
  // Tags in events when asked.
  await invoke(a, 'addTag', { key: 'k', value: 'v' });
  await invoke(a, 'setSendTagsInEvents', { sendTagsInEvents: true });
  const b = await create('PassThrough', { mediaPipeline: P });
  await c.ok('subscribe', { object: a, type: 'ElementConnected', sessionId: sid });
  await invoke(a, 'connect', { sink: b, mediaType: 'AUDIO' });
  const ev = await c.waitEvent((e) => e.params?.value.object === a);
  assert.deepEqual(ev.params!.value.data.tags, [{ key: 'k', value: 'v', __module__: 'kurento', __type__: 'Tag' }]);
  const dot = (await invoke(P, 'getGstreamerDot')) as string;
  assert.match(dot, /^digraph/);
  await c.ok('release', { object: P, sessionId: sid });
});

test('dumpGstreamerDot writes each object\'s DOT into GST_DEBUG_DUMP_DOT_DIR, and says why it cannot without it', async () => {
  const P = await create('MediaPipeline');
  const a = await create('PassThrough', { mediaPipeline: P });
  const hub = await create('Composite', { mediaPipeline: P });
  const port = await create('HubPort', { hub });
  await invoke(a, 'connect', { sink: port });
  const saved = process.env.GST_DEBUG_DUMP_DOT_DIR;
  const dir = mkdtempSync(join(tmpdir(), 'fluo-dot-'));
  try {
    delete process.env.GST_DEBUG_DUMP_DOT_DIR;
    const r = await c.request('invoke', { object: a, operation: 'dumpGstreamerDot', operationParams: {}, sessionId: sid });
    assert.equal(r.error?.data?.type, 'NOT_IMPLEMENTED');
    assert.match(r.error!.message, /GST_DEBUG_DUMP_DOT_DIR/);
    process.env.GST_DEBUG_DUMP_DOT_DIR = dir;
    for (const o of [P, a, hub]) await invoke(o, 'dumpGstreamerDot');
    const file = (id: string): string => readFileSync(join(dir, `${id.replace(/[^\w.-]/g, '_')}.dot`), 'utf8');
    for (const o of [P, a, hub]) assert.match(file(o), /^digraph/, `${o}'s file`);
    assert.match(file(P), new RegExp(`"${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" -> "${port.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`), 'the pipeline\'s file has the connection');
    // A folder that is not there: an error naming the file, nothing else disturbed.
    process.env.GST_DEBUG_DUMP_DOT_DIR = join(dir, 'missing');
    const bad = await c.request('invoke', { object: P, operation: 'dumpGstreamerDot', operationParams: {}, sessionId: sid });
    assert.match(bad.error?.message ?? '', /missing/);
    assert.match((await invoke(P, 'getGstreamerDot')) as string, /^digraph/);
  } finally {
    if (saved === undefined) delete process.env.GST_DEBUG_DUMP_DOT_DIR;
    else process.env.GST_DEBUG_DUMP_DOT_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
    await c.ok('release', { object: P, sessionId: sid });
  }
});

test('MediaElement.conf.ini encoder bitrates are every new element\'s, as if the application set them', async () => {
  const own = await startFluo((conf) => ({ ...conf, modules: { ...conf.modules, MediaElement: { ...conf.modules.MediaElement, encoderBitrate: '123000', maxEncoderBitrate: '900000' } } }));
  const rc = await RpcClient.open(own.url);
  try {
    const s = (await rc.ok('connect')).sessionId!;
    const v = async (method: string, params: Record<string, unknown>) => (await rc.ok(method, { ...params, sessionId: s })).value;
    const P = await v('create', { type: 'MediaPipeline' }) as string;
    const el = await v('create', { type: 'PassThrough', constructorParams: { mediaPipeline: P } }) as string;
    assert.equal(await v('invoke', { object: el, operation: 'getEncoderBitrate' }), 123000);
    assert.equal(await v('invoke', { object: el, operation: 'getMaxEncoderBitrate' }), 900000);
    await v('invoke', { object: el, operation: 'setEncoderBitrate', operationParams: { encoderBitrate: 250000 } });
    assert.equal(await v('invoke', { object: el, operation: 'getEncoderBitrate' }), 250000, 'the application overrides the file');
    await v('release', { object: P });
  } finally {
    await rc.close();
    await own.stop();
  }
});
