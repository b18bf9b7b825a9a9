/**
 * Issue 16, defect 6: a bad WSS certificate (a directory, a non-PEM file, a
 * certificate without its key, the wrong key or password) stopped the server with a
 * bare OpenSSL or EISDIR message, after the plain port was already listening. Now it
 * is a ConfigError naming the setting and the file, before anything listens.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { loadConfig, ConfigError } from '../../src/config/loadConfig.ts';
import { FluoServer } from '../../src/server/FluoServer.ts';

let dir: string;
const file = (name: string): string => path.join(dir, name);
const ssl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: 'ignore' }); };

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-cert-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  ssl('req', '-x509', ...ec, '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', file('key.pem'), '-out', file('cert.pem'));
  ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', file('other-key.pem'));
  ssl('pkey', '-in', file('key.pem'), '-aes256', '-passout', 'pass:secret', '-out', file('enc-key.pem'));
  const read = (n: string): string => fs.readFileSync(file(n), 'utf8');
  fs.writeFileSync(file('good.pem'), read('cert.pem') + read('key.pem'));
  fs.writeFileSync(file('enc.pem'), read('cert.pem') + read('enc-key.pem'));
  fs.writeFileSync(file('mismatch.pem'), read('cert.pem') + read('other-key.pem'));
  fs.writeFileSync(file('notpem.txt'), 'not a certificate\n');
  fs.mkdirSync(file('adir'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function confWith(certificate: string, password = ''): string {
  const conf = file(`conf-${path.basename(certificate)}-${password}.json`);
  fs.writeFileSync(conf, JSON.stringify({ mediaServer: { net: { websocket: { port: 18888, secure: { port: 18433, certificate, password } } } } }));
  return conf;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

test('defect 6: each bad certificate is a ConfigError naming the key and the file', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['adir', '', /is a directory/],
    ['notpem.txt', '', /holds no PEM certificate/],
    ['cert.pem', '', /holds a certificate but no private key/],
    ['mismatch.pem', '', /not a usable certificate and key: .*not the certificate's/],
    ['enc.pem', 'wrong', /not a usable certificate and key: .*secure\.password/],
    ['enc.pem', '', /not a usable certificate and key/],
  ];
  for (const [name, password, re] of cases) {
    const conf = confWith(name, password);
    assert.throws(() => loadConfig(['--conf-file', conf], {}), (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.ok(e.message.startsWith(`${conf}: mediaServer.net.websocket.secure.certificate: ${file(name)}`), e.message);
      assert.match(e.message, re);
      return true;
    }, name);
  }
  const ok = loadConfig(['--conf-file', confWith('enc.pem', 'secret')], {});
  assert.equal(ok.kind, 'run');
});

test('defect 6: the server checks the certificate before listening on the plain port; a good one serves wss', async () => {
  const loaded = loadConfig(['--conf-file', confWith('good.pem')], {});
  if (loaded.kind !== 'run') throw new Error('expected a run config');
  const [port, securePort] = [await freePort(), await freePort()];
  const base = { ...loaded.config, websocket: { ...loaded.config.websocket, host: '127.0.0.1', port } };
  // The file turned into a directory between loading the configuration and starting.
  const bad = new FluoServer({ ...base, websocket: { ...base.websocket, secure: { port: securePort, certificate: file('adir'), password: '' } } });
  await assert.rejects(bad.start(), /mediaServer\.net\.websocket\.secure\.certificate: .*adir is a directory/);
  const refused = await new Promise<boolean>((r) => net.connect(port, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); r(false); }).once('error', () => r(true)));
  assert.ok(refused, 'the plain port must not be listening');
  await bad.stop();

  const good = new FluoServer({ ...base, websocket: { ...base.websocket, secure: { port: securePort, certificate: file('good.pem'), password: '' } } });
  await good.start();
  try {
    const ws = new WebSocket(`wss://127.0.0.1:${securePort}/kurento`, { rejectUnauthorized: false });
    await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    const answer = await new Promise<string>((r) => { ws.once('message', (d) => r(d.toString())); ws.send('{"jsonrpc":"2.0","id":1,"method":"ping"}'); });
    assert.equal((JSON.parse(answer) as { result: { value: string } }).result.value, 'pong');
    ws.close();
  } finally {
    await good.stop();
  }
});
