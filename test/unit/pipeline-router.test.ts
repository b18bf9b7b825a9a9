/**
 * PipelineRouter (issue 14 item 6): what the control plane's messages for one pipeline
 * become when its objects live on several media workers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PipelineRouter, type Delivery } from '../../src/media/worker/PipelineRouter.ts';
import type { EdgeSpec, MediaKind, NodeKind } from '../../src/shared/workerProtocol.ts';

function router(): PipelineRouter {
  let n = 0;
  return new PipelineRouter('P', 0, () => `pipe-${++n}`);
}

function create(r: PipelineRouter, object: string, worker: number, kind: NodeKind = 'WebRtcEndpoint'): Delivery[] {
  r.place(object, kind, worker);
  return r.route({ t: 'create', pipeline: 'P', object, kind, options: {} } as never);
}

const edge = (source: string, sink: string, kind: MediaKind = 'VIDEO', sourceDescription = 'default', sinkDescription = 'default'): EdgeSpec =>
  ({ source, sink, kind, sourceDescription, sinkDescription });

/** Deliveries in a short form: `worker:t object-or-edge`. */
function brief(ds: Delivery[]): string[] {
  return ds.map(({ worker, message: m }) => {
    if (m.t === 'link' || m.t === 'unlink') return `${worker}:${m.t} ${m.edge.source}->${m.edge.sink} ${m.edge.kind}`;
    if (m.t === 'create') return `${worker}:create ${m.kind} ${m.object}`;
    if (m.t === 'release') return `${worker}:release ${m.object}`;
    return `${worker}:${m.t}`;
  });
}

test('objects on one worker: messages go there, no pipe', () => {
  const r = router();
  assert.deepEqual(brief(create(r, 'A', 0)), ['0:create WebRtcEndpoint A']);
  create(r, 'B', 0);
  assert.deepEqual(brief(r.route({ t: 'link', pipeline: 'P', edge: edge('A', 'B') })), ['0:link A->B VIDEO']);
  assert.deepEqual(brief(r.route({ t: 'unlink', pipeline: 'P', edge: edge('A', 'B') })), ['0:unlink A->B VIDEO']);
  assert.equal(r.pipes, 0);
  assert.deepEqual(r.workers(), [0]);
  assert.deepEqual(brief(r.route({ t: 'call', id: 1, pipeline: 'P', object: 'B', op: 'getStats', args: { mediaType: null } })), ['0:call']);
});

test('sinks on another worker share one pipe per source pad; the last unlink takes it down', () => {
  const r = router();
  create(r, 'S', 0);
  create(r, 'V1', 1);
  create(r, 'V2', 1);
  assert.deepEqual(r.workers(), [0, 1]);
  assert.deepEqual(brief(r.route({ t: 'call', id: 1, pipeline: 'P', object: 'V2', op: 'getStats', args: { mediaType: null } })), ['1:call']);
  assert.deepEqual(brief(r.route({ t: 'link', pipeline: 'P', edge: edge('S', 'V1') })), [
    '0:create PipeOut pipe-1:out', '1:create PipeIn pipe-1:in', '0:link S->pipe-1:out VIDEO', '1:link pipe-1:in->V1 VIDEO',
  ]);
  assert.deepEqual(brief(r.route({ t: 'link', pipeline: 'P', edge: edge('S', 'V1', 'AUDIO') })), ['0:link S->pipe-1:out AUDIO', '1:link pipe-1:in->V1 AUDIO']);
  assert.deepEqual(brief(r.route({ t: 'link', pipeline: 'P', edge: edge('S', 'V2') })), ['1:link pipe-1:in->V2 VIDEO'], 'the second sink uses the same pipe');
  assert.deepEqual(brief(r.route({ t: 'link', pipeline: 'P', edge: edge('S', 'V2') })), [], 'linking again changes nothing');
  assert.equal(r.pipes, 1);
  assert.deepEqual(brief(r.route({ t: 'unlink', pipeline: 'P', edge: edge('S', 'V1') })), ['1:unlink pipe-1:in->V1 VIDEO']);
  assert.deepEqual(brief(r.route({ t: 'unlink', pipeline: 'P', edge: edge('S', 'V2') })), ['1:unlink pipe-1:in->V2 VIDEO', '0:unlink S->pipe-1:out VIDEO']);
  assert.deepEqual(brief(r.route({ t: 'unlink', pipeline: 'P', edge: edge('S', 'V1', 'AUDIO') })), [
    '1:unlink pipe-1:in->V1 AUDIO', '0:unlink S->pipe-1:out AUDIO', '0:release pipe-1:out', '1:release pipe-1:in',
  ]);
  assert.equal(r.pipes, 0);
  assert.deepEqual(brief(r.route({ t: 'unlink', pipeline: 'P', edge: edge('S', 'V1') })), [], 'an edge that is not there');
});

test('a sink input has one source: a new one replaces a piped one, and an unlink naming the old source is ignored', () => {
  const r = router();
  create(r, 'S', 0);
  create(r, 'T', 1);
  create(r, 'V', 1);
  r.route({ t: 'link', pipeline: 'P', edge: edge('S', 'V') });
  assert.deepEqual(brief(r.route({ t: 'link', pipeline: 'P', edge: edge('T', 'V') })), [
    '1:unlink pipe-1:in->V VIDEO', '0:unlink S->pipe-1:out VIDEO', '0:release pipe-1:out', '1:release pipe-1:in', '1:link T->V VIDEO',
  ]);
  assert.deepEqual(brief(r.route({ t: 'unlink', pipeline: 'P', edge: edge('S', 'V') })), []);
  // And back: the local edge is replaced by the graph itself, the pipe made again.
  assert.deepEqual(brief(r.route({ t: 'link', pipeline: 'P', edge: edge('S', 'V') })), [
    '0:create PipeOut pipe-2:out', '1:create PipeIn pipe-2:in', '0:link S->pipe-2:out VIDEO', '1:link pipe-2:in->V VIDEO',
  ]);
});

test('each source pad and each far worker has its own pipe; sinks back on the source worker use none', () => {
  const r = router();
  create(r, 'S', 1);
  create(r, 'A', 0);
  create(r, 'B', 2);
  create(r, 'C', 1);
  r.route({ t: 'link', pipeline: 'P', edge: edge('S', 'A') });
  r.route({ t: 'link', pipeline: 'P', edge: edge('S', 'B') });
  assert.deepEqual(brief(r.route({ t: 'link', pipeline: 'P', edge: edge('S', 'C') })), ['1:link S->C VIDEO']);
  assert.deepEqual(brief(r.route({ t: 'link', pipeline: 'P', edge: edge('S', 'A', 'VIDEO', 'other', 'second') })), [
    '1:create PipeOut pipe-3:out', '0:create PipeIn pipe-3:in', '1:link S->pipe-3:out VIDEO', '0:link pipe-3:in->A VIDEO',
  ]);
  assert.equal(r.pipes, 3);
  assert.deepEqual(r.workers().sort(), [0, 1, 2]);
});

test('releasing an object with edges left takes its pipes down; the pipeline release reaches every worker with a part', () => {
  const r = router();
  create(r, 'S', 0);
  create(r, 'V', 1);
  r.route({ t: 'link', pipeline: 'P', edge: edge('S', 'V') });
  assert.deepEqual(brief(r.route({ t: 'release', pipeline: 'P', object: 'S' })), [
    '1:unlink pipe-1:in->V VIDEO', '0:unlink S->pipe-1:out VIDEO', '0:release pipe-1:out', '1:release pipe-1:in', '0:release S',
  ]);
  assert.deepEqual(r.workers(), [0, 1], 'V is still on worker 1');
  assert.deepEqual(brief(r.route({ t: 'releasePipeline', pipeline: 'P' })), ['0:releasePipeline', '1:releasePipeline']);
  assert.deepEqual(brief(r.route({ t: 'release', pipeline: 'P', object: 'V' })), ['1:release V', '1:releasePipeline'], 'worker 1 forgets the pipeline with its last node');
  assert.deepEqual(r.workers(), [0], 'worker 1 holds nothing of it now');
});

test('latency stats reach a worker that gets its first part later', () => {
  const r = router();
  create(r, 'S', 0);
  assert.deepEqual(brief(r.route({ t: 'setLatencyStats', pipeline: 'P', on: true })), ['0:setLatencyStats']);
  assert.deepEqual(brief(create(r, 'V', 1)), ['1:setLatencyStats', '1:create WebRtcEndpoint V']);
  assert.deepEqual(brief(create(r, 'W', 1)), ['1:create WebRtcEndpoint W']);
  assert.equal(r.count(1, 'WebRtcEndpoint'), 2);
  assert.equal(r.count(0, 'WebRtcEndpoint'), 1);
});
