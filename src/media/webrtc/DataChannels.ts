import type { RTCDataChannel, RTCPeerConnection } from 'werift';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { DataChannelArgs } from '../../shared/workerProtocol.ts';
import type { DataMessage } from '../graph/MediaPacket.ts';

/** What the endpoint is told of its channels. */
export interface DataChannelEvents {
  emit(name: 'DataChannelOpened' | 'DataChannelClosed', data: { channelId: number }): void;
  /** A message the peer sent on a channel, to go to the DATA sinks. */
  message(msg: DataMessage): void;
}

/**
 * The data channels of one WebRtcEndpoint (RFC 8831), by SCTP stream id: those the peer
 * opens and those `createDataChannel` opens. Kurento numbers channels by their stream id
 * (DataChannelOpened/Closed `channelId`, `closeDataChannel`).
 */
export class DataChannels {
  readonly #open = new Map<number, RTCDataChannel>();
  readonly #events: DataChannelEvents;

  constructor(events: DataChannelEvents) {
    this.#events = events;
  }

  /** Follows a channel: announced when open, forgotten when closed, its messages passed on. */
  add(ch: RTCDataChannel): void {
    const register = (): void => {
      const id = ch.id ?? -1;
      if (this.#open.has(id)) return;
      this.#open.set(id, ch);
      this.#events.emit('DataChannelOpened', { channelId: id });
    };
    if (ch.readyState === 'open') register();
    else ch.stateChanged.subscribe((s) => { if (s === 'open') register(); });
    ch.stateChanged.subscribe((s) => {
      if (s === 'closed' && this.#open.get(ch.id ?? -1) === ch) {
        this.#open.delete(ch.id ?? -1);
        this.#events.emit('DataChannelClosed', { channelId: ch.id ?? -1 });
      }
    });
    ch.onMessage.subscribe((data) => {
      this.#events.message({ label: ch.label, data: typeof data === 'string' ? data : Buffer.from(data) });
    });
  }

  /** KMD WebRtcEndpoint.createDataChannel; the parameters were checked by the element. */
  create(pc: RTCPeerConnection, a: DataChannelArgs): void {
    this.add(pc.createDataChannel(String(a.label ?? ''), {
      ordered: a.ordered !== false,
      ...(Number(a.maxPacketLifeTime) >= 0 ? { maxPacketLifeTime: Number(a.maxPacketLifeTime) } : {}),
      ...(Number(a.maxRetransmits) >= 0 ? { maxRetransmits: Number(a.maxRetransmits) } : {}),
      protocol: String(a.protocol ?? ''),
    }));
  }

  /** KMD WebRtcEndpoint.closeDataChannel. */
  close(channelId: number): void {
    const ch = this.#open.get(channelId);
    if (!ch) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `No data channel with id ${String(channelId)}`);
    ch.close();
  }

  /** Sends a message from a DATA source on the open channel of its label, or the first open one. False when none is open. */
  send(msg: DataMessage): boolean {
    const open = [...this.#open.values()].filter((c) => c.readyState === 'open');
    const ch = open.find((c) => c.label === msg.label) ?? open[0];
    if (!ch) return false;
    ch.send(msg.data);
    return true;
  }

  closeAll(): void {
    for (const ch of this.#open.values()) {
      try { ch.close(); } catch { /* closing anyway */ }
    }
    this.#open.clear();
  }
}
