import { BaseRtpEndpoint } from './BaseRtpEndpoint.ts';
import type { ObjectInit, Params } from '../core/types.ts';
import type { SdesOptions } from '../shared/workerProtocol.ts';

/**
 * KMD `RtpEndpoint`: plain RTP, or SRTP with SDES keys (constructor `crypto`), over UDP,
 * negotiated with SDP both ways. The media node is RtpEndpointNode.
 */
export class RtpEndpoint extends BaseRtpEndpoint {
  constructor(init: ObjectInit, params: Params) {
    super(init);
    const ports = init.settings.modules.BaseRtpEndpoint ?? {};
    this.createMedia('RtpEndpoint', {
      crypto: (params.crypto ?? null) as SdesOptions | null,
      useIpv6: params.useIpv6 === true,
      minPort: ports.minPort ?? null,
      maxPort: ports.maxPort ?? null,
    });
  }
}
