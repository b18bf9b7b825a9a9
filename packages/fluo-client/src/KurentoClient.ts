import { Connection, type ConnectionOptions, type Json } from './runtime/Connection.ts';
import { createObject } from './create.ts';
import { ServerManager, type Creatable } from './generated/index.ts';

/**
 * A typed, promise-based client of the Kurento Protocol, for Fluo and for Kurento Media
 * Server alike (the same JSON-RPC as kurento-client):
 *
 *   const client = await KurentoClient.connect('ws://localhost:8888/kurento');
 *   const pipeline = await client.create('MediaPipeline', {});
 *   const endpoint = await pipeline.create('WebRtcEndpoint', {}); // or client.create(..., { mediaPipeline: pipeline })
 *   await endpoint.on('IceCandidateFound', (e) => send(e.candidate)); // e is typed
 *   const answer = await endpoint.processOffer(offer);
 */
export class KurentoClient {
  readonly connection: Connection;

  private constructor(connection: Connection) {
    this.connection = connection;
  }

  static async connect(url: string, options: ConnectionOptions = {}): Promise<KurentoClient> {
    return new KurentoClient(await Connection.open(url, options));
  }

  get sessionId(): string | undefined {
    return this.connection.sessionId;
  }

  /** Creates a media object; `params` are its KMD constructor parameters, typed per class. */
  create<T extends keyof Creatable>(type: T, params: Creatable[T]['params'], properties?: Record<string, Json>): Promise<Creatable[T]['object']> {
    return createObject(this.connection, type, params, properties);
  }

  /** The server's ServerManager (id `manager_ServerManager`, as in Kurento). */
  getServerManager(): ServerManager {
    return new ServerManager('manager_ServerManager', this.connection);
  }

  close(): void {
    this.connection.close();
  }
}
