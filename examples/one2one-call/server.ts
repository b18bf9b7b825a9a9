import { fileURLToPath } from 'node:url';
import { call, type Kurento } from '../common/kurento.ts';
import { candidateOf, type Client, type Tutorial } from '../common/TutorialServer.ts';
import { IceCandidateQueue } from '../common/IceCandidateQueue.ts';

interface User { name: string; client: Client; queue: IceCandidateQueue; sdpOffer?: string; peer?: string; pipeline?: Kurento; endpoint?: Kurento }

/**
 * One-to-One call: users register by name; a caller's and a callee's WebRtcEndpoints
 * are connected both ways in one pipeline (Kurento tutorial "One to one call", Node
 * messages: register, call, incomingCall, incomingCallResponse, callResponse,
 * startCommunication, stopCommunication, stop, onIceCandidate, iceCandidate).
 */
export function one2one(kurento: Kurento): Tutorial {
  const byName = new Map<string, User>();
  const byClient = new Map<Client, User>();

  const endpoint = async (user: User, pipeline: Kurento): Promise<Kurento> => {
    const ep = await call<Kurento>(pipeline, 'create', 'WebRtcEndpoint');
    user.endpoint = ep;
    user.pipeline = pipeline;
    ep.on('IceCandidateFound', (event: { candidate: unknown }) => user.client.send({ id: 'iceCandidate', candidate: event.candidate }));
    await user.queue.attach(ep);
    return ep;
  };

  const hangUp = async (user: User, notifyPeer: boolean): Promise<void> => {
    const peer = user.peer ? byName.get(user.peer) : undefined;
    const pipeline = user.pipeline;
    for (const u of [user, peer]) {
      if (!u) continue;
      u.peer = undefined; u.pipeline = undefined; u.endpoint = undefined; u.sdpOffer = undefined;
      u.queue = new IceCandidateQueue();
    }
    if (notifyPeer) peer?.client.send({ id: 'stopCommunication' });
    if (pipeline) await call(pipeline, 'release').catch(() => undefined);
  };

  const accept = async (callee: User, caller: User, calleeOffer: string): Promise<void> => {
    const pipeline = await call<Kurento>(kurento, 'create', 'MediaPipeline');
    const callerEp = await endpoint(caller, pipeline);
    const calleeEp = await endpoint(callee, pipeline);
    await call(callerEp, 'connect', calleeEp);
    await call(calleeEp, 'connect', callerEp);
    const calleeAnswer = await call<string>(calleeEp, 'processOffer', calleeOffer);
    callee.client.send({ id: 'startCommunication', sdpAnswer: calleeAnswer });
    await call(calleeEp, 'gatherCandidates');
    const callerAnswer = await call<string>(callerEp, 'processOffer', caller.sdpOffer!);
    caller.client.send({ id: 'callResponse', response: 'accepted', sdpAnswer: callerAnswer });
    await call(callerEp, 'gatherCandidates');
  };

  return {
    path: '/one2one',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    async onMessage(client, m) {
      const me = byClient.get(client);
      switch (m.id) {
        case 'register': {
          const name = typeof m.name === 'string' ? m.name.trim() : '';
          if (!name) return client.send({ id: 'registerResponse', response: 'rejected', message: 'Invalid name: empty' });
          if (byName.has(name)) return client.send({ id: 'registerResponse', response: 'rejected', message: `User ${name} is already registered` });
          if (me) byName.delete(me.name);
          const user: User = { name, client, queue: new IceCandidateQueue() };
          byName.set(name, user);
          byClient.set(client, user);
          return client.send({ id: 'registerResponse', response: 'accepted' });
        }
        case 'call': {
          if (!me) return client.send({ id: 'callResponse', response: 'rejected', message: 'Register first' });
          const callee = typeof m.to === 'string' ? byName.get(m.to) : undefined;
          if (typeof m.sdpOffer !== 'string') return client.error('call needs an sdpOffer string');
          if (!callee || callee === me) return client.send({ id: 'callResponse', response: 'rejected', message: `Unknown user '${String(m.to)}'` });
          if (callee.peer || me.peer) return client.send({ id: 'callResponse', response: 'rejected', message: 'The user is busy' });
          me.sdpOffer = m.sdpOffer;
          me.peer = callee.name;
          callee.peer = me.name;
          return callee.client.send({ id: 'incomingCall', from: me.name });
        }
        case 'incomingCallResponse': {
          if (!me) return client.error('Register first');
          const caller = typeof m.from === 'string' ? byName.get(m.from) : undefined;
          if (!caller || caller.peer !== me.name) return client.error(`No pending call from '${String(m.from)}'`);
          if (m.callResponse !== 'accept' || typeof m.sdpOffer !== 'string') {
            me.peer = undefined; caller.peer = undefined; caller.sdpOffer = undefined;
            return caller.client.send({ id: 'callResponse', response: 'rejected', message: typeof m.message === 'string' ? m.message : 'user declined' });
          }
          try {
            await accept(me, caller, m.sdpOffer);
          } catch (err) {
            await hangUp(me, false);
            caller.client.send({ id: 'callResponse', response: 'rejected', message: (err as Error).message });
            client.send({ id: 'stopCommunication', message: (err as Error).message });
          }
          return;
        }
        case 'stop':
          if (me) await hangUp(me, true);
          return;
        case 'onIceCandidate': {
          const c = candidateOf(m);
          if (!c) return client.error('onIceCandidate needs a candidate object');
          if (!me) return client.error('Register first');
          return me.queue.add(c);
        }
        default:
          return client.error(`Invalid message id '${String(m.id)}'`);
      }
    },
    async onClose(client) {
      const me = byClient.get(client);
      if (!me) return;
      byClient.delete(client);
      byName.delete(me.name);
      await hangUp(me, true);
    },
  };
}
