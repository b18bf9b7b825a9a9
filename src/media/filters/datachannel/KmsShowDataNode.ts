import type { EmitFn } from '../../../shared/workerProtocol.ts';
import type { DataMessage } from '../../graph/MediaPacket.ts';
import type { NodeEngine } from '../../engine/NodeEngine.ts';
import { FilterNode, type FilterCore } from '../FilterNode.ts';

/** Longest text drawn (characters): a data channel message can be 256 KiB; a line on a picture cannot. */
const MAX_TEXT = 200;

/**
 * KMD `KmsShowData` (datachannelexample module): draws the last text message its DATA
 * input received on the video, top left, as kms-datachannelexample does with a
 * text overlay in "sans-serif, 26"; the audio passes through, and the data messages go
 * on to the element's DATA sinks (Kurento links its data input to its data output). The
 * seeds' Show DataChannel tutorial: `WebRtc(useDataChannels) → KmsShowData → WebRtc`,
 * text typed in the browser comes back drawn on the video (004 L6164-6554).
 *
 * Binary messages are drawn as UTF-8 text, as Kurento draws the buffer's bytes.
 * The overlay reads its `text` as Pango markup (measured: `A&lt;B` is drawn `A<B`, and
 * an unclosed tag draws nothing but a warning), so the message is escaped: it is drawn
 * as typed and cannot restyle the picture.
 */
export class KmsShowDataNode extends FilterNode {
  /** The last text set, and the property update in flight (one at a time, the newest wins). */
  #text = '';
  #setting: Promise<void> | undefined;
  #pending: string | undefined;

  constructor(id: string, emit: EmitFn, engine: NodeEngine) {
    super(id, emit, 'KmsShowData', engine, 'VIDEO');
  }

  protected core(): FilterCore {
    // clockoverlay with no time: textoverlay's own text is drawn the same way (both are
    // GstBaseTextOverlay), but textoverlay has a second, always sink pad (text_sink),
    // which the core bin's parse would expose as its input in place of the video's.
    return { fragment: 'clockoverlay name=text time-format="" font-desc="sans-serif, 26" valignment=top halignment=left text=""' };
  }

  override deliverData(msg: DataMessage): void {
    this.flow.packet('in', 'DATA');
    const text = (typeof msg.data === 'string' ? msg.data : msg.data.toString('utf8')).slice(0, MAX_TEXT);
    this.#show(text);
    super.deliverData(msg);
  }

  #show(text: string): void {
    if (this.#setting) {
      this.#pending = text;
      return;
    }
    if (text === this.#text) return;
    this.#text = text;
    this.#setting = this.ready()
      .then((bin) => bin.setProperty('text', 'text', escapeMarkup(text)))
      // A filter whose engine part is gone (released, or its engine died and it is being
      // rebuilt) draws the next message instead; the Error event already said why.
      .catch(() => undefined)
      .finally(() => {
        this.#setting = undefined;
        const next = this.#pending;
        this.#pending = undefined;
        if (next !== undefined) this.#show(next);
      });
  }
}

/** Text as Pango markup that draws it literally. */
function escapeMarkup(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
