import type { EmitFn, FormatSet, MediaNode } from '../graph/MediaNode.ts';
import type { Edge } from '../graph/Edge.ts';
import type { RtpCodecInfo } from '../graph/MediaPacket.ts';
import type { PipeMessage, PipeOptions } from '../../shared/workerProtocol.ts';
import { mediaCounters } from '../worker/mediaCounters.ts';
import { pipeLinks, type PipeLinks } from './PipeLinks.ts';
import { PipeEndNode } from './PipeEndNode.ts';

/**
 * The far end of a pipe (issue 14 item 6): on a worker holding sinks of a source that
 * lives on another worker, it stands for that source. Packets from the PipeOut are
 * forwarded to its sinks as the source's own would be; keyframe requests go back to
 * the source's worker, and the sinks' bandwidth goes back as their lowest.
 */
export class PipeInNode extends PipeEndNode {
  /** The codecs announced by the PipeOut, by id: one object per format, as a source keeps (edges route by codec object). */
  readonly #codecs = new Map<number, RtpCodecInfo>();
  #formats: Record<'AUDIO' | 'VIDEO', FormatSet> = { AUDIO: [], VIDEO: [] };
  /** When each video sink was linked here: a keyframe the source sent before never reached it. */
  readonly #linkedAt = new Map<MediaNode, number>();
  /** What each video sink said it can take (bps), and the lowest last sent upstream. */
  readonly #bandwidth = new Map<MediaNode, number>();
  #sentBps: number | undefined;

  constructor(id: string, emit: EmitFn, options: PipeOptions, links: PipeLinks = pipeLinks) {
    super(id, emit, 'PipeIn', options, links);
    this.post({ t: 'hello', pipe: this.pipe });
  }

  override produces(kind: 'AUDIO' | 'VIDEO'): FormatSet {
    return this.#formats[kind];
  }

  override receive(m: PipeMessage): void {
    switch (m.t) {
      case 'rtp': {
        const codec = this.#codecs.get(m.codec);
        if (!codec) return;
        mediaCounters.pipedPacketsReceived++;
        this.forward(m.kind, { codec, buf: Buffer.from(m.buf.buffer, m.buf.byteOffset, m.buf.byteLength), at: m.at - performance.timeOrigin });
        break;
      }
      case 'codec': this.#codecs.set(m.id, m.codec); break;
      case 'data': this.forwardData({ label: m.label, data: typeof m.data === 'string' ? m.data : Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength) }); break;
      case 'formats':
        this.#formats = { AUDIO: m.audio, VIDEO: m.video };
        this.formatsChanged();
        break;
      case 'eos': this.signalEndOfStream(); break;
      default: break;
    }
  }

  override requestKeyframe(from: MediaNode): void {
    const readySince = Math.max(from.readySince, this.#linkedAt.get(from) ?? 0);
    this.post({ t: 'keyframe', pipe: this.pipe, readySince: readySince + performance.timeOrigin });
  }

  override reportBandwidth(from: MediaNode, bps: number): void {
    this.#bandwidth.set(from, bps);
    this.#sendBandwidth();
  }

  override outputAdded(edge: Edge): void {
    if (edge.kind === 'VIDEO') this.#linkedAt.set(edge.sink, performance.now());
    super.outputAdded(edge);
  }

  override outputRemoved(edge: Edge): void {
    if (edge.kind !== 'VIDEO') return;
    this.#linkedAt.delete(edge.sink);
    this.#bandwidth.delete(edge.sink);
    this.#sendBandwidth();
  }

  #sendBandwidth(): void {
    let bps = Infinity;
    for (const v of this.#bandwidth.values()) bps = Math.min(bps, v);
    if (bps === this.#sentBps) return;
    this.#sentBps = bps;
    this.post({ t: 'bandwidth', pipe: this.pipe, bps });
  }
}
