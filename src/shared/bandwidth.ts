/**
 * Bitrate defaults both planes need: the control plane answers the getters with them
 * before a value is set, the media plane applies them (BandwidthPolicy).
 */

/** The bitrate properties of a BaseRtpEndpoint in kbps, with the KMD's documented defaults. */
export interface BandwidthSettings {
  minVideoRecvBandwidth: number;
  maxVideoRecvBandwidth: number;
  minVideoSendBandwidth: number;
  maxVideoSendBandwidth: number;
}

export const DEFAULT_BANDWIDTH: Readonly<BandwidthSettings> = {
  minVideoRecvBandwidth: 0, maxVideoRecvBandwidth: 0, minVideoSendBandwidth: 100, maxVideoSendBandwidth: 500,
};
