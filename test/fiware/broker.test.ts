/**
 * The project's NGSI-v2 test broker answers as Orion's API manual says for the calls the
 * FIWARE bridge and the tutorial make (issue 15 §1): status codes, Location headers,
 * the types Orion fills in, 422 on PATCH of a missing attribute and on a second create,
 * 400 on forbidden characters, tenants, pagination with Fiware-Total-Count, and
 * subscriptions whose notifications reach the subscriber.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { NgsiBroker } from '../../src/fiware/broker/NgsiBroker.ts';

const broker = new NgsiBroker();
let base: string;
before(async () => { base = `http://127.0.0.1:${await broker.listen()}`; });
after(() => broker.close());

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; json: unknown }> {
  const res = await fetch(base + path, {
    method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

test('create: 201 with Location; a second create 422 Already Exists; types filled in, metadata {}', async () => {
  const r = await call('POST', '/v2/entities', { id: 'Room1', type: 'Room', temperature: { value: 23 }, name: { value: 'kitchen' }, on: { value: true }, pos: { value: [1, 2] } });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('location'), '/v2/entities/Room1?type=Room');
  const again = await call('POST', '/v2/entities', { id: 'Room1', type: 'Room' });
  assert.equal(again.status, 422);
  assert.deepEqual(again.json, { error: 'Unprocessable', description: 'Already Exists' });
  const got = await call('GET', '/v2/entities/Room1');
  assert.deepEqual(got.json, {
    id: 'Room1', type: 'Room',
    temperature: { type: 'Number', value: 23, metadata: {} }, name: { type: 'Text', value: 'kitchen', metadata: {} },
    on: { type: 'Boolean', value: true, metadata: {} }, pos: { type: 'StructuredValue', value: [1, 2], metadata: {} },
  });
  assert.deepEqual((await call('GET', '/v2/entities/Room1?options=keyValues')).json, { id: 'Room1', type: 'Room', temperature: 23, name: 'kitchen', on: true, pos: [1, 2] });
  assert.equal((await call('POST', '/v2/entities?options=keyValues', { id: 'Room2', type: 'Room', temperature: 19 })).status, 201);
  assert.deepEqual((await call('GET', '/v2/entities/Room2')).json, { id: 'Room2', type: 'Room', temperature: { type: 'Number', value: 19, metadata: {} } });
});

test('PATCH updates existing attributes (204) and answers 422 for a missing one; POST /attrs appends; 404 for an unknown entity', async () => {
  await call('POST', '/v2/entities', { id: 'Cam1', type: 'Camera', on: { value: false } });
  assert.equal((await call('PATCH', '/v2/entities/Cam1/attrs', { on: { value: true } })).status, 204);
  const missing = await call('PATCH', '/v2/entities/Cam1/attrs', { streamName: { value: 's' } });
  assert.equal(missing.status, 422);
  assert.equal((missing.json as { error: string }).error, 'Unprocessable');
  assert.equal((await call('POST', '/v2/entities/Cam1/attrs', { streamName: { value: 's' } })).status, 204);
  assert.equal((await call('PATCH', '/v2/entities/Cam1/attrs', { streamName: { value: 't' } })).status, 204);
  assert.deepEqual((await call('GET', '/v2/entities/Cam1?options=keyValues')).json, { id: 'Cam1', type: 'Camera', on: true, streamName: 't' });
  const unknown = await call('PATCH', '/v2/entities/Nope/attrs', { on: { value: true } });
  assert.equal(unknown.status, 404);
  assert.equal((unknown.json as { error: string }).error, 'NotFound');
  assert.equal((await call('DELETE', '/v2/entities/Cam1')).status, 204);
  assert.equal((await call('GET', '/v2/entities/Cam1')).status, 404);
});

test('400 on forbidden characters, bad ids, bad JSON; 415 on a wrong content type; DateTime must be ISO 8601', async () => {
  for (const body of [{ id: 'A1', type: 'T', v: { value: 'a<b' } }, { id: 'A(2)', type: 'T' }, { id: 'A 3', type: 'T' }, { id: 'A4', type: 'T', v: { value: { k: "it's" } } }]) {
    const r = await call('POST', '/v2/entities', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal((r.json as { error: string }).error, 'BadRequest');
  }
  assert.equal((await call('POST', '/v2/entities', '{"id": ')).status, 400);
  assert.equal(((await call('POST', '/v2/entities', '{"id": ')).json as { error: string }).error, 'ParseError');
  assert.equal((await call('POST', '/v2/entities', 'id=1', { 'content-type': 'text/plain' })).status, 415);
  assert.equal((await call('POST', '/v2/entities', { id: 'D1', type: 'T', at: { type: 'DateTime', value: 'yesterday' } })).status, 400);
  assert.equal((await call('POST', '/v2/entities', { id: 'D2', type: 'T', at: { type: 'DateTime', value: '2026-12-06T10:00:00.000Z' } })).status, 201);
  assert.equal((await call('POST', '/v2/entities', { id: 'D3', type: 'T', v: 5 })).status, 400, 'a bare value needs options=keyValues');
});

test('list: type, q, idPattern, limit/offset with Fiware-Total-Count; tenants do not see each other', async () => {
  const t = { 'fiware-service': 'plates' };
  for (let i = 0; i < 5; i++) await call('POST', '/v2/entities?options=keyValues', { id: `Ev${i}`, type: 'MediaEvent', eventType: i % 2 ? 'PlateDetected' : 'CodeFound' }, t);
  const page = await call('GET', '/v2/entities?type=MediaEvent&limit=2&offset=1&options=count,keyValues', undefined, t);
  assert.equal(page.headers.get('fiware-total-count'), '5');
  assert.deepEqual((page.json as Array<{ id: string }>).map((e) => e.id), ['Ev1', 'Ev2']);
  const q = await call('GET', "/v2/entities?type=MediaEvent&q=eventType=='PlateDetected'&options=keyValues", undefined, t);
  assert.deepEqual((q.json as Array<{ id: string }>).map((e) => e.id), ['Ev1', 'Ev3']);
  assert.deepEqual(((await call('GET', '/v2/entities?idPattern=^Ev[34]$', undefined, t)).json as Array<{ id: string }>).map((e) => e.id), ['Ev3', 'Ev4']);
  assert.deepEqual((await call('GET', '/v2/entities?type=MediaEvent')).json, [], 'the default tenant has none');
  assert.equal((await call('GET', '/v2/entities?limit=0', undefined, t)).status, 400);
});

test('subscriptions: 201 with Location; a matching create or update is notified with subscriptionId and data; DELETE stops it; condition.attrs, notification.attrs, attrsFormat', async () => {
  const got: Array<{ subscriptionId: string; data: Array<Record<string, unknown>> }> = [];
  const sink = http.createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => { b += c.toString(); });
    req.on('end', () => { got.push(JSON.parse(b)); res.end(); });
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', () => r()));
  try {
    const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/notify`;
    const t = { 'fiware-service': 'subs' };
    const created = await call('POST', '/v2/subscriptions', { description: 'plates', subject: { entities: [{ idPattern: '.*', type: 'MediaEvent' }] }, notification: { http: { url } } }, t);
    assert.equal(created.status, 201);
    const location = created.headers.get('location')!;
    assert.match(location, /^\/v2\/subscriptions\/[0-9a-f]{24}$/);
    const subId = location.split('/').pop()!;
    await call('POST', '/v2/entities?options=keyValues', { id: 'Car1', type: 'Vehicle' }, t);
    await call('POST', '/v2/entities?options=keyValues', { id: 'Ev1', type: 'MediaEvent', eventType: 'PlateDetected' }, t);
    await call('POST', '/v2/entities/Ev1/attrs?options=keyValues', { data: { plate: '8886AJR' } }, t);
    const deadline = Date.now() + 5000;
    while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(got.length, 2, 'create and update of the MediaEvent, not the Vehicle');
    assert.equal(got[0]!.subscriptionId, subId);
    assert.deepEqual(got[1]!.data[0]!.data, { type: 'StructuredValue', value: { plate: '8886AJR' }, metadata: {} });
    assert.equal(((await call('GET', location, undefined, t)).json as { notification: { timesSent: number } }).notification.timesSent, 2);
    assert.equal((await call('DELETE', location, undefined, t)).status, 204);
    await call('POST', '/v2/entities?options=keyValues', { id: 'Ev2', type: 'MediaEvent' }, t);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.length, 2, 'no notification after DELETE');
    assert.equal((await call('POST', '/v2/subscriptions', { subject: { entities: [] }, notification: { http: { url } } }, t)).status, 400);

    // condition.attrs: only a change of `on` notifies; notification.attrs and keyValues shape what goes out.
    got.length = 0;
    const onOff = await call('POST', '/v2/subscriptions', {
      subject: { entities: [{ id: 'Cam1', type: 'Camera' }], condition: { attrs: ['on'] } },
      notification: { http: { url }, attrs: ['on'], attrsFormat: 'keyValues' },
    }, t);
    assert.equal(onOff.status, 201);
    await call('POST', '/v2/entities?options=keyValues', { id: 'Cam1', type: 'Camera', on: true, name: 'door' }, t);
    await call('PATCH', '/v2/entities/Cam1/attrs?options=keyValues', { name: 'gate' }, t);
    await call('PATCH', '/v2/entities/Cam1/attrs?options=keyValues', { on: false }, t);
    const until2 = Date.now() + 5000;
    while (got.length < 2 && Date.now() < until2) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(got.length, 2, 'the create and the change of on, not the change of name');
    assert.deepEqual(got.map((n) => n.data[0]), [{ id: 'Cam1', type: 'Camera', on: true }, { id: 'Cam1', type: 'Camera', on: false }]);
    const bad = (notification: Record<string, unknown>) => call('POST', '/v2/subscriptions', { subject: { entities: [{ id: 'Cam1' }] }, notification: { http: { url }, ...notification } }, t);
    assert.equal((await bad({ attrsFormat: 'legacy' })).status, 400);
    assert.equal((await bad({ attrs: 'on' })).status, 400);
  } finally {
    sink.close();
  }
});

test('NGSI-LD: URN ids, 201 with Location, 409 on a second create, Relationship objects', async () => {
  const e = { id: 'urn:ngsi-ld:MediaEvent:1', type: 'MediaEvent', eventType: { type: 'Property', value: 'CodeFound' }, deviceSource: { type: 'Relationship', object: 'urn:ngsi-ld:Camera:c1' }, '@context': 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld' };
  const r = await call('POST', '/ngsi-ld/v1/entities', e, { 'content-type': 'application/ld+json' });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('location'), '/ngsi-ld/v1/entities/urn%3Angsi-ld%3AMediaEvent%3A1');
  assert.equal((await call('POST', '/ngsi-ld/v1/entities', e, { 'content-type': 'application/ld+json' })).status, 409);
  assert.equal((await call('POST', '/ngsi-ld/v1/entities', { ...e, id: 'not-a-uri' }, { 'content-type': 'application/ld+json' })).status, 400);
  assert.deepEqual((await call('GET', '/ngsi-ld/v1/entities/urn:ngsi-ld:MediaEvent:1')).json, {
    id: 'urn:ngsi-ld:MediaEvent:1', type: 'MediaEvent', eventType: { type: 'Property', value: 'CodeFound' }, deviceSource: { type: 'Relationship', object: 'urn:ngsi-ld:Camera:c1' },
  });
});
