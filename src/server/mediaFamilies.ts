import type { Family, Sample } from './PromText.ts';
import type { MediaCounterValues, WorkerMediaStats } from '../shared/workerProtocol.ts';

type Reports = ReadonlyArray<{ worker: number; stats: WorkerMediaStats }>;

/** One counter family: its name and help, and each sample's counter with its extra labels. */
interface CounterSpec {
  name: string;
  help: string;
  samples: ReadonlyArray<{ key: keyof MediaCounterValues; labels?: Record<string, string> }>;
}

/**
 * The media plane's metrics, per media worker (label `worker`): a worker's counters
 * start at 0 when it starts, which Prometheus reads as a counter reset. Names follow
 * Prometheus conventions (`_total`, units in names).
 */
const COUNTERS: readonly CounterSpec[] = [
  { name: 'fluo_rtp_packets_sent_total', help: 'RTP packets sent to peers, by transport (webrtc: SRTP to WebRtcEndpoint peers; rtp: RtpEndpoint peers).',
    samples: [{ key: 'webrtcPacketsSent', labels: { transport: 'webrtc' } }, { key: 'rtpPacketsSent', labels: { transport: 'rtp' } }] },
  { name: 'fluo_rtp_bytes_sent_total', help: 'Bytes of the RTP packets sent to peers, by transport.',
    samples: [{ key: 'webrtcBytesSent', labels: { transport: 'webrtc' } }, { key: 'rtpBytesSent', labels: { transport: 'rtp' } }] },
  { name: 'fluo_rtp_send_batches_total', help: 'Batched sends: native calls that protected and sent the WebRTC copies of one forwarded packet together (sendmmsg).', samples: [{ key: 'sendBatches' }] },
  { name: 'fluo_rtp_batched_packets_total', help: 'WebRTC packets sent in batches (part of fluo_rtp_packets_sent_total).', samples: [{ key: 'sendBatchPackets' }] },
  { name: 'fluo_rtp_retransmissions_total', help: 'Packets resent for NACKs (RFC 4588).', samples: [{ key: 'retransmissions' }] },
  { name: 'fluo_rtcp_nacks_received_total', help: 'Generic NACK messages received from peers (RFC 4585).', samples: [{ key: 'nacksReceived' }] },
  { name: 'fluo_keyframe_requests_received_total', help: 'Keyframe requests received from peers, by kind (PLI, FIR).',
    samples: [{ key: 'pliReceived', labels: { kind: 'pli' } }, { key: 'firReceived', labels: { kind: 'fir' } }] },
  { name: 'fluo_keyframe_requests_sent_total', help: 'Keyframe requests sent to source peers; coalesced: asked for by sinks within the rate limit and not sent.',
    samples: [{ key: 'keyframeRequestsSent', labels: { outcome: 'sent' } }, { key: 'keyframeRequestsCoalesced', labels: { outcome: 'coalesced' } }] },
  { name: 'fluo_packets_dropped_total', help: 'Datagrams dropped before WebRTC processing, by reason (IceGuard).',
    samples: [
      { key: 'droppedUnknownAddress', labels: { reason: 'unknown_address' } }, { key: 'droppedMalformed', labels: { reason: 'malformed' } },
      { key: 'droppedUnauthenticatedAlert', labels: { reason: 'unauthenticated_alert' } }, { key: 'droppedUnauthenticatedStun', labels: { reason: 'unauthenticated_stun' } },
    ] },
  { name: 'fluo_piped_packets_total', help: 'RTP packets carried between media workers by pipes (a MediaPipeline spread over workers), by direction.',
    samples: [{ key: 'pipedPacketsSent', labels: { direction: 'sent' } }, { key: 'pipedPacketsReceived', labels: { direction: 'received' } }] },
  { name: 'fluo_transcoders_started_total', help: 'Transcoders started (one per source and target format).', samples: [{ key: 'transcodersStarted' }] },
  { name: 'fluo_engine_processes_started_total', help: 'Media engine (GStreamer) processes started.', samples: [{ key: 'engineProcessesStarted' }] },
  { name: 'fluo_engine_processes_lost_total', help: 'Media engine processes that ended other than by Fluo stopping them (crash, kill, missed heartbeat).', samples: [{ key: 'engineProcessesLost' }] },
];

const GAUGES: ReadonlyArray<{ name: string; help: string; value: (s: WorkerMediaStats) => number }> = [
  { name: 'fluo_media_worker_pipelines', help: 'MediaPipelines placed on the media worker.', value: (s) => s.pipelines },
  { name: 'fluo_transcoders', help: 'Transcoders running now.', value: (s) => s.transcoders },
  { name: 'fluo_engine_processes', help: 'Media engine (GStreamer) processes running now.', value: (s) => s.engineProcesses },
  { name: 'fluo_media_worker_event_loop_lag_seconds', help: "The media worker's mean event-loop delay since the previous scrape (sampled every 200 ms).", value: (s) => s.loopDelayMeanMs / 1000 },
  { name: 'fluo_media_worker_event_loop_lag_max_seconds', help: "The media worker's longest event-loop delay since the previous scrape.", value: (s) => s.loopDelayMaxMs / 1000 },
  { name: 'fluo_media_worker_heap_used_bytes', help: "The media worker's V8 heap in use.", value: (s) => s.heapUsedBytes },
  { name: 'fluo_media_worker_heap_size_bytes', help: "The media worker's V8 heap reserved.", value: (s) => s.heapSizeBytes },
  { name: 'fluo_media_worker_young_generation_bytes', help: "The media worker's V8 new space (both semi-spaces; mediaServer.mediaWorkerSemiSpaceMb).", value: (s) => s.newSpaceBytes },
];

export function mediaFamilies(reports: Reports): Family[] {
  const counters = COUNTERS.map((c): Family => ({
    name: c.name, help: c.help, type: 'counter',
    samples: reports.flatMap(({ worker, stats }) => c.samples.map((x): Sample => ({ labels: { worker: String(worker), ...x.labels }, value: stats.counters[x.key] }))),
  }));
  const gauges = GAUGES.map((g): Family => ({
    name: g.name, help: g.help, type: 'gauge',
    samples: reports.map(({ worker, stats }) => ({ labels: { worker: String(worker) }, value: g.value(stats) })),
  }));
  return [...counters, ...gauges];
}
