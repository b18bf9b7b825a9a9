import { fileURLToPath } from 'node:url';
import { call, type Kurento } from '../common/kurento.ts';
import { candidateOf, type Client, type Tutorial } from '../common/TutorialServer.ts';
import { IceCandidateQueue } from '../common/IceCandidateQueue.ts';
import { joinRoomArgs } from '../common/joinRoom.ts';

interface Participant {
  name: string;
  room: Room;
  client: Client;
  /** What this participant sends. */
  outgoing?: Kurento;
  /** What this participant receives, by sender name. */
  incoming: Map<string, Kurento>;
  /** Browser candidates by the name of the connection they belong to. */
  queues: Map<string, IceCandidateQueue>;
}

interface Room { name: string; pipeline?: Kurento; ready?: Promise<Kurento>; participants: Map<string, Participant> }

/**
 * Group call: many-to-many rooms; each participant sends one stream and receives every
 * other's (Kurento tutorial "Group call"). Messages: joinRoom, existingParticipants,
 * newParticipantArrived, participantLeft, receiveVideoFrom, receiveVideoAnswer,
 * onIceCandidate{name}, iceCandidate{name}, leaveRoom.
 */
export function groupCall(kurento: Kurento): Tutorial {
  const rooms = new Map<string, Room>();
  const byClient = new Map<Client, Participant>();

  const queue = (p: Participant, name: string): IceCandidateQueue => {
    let q = p.queues.get(name);
    if (!q) p.queues.set(name, (q = new IceCandidateQueue()));
    return q;
  };

  const pipelineOf = (room: Room): Promise<Kurento> => {
    room.ready ??= call<Kurento>(kurento, 'create', 'MediaPipeline').then((p) => (room.pipeline = p));
    return room.ready;
  };

  const endpoint = async (p: Participant, about: string): Promise<Kurento> => {
    const ep = await call<Kurento>(await pipelineOf(p.room), 'create', 'WebRtcEndpoint');
    ep.on('IceCandidateFound', (event: { candidate: unknown }) => p.client.send({ id: 'iceCandidate', name: about, candidate: event.candidate }));
    await queue(p, about).attach(ep);
    return ep;
  };

  const leave = async (p: Participant): Promise<void> => {
    byClient.delete(p.client);
    const room = p.room;
    if (room.participants.get(p.name) !== p) return;
    room.participants.delete(p.name);
    for (const other of room.participants.values()) {
      const ep = other.incoming.get(p.name);
      other.incoming.delete(p.name);
      other.queues.delete(p.name);
      if (ep) await call(ep, 'release').catch(() => undefined);
      other.client.send({ id: 'participantLeft', name: p.name });
    }
    for (const ep of [p.outgoing, ...p.incoming.values()]) if (ep) await call(ep, 'release').catch(() => undefined);
    if (room.participants.size === 0) {
      rooms.delete(room.name);
      const pipeline = room.pipeline ?? (room.ready ? await room.ready.catch(() => undefined) : undefined);
      if (pipeline) await call(pipeline, 'release').catch(() => undefined);
    }
  };

  return {
    path: '/groupcall',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    async onMessage(client, m) {
      const me = byClient.get(client);
      switch (m.id) {
        case 'joinRoom': {
          const args = joinRoomArgs(client, m, me !== undefined);
          if (!args) return;
          const { name, room: roomName } = args;
          let room = rooms.get(roomName);
          if (!room) rooms.set(roomName, (room = { name: roomName, participants: new Map() }));
          if (room.participants.has(name)) return client.error(`The name '${name}' is taken in room '${roomName}'`);
          const p: Participant = { name, room, client, incoming: new Map(), queues: new Map() };
          room.participants.set(name, p);
          byClient.set(client, p);
          p.outgoing = await endpoint(p, name);
          for (const other of room.participants.values()) if (other !== p) other.client.send({ id: 'newParticipantArrived', name });
          client.send({ id: 'existingParticipants', data: [...room.participants.keys()].filter((n) => n !== name) });
          return;
        }
        case 'receiveVideoFrom': {
          if (!me) return client.error('Join a room first');
          if (typeof m.sdpOffer !== 'string' || typeof m.sender !== 'string') return client.error('receiveVideoFrom needs sender and sdpOffer');
          const sender = me.room.participants.get(m.sender);
          if (!sender?.outgoing) return client.error(`'${m.sender}' is not in the room`);
          let ep: Kurento;
          if (sender === me) {
            ep = me.outgoing;
          } else {
            ep = me.incoming.get(sender.name) ?? (await endpoint(me, sender.name));
            me.incoming.set(sender.name, ep);
            await call(sender.outgoing, 'connect', ep);
          }
          const sdpAnswer = await call<string>(ep, 'processOffer', m.sdpOffer);
          client.send({ id: 'receiveVideoAnswer', name: sender.name, sdpAnswer });
          await call(ep, 'gatherCandidates');
          return;
        }
        case 'onIceCandidate': {
          const c = candidateOf(m);
          if (!me || !c || typeof m.name !== 'string') return client.error('onIceCandidate needs name and candidate, in a room');
          return queue(me, m.name).add(c);
        }
        case 'leaveRoom':
          if (me) await leave(me);
          return;
        default:
          return client.error(`Invalid message id '${String(m.id)}'`);
      }
    },
    async onClose(client) {
      const me = byClient.get(client);
      if (me) await leave(me);
    },
  };
}
