/** The server as a user starts it: `npm start -- --port N`, --help, --version, a conf file with WSS, log files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { builtFrom, treeStamp } from '../../src/bundle/treeStamp.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = path.join(root, 'src/main.ts');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { cwd: root, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Resolves when `child` has exited, also when it already had (its exit code, or the signal's name). */
function exited(child: ReturnType<typeof spawn>): Promise<number | string | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode);
  return new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal)));
}

async function waitListening(url: string, options: object = {}, child?: ReturnType<typeof spawn>, stderr?: () => string): Promise<WebSocket> {
  for (let i = 0; i < 100; i++) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`the server exited (${String(child.exitCode ?? child.signalCode)}) before listening on ${url}: ${stderr?.() ?? ''}`);
    }
    try {
      const ws = new WebSocket(url, options);
      await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      return ws;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`not listening: ${url}${stderr ? `; its stderr: ${stderr()}` : ''}`);
}

function ping(ws: WebSocket): Promise<unknown> {
  return new Promise((resolve) => {
    ws.once('message', (d) => resolve(JSON.parse(d.toString())));
    ws.send('{"jsonrpc":"2.0","id":0,"method":"ping"}');
  });
}

test('--help and --version print and exit 0; a bad option exits 1 with a message', () => {
  const help = run(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--conf-file/);
  assert.match(help.stdout, /--gst-debug-level/);
  const v = run(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^Fluo \d+\.\d+\.\d+/);
  const bad = run(['--bogus']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown option '--bogus'/);
  const badPort = run(['--port', '70000']);
  assert.equal(badPort.status, 1);
  assert.match(badPort.stderr, /--port must be an integer from 1 to 65535/);
});

test('npm start -- --port N serves the Kurento endpoint and stops on SIGINT', async () => {
  const port = await freePort();
  // What `npm start` runs: the launcher, which runs the server bundled, without tsx.
  const child = spawn(process.execPath, [path.join(root, 'src/fluo.mjs'), '--port', String(port)], { cwd: root, stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  try {
    const ws = await waitListening(`ws://127.0.0.1:${port}/kurento`, {}, child, () => stderr);
    assert.deepEqual(await ping(ws), { id: 0, jsonrpc: '2.0', result: { value: 'pong' } });
    ws.close();
    assert.doesNotMatch(stderr, /running through tsx/);
    // Built by this launcher or by an earlier one from the same tree (src/bundle/treeStamp.mjs).
    const bundle = path.join(root, 'node_modules/.cache/fluo-main/main.mjs');
    assert.ok(builtFrom(bundle, treeStamp()), 'the launcher runs a server bundle built from this tree');
  } finally {
    child.kill('SIGINT');
    const code = await exited(child);
    assert.equal(code, 0);
  }
});

test('a kurento.conf.json with another path and WSS with a self-signed PEM certificate', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-conf-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    fs.writeFileSync(path.join(dir, 'both.pem'), fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') + fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'));
    const [port, securePort] = [await freePort(), await freePort()];
    fs.writeFileSync(path.join(dir, 'kurento.conf.json'), `// test config
{ "mediaServer": { "resources": { "garbageCollectorPeriod": 30 },
  "net": { "websocket": { "port": ${port}, "path": "media/ws", /* secure */ "secure": { "port": ${securePort}, "certificate": "both.pem", "password": "" } } } } }`);
    const child = spawn(process.execPath, ['--import', 'tsx', main, '--conf-file', path.join(dir, 'kurento.conf.json')], { cwd: root, stdio: 'pipe' });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.resume();
    try {
      const ws = await waitListening(`ws://127.0.0.1:${port}/media/ws`, {}, child, () => stderr);
      assert.equal(((await ping(ws)) as { result: { value: string } }).result.value, 'pong');
      ws.close();
      const wss = await waitListening(`wss://127.0.0.1:${securePort}/media/ws`, { rejectUnauthorized: false }, child, () => stderr);
      assert.equal(((await ping(wss)) as { result: { value: string } }).result.value, 'pong');
      wss.close();
      const status = await new Promise<number>((resolve, reject) => {
        https.get({ host: '127.0.0.1', port: securePort, path: '/', rejectUnauthorized: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
      });
      assert.equal(status, 426);
    } finally {
      child.kill('SIGINT');
      await exited(child);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('-d DIR: the server logs to a Kurento-named file there, thresholds from GST_DEBUG', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-logdir-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', main, '--port', String(port), '-d', dir], {
    cwd: root, stdio: 'pipe', env: { ...process.env, GST_DEBUG: '2,KurentoMediaServer:4' },
  });
  let stdout = '';
  let stderrText = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderrText += d.toString(); });
  try {
    const ws = await waitListening(`ws://127.0.0.1:${port}/kurento`, {}, child, () => stderrText);
    ws.close();
  } finally {
    child.kill('SIGINT');
    await exited(child);
  }
  try {
    const files = fs.readdirSync(dir);
    assert.equal(files.length, 1, files.join(' '));
    assert.match(files[0]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d{6}\\.00000\\.pid${child.pid}\\.log$`));
    const text = fs.readFileSync(path.join(dir, files[0]!), 'utf8');
    assert.match(text, new RegExp(` ${child.pid} 0x0000 INFO {4}KurentoMediaServer .*ws://.*:${port}/kurento`));
    assert.equal(stdout, '', 'nothing on stdout');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
