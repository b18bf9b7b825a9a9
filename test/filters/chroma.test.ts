/**
 * ChromaFilter (chroma.kmd) between a PlayerEndpoint playing a green screen and a
 * RecorderEndpoint: after the first second's calibration in the window, the recorded
 * picture shows the background image where the green was and the subject where it
 * was; without a background the green area is black. Bad windows and image URIs give
 * clear errors, and frames keep flowing to a viewer.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { until } from '../helpers/RemotePeers.ts';
import { machineOverloaded } from '../helpers/hostile.ts';
import { PlayerBed } from '../helpers/playerBed.ts';
import { twoColourPng } from '../helpers/scenes.ts';
import { greenScreenScene, type GreenScreenScene } from '../helpers/filterMedia.ts';
import { decodeFrames, readImage } from '../helpers/frameGrab.ts';
import { colourDistance, meanColour, type Frame, type Rect, type Rgb } from '../helpers/pixels.ts';

const bed = new PlayerBed();
const { create, invoke, subscribe, eventsOf, frames } = bed;
const WINDOW = { topRightCornerX: 5, topRightCornerY: 5, width: 30, height: 30 };
const YELLOW: Rgb = [0xff, 0xe0, 0x20];
const BLUE: Rgb = [0x20, 0x40, 0xff];
const BLACK: Rgb = [0, 0, 0];
// Regions of the 640x480 scene: below the subject (x 200-440, y 120-360) on the left and the right half,
// inside the calibration window, on its square's outline, and the middle of the subject.
const LEFT: Rect = { x: 20, y: 390, width: 160, height: 70 };
const RIGHT: Rect = { x: 470, y: 390, width: 150, height: 70 };
const WINDOW_INSIDE: Rect = { x: 12, y: 12, width: 16, height: 16 };
const SQUARE_EDGE: Rect = { x: 5, y: 12, width: 2, height: 16 };
const SUBJECT: Rect = { x: 280, y: 200, width: 80, height: 80 };
let scene: GreenScreenScene;
let clip: string;
let http: Server;
let base: string;

before(async () => {
  // Long enough for three recordings one after the other on a loaded machine.
  scene = greenScreenScene(bed.dir, 24);
  clip = scene.webm;
  const png = readFileSync(twoColourPng(bed.dir, 'bg', '0xffe020', '0x2040ff'));
  writeFileSync(join(bed.dir, 'not-an-image.png'), 'hello');
  http = createServer((req, res) => {
    if (req.url === '/img/bg.png') return void res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    if (req.url === '/moved') return void res.writeHead(302, { location: '/img/bg.png' }).end();
    if (req.url === '/huge.png') return void res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(6 << 20, png));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
  await bed.start();
});
after(async () => {
  http?.close();
  await bed.stop();
});

/** Whether the mean colour of `r` in `f` is within `tol` of `want` (each channel); says what it saw otherwise. */
function shows(f: Frame, r: Rect, want: Rgb, what: string, tol = 40): void {
  const got = meanColour(f, r);
  assert.ok(colourDistance(got, want) <= tol, `${what}: ${JSON.stringify(got)}, not ${JSON.stringify(want)}`);
}

/** Records the filter's output for `ms` and returns its last picture. */
async function record(P: string, filter: string, name: string, ms: number): Promise<Frame> {
  const file = join(bed.dir, `${name}.webm`);
  const rec = await create('RecorderEndpoint', { mediaPipeline: P, uri: pathToFileURL(file).href, mediaProfile: 'WEBM_VIDEO_ONLY' });
  await invoke(filter, 'connect', { sink: rec });
  await invoke(rec, 'record');
  // The window counts from the recorder's first video packet: a CI run under load once
  // spent a whole 1.5 s window before the filter's new encoder output reached it, and
  // left no file.
  const packetsIn = async (): Promise<number> => {
    const st = (await invoke(rec, 'getStats', { mediaType: 'VIDEO' })) as Record<string, { videoPacketsIn?: number }>;
    return Object.values(st).reduce((n, x) => n + (x.videoPacketsIn ?? 0), 0);
  };
  await until(async () => (await packetsIn()) > 0, 10_000, `${name}: video reaches the recorder`);
  await new Promise((r) => setTimeout(r, ms));
  await invoke(rec, 'stopAndWait');
  await bed.value('release', { object: rec });
  const frames = decodeFrames(file, { fps: 5 });
  assert.ok(frames.length > 0, `${name}: the recording has frames`);
  return frames[frames.length - 1]!;
}

test('green screen -> ChromaFilter(window 5,5,30,30, backgroundImage over HTTP) -> recorder: the background where the green was', async () => {
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(clip).href });
  const chroma = await create('ChromaFilter', { mediaPipeline: P, window: WINDOW, backgroundImage: `${base}/moved` });
  await subscribe(chroma, 'Error');
  await invoke(player, 'connect', { sink: chroma });
  await invoke(player, 'play');
  // Calibration takes the first second of frames; the recording starts after it.
  await new Promise((r) => setTimeout(r, 2000));
  const pic = await record(P, chroma, 'keyed', 3000);
  assert.equal(pic.width, 640);
  shows(pic, LEFT, YELLOW, "left of the picture shows the image's left half (stretched)");
  shows(pic, RIGHT, BLUE, "right of the picture shows the image's right half");
  shows(pic, WINDOW_INSIDE, YELLOW, 'the calibration window is keyed too');
  shows(pic, SQUARE_EDGE, YELLOW, 'the calibration square is gone after the first second');
  const subject = meanColour(readImage(scene.picture), SUBJECT);
  shows(pic, SUBJECT, subject, 'the subject stays in front', 45);

  // unsetBackground: the green area turns black; the subject stays.
  await invoke(chroma, 'unsetBackground');
  const plain = await record(P, chroma, 'unset', 1500);
  shows(plain, LEFT, BLACK, 'black without a background', 30);
  shows(plain, SUBJECT, subject, 'the subject stays', 45);

  // setBackground from a file, at run time.
  const swapped = twoColourPng(bed.dir, 'swapped', '0x2040ff', '0xffe020');
  await invoke(chroma, 'setBackground', { uri: pathToFileURL(swapped).href });
  const again = await record(P, chroma, 'swapped', 1500);
  shows(again, LEFT, BLUE, 'the new image, from a file URI (left)');
  shows(again, RIGHT, YELLOW, 'the new image, from a file URI (right)');
  assert.deepEqual(eventsOf(chroma, 'Error'), []);
  await bed.value('release', { object: P });
});

test('bad windows and image URIs: clear errors; a window outside the picture leaves it unchanged and frames keep flowing', async () => {
  const P = await create('MediaPipeline', {});
  const refused = async (params: Record<string, unknown>): Promise<{ code?: number; message?: string }> => {
    const r = await bed.c.request('create', { type: 'ChromaFilter', constructorParams: { mediaPipeline: P, ...params }, sessionId: bed.sid });
    assert.ok(r.error, `refused: ${JSON.stringify(params)}`);
    return r.error;
  };
  assert.match(String((await refused({ window: { ...WINDOW, topRightCornerX: -5 } })).message), /window\.topRightCornerX/);
  assert.match(String((await refused({ window: { ...WINDOW, width: 0 } })).message), /window\.width/);
  assert.match(String((await refused({ window: { ...WINDOW, height: 'ten' } })).message), /window\.height/);
  assert.match(String((await refused({})).message), /window/);
  assert.match(String((await refused({ window: WINDOW, backgroundImage: 'ftp://127.0.0.1/x.png' })).message), /scheme 'ftp'/);
  assert.match(String((await refused({ window: WINDOW, backgroundImage: `${base}/missing.png` })).message), /HTTP 404/);
  assert.equal(((await invoke(P, 'getChildren')) as unknown[]).length, 0, 'nothing is left of the refused filters');

  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(clip).href });
  const chroma = await create('ChromaFilter', { mediaPipeline: P, window: { ...WINDOW, topRightCornerX: 630 } });
  await subscribe(chroma, 'Error');
  const ep = await create('WebRtcEndpoint', { mediaPipeline: P });
  await invoke(player, 'connect', { sink: chroma });
  await invoke(chroma, 'connect', { sink: ep });
  const viewer = await bed.peers.create({ recvOnly: true });
  await viewer.connectTo(bed.c, ep, bed.sid);
  await invoke(player, 'play');
  await until(() => eventsOf(chroma, 'Error').length > 0, 10_000, 'the window error');
  assert.match(String(eventsOf(chroma, 'Error')[0]!.data.description), /does not fit the 640x480 picture/);
  // 40107 MEDIA_OBJECT_ILLEGAL_PARAM_ERROR; 40600 URI_PATH_FILE_NOT_FOUND (OverlayImages, shared with the overlay filters).
  const bad = [
    { uri: 'not a uri', code: 40107, why: /not a valid URI/ },
    { uri: `${base}/missing.png`, code: 40600, why: /HTTP 404/ },
    { uri: `${base}/huge.png`, code: 40107, why: /larger than 5242880 bytes/ },
    { uri: pathToFileURL(join(bed.dir, 'not-an-image.png')).href, code: 40107, why: /not a PNG, JPEG/ },
    { uri: pathToFileURL(join(bed.dir, 'nowhere.png')).href, code: 40600, why: /ENOENT/ },
  ];
  for (const { uri, code, why } of bad) {
    const r = await bed.request(chroma, 'setBackground', { uri });
    assert.equal(r.error?.code, code, `setBackground(${uri}): ${r.error?.message}`);
    assert.match(String(r.error?.message), why);
  }
  await invoke(chroma, 'setBackground', { uri: `${base}/img/bg.png` });
  const f0 = await frames(viewer);
  const t0 = performance.now();
  await until(async () => (await frames(viewer)) > f0 + 30, 10_000, 'frames after the bad calls');
  await new Promise((r) => setTimeout(r, 2000));
  const fps = ((await frames(viewer)) - f0) / ((performance.now() - t0) / 1000);
  console.log(`# viewer frame rate through ChromaFilter: ${fps.toFixed(1)} fps`);
  // A rate bound means nothing while other suites overload the machine (hostile.ts).
  const load = machineOverloaded();
  if (load !== undefined) console.log(`# load average ${load.toFixed(1)}: the frame rate is not checked`);
  else assert.ok(fps >= 24, `the 30 fps clip reaches the viewer at ${fps.toFixed(1)} fps`);
  // The window did not fit: nothing was keyed, the green is still there.
  shows(await record(P, chroma, 'unkeyed', 1500), LEFT, scene.background, 'the green stays');
  await bed.value('release', { object: P });
  await viewer.close();
});
