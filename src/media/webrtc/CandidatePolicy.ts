import os from 'node:os';
import { interfaceNames, type IceSettings } from './webrtcConfig.ts';

/**
 * What a WebRtcEndpoint announces of its local ICE candidates, from Kurento's
 * WebRtcEndpoint settings (KMD elements docs):
 *  - `networkInterfaces`: only candidates on those interfaces (host candidates by their
 *    address, server-reflexive ones by their base, `raddr`); relayed ones always;
 *  - `externalIPv4`/`externalIPv6`: "forces all local IPv4 [IPv6] ICE candidates to have
 *    the given address", for a 1:1 NAT known in advance: host candidates of that
 *    family are announced with it, port unchanged.
 * werift gathers on every interface; this decides what the peer is told, in the
 * IceCandidateFound events and in the SDP's a=candidate lines alike.
 */
export class CandidatePolicy {
  readonly #allowed: Set<string> | undefined;
  readonly #external4: string | undefined;
  readonly #external6: string | undefined;

  constructor(ice: IceSettings, interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()) {
    const names = interfaceNames(ice);
    if (names.length) {
      this.#allowed = new Set(names.flatMap((n) => (interfaces[n] ?? []).map((a) => a.address.toLowerCase())));
      // 'lo' is how Kurento is told to use loopback; werift adds 127.0.0.1 for it.
      if (names.includes('lo')) this.#allowed.add('127.0.0.1');
    }
    this.#external4 = ice.externalIPv4 || undefined;
    this.#external6 = ice.externalIPv6 || undefined;
  }

  /** True when the policy changes nothing (the common case: no per-candidate work). */
  get passThrough(): boolean {
    return !this.#allowed && !this.#external4 && !this.#external6;
  }

  /**
   * The candidate line to announce (RFC 8839 §5.1 grammar, with or without the
   * "candidate:" prefix or "a="), rewritten, or undefined to leave it out.
   */
  announce(line: string): string | undefined {
    if (this.passThrough) return line;
    const m = /^((?:a=)?candidate:\S+ \d+ \S+ \d+ )(\S+)( \d+ typ (\S+))(.*)$/i.exec(line.trim());
    if (!m) return line;
    const [, head, address, mid, type, rest] = m as unknown as [string, string, string, string, string, string];
    const addr = address.toLowerCase();
    if (this.#allowed) {
      const base = type === 'host' ? addr : /\braddr (\S+)/i.exec(rest)?.[1]?.toLowerCase();
      if (type !== 'relay' && (!base || !this.#allowed.has(base))) return undefined;
    }
    if (type === 'host') {
      const v6 = addr.includes(':');
      const external = v6 ? this.#external6 : this.#external4;
      if (external) return `${head}${external}${mid}${rest}`;
    }
    return line.trim();
  }

  /** The SDP with its a=candidate lines announced as above. */
  announceSdp(sdp: string): string {
    if (this.passThrough) return sdp;
    const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
    return sdp.split(eol).flatMap((l) => (l.startsWith('a=candidate:') ? (this.announce(l) ?? []) : [l])).join(eol);
  }
}
