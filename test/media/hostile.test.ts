/**
 * Hostile traffic at a WebRtcEndpoint's ICE port while a real peer streams through it:
 * random bytes, truncated and unauthenticated RTP/RTCP, malformed STUN, junk DTLS
 * records, all from an address the endpoint never negotiated with (RFC 7983 demuxing
 * classes). The stream goes on, the worker survives, the server keeps serving.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import crypto from 'node:crypto';
import { withEndpoint, SINGLE_PORT } from '../helpers/fluo.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';

const peers = new RemotePeers();
after(() => peers.stop());

/** One hostile datagram of class `kind` (0..9). */
function hostile(kind: number): Buffer {
  const r = (n: number) => crypto.randomBytes(n);
  const upTo = (n: number) => 1 + Math.floor(Math.random() * n);
  switch (kind % 10) {
    case 0: return r(upTo(1400)); // anything
    case 1: return Buffer.concat([Buffer.from([0x80, 96]), r(Math.floor(Math.random() * 10))]); // truncated RTP
    case 2: return Buffer.concat([Buffer.from([0x80, 96]), r(10), r(600)]); // RTP that fails SRTP authentication
    case 3: return Buffer.concat([Buffer.from([0x81, 206, 0, 2]), r(8)]); // bare PLI (no SRTCP)
    case 4: { // STUN binding request whose attribute length runs past the end
      const b = Buffer.alloc(28);
      b.writeUInt16BE(0x0001, 0); b.writeUInt16BE(8, 2); b.writeUInt32BE(0x2112a442, 4); r(12).copy(b, 8);
      b.writeUInt16BE(0x0006, 20); b.writeUInt16BE(400, 22);
      return b;
    }
    case 5: { // STUN with a valid shape but unknown username and no integrity
      const user = Buffer.from('nobody:nothing');
      const b = Buffer.alloc(20 + 4 + 16);
      b.writeUInt16BE(0x0001, 0); b.writeUInt16BE(20, 2); b.writeUInt32BE(0x2112a442, 4); r(12).copy(b, 8);
      b.writeUInt16BE(0x0006, 20); b.writeUInt16BE(user.length, 22); user.copy(b, 24);
      return b;
    }
    case 6: return Buffer.concat([Buffer.from([22, 0xfe, 0xfd]), r(10), Buffer.from([0x01, 0x00]), r(40)]); // DTLS record, junk handshake
    case 7: return Buffer.concat([Buffer.from([23, 0xfe, 0xfd]), r(60)]); // DTLS application data out of nowhere
    // In the DTLS range but of no content type: werift took these for alerts and closed the session.
    case 8: return Buffer.concat([Buffer.from([24 + Math.floor(Math.random() * 40)]), r(upTo(300))]);
    default: { // a well-formed plaintext warning alert (close_notify) at epoch 0, as if from the peer
      const b = Buffer.alloc(15);
      b[0] = 21; b[1] = 0xfe; b[2] = 0xfd; b.writeUIntBE(Math.floor(Math.random() * 1e6), 5, 6); b.writeUInt16BE(2, 11);
      b[13] = 1; b[14] = 0;
      return b;
    }
  }
}

test('a flood of malformed RTP, RTCP, STUN and DTLS from a stranger disturbs nothing', { timeout: 60_000 }, async () => {
  await withEndpoint({}, async ({ c, sid, P, ep, server }) => {
    await c.ok('subscribe', { object: ep, type: 'Error', sessionId: sid });
    await c.ok('subscribe', { object: P, type: 'Error', sessionId: sid });
    await c.ok('invoke', { object: ep, operation: 'connect', operationParams: { sink: ep }, sessionId: sid });
    const peer = await peers.create();
    await peer.connectTo(c, ep, sid);
    await until(async () => (await peer.received()).frames >= 10, 15_000, 'frames before the flood');

    // Fluo's own UDP candidates, from its IceCandidateFound events.
    const targets = c.events
      .filter((e) => e.params?.value.object === ep && e.params.value.type === 'IceCandidateFound')
      .map((e) => String((e.params!.value.data.candidate as Record<string, unknown>).candidate))
      .map((s) => /candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ/i.exec(s))
      .filter((m): m is RegExpExecArray => !!m && !m[1]!.includes(':'))
      .map((m) => ({ address: m[1]!, port: Number(m[2]) }));
    assert.ok(targets.length > 0, 'Fluo announced UDP candidates');

    const framesBefore = (await peer.received()).frames;
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    let sent = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 3000) {
      // Bursts of 200, then yield: about 20,000 datagrams over 3 s.
      for (let i = 0; i < 200; i++, sent++) {
        const t = targets[sent % targets.length]!;
        sock.send(hostile(sent), t.port, t.address);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    sock.close();

    await until(async () => (await peer.received()).frames > framesBefore + 30, 15_000, 'frames keep coming during and after the flood');
    const errors = c.events.filter((e) => e.params?.value.type === 'Error');
    assert.deepEqual(errors, [], 'no Error events (the worker did not die)');
    assert.equal((await c.ok('invoke', { object: ep, operation: 'getConnectionState', sessionId: sid })).value, 'CONNECTED');

    // The stranger's datagrams were dropped before werift and counted (transport stats).
    const stats = (await c.ok('invoke', { object: ep, operation: 'getStats', sessionId: sid })).value as Record<string, Record<string, unknown>>;
    const transport = Object.values(stats).find((s) => s.type === 'transport');
    assert.ok(transport, 'a transport entry in the stats');
    // On a shared port the stranger is dropped by the port's demultiplexer, before any
    // endpoint: the worker counts it (/metrics), not the endpoint's transport.
    const worker = SINGLE_PORT ? (await server.media.mediaStats(2000)).reduce((n, w) => n + w.stats.counters.droppedUnknownAddress + w.stats.counters.droppedUnauthenticatedStun, 0) : 0;
    const unknown = SINGLE_PORT ? worker : Number(transport.packetsDiscardedUnknownAddress);
    assert.ok(unknown > sent / 2, `most of the ${sent} datagrams dropped for their address (${unknown})`);
    // Binding requests without our credentials never reach werift (which would take the
    // stranger for a peer-reflexive candidate).
    if (!SINGLE_PORT) assert.ok(Number(transport.packetsDiscardedUnauthenticatedStun) > 0, 'unauthenticated STUN requests dropped');

    // The server still serves: new pipelines and elements work.
    const P2 = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
    await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P2 }, sessionId: sid });
    console.log(`# ${sent} hostile datagrams in ${Date.now() - t0} ms; frames before ${framesBefore}, after ${(await peer.received()).frames}; dropped: ${unknown} unknown address, ${String(transport.packetsDiscardedUnauthenticatedStun)} unauthenticated STUN`);
    await c.ok('release', { object: P2, sessionId: sid });
    await c.ok('release', { object: P, sessionId: sid });
    await peer.close();
  });
});
