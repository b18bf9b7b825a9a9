import net from 'node:net';
import { addNetwork } from '../shared/DestinationPolicy.ts';

/**
 * Who may read `/metrics` and `/health/*` (issue 15 §3): loopback clients always;
 * other addresses only when `mediaServer.metrics.allow` lists their network, or is
 * `["*"]`. The default (empty) keeps them to the machine itself.
 */
export class OpsAccess {
  readonly #allow = new net.BlockList();
  readonly #any: boolean;

  /** Throws an Error naming the first entry that is neither `*`, a range name nor an address[/prefix]. */
  constructor(allow: readonly string[] = []) {
    this.#any = allow.includes('*');
    for (const entry of allow) if (entry !== '*') addNetwork(this.#allow, entry);
  }

  /** Whether a client at `remoteAddress` (as `socket.remoteAddress` gives it) may read them. */
  allows(remoteAddress: string | undefined): boolean {
    if (remoteAddress === undefined) return false;
    let address = remoteAddress;
    if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)) address = address.slice(7); // IPv4-mapped
    const type = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
    if (!type) return false;
    if (type === 'ipv4' ? address.startsWith('127.') : address === '::1') return true;
    return this.#any || this.#allow.check(address, type);
  }
}
