import type dgram from 'node:dgram';
import type { RTCPeerConnection } from 'werift';
import { forEachIceProtocol } from '../webrtc/iceProtocols.ts';

/**
 * Receive buffer asked for on every media UDP socket. A publisher's keyframe arrives as
 * a burst of tens of packets at line rate, while the worker spends (packets x sinks)
 * forwarding the ones before it: with Linux's default (rmem_default, 208 KiB, about 90
 * full-size datagrams once the kernel's per-packet overhead is counted) such a burst
 * overflowed the publisher's socket at 80 subscribers in bench:sfu, and every
 * subscriber lost the same packets. The kernel grants at most net.core.rmem_max (raise
 * it for more); the memory is only used while packets wait.
 */
export const MEDIA_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** Asks for the media receive buffer on a bound socket; the kernel caps it silently. */
export function enlargeReceiveBuffer(socket: dgram.Socket, bytes = MEDIA_RECEIVE_BUFFER_BYTES): void {
  try {
    if (socket.getRecvBufferSize() < bytes) socket.setRecvBufferSize(bytes);
  } catch {
    // Not bound yet or already closed: nothing to enlarge.
  }
}

/** werift-ice's protocols, whose UDP transports hold a dgram socket (private in werift's types). */
interface ProtocolLike {
  readonly transport?: { readonly type?: string; readonly socket?: dgram.Socket };
}

/** Enlarges the receive buffers of a peer connection's UDP candidate sockets not seen before. */
export function enlargeIceReceiveBuffers(pc: RTCPeerConnection, seen: WeakSet<object>): void {
  forEachIceProtocol<ProtocolLike>(pc, (p) => {
    const socket = p.transport?.type === 'udp' ? p.transport.socket : undefined;
    if (!socket || seen.has(socket)) return;
    seen.add(socket);
    enlargeReceiveBuffer(socket);
  });
}
