/**
 * The `application/trickle-ice-sdpfrag` bodies of WHIP/WHEP PATCH requests (RFC 8840
 * §9, RFC 9725 §4.3.1): ICE credentials and candidates, per media section.
 */
export interface SdpFrag {
  ufrag?: string;
  pwd?: string;
  /** Candidates with the media section they belong to (`a=mid`, else its index). */
  candidates: Array<{ candidate: string; sdpMid?: string; sdpMLineIndex: number }>;
  endOfCandidates: boolean;
}

/** Largest fragment accepted (bytes): a few dozen candidates fit in far less. */
export const MAX_FRAG = 16 * 1024;

/** Parses a fragment; throws an Error with the reason for a malformed one. */
export function parseSdpFrag(text: string): SdpFrag {
  const out: SdpFrag = { candidates: [], endOfCandidates: false };
  let index = -1;
  let mid: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (!/^[a-z]=/.test(line)) throw new Error(`not an SDP line: ${line.slice(0, 80)}`);
    if (line.startsWith('m=')) {
      index++;
      mid = undefined;
    } else if (line.startsWith('a=mid:')) {
      mid = line.slice(6);
    } else if (line.startsWith('a=ice-ufrag:')) {
      out.ufrag = line.slice(12);
    } else if (line.startsWith('a=ice-pwd:')) {
      out.pwd = line.slice(10);
    } else if (line.startsWith('a=candidate:')) {
      if (line.split(' ').length < 8) throw new Error(`malformed candidate: ${line.slice(0, 120)}`);
      out.candidates.push({ candidate: line.slice(2), sdpMLineIndex: Math.max(0, index), ...(mid !== undefined ? { sdpMid: mid } : {}) });
    } else if (line === 'a=end-of-candidates') {
      out.endOfCandidates = true;
    }
  }
  return out;
}

/** The ICE credentials of an SDP (its first ones: a BUNDLE answer has one set). */
export function iceCredentials(sdp: string): { ufrag?: string; pwd?: string } {
  return { ufrag: /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1], pwd: /^a=ice-pwd:(\S+)/m.exec(sdp)?.[1] };
}

/**
 * The fragment that answers an ICE restart (RFC 9725 §4.3.2, RFC 8840 §9): Fluo's new
 * credentials, and per media section its mid and candidates, from its new local SDP.
 */
export function restartFragOf(sdp: string): string {
  const out: string[] = [];
  const { ufrag, pwd } = iceCredentials(sdp);
  if (/^a=ice-lite/m.test(sdp)) out.push('a=ice-lite');
  out.push(`a=ice-ufrag:${ufrag ?? ''}`, `a=ice-pwd:${pwd ?? ''}`);
  const group = /^a=group:BUNDLE .*/m.exec(sdp)?.[0];
  if (group) out.push(group);
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=') || line.startsWith('a=mid:') || line.startsWith('a=candidate:') || line === 'a=end-of-candidates') out.push(line);
  }
  return `${out.join('\r\n')}\r\n`;
}
