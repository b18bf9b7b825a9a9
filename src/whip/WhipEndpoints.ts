import type http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { OpsAccess } from '../server/OpsAccess.ts';
import { parseTurnUrl } from '../shared/turnUrl.ts';
import { KurentoError } from '../shared/KurentoError.ts';
import { Logger } from '../log/Logger.ts';
import { MAX_FRAG, parseSdpFrag, restartFragOf, type SdpFrag } from './sdpFrag.ts';
import { WhipError, WhipStreams, type WhipSession } from './WhipStreams.ts';

const log = Logger.get('FluoWhip');

/** Largest SDP offer accepted (bytes). */
const MAX_OFFER = 64 * 1024;
/** Stream names: what a URL path segment carries without escaping, 1 to 128 characters. */
const STREAM_NAME = /^[A-Za-z0-9._~-]{1,128}$/;

export interface WhipSettings {
  /** Networks besides loopback that may use WHIP/WHEP (as mediaServer.metrics.allow). */
  allow: readonly string[];
  /** Bearer tokens (RFC 6750); empty: no token asked. */
  tokens: readonly string[];
  /** STUN and TURN of WebRtcEndpoint.conf.ini, offered as ICE servers in `Link` headers. */
  stun?: { address: string; port: number };
  turnUrl?: string;
}

/**
 * WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep) on the control port's HTTP server:
 * `POST /whip/{stream}` publishes and `POST /whep/{stream}` views, `application/sdp`
 * in and out (201, `Location` of the session, `ETag`), `PATCH` on the session with an
 * `application/trickle-ice-sdpfrag` (trickle ICE), `DELETE` ends it, `OPTIONS`
 * answers CORS preflights with `Accept-Post`. ICE servers go in `Link` headers
 * (RFC 9725 §4.6). Loopback clients may always reach these paths, other addresses as
 * `mediaServer.whip.allow` says; with `mediaServer.whip.tokens` every request needs
 * one of them as a Bearer token.
 */
export class WhipEndpoints {
  readonly streams: WhipStreams;
  readonly #settings: WhipSettings;
  readonly #access: OpsAccess;

  constructor(streams: WhipStreams, settings: WhipSettings) {
    this.streams = streams;
    this.#settings = settings;
    this.#access = new OpsAccess(settings.allow);
  }

  /** Answers `req` when its path is /whip/... or /whep/...; false otherwise. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const path = (req.url ?? '/').split('?')[0]!;
    const m = /^\/(whip|whep)\/([^/]*)(?:\/([^/]*))?\/?$/.exec(path);
    if (!m) return false;
    const [, kind, stream, session] = m as unknown as ['', 'whip' | 'whep', string, string | undefined];
    cors(res);
    void this.#route(req, res, kind, decodeURIComponent(stream), session).catch((err: unknown) => {
      const status = err instanceof WhipError ? err.status : 500;
      if (status === 500) log.error(`${req.method} ${path}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      const message = err instanceof KurentoError ? `${err.type}: ${err.message}` : err instanceof Error ? err.message : String(err);
      if (!res.headersSent) text(res, status, `${message}\n`);
      else res.destroy();
    });
    return true;
  }

  async #route(req: http.IncomingMessage, res: http.ServerResponse, kind: 'whip' | 'whep', stream: string, sessionId: string | undefined): Promise<void> {
    if (req.method === 'OPTIONS') {
      // CORS preflights carry no credentials (Fetch standard): answered before auth.
      res.setHeader('Accept-Post', 'application/sdp');
      res.setHeader('Allow', sessionId === undefined ? 'OPTIONS, POST' : 'OPTIONS, PATCH, DELETE');
      this.#links(res);
      return end(res, 204);
    }
    if (!this.#access.allows(req.socket.remoteAddress)) throw new WhipError(403, 'Forbidden: not a loopback client and not in mediaServer.whip.allow');
    if (!this.#authorized(req)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="fluo"');
      throw new WhipError(401, 'a Bearer token is required (mediaServer.whip.tokens)');
    }
    if (!STREAM_NAME.test(stream)) throw new WhipError(404, `no such stream name: use 1-128 of A-Z a-z 0-9 . _ ~ -`);
    if (sessionId === undefined) {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'OPTIONS, POST');
        throw new WhipError(405, `${req.method} not allowed on a ${kind.toUpperCase()} endpoint`);
      }
      return this.#offer(req, res, kind, stream);
    }
    const session = this.streams.session(sessionId);
    if (!session || session.stream !== stream || session.kind !== kind) throw new WhipError(404, 'no such session');
    if (req.method === 'DELETE') {
      await this.streams.end(session);
      return end(res, 200);
    }
    if (req.method === 'PATCH') return this.#patch(req, res, session);
    res.setHeader('Allow', 'OPTIONS, PATCH, DELETE');
    throw new WhipError(405, `${req.method} not allowed on a session`);
  }

  async #offer(req: http.IncomingMessage, res: http.ServerResponse, kind: 'whip' | 'whep', stream: string): Promise<void> {
    if (!isType(req, 'application/sdp')) throw new WhipError(415, 'the offer must be application/sdp');
    const offer = await body(req, MAX_OFFER);
    if (!/^v=0/m.test(offer) || !/^m=/m.test(offer)) throw new WhipError(400, 'the body is not an SDP offer (no v= or m= line)');
    const { session, answer } = kind === 'whip' ? await this.streams.publish(stream, offer) : await this.streams.view(stream, offer);
    res.setHeader('Location', `/${kind}/${encodeURIComponent(stream)}/${session.id}`);
    res.setHeader('ETag', session.etag);
    res.setHeader('Accept-Patch', 'application/trickle-ice-sdpfrag');
    this.#links(res);
    res.writeHead(201, { 'Content-Type': 'application/sdp', 'Content-Length': Buffer.byteLength(answer) });
    res.end(answer);
  }

  async #patch(req: http.IncomingMessage, res: http.ServerResponse, session: WhipSession): Promise<void> {
    if (!isType(req, 'application/trickle-ice-sdpfrag')) throw new WhipError(415, 'PATCH takes application/trickle-ice-sdpfrag');
    let frag: SdpFrag;
    try {
      frag = parseSdpFrag(await body(req, MAX_FRAG));
    } catch (err) {
      if (err instanceof WhipError) throw err;
      throw new WhipError(400, `malformed sdpfrag: ${(err as Error).message}`);
    }
    const ifMatch = req.headers['if-match'];
    const restart = frag.ufrag !== undefined || frag.pwd !== undefined;
    // RFC 9725 §4.3.1: If-Match "*" or the session's ETag; a restart must carry it.
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== session.etag) throw new WhipError(412, 'If-Match does not match the session\'s ETag');
    if (restart) {
      if (ifMatch === undefined) throw new WhipError(428, 'an ICE restart needs If-Match');
      // RFC 9725 §4.3.2: 200 with Fluo's new credentials and candidates, and a new ETag.
      const answer = restartFragOf(await this.streams.restart(session, frag));
      res.setHeader('ETag', session.etag);
      res.writeHead(200, { 'Content-Type': 'application/trickle-ice-sdpfrag', 'Content-Length': Buffer.byteLength(answer) });
      res.end(answer);
      return;
    }
    await this.streams.trickle(session, frag);
    end(res, 204);
  }

  #authorized(req: http.IncomingMessage): boolean {
    const tokens = this.#settings.tokens;
    if (tokens.length === 0) return true;
    const m = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    if (!m) return false;
    const given = Buffer.from(m[1]!);
    return tokens.some((t) => {
      const want = Buffer.from(t);
      return want.length === given.length && timingSafeEqual(want, given);
    });
  }

  /** ICE servers as `Link` headers (RFC 9725 §4.6, RFC 8288). */
  #links(res: http.ServerResponse): void {
    const links: string[] = [];
    const { stun, turnUrl } = this.#settings;
    if (stun) links.push(`<stun:${stun.address}:${stun.port}>; rel="ice-server"`);
    const turn = turnUrl ? parseTurnUrl(turnUrl) : undefined;
    if (turn?.ok) {
      const t = turn.server;
      const scheme = t.transport === 'tls' ? 'turns' : 'turn';
      links.push(`<${scheme}:${t.host}:${t.port}?transport=${t.transport === 'tls' ? 'tcp' : t.transport}>; rel="ice-server"; username="${quote(t.username)}"; credential="${quote(t.credential)}"; credential-type="password"`);
    }
    if (links.length) res.setHeader('Link', links);
  }
}

function quote(s: string): string {
  return s.replace(/["\\]/g, (c) => `\\${c}`);
}

function cors(res: http.ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'OPTIONS, POST, PATCH, DELETE');
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, If-Match');
  res.setHeader('Access-Control-Expose-Headers', 'Location, ETag, Link, Accept-Patch, Accept-Post');
}

function isType(req: http.IncomingMessage, type: string): boolean {
  return String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() === type;
}

async function body(req: http.IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > max) throw new WhipError(413, `body larger than ${max} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > max) throw new WhipError(413, `body larger than ${max} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function text(res: http.ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(message) });
  res.end(message);
}

function end(res: http.ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}
