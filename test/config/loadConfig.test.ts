/** loadConfig: shipped defaults, --conf-file, precedence, module files, KMS_* and GST_DEBUG. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, ConfigError, DEFAULT_CONF_FILE } from '../../src/config/loadConfig.ts';
import type { FluoConfig } from '../../src/config/FluoConfig.ts';
import { DEFAULT_SPEC, levelFor, parseDebugSpec } from '../../src/log/DebugSpec.ts';

function run(argv: string[], env: NodeJS.ProcessEnv = {}): FluoConfig {
  const r = loadConfig(argv, env);
  if (r.kind !== 'run') throw new Error('expected a run config');
  return r.config;
}

function configError(argv: string[], env: NodeJS.ProcessEnv, re: RegExp): void {
  assert.throws(() => loadConfig(argv, env), (e: unknown) => e instanceof ConfigError && re.test(e.message), `${argv.join(' ')} ${JSON.stringify(env)}`);
}

/** A temporary config folder: kurento.conf.json plus modules/kurento/*.conf.ini. */
function tempConf(conf: string, modules: Record<string, string> = {}): { dir: string; file: string; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-cfg-'));
  fs.mkdirSync(path.join(dir, 'modules', 'kurento'), { recursive: true });
  const file = path.join(dir, 'kurento.conf.json');
  fs.writeFileSync(file, conf);
  for (const [name, text] of Object.entries(modules)) fs.writeFileSync(path.join(dir, 'modules', 'kurento', name), text);
  return { dir, file, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

test('the shipped config folder gives Kurento defaults, wherever the working directory is', () => {
  const cwd = process.cwd();
  process.chdir(os.tmpdir());
  try {
    const c = run([]);
    assert.equal(c.confFile, DEFAULT_CONF_FILE);
    assert.equal(c.websocket.port, 8888);
    assert.equal(c.websocket.path, 'kurento');
    assert.equal(c.websocket.host, '0.0.0.0');
    assert.equal(c.websocket.secure, undefined, 'secure block without a port is off, as in Kurento');
    assert.equal(c.websocket.registrar, undefined);
    assert.equal(c.mediaWorkerSemiSpaceMb, 4, 'media workers: a 4 MB young-generation semi-space');
    assert.equal(c.pipelineSpreadThreshold, 50, 'a pipeline spreads over workers past 50 WebRtcEndpoints on its home');
    assert.equal(c.security.verifyImageCertificates, false, 'overlay images over https from any certificate, as Kurento');
    assert.deepEqual(c.websocket.auth, { token: undefined, jwtSecret: undefined, jwtPublicKey: undefined, allowedOrigins: [] }, 'no access control by default, as in Kurento');
    assert.deepEqual(c.resources, {
      garbageCollectorPeriod: 240, exceptionLimit: undefined, killLimit: undefined, disableRequestCache: false,
      requestCacheTimeout: 20000, maxMessageSize: 1024 * 1024, maxObjectsPerSession: 10000, maxOperationsPerTransaction: 1000,
      sendBufferPause: 4194304, sendBufferClose: 33554432, sendBufferTimeout: 60,
      maxObjectsPerConnection: 10000, maxObjects: 50000, maxSessionsPerConnection: 100, maxSessions: 10000, maxConnections: 1000,
      maxTagsPerObject: 64, maxTagLength: 4096,
    });
    assert.equal(c.mediaWorkers, os.availableParallelism());
    assert.equal(c.modulesConfigPath, path.join(path.dirname(DEFAULT_CONF_FILE), 'modules'));
    for (const cls of ['WebRtcEndpoint', 'BaseRtpEndpoint', 'MediaElement', 'SdpEndpoint', 'HttpEndpoint', 'PlayerEndpoint', 'RecorderEndpoint']) {
      assert.deepEqual(c.modules[cls], {}, `${cls}.conf.ini read, every key commented out`);
    }
    assert.equal(c.logging.spec, DEFAULT_SPEC);
    assert.equal(c.logging.color, true);
    assert.equal(c.logging.logsPath, undefined);
    assert.equal(c.logging.logFileSizeMb, 100);
    assert.equal(c.logging.numberLogFiles, 10);
  } finally {
    process.chdir(cwd);
  }
});

test('--help and --version (short forms too) return text instead of a config', () => {
  for (const a of ['--help', '-h']) {
    const r = loadConfig([a], {});
    assert.equal(r.kind, 'help');
    assert.match(r.kind === 'help' ? r.text : '', /--modules-config-path DIR/);
  }
  for (const a of ['--version', '-V', '-v']) assert.equal(loadConfig([a], {}).kind, 'version');
});

test('--conf-file with a temporary file: every kurento.conf.json key, both flag syntaxes, -f', () => {
  const t = tempConf(`// Kurento-style file
{ "mediaServer": {
    "resources": { "garbageCollectorPeriod": 5, "exceptionLimit": "0.015", "killLimit": 0.7, "disableRequestCache": true,
                   "requestCacheTimeout": 1000, "maxMessageSize": 2048, "maxObjectsPerSession": 7, },
    "mediaWorkers": 3,
    "net": { "websocket": { "port": 9000, "path": "/media/ws/", "threads": 4, "ipv6": true,
      "//": "comment member", "//connqueue": 5,
      "secure": { "port": 9443, "certificate": "cert.pem", "password": "pw" },
      "registrar": { "address": "ws://127.0.0.1:9090", "localAddress": "10.0.0.5" } } } } }`);
  try {
    // A real certificate and key, the key encrypted with "pw": the file is checked (test/hardening/certificate.test.ts).
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-passout', 'pass:pw', '-days', '1',
      '-subj', '/CN=localhost', '-keyout', path.join(t.dir, 'key.pem'), '-out', path.join(t.dir, 'crt.pem')], { stdio: 'ignore' });
    fs.writeFileSync(path.join(t.dir, 'cert.pem'), fs.readFileSync(path.join(t.dir, 'crt.pem'), 'utf8') + fs.readFileSync(path.join(t.dir, 'key.pem'), 'utf8'));
    for (const argv of [['--conf-file', t.file], [`--conf-file=${t.file}`], ['-f', t.file], [`-f${t.file}`]]) {
      const c = run(argv);
      assert.equal(c.confFile, t.file);
      assert.equal(c.websocket.port, 9000);
      assert.equal(c.websocket.path, 'media/ws');
      assert.equal(c.websocket.host, '::', 'ipv6: true listens on every IPv6 and IPv4 address');
      assert.deepEqual(c.websocket.secure, { port: 9443, certificate: path.join(t.dir, 'cert.pem'), password: 'pw' });
      assert.deepEqual(c.websocket.registrar, { address: 'ws://127.0.0.1:9090', localAddress: '10.0.0.5' });
      assert.deepEqual(c.resources, {
        garbageCollectorPeriod: 5, exceptionLimit: 0.015, killLimit: 0.7, disableRequestCache: true,
        requestCacheTimeout: 1000, maxMessageSize: 2048, maxObjectsPerSession: 7, maxOperationsPerTransaction: 1000,
        sendBufferPause: 4194304, sendBufferClose: 33554432, sendBufferTimeout: 60,
        maxObjectsPerConnection: 10000, maxObjects: 50000, maxSessionsPerConnection: 100, maxSessions: 10000, maxConnections: 1000,
        maxTagsPerObject: 64, maxTagLength: 4096,
      });
      assert.equal(c.mediaWorkers, 3);
      assert.equal(c.modulesConfigPath, path.join(t.dir, 'modules'));
    }
  } finally {
    t.done();
  }
});

test('precedence: flag > file > default for the port and media workers', () => {
  const t = tempConf('{"mediaServer":{"mediaWorkers":2,"net":{"websocket":{"port":9000}}}}');
  try {
    assert.equal(run(['-f', t.file]).websocket.port, 9000);
    assert.equal(run(['-f', t.file, '--port', '9100']).websocket.port, 9100);
    assert.equal(run(['--port=9200', '-f', t.file, '--port', '9300']).websocket.port, 9300, 'the last flag wins');
    assert.equal(run(['-f', t.file]).mediaWorkers, 2);
    assert.equal(run(['-f', t.file, '--media-workers', '5']).mediaWorkers, 5);
    assert.equal(run(['-f', t.file, '--media-workers', '0']).mediaWorkers, os.availableParallelism());
    fs.writeFileSync(t.file, '{}');
    assert.equal(run(['-f', t.file]).websocket.port, 8888, 'an empty file gives the defaults');
  } finally {
    t.done();
  }
});

test('bad values and files are ConfigErrors naming the key or flag and the file', () => {
  const t = tempConf('{}');
  const bad = (json: string, re: RegExp): void => {
    fs.writeFileSync(t.file, json);
    configError(['-f', t.file], {}, re);
  };
  try {
    bad('{"mediaServer":{"net":{"websocket":{"port":"eighty"}}}}', /kurento\.conf\.json: mediaServer\.net\.websocket\.port must be an integer from 1 to 65535, got "eighty"/);
    bad('{"mediaServer":{"net":{"websocket":{"port":70000}}}}', /mediaServer\.net\.websocket\.port must be an integer/);
    bad('{"mediaServer":{"resources":{"garbageCollectorPeriod":1.5}}}', /garbageCollectorPeriod must be an integer/);
    bad('{"mediaServer":{"resources":{"disableRequestCache":"yes"}}}', /disableRequestCache must be true or false/);
    bad('{"mediaServer":{"resources":{"exceptionLimit":2}}}', /exceptionLimit must be a fraction/);
    bad('{"mediaServer":{"mediaWorkerSemiSpaceMb":0}}', /mediaServer\.mediaWorkerSemiSpaceMb must be an integer from 1 to 256/);
    bad('{"mediaServer":{"pipelineSpreadThreshold":-1}}', /mediaServer\.pipelineSpreadThreshold must be an integer from 0 to 1000000/);
    bad('{"mediaServer":{"net":{"websocket":{"path":5}}}}', /path must be a string/);
    bad('{"mediaServer":{"net":[]}}', /mediaServer\.net must be an object/);
    bad('{"mediaServer":{"net":{"websocket":{"secure":{"port":8433}}}}}', /secure\.certificate is needed/);
    bad('{"mediaServer":{"net":{"websocket":{"secure":{"port":8433,"certificate":"none.pem"}}}}}', /none\.pem does not exist/);
    bad('{"mediaServer":{"net":{"websocket":{"secure":{"port":8888,"certificate":"x"}}}}}', /same as the plain WebSocket port/);
    bad('{"mediaServer":{"net":{"websocket":{"registrar":{"address":"http://x"}}}}}', /registrar\.address must be a ws:\/\/ or wss:\/\/ URL/);
    bad('{"mediaServer": {\n  "net": ]}', /kurento\.conf\.json: line 2, column 10: expected a value/);
    bad('[]', /the top level must be an object/);
    configError(['-f', path.join(t.dir, 'missing.json')], {}, /cannot read configuration file .*missing\.json: no such file/);
    configError(['--port', '0'], {}, /--port must be an integer from 1 to 65535, got '0'/);
    configError(['--port', 'x'], {}, /--port must be an integer/);
    configError(['--port'], {}, /--port needs a value/);
    configError(['--port', '--help'], {}, /--port needs a value/);
    configError(['--bogus'], {}, /unknown option '--bogus'/);
    configError(['-x'], {}, /unknown option '-x'/);
    configError(['--help=1'], {}, /--help takes no value/);
    configError(['--media-workers', '-1'], {}, /--media-workers needs a value/);
    configError(['--log-file-size', '0'], {}, /--log-file-size must be an integer from 1/);
    configError(['-c', path.join(t.dir, 'nowhere')], {}, /modules config path .*nowhere does not exist/);
  } finally {
    t.done();
  }
});

test('module files: <dir>/kurento/<Class>.conf.ini and <dir>/<Class>.conf.ini, -c elsewhere, .conf.json too', () => {
  const t = tempConf('{}', {
    'WebRtcEndpoint.conf.ini': '; STUN\nstunServerAddress=10.0.0.1\nstunServerPort=3478\n',
    'BaseRtpEndpoint.conf.ini': 'minPort=40000\nmaxPort=40100\nmtu=1400\n',
    'SdpEndpoint.conf.json': '{ "numAudioMedias": 1, "//": "x", "audioCodecs": [{"name": "opus/48000/2"}] }',
  });
  try {
    fs.writeFileSync(path.join(t.dir, 'modules', 'WebRtcEndpoint.conf.ini'), 'stunServerAddress=10.9.9.9\niceTcp=0\n');
    const c = run(['-f', t.file]);
    assert.deepEqual(c.modules.WebRtcEndpoint, {
      stunServerAddress: '10.0.0.1', stunServerPort: '3478', iceTcp: '0',
      minPort: '40000', maxPort: '40100', mtu: '1400',
    }, 'the module folder wins key by key; BaseRtpEndpoint keys are inherited');
    assert.deepEqual(c.modules.RtpEndpoint, { minPort: '40000', maxPort: '40100', mtu: '1400' });
    assert.deepEqual(c.modules.SdpEndpoint, { numAudioMedias: '1', audioCodecs: '[{"name":"opus/48000/2"}]' });

    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-mods-'));
    try {
      fs.writeFileSync(path.join(other, 'WebRtcEndpoint.conf.ini'), 'turnURL=u:p@127.0.0.1:3478?transport=tcp\nminPort=50000\nmaxPort=50010\n');
      const d = run(['-f', t.file, '-c', other]);
      assert.equal(d.modulesConfigPath, other);
      assert.deepEqual(d.modules.WebRtcEndpoint, { turnURL: 'u:p@127.0.0.1:3478?transport=tcp', minPort: '50000', maxPort: '50010' });
      fs.writeFileSync(path.join(other, 'WebRtcEndpoint.conf.ini'), 'stunServerPort=99999\n');
      configError(['-c', other], {}, /WebRtcEndpoint\.conf\.ini .*: stunServerPort must be an integer from 1 to 65535, got '99999'/);
      fs.writeFileSync(path.join(other, 'WebRtcEndpoint.conf.ini'), 'stunServerAddress=stun.example.org\n');
      configError(['-c', other], {}, /stunServerAddress must be an IP address/);
      fs.writeFileSync(path.join(other, 'WebRtcEndpoint.conf.ini'), 'minPort=6000\nmaxPort=5000\n');
      configError(['-c', other], {}, /minPort \(6000\) is greater than .*maxPort \(5000\)/);
      fs.writeFileSync(path.join(other, 'WebRtcEndpoint.conf.ini'), 'just words\n');
      configError(['-c', other], {}, /WebRtcEndpoint\.conf\.ini: line 1: expected key=value/);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  } finally {
    t.done();
  }
});

test("KMS_* variables override the module files, as Kurento's container image does", () => {
  const t = tempConf('{}', {
    'WebRtcEndpoint.conf.ini': 'stunServerAddress=10.0.0.1\nstunServerPort=3478\niceTcp=1\n',
    'BaseRtpEndpoint.conf.ini': 'minPort=40000\nmaxPort=40100\n',
  });
  try {
    const env = {
      KMS_STUN_IP: '127.0.0.2', KMS_STUN_PORT: '19302', KMS_TURN_URL: 'u:p@127.0.0.1:3478',
      KMS_NETWORK_INTERFACES: 'lo,eth0', KMS_EXTERNAL_IPV4: '198.51.100.7', KMS_EXTERNAL_IPV6: '2001:db8::1',
      KMS_ICE_TCP: '0', KMS_MIN_PORT: '30000', KMS_MAX_PORT: '30100', KMS_MTU: '1300',
    };
    const c = run(['-f', t.file], env);
    assert.deepEqual(c.modules.WebRtcEndpoint, {
      stunServerAddress: '127.0.0.2', stunServerPort: '19302', iceTcp: '0', turnURL: 'u:p@127.0.0.1:3478',
      networkInterfaces: 'lo,eth0', externalIPv4: '198.51.100.7', externalIPv6: '2001:db8::1',
      minPort: '30000', maxPort: '30100', mtu: '1300',
    });
    assert.deepEqual(c.modules.BaseRtpEndpoint, { minPort: '30000', maxPort: '30100', mtu: '1300' });
    assert.equal(run(['-f', t.file], { KMS_STUN_IP: '' }).modules.WebRtcEndpoint!.stunServerAddress, '10.0.0.1', 'empty variables are ignored');
    configError(['-f', t.file], { KMS_MIN_PORT: 'x' }, /KMS_MIN_PORT \(BaseRtpEndpoint minPort\) must be an integer from 0 to 65535, got 'x'/);
    configError(['-f', t.file], { KMS_STUN_PORT: '0' }, /KMS_STUN_PORT \(WebRtcEndpoint stunServerPort\) must be an integer from 1/);
    configError(['-f', t.file], { KMS_EXTERNAL_IPV4: '2001:db8::1' }, /KMS_EXTERNAL_IPV4 .* must be an IPv4 address/);
    configError(['-f', t.file], { KMS_EXTERNAL_IPV4: 'auto' }, /'auto' needs an outside address lookup/);
    configError(['-f', t.file], { KMS_ICE_TCP: 'maybe' }, /KMS_ICE_TCP .* must be 1 or 0/);
    configError(['-f', t.file], { KMS_TURN_URL: 'turn.example.org' }, /KMS_TURN_URL .* must be user:password@address:port/);
    configError(['-f', t.file], { KMS_MTU: '100' }, /KMS_MTU .* must be an integer from 576/);
  } finally {
    t.done();
  }
});

test('GST_DEBUG and the --gst-debug* flags: Kurento default only when nothing is given, flags win', () => {
  const level = (c: FluoConfig, cat: string): number => levelFor(cat, parseDebugSpec(c.logging.spec));
  assert.equal(run([], {}).logging.spec, DEFAULT_SPEC);
  const envOnly = run([], { GST_DEBUG: '2,kms*:5' });
  assert.equal(level(envOnly, 'KurentoMediaServer'), 2, 'GST_DEBUG replaces the default');
  assert.equal(level(envOnly, 'kmsfoo'), 5);
  const both = run(['--gst-debug-level', '1', '--gst-debug', 'Kurento*:6', '--gst-debug=kms*:2'], { GST_DEBUG: '3,kms*:4,Kurento*:4' });
  assert.equal(level(both, 'other'), 1, '--gst-debug-level wins over the leading level of GST_DEBUG');
  assert.equal(level(both, 'kmsfoo'), 2, '--gst-debug wins over GST_DEBUG for the same category');
  assert.equal(level(both, 'KurentoX'), 6);
  const flagsOnly = run(['--gst-debug-level=5']);
  assert.equal(level(flagsOnly, 'KurentoMediaServer'), 5, 'no default patterns mixed in');
  assert.equal(level(run(['--gst-debug-level', 'debug']), 'x'), 5);
  assert.equal(run(['--gst-debug-disable'], { GST_DEBUG: '9' }).logging.spec, '0');
  configError([], { GST_DEBUG: '3,Kurento*:lots' }, /^GST_DEBUG: 'Kurento\*:lots': 'lots' is not a level/);
  configError(['--gst-debug-level', '12'], {}, /--gst-debug-level must be 0\.\.9/);
  configError(['--gst-debug', 'x:'], {}, /--gst-debug: 'x:'/);
});

test('logging: colours, logs path, file size and count', () => {
  assert.equal(run(['--gst-debug-no-color']).logging.color, false);
  assert.equal(run([], { GST_DEBUG_NO_COLOR: '1' }).logging.color, false);
  const c = run(['-d', 'rel/logs', '-s', '5', '-n', '3']);
  assert.equal(c.logging.logsPath, path.resolve('rel/logs'));
  assert.equal(c.logging.logFileSizeMb, 5);
  assert.equal(c.logging.numberLogFiles, 3);
  assert.equal(run(['--logs-path=/tmp/x', '--log-file-size=7', '--number-log-files=2']).logging.numberLogFiles, 2);
  // Kurento launch scripts pass these; Fluo accepts and ignores them.
  assert.equal(run(['--modules-path=.', '--gst-plugin-path', '.']).websocket.port, 8888);
});

test('FLUO_WEBRTC_PORT: a base port turns single-port mode on; empty or absent leaves the file\'s 0; garbage is refused', () => {
  const port = (env: Record<string, string>) => {
    const r = loadConfig([], env);
    assert.equal(r.kind, 'run');
    return r.kind === 'run' ? r.config.webRtcPort : -1;
  };
  assert.equal(port({}), 0);
  assert.equal(port({ FLUO_WEBRTC_PORT: '' }), 0);
  assert.equal(port({ FLUO_WEBRTC_PORT: '40000' }), 40000);
  assert.throws(() => loadConfig([], { FLUO_WEBRTC_PORT: 'many' }), /FLUO_WEBRTC_PORT/);
});

test('webRtcPort: one base port or a port per worker, in the file or the environment; ports past 65535, a list of the wrong length or a clash with minPort-maxPort refused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-ports-'));
  try {
    const write = (webRtcPort: unknown, workers = 2, ini = '') => {
      fs.mkdirSync(path.join(dir, 'modules'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'kurento.conf.json'), JSON.stringify({ mediaServer: { mediaWorkers: workers, webRtcPort } }));
      fs.writeFileSync(path.join(dir, 'modules', 'BaseRtpEndpoint.conf.ini'), ini);
      return [`--conf-file=${path.join(dir, 'kurento.conf.json')}`];
    };
    const cfg = (args: string[], env: Record<string, string> = {}) => {
      const r = loadConfig(args, env);
      assert.equal(r.kind, 'run');
      return r.kind === 'run' ? r.config : undefined!;
    };
    assert.deepEqual([cfg(write(42000)).webRtcPort, cfg(write(42000)).webRtcPorts], [42000, undefined], 'a base port: worker i on 42000 + i');
    assert.deepEqual(cfg(write([42000, 43000])).webRtcPorts, [42000, 43000], 'a port per worker from the file');
    assert.deepEqual(cfg(write(0), {}).webRtcPort, 0);
    assert.deepEqual(cfg(write(0), { FLUO_WEBRTC_PORT: '44000,44010' }).webRtcPorts, [44000, 44010], 'a port per worker from the environment');
    assert.throws(() => loadConfig(write([42000]), {}), /lists 1 port\(s\) \(42000\) for 2 media worker\(s\)/);
    assert.throws(() => loadConfig(write([42000, 42000]), {}), /one distinct port per worker/);
    assert.throws(() => loadConfig(write(65535), {}), /past port 65535/);
    assert.throws(() => loadConfig(write('x'), {}), /mediaServer.webRtcPort must be a port/);
    assert.throws(() => loadConfig(write(42000, 2, 'minPort=40000\nmaxPort=50000\n'), {}), /port 42000 is inside BaseRtpEndpoint.conf.ini minPort-maxPort \(40000-50000\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
