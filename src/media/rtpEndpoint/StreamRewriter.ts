/**
 * Rewrites the SSRC, sequence number and timestamp of one outgoing RTP stream so that a
 * receiver sees one continuous stream across source switches (RFC 3550 §5.1, §8.2):
 * when the incoming SSRC changes, the next packet continues at sequence+1 and at a
 * timestamp advanced by the wall time elapsed since the last packet. Arithmetic is
 * modulo 2^16 and 2^32 (RFC 1982 serial numbers).
 */
export class StreamRewriter {
  readonly ssrc: number;
  readonly #clockRate: number;
  readonly #now: () => number;
  #srcSsrc: number | undefined;
  #seqOffset = 0;
  #tsOffset = 0;
  #lastSeq: number | undefined;
  #lastTs: number | undefined;
  #lastAt = 0;
  /** Set by `splice`: the next packet continues this far after the last one (ms). */
  #spliceMs: number | undefined;
  /** Set by `restart`: the next packet starts a new source even with the same SSRC. */
  #restart = false;
  packets = 0;
  octets = 0;

  constructor(ssrc: number, clockRate: number, now: () => number = () => performance.now()) {
    this.ssrc = ssrc >>> 0;
    this.#clockRate = clockRate;
    this.#now = now;
  }

  /**
   * Rewrites `buf` (a whole RTP packet) in place. Reordered or repeated packets keep
   * their relative position: the receiver's jitter buffer sorts them out. `now`: the
   * rewriter's clock, when the caller just read it.
   */
  rewrite(buf: Buffer, payloadType: number, now: number = this.#now()): void {
    const srcSsrc = buf.readUInt32BE(8);
    const seq = buf.readUInt16BE(2);
    const ts = buf.readUInt32BE(4);
    if (srcSsrc !== this.#srcSsrc || this.#spliceMs !== undefined || this.#restart) {
      this.#srcSsrc = srcSsrc;
      if (this.#lastSeq === undefined) {
        this.#seqOffset = 0;
        this.#tsOffset = 0;
      } else {
        const ms = this.#spliceMs ?? now - this.#lastAt;
        const elapsed = Math.max(1, Math.round((ms / 1000) * this.#clockRate));
        this.#seqOffset = (this.#lastSeq + 1 - seq) & 0xffff;
        this.#tsOffset = (this.#lastTs! + elapsed - ts) >>> 0;
      }
      this.#spliceMs = undefined;
      this.#restart = false;
    }
    const outSeq = (seq + this.#seqOffset) & 0xffff;
    const outTs = (ts + this.#tsOffset) >>> 0;
    buf[1] = (buf[1]! & 0x80) | (payloadType & 0x7f);
    buf.writeUInt16BE(outSeq, 2);
    buf.writeUInt32BE(outTs, 4);
    buf.writeUInt32BE(this.ssrc, 8);
    // Keep the highest sequence sent (serial order, RFC 1982) as the base for a switch.
    if (this.#lastSeq === undefined || ((outSeq - this.#lastSeq) & 0xffff) < 0x8000) {
      this.#lastSeq = outSeq;
      this.#lastTs = outTs;
      this.#lastAt = now;
    }
    this.packets++;
    this.octets += buf.length - 12;
  }

  /**
   * The next packet continues `gapMs` after the last one, whatever time passed
   * meanwhile: a recording resumed after a pause keeps no gap.
   */
  splice(gapMs: number): void {
    this.#spliceMs = gapMs;
  }

  /**
   * The next packet comes from another source, even if it carries the same SSRC (two
   * engine-made streams do): it continues after the last one by the wall time elapsed.
   */
  restart(): void {
    this.#restart = true;
  }

  get lastTimestamp(): number | undefined {
    return this.#lastTs;
  }
}
