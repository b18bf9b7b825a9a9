import type { EmitFn, NodeKind, NodeOptions } from '../../shared/workerProtocol.ts';
import type { MediaNode } from './MediaNode.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import { PassThroughNode } from './PassThroughNode.ts';
import { WebRtcEndpointNode } from '../webrtc/WebRtcEndpointNode.ts';
import { RtpEndpointNode } from '../rtpEndpoint/RtpEndpointNode.ts';
import { RecorderEndpointNode } from '../recorder/RecorderEndpointNode.ts';
import { PlayerEndpointNode } from '../player/PlayerEndpointNode.ts';
import { HttpPostEndpointNode } from '../httpPost/HttpPostEndpointNode.ts';
import { GStreamerFilterNode } from '../filters/GStreamerFilterNode.ts';
import { ImageOverlayFilterNode } from '../filters/ImageOverlayFilterNode.ts';
import { FaceOverlayFilterNode } from '../filters/FaceOverlayFilterNode.ts';
import { PointerDetectorFilterNode } from '../filters/PointerDetectorFilterNode.ts';
import { CrowdDetectorFilterNode } from '../filters/CrowdDetectorFilterNode.ts';
import { PlateDetectorFilterNode } from '../filters/PlateDetectorFilterNode.ts';
import { ZBarFilterNode } from '../filters/ZBarFilterNode.ts';
import { KmsShowDataNode } from '../filters/datachannel/KmsShowDataNode.ts';
import { KmsSendDataNode } from '../filters/datachannel/KmsSendDataNode.ts';
import { KmsDetectFacesNode } from '../filters/datachannel/KmsDetectFacesNode.ts';
import { KmsShowFacesNode } from '../filters/datachannel/KmsShowFacesNode.ts';
import { ChromaFilterNode } from '../filters/ChromaFilterNode.ts';
import { HubNode } from '../hubs/HubNode.ts';
import { HubPortNode } from '../hubs/HubPortNode.ts';
import { DispatcherOneToManyNode } from '../hubs/DispatcherOneToManyNode.ts';
import { DispatcherNode } from '../hubs/DispatcherNode.ts';
import { CompositeNode } from '../hubs/CompositeNode.ts';
import { AlphaBlendingNode } from '../hubs/AlphaBlendingNode.ts';
import { MixerNode } from '../hubs/MixerNode.ts';
import { PipeOutNode } from '../pipe/PipeOutNode.ts';
import { PipeInNode } from '../pipe/PipeInNode.ts';
import { KurentoError } from '../../shared/KurentoError.ts';

/** What a node is built with: its pipeline's engine, and the pipeline's other nodes (a HubPort finds its hub). */
export interface NodeContext extends NodeEngine {
  node(id: string): MediaNode | undefined;
}

/** Media-plane implementations by node kind (the KMD class name), typed by the protocol table. */
const NODES: { [K in NodeKind]: (id: string, emit: EmitFn, options: NodeOptions<K>, engine: NodeContext) => MediaNode } = {
  PassThrough: (id, emit) => new PassThroughNode(id, emit),
  WebRtcEndpoint: (id, emit, options) => new WebRtcEndpointNode(id, emit, options),
  RtpEndpoint: (id, emit, options) => new RtpEndpointNode(id, emit, options),
  RecorderEndpoint: (id, emit, options, engine) => new RecorderEndpointNode(id, emit, options, engine),
  PlayerEndpoint: (id, emit, options, engine) => new PlayerEndpointNode(id, emit, options, engine),
  HttpPostEndpoint: (id, emit, options, engine) => new HttpPostEndpointNode(id, emit, options, engine),
  GStreamerFilter: (id, emit, options, engine) => new GStreamerFilterNode(id, emit, options, engine),
  ImageOverlayFilter: (id, emit, options, engine) => new ImageOverlayFilterNode(id, emit, options, engine),
  FaceOverlayFilter: (id, emit, options, engine) => new FaceOverlayFilterNode(id, emit, options, engine),
  PointerDetectorFilter: (id, emit, options, engine) => new PointerDetectorFilterNode(id, emit, options, engine),
  CrowdDetectorFilter: (id, emit, options, engine) => new CrowdDetectorFilterNode(id, emit, options, engine),
  PlateDetectorFilter: (id, emit, options, engine) => new PlateDetectorFilterNode(id, emit, options, engine),
  ZBarFilter: (id, emit, _options, engine) => new ZBarFilterNode(id, emit, engine),
  ChromaFilter: (id, emit, options, engine) => new ChromaFilterNode(id, emit, options, engine),
  KmsShowData: (id, emit, _options, engine) => new KmsShowDataNode(id, emit, engine),
  KmsSendData: (id, emit, _options, engine) => new KmsSendDataNode(id, emit, engine),
  KmsDetectFaces: (id, emit, _options, engine) => new KmsDetectFacesNode(id, emit, engine),
  KmsShowFaces: (id, emit, _options, engine) => new KmsShowFacesNode(id, emit, engine),
  HubPort: (id, emit, options, ctx) => new HubPortNode(id, emit, hubOf(ctx, options.hub)),
  DispatcherOneToMany: (id, emit) => new DispatcherOneToManyNode(id, emit),
  Dispatcher: (id, emit) => new DispatcherNode(id, emit),
  Composite: (id, emit, options, engine) => new CompositeNode(id, emit, options, engine),
  AlphaBlending: (id, emit, _options, engine) => new AlphaBlendingNode(id, emit, engine),
  Mixer: (id, emit, _options, engine) => new MixerNode(id, emit, engine),
  PipeOut: (id, emit, options) => new PipeOutNode(id, emit, options),
  PipeIn: (id, emit, options) => new PipeInNode(id, emit, options),
};

function hubOf(ctx: NodeContext, id: string): HubNode {
  const hub = ctx.node(id);
  if (hub instanceof HubNode) return hub;
  throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `Hub '${id}' has no media node in this pipeline`);
}

/** Whether this worker builds nodes of `kind` (the message table is checked at run time too). */
export function isNodeKind(kind: string): kind is NodeKind {
  return Object.hasOwn(NODES, kind);
}

export function createNode<K extends NodeKind>(kind: K, id: string, emit: EmitFn, options: NodeOptions<K>, engine: NodeContext): MediaNode {
  return NODES[kind](id, emit, options, engine);
}
