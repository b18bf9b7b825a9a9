/**
 * The SFU benchmark's RTP publisher: one encoded file (VP8 1.5 Mbps + Opus) replayed in
 * real time by ffmpeg, into a Fluo RtpEndpoint or into a Janus VideoRoom remote
 * publisher, so both servers forward the same packets.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RpcClient } from '../../test/helpers/fluo.ts';
import type { JanusSession } from '../janus/JanusSession.ts';

/**
 * 20 s of 640x480@30 VP8 at 1.5 Mbps and Opus, encoded once and kept in the temp dir.
 * Noise on the test pattern makes the encoder spend its whole budget, as a camera would.
 */
function encodedMedia(): string {
  const file = path.join(os.tmpdir(), 'fluo-bench-vp8-1500k-opus.webm');
  if (fs.existsSync(file)) return file;
  console.error('# encoding 20 s of VP8 1.5 Mbps + Opus once with ffmpeg...');
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '20',
    '-vf', 'noise=alls=20:allf=t+u', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1500k', '-minrate', '1500k',
    '-maxrate', '1500k', '-bufsize', '3000k', '-g', '60', '-auto-alt-ref', '0', '-c:a', 'libopus', '-b:a', '48k', '-ac', '2', `${file}.tmp.webm`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('ffmpeg could not encode the benchmark media');
  fs.renameSync(`${file}.tmp.webm`, file);
  return file;
}

/** ffmpeg replaying the file in a loop: VP8 on payload type 96, Opus on 111, to the given ports and SSRCs. */
function replay(video: { port: number; ssrc?: number }, audio: { port: number; ssrc?: number }): ChildProcess {
  const ssrc = (s?: number): string[] => (s === undefined ? [] : ['-ssrc', String(s)]);
  return spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', encodedMedia(),
    '-map', '0:v', '-c', 'copy', '-payload_type', '96', ...ssrc(video.ssrc), '-f', 'rtp', `rtp://127.0.0.1:${video.port}?pkt_size=1200`,
    '-map', '0:a', '-c', 'copy', '-payload_type', '111', ...ssrc(audio.ssrc), '-f', 'rtp', `rtp://127.0.0.1:${audio.port}`], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * Into Fluo: an RtpEndpoint told (processOffer) that VP8 on 96 and Opus on 111 will
 * come, and ffmpeg sending to the ports of its answer.
 */
export async function fluoRtpPublisher(c: RpcClient, sid: string, pipeline: string): Promise<{ endpoint: string; ffmpeg: ChildProcess }> {
  encodedMedia();
  const endpoint = (await c.ok('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: pipeline }, sessionId: sid })).value as string;
  const offer = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=ffmpeg', 'c=IN IP4 127.0.0.1', 't=0 0',
    'm=video 9 RTP/AVP 96', 'a=rtpmap:96 VP8/90000', 'a=sendonly', 'm=audio 9 RTP/AVP 111', 'a=rtpmap:111 opus/48000/2', 'a=sendonly', ''].join('\r\n');
  const answer = (await c.ok('invoke', { object: endpoint, operation: 'processOffer', operationParams: { offer }, sessionId: sid })).value as string;
  const video = Number(/m=video (\d+)/.exec(answer)?.[1]);
  const audio = Number(/m=audio (\d+)/.exec(answer)?.[1]);
  if (!video || !audio) throw new Error(`RtpEndpoint answer without ports: ${answer}`);
  return { endpoint, ffmpeg: replay({ port: video }, { port: audio }) };
}

/**
 * Into Janus: a VideoRoom room for VP8 and Opus and a remote publisher in it
 * (`add_remote_publisher`, Janus 1.1), which takes every stream's RTP on one port and
 * tells them apart by SSRC: 1000 + 10 x the stream's m-line index
 * (REMOTE_PUBLISHER_BASE_SSRC and _STEP in janus_videoroom.c). Returns the room and
 * the feed id subscribers join.
 */
export async function janusRtpPublisher(j: JanusSession, room: number): Promise<{ room: number; feed: number; ffmpeg: ChildProcess }> {
  encodedMedia();
  const h = await j.attach('janus.plugin.videoroom');
  await j.request(h, { request: 'create', room, publishers: 1, videocodec: 'vp8', audiocodec: 'opus', notify_joining: false });
  const remote = await j.request(h, {
    request: 'add_remote_publisher', room, display: 'ffmpeg', iface: '127.0.0.1',
    streams: [{ type: 'video', mindex: 0, mid: '0', codec: 'vp8' }, { type: 'audio', mindex: 1, mid: '1', codec: 'opus', stereo: true }],
  });
  const port = Number(remote.port);
  if (!port) throw new Error(`Janus add_remote_publisher gave no port: ${JSON.stringify(remote)}`);
  return { room, feed: Number(remote.id), ffmpeg: replay({ port, ssrc: 1000 }, { port, ssrc: 1010 }) };
}
