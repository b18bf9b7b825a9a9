/**
 * Small text edits on SDP that werift does not do itself. Pure functions; the full SDP
 * model lives in src/media (another engineer's cores) and is not needed for these.
 */

const TWCC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';

/**
 * Removes transport-cc feedback and the transport-wide-cc extension. werift echoes the
 * offer's rtcp-fb lines into its answer; Chrome then relies on TWCC feedback that it
 * cannot use and stays under 300 kbps (webrtc-probe-notes §3).
 */
export function withoutTransportCc(sdp: string): string {
  return sdp
    .replace(/^a=rtcp-fb:\S+ transport-cc[ \t]*\r?\n/gm, '')
    .replace(new RegExp(`^a=extmap:\\d+(?:/\\w+)? ${TWCC_URI.replace(/[.]/g, '\\.')}[^\\r\\n]*\\r?\\n`, 'gm'), '');
}

/**
 * Gives each m-section an `a=mid` (RFC 5888) when the offer has none. Plain RTP/AVP
 * offers (old Android clients) carry no mid and Kurento still answers them
 * (conformance notes f, "Android SDP"); werift needs mids to match transceivers.
 */
export function withMids(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  return sdp.split(/(?=^m=)/m).map((sec, i) => {
    if (i === 0 || /^a=mid:/m.test(sec)) return sec;
    return `${sec.endsWith(eol) ? sec : sec + eol}a=mid:${i - 1}${eol}`;
  }).join('');
}

/**
 * Replaces the connection address of host candidates (and `c=` lines) with the
 * configured public address, as KMS does for `externalIPv4`/`externalIPv6`
 * (WebRtcEndpoint.conf.ini): the NAT maps it back to our socket.
 */
export function withExternalAddress(text: string, family: 4 | 6, external: string): string {
  const ip = family === 4 ? '\\d{1,3}(?:\\.\\d{1,3}){3}' : '[0-9a-fA-F:]*:[0-9a-fA-F:.]+';
  return text
    .replace(new RegExp(`(candidate:\\S+ \\d+ \\S+ \\d+ )(${ip})( \\d+ typ host)`, 'g'), (_m, a: string, _ip: string, b: string) => `${a}${external}${b}`)
    .replace(new RegExp(`^(c=IN IP${family} )(${ip})`, 'gm'), (_m, a: string, addr: string) => (addr === '0.0.0.0' || addr === '::' ? `${a}${addr}` : `${a}${external}`));
}

/** `a=ssrc:<n>` values per mid, from a remote SDP. */
export function ssrcsByMid(sdp: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const sec of sdp.split(/(?=^m=)/m).slice(1)) {
    const mid = /^a=mid:(\S+)/m.exec(sec)?.[1];
    if (mid === undefined) continue;
    const set = new Set<number>();
    for (const m of sec.matchAll(/^a=ssrc:(\d+) /gm)) set.add(Number(m[1]));
    out.set(mid, [...set]);
  }
  return out;
}

/** The payload types of each m-section in order of the offerer's preference (RFC 3264 §6.1). */
export function payloadOrderByMid(sdp: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const sec of sdp.split(/(?=^m=)/m).slice(1)) {
    const mid = /^a=mid:(\S+)/m.exec(sec)?.[1];
    const fmts = /^m=\S+ \d+ \S+ ([^\r\n]*)/.exec(sec)?.[1];
    if (mid !== undefined && fmts) out.set(mid, fmts.trim().split(/\s+/).map(Number).filter(Number.isFinite));
  }
  return out;
}
