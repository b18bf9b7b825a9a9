import { fileURLToPath } from 'node:url';
import { call, type Kurento } from '../common/kurento.ts';
import { candidateOf, type Client, type Tutorial } from '../common/TutorialServer.ts';
import { IceCandidateQueue } from '../common/IceCandidateQueue.ts';

interface Peer { endpoint?: Kurento; queue: IceCandidateQueue }

/**
 * One-to-Many: one presenter's WebRtcEndpoint feeds every viewer's (Kurento tutorial
 * "One to many"). Messages as in the Node original: presenter, viewer, stop,
 * onIceCandidate -> presenterResponse, viewerResponse, iceCandidate, stopCommunication.
 */
export function one2many(kurento: Kurento): Tutorial {
  let pipeline: Kurento | undefined;
  let presenter: { client: Client; peer: Peer } | undefined;
  const viewers = new Map<Client, Peer>();
  const pending = new Map<Client, IceCandidateQueue>();

  const queueFor = (client: Client): IceCandidateQueue => {
    let q = pending.get(client);
    if (!q) pending.set(client, (q = new IceCandidateQueue()));
    return q;
  };

  const endpointFor = async (client: Client, peer: Peer, sdpOffer: string, reply: string): Promise<Kurento> => {
    const endpoint = await call<Kurento>(pipeline, 'create', 'WebRtcEndpoint');
    peer.endpoint = endpoint;
    endpoint.on('IceCandidateFound', (event: { candidate: unknown }) => client.send({ id: 'iceCandidate', candidate: event.candidate }));
    await peer.queue.attach(endpoint);
    const sdpAnswer = await call<string>(endpoint, 'processOffer', sdpOffer);
    client.send({ id: reply, response: 'accepted', sdpAnswer });
    await call(endpoint, 'gatherCandidates');
    return endpoint;
  };

  const stop = async (client: Client): Promise<void> => {
    pending.delete(client);
    if (presenter?.client === client) {
      const p = pipeline;
      presenter = undefined;
      pipeline = undefined;
      for (const v of viewers.keys()) v.send({ id: 'stopCommunication' });
      viewers.clear();
      if (p) await call(p, 'release').catch(() => undefined);
      return;
    }
    const viewer = viewers.get(client);
    viewers.delete(client);
    if (viewer?.endpoint) await call(viewer.endpoint, 'release').catch(() => undefined);
  };

  return {
    path: '/one2many',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    async onMessage(client, message) {
      switch (message.id) {
        case 'presenter': {
          if (typeof message.sdpOffer !== 'string') return client.error('presenter needs an sdpOffer string');
          if (presenter) return client.send({ id: 'presenterResponse', response: 'rejected', message: 'Another user is currently acting as presenter. Try again later ...' });
          presenter = { client, peer: { queue: queueFor(client) } };
          try {
            pipeline = await call<Kurento>(kurento, 'create', 'MediaPipeline');
            if (presenter?.client !== client) { await call(pipeline, 'release'); return; }
            await endpointFor(client, presenter.peer, message.sdpOffer, 'presenterResponse');
          } catch (err) {
            await stop(client);
            client.send({ id: 'presenterResponse', response: 'rejected', message: (err as Error).message });
          }
          return;
        }
        case 'viewer': {
          if (typeof message.sdpOffer !== 'string') return client.error('viewer needs an sdpOffer string');
          if (!presenter?.peer.endpoint) return client.send({ id: 'viewerResponse', response: 'rejected', message: 'No active presenter. Try again later ...' });
          if (viewers.has(client)) return client.send({ id: 'viewerResponse', response: 'rejected', message: 'You are already viewing in this session.' });
          const peer: Peer = { queue: queueFor(client) };
          viewers.set(client, peer);
          try {
            const endpoint = await endpointFor(client, peer, message.sdpOffer, 'viewerResponse');
            await call(presenter.peer.endpoint, 'connect', endpoint);
          } catch (err) {
            await stop(client);
            client.send({ id: 'viewerResponse', response: 'rejected', message: (err as Error).message });
          }
          return;
        }
        case 'stop':
          return stop(client);
        case 'onIceCandidate': {
          const c = candidateOf(message);
          if (!c) return client.error('onIceCandidate needs a candidate object');
          return queueFor(client).add(c);
        }
        default:
          return client.error(`Invalid message id '${String(message.id)}'`);
      }
    },
    onClose: (client) => stop(client),
  };
}
