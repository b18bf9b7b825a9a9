import { fileURLToPath } from 'node:url';
import type { Client, Tutorial } from '../common/TutorialServer.ts';
import { candidateOf } from '../common/TutorialServer.ts';
import { KurentoClient, type MediaPipeline, type WebRtcEndpoint, type IceCandidate } from '../../packages/fluo-client/src/index.ts';

interface Session { pipeline?: MediaPipeline; endpoint?: WebRtcEndpoint; early: IceCandidate[]; stopped: boolean }

/**
 * Kurento's Hello World on the typed client (packages/fluo-client) instead of
 * kurento-client, the same page and messages as `hello-world`: every call is typed
 * (`create('WebRtcEndpoint', { mediaPipeline })`, `processOffer(offer): Promise<string>`),
 * the IceCandidateFound listener gets a typed event, and plain `await` works on the
 * objects, with no callbacks and no thenables.
 */
export function helloWorldTyped(wsUri: string): Tutorial {
  const sessions = new Map<Client, Session>();
  let client: Promise<KurentoClient> | undefined;
  const kurento = (): Promise<KurentoClient> => (client ??= KurentoClient.connect(wsUri));

  const stop = async (c: Client): Promise<void> => {
    const s = sessions.get(c);
    sessions.delete(c);
    if (!s) return;
    s.stopped = true;
    await s.pipeline?.release().catch(() => undefined);
  };

  const start = async (c: Client, sdpOffer: string): Promise<void> => {
    await stop(c);
    const s: Session = { early: [], stopped: false };
    sessions.set(c, s);
    const k = await kurento();
    s.pipeline = await k.create('MediaPipeline', {});
    if (s.stopped || c.closed) return void await s.pipeline.release();
    const endpoint = await k.create('WebRtcEndpoint', { mediaPipeline: s.pipeline });
    await endpoint.on('IceCandidateFound', (e) => c.send({ id: 'iceCandidate', candidate: e.candidate }));
    for (const cand of s.early.splice(0)) await endpoint.addIceCandidate(cand);
    s.endpoint = endpoint;
    await endpoint.connect(endpoint);
    c.send({ id: 'startResponse', sdpAnswer: await endpoint.processOffer(sdpOffer) });
    await endpoint.gatherCandidates();
  };

  return {
    path: '/helloworld',
    staticDir: fileURLToPath(new URL('../hello-world/static/', import.meta.url)),
    async onMessage(c, message) {
      switch (message.id) {
        case 'start':
          if (typeof message.sdpOffer !== 'string') return c.error('start needs an sdpOffer string');
          return start(c, message.sdpOffer).catch(async (err: unknown) => {
            await stop(c);
            c.error(`Could not start: ${err instanceof Error ? err.message : String(err)}`);
          });
        case 'stop':
          return stop(c);
        case 'onIceCandidate': {
          const cand = candidateOf(message) as IceCandidate | undefined;
          if (!cand) return c.error('onIceCandidate needs a candidate object');
          const s = sessions.get(c);
          if (!s) return c.error('No session: send start first');
          if (s.endpoint) await s.endpoint.addIceCandidate(cand);
          else s.early.push(cand);
          return;
        }
        default:
          return c.error(`Invalid message id '${String(message.id)}'`);
      }
    },
    onClose: (c) => stop(c),
    async close() {
      (await client)?.close();
    },
  };
}
