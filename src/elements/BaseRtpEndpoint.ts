import { SdpEndpoint } from './SdpEndpoint.ts';
import type { Params } from '../core/types.ts';
import type { EventMessage, Wire } from '../shared/workerProtocol.ts';
import { DEFAULT_BANDWIDTH } from '../shared/bandwidth.ts';

/** Properties whose value the media node applies (bitrate limits, MTU, REMB), Kurento names. */
const MEDIA_PROPERTIES = new Set([
  'minVideoRecvBandwidth', 'minVideoSendBandwidth', 'maxVideoSendBandwidth', 'maxVideoRecvBandwidth',
  'maxAudioRecvBandwidth', 'mtu', 'rembParams',
]);

/** What getters answer before a bitrate property is set: the media node's own defaults. */
const BANDWIDTH_DEFAULTS: Readonly<Record<string, number>> = { ...DEFAULT_BANDWIDTH, maxAudioRecvBandwidth: 0 };

/**
 * KMD `BaseRtpEndpoint`: connection and media state, keyframe requests, bitrate
 * settings. The states follow the node's reports: `ConnectionStateChanged` when the
 * transport connects or drops, `MediaStateChanged` when RTCP starts or stops arriving.
 */
export class BaseRtpEndpoint extends SdpEndpoint {
  #connectionState: 'DISCONNECTED' | 'CONNECTED' = 'DISCONNECTED';
  #mediaState: 'DISCONNECTED' | 'CONNECTED' = 'DISCONNECTED';

  /**
   * The defaults the KMD documents in prose for the bitrate properties (kbps), which its
   * JSON does not carry: getMaxVideoSendBandwidth answers 500 as with KMS. They are
   * the media node's (shared/bandwidth.ts DEFAULT_BANDWIDTH), so the getters
   * and the REMB rules cannot disagree.
   */
  override getProperty(name: string): unknown {
    const v = super.getProperty(name);
    return v === undefined && name in BANDWIDTH_DEFAULTS ? BANDWIDTH_DEFAULTS[name] : v;
  }

  getConnectionState(): string {
    return this.#connectionState;
  }

  getMediaState(): string {
    return this.#mediaState;
  }

  async requestKeyframe(_p: Params): Promise<void> {
    await this.mediaCall('requestKeyframe', {});
  }

  override async getStats(p: Params): Promise<Record<string, unknown>> {
    return (await this.mediaCall('getStats', { mediaType: (p.mediaType as string | undefined) ?? null, latency: this.pipeline?.latencyStats ?? false })) ?? {};
  }

  protected override propertyChanged(name: string, value: unknown): void {
    if (MEDIA_PROPERTIES.has(name)) this.mediaPost('setProperty', { name, value: value as Wire });
    super.propertyChanged(name, value);
  }

  override mediaEvent(event: EventMessage): void {
    if (event.name === 'ConnectionStateChanged') {
      if (event.data.newState === this.#connectionState) return;
      this.#connectionState = event.data.newState;
    } else if (event.name === 'MediaStateChanged') {
      if (event.data.newState === this.#mediaState) return;
      this.#mediaState = event.data.newState;
    }
    super.mediaEvent(event);
  }
}
