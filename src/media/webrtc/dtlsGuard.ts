import type { RTCDtlsTransport } from 'werift';

/** werift's DTLS socket as the guard reads it (private in werift's types). */
interface DtlsSocketLike {
  connected?: boolean;
  /** The handshake's state; `cookie` is set once the client answered a HelloVerifyRequest. */
  dtls?: { cookie?: Buffer };
  onHandleHandshakes?: (assembled: Array<{ msg_type: number }>) => Promise<void>;
  flight5?: Flight5Like;
}
/** werift's client flight 5 (ClientKeyExchange ... Finished) as the guard wraps it. */
interface Flight5Like {
  exec: () => Promise<void>;
}

const guarded = new WeakSet<object>();
/** HandshakeType client_hello (RFC 5246 §7.4) and hello_verify_request (RFC 6347 §4.3.2). */
const CLIENT_HELLO = 1;
const HELLO_VERIFY_REQUEST = 3;

/**
 * Makes werift's DTLS socket ignore the handshake messages that would undo a finished
 * handshake. In DTLS 1.2 repeats of earlier flights are discarded once a side holds
 * the peer's Finished (RFC 6347 §4.2.4), and WebRTC peers never renegotiate; werift
 * does otherwise, each time on copies a network may deliver late or twice:
 *  - as the client (Fluo answers an offer: werift answers a=setup:active, RFC 8842
 *    §5.3, which is how every Kurento tutorial connects), werift only skips a
 *    ServerHello after connecting: a copy of the server's flight 4 split over
 *    datagrams made it run flight 5 again with a new key exchange and replace the
 *    record keys the server still uses. The client has nothing left to answer, so
 *    every handshake message is dropped;
 *  - as the server (Fluo offers), a ClientHello after connecting reset its whole
 *    state (werift's `renegotiation`) and with it the record keys. ClientHellos are
 *    dropped; the rest goes on, so a repeated client flight 5 still gets flight 6 again.
 * Either way the data channel went dead (test/media/dtls-retransmission.test.ts).
 * During the handshake too, one repeat: a client that answered a HelloVerifyRequest
 * gets another one for each copy of its first ClientHello the server saw (Fluo repeats
 * it until the peer answers, dtlsClientStart.ts; a network may duplicate it). A
 * HelloVerifyRequest is stateless and its answer is already on the way (RFC 6347
 * §4.2.1), so later ones are dropped: werift threw on the second one, reported the
 * transport FAILED and never CONNECTED, although the handshake went on and media
 * flowed (a peer that sends HelloVerifyRequests: werift, pion).
 * Call as soon as werift has made the socket (DTLS 'connecting'): werift marks the
 * socket connected when it holds the peer's Finished, a while before the transport
 * says 'connected', and copies arriving in between are to be dropped too. True when
 * the guard was set.
 */
export function guardFinishedHandshake(transport: RTCDtlsTransport): boolean {
  const role = transport.role;
  if (role !== 'client' && role !== 'server') return false;
  const socket = (transport as unknown as { dtls?: DtlsSocketLike }).dtls;
  const inner = socket?.onHandleHandshakes;
  if (!socket || !inner || guarded.has(socket)) return false;
  guarded.add(socket);
  if (role === 'client') holdFlight5AfterFinished(socket);
  socket.onHandleHandshakes = (assembled) => {
    if (!socket.connected) {
      if (role !== 'client' || !socket.dtls?.cookie) return inner.call(socket, assembled);
      const rest = assembled.filter((h) => h.msg_type !== HELLO_VERIFY_REQUEST);
      return rest.length ? inner.call(socket, rest) : Promise.resolve();
    }
    const rest = role === 'client' ? [] : assembled.filter((h) => h.msg_type !== CLIENT_HELLO);
    return rest.length ? inner.call(socket, rest) : Promise.resolve();
  };
  return true;
}

/**
 * werift's client makes a new flight 5 for each copy of the server's flight 4 and runs
 * it once the copy's ServerHelloDone is handled, after awaits. When the server's
 * Finished arrived during those awaits, the late run started a new key exchange after
 * the handshake and retransmitted it for 27.5 s (nothing answers it), holding the
 * worker's timers long after a release. A flight 5 that starts once the socket holds
 * the server's Finished does nothing.
 */
function holdFlight5AfterFinished(socket: DtlsSocketLike): void {
  let current = socket.flight5;
  Object.defineProperty(socket, 'flight5', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (flight: Flight5Like | undefined) => {
      current = flight;
      if (!flight || typeof flight.exec !== 'function') return;
      const exec = flight.exec.bind(flight);
      flight.exec = () => (socket.connected ? Promise.resolve() : exec());
    },
  });
}
