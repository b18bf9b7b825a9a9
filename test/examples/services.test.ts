/**
 * The FIWARE-style `./services` launcher: starts Fluo and a tutorial in the background
 * on the ports the compose variables name, and `./services stop` ends both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function run(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(join(root, 'services'), args, { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr });
    });
  });
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const get = (url: string): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
  const mod = url.startsWith('https') ? https : http;
  mod.get(url, { rejectUnauthorized: false }, (res) => {
    let body = '';
    res.on('data', (d: Buffer) => { body += d.toString(); });
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
  }).on('error', reject);
});

const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };

test('./services <tutorial> starts Fluo and the tutorial; ./services stop ends both', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluo-services-'));
  const env = { FLUO_SERVICES_DIR: dir, MEDIA_SERVER_PORT: String(await freePort()), APP_SERVER_PORT: String(await freePort()), APP_SERVER_HOST: '127.0.0.1' };
  try {
    const started = await run(['one2many-call'], env);
    assert.equal(started.code, 0, started.out);
    const pids = ['fluo', 'tutorial'].map((n) => Number(readFileSync(join(dir, `${n}.pid`), 'utf8')));
    assert.ok(pids.every(alive), 'both services run');
    // The health check of the FIWARE guide: the media server answers 426 on plain HTTP.
    assert.equal((await get(`http://127.0.0.1:${env.MEDIA_SERVER_PORT}/`)).status, 426);
    const page = await get(`https://127.0.0.1:${env.APP_SERVER_PORT}/`);
    assert.equal(page.status, 200);
    assert.match(page.body, /kurento-utils/);
    assert.match((await run(['status'], env)).out, /fluo: running[\s\S]*tutorial: running/);

    const unknown = await run(['no-such-tutorial'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.out, /unknown tutorial 'no-such-tutorial'/);
    assert.ok(pids.every(alive), 'a bad command leaves the running services alone');

    const stopped = await run(['stop'], env);
    assert.equal(stopped.code, 0, stopped.out);
    assert.ok(!pids.some(alive), 'no process left behind');
    await assert.rejects(get(`http://127.0.0.1:${env.MEDIA_SERVER_PORT}/`));
    assert.match((await run(['status'], env)).out, /nothing running/);
  } finally {
    await run(['stop'], env);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('./services plate-detection-orion starts the FIWARE plate detector with the test context broker; stop ends all three', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fluo-services-'));
  const env = { FLUO_SERVICES_DIR: dir, MEDIA_SERVER_PORT: String(await freePort()), APP_SERVER_PORT: String(await freePort()), APP_SERVER_HOST: '127.0.0.1', ORION_PORT: String(await freePort()) };
  try {
    const started = await run(['plate-detection-orion'], env);
    assert.equal(started.code, 0, started.out);
    const page = await get(`https://127.0.0.1:${env.APP_SERVER_PORT}/`);
    assert.equal(page.status, 200);
    assert.match(page.body, /Plate Detector with Orion/);
    assert.match((await get(`https://127.0.0.1:${env.APP_SERVER_PORT}/index.js`)).body, /'\/platedetector'/);
    const version = await get(`http://127.0.0.1:${env.ORION_PORT}/version`);
    assert.equal(version.status, 200, 'the NGSI-v2 test broker answers');
    assert.match((await run(['status'], env)).out, /orion: running/);
    const pid = Number(readFileSync(join(dir, 'orion.pid'), 'utf8'));
    assert.equal((await run(['stop'], env)).code, 0);
    assert.ok(!alive(pid), 'the broker stopped too');
  } finally {
    await run(['stop'], env);
    rmSync(dir, { recursive: true, force: true });
  }
});
