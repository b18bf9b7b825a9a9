import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { call, type Kurento } from '../common/kurento.ts';
import { candidateOf, type Client, type Tutorial } from '../common/TutorialServer.ts';
import { IceCandidateQueue } from '../common/IceCandidateQueue.ts';
import { joinRoomArgs } from '../common/joinRoom.ts';

interface Member {
  readonly name: string;
  readonly room: Room;
  readonly client: Client;
  readonly queue: IceCandidateQueue;
  endpoint?: Kurento;
  port?: Kurento;
}

interface Parts { pipeline: Kurento; composite: Kurento; recorder: Kurento }
interface Room { readonly name: string; readonly members: Map<string, Member>; parts?: Promise<Parts>; recording: string }

/**
 * Group call through a Composite (an MCU): each participant sends one stream and gets
 * one mixed stream back, a grid of everyone with everyone's audio but their own: one
 * WebRtcEndpoint per participant instead of one per pair, and the weakest client
 * decodes a single picture. The room is recorded by a RecorderEndpoint on one more
 * HubPort. Messages: joinRoom {name, room} -> joined {participants, recording};
 * participants {names} to the others; offer {sdpOffer} -> answer {sdpAnswer};
 * onIceCandidate / iceCandidate; leaveRoom.
 */
export function groupCallMcu(kurento: Kurento, recordings = mkdtempSync(join(tmpdir(), 'fluo-mcu-'))): Tutorial {
  const rooms = new Map<string, Room>();
  const byClient = new Map<Client, Member>();

  const partsOf = (room: Room): Promise<Parts> => {
    room.parts ??= (async () => {
      const pipeline = await call<Kurento>(kurento, 'create', 'MediaPipeline');
      const composite = await call<Kurento>(pipeline, 'create', 'Composite', { width: 640, height: 480, framerate: 15 });
      const recorder = await call<Kurento>(pipeline, 'create', 'RecorderEndpoint', { uri: room.recording });
      const port = await call<Kurento>(composite, 'createHubPort');
      await call(port, 'connect', recorder);
      await call(recorder, 'record');
      return { pipeline, composite, recorder };
    })();
    return room.parts;
  };

  const tellOthers = (room: Room): void => {
    const names = [...room.members.keys()];
    for (const m of room.members.values()) m.client.send({ id: 'participants', names });
  };

  const leave = async (me: Member): Promise<void> => {
    byClient.delete(me.client);
    const room = me.room;
    if (room.members.get(me.name) !== me) return;
    room.members.delete(me.name);
    for (const o of [me.port, me.endpoint]) if (o) await call(o, 'release').catch(() => undefined);
    tellOthers(room);
    if (room.members.size > 0) return;
    rooms.delete(room.name);
    const parts = await room.parts?.catch(() => undefined);
    if (!parts) return;
    // The recording is finished (its file complete) before the room goes.
    await call(parts.recorder, 'stopAndWait').catch(() => undefined);
    await call(parts.pipeline, 'release').catch(() => undefined);
  };

  return {
    path: '/groupcallmcu',
    staticDir: fileURLToPath(new URL('./static/', import.meta.url)),
    async onMessage(client, m) {
      const me = byClient.get(client);
      switch (m.id) {
        case 'joinRoom': {
          const args = joinRoomArgs(client, m, me !== undefined);
          if (!args) return;
          const { name, room: roomName } = args;
          let room = rooms.get(roomName);
          if (!room) {
            const file = join(recordings, `${roomName.replace(/[^\w-]/g, '_')}-${Date.now()}.webm`);
            rooms.set(roomName, (room = { name: roomName, members: new Map(), recording: pathToFileURL(file).href }));
          }
          if (room.members.has(name)) return client.error(`The name '${name}' is taken in room '${roomName}'`);
          const member: Member = { name, room, client, queue: new IceCandidateQueue() };
          room.members.set(name, member);
          byClient.set(client, member);
          const { pipeline, composite } = await partsOf(room);
          const endpoint = await call<Kurento>(pipeline, 'create', 'WebRtcEndpoint');
          endpoint.on('IceCandidateFound', (event: { candidate: unknown }) => client.send({ id: 'iceCandidate', candidate: event.candidate }));
          await member.queue.attach(endpoint);
          const port = await call<Kurento>(composite, 'createHubPort');
          await call(endpoint, 'connect', port);
          await call(port, 'connect', endpoint);
          Object.assign(member, { endpoint, port });
          client.send({ id: 'joined', participants: [...room.members.keys()], recording: room.recording });
          tellOthers(room);
          return;
        }
        case 'offer': {
          if (!me?.endpoint || typeof m.sdpOffer !== 'string') return client.error('offer needs sdpOffer, in a room');
          const sdpAnswer = await call<string>(me.endpoint, 'processOffer', m.sdpOffer);
          client.send({ id: 'answer', sdpAnswer });
          await call(me.endpoint, 'gatherCandidates');
          return;
        }
        case 'onIceCandidate': {
          const c = candidateOf(m);
          if (!me || !c) return client.error('onIceCandidate needs a candidate, in a room');
          return me.queue.add(c);
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
    close() {
      if (!process.env.FLUO_KEEP_MEDIA) rmSync(recordings, { recursive: true, force: true });
    },
  };
}
