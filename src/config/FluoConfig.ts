/**
 * Fluo's resolved configuration: Kurento's `kurento.conf.json` keys and module
 * `<Class>.conf.ini` files, then the environment, then the command line
 * (see config/kurento.conf.json for what each key means).
 */
export interface FluoConfig {
  readonly websocket: {
    /** Listening address (Fluo addition; Kurento's `ipv6: true` maps to "::"). */
    readonly host: string;
    readonly port: number;
    /** Without slashes: ws://host:port/<path>. */
    readonly path: string;
    /** Secure WebSocket; absent when not configured (or its port is 0/absent, as in Kurento). */
    readonly secure?: {
      readonly port: number;
      /** Absolute path of a PEM file holding certificate (chain) and private key. */
      readonly certificate: string;
      readonly password: string;
    };
    /** Who may connect (Fluo addition; everything off by default, as in Kurento). */
    readonly auth: {
      /** Shared secret presented as the access token. */
      readonly token?: string;
      /** HS256 secret of accepted JWT access tokens. */
      readonly jwtSecret?: string;
      /** PEM public key (or certificate) of accepted RS256 JWT access tokens. */
      readonly jwtPublicKey?: string;
      /** Origins browser pages may connect from; empty: any. */
      readonly allowedOrigins: readonly string[];
    };
    /** Kurento's registrar: announce this server to a WebSocket registrar. */
    readonly registrar?: { readonly address: string; readonly localAddress: string };
  };
  readonly resources: {
    /** Seconds between session garbage-collector rounds (Kurento default 240). */
    readonly garbageCollectorPeriod: number;
    /** Kurento's resource-usage fraction past which `create` fails with NOT_ENOUGH_RESOURCES. */
    readonly exceptionLimit?: number;
    /** Kurento's resource-usage fraction past which an idle server restarts. */
    readonly killLimit?: number;
    readonly disableRequestCache: boolean;
    /** Duplicate-request window in ms (Fluo addition; Kurento: 20 s). */
    readonly requestCacheTimeout: number;
    /** Largest JSON-RPC message accepted, bytes (Fluo addition). */
    readonly maxMessageSize: number;
    /** Most live objects per session (Fluo addition). */
    readonly maxObjectsPerSession: number;
    /** Most operations in one transaction or requests in one batch (Fluo addition). */
    readonly maxOperationsPerTransaction: number;
    /** Unsent bytes over which a connection is no longer read (Fluo addition). */
    readonly sendBufferPause: number;
    /** Unsent bytes over which a connection is closed (Fluo addition). */
    readonly sendBufferClose: number;
    /** Seconds unsent output may stay over sendBufferPause before the close (Fluo addition). */
    readonly sendBufferTimeout: number;
    /** Most live objects created through one connection (Fluo addition). */
    readonly maxObjectsPerConnection: number;
    /** Most live objects on the server (Fluo addition). */
    readonly maxObjects: number;
    /** Most sessions one connection may bring to the server (Fluo addition). */
    readonly maxSessionsPerConnection: number;
    /** Most sessions the server keeps (Fluo addition). */
    readonly maxSessions: number;
    /** Most open WebSocket connections (Fluo addition). */
    readonly maxConnections: number;
    /** Most tags on one object (Fluo addition). */
    readonly maxTagsPerObject: number;
    /** Longest tag key or value, characters (Fluo addition). */
    readonly maxTagLength: number;
  };
  /** Fluo additions: isolation between applications. */
  readonly security: {
    /** Each session sees and touches only its own objects and sessionId. */
    readonly isolateSessions: boolean;
    /** Directories file:// URIs may name (default ["/"]). */
    readonly fileRoots: readonly string[];
    /** Networks (or range names) clients may not make the server send to; empty: none. */
    readonly deniedDestinations: readonly string[];
    /** Exceptions to deniedDestinations. */
    readonly allowedDestinations: readonly string[];
    /** Overlay images fetched over https:// only from servers whose certificate verifies (default false, as Kurento). */
    readonly verifyImageCertificates: boolean;
  };
  /** `/metrics` and `/health/*` on the control port (Fluo addition, issue 15). */
  readonly metrics: {
    /** Networks (address/prefix, range names, or "*") besides loopback that may read them; empty: loopback only. */
    readonly allow: readonly string[];
  };
  /** WHIP and WHEP on the control port (Fluo addition, issue 15 §2). */
  readonly whip: {
    /** Networks besides loopback that may use them (as metrics.allow). */
    readonly allow: readonly string[];
    /** Bearer tokens; empty: none asked. */
    readonly tokens: readonly string[];
  };
  /** Media worker threads; resolved (one per core when the file says 0). */
  readonly mediaWorkers: number;
  /** Single-port mode: worker i's WebRtcEndpoints share UDP port webRtcPort + i; 0: a port each (Kurento's way). */
  readonly webRtcPort: number;
  /** Single-port mode with a port named for each worker (overrides `webRtcPort + i`); empty: none named. */
  readonly webRtcPorts?: readonly number[];
  /**
   * WebRtcEndpoints of a MediaPipeline placed on its home worker before further ones go
   * to the least loaded worker, piped (`mediaServer.pipelineSpreadThreshold`; 0: never).
   */
  readonly pipelineSpreadThreshold: number;
  /** Media workers start with the server and stay while idle (`mediaServer.mediaWorkersWarm`). */
  readonly mediaWorkersWarm: boolean;
  /** The media workers' V8 young-generation semi-space, MB (`mediaServer.mediaWorkerSemiSpaceMb`). */
  readonly mediaWorkerSemiSpaceMb: number;
  /** The media engine (GStreamer processes), `mediaServer.engine` (Fluo addition). */
  readonly engine: {
    /** Engine processes for the whole server; resolved (one per core when the file says 0). */
    readonly processes: number;
    /** One engine process per MediaPipeline instead of a shared pool. */
    readonly isolatePipelines: boolean;
    /** An engine process that does not answer its heartbeat this long (ms) is killed. */
    readonly heartbeatTimeoutMs: number;
  };
  /** `<Class>.conf.ini` values by class, e.g. modules.WebRtcEndpoint.stunServerAddress. */
  readonly modules: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly logging: {
    /** GST_DEBUG-style threshold list. */
    readonly spec: string;
    /** Colours allowed on a terminal (false with --gst-debug-no-color or GST_DEBUG_NO_COLOR). */
    readonly color: boolean;
    readonly logsPath?: string;
    /** --log-file-size, MB (default 100). */
    readonly logFileSizeMb: number;
    /** --number-log-files (default 10). */
    readonly numberLogFiles: number;
  };
  readonly confFile: string;
  readonly modulesConfigPath: string;
}
