import type { RTCPeerConnection, RTCDataChannel } from 'werift';
import { KurentoError } from '../core/KurentoError.ts';
import type { DataChannelOptions } from './types.ts';

interface Callbacks {
  opened(id: number, label: string): void;
  closed(id: number): void;
  message(id: number, data: string | Buffer): void;
}

/**
 * The SCTP data channels of one transport, keyed by SCTP stream id, which is the
 * Kurento `channelId` (DataChannelOpened / closeDataChannel). werift picks the id when
 * the SCTP association is up (even for the DTLS client, odd for the server, RFC 8832
 * §6), so a locally created channel's id is known only once it opens.
 */
export class DataChannels {
  readonly #byId = new Map<number, RTCDataChannel>();
  readonly #seen = new WeakSet<RTCDataChannel>();
  #bound = false;

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly enabled: boolean,
    private readonly cb: Callbacks,
  ) {}

  get all(): ReadonlyMap<number, RTCDataChannel> {
    return this.#byId;
  }

  /** Listens for channels the peer opens (called once the SDP step is done). */
  bind(): void {
    if (this.#bound) return;
    this.#bound = true;
    this.pc.onDataChannel.subscribe((ch) => {
      if (this.enabled) this.#watch(ch);
      else ch.close();
    });
  }

  /**
   * Makes the offer carry an m=application section without opening a channel, as KMS
   * does with useDataChannels. werift only adds it once an SCTP transport exists, and
   * has no public call that creates one on its own.
   */
  ensureSctp(): void {
    if (this.pc.sctpTransport) return;
    (this.pc as unknown as { createSctpTransport(): void }).createSctpTransport();
  }

  create(label: string, opts: DataChannelOptions): Promise<number> {
    if (!this.enabled) throw new KurentoError('MEDIA_OBJECT_OPERATION_NOT_SUPPORTED', 'Data channels are not enabled (useDataChannels)');
    const has = (v: number | undefined): v is number => typeof v === 'number' && v >= 0;
    if (has(opts.maxPacketLifeTime) && has(opts.maxRetransmits)) {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', 'maxPacketLifeTime and maxRetransmits cannot both be set (RFC 8831 §6.4)');
    }
    const ch = this.pc.createDataChannel(label, {
      ordered: opts.ordered !== false,
      ...(has(opts.maxPacketLifeTime) ? { maxPacketLifeTime: opts.maxPacketLifeTime } : {}),
      ...(has(opts.maxRetransmits) ? { maxRetransmits: opts.maxRetransmits } : {}),
      protocol: opts.protocol ?? '',
    });
    const p = new Promise<number>((resolve, reject) => {
      ch.stateChanged.subscribe((s) => {
        if (s === 'open') resolve(ch.id);
        else if (s === 'closed') reject(new KurentoError('UNEXPECTED_ERROR', `Data channel '${label}' closed before it opened`));
      });
    });
    // The caller may fire and forget (Kurento's createDataChannel returns at once).
    p.catch(() => undefined);
    this.#watch(ch);
    return p;
  }

  close(id: number): void {
    const ch = this.#byId.get(id);
    if (!ch) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `No data channel with id ${id}`);
    ch.close();
  }

  send(id: number, data: string | Buffer): void {
    const ch = this.#byId.get(id);
    if (!ch || ch.readyState !== 'open') throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `Data channel ${id} is not open`);
    ch.send(data);
  }

  closeAll(): void {
    for (const ch of this.#byId.values()) {
      try { ch.close(); } catch { /* the transport goes away anyway */ }
    }
    this.#byId.clear();
  }

  #watch(ch: RTCDataChannel): void {
    if (this.#seen.has(ch)) return;
    this.#seen.add(ch);
    const opened = (): void => {
      if (this.#byId.get(ch.id) === ch) return;
      this.#byId.set(ch.id, ch);
      this.cb.opened(ch.id, ch.label);
    };
    if (ch.readyState === 'open') opened();
    ch.stateChanged.subscribe((s) => {
      if (s === 'open') opened();
      else if (s === 'closed' && this.#byId.get(ch.id) === ch) {
        this.#byId.delete(ch.id);
        this.cb.closed(ch.id);
      }
    });
    ch.onMessage.subscribe((data) => {
      if (this.#byId.get(ch.id) === ch) this.cb.message(ch.id, data);
    });
  }
}
