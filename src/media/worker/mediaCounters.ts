/**
 * The media plane's counters for `/metrics` (issue 15 §3), one set per media worker
 * thread (each thread has its own instance of this module). They are plain integer
 * increments on one object at the places that already count for getStats, so the
 * packet path pays no lookup; the worker reads them at scrape time. They only grow
 * while the worker lives (a restarted worker starts again at 0: a Prometheus counter
 * reset).
 */
import type { MediaCounterValues } from '../../shared/workerProtocol.ts';

export type { MediaCounterValues };

export const mediaCounters: MediaCounterValues = {
  webrtcPacketsSent: 0, webrtcBytesSent: 0, rtpPacketsSent: 0, rtpBytesSent: 0, sendBatches: 0, sendBatchPackets: 0, retransmissions: 0,
  nacksReceived: 0, pliReceived: 0, firReceived: 0, keyframeRequestsSent: 0, keyframeRequestsCoalesced: 0,
  droppedUnknownAddress: 0, droppedMalformed: 0, droppedUnauthenticatedAlert: 0, droppedUnauthenticatedStun: 0,
  pipedPacketsSent: 0, pipedPacketsReceived: 0, transcodersStarted: 0, engineProcessesStarted: 0, engineProcessesLost: 0,
};
