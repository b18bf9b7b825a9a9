/**
 * The official kurento-client@7.3.0 (npm) against Fluo: the handshake (ping, describe,
 * getInfo module check), pipelines and elements, connect, events, ServerManager,
 * release. Conformance notes b.1 and b.3.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startFluo } from '../helpers/fluo.ts';

const require = createRequire(import.meta.url);
// kurento-client is CommonJS with no types; we use it the way applications do.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const kurento = require('kurento-client') as Loose;

/**
 * kurento-client 7.3.0 on Node 20 resolves (with undefined) the promise of a call the
 * server refused, and only reports the error to a callback; errors are checked that way.
 */
function callbackError(fn: (cb: (err: Loose) => void) => void): Promise<Loose> {
  return new Promise((resolve) => fn((err) => resolve(err)));
}

let fluo: Awaited<ReturnType<typeof startFluo>>;
let client: Loose;

before(async () => {
  fluo = await startFluo();
  const raw = kurento(fluo.url, { failAfter: 1, request_timeout: 5000 });
  // With the reconnect-ws override a dropped socket would otherwise throw in the test process.
  raw._re.on('error', () => undefined);
  client = await raw;
});
after(async () => {
  client.close();
  await new Promise((r) => setTimeout(r, 50));
  await fluo.stop();
});

test('getInfo lists the modules the client checks; ServerManager answers', async () => {
  const manager = await client.getServerManager();
  const info = await manager.getInfo();
  const names = info.modules.map((m: { name: string }) => m.name);
  for (const m of ['core', 'elements', 'filters']) assert.ok(names.includes(m), m);
  assert.equal(info.type, 'KMS');
  assert.ok(Number(await manager.getCpuCount()) >= 1);
  assert.ok(Number(await manager.getUsedMemory()) > 1000);
  const cpu = Number(await manager.getUsedCpu(100));
  assert.ok(cpu >= 0 && cpu <= 100);
  const kmd = JSON.parse(await manager.getKmd('core'));
  assert.equal(kmd.name, 'core');
  assert.ok(Array.isArray(await manager.getSessions()));
});

test('pipelines, elements, connect, events and release through the official client', async () => {
  const manager = await client.getServerManager();
  const created: string[] = [];
  manager.on('ObjectCreated', (ev: { object: Loose }) => created.push(typeof ev.object === 'string' ? ev.object : ev.object.id));
  await new Promise((r) => setTimeout(r, 100));
  const pipeline = await client.create('MediaPipeline');
  assert.match(pipeline.id, /_kurento\.MediaPipeline$/);
  const a = await pipeline.create('PassThrough');
  const b = await pipeline.create('PassThrough');
  const connectedEvents: Loose[] = [];
  a.on('ElementConnected', (ev: Loose) => connectedEvents.push(ev));
  await new Promise((r) => setTimeout(r, 100));
  await a.connect(b);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(connectedEvents.length, 3);
  const sources = await b.getSourceConnections();
  assert.equal(sources.length, 3);
  await a.setName('source');
  assert.equal(await a.getName(), 'source');
  await a.addTag('k', 'v');
  assert.equal(await a.getTag('k'), 'v');
  const pipelines = await manager.getPipelines();
  assert.ok(pipelines.some((p: Loose) => p.id === pipeline.id));
  assert.ok(created.includes(pipeline.id), 'ObjectCreated for the pipeline');
  const children = await pipeline.getChildren();
  assert.equal(children.length, 2);
  await pipeline.release();
  const gone = await callbackError((cb) => a.getName(cb));
  assert.equal(gone?.code, 40101);
  assert.match(String(gone.message), / not found/);
  await new Promise((r) => setTimeout(r, 100));
  const after = await manager.getPipelines();
  assert.ok(!after.some((p: Loose) => p.id === pipeline.id));
});

test('server errors reach the client with Kurento codes', async () => {
  const pipeline = await client.create('MediaPipeline');
  const element = await pipeline.create('PassThrough');
  assert.equal((await callbackError((cb) => element.getTag('missing', cb)))?.code, 40110);
  // A filter command naming an element that writes files (refused by default: GStreamerFilter.conf.ini).
  assert.equal((await callbackError((cb) => pipeline.create('GStreamerFilter', { command: 'filesink location=/tmp/x' }, cb)))?.code, 40107);
  await pipeline.release();
});

test('the datachannelexample module through the official client: registered, its four elements created, connected and released', async () => {
  // As the Metadata and DataChannel tutorials do: without it the client refuses the classes.
  kurento.register('kurento-module-datachannelexample');
  const pipeline = await client.create('MediaPipeline');
  const webRtc = await pipeline.create('WebRtcEndpoint', { useDataChannels: true });
  const showData = await pipeline.create('KmsShowData');
  const sendData = await pipeline.create('KmsSendData');
  const detect = await pipeline.create('KmsDetectFaces');
  const showFaces = await pipeline.create('KmsShowFaces');
  for (const [el, type] of [[showData, 'KmsShowData'], [sendData, 'KmsSendData'], [detect, 'KmsDetectFaces'], [showFaces, 'KmsShowFaces']] as const) {
    assert.match(el.id, new RegExp(`datachannelexample\\.${type}$`));
  }
  await webRtc.connect(showData);
  await showData.connect(webRtc);
  await detect.connect(showFaces);
  const kmd = JSON.parse(await (await client.getServerManager()).getKmd('datachannelexample'));
  assert.deepEqual(kmd.remoteClasses.map((c: { name: string; extends: string }) => `${c.name}:${c.extends}`).sort(),
    ['KmsDetectFaces:Filter', 'KmsSendData:MediaElement', 'KmsShowData:MediaElement', 'KmsShowFaces:Filter']);
  await pipeline.release();
});
