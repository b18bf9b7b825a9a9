/**
 * HttpPostEndpoint through the official kurento-client@7.3.0 with HttpEndpoint.conf.ini
 * settings (serverAddress, serverPort, announcedAddress): create, getUrl naming the
 * announced address and the configured port, EndOfStream of a POSTed WebM, release; the
 * listening socket goes with the last endpoint. Also a POST whose connection is lost:
 * EndOfStream after disconnectionTimeout.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFluo, sleep } from '../helpers/fluo.ts';
import { makeMedia } from '../helpers/playerBed.ts';
import { closeAll, openClient, type Loose } from '../helpers/kurentoClient.ts';
import { until } from '../helpers/RemotePeers.ts';


let fluo: Awaited<ReturnType<typeof startFluo>>;
let client: Loose;
let dir: string;
let clip: Buffer;
let port: number;

/** A port free now (the configured serverPort). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluo-httppost-client-'));
  clip = readFileSync(makeMedia(dir, 3, true).webm);
  port = await freePort();
  fluo = await startFluo((c) => ({ ...c, modules: { ...c.modules, HttpEndpoint: { serverAddress: '127.0.0.1', serverPort: String(port), announcedAddress: 'localhost' } } }));
  client = await openClient(fluo.url);
});
after(() => closeAll(client, () => fluo.stop(), dir));

function post(url: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'Content-Length': body.length } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('error', reject);
    req.end(body);
  });
}

test('kurento-client: create, getUrl on the configured address and port, EndOfStream of a POST, release', async () => {
  const pipeline = await client.create('MediaPipeline');
  const ep = await pipeline.create('HttpPostEndpoint', { disconnectionTimeout: 1 });
  const url = String(await ep.getUrl());
  assert.match(url, new RegExp(`^http://localhost:${port}/[A-Za-z0-9_-]{22}$`));
  let ended = 0;
  ep.on('EndOfStream', () => { ended++; });
  const started = performance.now();
  assert.equal(await post(url, clip), 200);
  await until(() => ended > 0, 10_000, 'EndOfStream');
  const took = (performance.now() - started) / 1000;
  assert.ok(took > 2.4 && took < 5.5, `EndOfStream ${took.toFixed(2)} s after the POST of a 3 s file`);
  await pipeline.release();
  await until(() => new Promise<boolean>((r) => { const s = http.get(url, () => r(false)).on('error', () => r(true)); s.end(); }), 3000, 'no listening socket after release');
});

test('a POST whose connection is lost: EndOfStream once disconnectionTimeout has passed without a new POST', async () => {
  const pipeline = await client.create('MediaPipeline');
  const ep = await pipeline.create('HttpPostEndpoint', { disconnectionTimeout: 1 });
  const url = String(await ep.getUrl());
  let ended = 0;
  ep.on('EndOfStream', () => { ended++; });
  const req = http.request(url, { method: 'POST' });
  req.on('error', () => undefined);
  // Half the file, then the connection drops.
  req.write(clip.subarray(0, clip.length >> 1));
  await sleep(500);
  const lost = performance.now();
  req.destroy();
  await until(() => ended > 0, 8000, 'EndOfStream after the lost POST');
  const took = (performance.now() - lost) / 1000;
  assert.ok(took > 0.8 && took < 4, `EndOfStream ${took.toFixed(2)} s after the connection was lost (disconnectionTimeout 1 s, half a 3 s file)`);
  await pipeline.release();
});
