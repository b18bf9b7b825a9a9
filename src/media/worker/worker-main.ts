import v8 from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mediaCounters } from './mediaCounters.ts';
import { installSharedPort, sharedPort } from '../webrtc/sharedPort/installSharedPort.ts';
import { installNativeSrtcpIn } from '../webrtc/nativeSrtcpIn.ts';
import { MediaHost } from './MediaHost.ts';
import { pipeLinks } from '../pipe/PipeLinks.ts';
import type { EngineSettings } from '../engine/MediaEngine.ts';
import { Logger, type LoggingOptions } from '../../log/Logger.ts';
import type { FromWorker, ToWorker } from '../../shared/workerProtocol.ts';

/** Entry point of a media worker thread: one MediaHost behind the message interface. */
if (!parentPort) throw new Error('worker-main must run in a worker thread');
const port = parentPort;
const data = workerData as { engine?: EngineSettings; webRtcPort?: number; logging?: LoggingOptions } | undefined;
// The server's logging (--gst-debug thresholds, --logs-path files): without it a worker
// kept GST_DEBUG's or the default thresholds and wrote to the console whatever the
// configuration said.
if (data?.logging) Logger.configure(data.logging);
const settings = data?.engine;
// Single-port mode: this worker's WebRtcEndpoints share one UDP port (issue 14 item 1).
if (data?.webRtcPort) installSharedPort(data.webRtcPort);
// The peers' SRTCP checked and decrypted natively when the addon is built (nativeSrtcpIn).
installNativeSrtcpIn();
const host = new MediaHost((m: FromWorker) => port.postMessage(m), settings);
const STOP_TIMEOUT_MS = 2_000;
// Sampled every 200 ms: each sample wakes the thread, and a wakeup costs 100-200 µs of a
// core on this kind of VM (see OpsEndpoints). A blocked loop still shows: the pending
// sample fires late.
const loopDelay = monitorEventLoopDelay({ resolution: 200 });
loopDelay.enable();
port.on('message', (m: ToWorker) => {
  if (m.t === 'peer') pipeLinks.connect(m.worker, m.port);
  else if (m.t === 'stop') void host.stop(STOP_TIMEOUT_MS).then((closed) => port.postMessage({ t: 'stopped', closed } satisfies FromWorker));
  else if (m.t === 'resources') {
    // A handle being closed is listed until its close callback has run (at the end of
    // the current loop iteration), and a timer while its callback runs: answer from an
    // immediate of the next iteration.
    setTimeout(() => setImmediate(() => {
      const list = process.getActiveResourcesInfo().filter((r) => r !== 'MessagePort');
      port.postMessage({ t: 'resources', id: m.id, list } satisfies FromWorker);
    }), 0);
  } else if (m.t === 'dot') {
    void host.engine.dot(m.pipeline).then((dot) => port.postMessage({ t: 'dot', id: m.id, dot: dot ?? null } satisfies FromWorker));
  } else if (m.t === 'engineStats') {
    void host.engine.stats().then((processes) => port.postMessage({ t: 'engineStats', id: m.id, processes, transcoders: host.transcoderStats() } satisfies FromWorker));
  } else if (m.t === 'mediaStats') {
    const ms = (ns: number): number => (Number.isFinite(ns) ? ns / 1e6 : 0);
    const heap = v8.getHeapStatistics();
    const stats = {
      counters: { ...mediaCounters }, pipelines: host.pipelineCount, transcoders: host.transcoderStats().length,
      engineProcesses: host.engine.processes, loopDelayMeanMs: ms(loopDelay.mean), loopDelayMaxMs: ms(loopDelay.max),
      heapUsedBytes: heap.used_heap_size, heapSizeBytes: heap.total_heap_size,
      newSpaceBytes: v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0,
    };
    loopDelay.reset();
    port.postMessage({ t: 'mediaStats', id: m.id, stats } satisfies FromWorker);
  } else host.handle(m);
});
port.on('close', () => {
  loopDelay.disable();
  sharedPort()?.close();
  host.closeAll();
  pipeLinks.close();
});
// A bug in one node's asynchronous callback must not take the worker's other pipelines down.
process.on('uncaughtException', (err) => {
  process.stderr.write(`media worker: uncaught ${err.stack ?? String(err)}\n`);
});
port.postMessage({ t: 'ready' } satisfies FromWorker);
