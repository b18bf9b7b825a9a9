import type { EmitFn, FormatSet } from '../graph/MediaNode.ts';
import type { Edge } from '../graph/Edge.ts';
import type { DataMessage, MediaPacket, RtpCodecInfo } from '../graph/MediaPacket.ts';
import type { MediaKind, PipeCodec, PipeMessage, PipeOptions } from '../../shared/workerProtocol.ts';
import { mediaCounters } from '../worker/mediaCounters.ts';
import { pipeLinks, type PipeLinks } from './PipeLinks.ts';
import { PipeEndNode } from './PipeEndNode.ts';

/**
 * The source's end of a pipe (issue 14 item 6): a sink of the source on the source's
 * worker that carries each packet once to the worker where the pipe's PipeIn stands for
 * the source. It passes the far sinks' keyframe requests and bandwidth up to the source
 * as if it were one sink, and tells the far end what the source may send.
 */
export class PipeOutNode extends PipeEndNode {
  /** Codec ids announced to the far end, by codec object (a source keeps one object per format). */
  readonly #codecs = new Map<RtpCodecInfo, number>();

  constructor(id: string, emit: EmitFn, options: PipeOptions, links: PipeLinks = pipeLinks) {
    super(id, emit, 'PipeOut', options, links);
  }

  override deliver(kind: 'AUDIO' | 'VIDEO', pkt: MediaPacket): void {
    let codec = this.#codecs.get(pkt.codec);
    if (codec === undefined) {
      codec = this.#codecs.size;
      this.#codecs.set(pkt.codec, codec);
      this.post({ t: 'codec', pipe: this.pipe, id: codec, codec: plainCodec(pkt.codec) });
    }
    // A copy of its own, transferred: the packet's buffer may be a slice of a larger one
    // (structured clone would copy all of it), and the source reuses nothing it passed on.
    const buf = new Uint8Array(pkt.buf.length);
    buf.set(pkt.buf);
    if (this.post({ t: 'rtp', pipe: this.pipe, kind, codec, at: pkt.at + performance.timeOrigin, buf }, [buf.buffer])) mediaCounters.pipedPacketsSent++;
  }

  override deliverData(msg: DataMessage): void {
    const data = typeof msg.data === 'string' ? msg.data : Uint8Array.from(msg.data);
    this.post({ t: 'data', pipe: this.pipe, label: msg.label, data });
  }

  override endOfStream(_edge: Edge): void {
    this.post({ t: 'eos', pipe: this.pipe });
  }

  override inputChanged(_kind: MediaKind, edge: Edge | undefined): void {
    if (edge) this.#sendFormats();
  }

  override sourceFormatsChanged(_edge: Edge): void {
    this.#sendFormats();
  }

  override receive(m: PipeMessage): void {
    switch (m.t) {
      case 'hello': this.#sendFormats(); break;
      case 'keyframe':
        // The far sink's readiness stands for this node's: the source's rate limit then
        // knows whether a keyframe it just sent could have reached that sink.
        this.readySince = m.readySince - performance.timeOrigin;
        this.input('VIDEO')?.requestKeyframe(this);
        break;
      case 'bandwidth': this.input('VIDEO')?.reportBandwidth(this, m.bps); break;
      default: break;
    }
  }

  #sendFormats(): void {
    const of = (kind: 'AUDIO' | 'VIDEO'): PipeCodec[] | 'any' => plainFormats(this.input(kind)?.source.produces(kind) ?? []);
    this.post({ t: 'formats', pipe: this.pipe, audio: of('AUDIO'), video: of('VIDEO') });
  }
}

function plainCodec(c: RtpCodecInfo): PipeCodec {
  return { name: c.name, clockRate: c.clockRate, ...(c.channels !== undefined ? { channels: c.channels } : {}), ...(c.fmtp !== undefined ? { fmtp: c.fmtp } : {}) };
}

function plainFormats(f: FormatSet): PipeCodec[] | 'any' {
  return f === 'any' ? 'any' : f.map(plainCodec);
}
