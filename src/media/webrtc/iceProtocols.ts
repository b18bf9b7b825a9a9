import type { RTCPeerConnection } from 'werift';

/**
 * Calls `fn` with each of werift-ice's per-candidate protocols of a peer connection
 * (host UDP, STUN over TURN, ICE-TCP) and the ICE connection it belongs to. werift keeps
 * both private in its types: `C` and `P` are the parts the caller reads.
 */
export function forEachIceProtocol<P extends object, C extends object = object>(pc: RTCPeerConnection, fn: (protocol: P, connection: C) => void): void {
  for (const t of pc.iceTransports) {
    const connection = t.connection as unknown as C & { protocols?: P[] };
    for (const p of connection.protocols ?? []) fn(p, connection);
  }
}
