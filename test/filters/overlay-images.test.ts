/**
 * OverlayImages (the overlay filters' image fetching) on its own: formats told by their
 * first bytes, the private files and their removal, file roots, denied destinations
 * (checked again at connect time), redirects, the size limit and the timeout, and
 * certificates (mediaServer.security.verifyImageCertificates).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { OverlayImages } from '../../src/media/filters/OverlayImages.ts';
import { imageHeader } from '../../src/media/filters/imageHeader.ts';
import { KurentoError } from '../../src/shared/KurentoError.ts';
import { solidPng } from './overlayMedia.ts';

const dir = mkdtempSync(join(tmpdir(), 'fluo-overlay-images-'));
const open = { destinations: { deny: [], allow: [] }, fileRoots: ['/'] };
let png: string;
let server: Server;
let base: string;

before(async () => {
  png = solidPng(dir, 'red', 'red', 30, 20);
  server = createServer((req, res) => {
    if (req.url === '/red.png') return void res.end(readFileSync(png));
    if (req.url === '/hop') return void res.writeHead(302, { location: '/red.png' }).end();
    if (req.url === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
    if (req.url === '/slow') return void res.writeHead(200).write('x'); // never ends
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<KurentoError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof KurentoError, `a KurentoError, not ${String(err)}`);
  return err;
}

test('image formats and sizes from their first bytes', () => {
  assert.deepEqual(imageHeader(readFileSync(png)), { type: 'png', width: 30, height: 20 });
  const gif = Buffer.from('GIF89a\x0a\x00\x05\x00', 'latin1');
  assert.deepEqual(imageHeader(gif), { type: 'gif', width: 10, height: 5 });
  const bmp = Buffer.alloc(54);
  bmp.write('BM', 0, 'latin1');
  bmp.writeUInt32LE(40, 14);
  bmp.writeInt32LE(7, 18);
  bmp.writeInt32LE(-3, 22); // top-down rows
  assert.deepEqual(imageHeader(bmp), { type: 'bmp', width: 7, height: 3 });
  // SOI, an APP0 segment, then SOF0 with height 2 and width 3.
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x02, 0x00, 0x03, 0x01, 0x01, 0x11, 0x00]);
  assert.deepEqual(imageHeader(jpeg), { type: 'jpeg', width: 3, height: 2 });
  assert.equal(imageHeader(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')), undefined);
});

test('fetched once per URI into a private file, removed on close', async () => {
  const images = new OverlayImages('test', open);
  const a = await images.get(`${base}/red.png`);
  assert.equal(a, await images.get(`${base}/red.png`), 'the same URI is not fetched again');
  assert.deepEqual([a.type, a.width, a.height], ['png', 30, 20]);
  assert.deepEqual(readFileSync(a.path), readFileSync(png));
  assert.equal(statSync(dirname(a.path)).mode & 0o777, 0o700);
  assert.equal(statSync(a.path).mode & 0o777, 0o600);
  const b = await images.get(`${base}/hop`);
  assert.deepEqual(readFileSync(b.path), readFileSync(png), 'a redirect is followed');
  const c = await images.get(pathToFileURL(png).href);
  assert.equal(c.width, 30);
  await images.close();
  assert.ok(!existsSync(dirname(a.path)));
});

test('file roots, denied destinations, redirect loops, size limit and timeout', async () => {
  const rooted = new OverlayImages('test', { ...open, fileRoots: [join(dir, 'nowhere')] });
  assert.match((await refusal(rooted.get(pathToFileURL(png).href))).message, /outside mediaServer.security.fileRoots/);
  const denied = new OverlayImages('test', { ...open, destinations: { deny: ['loopback'], allow: [] } });
  const byAddress = await refusal(denied.get(`${base}/red.png`));
  assert.equal(byAddress.code, 40107);
  assert.match(byAddress.message, /denied network/);
  assert.match((await refusal(denied.get(`${base.replace('127.0.0.1', 'localhost')}/red.png`))).message, /denied network/);
  const images = new OverlayImages('test', open, { maxBytes: 100, timeoutMs: 500 });
  assert.match((await refusal(images.get(`${base}/loop`))).message, /more than 3 redirects/);
  assert.match((await refusal(images.get(`${base}/red.png`))).message, /larger than 100 bytes/);
  const big = join(dir, 'big.png');
  writeFileSync(big, Buffer.concat([readFileSync(png), Buffer.alloc(200)]));
  assert.match((await refusal(images.get(pathToFileURL(big).href))).message, /larger than 100 bytes/);
  const slow = await refusal(images.get(`${base}/slow`));
  assert.equal(slow.code, 40600);
  assert.match(slow.message, /no image within 500 ms/);
  await Promise.all([rooted.close(), denied.close(), images.close()]);
});

test('https: a self-signed server is used as Kurento does, and refused under verifyImageCertificates', async () => {
  // A self-signed certificate, as the tutorials' application servers have.
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const tls = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end(readFileSync(png)));
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/red.png`;
  try {
    const lenient = new OverlayImages('test', open);
    const image = await lenient.get(url);
    assert.deepEqual([image.width, image.height], [30, 20]);
    await lenient.close();
    const strict = new OverlayImages('test', { ...open, verifyCertificates: true });
    const err = await refusal(strict.get(url));
    assert.equal(err.code, 40600, "URI_PATH_FILE_NOT_FOUND, as for any image that cannot be fetched");
    assert.match(err.message, /certificate does not verify \(mediaServer.security.verifyImageCertificates is on\)/);
    await strict.close();
  } finally {
    tls.closeAllConnections();
    tls.close();
  }
});
