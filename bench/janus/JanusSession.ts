/**
 * One Janus API session over its REST transport (Janus's "RESTful, HTTP/HTTPS and
 * WebSockets" API: create, attach, message; asynchronous events by long poll on the
 * session's URL), enough for the VideoRoom requests the SFU benchmark makes.
 */
export interface JanusJsep {
  type: 'offer' | 'answer';
  sdp: string;
}

export interface JanusEvent {
  janus: string;
  sender?: number;
  transaction?: string;
  plugindata?: { plugin: string; data: Record<string, unknown> };
  jsep?: JanusJsep;
  error?: { code: number; reason: string };
}

let transactions = 0;

async function post(url: string, body: Record<string, unknown>): Promise<JanusEvent> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, transaction: `t${++transactions}` }) });
  const reply = (await r.json()) as JanusEvent;
  if (reply.janus === 'error') throw new Error(`Janus: ${reply.error?.code} ${reply.error?.reason}`);
  return reply;
}

export class JanusSession {
  readonly #url: string;
  /** Waiters for the next asynchronous event of a handle. */
  readonly #waiting = new Map<number, Array<(e: JanusEvent) => void>>();
  readonly #early = new Map<number, JanusEvent[]>();
  #closed = false;

  private constructor(url: string) {
    this.#url = url;
  }

  static async create(base: string): Promise<JanusSession> {
    const id = (await post(base, { janus: 'create' })) as JanusEvent & { data: { id: number } };
    const s = new JanusSession(`${base}/${id.data.id}`);
    void s.#poll();
    return s;
  }

  async #poll(): Promise<void> {
    while (!this.#closed) {
      let events: JanusEvent[];
      try {
        const r = await fetch(`${this.#url}?maxev=50`);
        const body = (await r.json()) as JanusEvent | JanusEvent[];
        events = Array.isArray(body) ? body : [body];
      } catch {
        if (this.#closed) return;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      for (const e of events) {
        if (e.sender === undefined || e.janus !== 'event') continue;
        const w = this.#waiting.get(e.sender)?.shift();
        if (w) w(e);
        else this.#early.set(e.sender, [...(this.#early.get(e.sender) ?? []), e]);
      }
    }
  }

  /** A new handle on `plugin`. */
  async attach(plugin: string): Promise<number> {
    return ((await post(this.#url, { janus: 'attach', plugin })) as JanusEvent & { data: { id: number } }).data.id;
  }

  /** A request answered at once (plugindata of the reply). */
  async request(handle: number, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const reply = await post(`${this.#url}/${handle}`, { janus: 'message', body });
    const data = reply.plugindata?.data ?? {};
    if (typeof data.error === 'string') throw new Error(`Janus VideoRoom: ${String(data.error_code)} ${data.error}`);
    return data;
  }

  /** A request answered by an event (acknowledged first): the event. */
  async send(handle: number, body: Record<string, unknown>, jsep?: JanusJsep): Promise<JanusEvent> {
    const next = this.#next(handle);
    await post(`${this.#url}/${handle}`, { janus: 'message', body, ...(jsep ? { jsep } : {}) });
    const e = await next;
    const data = e.plugindata?.data ?? {};
    if (typeof data.error === 'string') throw new Error(`Janus VideoRoom: ${String(data.error_code)} ${data.error}`);
    return e;
  }

  #next(handle: number): Promise<JanusEvent> {
    const early = this.#early.get(handle)?.shift();
    if (early) return Promise.resolve(early);
    return new Promise((resolve, reject) => {
      const list = this.#waiting.get(handle) ?? [];
      const timer = setTimeout(() => reject(new Error('Janus: no event within 10 s')), 10_000);
      list.push((e) => { clearTimeout(timer); resolve(e); });
      this.#waiting.set(handle, list);
    });
  }

  async destroy(): Promise<void> {
    this.#closed = true;
    await post(this.#url, { janus: 'destroy' }).catch(() => undefined);
  }
}
