/**
 * PlayerEndpoint from the network (issue 11 §5): HTTP from a Node server in this test,
 * one honouring Range requests (seekable) and one refusing them (200 with the whole
 * body, no Accept-Ranges: still plays, not seekable), a 404; RTSP from GStreamer's RTSP
 * server on loopback (python3-gi + gir1.2-gst-rtsp-server-1.0, install.sh), and an
 * unreachable RTSP server. Frames are counted by a libwebrtc viewer.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { until } from '../helpers/RemotePeers.ts';
import { makeMedia, PlayerBed } from '../helpers/playerBed.ts';

const bed = new PlayerBed();
const { value, create, invoke, eventsOf, frames } = bed;
let server: http.Server;
let base: string;
let rtsp: ChildProcess | undefined;

/** GStreamer's RTSP server with one live VP8 stream at /live; prints its port. */
const RTSP_SERVER = `
import gi
gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')
from gi.repository import Gst, GstRtspServer, GLib
Gst.init(None)
s = GstRtspServer.RTSPServer(); s.set_address('127.0.0.1'); s.set_service('0')
f = GstRtspServer.RTSPMediaFactory()
f.set_launch('( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30 ! rtpvp8pay name=pay0 pt=96 )')
f.set_shared(True)
s.get_mount_points().add_factory('/live', f)
s.attach(None)
print(s.get_bound_port(), flush=True)
GLib.MainLoop().run()
`;

before(async () => {
  const { webm } = makeMedia(bed.dir, 4, true);
  const body = readFileSync(webm);
  server = http.createServer((req, res) => {
    if (req.url === '/ranges/clip.webm') {
      // RFC 9110 §14: one byte range, answered 206 with Content-Range.
      const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (!m) { res.writeHead(200, { 'content-type': 'video/webm', 'content-length': body.length, 'accept-ranges': 'bytes' }); res.end(body); return; }
      const start = Number(m[1]);
      const end = m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
      res.writeHead(206, { 'content-type': 'video/webm', 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${body.length}`, 'accept-ranges': 'bytes' });
      res.end(body.subarray(start, end + 1));
    } else if (req.url === '/noranges/clip.webm') {
      res.writeHead(200, { 'content-type': 'video/webm', 'content-length': body.length });
      res.end(body);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await bed.start();
});
after(async () => {
  rtsp?.kill('SIGKILL');
  server.closeAllConnections();
  server.close();
  await bed.stop();
});

/** Plays `uri` into a WebRtcEndpoint and its viewer until `minFrames` decoded; answers the player's video info. */
async function playTo(uri: string, minFrames: number, params: Record<string, unknown> = {}): Promise<{ P: string; player: string; info: Record<string, unknown> }> {
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri, ...params });
  for (const type of ['EndOfStream', 'Error']) await value('subscribe', { object: player, type });
  const ep = await create('WebRtcEndpoint', { mediaPipeline: P });
  await invoke(player, 'connect', { sink: ep });
  const viewer = await bed.peers.create({ recvOnly: true });
  await viewer.connectTo(bed.c, ep, bed.sid);
  await invoke(player, 'play');
  await until(async () => (await frames(viewer)) > minFrames, 15_000, `frames from ${uri}`);
  const info = await invoke(player, 'getVideoInfo') as Record<string, unknown>;
  assert.deepEqual(eventsOf(player, 'Error'), []);
  await viewer.close();
  return { P, player, info };
}

test('HTTP with Range support: plays, seekable; without Range support: still plays, not seekable, setPosition refused', async () => {
  const a = await playTo(`${base}/ranges/clip.webm`, 30);
  assert.equal(a.info.isSeekable, true);
  assert.ok(Math.abs(Number(a.info.duration) - 4000) < 300, `duration ${String(a.info.duration)} ms of a 4 s file`);
  await invoke(a.player, 'setPosition', { position: 2000 });
  await until(() => eventsOf(a.player, 'EndOfStream').length > 0, 8000, 'EndOfStream over HTTP');
  await value('release', { object: a.P });
  const b = await playTo(`${base}/noranges/clip.webm`, 30);
  assert.equal(b.info.isSeekable, false);
  const r = await bed.request(b.player, 'setPosition', { position: 1000 });
  assert.equal(r.error?.code, 40700);
  assert.match(String(r.error?.message), /The seek cannot be performed/);
  await until(() => eventsOf(b.player, 'EndOfStream').length > 0, 8000, 'EndOfStream from the server without Range');
  await value('release', { object: b.P });
});

test('HTTP 404: Error event and error answer naming the URI', async () => {
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: `${base}/missing.webm` });
  await value('subscribe', { object: player, type: 'Error' });
  const r = await bed.request(player, 'play');
  assert.equal(r.error?.code, 40600);
  assert.match(String(r.error?.message), /missing\.webm: the server answered HTTP 404/);
  await until(() => eventsOf(player, 'Error').length > 0, 2000, 'Error event');
  assert.match(String(eventsOf(player, 'Error')[0]!.data.description), /missing\.webm/);
  await value('release', { object: P });
});

test('RTSP from a GStreamer RTSP server on loopback reaches the viewer; an unreachable RTSP server is an Error', async () => {
  rtsp = spawn('/usr/bin/python3', ['-c', RTSP_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    rtsp!.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    rtsp!.once('exit', (code) => reject(new Error(`the RTSP server exited (${code}): python3-gi and gir1.2-gst-rtsp-server-1.0 are needed (install.sh)`)));
  });
  const live = await playTo(`rtsp://127.0.0.1:${port}/live`, 45, { networkCache: 200 });
  assert.equal(live.info.isSeekable, false);
  await value('release', { object: live.P });
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: 'rtsp://127.0.0.1:9/nothing' });
  await value('subscribe', { object: player, type: 'Error' });
  const r = await bed.request(player, 'play');
  assert.ok(r.error, 'play of an unreachable RTSP server fails');
  assert.match(String(r.error?.message), /rtsp:\/\/127\.0\.0\.1:9\/nothing: .*refused/i);
  await until(() => eventsOf(player, 'Error').length > 0, 2000, 'Error event');
  await value('release', { object: P });
});
