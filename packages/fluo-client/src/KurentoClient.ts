import { Connection, type ConnectionOptions, type Json } from './runtime/Connection.ts';
import { toWire } from './runtime/RemoteObject.ts';
import { CLASSES, ServerManager, type Creatable } from './generated/index.ts';

/**
 * A typed, promise-based client of the Kurento Protocol, for Fluo and for Kurento Media
 * Server alike (the same JSON-RPC as kurento-client):
 *
 *   const client = await KurentoClient.connect('ws://localhost:8888/kurento');
 *   const pipeline = await client.create('MediaPipeline', {});
 *   const endpoint = await client.create('WebRtcEndpoint', { mediaPipeline: pipeline });
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
  async create<T extends keyof Creatable>(type: T, params: Creatable[T]['params'], properties?: Record<string, Json>): Promise<Creatable[T]['object']> {
    const c = CLASSES[type];
    const id = await this.connection.request('create', {
      type: c.wire, constructorParams: toWire(params) as Json, ...(properties ? { properties } : {}),
    });
    const Make = c.make as unknown as new (id: string, connection: Connection) => Creatable[T]['object'];
    return new Make(String(id), this.connection);
  }

  /** The server's ServerManager (id `manager_ServerManager`, as in Kurento). */
  getServerManager(): ServerManager {
    return new ServerManager('manager_ServerManager', this.connection);
  }

  close(): void {
    this.connection.close();
  }
}
