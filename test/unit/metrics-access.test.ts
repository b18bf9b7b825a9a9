/** The metrics endpoints' pure parts: who may read them, the text format, the config key. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OpsAccess } from '../../src/server/OpsAccess.ts';
import { CounterVec, HistogramVec, exposition } from '../../src/server/PromText.ts';
import { loadConfig, ConfigError } from '../../src/config/loadConfig.ts';
import { parseProm } from '../helpers/promParse.ts';

test('loopback clients always; others only as mediaServer.metrics.allow says', () => {
  const none = new OpsAccess([]);
  for (const a of ['127.0.0.1', '127.5.6.7', '::1', '::ffff:127.0.0.1']) assert.ok(none.allows(a), a);
  for (const a of ['10.1.2.3', '192.168.1.1', '::ffff:10.1.2.3', '2001:db8::1', 'fe80::1', 'localhost', '', undefined]) assert.ok(!none.allows(a), String(a));
  const net10 = new OpsAccess(['10.0.0.0/8', '2001:db8::/32']);
  assert.ok(net10.allows('10.200.0.1'));
  assert.ok(net10.allows('::ffff:10.200.0.1'));
  assert.ok(net10.allows('2001:db8::42'));
  assert.ok(!net10.allows('11.0.0.1'));
  assert.ok(!net10.allows('2001:db9::1'));
  assert.ok(new OpsAccess(['private']).allows('192.168.3.4'));
  const any = new OpsAccess(['*']);
  for (const a of ['8.8.8.8', '2001:db8::1']) assert.ok(any.allows(a), a);
  assert.ok(!any.allows('not-an-address'));
  assert.throws(() => new OpsAccess(['10.0.0.0/33']), /neither an address/);
});

test('exposition escapes label values and HELP text, histograms are cumulative with +Inf', () => {
  const c = new CounterVec('x_total', 'a \\ help\nline');
  c.inc({ method: 'a"b\\c\nd' });
  c.inc({ method: 'a"b\\c\nd' }, 2);
  const h = new HistogramVec('lat_seconds', 'latency', [0.1, 0.01, 1]);
  for (const v of [0.005, 0.05, 0.05, 5]) h.observe({ m: 'x' }, v);
  const text = exposition([c.family(), h.family(), { name: 'g', help: 'inf', type: 'gauge', samples: [{ value: Infinity }] }]);
  assert.match(text, /^# HELP x_total a \\\\ help\\nline$/m);
  assert.match(text, /^x_total\{method="a\\"b\\\\c\\nd"\} 3$/m);
  assert.match(text, /^lat_seconds_bucket\{m="x",le="0.01"\} 1$/m);
  assert.match(text, /^lat_seconds_bucket\{m="x",le="0.1"\} 3$/m);
  assert.match(text, /^lat_seconds_bucket\{m="x",le="1"\} 3$/m);
  assert.match(text, /^lat_seconds_bucket\{m="x",le="\+Inf"\} 4$/m);
  assert.match(text, /^lat_seconds_count\{m="x"\} 4$/m);
  assert.match(text, /^g \+Inf$/m);
  const parsed = parseProm(text);
  assert.equal(parsed.get('x_total')!.samples[0]!.labels.method, 'a"b\\c\nd', 'the escapes read back');
  assert.throws(() => parseProm('x 1\n'), /before HELP/);
  assert.throws(() => parseProm('# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'), /monotone/);
});

test('mediaServer.metrics.allow: default empty, entries checked', () => {
  const r = loadConfig([], {});
  assert.ok(r.kind === 'run');
  assert.deepEqual(r.config.metrics.allow, []);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-metrics-cfg-'));
  try {
    const file = path.join(dir, 'kurento.conf.json');
    fs.writeFileSync(file, '{ "mediaServer": { "metrics": { "allow": ["10.0.0.0/8", "*"] } } }');
    const ok = loadConfig(['--conf-file', file], {});
    assert.ok(ok.kind === 'run');
    assert.deepEqual(ok.config.metrics.allow, ['10.0.0.0/8', '*']);
    for (const bad of ['["10.0.0.0/40"]', '["example.com"]', '"*"', '[1]']) {
      fs.writeFileSync(file, `{ "mediaServer": { "metrics": { "allow": ${bad} } } }`);
      assert.throws(() => loadConfig(['--conf-file', file], {}), (e: unknown) => e instanceof ConfigError && /mediaServer\.metrics\.allow/.test(e.message), bad);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
