import { test } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { RTCPeerConnection } from 'werift';
import { peerConfig } from '../../src/media/webrtc/webrtcConfig.ts';
import { withoutDefaultStun } from '../../src/media/webrtc/noDefaultStun.ts';

/**
 * Names werift's gathering looks up, with the lookup refused at once: nothing leaves
 * the machine whichever network the test runs on.
 */
async function lookupsWhileGathering(guarded: boolean): Promise<string[]> {
  const looked: string[] = [];
  const original = dns.promises.lookup;
  dns.promises.lookup = (async (host: string) => {
    looked.push(host);
    throw Object.assign(new Error(`lookup of ${host} refused by the test`), { code: 'ENOTFOUND' });
  }) as typeof dns.promises.lookup;
  const pc = new RTCPeerConnection(peerConfig({}, {}));
  try {
    if (guarded) withoutDefaultStun(pc);
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    dns.promises.lookup = original;
    await pc.close();
  }
  return looked;
}

test('werift alone would ask Google\'s public STUN server while gathering (why the guard exists)', async () => {
  const looked = await lookupsWhileGathering(false);
  assert.ok(looked.includes('stun.l.google.com'), `werift looked up: ${JSON.stringify(looked)}`);
});

test('a WebRtcEndpoint\'s gathering contacts no STUN server unless one is configured', async () => {
  assert.deepEqual(await lookupsWhileGathering(true), []);
});

test('a configured STUN server still counts, given at creation or set later', async () => {
  const pc = new RTCPeerConnection(peerConfig({ stunServerAddress: '127.0.0.1', stunServerPort: 3478 }, {}));
  withoutDefaultStun(pc);
  pc.addTransceiver('video', { direction: 'recvonly' });
  const connection = (): { stunServer?: unknown } => (pc.iceTransports[0] as unknown as { connection: { stunServer?: unknown } }).connection;
  assert.deepEqual(connection().stunServer, ['127.0.0.1', 3478]);
  const plain = new RTCPeerConnection(peerConfig({}, {}));
  withoutDefaultStun(plain);
  plain.addTransceiver('video', { direction: 'recvonly' });
  const plainConnection = (plain.iceTransports[0] as unknown as { connection: { stunServer?: unknown } }).connection;
  assert.equal(plainConnection.stunServer, undefined);
  // setStunServerAddress before gathering: werift applies the new servers (setConfiguration).
  plain.setConfiguration({ iceServers: [{ urls: 'stun:127.0.0.2:3479' }] });
  assert.deepEqual(plainConnection.stunServer, ['127.0.0.2', 3479]);
  await pc.close();
  await plain.close();
});
