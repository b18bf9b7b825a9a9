/**
 * Time of a whole first call's setup as an application sees it (issue 14 item 3): create
 * a MediaPipeline and a WebRtcEndpoint, processOffer of a werift peer's offer (audio and
 * video, receive-only), then the pipeline released. On a fresh or long-idle server this
 * is where a cold media worker showed (0.4-1.3 s, against 5-10 ms on a running one).
 */
import { RTCPeerConnection } from 'werift';
import type { RpcClient } from '../test/helpers/fluo.ts';

export async function firstProcessOffer(c: RpcClient, sid: string): Promise<{ processOfferMs: number; totalMs: number }> {
  const pc = new RTCPeerConnection();
  try {
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    const v = async (method: string, params: Record<string, unknown>): Promise<string> => (await c.ok(method, { ...params, sessionId: sid })).value as string;
    const t0 = performance.now();
    const P = await v('create', { type: 'MediaPipeline' });
    const ep = await v('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P } });
    const t1 = performance.now();
    await v('invoke', { object: ep, operation: 'processOffer', operationParams: { offer: pc.localDescription!.sdp } });
    const t2 = performance.now();
    await v('release', { object: P });
    return { processOfferMs: t2 - t1, totalMs: t2 - t0 };
  } finally {
    await pc.close();
  }
}
