import { fileURLToPath } from 'node:url';
import { call, type Kurento } from '../common/kurento.ts';
import { candidateOf, type Client, type Tutorial } from '../common/TutorialServer.ts';
import { IceCandidateQueue } from '../common/IceCandidateQueue.ts';

interface Member {
  readonly client: Client;
  readonly role: 'presenter' | 'viewer';
  /** Presenters are numbered from 1 in the order they came; viewers have 0. */
  readonly number: number;
  endpoint?: Kurento;
  port?: Kurento;
  /** Answered: a presenter can be shown from then on. */
  ready?: boolean;
}

interface Parts { pipeline: Kurento; hub: Kurento }

/**
 * One to many with several presenters and a "switch presenter" control, through a
 * DispatcherOneToMany: every WebRtcEndpoint, presenter's or viewer's, is on a HubPort
 * of one hub, and `setSource(port)` decides whose media goes to all the others. A
 * switch renegotiates nothing: each viewer keeps its one video stream and sees the new
 * presenter at once. Messages: presenter / viewer {sdpOffer} -> presenterResponse /
 * viewerResponse {response, sdpAnswer, number}; switch {presenter} (a number);
 * presenters {numbers, source} to everyone when they change; stop; onIceCandidate /
 * iceCandidate.
 */
export function one2manySwitch(kurento: Kurento): Tutorial {
  let parts: Promise<Parts> | undefined;
  let nextNumber = 1;
  let source = 0;
  const members = new Map<Client, Member>();
  const queues = new Map<Client, IceCandidateQueue>();

  const queueFor = (client: Client): IceCandidateQueue => {
    let q = queues.get(client);
    if (!q) queues.set(client, (q = new IceCandidateQueue()));
    return q;
  };
  const presenters = (): Member[] => [...members.values()].filter((m) => m.role === 'presenter' && m.ready);
  const tellAll = (): void => {
    const numbers = presenters().map((m) => m.number);
    for (const m of members.keys()) m.send({ id: 'presenters', numbers, source });
  };

  const partsOf = (): Promise<Parts> => {
    parts ??= (async () => {
      const pipeline = await call<Kurento>(kurento, 'create', 'MediaPipeline');
      const hub = await call<Kurento>(pipeline, 'create', 'DispatcherOneToMany');
      return { pipeline, hub };
    })();
    return parts;
  };

  /** Makes presenter `number` the source of every other port (0: none). */
  const show = async (number: number): Promise<void> => {
    const p = presenters().find((m) => m.number === number);
    const hub = (await partsOf()).hub;
    source = p ? number : 0;
    await (p ? call(hub, 'setSource', p.port) : call(hub, 'removeSource'));
    tellAll();
  };

  const join = async (client: Client, role: Member['role'], sdpOffer: string): Promise<void> => {
    const reply = `${role}Response`;
    if (members.has(client)) return client.send({ id: reply, response: 'rejected', message: 'You already take part in this session.' });
    const me: Member = { client, role, number: role === 'presenter' ? nextNumber++ : 0 };
    members.set(client, me);
    try {
      const { pipeline, hub } = await partsOf();
      const endpoint = await call<Kurento>(pipeline, 'create', 'WebRtcEndpoint');
      me.endpoint = endpoint;
      endpoint.on('IceCandidateFound', (event: { candidate: unknown }) => client.send({ id: 'iceCandidate', candidate: event.candidate }));
      await queueFor(client).attach(endpoint);
      const port = await call<Kurento>(hub, 'createHubPort');
      me.port = port;
      // A presenter only sends and a viewer only receives: one direction each is enough.
      await (role === 'presenter' ? call(endpoint, 'connect', port) : call(port, 'connect', endpoint));
      const sdpAnswer = await call<string>(endpoint, 'processOffer', sdpOffer);
      if (members.get(client) !== me) return;
      me.ready = true;
      client.send({ id: reply, response: 'accepted', sdpAnswer, number: me.number });
      await call(endpoint, 'gatherCandidates');
      // The first presenter is shown at once; later ones wait for a switch.
      if (role === 'presenter' && source === 0) await show(me.number);
      else tellAll();
    } catch (err) {
      await leave(client);
      client.send({ id: reply, response: 'rejected', message: (err as Error).message });
    }
  };

  const leave = async (client: Client): Promise<void> => {
    queues.delete(client);
    const me = members.get(client);
    if (!me) return;
    members.delete(client);
    for (const o of [me.port, me.endpoint]) if (o) await call(o, 'release').catch(() => undefined);
    if (members.size === 0) {
      const p = parts;
      parts = undefined;
      source = 0;
      const pipeline = (await p?.catch(() => undefined))?.pipeline;
      if (pipeline) await call(pipeline, 'release').catch(() => undefined);
      return;
    }
    // The source left: the viewers get the next presenter, if any.
    if (me.number !== 0 && me.number === source) await show(presenters()[0]?.number ?? 0).catch(() => undefined);
    else tellAll();
  };

  return {
    path: '/one2manyswitch',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    // The one2many-call page's script (index.js) does the rest: the same messages.
    moreDirs: [fileURLToPath(new URL('../one2many-call/static/', import.meta.url))],
    async onMessage(client, message) {
      switch (message.id) {
        case 'presenter':
        case 'viewer':
          if (typeof message.sdpOffer !== 'string') return client.error(`${message.id} needs an sdpOffer string`);
          return join(client, message.id, message.sdpOffer);
        case 'switch': {
          const number = Number(message.presenter);
          if (!presenters().some((m) => m.number === number)) return client.error(`No presenter number ${String(message.presenter)}`);
          return show(number);
        }
        case 'stop':
          return leave(client);
        case 'onIceCandidate': {
          const c = candidateOf(message);
          if (!c) return client.error('onIceCandidate needs a candidate object');
          return queueFor(client).add(c);
        }
        default:
          return client.error(`Invalid message id '${String(message.id)}'`);
      }
    },
    onClose: (client) => leave(client),
  };
}
