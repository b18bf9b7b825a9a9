import { randomBytes } from 'node:crypto';
import type { OperationRouter } from '../core/OperationRouter.ts';
import { KurentoError } from '../shared/KurentoError.ts';
import type { SdpFrag } from './sdpFrag.ts';
import { iceCredentials } from './sdpFrag.ts';

/** The session that owns the objects WHIP and WHEP make (kept out of the session GC). */
export const WHIP_SESSION = 'fluo-whip';
/** How long an answer waits for the endpoint's candidates (host ones take milliseconds). */
const GATHER_TIMEOUT_MS = 3_000;

export interface WhipSession {
  readonly id: string;
  readonly stream: string;
  readonly kind: 'whip' | 'whep';
  readonly endpoint: string;
  /** The entity tag of the session's ICE state (RFC 9725 §4.3.1): its ICE ufrag. */
  etag: string;
}

interface Stream { pipeline?: string; publisher?: WhipSession; viewers: Map<string, WhipSession>; chain: Promise<unknown> }

/** An HTTP outcome with its status (the HTTP side maps it). */
export class WhipError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * The media of WHIP and WHEP (RFC 9725, the WHEP draft) on Fluo's own object model,
 * with no application involved: one MediaPipeline per stream name, the WHIP publisher's
 * WebRtcEndpoint connected to every WHEP viewer's, as in Kurento's one-to-many tutorial.
 * A viewer may come before the publisher (it is connected when the publisher comes); the
 * pipeline is released with the stream's last session. Everything goes through the
 * OperationRouter, as a JSON-RPC client's calls do, under one internal session.
 */
export class WhipStreams {
  readonly #router: OperationRouter;
  readonly #streams = new Map<string, Stream>();
  readonly #sessions = new Map<string, WhipSession>();
  readonly #gathered = new Map<string, () => void>();

  constructor(router: OperationRouter) {
    this.#router = router;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  session(id: string): WhipSession | undefined {
    return this.#sessions.get(id);
  }

  /** An event delivered to WHIP_SESSION (the router's subscriptions). */
  event(value: { object: string; type: string }): void {
    if (value.type === 'IceGatheringDone') this.#gathered.get(value.object)?.();
  }

  /** A WHIP publisher's offer: its answer, with Fluo's candidates. 409 when the stream has one. */
  publish(stream: string, offer: string): Promise<{ session: WhipSession; answer: string }> {
    return this.#serial(stream, async (s) => {
      if (s.publisher) throw new WhipError(409, `stream '${stream}' already has a publisher`);
      const { session, answer } = await this.#open(stream, s, 'whip', offer);
      s.publisher = session;
      for (const v of s.viewers.values()) await this.#connect(session, v);
      return { session, answer };
    });
  }

  /** A WHEP viewer's offer: its answer; connected to the publisher now or when it comes. */
  view(stream: string, offer: string): Promise<{ session: WhipSession; answer: string }> {
    return this.#serial(stream, async (s) => {
      const { session, answer } = await this.#open(stream, s, 'whep', offer);
      s.viewers.set(session.id, session);
      if (s.publisher) await this.#connect(s.publisher, session);
      return { session, answer };
    });
  }

  /** Trickled candidates of a session's client (PATCH). */
  async trickle(session: WhipSession, frag: SdpFrag): Promise<void> {
    for (const c of frag.candidates) {
      await this.#router.invoke(WHIP_SESSION, session.endpoint, 'addIceCandidate', { candidate: { candidate: c.candidate, sdpMid: c.sdpMid ?? String(c.sdpMLineIndex), sdpMLineIndex: c.sdpMLineIndex } });
    }
  }

  /** DELETE: the session's endpoint released; the pipeline too when it was the last. */
  end(session: WhipSession): Promise<void> {
    return this.#serial(session.stream, async (s) => {
      if (!this.#sessions.delete(session.id)) return;
      if (s.publisher === session) s.publisher = undefined;
      s.viewers.delete(session.id);
      this.#gathered.delete(session.endpoint);
      const last = !s.publisher && s.viewers.size === 0;
      const target = last ? s.pipeline : session.endpoint;
      if (last) this.#streams.delete(session.stream);
      if (target) this.#release(target);
    });
  }

  /** Every stream released (server stop). */
  close(): void {
    for (const s of this.#streams.values()) if (s.pipeline) this.#release(s.pipeline);
    this.#streams.clear();
    this.#sessions.clear();
    this.#gathered.clear();
  }

  #release(id: string): void {
    try {
      this.#router.release(WHIP_SESSION, id);
    } catch {
      // Already gone (the router shut down first).
    }
  }

  /** One change of a stream at a time: two first offers must not make two pipelines. */
  #serial<T>(stream: string, fn: (s: Stream) => Promise<T>): Promise<T> {
    let s = this.#streams.get(stream);
    if (!s) this.#streams.set(stream, (s = { viewers: new Map(), chain: Promise.resolve() }));
    const st = s;
    const run = st.chain.then(() => fn(st));
    st.chain = run.catch(() => {
      // A failed first offer leaves no empty stream behind.
      if (!st.pipeline && !st.publisher && st.viewers.size === 0 && this.#streams.get(stream) === st) this.#streams.delete(stream);
    });
    return run;
  }

  async #open(stream: string, s: Stream, kind: 'whip' | 'whep', offer: string): Promise<{ session: WhipSession; answer: string }> {
    const fresh = s.pipeline === undefined;
    if (fresh) s.pipeline = await this.#router.create(WHIP_SESSION, 'MediaPipeline', {}, {});
    let endpoint: string | undefined;
    try {
      endpoint = await this.#router.create(WHIP_SESSION, 'WebRtcEndpoint', { mediaPipeline: s.pipeline }, {});
      const ep = endpoint;
      let answer: string;
      try {
        answer = String(await this.#router.invoke(WHIP_SESSION, ep, 'processOffer', { offer }));
      } catch (err) {
        if (err instanceof KurentoError && err.type === 'SDP_PARSE_ERROR') throw new WhipError(400, `the offer is not usable SDP: ${err.message}`);
        throw err;
      }
      // Fluo's candidates go in the answer: WHIP has no way to trickle them to the client.
      this.#router.subscribe(WHIP_SESSION, ep, 'IceGatheringDone');
      const gathered = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, GATHER_TIMEOUT_MS);
        this.#gathered.set(ep, () => { clearTimeout(timer); resolve(); });
      });
      await this.#router.invoke(WHIP_SESSION, ep, 'gatherCandidates', {});
      await gathered;
      this.#gathered.delete(ep);
      const full = String(await this.#router.invoke(WHIP_SESSION, ep, 'getLocalSessionDescriptor', {}) ?? answer);
      const session: WhipSession = { id: randomBytes(12).toString('hex'), stream, kind, endpoint: ep, etag: etagOf(full) };
      this.#sessions.set(session.id, session);
      return { session, answer: full };
    } catch (err) {
      if (fresh && !s.publisher && s.viewers.size === 0 && s.pipeline) {
        this.#release(s.pipeline);
        s.pipeline = undefined;
        this.#streams.delete(stream);
      } else if (endpoint) {
        this.#release(endpoint);
      }
      throw err;
    }
  }

  async #connect(publisher: WhipSession, viewer: WhipSession): Promise<void> {
    await this.#router.invoke(WHIP_SESSION, publisher.endpoint, 'connect', { sink: viewer.endpoint });
  }
}

function etagOf(sdp: string): string {
  return `"${iceCredentials(sdp).ufrag ?? 'none'}"`;
}
