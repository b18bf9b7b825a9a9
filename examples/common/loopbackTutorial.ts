import { call, type Kurento } from './kurento.ts';
import { candidateOf, type Client, type Tutorial } from './TutorialServer.ts';
import { IceCandidateQueue } from './IceCandidateQueue.ts';

export interface FilterSession {
  readonly pipeline: Kurento;
  readonly filter: Kurento;
}

export interface LoopbackOptions {
  /** WebSocket path of the original tutorial. */
  readonly path: string;
  readonly staticDir: string;
  /** Constructor parameters of the WebRtcEndpoint (Hello World's `useDataChannels`). */
  readonly endpointParams?: Record<string, unknown>;
  /** Creates the filter in `pipeline` and wires its events to the page; without it the endpoint loops to itself. */
  createFilter?(pipeline: Kurento, client: Client): Promise<Kurento>;
  /** Instead of one filter, a chain: the endpoint feeds `input`, `output` feeds the endpoint (the Metadata tutorial's two). */
  createChain?(pipeline: Kurento, client: Client): Promise<{ input: Kurento; output: Kurento }>;
  /** Runs once media is negotiated; what it returns runs at stop (a timer's end). */
  started?(client: Client, endpoint: Kurento): (() => void) | void;
  /** Messages beyond start / stop / onIceCandidate (the pointer detector's `calibrate`). */
  onMessage?(client: Client, message: Record<string, unknown>, session: FilterSession | undefined): Promise<boolean> | boolean;
}

interface Session { pipeline?: Kurento; filter?: Kurento; queue: IceCandidateQueue; stopped: boolean; cleanup?: () => void }

/**
 * The loop of Kurento's Hello World and of its filter tutorials (Magic Mirror and the
 * module tutorials: pointer detector, crowd detector, ...): the browser's camera goes to
 * a WebRtcEndpoint, through the filter if there is one, and back to the same endpoint.
 * Messages as in the originals: start{sdpOffer} -> startResponse{sdpAnswer},
 * onIceCandidate -> iceCandidate, stop, error.
 */
export function loopbackTutorial(kurento: Kurento, opts: LoopbackOptions): Tutorial {
  const sessions = new Map<Client, Session>();

  const stop = async (client: Client): Promise<void> => {
    const s = sessions.get(client);
    sessions.delete(client);
    if (!s) return;
    s.stopped = true;
    s.cleanup?.();
    if (s.pipeline) await call(s.pipeline, 'release').catch(() => undefined);
  };

  const start = async (client: Client, sdpOffer: string): Promise<void> => {
    await stop(client);
    const session: Session = { queue: new IceCandidateQueue(), stopped: false };
    sessions.set(client, session);
    const pipeline = await call<Kurento>(kurento, 'create', 'MediaPipeline');
    session.pipeline = pipeline;
    if (session.stopped || client.closed) { await call(pipeline, 'release'); return; }
    const endpoint = await call<Kurento>(pipeline, 'create', 'WebRtcEndpoint', opts.endpointParams ?? {});
    endpoint.on('IceCandidateFound', (event: { candidate: unknown }) => client.send({ id: 'iceCandidate', candidate: event.candidate }));
    await session.queue.attach(endpoint);
    if (opts.createChain) {
      const { input, output } = await opts.createChain(pipeline, client);
      session.filter = input;
      await call(endpoint, 'connect', input);
      await call(output, 'connect', endpoint);
    } else if (opts.createFilter) {
      session.filter = await opts.createFilter(pipeline, client);
      await call(endpoint, 'connect', session.filter);
      await call(session.filter, 'connect', endpoint);
    } else {
      await call(endpoint, 'connect', endpoint);
    }
    const sdpAnswer = await call<string>(endpoint, 'processOffer', sdpOffer);
    client.send({ id: 'startResponse', sdpAnswer });
    await call(endpoint, 'gatherCandidates');
    if (!session.stopped) session.cleanup = opts.started?.(client, endpoint) ?? undefined;
  };

  return {
    path: opts.path,
    staticDir: opts.staticDir,
    async onMessage(client, message) {
      switch (message.id) {
        case 'start':
          if (typeof message.sdpOffer !== 'string') return client.error('start needs an sdpOffer string');
          try {
            await start(client, message.sdpOffer);
          } catch (err) {
            await stop(client);
            client.error(`Could not start: ${(err as Error).message}`);
          }
          return;
        case 'stop':
          return stop(client);
        case 'onIceCandidate': {
          const c = candidateOf(message);
          if (!c) return client.error('onIceCandidate needs a candidate object');
          await sessions.get(client)?.queue.add(c);
          if (!sessions.has(client)) return client.error('No session: send start first');
          return;
        }
        default: {
          const s = sessions.get(client);
          const session = s?.pipeline && s.filter ? { pipeline: s.pipeline, filter: s.filter } : undefined;
          if (await opts.onMessage?.(client, message, session)) return;
          return client.error(`Invalid message id '${String(message.id)}'`);
        }
      }
    },
    onClose: (client) => stop(client),
  };
}
