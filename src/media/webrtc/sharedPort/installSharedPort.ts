import net from 'node:net';
import { UdpTransport } from 'werift';
import { Logger } from '../../../log/Logger.ts';
import { SharedUdpPort } from './SharedUdpPort.ts';
import { SharedTcpPort } from './SharedTcpPort.ts';

const log = Logger.get('webrtcendpoint');

type Init = (type: 'udp4' | 'udp6', options?: { portRange?: [number, number]; port?: number; interfaceAddresses?: unknown }) => Promise<unknown>;

let shared: SharedUdpPort | undefined;

/**
 * Single-port mode for this worker (issue 14 item 1): werift's UDP transports asked for
 * the port range [port, port + 1] (what `peerConfig` gives every endpoint in this mode) are
 * made on the worker's shared socket instead of a socket each. A small override of
 * werift's `UdpTransport.init`, the one place its ICE makes UDP sockets; anything else
 * is werift's own. When the port cannot be bound (taken), an endpoint falls back to a
 * socket of its own in the OS's range, said once in the log.
 */
export function installSharedPort(port: number): SharedUdpPort {
  if (shared) return shared;
  const port0 = port;
  const s = new SharedUdpPort(port0);
  shared = s;
  const original = UdpTransport.init.bind(UdpTransport) as Init;
  // A socket of the endpoint's own, in the OS's range (the range asked for is the shared port's).
  const ownSocket: Init = (type, { portRange: _r, ...rest } = {}) => original(type, rest);
  let warned = false;
  (UdpTransport as unknown as { init: Init }).init = async (type, options = {}) => {
    const r = options.portRange;
    if (!r || r[0] !== port0 || r[1] !== port0 + 1) return original(type, options);
    // A TURN allocation needs a socket of its own: a TURN server tells its clients apart
    // by their address and port (RFC 8656 §2.2), so allocations of every endpoint from
    // the one shared port would be one client's. werift asks for it with the same
    // options as a host candidate's socket; its caller's name tells them apart. The
    // socket only talks to the TURN server, outbound, so an OS-chosen port does.
    if (fromTurnClient()) return ownSocket(type, options);
    try {
      return await s.transport(type);
    } catch (err) {
      if (!warned) log.warn(`the shared WebRTC port ${port0} could not be bound (${(err as Error).message}): endpoints use ports of their own`);
      warned = true;
      return ownSocket(type, options);
    }
  };
  installSharedTcpPort(port0, s);
  return s;
}

/**
 * The ICE-TCP half (SharedTcpPort): werift's passive ICE-TCP servers listen on the
 * endpoint's port range, which is [port, port + 1] in this mode; those listens are made
 * virtual, and the worker's TCP port `port` (TCP and UDP ports are separate spaces, so
 * the same number) accepts for all of them. Other listens in the worker are untouched.
 */
function installSharedTcpPort(port: number, udp: SharedUdpPort): void {
  type Listen = (this: net.Server, ...args: unknown[]) => net.Server;
  const original = net.Server.prototype.listen as Listen;
  const tcp = new SharedTcpPort(port, () => udp.peers(), (server, options) => { original.call(server, options); });
  let warned = false;
  (net.Server.prototype as unknown as { listen: Listen }).listen = function (this: net.Server, ...args: unknown[]): net.Server {
    const o = args[0] as net.ListenOptions | undefined;
    if (!o || typeof o !== 'object' || (o.port !== port && o.port !== port + 1) || tcp.owns(this)) return original.apply(this, args);
    tcp.virtualize(this, o.host, () => {
      if (!warned) log.warn(`the shared ICE-TCP port ${port} could not be bound: endpoints listen on ports of their own`);
      warned = true;
      original.call(this, { ...o, port: 0 });
    });
    return this;
  };
}

/**
 * Whether the UdpTransport being made is for werift's TURN client (createTurnClient
 * calls UdpTransport.init before its first await, so its frame is on the stack; the
 * worker's bundle keeps function names). test/media/turn.test.ts runs in single-port
 * mode too, and fails if this stops finding it.
 */
function fromTurnClient(): boolean {
  return /\bcreateTurnClient\b/.test(new Error().stack ?? '');
}

/** The worker's shared port, when single-port mode is on. */
export function sharedPort(): SharedUdpPort | undefined {
  return shared;
}
