/**
 * A werift RTCPeerConnection in a test or benchmark as the peer of a Fluo
 * WebRtcEndpoint: trickle ICE both ways, and a hook in front of what its ICE sockets
 * receive.
 */
import type { RTCPeerConnection } from 'werift';
import { forEachIceProtocol } from '../../src/media/webrtc/iceProtocols.ts';
import type { RpcClient } from './fluo.ts';

/**
 * Trickle ICE between `pc` and endpoint `ep`: Fluo's IceCandidateFound go to the peer
 * (after subscribing to them), the peer's candidates to addIceCandidate.
 */
export async function trickleIce(c: RpcClient, sid: string, ep: string, pc: RTCPeerConnection): Promise<void> {
  await c.ok('subscribe', { object: ep, type: 'IceCandidateFound', sessionId: sid });
  c.onEvent((e) => {
    const v = e.params?.value;
    if (v?.object === ep && v.type === 'IceCandidateFound') pc.addIceCandidate(v.data.candidate as { candidate: string }).catch(() => undefined);
  });
  pc.onIceCandidate.subscribe((cand) => {
    if (cand) void c.request('invoke', { object: ep, operation: 'addIceCandidate', operationParams: { candidate: cand.toJSON() }, sessionId: sid });
  });
}

/** werift-ice's per-candidate protocols, which call their receive method through `this`. */
interface Receiving { datagramReceived?: (data: Buffer, addr: unknown) => void }

/**
 * Puts `hook` in front of werift's receive method on each of the peer's ICE protocols
 * (private in werift's types) not wrapped yet: `pass` hands a datagram on to werift.
 * Call again once more protocols exist (after each description); `wrapped` remembers
 * which ones already are.
 */
export function interceptReceived(
  pc: RTCPeerConnection, wrapped: WeakSet<object>,
  hook: (data: Buffer, addr: unknown, pass: (data: Buffer, addr: unknown) => void) => void,
): void {
  forEachIceProtocol<Receiving>(pc, (p) => {
    const receive = p.datagramReceived?.bind(p);
    if (!receive || wrapped.has(p)) return;
    wrapped.add(p);
    p.datagramReceived = (data, addr) => hook(data, addr, receive);
  });
}
