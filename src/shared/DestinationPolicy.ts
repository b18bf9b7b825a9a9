import { lookup } from 'node:dns/promises';
import net from 'node:net';

/**
 * Named address ranges for the destination lists (IANA special-purpose registries,
 * RFC 6890): one word in the configuration instead of a list of networks.
 */
const RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  // RFC 1918, RFC 6598 (shared address space), RFC 4193 (unique local IPv6).
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'],
  'link-local': ['169.254.0.0/16', 'fe80::/10'],
  multicast: ['224.0.0.0/4', 'ff00::/8'],
  unspecified: ['0.0.0.0/8', '::/128'],
  all: ['0.0.0.0/0', '::/0'],
};

/**
 * Where the control socket may make the server send packets (issue 16, "outbound
 * traffic"): STUN and TURN servers a client sets, the candidates it gives
 * (addIceCandidate, offers and answers) and the hosts of media URIs. An address is
 * refused when it is in a denied network and in no allowed one, so
 * `deny: ["private", "loopback"]` with `allow: ["10.1.2.3/32"]` keeps one internal
 * TURN server reachable. Empty lists (the default) allow everything, as Kurento.
 */
export class DestinationPolicy {
  readonly #deny = new net.BlockList();
  readonly #allow = new net.BlockList();
  readonly #restrictive: boolean;
  /** The lists it was made from (handed to the media plane, which builds its own). */
  readonly lists: { readonly deny: readonly string[]; readonly allow: readonly string[] };

  /** Throws an Error naming the first entry that is neither a range name nor an address[/prefix]. */
  constructor(deny: readonly string[] = [], allow: readonly string[] = []) {
    this.lists = { deny: [...deny], allow: [...allow] };
    for (const entry of deny) addNetwork(this.#deny, entry);
    for (const entry of allow) addNetwork(this.#allow, entry);
    this.#restrictive = deny.length > 0;
  }

  /** True when something is denied: host names, which cannot be checked here, are refused too. */
  get restrictive(): boolean {
    return this.#restrictive;
  }

  /** Why packets may not go to `host` (an IP address or a name), or undefined. */
  refuses(host: string): string | undefined {
    if (!this.#restrictive) return undefined;
    let address = host.replace(/^\[|\]$/g, '');
    if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)) address = address.slice(7); // IPv4-mapped
    const type = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
    if (!type) return `'${host}' is a host name; with denied destinations only IP addresses are accepted`;
    if (this.#deny.check(address, type) && !this.#allow.check(address, type)) {
      return `${address} is in a denied network (mediaServer.security.deniedDestinations)`;
    }
    return undefined;
  }
}

/**
 * Why a URI's host may not be reached, resolving a host name first (every address it
 * has must be allowed), or undefined. A name that does not resolve is refused.
 */
export async function refusedHost(policy: DestinationPolicy, hostname: string): Promise<string | undefined> {
  if (!policy.restrictive) return undefined;
  const host = hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) !== 0) return policy.refuses(host);
  let addresses: string[];
  try {
    addresses = (await lookup(host === 'localhost' ? '127.0.0.1' : host, { all: true })).map((a) => a.address);
  } catch (err) {
    return `${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  for (const address of addresses) {
    const why = policy.refuses(address);
    if (why) return `${host} resolves to ${why}`;
  }
  return undefined;
}

/** Adds a range name or an address[/prefix] to `list`; throws an Error naming a bad entry. */
export function addNetwork(list: net.BlockList, entry: string): void {
  const named = RANGES[entry];
  for (const cidr of named ?? [entry]) {
    const [address = '', prefix] = cidr.split('/');
    const type = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
    const bits = prefix === undefined ? (type === 'ipv4' ? 32 : 128) : Number(prefix);
    if (!type || !Number.isInteger(bits) || bits < 0 || bits > (type === 'ipv4' ? 32 : 128)) {
      throw new Error(`'${entry}' is neither an address[/prefix] nor one of ${Object.keys(RANGES).join(', ')}`);
    }
    list.addSubnet(address, bits, type);
  }
}
