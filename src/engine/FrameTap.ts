/**
 * Raw frames out of the engine into Node Buffers, for analysis in TypeScript.
 *
 * Not through appsink: node-gtk turns its byte arrays into JS Arrays, 84 ms per 640x480
 * frame (engine-host-notes, "Raw frames"); a pipe costs 0.2-1.6 ms. The tap is a named
 * FIFO in a private (0700) directory: the engine bin ends in `tap.sinkDescription()`
 * (a filesink writing each frame unbuffered), this side reads it as a non-blocking pipe
 * and cuts the byte stream into frames of the size the caller's caps give.
 *
 * Frame size: raw video rows are padded to 4 bytes (GStreamer's default strides), so use
 * GRAY8 or widths that are a multiple of 8 with I420 and frameSize = w*h (GRAY8), w*h*3/2 (I420).
 */
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FrameTapEvents {
  frame: [Buffer];
}

export class FrameTap extends EventEmitter<FrameTapEvents> {
  readonly path: string;
  private readonly dir: string;
  private readonly socket: Socket;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private closed = false;

  /** `frameSize`: bytes of one frame as the bin's caps before the sink say. */
  constructor(readonly frameSize: number) {
    super();
    if (!Number.isInteger(frameSize) || frameSize <= 0) throw new RangeError(`bad frame size ${frameSize}`);
    this.dir = mkdtempSync(join(tmpdir(), 'fluo-tap-'));
    this.path = join(this.dir, 'frames');
    // Node has no mkfifo; coreutils' is on every Debian.
    execFileSync('mkfifo', ['-m', '600', this.path]);
    // O_RDWR: this side also holds the FIFO open for writing, so a read never sees EOF
    // before the engine's filesink opens it, nor between two writers (Linux fifo(7)).
    const fd = openSync(this.path, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      this.socket = new Socket({ fd, readable: true, writable: false });
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.socket.on('data', (b: Buffer) => this.onData(b));
    this.socket.on('error', () => { /* closed under us: close() is the end */ });
  }

  /** The end of an engine bin description that writes raw frames into this tap. */
  sinkDescription(): string {
    return `filesink location=${this.path} buffer-mode=unbuffered sync=false`;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private onData(b: Buffer): void {
    this.pending.push(b);
    this.pendingBytes += b.length;
    if (this.pendingBytes < this.frameSize) return;
    let all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    while (all.length >= this.frameSize) {
      this.emit('frame', all.subarray(0, this.frameSize));
      all = all.subarray(this.frameSize);
    }
    this.pending = all.length ? [all] : [];
    this.pendingBytes = all.length;
  }
}
