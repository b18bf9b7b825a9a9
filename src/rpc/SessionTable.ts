import { KurentoError } from '../shared/KurentoError.ts';
import type { RpcConnection } from './RpcConnection.ts';

interface SessionEntry {
  conn: RpcConnection | undefined;
  /** GC round in which the session was last kept alive. */
  aliveRound: number;
  /** The connection that brought the id to the server, charged for it while it lives. */
  readonly introducedBy: RpcConnection;
}

/** Bounds on the table (issue 16, defects 2 and 4). */
export interface SessionLimits {
  /** Longest sessionId accepted, in characters. */
  readonly maxIdLength: number;
  /** Most sessions in the table. */
  readonly maxSessions: number;
  /** Most sessions one connection may have introduced and still in the table. */
  readonly maxSessionsPerConnection: number;
  /**
   * A session bound to an open connection may not be used from another one
   * (mediaServer.security.isolateSessions): a request carrying a victim's sessionId
   * would otherwise move the victim's events to the sender. Once the owner's
   * connection is closed, whoever knows the id may resume it (a reconnecting client).
   */
  readonly exclusive?: boolean;
}

/**
 * Kurento's session ids are UUIDs (36 characters); 128 leaves room for other schemes
 * and bounds the table: 60 pings with 8 MB ids held 1.5 GB until the GC (defect 4).
 */
export const MAX_SESSION_ID_LENGTH = 128;

const UNLIMITED: SessionLimits = { maxIdLength: MAX_SESSION_ID_LENGTH, maxSessions: Infinity, maxSessionsPerConnection: Infinity };

/**
 * Which connection each session is bound to, and when it was last kept alive. Events
 * go to the connection bound last (a reconnecting client rebinds its session with
 * `connect`). Object references live in the MediaSet; this table only routes.
 *
 * The table is bounded: ids are at most `maxIdLength` long, it holds at most
 * `maxSessions` entries, and one connection may bring at most
 * `maxSessionsPerConnection` of them (ids the server minted for it count too).
 * `admit` checks a request's id against these before anything is stored.
 */
export class SessionTable {
  readonly #sessions = new Map<string, SessionEntry>();
  readonly #introduced = new Map<RpcConnection, number>();
  readonly #limits: SessionLimits;
  #round = 0;

  constructor(limits: SessionLimits = UNLIMITED) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Throws when `sessionId` (undefined: an id the server would mint) may not enter
   * the table on behalf of `conn`: INVALID_SESSION (40007) for an over-long id,
   * NOT_ENOUGH_RESOURCES (40009) naming the limit for a full table or connection.
   */
  admit(sessionId: string | undefined, conn: RpcConnection): void {
    if (sessionId !== undefined && sessionId.length > this.#limits.maxIdLength) {
      throw new KurentoError('INVALID_SESSION', `Invalid session: a sessionId of ${sessionId.length} characters is longer than ${this.#limits.maxIdLength}`);
    }
    const known = sessionId !== undefined ? this.#sessions.get(sessionId) : undefined;
    if (known) {
      if (this.#limits.exclusive && known.conn?.open && known.conn !== conn) {
        throw new KurentoError('INVALID_SESSION', 'Invalid session: it is in use by another connection');
      }
      return;
    }
    const { maxSessions, maxSessionsPerConnection } = this.#limits;
    if ((this.#introduced.get(conn) ?? 0) >= maxSessionsPerConnection) {
      throw new KurentoError('NOT_ENOUGH_RESOURCES', `This connection reached its limit of ${maxSessionsPerConnection} sessions (mediaServer.resources.maxSessionsPerConnection)`);
    }
    if (this.#sessions.size >= maxSessions) {
      throw new KurentoError('NOT_ENOUGH_RESOURCES', `The server reached its limit of ${maxSessions} sessions (mediaServer.resources.maxSessions)`);
    }
  }

  bind(sessionId: string, conn: RpcConnection): void {
    if (conn.sessionId !== undefined && conn.sessionId !== sessionId) {
      // One connection carries one session, the newest (KMS "Erasing old sessionId").
      const old = this.#sessions.get(conn.sessionId);
      if (old && old.conn === conn) old.conn = undefined;
    }
    conn.sessionId = sessionId;
    const e = this.#sessions.get(sessionId);
    if (e) {
      e.conn = conn;
      e.aliveRound = this.#round;
    } else {
      this.#add(sessionId, conn, conn);
    }
  }

  connectionOf(sessionId: string): RpcConnection | undefined {
    const c = this.#sessions.get(sessionId)?.conn;
    return c && c.open ? c : undefined;
  }

  keepAlive(sessionId: string, by: RpcConnection): void {
    const e = this.#sessions.get(sessionId);
    if (e) e.aliveRound = this.#round;
    else this.#add(sessionId, undefined, by);
  }

  connectionClosed(conn: RpcConnection): void {
    if (conn.sessionId === undefined) return;
    const e = this.#sessions.get(conn.sessionId);
    if (e && e.conn === conn) e.conn = undefined;
  }

  forget(sessionId: string): void {
    const e = this.#sessions.get(sessionId);
    if (e) this.#delete(sessionId, e);
  }

  /**
   * One garbage-collector round (KMS `garbageCollectorPeriod`): returns the sessions
   * neither bound to an open connection nor kept alive since the previous round.
   */
  collect(known: readonly string[]): string[] {
    const dead: string[] = [];
    for (const sid of known) {
      const e = this.#sessions.get(sid);
      if (e?.conn?.open) continue;
      if (e && e.aliveRound === this.#round) continue;
      dead.push(sid);
    }
    this.#round++;
    for (const [sid, e] of this.#sessions) if (!e.conn?.open && e.aliveRound < this.#round - 1) this.#delete(sid, e);
    return dead;
  }

  #add(sessionId: string, conn: RpcConnection | undefined, introducedBy: RpcConnection): void {
    this.#sessions.set(sessionId, { conn, aliveRound: this.#round, introducedBy });
    this.#introduced.set(introducedBy, (this.#introduced.get(introducedBy) ?? 0) + 1);
  }

  #delete(sessionId: string, e: SessionEntry): void {
    this.#sessions.delete(sessionId);
    const n = (this.#introduced.get(e.introducedBy) ?? 1) - 1;
    if (n > 0) this.#introduced.set(e.introducedBy, n);
    else this.#introduced.delete(e.introducedBy);
  }
}
