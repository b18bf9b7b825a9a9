import { randomBytes } from 'node:crypto';
import type { OperationRouter } from '../core/OperationRouter.ts';
import { KurentoError } from '../shared/KurentoError.ts';
import type { SdpFrag } from './sdpFrag.ts';
import { iceCredentials } from './sdpFrag.ts';
import { badIceCredentials } from '../shared/iceRestart.ts';
import { WebRtcEndpoint } from '../elements/WebRtcEndpoint.ts';

/** The session that owns the objects WHIP and WHEP make (kept out of the session GC). */
export const WHIP_SESSION = 'fluo-whip';
/**
 * Tag keys by which an application binds a stream name to an element of its own
 * pipeline (a Fluo extension through Kurento's own `addTag`, so kurento-client needs
 * nothing new): `fluo.whip` = name makes that element the sink of the stream's WHIP
 * publisher, `fluo.whep` = name makes it the source of the stream's WHEP viewers.
 */
export const WHIP_TAG = 'fluo.whip';
export const WHEP_TAG = 'fluo.whep';
/** How long an answer waits for the endpoint's candidates (host ones take milliseconds). */
const GATHER_TIMEOUT_MS = 3_000;

export interface WhipSession {
  readonly id: string;
  readonly stream: string;
  readonly kind: 'whip' | 'whep';
  readonly endpoint: string;
  /** The pipeline of the endpoint: WHIP's own for the stream, or an application's. */
  readonly pipeline: string;
  /** The entity tag of the session's ICE state (RFC 9725 §4.3.1): its ICE ufrag. */
  etag: string;
}

interface Stream { pipeline?: string; publisher?: WhipSession; viewers: Map<string, WhipSession>; chain: Promise<unknown> }
/** An application's element bound to a stream by its tag, and the pipeline it is in. */
interface Binding { element: string; pipeline: string }

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
      const bound = this.#binding(WHIP_TAG, stream);
      if (bound) {
        // The application's pipeline: the publisher feeds its element, nothing more.
        const opened = await this.#openIn(bound.pipeline, stream, 'whip', offer);
        await this.#router.invoke(WHIP_SESSION, opened.session.endpoint, 'connect', { sink: bound.element });
        s.publisher = opened.session;
        return opened;
      }
      const { session, answer } = await this.#open(stream, s, 'whip', offer);
      s.publisher = session;
      for (const v of s.viewers.values()) await this.#connect(session, v);
      return { session, answer };
    });
  }

  /** A WHEP viewer's offer: its answer; connected to the publisher now or when it comes. */
  view(stream: string, offer: string): Promise<{ session: WhipSession; answer: string }> {
    return this.#serial(stream, async (s) => {
      const bound = this.#binding(WHEP_TAG, stream);
      if (bound) {
        const opened = await this.#openIn(bound.pipeline, stream, 'whep', offer);
        await this.#router.invoke(WHIP_SESSION, bound.element, 'connect', { sink: opened.session.endpoint });
        s.viewers.set(opened.session.id, opened.session);
        return opened;
      }
      if (s.publisher && s.pipeline === undefined) {
        // The publisher went into an application's pipeline (fluo.whip): viewers join it there.
        const opened = await this.#openIn(s.publisher.pipeline, stream, 'whep', offer);
        s.viewers.set(opened.session.id, opened.session);
        await this.#connect(s.publisher, opened.session);
        return opened;
      }
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

  /**
   * An ICE restart (RFC 9725 §4.3.2): the client's new credentials and candidates; the
   * answer is Fluo's new local SDP (its new credentials and candidates), and the
   * session's ETag becomes the new ufrag's.
   */
  async restart(session: WhipSession, frag: SdpFrag): Promise<string> {
    if (frag.ufrag === undefined || frag.pwd === undefined) throw new WhipError(400, 'an ICE restart needs both a=ice-ufrag and a=ice-pwd');
    const bad = badIceCredentials(frag.ufrag, frag.pwd);
    if (bad) throw new WhipError(400, bad);
    const ep = this.#router.mediaSet.get(session.endpoint);
    if (!(ep instanceof WebRtcEndpoint)) throw new WhipError(404, 'the session\'s endpoint is gone');
    let local: string;
    try {
      local = await ep.restartIce(frag.ufrag, frag.pwd);
    } catch (err) {
      // A restart during another SDP step, or on an endpoint that offered: not now.
      if (err instanceof KurentoError) throw new WhipError(409, `the ICE restart cannot be done now: ${err.message}`);
      throw err;
    }
    session.etag = etagOf(local);
    await this.trickle(session, frag);
    return local;
  }

  /** DELETE: the session's endpoint released; the pipeline too when it was the last. */
  end(session: WhipSession): Promise<void> {
    return this.#serial(session.stream, async (s) => {
      if (!this.#sessions.delete(session.id)) return;
      if (s.publisher === session) s.publisher = undefined;
      s.viewers.delete(session.id);
      this.#gathered.delete(session.endpoint);
      const last = !s.publisher && s.viewers.size === 0;
      // Only a pipeline of WHIP's own goes with the last session, never an application's.
      const target = last && s.pipeline ? s.pipeline : session.endpoint;
      if (last) this.#streams.delete(session.stream);
      this.#release(target);
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

  /** The element an application bound to `stream` with `tag`, if any. */
  #binding(tag: string, stream: string): Binding | undefined {
    for (const o of this.#router.mediaSet.all()) {
      const pipeline = o.pipeline;
      if (pipeline && o.getTags().some((t) => t.key === tag && t.value === stream)) return { element: o.id, pipeline: pipeline.id };
    }
    return undefined;
  }

  /** A session's endpoint in an application's pipeline (released alone on failure). */
  async #openIn(pipeline: string, stream: string, kind: 'whip' | 'whep', offer: string): Promise<{ session: WhipSession; answer: string }> {
    const s: Stream = { pipeline, viewers: new Map(), chain: Promise.resolve() };
    // Not fresh: a failure releases the endpoint, never the application's pipeline.
    const opened = await this.#open(stream, s, kind, offer, false);
    return opened;
  }

  async #open(stream: string, s: Stream, kind: 'whip' | 'whep', offer: string, owned = true): Promise<{ session: WhipSession; answer: string }> {
    const fresh = owned && s.pipeline === undefined;
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
      const session: WhipSession = { id: randomBytes(12).toString('hex'), stream, kind, endpoint: ep, pipeline: s.pipeline!, etag: etagOf(full) };
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
