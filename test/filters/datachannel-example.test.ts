/**
 * The datachannelexample module (kms-datachannelexample; the seeds' Show DataChannel,
 * Send DataChannel and Metadata tutorials), checked for what the user sees:
 * - KmsShowData: text a libwebrtc peer sends on its data channel is drawn on the video
 *   (read back with tesseract from the decoded frames), literally even when it looks
 *   like markup, and the message goes on to the element's DATA sinks;
 * - KmsSendData: a QR code in a played clip arrives at a libwebrtc viewer's data channel
 *   as kms-datachannelexample words it, while the video keeps flowing;
 * - KmsDetectFaces -> KmsShowFaces: a green outline around the face in the decoded
 *   frames; KmsShowFaces with no detector before it draws nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { until } from '../helpers/RemotePeers.ts';
import { PlayerBed } from '../helpers/playerBed.ts';
import { faceScene, qrScene } from '../helpers/filterMedia.ts';
import { grabFrames, type FrameGrabber } from '../helpers/frameGrab.ts';
import { fractionMatching, near, type Frame, type Rect } from '../helpers/pixels.ts';

const bed = new PlayerBed();
const { create, invoke, subscribe, eventsOf } = bed;
const api = { create, invoke };
const grabbers: FrameGrabber[] = [];

before(() => bed.start());
after(async () => {
  for (const g of grabbers) g.stop();
  await bed.stop();
});

/** A dark still clip (solid colour, VP8 WebM) for text to be read on. */
function darkClip(seconds: number): string {
  const out = join(bed.dir, 'dark.webm');
  execFileSync('gst-launch-1.0', ['-q', '-e', ...`videotestsrc num-buffers=${seconds * 30} pattern=solid-color foreground-color=0xff203050 ! video/x-raw,width=640,height=480,framerate=30/1,format=I420 ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30 ! webmmux ! filesink location=${out}`.split(' ')]);
  return out;
}

/** What tesseract reads in the top quarter of a frame (where KmsShowData draws), one line. */
function readTop(f: Frame): string {
  const rows = Math.floor(f.height / 4);
  const file = join(bed.dir, 'top.ppm');
  writeFileSync(file, Buffer.concat([Buffer.from(`P6\n${f.width} ${rows}\n255\n`), f.rgb.subarray(0, f.width * rows * 3)]));
  return execFileSync('tesseract', [file, '-', '--psm', '7'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
}

/** Polls the newest frame until tesseract reads `text` in its top quarter; what it read last. */
async function shows(g: FrameGrabber, text: string, timeoutMs = 10_000): Promise<string> {
  const end = performance.now() + timeoutMs;
  let last = '';
  while (performance.now() < end) {
    const f = g.latestFrame();
    if (f) {
      last = readTop(f);
      if (last.includes(text)) return last;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the picture never showed "${text}" (tesseract read "${last}")`);
}

async function track(g: Promise<FrameGrabber>): Promise<FrameGrabber> {
  const grabber = await g;
  grabbers.push(grabber);
  return grabber;
}

test('KmsShowData: text sent on the data channel is drawn on the video, literally, and passed on', async () => {
  const clip = darkClip(15);
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(clip).href });
  const ep = await create('WebRtcEndpoint', { mediaPipeline: P, useDataChannels: true });
  const show = await create('KmsShowData', { mediaPipeline: P });
  await subscribe(show, 'Error');
  await invoke(player, 'connect', { sink: show, mediaType: 'VIDEO' });
  await invoke(ep, 'connect', { sink: show, mediaType: 'DATA' });
  // As the tutorial does, the element's output goes back to the endpoint: its data too.
  await invoke(show, 'connect', { sink: ep, mediaType: 'DATA' });
  const peer = await bed.peers.create({ recvOnly: true });
  await peer.call('createDataChannel', { label: 'chat' });
  await peer.connectTo(bed.c, ep, bed.sid);
  await until(() => peer.openChannels.has('chat'), 10_000, 'the data channel open');
  const grab = await track(grabFrames(api, P, show));
  await invoke(player, 'play');
  const before = readTop(await grab.waitFor());
  assert.doesNotMatch(before, /FLUO/, 'no text before a message');

  await peer.call('sendData', { label: 'chat', data: 'FLUO SAYS HI' });
  const read = await shows(grab, 'FLUO SAYS HI');
  console.log(`# tesseract read "${read}"`);
  await until(() => peer.messages.some((m) => m.data === 'FLUO SAYS HI'), 5000, 'the message passed on to the endpoint');

  // textoverlay reads Pango markup: an unclosed tag would draw nothing. Drawn as typed.
  await peer.call('sendData', { label: 'chat', data: '<i>TAGGED' });
  await shows(grab, 'TAGGED');
  await peer.call('sendData', { label: 'chat', data: 'NEXT LINE' });
  await shows(grab, 'NEXT LINE');
  assert.deepEqual(eventsOf(show, 'Error'), []);
  await bed.value('release', { object: P });
  await peer.close();
});

test('KmsSendData: a QR code in the video reaches the viewer\'s data channel as Kurento words it; the video flows', async () => {
  const text = 'https://fluo.test/senddata';
  const scene = qrScene(bed.dir, text, 8);
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(scene.webm).href });
  const send = await create('KmsSendData', { mediaPipeline: P });
  const ep = await create('WebRtcEndpoint', { mediaPipeline: P, useDataChannels: true });
  await invoke(player, 'connect', { sink: send });
  await invoke(send, 'connect', { sink: ep });
  // The tutorial's page opens the channel itself and passes its peer connection on.
  const viewer = await bed.peers.create({ recvOnly: true });
  await viewer.call('createDataChannel', { label: 'codes' });
  await viewer.connectTo(bed.c, ep, bed.sid);
  await until(() => viewer.openChannels.has('codes'), 10_000, 'the data channel open');
  await invoke(player, 'play');
  await until(() => viewer.messages.length > 0, 10_000, 'a code over the data channel');
  const first = viewer.messages[0]!;
  assert.equal(first.label, 'codes');
  assert.match(first.data, new RegExp(`^Code detected in time \\d+, type QR-Code, symbol ${text.replace(/[.]/g, '\\.')}$`));
  // Reported again while in view (Kurento's zbar runs uncached), at most at the scan rate.
  const n0 = viewer.messages.length;
  await new Promise((r) => setTimeout(r, 2000));
  const rate = (viewer.messages.length - n0) / 2;
  assert.ok(rate > 1, `${rate} messages a second while the code stays in view`);
  // One per scanned frame: the frames' times (ns, as zbar gives them) a tenth of a second apart.
  const times = viewer.messages.map((m) => Number(/time (\d+)/.exec(m.data)?.[1]) / 1e6);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  assert.ok(gaps.every((g) => g >= 90), `frame times ${times.slice(0, 12).map((t) => t.toFixed(0)).join(' ')} ms`);
  assert.ok((await viewer.received()).frames > 10, 'the video reaches the viewer');
  await bed.value('release', { object: P });
  await viewer.close();
});

const GREEN = near([0, 255, 0], 80);

/** The bounding box of the outline's green pixels, or undefined with fewer than `min`. */
function greenBox(f: Frame, min = 200): Rect | undefined {
  let x0 = f.width, y0 = f.height, x1 = -1, y1 = -1, n = 0;
  for (let y = 0; y < f.height; y++) {
    for (let x = 0; x < f.width; x++) {
      const i = (y * f.width + x) * 3;
      if (f.rgb[i]! > 80 || f.rgb[i + 1]! < 175 || f.rgb[i + 2]! > 80) continue;
      n++;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
  }
  return n >= min ? { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 } : undefined;
}

test('KmsDetectFaces -> KmsShowFaces: a green outline around the face; KmsShowFaces alone draws nothing', async () => {
  const scene = faceScene(bed.dir, 8);
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(scene.webm).href });
  const detect = await create('KmsDetectFaces', { mediaPipeline: P });
  const showFaces = await create('KmsShowFaces', { mediaPipeline: P });
  const alone = await create('KmsShowFaces', { mediaPipeline: P });
  await subscribe(showFaces, 'Error');
  await invoke(player, 'connect', { sink: detect });
  await invoke(detect, 'connect', { sink: showFaces });
  await invoke(player, 'connect', { sink: alone });
  const drawn = await track(grabFrames(api, P, showFaces));
  const plain = await track(grabFrames(api, P, alone));
  await invoke(player, 'play');
  const f = await drawn.waitFor((fr) => greenBox(fr) !== undefined, 15_000);
  const box = greenBox(f)!;
  const face = scene.face;
  // The outline surrounds the face facedetect finds (its box is found on a 320x240 copy).
  const slack = Math.max(24, face.width * 0.25);
  for (const [got, want] of [[box.x, face.x], [box.y, face.y], [box.x + box.width, face.x + face.width], [box.y + box.height, face.y + face.height]] as const) {
    assert.ok(Math.abs(got - want) <= slack, `outline ${JSON.stringify(box)} around the face ${JSON.stringify(face)}`);
  }
  // Only an outline: the middle of the face is the picture, not green.
  const inner = { x: box.x + box.width / 4, y: box.y + box.height / 4, width: box.width / 2, height: box.height / 2 };
  assert.ok(fractionMatching(f, GREEN, inner) < 0.02, 'the face itself is not painted over');
  const other = await plain.waitFor(() => true);
  assert.equal(greenBox(other, 20), undefined, 'no faces metadata, nothing drawn');
  assert.deepEqual(eventsOf(showFaces, 'Error'), []);
  await bed.value('release', { object: P });
});
