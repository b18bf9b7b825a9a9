import type { EmitFn, NodeKind, NodeOptions } from '../../shared/workerProtocol.ts';
import type { MediaNode } from './MediaNode.ts';
import { PassThroughNode } from './PassThroughNode.ts';
import { WebRtcEndpointNode } from '../webrtc/WebRtcEndpointNode.ts';
import { RtpEndpointNode } from '../rtpEndpoint/RtpEndpointNode.ts';

/** Media-plane implementations by node kind (the KMD class name), typed by the protocol table. */
const NODES: { [K in NodeKind]: (id: string, emit: EmitFn, options: NodeOptions<K>) => MediaNode } = {
  PassThrough: (id, emit) => new PassThroughNode(id, emit),
  WebRtcEndpoint: (id, emit, options) => new WebRtcEndpointNode(id, emit, options),
  RtpEndpoint: (id, emit, options) => new RtpEndpointNode(id, emit, options),
};

export function createNode<K extends NodeKind>(kind: K, id: string, emit: EmitFn, options: NodeOptions<K>): MediaNode {
  return NODES[kind](id, emit, options);
}
