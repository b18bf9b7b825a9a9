/**
 * What the engine tests send and look at: a gst-launch VP8 RTP sender, a UDP receiver
 * that records RTP packets, and the H.264 NAL unit types they carry (RFC 6184 section 5).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { EngineProcess } from '../../src/engine/EngineProcess.ts';
import type { EngineEvent } from '../../src/engine/protocol.ts';

export interface RtpPacket {
  at: number;
  pt: number;
  seq: number;
  ssrc: number;
  marker: boolean;
  size: number;
  payload: Buffer;
}

/** RFC 3550 section 5.1: fixed header, CSRCs and the extension skipped. */
export function parseRtp(b: Buffer, at = Date.now()): RtpPacket | null {
  if (b.length < 12 || b[0] >> 6 !== 2) return null;
  let off = 12 + (b[0] & 0x0f) * 4;
  if (b[0] & 0x10) off += 4 + b.readUInt16BE(off + 2) * 4;
  let end = b.length;
  if (b[0] & 0x20) end -= b[b.length - 1];
  return { at, pt: b[1] & 0x7f, marker: (b[1] & 0x80) !== 0, seq: b.readUInt16BE(2), ssrc: b.readUInt32BE(8), size: b.length, payload: b.subarray(off, end) };
}

/**
 * NAL unit types that start in this H.264 RTP payload (RFC 6184 5.6-5.8): a single NAL
 * unit, each unit of a STAP-A (24), or an FU-A (28) whose start bit is set.
 */
export function h264NalTypes(payload: Buffer): number[] {
  if (payload.length < 1) return [];
  const type = payload[0] & 0x1f;
  if (type >= 1 && type <= 23) return [type];
  if (type === 24) {
    const out: number[] = [];
    for (let off = 1; off + 2 < payload.length;) {
      const size = payload.readUInt16BE(off);
      out.push(payload[off + 2] & 0x1f);
      off += 2 + size;
    }
    return out;
  }
  if (type === 28 && payload.length > 1 && payload[1] & 0x80) return [payload[1] & 0x1f];
  return [];
}

/** A UDP socket on 127.0.0.1 that keeps every RTP packet it receives. */
export class RtpReceiver {
  readonly packets: RtpPacket[] = [];
  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (b) => { const p = parseRtp(b); if (p) this.packets.push(p); });
  }

  static async open(): Promise<RtpReceiver> {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new RtpReceiver(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Bits per second received between two times (ms since epoch). */
  bitrate(from: number, to: number): number {
    const bytes = this.packets.filter((p) => p.at >= from && p.at < to).reduce((n, p) => n + p.size, 0);
    return (bytes * 8 * 1000) / (to - from);
  }

  close(): void {
    this.socket.close();
  }
}

/** A free UDP port on 127.0.0.1 (bound then released: the caller binds it soon after). */
export { freeUdpPort } from '../helpers/gstreamer.ts';

export const VP8_CAPS = 'application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96';

/** A live VP8 RTP sender to 127.0.0.1:`port` (media-probe-notes' encoder settings), a keyframe every `keyframeDist` frames. */
export function startVp8Sender(port: number, { width = 320, height = 240, fps = 30, keyframeDist = 30 } = {}): ChildProcess {
  const args = [
    '-q', 'videotestsrc', 'is-live=true', 'pattern=ball', '!', `video/x-raw,width=${width},height=${height},framerate=${fps}/1`,
    '!', 'vp8enc', 'deadline=1', 'cpu-used=4', 'threads=1', 'lag-in-frames=0', `keyframe-max-dist=${keyframeDist}`, 'end-usage=cbr', 'target-bitrate=500000',
    '!', 'rtpvp8pay', 'pt=96', 'mtu=1200', '!', 'udpsink', 'host=127.0.0.1', `port=${port}`, 'sync=false',
  ];
  return spawn('gst-launch-1.0', args, { stdio: 'ignore' });
}

/** Ends a child process and waits for it. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = once(child, 'exit');
  child.kill('SIGKILL');
  await gone;
}

/** True while a process with this pid exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Polls every 20 ms; throws with `what` after `timeoutMs`. */
export async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

export interface EngineFixture {
  engine: EngineProcess;
  /** Every event the engine sent, in order. */
  events: EngineEvent[];
  /** A private temporary folder for generated media, removed after the file's tests. */
  dir: string;
}

/** One engine process for a test file (started before its tests, stopped after), with its events and a temp folder. */
export function engineFixture(): EngineFixture {
  const f = { events: [] as EngineEvent[] } as EngineFixture;
  before(async () => {
    f.engine = await EngineProcess.start();
    f.engine.on('event', (e) => f.events.push(e));
    f.dir = mkdtempSync(join(tmpdir(), 'fluo-engine-'));
  });
  after(async () => {
    await f.engine?.stop();
    if (f.dir) rmSync(f.dir, { recursive: true, force: true });
  });
  return f;
}
