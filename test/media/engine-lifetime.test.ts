/**
 * No engine process outlives the server, even one killed with SIGKILL (issue 11 §2):
 * the engine child exits when its control channel closes, which the kernel does for a
 * dead parent. Fluo runs here as its own process, as `npm start` runs it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { until } from '../helpers/RemotePeers.ts';
import { startFluoProcess } from '../helpers/fluoProcess.ts';
import { engineChildren } from '../helpers/engine.ts';
import { GstLaunches } from '../helpers/gstreamer.ts';

test('SIGKILL of the server leaves no engine process behind', async () => {
  const fluo = await startFluoProcess();
  const server = fluo.child;
  const launches = new GstLaunches();
  try {
    const c = fluo.client;
    const sid = (await c.ok('connect')).sessionId!;
    const value = async (method: string, params: Record<string, unknown>): Promise<string> => (await c.ok(method, { ...params, sessionId: sid })).value as string;
    const P = await value('create', { type: 'MediaPipeline' });
    const from = await value('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } });
    const to = await value('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } });
    const media = (pt: string, codec: string, dir: string, p: number) => ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=video ${p} RTP/AVP ${pt}`, `a=rtpmap:${pt} ${codec}/90000`, `a=${dir}`, ''].join('\r\n');
    const answer = await value('invoke', { object: from, operation: 'processOffer', operationParams: { offer: media('102', 'H264', 'sendonly', 40000) } });
    await value('invoke', { object: to, operation: 'processOffer', operationParams: { offer: media('96', 'VP8', 'recvonly', 40002) } });
    await value('invoke', { object: from, operation: 'connect', operationParams: { sink: to } });
    const inPort = Number(/m=video (\d+)/.exec(answer)![1]);
    launches.launch(`videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=15/1 ! x264enc tune=zerolatency speed-preset=ultrafast ! rtph264pay pt=102 config-interval=-1 ! udpsink host=127.0.0.1 port=${inPort}`);
    await until(() => engineChildren(server.pid).length > 0, 20_000, 'an engine process for the H.264 to VP8 transcoder');
    const engines = engineChildren(server.pid);
    await fluo.kill('SIGKILL');
    await until(() => engines.every((pid) => !existsSync(`/proc/${pid}`) || /\) Z /.test(statOf(pid))), 3_000, `engine processes ${engines.join(', ')} gone`);
  } finally {
    launches.killAll();
    await fluo.kill('SIGKILL');
  }
});

/** /proc/PID/stat, or a zombie's when the process is already gone. */
function statOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return ') Z ';
  }
}
