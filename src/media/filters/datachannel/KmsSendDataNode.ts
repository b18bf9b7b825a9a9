import type { EmitFn } from '../../../shared/workerProtocol.ts';
import type { EngineEvent } from '../../../engine/protocol.ts';
import type { NodeEngine } from '../../engine/NodeEngine.ts';
import { FilterNode, type FilterCore } from '../FilterNode.ts';
import { zbarCore } from '../ZBarFilterNode.ts';

/** The label of the messages it sends (a WebRtcEndpoint sends them on its first open channel when none has it). */
const LABEL = 'KmsSendData';

/**
 * KMD `KmsSendData` (datachannelexample module): looks for QR and bar codes in the video
 * and sends each detection on its DATA output, as kms-datachannelexample does:
 * `Code detected in time <ts>, type <type>, symbol <symbol>`, `ts` being the frame's
 * timestamp in nanoseconds as zbar reports it. The video and audio pass through. The
 * seeds' Send DataChannel tutorial: `PlayerEndpoint → KmsSendData →
 * WebRtcEndpoint(useDataChannels)`, the codes shown in the browser (004 L5785-6163).
 *
 * As in Kurento, every scanned frame with a code is a message (zbar's cache off): a
 * code in view is reported again and again, here at the side branch's 10 frames per
 * second, not at the video's rate (ZBarFilterNode gives the costs).
 */
export class KmsSendDataNode extends FilterNode {
  constructor(id: string, emit: EmitFn, engine: NodeEngine) {
    super(id, emit, 'KmsSendData', engine, 'VIDEO');
  }

  protected core(): FilterCore {
    return zbarCore(false);
  }

  protected override onCoreEvent(e: EngineEvent): void {
    if (e.type !== 'element' || e.structure.name !== 'barcode') return;
    const { type, symbol, timestamp } = e.structure.fields;
    if (typeof type !== 'string' || typeof symbol !== 'string') return;
    const ts = typeof timestamp === 'number' ? timestamp : 0;
    this.forwardData({ label: LABEL, data: `Code detected in time ${ts}, type ${type}, symbol ${symbol}` });
    if (this.outputs.DATA.length) this.flow.packet('out', 'DATA');
  }
}
