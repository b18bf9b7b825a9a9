import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowMonitor, FLOW_TIMEOUT_MS } from '../../src/media/graph/FlowMonitor.ts';

test('FLOWING on the first packet of each direction and type, NOT_FLOWING after the quiet period, then FLOWING again', () => {
  let now = 10_000;
  const events: string[] = [];
  const m = new FlowMonitor((dir, kind, state) => events.push(`${dir}/${kind} ${state}`), () => now);
  try {
    m.packet('in', 'VIDEO');
    m.packet('in', 'VIDEO');
    m.packet('out', 'AUDIO');
    m.packet('out', 'DATA');
    assert.deepEqual(events, ['in/VIDEO FLOWING', 'out/AUDIO FLOWING', 'out/DATA FLOWING']);
    assert.equal(m.isFlowing('in', 'VIDEO'), true);
    assert.equal(m.isFlowing('in', 'AUDIO'), false);
    now += FLOW_TIMEOUT_MS - 500;
    m.packet('out', 'AUDIO');
    now += 600;
    m.check();
    assert.deepEqual(events.slice(3), ['in/VIDEO NOT_FLOWING', 'out/DATA NOT_FLOWING'], 'only the quiet ones');
    assert.equal(m.isFlowing('in', 'VIDEO'), false);
    now += FLOW_TIMEOUT_MS;
    m.check();
    assert.deepEqual(events.slice(5), ['out/AUDIO NOT_FLOWING']);
    m.check();
    assert.equal(events.length, 6, 'reported once');
    m.packet('in', 'VIDEO');
    assert.equal(events.at(-1), 'in/VIDEO FLOWING');
    assert.equal(m.count('in', 'VIDEO'), 3);
    assert.equal(m.count('out', 'AUDIO'), 2);
    assert.equal(m.count('in', 'AUDIO'), 0);
  } finally {
    m.close();
  }
});
