/**
 * The table of outgoing-stream records a media worker keeps (one per thread: module
 * state is per worker), shared with the native fast path (native/forward_batch.c,
 * whose struct SendRecord this layout mirrors, offsets checked there at compile time).
 * Each RtpSendStream owns one record, and one NACK ring when it keeps a history: its
 * rewriter state, rollover counter and counters live here, so the TypeScript path
 * (RtpSendStream.prepare) and the native one (SendBatch: a fan-out's copies in one
 * call) continue each other's stream. Slots are reused; the table grows by doubling
 * (a new buffer: the native side takes the current one at each call).
 */
import { SlotTable } from './SlotTable.ts';

/** Bytes per record, and the field offsets in bytes (host byte order). */
export const RECORD_SIZE = 192;
export const R = {
  flags: 0, ssrc: 4, payloadType: 8, clockRate: 12, srcSsrc: 16, seqOffset: 20, tsOffset: 24, lastSeq: 28, lastTs: 32,
  roc: 36, highestSeq: 40, packets: 44, octets: 48, lastTimestamp: 52, lastAt: 56, lastSentAt: 72, fd: 80, addrLen: 84,
  addr: 88, extLen: 116, ext: 120, historySize: 144, historyAt: 148, sentPackets: 152, streamId: 156, sentBytes: 160,
} as const;
export const FLAG_HAVE_SRC = 1;
export const FLAG_HAVE_LAST = 2;
export const FLAG_HAVE_ROC = 4;
/** Room for the sockaddr (a sockaddr_in6 at most) and the extension block. */
export const ADDR_MAX = 28;
export const EXT_MAX = 24;

/** A NACK ring entry: valid bit, payload type and sequence number; history index; timestamp; ROC. */
export const RING_ENTRY = 16;
export const RING_VALID = 0x80000000;

/** The worker's records (192 bytes each) and NACK rings (in runs of RING_ENTRY-byte entries). */
export const sendRecords = new SlotTable(RECORD_SIZE, 64);

/**
 * NACK rings, one run of entries per stream with a history. Allocated in whole blocks
 * of RING_BLOCK entries (a video stream's 512 is one block), so the ring's start is
 * its block number times RING_BLOCK.
 */
export const RING_BLOCK = 512;
export const sendRings = new SlotTable(RING_BLOCK * RING_ENTRY, 8);
