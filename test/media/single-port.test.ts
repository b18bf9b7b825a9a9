/**
 * Single-port mode (issue 14 item 1): two WebRtcEndpoints of one media worker, each in
 * a loopback call with its own libwebrtc peer, both on the worker's one UDP port: their
 * candidates name it, the pictures come back to each peer, the worker holds that socket
 * (per address family) and no other, their passive ICE-TCP candidates name the same
 * port number over TCP, a stranger's datagrams or TCP connections reach no endpoint
 * and are counted (even Binding requests naming a real ufrag, without the
 * endpoint's password), and releasing the calls closes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { startFluo, RpcClient, workerSockets, assertWorkersIdle } from '../helpers/fluo.ts';
import { RemotePeers, until, type RemotePeer } from '../helpers/RemotePeers.ts';
import { bindingRequest } from '../helpers/stun.ts';

/** RFC 4571 framing, as ICE-TCP carries STUN and media (RFC 6544 §3). */
function frame(message: Buffer): Buffer {
  const b = Buffer.alloc(2 + message.length);
  b.writeUInt16BE(message.length, 0);
  message.copy(b, 2);
  return b;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  s.close();
  return port;
}

test('two calls through one UDP port of the worker; strangers dropped; released with the calls', async () => {
  const port = await freeUdpPort();
  const fluo = await startFluo((c) => ({ ...c, mediaWorkers: 1, webRtcPort: port }));
  const c = await RpcClient.open(fluo.url);
  const peers = new RemotePeers();
  try {
    const sid = (await c.ok('connect')).sessionId!;
    const v = async (method: string, params: Record<string, unknown>) => (await c.ok(method, { ...params, sessionId: sid })).value;
    const P = await v('create', { type: 'MediaPipeline' }) as string;
    const calls: Array<{ ep: string; peer: RemotePeer }> = [];
    for (let i = 0; i < 2; i++) {
      const ep = await v('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P } }) as string;
      await v('invoke', { object: ep, operation: 'connect', operationParams: { sink: ep } });
      const peer = await peers.create({ width: 320, height: 240 });
      await peer.connectTo(c, ep, sid);
      calls.push({ ep, peer });
    }
    for (const { peer } of calls) await until(async () => (await peer.received()).frames > 15, 15_000, 'frames back at each peer');
    const candidates = c.events.filter((e) => e.params?.value.type === 'IceCandidateFound')
      .map((e) => String((e.params!.value.data.candidate as { candidate: string }).candidate))
      .filter((s) => / udp .* typ host/.test(s));
    assert.ok(candidates.length >= 2, candidates.join('\n'));
    assert.ok(candidates.every((s) => s.split(' ')[5] === String(port)), `every host candidate on port ${port}:\n${candidates.join('\n')}`);
    const sockets = await workerSockets(fluo.server);
    assert.ok(sockets.filter((s) => s.startsWith('UDP')).length <= 2, `one UDP socket per address family, not per endpoint: ${sockets.join(', ')}`);
    // ICE-TCP (RFC 6544): every passive candidate names the worker's one TCP port, the
    // same number; connections that name no endpoint are closed and counted.
    const tcpCandidates = c.events.filter((e) => e.params?.value.type === 'IceCandidateFound')
      .map((e) => String((e.params!.value.data.candidate as { candidate: string }).candidate))
      .filter((s) => / tcp .* typ host .*tcptype passive/.test(s));
    assert.ok(tcpCandidates.length >= 2 && tcpCandidates.every((s) => s.split(' ')[5] === String(port)), `passive TCP candidates on port ${port}:\n${tcpCandidates.join('\n')}`);
    const tcpDropsBefore = (await fluo.server.media.mediaStats(1000))[0]!.stats.counters.droppedUnknownAddress;
    for (const first of [Buffer.from('GET / HTTP/1.1\r\n\r\n'), frame(bindingRequest('nosuchufrag:x'))]) {
      const closed = await new Promise<boolean>((resolve) => {
        const sock = net.connect(port, '127.0.0.1', () => sock.write(first));
        sock.on('error', () => undefined);
        sock.on('close', () => resolve(true));
        setTimeout(() => { sock.destroy(); resolve(false); }, 3000);
      });
      assert.ok(closed, `a TCP connection starting with ${first.subarray(0, 8).toString('hex')} is closed by Fluo`);
    }
    await until(async () => (await fluo.server.media.mediaStats(1000))[0]!.stats.counters.droppedUnknownAddress >= tcpDropsBefore + 2, 5_000, 'the strangers\' TCP connections counted');

    const before = (await fluo.server.media.mediaStats(1000))[0]!.stats.counters.droppedUnknownAddress;
    const stranger = dgram.createSocket('udp4');
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => stranger.send(Buffer.from([0x80, 0x60, 0, i, 1, 2, 3, 4, 5, 6, 7, 8]), port, '127.0.0.1', () => r()));
    stranger.close();
    await until(async () => (await fluo.server.media.mediaStats(1000))[0]!.stats.counters.droppedUnknownAddress >= before + 5, 5_000, 'the stranger\'s datagrams counted');
    for (const { peer } of calls) assert.ok((await peer.received()).frames > 15, 'the calls go on');

    // A stranger who knows an endpoint's ufrag (it is in the SDP, which may leak): its
    // Binding requests reach that endpoint by USERNAME, where IceGuard wants a
    // MESSAGE-INTEGRITY made with the endpoint's password (RFC 8445 §7.3). Without one,
    // or with a wrong one, werift never sees the request, so nothing answers it and the
    // stranger's address is never learned: its DTLS and RTP after it are dropped too.
    const sdp = String(await v('invoke', { object: calls[0]!.ep, operation: 'getLocalSessionDescriptor' }));
    const ufrag = /a=ice-ufrag:(\S+)/.exec(sdp)![1]!;
    const counters = async () => (await fluo.server.media.mediaStats(1000))[0]!.stats.counters;
    const c0 = await counters();
    const spoofer = dgram.createSocket('udp4');
    await new Promise<void>((r) => spoofer.bind(0, '127.0.0.1', () => r()));
    const answers: Buffer[] = [];
    spoofer.on('message', (m) => answers.push(m));
    const send = (b: Buffer) => new Promise<void>((r) => spoofer.send(b, port, '127.0.0.1', () => r()));
    await send(bindingRequest(`${ufrag}:evil`, Buffer.alloc(20, 7)));
    await send(bindingRequest(`${ufrag}:evil`));
    await send(Buffer.from([0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x15]));
    await send(Buffer.from([0x80, 0x60, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8]));
    await until(async () => {
      const n = await counters();
      return n.droppedUnauthenticatedStun >= c0.droppedUnauthenticatedStun + 2 && n.droppedUnknownAddress >= c0.droppedUnknownAddress + 2;
    }, 5_000, 'the spoofed Binding requests dropped by IceGuard, the DTLS and RTP after them at the port');
    await new Promise((r) => setTimeout(r, 300));
    spoofer.close();
    assert.deepEqual(answers, [], 'no STUN answer to an unauthenticated request');
    // The control: the same request signed with the endpoint's password is answered, so
    // the silence above is IceGuard's and not a request that never arrived.
    const pwd = /a=ice-pwd:(\S+)/.exec(sdp)![1]!;
    const honest = dgram.createSocket('udp4');
    const answered = new Promise<Buffer>((r) => honest.once('message', r));
    await new Promise<void>((r) => honest.send(bindingRequest(`${ufrag}:honest`, pwd), port, '127.0.0.1', () => r()));
    const reply = await Promise.race([answered, new Promise<undefined>((r) => setTimeout(r, 3000))]);
    honest.close();
    assert.equal(reply?.readUInt16BE(0), 0x0101, 'a Binding success response to the signed request');
    const f0 = (await calls[0]!.peer.received()).frames;
    await until(async () => (await calls[0]!.peer.received()).frames > f0 + 10, 5_000, 'the call keeps its picture');

    await v('release', { object: P });
    for (const { peer } of calls) await peer.close();
    await assertWorkersIdle(fluo.server);
  } finally {
    peers.stop();
    await c.close();
    await fluo.stop();
  }
});
