import type { RTCDtlsTransport } from 'werift';

/** The parts of werift's DTLS client socket this reads (private in werift's types). */
interface DtlsClientLike {
  connect?: () => Promise<void>;
  transport?: { send: (buf: Buffer, addr?: unknown) => unknown; socket?: { onData?: (data: Buffer) => void } };
}
/** werift's ICE connection as far as its nominated pair's round-trip time goes. */
interface IceConnectionLike { nominated?: { rtt?: number } }

const started = new WeakSet<object>();
/** Bounds of the first quick repeat of the early ClientHello (ms). */
const RESEND_MIN_MS = 30;
const RESEND_MAX_MS = 100;
/** Quick repeats stop before werift's own first retransmission (500 ms). */
const RESEND_UNTIL_MS = 450;

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
 * a peer that drops it instead (werift) gets it again every four round trips of the
 * nominated pair (30-100 ms) while nothing came back, until werift's own timer takes
 * over at 500 ms: the peer's ICE may report connected well after ours (45 ms later here
 * with two host candidates each, where a single repeat at 30 ms was dropped too and the
 * join waited for werift's 500 ms timer; repeats at doubling intervals still cost 60-140
 * ms). A ClientHello is a few hundred bytes: at most 15 of them. Repeats go through the
 * socket's send, which `renumberRetransmissions` makes proper retransmissions with new
 * record numbers (RFC 6347 §4.2.4); a server answers each with its flight, as for any
 * retransmitted ClientHello. werift's own timer (500 ms,
 * then backing off) covers any later loss. werift's own late `connect` call gets the
 * same handshake.
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
  let at = 0;
  const timer = setInterval(() => {
    if (heard || !first || transport.state !== 'connecting') return clearInterval(timer);
    void Promise.resolve(send.call(ctx, first.buf, first.addr)).catch(() => undefined);
    at += wait;
    if (at >= RESEND_UNTIL_MS) clearInterval(timer);
  }, wait);
  timer.unref();
  return true;
}
