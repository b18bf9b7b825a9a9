/** Rewrites of the SDP werift produces or receives, each for a reason given below. */

/** Drops transport-cc feedback and the transport-wide-cc header extension from an SDP. */
export function withoutTransportCc(sdp: string): string {
  return sdp
    .replace(/^a=rtcp-fb:\S+ transport-cc\r?\n/gm, '')
    .replace(/^a=extmap:\d+(\/\w+)? http:\/\/www\.ietf\.org\/id\/draft-holmer-rmcat-transport-wide-cc-extensions-01\r?\n/gm, '');
}

/** Drops the a=candidate and a=end-of-candidates lines (RFC 8839 §5.1, RFC 8840 §8.2). */
export function withoutCandidates(sdp: string): string {
  return sdp.replace(/^a=(candidate:|end-of-candidates).*\r?\n/gm, '');
}

/**
 * Gives every m-section an `a=mid` (RFC 5888) when the offer has none: plain RTP/AVP
 * offers (old Android clients) carry no mid, and Kurento still answers them.
 */
export function withMids(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const sections = sdp.split(/(?=^m=)/m);
  return sections.map((sec, i) => {
    if (i === 0 || /^a=mid:/m.test(sec)) return sec;
    const body = sec.endsWith(eol) ? sec : sec + eol;
    return `${body}a=mid:${i - 1}${eol}`;
  }).join('');
}

/**
 * A media-level `a=msid` (RFC 8830 §2) on every audio/video section that sends RTP and
 * has none: werift writes none when its sender has no track, and Fluo's senders have
 * none (ForwardingSender sends). libwebrtc then takes each `a=ssrc` line of a section
 * as its own track, and refuses a section with RTX (ssrc-group FID, two SSRCs) as
 * "more than one track" under Unified Plan. One stream id for the endpoint keeps audio
 * and video in one MediaStream, as KMS does.
 */
export function withStreamMsid(sdp: string, streamId: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  return sdp.split(/(?=^m=)/m).map((sec) => {
    if (!/^m=(audio|video) /.test(sec) || /^a=msid:/m.test(sec) || !/^a=ssrc:/m.test(sec)) return sec;
    const mid = /^a=mid:(\S+)/m.exec(sec)?.[1] ?? '0';
    const line = `a=msid:${streamId} ${streamId}-${mid}${eol}`;
    return /^a=mid:/m.test(sec) ? sec.replace(/^(a=mid:\S+\r?\n)/m, `$1${line}`) : sec + line;
  }).join('');
}
