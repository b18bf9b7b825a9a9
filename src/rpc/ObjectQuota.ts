import { KurentoError } from '../shared/KurentoError.ts';
import type { OperationRouter } from '../core/OperationRouter.ts';
import type { RpcConnection } from './RpcConnection.ts';

export interface ObjectLimits {
  /** Most live objects on the server. */
  readonly maxObjects: number;
  /** Most live objects created through one connection. */
  readonly maxObjectsPerConnection: number;
}

/**
 * Object limits beyond Kurento's per-session one (issue 16, defect 2): the session is
 * the client's choice, so a connection that sent other sessionIds held 30,000
 * pipelines past `maxObjectsPerSession`. Here objects are charged to the connection
 * that created them until they are released, and the server as a whole is bounded.
 */
export class ObjectQuota {
  readonly #limits: ObjectLimits;
  readonly #router: OperationRouter;
  readonly #creator = new Map<string, RpcConnection>();
  readonly #count = new Map<RpcConnection, number>();

  constructor(limits: ObjectLimits, router: OperationRouter) {
    this.#limits = limits;
    this.#router = router;
    router.onLifecycle((kind, obj) => {
      if (kind === 'destroyed') this.#destroyed(obj.id);
    });
  }

  /** Throws NOT_ENOUGH_RESOURCES (40009), naming the limit, when `conn` may not create one more object. */
  check(conn: RpcConnection): void {
    const { maxObjects, maxObjectsPerConnection } = this.#limits;
    if ((this.#count.get(conn) ?? 0) >= maxObjectsPerConnection) {
      throw new KurentoError('NOT_ENOUGH_RESOURCES', `This connection reached its limit of ${maxObjectsPerConnection} objects (mediaServer.resources.maxObjectsPerConnection)`);
    }
    if (this.#router.mediaSet.size >= maxObjects) {
      throw new KurentoError('NOT_ENOUGH_RESOURCES', `The server reached its limit of ${maxObjects} objects (mediaServer.resources.maxObjects)`);
    }
  }

  created(objectId: string, conn: RpcConnection): void {
    this.#creator.set(objectId, conn);
    this.#count.set(conn, (this.#count.get(conn) ?? 0) + 1);
  }

  #destroyed(objectId: string): void {
    const conn = this.#creator.get(objectId);
    if (!conn) return;
    this.#creator.delete(objectId);
    const n = (this.#count.get(conn) ?? 1) - 1;
    if (n > 0) this.#count.set(conn, n);
    else this.#count.delete(conn);
  }
}
