import { ApiRegistry } from '../api/ApiRegistry.ts';
import { Marshaller } from '../api/Marshaller.ts';
import { ALL_MODULES } from '../api/modules/index.ts';
import { OperationRouter, SERVER_MANAGER_ID } from '../core/OperationRouter.ts';
import { JsonRpcHandler } from '../rpc/JsonRpcHandler.ts';
import { MAX_SESSION_ID_LENGTH } from '../rpc/SessionTable.ts';
import { UpgradeGuard } from './UpgradeGuard.ts';
import { DestinationPolicy } from '../shared/DestinationPolicy.ts';
import { FileRoots } from '../shared/FileRoots.ts';
import { rs256Key } from './jwt.ts';
import { ServerManager } from '../elements/ServerManager.ts';
import { builtFactories } from '../elements/index.ts';
import { WebSocketTransport } from './WebSocketTransport.ts';
import { HttpEndpointServer } from './HttpEndpointServer.ts';
import { OpsEndpoints } from './OpsEndpoints.ts';
import { OpsAccess } from './OpsAccess.ts';
import { WhipEndpoints } from '../whip/WhipEndpoints.ts';
import { WhipStreams, WHIP_SESSION } from '../whip/WhipStreams.ts';
import { MediaWorkerPool } from '../media/worker/MediaWorkerPool.ts';
import type { FluoConfig } from '../config/FluoConfig.ts';
import { Logger } from '../log/Logger.ts';

const log = Logger.get('KurentoMediaServer');

/**
 * Wires the control plane together: API registry, router (objects), JSON-RPC
 * handler (protocol) and WebSocket transport. Owns the session garbage collector.
 */
export class FluoServer {
  readonly config: FluoConfig;
  readonly api = new ApiRegistry(ALL_MODULES);
  readonly router: OperationRouter;
  readonly rpc: JsonRpcHandler;
  readonly media: MediaWorkerPool;
  readonly httpEndpoints: HttpEndpointServer;
  /** `/metrics` and `/health/*` on the control port. */
  readonly ops: OpsEndpoints;
  /** WHIP and WHEP (`/whip/{stream}`, `/whep/{stream}`). */
  readonly whip: WhipEndpoints;
  readonly #transport: WebSocketTransport;
  #stopping = false;
  #gcTimer: NodeJS.Timeout | undefined;
  #ports: { port: number; securePort?: number } | undefined;

  constructor(config: FluoConfig) {
    this.config = config;
    const factories = builtFactories();
    this.httpEndpoints = new HttpEndpointServer(config.modules.HttpEndpoint ?? {});
    const settings = {
      modules: config.modules,
      httpEndpoints: this.httpEndpoints,
      destinations: new DestinationPolicy(config.security.deniedDestinations, config.security.allowedDestinations),
      fileRoots: new FileRoots(config.security.fileRoots),
      verifyImageCertificates: config.security.verifyImageCertificates,
    };
    let rpc: JsonRpcHandler | undefined;
    this.media = new MediaWorkerPool(config.mediaWorkers, config.engine, { keepWarm: config.mediaWorkersWarm, webRtcPort: config.webRtcPort, ...(config.webRtcPorts ? { webRtcPorts: config.webRtcPorts } : {}), semiSpaceMb: config.mediaWorkerSemiSpaceMb, spreadThreshold: config.pipelineSpreadThreshold });
    this.router = new OperationRouter({
      media: this.media,
      api: this.api,
      marshaller: new Marshaller(this.api),
      factories,
      settings,
      // WHIP/WHEP's own session hears its events here, not over a WebSocket.
      deliver: (sid, value) => (sid === WHIP_SESSION ? this.whip.streams.event(value) : rpc?.deliverEvent(sid, value)),
      maxObjectsPerSession: config.resources.maxObjectsPerSession,
      tags: { maxPerObject: config.resources.maxTagsPerObject, maxLength: config.resources.maxTagLength },
      isolateSessions: config.security.isolateSessions,
    });
    this.ops = new OpsEndpoints({
      connections: () => this.#transport.connectionCount,
      sessions: () => this.router.mediaSet.sessions().length,
      objectsByType: () => {
        const byType = new Map<string, number>();
        for (const o of this.router.mediaSet.all()) byType.set(o.typeName, (byType.get(o.typeName) ?? 0) + 1);
        return byType;
      },
      workers: () => ({ slots: this.media.size, running: this.media.running, accepting: this.media.accepting }),
      // Bounded: a busy worker must not hold a scrape (it is then left out of it).
      media: () => this.media.mediaStats(1000),
      stopping: () => this.#stopping,
    }, new OpsAccess(config.metrics.allow));
    const wr = config.modules.WebRtcEndpoint ?? {};
    const stunPort = Number(wr.stunServerPort ?? 3478);
    this.whip = new WhipEndpoints(new WhipStreams(this.router), {
      allow: config.whip.allow, tokens: config.whip.tokens,
      ...(wr.stunServerAddress ? { stun: { address: wr.stunServerAddress, port: Number.isInteger(stunPort) ? stunPort : 3478 } } : {}),
      ...(wr.turnURL ? { turnUrl: wr.turnURL } : {}),
    });
    this.rpc = rpc = new JsonRpcHandler({
      observe: (method, code, seconds) => this.ops.observeRequest(method, code, seconds),
      router: this.router,
      disableRequestCache: config.resources.disableRequestCache,
      requestCacheTimeout: config.resources.requestCacheTimeout,
      maxMessageSize: config.resources.maxMessageSize,
      maxOperationsPerTransaction: config.resources.maxOperationsPerTransaction,
      sessionLimits: {
        maxIdLength: MAX_SESSION_ID_LENGTH,
        maxSessions: config.resources.maxSessions,
        maxSessionsPerConnection: config.resources.maxSessionsPerConnection,
        exclusive: config.security.isolateSessions,
      },
      objectLimits: { maxObjects: config.resources.maxObjects, maxObjectsPerConnection: config.resources.maxObjectsPerConnection },
    });
    const byModule = new Map<string, string[]>();
    for (const m of this.api.modules()) {
      byModule.set(m.name, m.remoteClasses.filter((c) => factories.has(c.name)).map((c) => c.name));
    }
    const manager = new ServerManager(
      { id: SERVER_MANAGER_ID, typeName: 'ServerManager', host: this.router, settings },
      {},
      {
        mediaSet: this.router.mediaSet,
        factoriesByModule: byModule,
        moduleVersions: new Map(this.api.modules().map((m) => [m.name, m.version])),
        kmdJson: (name) => this.api.kmdJson(name),
        metadata: JSON.stringify({ server: 'Fluo', node: process.version }),
        onLifecycle: (fn) => this.router.onLifecycle(fn),
        visibleTo: (sid, obj) => this.router.visibleTo(sid, obj),
        isolated: config.security.isolateSessions,
      },
    );
    this.router.registerPinned(manager);
    this.#transport = new WebSocketTransport({
      host: config.websocket.host,
      port: config.websocket.port,
      path: config.websocket.path,
      secure: config.websocket.secure,
      maxMessageSize: config.resources.maxMessageSize,
      guard: new UpgradeGuard({
        token: config.websocket.auth.token,
        jwt: config.websocket.auth.jwtSecret !== undefined || config.websocket.auth.jwtPublicKey !== undefined
          ? { hs256Secret: config.websocket.auth.jwtSecret, rs256PublicKey: config.websocket.auth.jwtPublicKey !== undefined ? rs256Key(config.websocket.auth.jwtPublicKey) : undefined }
          : undefined,
        allowedOrigins: config.websocket.auth.allowedOrigins,
      }),
      maxConnections: config.resources.maxConnections,
      sendBuffer: { pause: config.resources.sendBufferPause, close: config.resources.sendBufferClose, timeout: config.resources.sendBufferTimeout },
      onMessage: (text, conn) => this.rpc.handle(text, conn),
      onClose: (conn) => this.rpc.connectionClosed(conn),
      onHttp: (req, res) => this.whip.handle(req, res) || this.ops.handle(req, res),
    });
  }

  get ports(): { port: number; securePort?: number } {
    if (!this.#ports) throw new Error('server not started');
    return this.#ports;
  }

  async start(): Promise<{ port: number; securePort?: number }> {
    // Warm workers are ready before the port opens: a server that accepts a connection
    // answers its first call as fast as every later one.
    if (this.config.mediaWorkersWarm) await this.media.warm();
    this.#ports = await this.#transport.start();
    this.ops.start();
    const periodMs = this.config.resources.garbageCollectorPeriod * 1000;
    this.#gcTimer = setInterval(() => this.collectGarbage(), periodMs);
    this.#gcTimer.unref();
    log.info(`Fluo listening on ws://${this.config.websocket.host}:${this.#ports.port}/${this.config.websocket.path}` +
      (this.#ports.securePort ? ` and wss://…:${this.#ports.securePort}/${this.config.websocket.path}` : ''));
    const { host, auth } = this.config.websocket;
    if ((host === '0.0.0.0' || host === '::') && !auth.token && !auth.jwtSecret && !auth.jwtPublicKey) {
      log.warn('listening on every interface without an access token (mediaServer.net.websocket.auth): anyone who reaches this port controls the media server; for trusted networks only');
    }
    return this.#ports;
  }

  /** One GC round: sessions with no live connection and no keep-alive lose their objects. */
  collectGarbage(): void {
    for (const sid of this.rpc.sessions.collect(this.router.mediaSet.sessions().filter((s) => s !== WHIP_SESSION))) {
      log.info(`session ${sid} expired: releasing what only it held`);
      this.router.closeSession(sid, false);
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.ops.stop();
    if (this.#gcTimer) clearInterval(this.#gcTimer);
    this.#gcTimer = undefined;
    await this.#transport.stop();
    this.whip.streams.close();
    this.router.shutdown();
    await this.httpEndpoints.close();
    await this.media.close();
  }
}
