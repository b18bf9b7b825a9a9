import type { RTCDtlsTransport } from 'werift';

/** The parts of werift's DTLS client socket this reads (private in werift's types). */
interface DtlsClientLike {
  connect?: () => Promise<void>;
  transport?: { send: (buf: Buffer, addr?: unknown) => unknown; socket?: { onData?: (data: Buffer) => void } };
}
/** werift's ICE connection as far as its nominated pair's round-trip time goes. */
interface IceConnectionLike { nominated?: { rtt?: number } }

const started = new WeakSet<object>();
/** Bounds of the early ClientHello's one quick repeat (ms). */
const RESEND_MIN_MS = 30;
const RESEND_MAX_MS = 100;

/**
 * Starts werift's DTLS client handshake as soon as the transport connects, instead of
 * 100 ms later. werift's client sleeps 100 ms between ICE connected and its ClientHello,
 * for a peer whose DTLS is not listening yet; that sleep was most of a subscriber's
 * join (ICE connected 21 ms after the answer, DTLS connected at 131 ms, here on
 * loopback, werift to werift). Kurento's answerer is the DTLS client and starts once
 * its ICE component is CONNECTED (kurento-conformance-notes, "Connection state"), which
 * is when werift calls `start`.
 *
 * Browsers keep a ClientHello that comes before their DTLS is up (libwebrtc caches it);
 * a peer that drops it instead (werift) gets it again once, after four round trips of
 * the nominated pair (30-100 ms), if nothing came back: the repeat goes through the
 * socket's send, which `renumberRetransmissions` makes a proper retransmission with a
 * new record number (RFC 6347 §4.2.4). werift's own timer (500 ms, then backing off)
 * covers any later loss. werift's own late `connect` call gets the same handshake.
 * Call when the transport reports 'connecting', after `renumberRetransmissions`.
 */
export function startClientNow(transport: RTCDtlsTransport): boolean {
  if (transport.role !== 'client') return false;
  const socket = (transport as unknown as { dtls?: DtlsClientLike }).dtls;
  const ctx = socket?.transport;
  const connect = socket?.connect;
  const udp = ctx?.socket;
  if (!socket || !ctx || !connect || !udp?.onData || started.has(socket)) return false;
  started.add(socket);
  let handshake: Promise<void> | undefined;
  socket.connect = () => (handshake ??= connect.call(socket));

  let heard = false;
  const onData = udp.onData;
  udp.onData = (data) => {
    heard = true;
    udp.onData = onData;
    onData(data);
  };
  let first: { buf: Buffer; addr: unknown } | undefined;
  const send = ctx.send;
  ctx.send = (buf, addr) => {
    first = { buf, addr };
    ctx.send = send;
    return send.call(ctx, buf, addr);
  };
  // werift attaches its failure handling to its own (later) call, which gets this
  // same promise; this call only starts it.
  socket.connect().catch(() => undefined);

  const rtt = (transport.iceTransport.connection as unknown as IceConnectionLike).nominated?.rtt;
  const wait = rtt === undefined ? RESEND_MAX_MS : Math.min(RESEND_MAX_MS, Math.max(RESEND_MIN_MS, rtt * 4000));
  setTimeout(() => {
    if (!heard && first && transport.state === 'connecting') void Promise.resolve(send.call(ctx, first.buf, first.addr)).catch(() => undefined);
  }, wait).unref();
  return true;
}
