import net from 'node:net';

/** Transports a TURN client may use to reach its server (RFC 8656 §3.1). */
export type TurnTransport = 'udp' | 'tcp' | 'tls';

/** A Kurento `turnURL` taken apart. */
export interface TurnServer {
  username: string;
  credential: string;
  /** The server's IP address; an IPv6 one without brackets. */
  host: string;
  port: number;
  transport: TurnTransport;
  /** The same server as a W3C RTCIceServer, its URL in the RFC 7065 form. */
  iceServer: { urls: string; username: string; credential: string };
}

export type TurnUrlResult = { ok: true; server: TurnServer } | { ok: false; reason: string };

/** Kurento's documented form, for error messages (Fluo also takes it without the port). */
export const TURN_URL_FORM = 'user:password@address:port[?transport=udp|tcp|tls]';

/**
 * Parses Kurento's `turnURL` (WebRtcEndpoint.conf.ini, `setTurnUrl`, `KMS_TURN_URL`):
 * `user:password@address:port[?transport=udp|tcp|tls]`.
 *
 * As in Kurento, the credentials end at the last `@` and the password starts after the
 * last `:` before it, so a user name may hold colons (the TURN REST API's
 * `expiry:name` names, draft-uberti-behave-turn-rest §2.2) and a password may hold `@`,
 * but a password cannot hold `:`. Both must be non-empty: TURN allocations need the
 * long-term credential mechanism (RFC 8656 §5, RFC 8489 §9.2). The address must be an
 * IP address, as Kurento requires (no name resolution). Beyond Kurento's own parser,
 * Fluo also takes an IPv6 address in brackets (`[2001:db8::1]:3478`, RFC 3986 §3.2.2)
 * and a missing port, which defaults to 3478, or 5349 with TLS (RFC 7065 §3).
 */
export function parseTurnUrl(text: string): TurnUrlResult {
  const fail = (reason: string): TurnUrlResult => ({ ok: false, reason });
  const s = text.trim();
  const at = s.lastIndexOf('@');
  if (at < 0) return fail("no 'user:password@' before the address");
  const creds = s.slice(0, at);
  const colon = creds.lastIndexOf(':');
  if (colon < 0) return fail("no ':' between user and password");
  const username = creds.slice(0, colon);
  const credential = creds.slice(colon + 1);
  if (!username) return fail('the user name is empty');
  if (!credential) return fail('the password is empty');

  const rest = s.slice(at + 1);
  const q = rest.indexOf('?');
  const hostPort = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? undefined : rest.slice(q + 1);
  let transport: TurnTransport = 'udp';
  if (query !== undefined) {
    const m = /^transport=(udp|tcp|tls)$/i.exec(query);
    if (!m) return fail(`unknown parameter '?${query}' (only ?transport=udp, tcp or tls)`);
    transport = m[1]!.toLowerCase() as TurnTransport;
  }

  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) return fail(`no ']' after the IPv6 address '${hostPort}'`);
    host = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return fail(`unexpected '${after}' after the IPv6 address`);
    portText = after === '' ? undefined : after.slice(1);
    if (net.isIP(host) !== 6) return fail(`'${host}' is not an IPv6 address`);
  } else {
    if (hostPort === '') return fail('the address is empty');
    const colons = hostPort.split(':').length - 1;
    if (colons > 1) {
      // "2001:db8::1:3478" is itself an IPv6 address: where would the port be?
      return fail(`an IPv6 address goes in brackets, e.g. [${net.isIP(hostPort) === 6 ? hostPort : '2001:db8::1'}]:3478`);
    }
    host = colons === 1 ? hostPort.slice(0, hostPort.indexOf(':')) : hostPort;
    portText = colons === 1 ? hostPort.slice(hostPort.indexOf(':') + 1) : undefined;
    if (net.isIP(host) !== 4) {
      return fail(`the address '${host}' is not an IP address (host names are not resolved, as in Kurento)`);
    }
  }
  let port = transport === 'tls' ? 5349 : 3478;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      return fail(`the port '${portText}' is not a number from 1 to 65535`);
    }
    port = Number(portText);
  }

  const hostInUri = host.includes(':') ? `[${host}]` : host;
  // RFC 7065 §3: TLS is `turns:` over TCP; werift reads `turn:...?transport=tls` as invalid.
  const urls = transport === 'tls' ? `turns:${hostInUri}:${port}?transport=tcp` : `turn:${hostInUri}:${port}?transport=${transport}`;
  return { ok: true, server: { username, credential, host, port, transport, iceServer: { urls, username, credential } } };
}

/** The URL with its password masked, for error messages and logs. */
export function redactTurnUrl(text: string): string {
  const s = text.trim();
  const at = s.lastIndexOf('@');
  const colon = at < 0 ? -1 : s.lastIndexOf(':', at);
  return colon < 0 ? s : `${s.slice(0, colon + 1)}***${s.slice(at)}`;
}
