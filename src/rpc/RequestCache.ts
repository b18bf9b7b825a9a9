import { createHash } from 'node:crypto';

/**
 * Kurento's duplicate-request cache (KMS server_duplicate_requests test): a request
 * repeated with the same (params.sessionId, id) inside the window gets the stored
 * answer again instead of running twice. This is what makes a client's retry after
 * a reconnect idempotent. Entries expire lazily, in insertion order: no timers.
 * Unlike KMS, the cache is also bounded in entries, so a flood of requests cannot
 * hold memory for the whole window; retries concern the newest requests anyway.
 */
export class RequestCache {
  readonly #entries = new Map<string, { at: number; answer: Promise<string | undefined> | string | undefined }>();
  readonly #timeoutMs: number;
  readonly #now: () => number;

  readonly #maxEntries: number;

  constructor(timeoutMs: number, maxEntries = 4096, now: () => number = Date.now) {
    this.#timeoutMs = timeoutMs;
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  static key(sessionId: string, id: unknown, request = ''): string {
    return `${sessionId}\u0000${typeof id}:${String(id)}\u0000${createHash('sha1').update(request).digest('base64')}`;
  }

  get(key: string): Promise<string | undefined> | string | undefined | null {
    this.#expire();
    const e = this.#entries.get(key);
    return e ? e.answer : null;
  }

  set(key: string, answer: Promise<string | undefined> | string | undefined): void {
    this.#expire();
    this.#entries.delete(key);
    this.#entries.set(key, { at: this.#now(), answer });
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }

  #expire(): void {
    const limit = this.#now() - this.#timeoutMs;
    for (const [k, e] of this.#entries) {
      if (e.at > limit) break;
      this.#entries.delete(k);
    }
  }
}
