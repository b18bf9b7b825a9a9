import type { RpcClient } from './fluo.ts';
import type { RemotePeer, RemotePeers } from './RemotePeers.ts';

/** What a test does with libwebrtc peers and one session of an in-process Fluo. */
export interface PeerCalls {
  create(type: string, constructorParams: Record<string, unknown>): Promise<string>;
  connect(src: string, sink: string, mediaType?: string): Promise<unknown>;
  /** A new WebRtcEndpoint in pipeline P with a peer connected to it (`channel`: a data channel the peer opens first). */
  joined(P: string, opts?: { recvOnly?: boolean; shade?: number; endpoint?: Record<string, unknown>; channel?: string }): Promise<{ ep: string; peer: RemotePeer }>;
}

/** Decoded frames a peer has received so far. */
export const frames = async (p: RemotePeer): Promise<number> => (await p.received()).frames;

/** The calls, bound to a client and session known only once the test file's `before` ran. */
export function peerCalls(session: () => { c: RpcClient; sid: string }, peers: RemotePeers): PeerCalls {
  const create = async (type: string, constructorParams: Record<string, unknown>): Promise<string> => {
    const { c, sid } = session();
    return (await c.ok('create', { type, constructorParams, sessionId: sid })).value as string;
  };
  return {
    create,
    connect: (src, sink, mediaType) => {
      const { c, sid } = session();
      return c.ok('invoke', { object: src, operation: 'connect', operationParams: { sink, ...(mediaType ? { mediaType } : {}) }, sessionId: sid });
    },
    joined: async (P, opts = {}) => {
      const ep = await create('WebRtcEndpoint', { mediaPipeline: P, ...(opts.endpoint ?? {}) });
      const peer = await peers.create({ recvOnly: opts.recvOnly, shade: opts.shade });
      if (opts.channel) await peer.call('createDataChannel', { label: opts.channel });
      const { c, sid } = session();
      await peer.connectTo(c, ep, sid);
      return { ep, peer };
    },
  };
}
