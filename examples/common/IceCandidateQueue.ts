import { call, complexType, type Kurento } from './kurento.ts';

/**
 * Browser candidates that arrive before the endpoint exists wait here, as in Kurento's
 * Node tutorials (which queue them per session), then go to `addIceCandidate`.
 */
export class IceCandidateQueue {
  readonly #pending: Array<Record<string, unknown>> = [];
  #endpoint: Kurento | undefined;

  async add(candidate: Record<string, unknown>): Promise<void> {
    if (!this.#endpoint) {
      this.#pending.push(candidate);
      return;
    }
    await call(this.#endpoint, 'addIceCandidate', this.#complex(candidate));
  }

  async attach(endpoint: Kurento): Promise<void> {
    this.#endpoint = endpoint;
    for (const c of this.#pending.splice(0)) await call(endpoint, 'addIceCandidate', this.#complex(c));
  }

  #complex(c: Record<string, unknown>): Kurento {
    return complexType('IceCandidate', c);
  }
}
