/**
 * Where one stream's CPU goes, thread by thread: Fluo as its own process, one 640x480@30
 * VP8 stream replayed into an RtpEndpoint and out of another, forwarded as it is
 * (`forward`), transcoded to H.264 (`transcode`) or through a GStreamerFilter
 * (`filter`). After Fluo's start-up collections (`settled`), it prints each thread of
 * Fluo and of its engine process that woke more than twice a second: wakeups (context
 * switches) per second and % of one core, then the totals. It answers "which hop costs
 * what" where bench:engine and bench:filters give the totals next to gst-launch.
 *
 *   node scripts/netns.mjs node --import tsx bench/threads.ts [forward|transcode|filter] [seconds]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { BenchRun, cpuWindow, fluoProcess, receiver, sdp, sleep, statFields, ticksPercent } from './benchKit.ts';
import { engineChildren } from '../test/helpers/engine.ts';

type Case = 'forward' | 'transcode' | 'filter';
const which = (process.argv[2] ?? 'transcode') as Case;
if (!['forward', 'transcode', 'filter'].includes(which)) throw new Error(`unknown case ${which}: forward, transcode or filter`);
const SECONDS = Number(process.argv[3] ?? 10);

interface ThreadTicks { name: string; switches: number; ticks: number }

/** Per thread of `pid`: its name, context switches (voluntary + not) and CPU ticks so far (proc(5)). */
function threads(pid: number): Map<string, ThreadTicks> {
  const out = new Map<string, ThreadTicks>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const dir = `/proc/${pid}/task/${tid}`;
    const f = statFields(`${dir}/stat`);
    try {
      const status = readFileSync(`${dir}/status`, 'utf8');
      const count = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      if (f) out.set(tid, { name: readFileSync(`${dir}/comm`, 'utf8').trim(), switches: count('voluntary_ctxt_switches') + count('nonvoluntary_ctxt_switches'), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // A thread that ended meanwhile.
    }
  }
  return out;
}

const run = new BenchRun();
await run.exec(`one stream through Fluo (${which}), ${SECONDS} s, thread by thread`, async () => {
  await run.makeSource();
  const f = await fluoProcess();
  const v = async (method: string, params: Record<string, unknown>): Promise<string> => (await f.c.ok(method, { ...params, sessionId: f.sid })).value as string;
  const out = await receiver();
  const P = await v('create', { type: 'MediaPipeline' });
  const a = await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } });
  const b = await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } });
  const answer = await v('invoke', { object: a, operation: 'processOffer', operationParams: { offer: sdp(40000, 'sendonly', [['video', '96 VP8/90000']]) } });
  await v('invoke', { object: b, operation: 'processOffer', operationParams: { offer: sdp(out.port, 'recvonly', [['video', which === 'transcode' ? '102 H264/90000' : '96 VP8/90000']]) } });
  if (which === 'filter') {
    const filter = await v('create', { type: 'GStreamerFilter', constructorParams: { mediaPipeline: P, command: 'videoflip method=horizontal-flip' } });
    await v('invoke', { object: a, operation: 'connect', operationParams: { sink: filter } });
    await v('invoke', { object: filter, operation: 'connect', operationParams: { sink: b } });
  } else {
    await v('invoke', { object: a, operation: 'connect', operationParams: { sink: b } });
  }
  const send = run.sender([Number(/m=video (\d+)/.exec(answer)![1])]);
  await sleep(6000);
  await f.settled();
  const pids = [f.pid, ...engineChildren(f.pid)];
  const before = pids.map(threads);
  const f0 = out.frames();
  const totals = await cpuWindow(pids, SECONDS);
  const after = pids.map(threads);
  pids.forEach((pid, i) => {
    for (const [tid, t] of after[i]!) {
      const t0 = before[i]!.get(tid);
      if (!t0) continue;
      const wakeups = (t.switches - t0.switches) / SECONDS;
      if (wakeups <= 2) continue;
      console.log(`  ${i === 0 ? 'server' : `engine ${pid}`} thread ${tid} (${t.name}): ${wakeups.toFixed(0)} wakeups/s, ${ticksPercent(t.ticks - t0.ticks, SECONDS).toFixed(2)}% of a core`);
    }
  });
  console.log(`${which}: server ${totals[0]!.toFixed(2)}% of a core${pids.length > 1 ? `, engine ${totals.slice(1).reduce((x, y) => x + y, 0).toFixed(2)}%` : ', no engine process'}; ${((out.frames() - f0) / SECONDS).toFixed(1)} frames/s at the receiver`);
  send.kill('SIGKILL');
  out.close();
  await f.stop();
});
