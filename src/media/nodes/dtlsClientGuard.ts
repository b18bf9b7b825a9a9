import type { RTCDtlsTransport } from 'werift';

/** werift's DTLS socket as the guard reads it (private in werift's types). */
interface DtlsSocketLike {
  connected?: boolean;
  onHandleHandshakes?: (assembled: unknown[]) => Promise<void>;
}

const guarded = new WeakSet<object>();

/**
 * Makes werift's DTLS client ignore handshake messages once the handshake is over.
 * Fluo is the DTLS client whenever it answers an offer (werift answers a=setup:active,
 * RFC 8842 §5.3), which is how every Kurento tutorial connects. werift's client only
 * skips a ServerHello after connecting: a retransmission of the server's flight 4 that
 * comes split over datagrams (the server's timer fired before our flight 5 reached it,
 * or the network duplicated it) makes it run flight 5 again, with a new key exchange,
 * and replace the record keys the server still uses, so the data channel goes dead
 * (reproduced in test/media/dtls-retransmission.test.ts). In DTLS 1.2 the client has
 * nothing to answer once it holds the server's Finished: flight 6 is the last, and
 * repeats of earlier flights are discarded (RFC 6347 §4.2.4). Call once the transport
 * is connected; other roles and states are left alone. True when the guard was set.
 */
export function ignoreHandshakesOnceConnected(transport: RTCDtlsTransport): boolean {
  if (transport.role !== 'client') return false;
  const socket = (transport as unknown as { dtls?: DtlsSocketLike }).dtls;
  const inner = socket?.onHandleHandshakes;
  if (!socket || !inner || guarded.has(socket)) return false;
  guarded.add(socket);
  socket.onHandleHandshakes = (assembled) => (socket.connected ? Promise.resolve() : inner.call(socket, assembled));
  return true;
}
