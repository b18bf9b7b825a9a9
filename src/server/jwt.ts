import { createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';

/** Keys a JWT may be signed with: an HS256 shared secret, an RS256 public key, or both. */
export interface JwtKeys {
  readonly hs256Secret?: string;
  readonly rs256PublicKey?: KeyObject;
}

/** Reads an RS256 public key (PEM: a public key or a certificate). */
export function rs256Key(pem: string): KeyObject {
  return createPublicKey(pem);
}

/**
 * Verifies a compact JWS (RFC 7515) carrying JWT claims (RFC 7519) and returns the
 * reason it is refused, or undefined when it is valid. Only the algorithm the
 * configuration has a key for is accepted, never `none` (RFC 8725 section 3.1: the
 * verifier, not the token, chooses the algorithm); `exp` and `nbf` are checked
 * (RFC 7519 sections 4.1.4 and 4.1.5) with 30 s of clock skew.
 */
export function jwtProblem(token: string, keys: JwtKeys, nowSeconds = Date.now() / 1000): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return 'not a JWT (three base64url parts)';
  const [h, p, s] = parts as [string, string, string];
  const header = json(h);
  const claims = json(p);
  if (!header || !claims) return 'not a JWT (undecodable header or claims)';
  const signed = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  if (header.alg === 'HS256' && keys.hs256Secret !== undefined) {
    const expected = createHmac('sha256', keys.hs256Secret).update(signed).digest();
    if (expected.length !== signature.length || !timingSafeEqual(expected, signature)) return 'bad signature';
  } else if (header.alg === 'RS256' && keys.rs256PublicKey) {
    if (!verify('RSA-SHA256', signed, keys.rs256PublicKey, signature)) return 'bad signature';
  } else {
    return `algorithm ${JSON.stringify(header.alg)} not accepted`;
  }
  const skew = 30;
  if (claims.exp !== undefined && (typeof claims.exp !== 'number' || claims.exp + skew < nowSeconds)) return 'expired';
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf - skew > nowSeconds)) return 'not valid yet';
  return undefined;
}

function json(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
