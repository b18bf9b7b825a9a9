/** Configuration: JSONC and INI parsing, precedence, module files, KMS_* and GST_DEBUG. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError } from '../../src/config/loadConfig.ts';
import { parseJsonc } from '../../src/config/parseJsonc.ts';
import { parseIni } from '../../src/config/parseIni.ts';
import { parseDebugSpec, levelFor, Logger } from '../../src/log/Logger.ts';

function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const r = loadConfig(argv, env);
  if (r.kind !== 'run') throw new Error('expected a run config');
  return r.config;
}

test('JSONC: comments outside strings, trailing commas; errors are thrown', () => {
  assert.deepEqual(parseJsonc('// c\n{ "a": "http://x//y", /* b */ "b": [1, 2,], }'), { a: 'http://x//y', b: [1, 2] });
  assert.deepEqual(parseJsonc('{"s":"a \\" // not a comment"}'), { s: 'a " // not a comment' });
  assert.throws(() => parseJsonc('{ "a": 1 /* open'));
  assert.throws(() => parseJsonc('{ a: 1 }'));
});

test('INI: comments, sections, key=value; bad lines name the line', () => {
  assert.deepEqual(parseIni('; c\n# c\n[s]\nstunServerAddress=127.0.0.1\nturnURL = u:p@1.2.3.4:3478\n'), { stunServerAddress: '127.0.0.1', turnURL: 'u:p@1.2.3.4:3478' });
  assert.throws(() => parseIni('ok=1\nnot a pair'), /line 2/);
});

test('defaults come from the shipped config folder', () => {
  const c = run([]);
  assert.equal(c.websocket.port, 8888);
  assert.equal(c.websocket.path, 'kurento');
  assert.equal(c.resources.garbageCollectorPeriod, 240);
  assert.equal(c.resources.requestCacheTimeout, 20000);
  assert.ok(c.mediaWorkers >= 1);
  assert.ok(c.modules.WebRtcEndpoint, 'WebRtcEndpoint.conf.ini read');
});

test('precedence: flag > file; KMS_* environment overrides WebRtcEndpoint.conf.ini', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-cfg-'));
  try {
    fs.mkdirSync(path.join(dir, 'modules', 'kurento'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'k.conf.json'), '{"mediaServer":{"net":{"websocket":{"port":9000,"path":"/x"}},"resources":{"garbageCollectorPeriod":5}}}');
    fs.writeFileSync(path.join(dir, 'modules', 'kurento', 'WebRtcEndpoint.conf.ini'), 'stunServerAddress=10.0.0.1\nstunServerPort=3478\n');
    const c = run(['-f', path.join(dir, 'k.conf.json')], { KMS_STUN_PORT: '19302', KMS_TURN_URL: 'u:p@127.0.0.1:3478' });
    assert.equal(c.websocket.port, 9000);
    assert.equal(c.websocket.path, 'x');
    assert.equal(c.resources.garbageCollectorPeriod, 5);
    assert.equal(c.modules.WebRtcEndpoint!.stunServerAddress, '10.0.0.1');
    assert.equal(c.modules.WebRtcEndpoint!.stunServerPort, '19302');
    assert.equal(c.modules.WebRtcEndpoint!.turnURL, 'u:p@127.0.0.1:3478');
    assert.equal(run(['--conf-file=' + path.join(dir, 'k.conf.json'), '--port', '9100']).websocket.port, 9100);
    fs.writeFileSync(path.join(dir, 'bad.conf.json'), '{"mediaServer":{"net":{"websocket":{"port":"eighty"}}}}');
    assert.throws(() => run(['-f', path.join(dir, 'bad.conf.json')]), (e: unknown) => e instanceof ConfigError && /mediaServer\.net\.websocket\.port/.test(e.message));
    assert.throws(() => run(['-f', path.join(dir, 'missing.json')]), ConfigError);
    assert.throws(() => run([], { KMS_MIN_PORT: 'x' }), /minPort/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('GST_DEBUG: default level, categories with wildcards, last match wins; flags add to it', () => {
  const spec = parseDebugSpec('3,Kurento*:4,KurentoWebSocket*:5,*:2');
  assert.equal(levelFor('KurentoWebSocketTransport', spec), 2);
  const s2 = parseDebugSpec('3,Kurento*:4,KurentoWebSocket*:5');
  assert.equal(levelFor('KurentoWebSocketTransport', s2), 5);
  assert.equal(levelFor('KurentoMediaServer', s2), 4);
  assert.equal(levelFor('webrtcendpoint', s2), 3);
  assert.equal(levelFor('x', parseDebugSpec('DEBUG')), 5);
  const c = run(['--gst-debug-level', '1', '--gst-debug', 'Kurento*:6'], { GST_DEBUG: '3,kms*:4' });
  const parsed = parseDebugSpec(c.logging.spec);
  assert.equal(levelFor('other', parsed), 1);
  assert.equal(levelFor('kmsfoo', parsed), 4);
  assert.equal(levelFor('KurentoX', parsed), 6);
});

test('logger writes rotating files under --logs-path', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-logs-'));
  try {
    Logger.configure({ spec: '5', color: false, logsPath: dir, logFileSizeMb: 1, numberLogFiles: 2 });
    const log = Logger.get('FluoTest');
    const line = 'x'.repeat(1000);
    for (let i = 0; i < 2500; i++) log.info(line);
    const files = fs.readdirSync(dir).sort();
    assert.deepEqual(files, ['fluo.log', 'fluo.log.1']);
    assert.match(fs.readFileSync(path.join(dir, 'fluo.log'), 'utf8'), /INFO +FluoTest x+/);
    assert.equal(log.enabled(6), false);
  } finally {
    Logger.configure({ spec: '2', color: false });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
