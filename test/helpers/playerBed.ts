import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFluo, RpcClient } from './fluo.ts';
import { RemotePeers, type RemotePeer } from './RemotePeers.ts';

/**
 * A `seconds` long clip made with gst-launch into `file`: a moving 320x240@30 picture
 * (with its time drawn) encoded by `video` (none: no video track) and a stereo 48 kHz
 * tone encoded by `audio`, muxed by `mux` (named `m`).
 */
export function makeClip(file: string, seconds: number, o: { video?: string; audio: string; mux: string }): string {
  const video = o.video ? `videotestsrc num-buffers=${seconds * 30} pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1,format=I420 ! timeoverlay ! ${o.video} ! queue ! m.video_0 ` : '';
  const audio = `audiotestsrc num-buffers=${Math.ceil((seconds * 48000) / 1024)} samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! ${o.audio} ! queue ! m.audio_0`;
  execFileSync('gst-launch-1.0', ['-q', '-e', ...`${video}${audio} ${o.mux} name=m ! filesink location=${file}`.split(' ')]);
  return file;
}

/**
 * Test media for the PlayerEndpoint tests, made with gst-launch in a temp folder: a
 * `seconds` long 320x240@30 VP8+Opus WebM and, unless `webmOnly`, an H.264
 * (constrained baseline)+AAC MP4, a keyframe every second.
 */
export function makeMedia(dir: string, seconds: number, webmOnly = false): { webm: string; mp4: string } {
  const webm = makeClip(join(dir, 'clip.webm'), seconds, { video: 'vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30', audio: 'opusenc', mux: 'webmmux' });
  const mp4 = join(dir, 'clip.mp4');
  if (!webmOnly) {
    makeClip(mp4, seconds, {
      video: 'x264enc speed-preset=ultrafast key-int-max=30 ! video/x-h264,profile=constrained-baseline ! h264parse',
      audio: 'avenc_aac ! aacparse', mux: 'mp4mux faststart=true',
    });
  }
  return { webm, mp4 };
}

export interface Play { P: string; player: string; viewer: RemotePeer }

/**
 * Fluo, a JSON-RPC session with its events recorded, libwebrtc viewers and a temp
 * folder: what every PlayerEndpoint test file starts with.
 */
export class PlayerBed {
  readonly peers = new RemotePeers();
  readonly events: Array<{ object: string; type: string; data: Record<string, unknown>; at: number }> = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'fluo-player-'));
  fluo!: Awaited<ReturnType<typeof startFluo>>;
  c!: RpcClient;
  sid = '';

  async start(): Promise<void> {
    this.fluo = await startFluo();
    this.c = await RpcClient.open(this.fluo.url);
    this.sid = (await this.c.ok('connect')).sessionId!;
    this.c.onEvent((e) => {
      const v = e.params?.value;
      if (v) this.events.push({ object: v.object, type: v.type, data: v.data as Record<string, unknown>, at: performance.now() });
    });
  }

  async stop(): Promise<void> {
    this.peers.stop();
    await this.c?.close();
    await this.fluo?.stop();
    if (!process.env.FLUO_KEEP_MEDIA) rmSync(this.dir, { recursive: true, force: true });
  }

  // Arrow properties: test files take them apart (`const { invoke } = bed`).
  readonly value = async (method: string, params: Record<string, unknown>): Promise<unknown> => (await this.c.ok(method, { ...params, sessionId: this.sid })).value;

  /** The raw answer (error included) of an invoke. */
  request(object: string, operation: string, operationParams: Record<string, unknown> = {}): ReturnType<RpcClient['request']> {
    return this.c.request('invoke', { object, operation, operationParams, sessionId: this.sid });
  }

  readonly create = async (type: string, constructorParams: Record<string, unknown>): Promise<string> => (await this.value('create', { type, constructorParams })) as string;

  readonly invoke = (object: string, operation: string, operationParams: Record<string, unknown> = {}): Promise<unknown> => this.value('invoke', { object, operation, operationParams });

  readonly subscribe = async (object: string, ...types: string[]): Promise<void> => {
    for (const type of types) await this.value('subscribe', { object, type });
  };

  readonly eventsOf = (object: string, type: string): PlayerBed['events'] => this.events.filter((e) => e.object === object && e.type === type);

  readonly frames = async (v: RemotePeer): Promise<number> => (await v.received()).frames;

  /** A pipeline with a player of `uri` connected to a WebRtcEndpoint and its libwebrtc viewer. */
  readonly player = async (uri: string, params: Record<string, unknown> = {}): Promise<Play> => {
    const P = await this.create('MediaPipeline', {});
    const p = await this.create('PlayerEndpoint', { mediaPipeline: P, uri, ...params });
    await this.subscribe(p, 'EndOfStream', 'Error', 'UriEndpointStateChanged', 'MediaFlowOutStateChanged');
    const ep = await this.create('WebRtcEndpoint', { mediaPipeline: P });
    await this.invoke(p, 'connect', { sink: ep });
    const viewer = await this.peers.create({ recvOnly: true });
    await viewer.connectTo(this.c, ep, this.sid);
    return { P, player: p, viewer };
  };

  readonly done = async (k: Play): Promise<void> => {
    await this.value('release', { object: k.P });
    await k.viewer.close();
  };
}
