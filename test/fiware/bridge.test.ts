/**
 * The FIWARE context bridge (issue 15 §1) against the project's broker: a camera and
 * media events as smart-data-models entities (ISO dates, mediaSource, Relationships),
 * values Orion would refuse escaped without loss, a Kurento element's detections
 * attached; a broker that is down and comes back gets everything, in order; the queue
 * bound holds with drops counted; a slow broker never blocks the caller; NGSI-LD shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NgsiBroker } from '../../src/fiware/broker/NgsiBroker.ts';
import { ContextBridge } from '../../src/fiware/ContextBridge.ts';
import { activeResources } from '../helpers/fluo.ts';

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const entities = async (base: string, type: string, service = 'kurento'): Promise<Array<Record<string, unknown>>> =>
  (await (await fetch(`${base}/v2/entities?type=${type}&limit=1000&options=keyValues`, { headers: { 'fiware-service': service } })).json()) as Array<Record<string, unknown>>;

test('a camera and its plate detections become Camera and MediaEvent entities, as the data models say', async () => {
  const broker = new NgsiBroker();
  const base = `http://127.0.0.1:${await broker.listen()}`;
  const bridge = new ContextBridge({ brokerUrl: base, service: 'kurento', servicePath: '/plates' });
  try {
    bridge.registerCamera({ id: 'cam1', name: 'Gate camera', usage: 'ANPR', streamName: 'gate' });
    bridge.registerCamera({ id: 'cam1', name: 'Gate camera (north)', usage: 'ANPR' });
    // A Kurento element: kurento-client objects are emitters of their events.
    const filter = new EventEmitter();
    const detach = bridge.attach(filter, { camera: 'cam1' });
    filter.emit('PlateDetected', { plate: '8886AJR', source: 'pipe_filter1', type: 'PlateDetected', timestampMillis: '1765000000000', tags: [] });
    filter.emit('CodeFound', { codeType: 'QR-Code', value: 'https://example.org/?a=b;c=(d)', source: 'pipe_zbar', type: 'CodeFound' });
    detach();
    filter.emit('PlateDetected', { plate: 'IGNORED', source: 'x', type: 'PlateDetected' });
    await bridge.flush();
    const [cam] = await entities(base, 'Camera');
    assert.equal(decodeURIComponent(String(cam!.cameraName)), 'Gate camera (north)', 'an existing camera is updated, not refused');
    assert.equal(cam!.cameraUsage, 'ANPR');
    const events = await entities(base, 'MediaEvent');
    assert.equal(events.length, 2);
    const plate = events.find((e) => e.eventType === 'PlateDetected')!;
    assert.deepEqual(plate.data, { plate: '8886AJR' });
    assert.equal(plate.dateCreated, '2025-12-06T05:46:40.000Z');
    assert.equal(plate.mediaSource, 'pipe_filter1');
    assert.equal(plate.deviceSource, 'cam1');
    const normalized = await (await fetch(`${base}/v2/entities/${String(plate.id)}`, { headers: { 'fiware-service': 'kurento' } })).json() as Record<string, { type: string }>;
    assert.equal(normalized.dateCreated!.type, 'DateTime');
    assert.equal(normalized.deviceSource!.type, 'Relationship');
    const code = events.find((e) => e.eventType === 'CodeFound')!;
    assert.equal(decodeURIComponent(String((code.data as { value: string }).value)), 'https://example.org/?a=b;c=(d)', 'escaped, not lost');
    bridge.updateEntity('cam1', 'Camera', { on: { type: 'Boolean', value: false } });
    await bridge.flush();
    assert.equal((await entities(base, 'Camera'))[0]!.on, false);
    assert.deepEqual(bridge.counters.dropped, { queueFull: 0, rejected: 0, closed: 0, attempts: 0 });
  } finally {
    bridge.close();
    await broker.close();
  }
});

test('a broker that is down and comes back gets every event, in order; past the bound the oldest are dropped and counted', async () => {
  const port = await freePort();
  const bridge = new ContextBridge({ brokerUrl: `http://127.0.0.1:${port}`, queueLimit: 20, retryBaseMs: 20, retryMaxMs: 100, requestTimeoutMs: 500 });
  const t0 = performance.now();
  for (let i = 0; i < 25; i++) bridge.publish({ eventType: 'PlateDetected', data: { plate: `P${i}` } });
  assert.ok(performance.now() - t0 < 50, 'publishing never waits for the broker');
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(bridge.counters.retried >= 2, `retried ${bridge.counters.retried}`);
  assert.equal(bridge.counters.dropped.queueFull, 5);
  const broker = new NgsiBroker();
  await broker.listen(port);
  try {
    await bridge.flush();
    const plates = (await entities(`http://127.0.0.1:${port}`, 'MediaEvent', '')).map((e) => (e.data as { plate: string }).plate);
    // The write in flight when the queue filled (P0) stays; P1-P5 went.
    assert.deepEqual(plates, ['P0', ...Array.from({ length: 19 }, (_, i) => `P${i + 6}`)]);
    assert.equal(bridge.counters.sent, 20);
  } finally {
    bridge.close();
    await broker.close();
  }
});

test('a slow broker does not block the caller; close() drops what waits and leaves nothing running', async () => {
  const slow = http.createServer((req) => { req.resume(); /* never answers */ });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
  const bridge = new ContextBridge({ brokerUrl: `http://127.0.0.1:${(slow.address() as AddressInfo).port}`, requestTimeoutMs: 10_000 });
  const t0 = performance.now();
  for (let i = 0; i < 100; i++) bridge.publish({ eventType: 'CodeFound', data: { value: String(i) } });
  assert.ok(performance.now() - t0 < 50);
  await new Promise((r) => setTimeout(r, 100));
  bridge.close();
  assert.equal(bridge.counters.dropped.closed, 100, 'all, the one in flight aborted');
  bridge.publish({ eventType: 'x', data: {} });
  assert.equal(bridge.counters.dropped.closed, 101);
  slow.closeAllConnections();
  await new Promise((r) => slow.close(r));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(activeResources().filter((r) => /Timeout|TCP/.test(r)), [], 'no timer or socket left');
});

test('NGSI-LD: URN ids, Relationship objects, DateTime values and the @context', async () => {
  const broker = new NgsiBroker();
  const base = `http://127.0.0.1:${await broker.listen()}`;
  const bridge = new ContextBridge({ brokerUrl: base, ngsiLd: true });
  try {
    bridge.registerCamera({ id: 'cam2', name: 'Lobby' });
    bridge.registerCamera({ id: 'cam2', name: 'Lobby 2' });
    const id = bridge.publish({ eventType: 'WindowIn', data: { windowId: 'w0' }, camera: 'cam2', at: Date.UTC(2026, 11, 6) });
    assert.match(id, /^urn:ngsi-ld:MediaEvent:MediaEvent-WindowIn-/);
    await bridge.flush();
    assert.equal(bridge.counters.dropped.rejected, 0);
    const e = await (await fetch(`${base}/ngsi-ld/v1/entities/${encodeURIComponent(id)}`)).json() as Record<string, unknown>;
    assert.deepEqual(e.deviceSource, { type: 'Relationship', object: 'urn:ngsi-ld:Camera:cam2' });
    assert.deepEqual(e.dateCreated, { type: 'Property', value: { '@type': 'DateTime', '@value': '2026-12-06T00:00:00.000Z' } });
    const cam = await (await fetch(`${base}/ngsi-ld/v1/entities/urn:ngsi-ld:Camera:cam2`)).json() as Record<string, { value: unknown }>;
    assert.equal(cam.cameraName!.value, 'Lobby 2');
  } finally {
    bridge.close();
    await broker.close();
  }
});

test('maxAttempts: a write the broker keeps failing is dropped after that many tries, and the next goes through', async () => {
  // A broker that fails one entity with 500 every time and takes the others.
  const got: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      const entity = JSON.parse(body) as { id: string; data?: { value?: { plate?: string } } };
      if (entity.data?.value?.plate === 'BAD') return void res.writeHead(500).end('{"error":"InternalServerError"}');
      got.push(entity.data?.value?.plate ?? entity.id);
      res.writeHead(201, { location: `/v2/entities/${entity.id}` }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const bridge = new ContextBridge({ brokerUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, retryBaseMs: 5, retryMaxMs: 20, maxAttempts: 3 });
  try {
    bridge.publish({ eventType: 'PlateDetected', data: { plate: 'BAD' } });
    bridge.publish({ eventType: 'PlateDetected', data: { plate: 'GOOD' } });
    await bridge.flush();
    assert.deepEqual(got, ['GOOD']);
    assert.equal(bridge.counters.dropped.attempts, 1);
    assert.equal(bridge.counters.retried, 2, 'tried three times: two retries');
    assert.equal(bridge.counters.sent, 1);
  } finally {
    bridge.close();
    server.close();
  }
});
