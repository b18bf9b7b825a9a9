import { timingSafeEqual, createHash } from 'node:crypto';
import type http from 'node:http';
import { jwtProblem, type JwtKeys } from './jwt.ts';

/** Who may open the Kurento WebSocket (Fluo addition; all off by default, as Kurento). */
export interface AccessRules {
  /** A shared secret the client presents as its access token. */
  readonly token?: string;
  /** JWT keys: a token that is a valid JWT signed with one of them is accepted. */
  readonly jwt?: JwtKeys;
  /** Origins (scheme://host[:port]) a browser page may connect from; empty: any. */
  readonly allowedOrigins: readonly string[];
}

export interface Refusal {
  /** 401 (no or bad credentials, RFC 6750 section 3) or 403 (Origin not allowed). */
  readonly status: 401 | 403;
  readonly reason: string;
}

/**
 * The checks on a WebSocket upgrade request, before any JSON-RPC is read. The token
 * comes from the `access_token` query parameter (RFC 6750 section 2.3: what a Kurento
 * application can add to its `ws://host:8888/kurento` URL without code changes) or an
 * `Authorization: Bearer` header (section 2.1). A request with an `Origin` header, a
 * browser page, must come from an allowed origin when the list is not empty; other
 * clients (Kurento applications on a server) send none and are not affected.
 */
export class UpgradeGuard {
  readonly #rules: AccessRules;

  constructor(rules: AccessRules) {
    this.#rules = rules;
  }

  get needsToken(): boolean {
    return this.#rules.token !== undefined || this.#rules.jwt !== undefined;
  }

  check(req: http.IncomingMessage): Refusal | undefined {
    const origin = req.headers.origin;
    const allowed = this.#rules.allowedOrigins;
    if (origin !== undefined && allowed.length > 0 && !allowed.includes(origin.replace(/\/+$/, ''))) {
      return { status: 403, reason: `Origin ${origin} is not in mediaServer.net.websocket.auth.allowedOrigins` };
    }
    if (!this.needsToken) return undefined;
    const token = tokenOf(req);
    if (token === undefined) return { status: 401, reason: 'an access token is required (access_token query parameter or Authorization: Bearer)' };
    if (this.#rules.token !== undefined && sameSecret(token, this.#rules.token)) return undefined;
    if (this.#rules.jwt) {
      const problem = jwtProblem(token, this.#rules.jwt);
      if (problem === undefined) return undefined;
      return { status: 401, reason: `invalid access token: ${problem}` };
    }
    return { status: 401, reason: 'invalid access token' };
  }
}

function tokenOf(req: http.IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const bearer = auth !== undefined ? /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
  if (bearer !== undefined) return bearer;
  const q = (req.url ?? '').indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams((req.url ?? '').slice(q + 1)).get('access_token') || undefined;
}

/** Constant-time comparison of two secrets of any length (their hashes are compared). */
function sameSecret(a: string, b: string): boolean {
  const h = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}
