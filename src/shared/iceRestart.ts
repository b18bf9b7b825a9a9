/**
 * ICE restarts asked by the remote peer (RFC 8445 §2.4; RFC 8839 §4.4.1.1.1: an offer
 * with a new ice-ufrag/ice-pwd restarts ICE). The remote peer's last offer is replayed
 * to werift with the new credentials: werift then restarts the agent on the same
 * sockets (new local credentials, a new candidate generation) and keeps DTLS and SRTP,
 * which the restart does not touch (RFC 8445 §2.4: "the media ... continues").
 */

/** ICE credentials: RFC 8839 §5.4 (ufrag 4-256, pwd 22-256 ice-chars). */
const ICE_CHARS = /^[A-Za-z0-9+/]+$/;

/** Why `ufrag`/`pwd` cannot be ICE credentials, or undefined when they can. */
export function badIceCredentials(ufrag: string, pwd: string): string | undefined {
  if (!ICE_CHARS.test(ufrag) || ufrag.length < 4 || ufrag.length > 256) return `ice-ufrag '${ufrag.slice(0, 40)}' is not 4 to 256 ice-chars (RFC 8839 §5.4)`;
  if (!ICE_CHARS.test(pwd) || pwd.length < 22 || pwd.length > 256) return 'ice-pwd is not 22 to 256 ice-chars (RFC 8839 §5.4)';
  return undefined;
}

/**
 * The remote offer again with the new credentials on every line that had some, and
 * without its old candidates (they belong to the previous generation: the peer trickles
 * or sends the new ones).
 */
export function offerWithCredentials(sdp: string, ufrag: string, pwd: string): string {
  return sdp
    .split(/\r?\n/)
    .filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
    .map((l) => (l.startsWith('a=ice-ufrag:') ? `a=ice-ufrag:${ufrag}` : l.startsWith('a=ice-pwd:') ? `a=ice-pwd:${pwd}` : l))
    .join('\r\n');
}
