import type { ApiRegistry } from '../api/ApiRegistry.ts';
import type { Marshaller } from '../api/Marshaller.ts';
import type { MediaObject } from './MediaObject.ts';
import type { EngineDot, EventMessage, OpArgs, OpName, OpResult, PipelineMessage } from '../shared/workerProtocol.ts';
import type { DestinationPolicy } from '../shared/DestinationPolicy.ts';
import type { FileRoots } from '../shared/FileRoots.ts';
import type { HttpEndpointServer } from '../server/HttpEndpointServer.ts';

/** The control plane's view of the media workers (implemented by MediaWorkerPool). */
export interface MediaPlane {
  /** Places a pipeline on a worker; its nodes' events come to `onEvent`, routed by object id. */
  attach(pipeline: string, onEvent: (event: EventMessage) => void, onCrash: (reason: string) => void): void;
  call<O extends OpName>(pipeline: string, object: string, op: O, args: OpArgs<O>): Promise<OpResult<O>>;
  post<O extends OpName>(pipeline: string, object: string, op: O, args: OpArgs<O>): void;
  /** Graph messages (create, link, release, ...), in order with the operations. */
  send(message: PipelineMessage): void;
  /**
   * The media engine's own graphs (DOT) of a pipeline: one per media worker whose engine
   * holds part of it (a pipeline spread over workers has one on each), home worker first.
   */
  dot(pipeline: string): Promise<EngineDot[]>;
  detach(pipeline: string): void;
}

/** Parameters of one operation, already validated and defaulted by the Marshaller. */
export type Params = Readonly<Record<string, unknown>>;

/** What an object needs from the registry that owns it; kept narrow on purpose. */
export interface ObjectHost {
  readonly api: ApiRegistry;
  readonly marshaller: Marshaller;
  readonly media: MediaPlane;
  /** Raises an event (canonical 7.x name) from `source`; the host fans it out to subscribers. */
  emitEvent(source: MediaObject, eventName: string, data: Record<string, unknown>): void;
  /** Called once by a releasing object, after its children are gone. */
  objectReleased(obj: MediaObject): void;
}

/** Everything a constructor of a remote object receives. */
export interface ObjectInit {
  readonly id: string;
  /** Unqualified KMD class name (`WebRtcEndpoint`). */
  readonly typeName: string;
  readonly host: ObjectHost;
  readonly parent?: MediaObject;
  /** Server-wide settings an implementation may read (config, module ini files). */
  readonly settings: ObjectSettings;
}

export interface ObjectSettings {
  /** `<module>.conf.ini` values keyed by class name, e.g. modules.WebRtcEndpoint.stunServerAddress. */
  readonly modules: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Where clients may make the server send packets, and which files they may name (default: anywhere). */
  readonly destinations?: DestinationPolicy;
  readonly fileRoots?: FileRoots;
  /** mediaServer.security.verifyImageCertificates: overlay images over https only from verified servers. */
  readonly verifyImageCertificates?: boolean;
  /** The HTTP server of HttpEndpoints (HttpEndpoint.conf.ini), one for the whole server. */
  readonly httpEndpoints?: HttpEndpointServer;
}

/** Context of one call: which session made it. */
export interface CallContext {
  readonly sessionId: string;
}
