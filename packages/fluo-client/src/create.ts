import type { Connection, Json } from './runtime/Connection.ts';
import { paramsToWire } from './runtime/RemoteObject.ts';
import { CLASSES, type Creatable } from './generated/index.ts';

/**
 * `create` of a media object: its KMD type as kurento-client names it on the wire, its
 * constructor parameters marshalled (records tagged), the typed object for its id.
 * Used by `KurentoClient.create` and `MediaPipeline.create`.
 */
export async function createObject<T extends keyof Creatable>(connection: Connection, type: T, params: Creatable[T]['params'], properties?: Record<string, Json>): Promise<Creatable[T]['object']> {
  const c = CLASSES[type];
  if (!c) throw new TypeError(`'${String(type)}' is not a class the server can create`);
  const types = 'types' in c ? (c.types as Record<string, string>) : {};
  const id = await connection.request('create', {
    type: c.wire, constructorParams: paramsToWire(params as Record<string, unknown>, types) as Json, ...(properties ? { properties } : {}),
  });
  const Make = c.make as unknown as new (id: string, connection: Connection) => Creatable[T]['object'];
  return new Make(String(id), connection);
}
