import type { Client } from './TutorialServer.ts';

/**
 * The `joinRoom {name, room}` message of the group-call tutorials, checked: the names,
 * or undefined after telling the client what is wrong (a name missing, or already in a
 * room).
 */
export function joinRoomArgs(client: Client, m: Record<string, unknown>, alreadyIn: boolean): { name: string; room: string } | undefined {
  const name = typeof m.name === 'string' ? m.name.trim() : '';
  const room = typeof m.room === 'string' ? m.room.trim() : '';
  if (!name || !room) client.error('joinRoom needs a name and a room');
  else if (alreadyIn) client.error('Already in a room: leave it first');
  else return { name, room };
  return undefined;
}
