import { KurentoError } from '../../shared/KurentoError.ts';
import { MediaNode, type EmitFn } from './MediaNode.ts';
import type { Wire } from '../../shared/workerProtocol.ts';
import { WebRtcEndpointNode } from '../webrtc/WebRtcEndpointNode.ts';
import { RtpEndpointNode } from '../rtpEndpoint/RtpEndpointNode.ts';

type NodeCtor = new (id: string, emit: EmitFn, options: Wire) => MediaNode;

/** Media-plane implementations by KMD class name. */
const NODES: Record<string, NodeCtor> = {
  PassThrough: MediaNode,
  WebRtcEndpoint: WebRtcEndpointNode,
  RtpEndpoint: RtpEndpointNode,
};

export function registerNode(kind: string, ctor: NodeCtor): void {
  NODES[kind] = ctor;
}

export function createNode(kind: string, id: string, emit: EmitFn, options: Wire): MediaNode {
  const Ctor = Object.hasOwn(NODES, kind) ? NODES[kind] : undefined;
  if (!Ctor) throw new KurentoError('NOT_IMPLEMENTED', `no media implementation for ${kind}`);
  return new Ctor(id, emit, options);
}
