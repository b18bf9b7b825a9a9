/**
 * Filters through Fluo (issue 12, "Benchmark"), each figure next to its reference
 * measured in the same run:
 * - CPU per 640x480@30 VP8 stream through each filter (RtpEndpoint -> filter ->
 *   RtpEndpoint, Fluo as its own process with its engine processes), next to the same
 *   GStreamer elements alone in gst-launch-1.0 (decode, the filter's elements, encode);
 * - frames per second kept at the receiver, Fluo's and gst-launch's;
 * - how many magic-mirror calls (FaceOverlayFilter with the hat) the machine holds
 *   before a viewer's frame rate drops below 25.
 * BENCH_FILTERS=<text> runs only the filters whose label contains it; BENCH_NO_CAPACITY=1
 * skips the magic-mirror count.
 * Senders replay pre-encoded files (filesrc ! matroskademux ! rtpvp8pay).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hatPng } from '../examples/magic-mirror/hat.ts';
import { engineChildren } from '../test/helpers/engine.ts';
import { freeUdpPort } from '../test/helpers/gstreamer.ts';
import { faceScene, crowdScene, qrScene, greenScreenScene } from '../test/helpers/filterMedia.ts';
import { plateVideoScene } from '../test/helpers/plateScene.ts';
import type { RpcClient } from '../test/helpers/fluo.ts';
import { decoderDescription, encoderDescription } from '../src/media/transcode/formats.ts';
import { BenchRun, sleep, receiver, sdp, cpuWindow, fluoProcess, reapedChildrenTicks, ticksPercent } from './benchKit.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const run = new BenchRun();
const dir = run.dir;
const FILE = run.file;

type Call = (method: string, params: Record<string, unknown>) => Promise<string>;

interface FilterCase {
  /** What the line says. */
  label: string;
  /** The source it needs (default: the moving test pattern). */
  source?: () => string;
  /** Creates the filter in pipeline P and sets it up; returns its id. */
  create(v: Call, P: string): Promise<string>;
  /** The filter's elements between the decoder and the encoder, for gst-launch-1.0 alone. */
  reference: string;
  /** An analysis branch off the decoded picture, ending in a sink (for gst-launch-1.0 alone). */
  branch?: string;
  /** What the children Fluo spawns and reaps during the window are (their CPU is shown apart). */
  children?: string;
}

const VP8 = { name: 'VP8', clockRate: 90000 };
/** The magic mirror's hat (examples/magic-mirror), and the face scene it is put on. */
const HAT = join(dir, 'hat.png');
let FACE = '';
/** Analysis branches as the vision filters build them (MarksOverlay.analysisBranch), ending in a fakesink instead of the FIFO. */
const analysis = (format: string, w: number, h: number): string =>
  `queue max-size-buffers=2 leaky=downstream ! videorate ! video/x-raw,framerate=10/1 ! videoscale ! videoconvert ! video/x-raw,format=${format},width=${w},height=${h} ! fakesink sync=false async=false`;
const LBP = '/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml';

/** The magic mirror's filter: FaceOverlayFilter with the hat at the tutorial's place. */
async function magicMirror(v: Call, P: string): Promise<string> {
  const id = await v('create', { type: 'FaceOverlayFilter', constructorParams: { mediaPipeline: P } });
  await v('invoke', { object: id, operation: 'setOverlayedImage', operationParams: { uri: pathToFileURL(HAT).href, offsetXPercent: -0.35, offsetYPercent: -1.2, widthPercent: 1.6, heightPercent: 1.6 } });
  return id;
}

/** Every filter the benchmark knows. */
const CASES: FilterCase[] = [
  {
    label: 'GStreamerFilter videoflip method=horizontal-flip',
    create: (v, P) => v('create', { type: 'GStreamerFilter', constructorParams: { mediaPipeline: P, command: 'videoflip method=horizontal-flip' } }),
    reference: 'videoflip video-direction=horiz',
  },
  {
    label: 'FaceOverlayFilter (magic mirror: hat over a face, detection at 10 fps on 320x240)',
    source: () => FACE,
    create: magicMirror,
    reference: `gdkpixbufoverlay location=${HAT} offset-x=200 offset-y=0 overlay-width=300 overlay-height=220`,
    branch: `queue max-size-buffers=1 leaky=downstream ! videorate ! video/x-raw,framerate=10/1 ! videoscale ! video/x-raw,width=320,height=240 ! videoconvert ! facedetect display=false profile=${LBP} ! fakesink sync=false async=false`,
  },
  {
    label: 'ImageOverlayFilter (one image)',
    create: async (v, P) => {
      const id = await v('create', { type: 'ImageOverlayFilter', constructorParams: { mediaPipeline: P } });
      await v('invoke', { object: id, operation: 'addImage', operationParams: { id: 'hat', uri: pathToFileURL(HAT).href, offsetXPercent: 0.1, offsetYPercent: 0.1, widthPercent: 0.3, heightPercent: 0.3, keepAspectRatio: true, center: true } });
      return id;
    },
    reference: `gdkpixbufoverlay location=${HAT} offset-x=64 offset-y=48 overlay-width=192 overlay-height=144`,
  },
  {
    label: 'PointerDetectorFilter (two windows drawn, 160x120 RGB analysis at 10 fps in the worker)',
    create: async (v, P) => {
      const id = await v('create', { type: 'PointerDetectorFilter', constructorParams: { mediaPipeline: P, calibrationRegion: { topRightCornerX: 5, topRightCornerY: 5, width: 30, height: 30 } } });
      for (const [n, y] of [[0, 150], [1, 250]] as const) {
        await v('invoke', { object: id, operation: 'addWindow', operationParams: { window: { id: `window${n}`, height: 50, width: 50, upperRightX: 500, upperRightY: y } } });
      }
      return id;
    },
    reference: `gdkpixbufoverlay location=${HAT} offset-x=5 offset-y=5 overlay-width=545 overlay-height=295`,
    branch: analysis('RGB', 160, 120),
  },
  {
    label: 'CrowdDetectorFilter (one ROI outlined, the moving crowd painted, 320x240 GRAY8 analysis at 10 fps in the worker)',
    source: () => crowdScene(dir, 50).webm,
    create: (v, P) => v('create', { type: 'CrowdDetectorFilter', constructorParams: { mediaPipeline: P, rois: [{ id: 'roi1', points: [{ x: 0, y: 0 }, { x: 0.5, y: 0 }, { x: 0.5, y: 0.5 }, { x: 0, y: 0.5 }],
      regionOfInterestConfig: { occupancyLevelMin: 10, occupancyLevelMed: 35, occupancyLevelMax: 65, occupancyNumFramesToEvent: 5, fluidityLevelMin: 10, fluidityLevelMed: 35, fluidityLevelMax: 65, fluidityNumFramesToEvent: 5, sendOpticalFlowEvent: true, opticalFlowNumFramesToEvent: 3, opticalFlowNumFramesToReset: 3, opticalFlowAngleOffset: 0 } }] } }),
    reference: `gdkpixbufoverlay location=${HAT} offset-x=0 offset-y=0 overlay-width=320 overlay-height=240`,
    branch: analysis('GRAY8', 320, 240),
  },
  {
    // An analysis-only filter: the picture path is decode + identity + encode, which is
    // the reference; the OCR is extra work done in tesseract processes, counted apart.
    label: 'PlateDetectorFilter on a car with plate 8886AJR (reference: decode + identity + encode, no OCR; OCR in tesseract processes)',
    source: () => plateVideoScene(dir, [{ plate: '8886AJR', seconds: 60 }], 'bench-plate').webm,
    create: (v, P) => v('create', { type: 'PlateDetectorFilter', constructorParams: { mediaPipeline: P } }),
    reference: 'identity',
    children: 'tesseract',
  },
  {
    label: 'ZBarFilter on a still QR code (zbar on I420 at 10 fps on a side branch)',
    source: () => qrScene(dir, 'https://fluo.test/bench', 50).webm,
    create: (v, P) => v('create', { type: 'ZBarFilter', constructorParams: { mediaPipeline: P } }),
    reference: 'identity',
    branch: 'queue max-size-buffers=1 leaky=downstream ! videorate ! video/x-raw,framerate=10/1 ! videoconvert ! video/x-raw,format=I420 ! zbar cache=true ! fakesink sync=false async=false',
  },
  {
    label: 'ChromaFilter on a green screen (alpha over the background image in a compositor; 160x120 RGBx calibration, stopped after 1 s)',
    source: () => greenScreenScene(dir, 50).webm,
    create: (v, P) => v('create', { type: 'ChromaFilter', constructorParams: { mediaPipeline: P, window: { topRightCornerX: 5, topRightCornerY: 5, width: 30, height: 30 }, backgroundImage: pathToFileURL(HAT).href } }),
    reference: 'tee name=cv ! queue max-size-buffers=3 ! alpha method=custom target-r=0 target-g=255 target-b=0 angle=20 ! queue max-size-buffers=3 ! mix.sink_1 ' +
      `cv. ! queue max-size-buffers=3 ! gdkpixbufoverlay location=${HAT} overlay-width=640 overlay-height=480 ! mix.sink_0 ` +
      'compositor name=mix background=black sink_0::zorder=0 sink_1::zorder=1 ! video/x-raw,framerate=30/1',
  },
];

/** The gst-launch-1.0 reference: Fluo's decoder and encoder with the filter's elements between. */
function referencePipeline(c: FilterCase, inPort: number, outPort: number): string {
  const split = c.branch ? ' ! tee name=split ! queue' : '';
  return `${decoderDescription('VIDEO', VP8).replace('port=0', `port=${inPort}`)}${split} ! ${c.reference} ! videoconvert ! ${encoderDescription('VIDEO', VP8, outPort, 500_000)}` +
    (c.branch ? ` split. ! ${c.branch}` : '');
}

/** RtpEndpoint (VP8 in) -> filter -> RtpEndpoint (VP8 out to `outPort`); the port to send to. */
async function filterPipeline(v: Call, c: FilterCase, outPort: number): Promise<{ P: string; inPort: number }> {
  const P = await v('create', { type: 'MediaPipeline' });
  const a = await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } });
  const b = await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } });
  const f = await c.create(v, P);
  const answer = await v('invoke', { object: a, operation: 'processOffer', operationParams: { offer: sdp(40000, 'sendonly', [['video', '96 VP8/90000']]) } });
  await v('invoke', { object: b, operation: 'processOffer', operationParams: { offer: sdp(outPort, 'recvonly', [['video', '96 VP8/90000']]) } });
  await v('invoke', { object: a, operation: 'connect', operationParams: { sink: f } });
  await v('invoke', { object: f, operation: 'connect', operationParams: { sink: b } });
  return { P, inPort: Number(/m=video (\d+)/.exec(answer)![1]) };
}

const caller = (c: RpcClient, sid: string): Call => async (method, params) => (await c.ok(method, { ...params, sessionId: sid })).value as string;

async function filterCpu(c: FilterCase): Promise<void> {
  const f = await fluoProcess();
  const v = caller(f.c, f.sid);
  const [outFluo, outGst] = [await receiver(), await receiver()];
  const { inPort } = await filterPipeline(v, c, outFluo.port);
  const gstIn = await freeUdpPort();
  const launch = run.gst(referencePipeline(c, gstIn, outGst.port));
  const send = run.sender([inPort, gstIn], [], c.source?.() ?? FILE);
  await sleep(6000);
  await f.settled();
  const engines = engineChildren(f.pid);
  const f0 = [outFluo.frames(), outGst.frames()];
  const reaped0 = reapedChildrenTicks(f.pid);
  const [server, ...rest] = await cpuWindow([f.pid, ...engines, launch.pid!], SECONDS);
  const reaped = ticksPercent(reapedChildrenTicks(f.pid) - reaped0, SECONDS);
  const gstCpu = rest.pop()!;
  const eng = rest.reduce((a, b) => a + b, 0);
  const fps = [(outFluo.frames() - f0[0]!) / SECONDS, (outGst.frames() - f0[1]!) / SECONDS];
  const total = server! + eng;
  console.log(`${c.label}, 640x480@30, ${SECONDS} s, % of one core: Fluo ${total.toFixed(1)} (engine ${eng.toFixed(1)} + server ${server!.toFixed(1)}), ` +
    `the same elements in gst-launch-1.0 ${gstCpu.toFixed(1)}: ratio ${(total / gstCpu).toFixed(2)} (target <= 1.15; engine alone ${(eng / gstCpu).toFixed(2)}); ` +
    `frames/s at the receiver ${fps[0]!.toFixed(1)} / ${fps[1]!.toFixed(1)}` +
    (c.children ? `; ${c.children} processes (children of Fluo, reaped in the window) ${reaped.toFixed(1)} more, Fluo with them ${(total + reaped).toFixed(1)}` : ''));
  send.kill('SIGKILL');
  launch.kill('SIGKILL');
  outFluo.close();
  outGst.close();
  await f.stop();
}

/** Magic-mirror calls (RtpEndpoint -> FaceOverlayFilter with an image -> RtpEndpoint) held at >= 25 fps each. */
async function magicMirrorCapacity(): Promise<void> {
  const mirror: FilterCase = { label: 'magic mirror', source: () => FACE, reference: '', create: magicMirror };
  let held = 0;
  const seen: string[] = [];
  // BENCH_MIRROR_FROM: the first step (a machine known to hold that many skips the small ones).
  for (let n = Number(process.env.BENCH_MIRROR_FROM ?? 1); n <= 40; n++) {
    const f = await fluoProcess();
    const v = caller(f.c, f.sid);
    const outs = await Promise.all(Array.from({ length: n }, () => receiver()));
    const ins: number[] = [];
    for (const o of outs) ins.push((await filterPipeline(v, mirror, o.port)).inPort);
    const senders = ins.map((p) => run.sender([p], [], FACE));
    await sleep(6000);
    const f0 = outs.map((o) => o.frames());
    await sleep(6000);
    const worst = Math.min(...outs.map((o, i) => (o.frames() - f0[i]!) / 6));
    for (const s of senders) s.kill('SIGKILL');
    for (const o of outs) o.close();
    await f.stop();
    seen.push(`${n}: ${worst.toFixed(1)} fps`);
    if (worst < 25) break;
    held = n;
  }
  console.log(`magic-mirror calls held at >= 25 fps each on this machine: ${held} (worst viewer per step: ${seen.join(', ')})`);
}

await run.exec(`filters through Fluo, ${SECONDS} s windows`, async () => {
  await run.makeSource();
  FACE = faceScene(dir, 50).webm;
  writeFileSync(HAT, hatPng());
  const only = process.env.BENCH_FILTERS;
  for (const c of CASES) if (!only || c.label.includes(only)) await filterCpu(c);
  if (!process.env.BENCH_NO_CAPACITY) await magicMirrorCapacity();
});
