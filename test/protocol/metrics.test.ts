/** /metrics and /health/* on the control port (issue 15 §3), against a real server. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { parseProm, sampleValue } from '../helpers/promParse.ts';

async function get(base: string, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(base + path, { method });
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}

test('/metrics is well-formed and moves by exactly the JSON-RPC calls made', async () => {
  const fluo = await startFluo();
  const base = `http://127.0.0.1:${fluo.server.ports.port}`;
  try {
    const first = await get(base, '/metrics');
    assert.equal(first.status, 200);
    assert.match(first.type, /^text\/plain; version=0\.0\.4/);
    const before = parseProm(first.body);
    for (const name of ['fluo_websocket_connections', 'fluo_sessions', 'fluo_objects', 'fluo_jsonrpc_requests_total', 'fluo_jsonrpc_request_duration_seconds',
      'fluo_process_resident_memory_bytes', 'fluo_process_heap_used_bytes', 'fluo_event_loop_lag_seconds', 'fluo_media_workers', 'fluo_media_workers_running']) {
      assert.ok(before.has(name), `${name} exposed`);
    }
    assert.equal(before.get('fluo_jsonrpc_requests_total')!.type, 'counter');
    assert.equal(before.get('fluo_jsonrpc_request_duration_seconds')!.type, 'histogram');
    assert.equal(sampleValue(before, 'fluo_websocket_connections'), 0);
    assert.ok(sampleValue(before, 'fluo_process_resident_memory_bytes') > 1e6);

    const c = await RpcClient.open(fluo.url);
    const sid = (await c.ok('connect')).sessionId!;
    const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
    await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid });
    const bad = await c.request('invoke', { object: 'no-such-object', operation: 'getName', sessionId: sid });
    const code = String(bad.error!.code);
    assert.notEqual(code, 'ok');

    const after = parseProm((await get(base, '/metrics')).body);
    const delta = (labels: Record<string, string>): number =>
      sampleValue(after, 'fluo_jsonrpc_requests_total', labels) - sampleValue(before, 'fluo_jsonrpc_requests_total', labels);
    assert.equal(delta({ method: 'connect', code: 'ok' }), 1);
    assert.equal(delta({ method: 'create', code: 'ok' }), 2);
    assert.equal(delta({ method: 'invoke', code }), 1);
    assert.equal(delta({ method: 'invoke', code: 'ok' }), 0);
    const total = (m: Map<string, ReturnType<typeof parseProm> extends Map<string, infer F> ? F : never>): number =>
      m.get('fluo_jsonrpc_requests_total')!.samples.reduce((s, x) => s + x.value, 0);
    assert.equal(total(after) - total(before), 4, 'no other request counted');
    const count = (m: typeof after, method: string): number => sampleValue(m, 'fluo_jsonrpc_request_duration_seconds', { method }, 'fluo_jsonrpc_request_duration_seconds_count');
    assert.equal(count(after, 'create') - count(before, 'create'), 2);
    assert.equal(count(after, 'invoke') - count(before, 'invoke'), 1);
    assert.equal(sampleValue(after, 'fluo_objects', { type: 'MediaPipeline' }), 1);
    assert.equal(sampleValue(after, 'fluo_objects', { type: 'WebRtcEndpoint' }), 1);
    assert.equal(sampleValue(after, 'fluo_websocket_connections'), 1);
    assert.ok(sampleValue(after, 'fluo_sessions') >= 1);
    assert.ok(sampleValue(after, 'fluo_media_workers_running') >= 1, 'the pipeline started a media worker');

    await c.ok('release', { object: P, sessionId: sid });
    const released = parseProm((await get(base, '/metrics')).body);
    assert.equal(sampleValue(released, 'fluo_objects', { type: 'MediaPipeline' }), 0);
    assert.equal(sampleValue(released, 'fluo_objects', { type: 'WebRtcEndpoint' }), 0);
    await c.close();
  } finally {
    await fluo.stop();
  }
});

test('/health/live and /health/ready answer 200; other paths keep their answers', async () => {
  const fluo = await startFluo();
  const base = `http://127.0.0.1:${fluo.server.ports.port}`;
  try {
    const live = await get(base, '/health/live');
    assert.equal(live.status, 200);
    assert.deepEqual(JSON.parse(live.body), { status: 'live' });
    const ready = await get(base, '/health/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(JSON.parse(ready.body), { status: 'ready' });
    assert.equal((await get(base, '/health/ready', 'HEAD')).status, 200);
    assert.equal((await get(base, '/metrics', 'POST')).status, 405);
    assert.equal((await get(base, '/')).status, 426, 'the KMS health check still answers 426');
  } finally {
    await fluo.stop();
  }
});

test('/health/ready answers 503 with a reason when no media worker can take a pipeline', async () => {
  const fluo = await startFluo();
  const base = `http://127.0.0.1:${fluo.server.ports.port}`;
  try {
    await fluo.server.media.close();
    const r = await get(base, '/health/ready');
    assert.equal(r.status, 503);
    assert.deepEqual(JSON.parse(r.body), { status: 'not ready', reason: 'no media worker can take a pipeline' });
    assert.equal((await get(base, '/health/live')).status, 200, 'still live');
  } finally {
    await fluo.stop();
  }
});

test('/health/ready answers 503 with a reason once the server is stopping', async () => {
  const fluo = await startFluo();
  try {
    assert.equal(fluo.server.ops.notReadyReason(), undefined);
    const stopping = fluo.stop();
    assert.match(fluo.server.ops.notReadyReason() ?? '', /stopping/);
    await stopping;
  } finally {
    await fluo.stop().catch(() => undefined);
  }
});
