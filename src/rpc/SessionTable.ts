import type { RpcConnection } from './RpcConnection.ts';

interface SessionEntry {
  conn: RpcConnection | undefined;
  /** GC round in which the session was last kept alive. */
  aliveRound: number;
}

/**
 * Which connection each session is bound to, and when it was last kept alive. Events
 * go to the connection bound last (a reconnecting client rebinds its session with
 * `connect`). Object references live in the MediaSet; this table only routes.
 */
export class SessionTable {
  readonly #sessions = new Map<string, SessionEntry>();
  #round = 0;

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
      this.#sessions.set(sessionId, { conn, aliveRound: this.#round });
    }
  }

  connectionOf(sessionId: string): RpcConnection | undefined {
    const c = this.#sessions.get(sessionId)?.conn;
    return c && c.open ? c : undefined;
  }

  keepAlive(sessionId: string): void {
    const e = this.#sessions.get(sessionId);
    if (e) e.aliveRound = this.#round;
    else this.#sessions.set(sessionId, { conn: undefined, aliveRound: this.#round });
  }

  connectionClosed(conn: RpcConnection): void {
    if (conn.sessionId === undefined) return;
    const e = this.#sessions.get(conn.sessionId);
    if (e && e.conn === conn) e.conn = undefined;
  }

  forget(sessionId: string): void {
    this.#sessions.delete(sessionId);
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
    for (const [sid, e] of this.#sessions) if (!e.conn?.open && e.aliveRound < this.#round - 1) this.#sessions.delete(sid);
    return dead;
  }
}
