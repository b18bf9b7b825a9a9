import { fileURLToPath } from 'node:url';
import { call, type Kurento } from '../common/kurento.ts';
import { candidateOf, type Client, type Tutorial } from '../common/TutorialServer.ts';
import { IceCandidateQueue } from '../common/IceCandidateQueue.ts';

interface Session { pipeline?: Kurento; queue: IceCandidateQueue; stopped: boolean; timer?: NodeJS.Timeout }

/**
 * Hello World: the browser's camera goes to a WebRtcEndpoint connected to itself and
 * comes back (Kurento tutorial "Hello World"). Messages as in the original:
 * start{sdpOffer} -> startResponse{sdpAnswer}, onIceCandidate -> iceCandidate, stop, error.
 * With `useDataChannels`, DATA is looped back too (the "datachannel" tutorial); with
 * `stats`, Fluo's getStats figures are pushed every second (the "loopback-stats" one).
 */
export interface HelloWorldOptions {
  useDataChannels?: boolean;
  stats?: boolean;
  staticDir?: string | readonly string[];
  path?: string;
  /** A filter the loop goes through (WebRtcEndpoint -> filter -> WebRtcEndpoint): the filter tutorials. */
  filter?: (pipeline: Kurento) => Promise<Kurento>;
}

export function helloWorld(kurento: Kurento, opts: HelloWorldOptions = {}): Tutorial {
  const sessions = new Map<Client, Session>();

  const stop = async (client: Client): Promise<void> => {
    const s = sessions.get(client);
    sessions.delete(client);
    if (!s) return;
    s.stopped = true;
    if (s.timer) clearInterval(s.timer);
    if (s.pipeline) await call(s.pipeline, 'release').catch(() => undefined);
  };

  const start = async (client: Client, sdpOffer: string): Promise<void> => {
    await stop(client);
    const session: Session = { queue: new IceCandidateQueue(), stopped: false };
    sessions.set(client, session);
    const pipeline = await call<Kurento>(kurento, 'create', 'MediaPipeline');
    session.pipeline = pipeline;
    if (session.stopped || client.closed) { await call(pipeline, 'release'); return; }
    const endpoint = await call<Kurento>(pipeline, 'create', 'WebRtcEndpoint', opts.useDataChannels ? { useDataChannels: true } : {});
    endpoint.on('IceCandidateFound', (event: { candidate: unknown }) => client.send({ id: 'iceCandidate', candidate: event.candidate }));
    await session.queue.attach(endpoint);
    if (opts.filter) {
      const filter = await opts.filter(pipeline);
      await call(endpoint, 'connect', filter);
      await call(filter, 'connect', endpoint);
    } else {
      await call(endpoint, 'connect', endpoint);
    }
    const sdpAnswer = await call<string>(endpoint, 'processOffer', sdpOffer);
    client.send({ id: 'startResponse', sdpAnswer });
    await call(endpoint, 'gatherCandidates');
    if (opts.stats) session.timer = setInterval(() => void sendStats(client, endpoint), 1000);
  };

  const sendStats = async (client: Client, endpoint: Kurento): Promise<void> => {
    const all = await call<Record<string, Record<string, unknown>>>(endpoint, 'getStats', 'VIDEO').catch(() => undefined);
    if (!all) return;
    const pick = (type: string) => Object.values(all).find((x) => x.type === type) ?? {};
    const inb = pick('inboundrtp');
    const out = pick('outboundrtp');
    client.send({
      id: 'stats',
      fluo: {
        packetsReceived: inb.packetsReceived ?? 0, bytesReceived: inb.bytesReceived ?? 0, jitter: inb.jitter ?? 0,
        packetsLost: inb.packetsLost ?? 0, packetsSent: out.packetsSent ?? 0, bytesSent: out.bytesSent ?? 0,
        roundTripTime: out.roundTripTime ?? 0, pliCount: inb.pliCount ?? 0, nackCount: inb.nackCount ?? 0,
      },
    });
  };

  return {
    path: opts.path ?? '/helloworld',
    staticDir: opts.staticDir ?? fileURLToPath(new URL('./static/', import.meta.url)),
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
        default:
          return client.error(`Invalid message id '${String(message.id)}'`);
      }
    },
    onClose: (client) => stop(client),
  };
}
