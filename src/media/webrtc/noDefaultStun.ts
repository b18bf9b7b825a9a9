import type { RTCPeerConnection } from 'werift';
import { Logger } from '../../log/Logger.ts';

const log = Logger.get('webrtcendpoint');
let warned = false;

/** The parts of werift-ice's Connection this reads and writes (private in werift's types). */
interface IceConnectionLike {
  options?: { stunServer?: unknown };
  stunServer?: unknown;
}
interface TransportLike {
  readonly iceTransport?: { readonly connection?: IceConnectionLike };
}
interface PeerInternals {
  readonly iceTransports: ReadonlyArray<{ readonly connection?: IceConnectionLike }>;
  readonly secureManager?: { createTransport(options?: unknown): TransportLike };
}

const guarded = new WeakSet<object>();

/**
 * Keeps werift's ICE agent off its built-in public STUN server. werift-ice's Connection
 * falls back to stun.l.google.com:19302 when no STUN server is configured
 * (`validateAddress(options.stunServer) ?? DEFAULT_STUN_SERVER`, werift 0.25), so every
 * WebRtcEndpoint's gathering looked the name up and sent a binding request to Google
 * from each IPv4 host socket: traffic Kurento never makes (it uses a STUN server only
 * when `stunServerAddress` is set, WebRtcEndpoint.conf.ini) and, where outbound UDP is
 * blocked, a gathering held until werift's STUN timeout. Passing no ICE servers is not
 * enough. Each ICE connection of `pc`, now and as werift creates them, answers its
 * configured STUN server or none; a server set later (setStunServerAddress) still counts.
 */
export function withoutDefaultStun(pc: RTCPeerConnection): void {
  const internals = pc as unknown as PeerInternals;
  for (const t of internals.iceTransports) if (t.connection) guard(t.connection);
  const manager = internals.secureManager;
  if (typeof manager?.createTransport !== 'function') {
    // A werift whose internals moved: say so once rather than let its default come back unseen.
    if (!warned) log.warn('werift has no secureManager.createTransport: its default public STUN server may be used (noDefaultStun.ts)');
    warned = true;
    return;
  }
  if (guarded.has(manager)) return;
  guarded.add(manager);
  const create = manager.createTransport.bind(manager);
  manager.createTransport = (options?: unknown) => {
    const transport = create(options);
    const connection = transport.iceTransport?.connection;
    if (connection) guard(connection);
    return transport;
  };
}

function guard(connection: IceConnectionLike): void {
  if (guarded.has(connection)) return;
  guarded.add(connection);
  let derived = connection.stunServer;
  // werift derives `stunServer` from its options in its constructor and again on every
  // setIceServers: what it derives stands only when a STUN server was configured.
  Object.defineProperty(connection, 'stunServer', {
    configurable: true,
    enumerable: true,
    get: () => (connection.options?.stunServer ? derived : undefined),
    set: (value: unknown) => { derived = value; },
  });
}
