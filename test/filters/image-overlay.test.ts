/**
 * ImageOverlayFilter end to end: PlayerEndpoint -> ImageOverlayFilter -> WebRtcEndpoint
 * (libwebrtc viewer) and -> RtpEndpoint, whose VP8 is decoded (frameGrab) to check the
 * pixels a viewer sees: images where addImage put them, sized as asked, gone after removeImage; bad
 * URIs refused with a clear error while the viewer keeps receiving frames.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { until } from '../helpers/RemotePeers.ts';
import { PlayerBed } from '../helpers/playerBed.ts';
import type { Rect } from '../helpers/pixels.ts';
import { ballClip, CYAN, H, inset, MAGENTA, playingThrough, share, shareOutside, solidPng, stopPlaying, W } from './overlayMedia.ts';

const bed = new PlayerBed();
const { invoke, eventsOf, frames } = bed;
let clip: string;
let magenta: string;
let cyanWide: string;
let http: Server;
let base: string;

before(async () => {
  clip = ballClip(bed.dir, 40);
  magenta = solidPng(bed.dir, 'magenta', '0xff00ff', 64, 64);
  cyanWide = solidPng(bed.dir, 'cyan-wide', '0x00ffff', 200, 100);
  // The images over HTTP, a 404, a text file and a 6 MB body: what an application server may give.
  http = createServer((req, res) => {
    if (req.url === '/magenta.png') return void res.end(readFileSync(magenta));
    if (req.url === '/notes.txt') return void res.end('just text, no picture\n');
    if (req.url === '/huge.png') return void res.end(Buffer.concat([readFileSync(magenta).subarray(0, 24), Buffer.alloc(6 * 1024 * 1024)]));
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  await bed.start();
});
after(async () => {
  http?.close();
  await bed.stop();
});

/** A rectangle of the picture from fractions of it, as addImage takes them. */
const px = (fx: number, fy: number, fw: number, fh: number): Rect => ({ x: fx * W, y: fy * H, width: fw * W, height: fh * H });

test('images drawn at the given fractions of the picture, several at once; removeImage takes one away', async () => {
  const run = await playingThrough(bed, 'ImageOverlayFilter', clip);
  const { filter, grab } = run;
  // a: stretched into its region; b: 200x100 kept 2:1 inside a 0.5 x 0.5 (320x240) region, centred.
  await invoke(filter, 'addImage', { id: 'a', uri: `${base}/magenta.png`, offsetXPercent: 0.1, offsetYPercent: 0.2, widthPercent: 0.25, heightPercent: 0.25, keepAspectRatio: false, center: false });
  await invoke(filter, 'addImage', { id: 'b', uri: pathToFileURL(cyanWide).href, offsetXPercent: 0.45, offsetYPercent: 0.45, widthPercent: 0.5, heightPercent: 0.5, keepAspectRatio: true, center: true });
  const a = px(0.1, 0.2, 0.25, 0.25);
  const b = { x: 0.45 * W, y: 0.45 * H + 40, width: 320, height: 160 };
  const both = await grab.waitFor((f) => share(f, inset(a, 4), MAGENTA) > 0.95 && share(f, inset(b, 4), CYAN) > 0.95);
  // Kept to its aspect ratio and centred: the region's top and bottom 40 px stay the picture's.
  assert.ok(share(both, { x: b.x + 8, y: 0.45 * H + 4, width: 300, height: 30 }, CYAN) < 0.02, 'nothing of b above its centred place');
  assert.ok(shareOutside(both, [a, b], 4, MAGENTA) + shareOutside(both, [a, b], 4, CYAN) < 0.002, 'nothing of either elsewhere');

  await invoke(filter, 'removeImage', { id: 'a' });
  await invoke(filter, 'removeImage', { id: 'no-such-image' });
  const onlyB = await grab.waitFor((f) => share(f, inset(a, 4), MAGENTA) < 0.01);
  assert.ok(share(onlyB, inset(b, 4), CYAN) > 0.95, 'b stays');

  // The same id again moves the image (and replaces it).
  await invoke(filter, 'addImage', { id: 'b', uri: pathToFileURL(magenta).href, offsetXPercent: 0, offsetYPercent: 0, widthPercent: 0.2, heightPercent: 0.2, keepAspectRatio: false, center: false });
  const moved = await grab.waitFor((f) => share(f, inset(px(0, 0, 0.2, 0.2), 4), MAGENTA) > 0.95);
  assert.ok(share(moved, inset(b, 4), CYAN) < 0.01, 'b left its old place');
  assert.deepEqual(eventsOf(filter, 'Error'), []);
  await stopPlaying(bed, run);
});

test('bad image URIs fail the call with a clear error, and frames keep flowing', async () => {
  const run = await playingThrough(bed, 'ImageOverlayFilter', clip);
  const { filter, viewer, grab } = run;
  const add = (uri: string): ReturnType<PlayerBed['request']> => bed.request(filter, 'addImage', { id: 'x', uri, offsetXPercent: 0, offsetYPercent: 0, widthPercent: 0.5, heightPercent: 0.5, keepAspectRatio: false, center: false });
  const cases: Array<[string, number, RegExp]> = [
    ['not a uri', 40107, /not a valid URI/],
    ['ftp://127.0.0.1/x.png', 40107, /scheme 'ftp'/],
    [`${base}/missing.png`, 40600, /HTTP 404/],
    ['http://127.0.0.1:9/x.png', 40600, /ECONNREFUSED/],
    [`${base}/notes.txt`, 40107, /not a PNG, JPEG, GIF or BMP image/],
    [`${base}/huge.png`, 40107, /larger than 5242880 bytes/],
    [pathToFileURL(join(bed.dir, 'none.png')).href, 40600, /ENOENT/],
  ];
  for (const [uri, code, message] of cases) {
    const before = await frames(viewer);
    const r = await add(uri);
    assert.equal(r.error?.code, code, `${uri}: ${JSON.stringify(r.error)}`);
    assert.match(String(r.error?.message), message, uri);
    await until(async () => (await frames(viewer)) > before + 5, 10_000, `frames after ${uri}`);
  }
  const negative = await bed.request(filter, 'addImage', { id: 'x', uri: `${base}/magenta.png`, offsetXPercent: 0, offsetYPercent: 0, widthPercent: -1, heightPercent: 0.5, keepAspectRatio: false, center: false });
  assert.equal(negative.error?.code, 40107);
  assert.ok(shareOutside(grab.latestFrame()!, [], 0, MAGENTA) < 0.001, 'nothing was drawn by the refused calls');
  // After all that, a good image still works.
  await invoke(filter, 'addImage', { id: 'x', uri: `${base}/magenta.png`, offsetXPercent: 0.5, offsetYPercent: 0.5, widthPercent: 0.5, heightPercent: 0.5, keepAspectRatio: false, center: false });
  await grab.waitFor((f) => share(f, inset(px(0.5, 0.5, 0.5, 0.5), 4), MAGENTA) > 0.95);
  await stopPlaying(bed, run);
});
