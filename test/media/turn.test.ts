/**
 * TURN for real: a private coturn on loopback relays between a relay-only libwebrtc
 * peer (iceTransportPolicy 'relay', W3C webrtc-pc §4.2.1) and a Fluo WebRtcEndpoint in
 * a loopback, with the endpoint's TURN server given the two Kurento ways: `setTurnUrl`
 * over the Kurento Protocol, and `KMS_TURN_URL` in the environment of a Fluo process.
 * The peer can only use its relayed address (RFC 8656 §3), so frames coming back prove
 * that coturn relayed them; Fluo gathers relayed candidates too, as Kurento does.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { startFluo, RpcClient, activeResources, sleep, withEndpoint, type RpcMessage } from '../helpers/fluo.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';
import { startCoturn, type Coturn } from '../helpers/coturn.ts';

const peers = new RemotePeers();
let turn: Coturn;
before(async () => { turn = await startCoturn(); });
after(async () => { peers.stop(); await turn?.stop(); });

interface Outcome {
  fluoCandidates: string[];
  pair: { localCandidate: string; remoteCandidate: string };
  peerLocalType: string;
  frames: number;
}

/** Hello-world loopback through TURN: the peer relays everything via coturn. */
async function loopbackThroughTurn(url: string, setTurnUrl?: string): Promise<Outcome> {
  const c = await RpcClient.open(url);
  try {
    const sid = (await c.ok('connect')).sessionId!;
    const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
    const ep = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
    if (setTurnUrl !== undefined) {
      await c.ok('invoke', { object: ep, operation: 'setTurnUrl', operationParams: { turnUrl: setTurnUrl }, sessionId: sid });
    }
    for (const type of ['NewCandidatePairSelected', 'IceGatheringDone']) await c.ok('subscribe', { object: ep, type, sessionId: sid });
    await c.ok('invoke', { object: ep, operation: 'connect', operationParams: { sink: ep }, sessionId: sid });
    const peer = await peers.create({
      rtcConfig: {
        iceServers: [{ urls: `turn:127.0.0.1:${turn.port}?transport=udp`, username: turn.user, credential: turn.password }],
        iceTransportPolicy: 'relay',
      },
  });
    await peer.connectTo(c, ep, sid);
    await until(async () => (await peer.received()).frames >= 30, 15_000, '30 frames back through the relay');
    const ofEp = (type: string) => (m: RpcMessage): boolean => m.params?.value.object === ep && m.params.value.type === type;
    await c.waitEvent(ofEp('IceGatheringDone'), 10_000);
    const selected = await c.waitEvent(ofEp('NewCandidatePairSelected'), 5000);
    const fluoCandidates = c.events.filter(ofEp('IceCandidateFound'))
      .map((e) => String((e.params!.value.data.candidate as { candidate: string }).candidate));
    // The libwebrtc side's own view (W3C webrtc-stats): the transport's selected pair.
    const stats = (await peer.call('stats')) as Array<Record<string, unknown>>;
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pairStats = stats.find((s) => s.id === transport?.selectedCandidatePairId);
    const local = stats.find((s) => s.id === pairStats?.localCandidateId);
    const frames = (await peer.received()).frames;
    await c.ok('release', { object: P, sessionId: sid });
    await peer.close();
    return {
      fluoCandidates,
      pair: selected.params!.value.data.candidatePair as Outcome['pair'],
      peerLocalType: String(local?.candidateType),
      frames,
    };
  } finally {
    await c.close();
  }
}

function assertRelayed(o: Outcome): void {
  if (process.env.TURN_DEBUG) console.log(JSON.stringify(o, null, 1));
  assert.ok(o.frames >= 30, `${o.frames} frames`);
  assert.ok(o.fluoCandidates.some((c) => / typ relay /.test(c)), `Fluo gathered a relayed candidate:\n${o.fluoCandidates.join('\n')}`);
  assert.ok(o.fluoCandidates.some((c) => / typ host /.test(c)), 'and its host candidates, as Kurento does');
  // The peer's check through coturn may reach Fluo before the relayed candidate is
  // trickled to it: Fluo then knows that address as peer-reflexive (RFC 8445 §7.3.1.3).
  // Either way it is the relay's address; the peer's own view below says relayed.
  assert.match(o.pair.remoteCandidate, / typ (relay|prflx)\b/, 'the selected pair goes through the peer\'s relayed address');
  assert.equal(o.peerLocalType, 'relay', 'libwebrtc reports its selected local candidate as relayed');
}

test('setTurnUrl over the Kurento Protocol: a relay-only peer gets its picture back through coturn', async () => {
  const fluo = await startFluo();
  try {
    const o = await loopbackThroughTurn(fluo.url, `${turn.user}:${turn.password}@127.0.0.1:${turn.port}`);
    assertRelayed(o);
  } finally {
    await fluo.stop();
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
  });
  });
}

test('KMS_TURN_URL in the environment of a Fluo process (TURN over TCP to coturn)', async () => {
  const port = await freePort();
  const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
  const turnUrl = `${turn.user}:${turn.password}@127.0.0.1:${turn.port}?transport=tcp`;
  const child = spawn(process.execPath, ['--import', 'tsx', main, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KMS_TURN_URL: turnUrl, GST_DEBUG: '1' },
 });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    const url = `ws://127.0.0.1:${port}/kurento`;
    await until(async () => {
      try {
        await (await RpcClient.open(url)).close();
        return true;
      } catch {
        return false;
      }
    }, 10_000, `Fluo listening on ${port}\n${output}`);
    // The setting reaches the endpoint as its turnUrl property, as in Kurento.
    const c = await RpcClient.open(url);
    const sid = (await c.ok('connect')).sessionId!;
    const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
    const ep = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
    assert.equal((await c.ok('invoke', { object: ep, operation: 'getTurnUrl', sessionId: sid })).value, turnUrl);
    await c.ok('release', { object: P, sessionId: sid });
    await c.close();
    assertRelayed(await loopbackThroughTurn(url));
  } finally {
    child.kill('SIGINT');
    assert.equal(await exited, 0, `Fluo stopped cleanly\n${output}`);
  }
});

test('a bad turnUrl is refused with 40107 and a reason; the endpoint keeps working', async () => {
  await withEndpoint({}, async ({ c, sid, P, ep }) => {
    const set = (turnUrl: string) => c.request('invoke', { object: ep, operation: 'setTurnUrl', operationParams: { turnUrl }, sessionId: sid });
    for (const [bad, why] of [
      ['127.0.0.1:3478', /no 'user:password@'/],
      ['u:secret@turn.example.org:3478', /not an IP address/],
      ['u:secret@127.0.0.1:99999', /port '99999'/],
      ['u:secret@127.0.0.1:3478?transport=sctp', /unknown parameter/],
    ] as const) {
      const r = await set(bad);
      assert.equal(r.error?.code, 40107, bad);
      assert.equal(r.error?.data?.type, 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR');
      assert.match(r.error!.message, why);
      assert.doesNotMatch(r.error!.message, /secret/, 'the password is not echoed');
    }
    assert.ok(!(await c.ok('invoke', { object: ep, operation: 'getTurnUrl', sessionId: sid })).value, 'nothing was set');
    // Clearing TURN (an empty URL, as Kurento takes it) is fine.
    assert.equal((await set('')).error, undefined);
    await c.ok('release', { object: P, sessionId: sid });
  });
});

test('coturn allocated and relayed; nothing is left running', async () => {
  // coturn logs each allocation's traffic with its peers when the allocation ends
  // (its client deletes it on close, RFC 8656 §7): media went both ways through it.
  const relayed = (): number[][] => [...turn.log().matchAll(/peer usage: .*rp=(\d+), rb=(\d+), sp=(\d+), sb=(\d+)/g)]
    .map((m) => m.slice(1).map(Number)).filter(([rp, rb, sp, sb]) => rp! > 20 && rb! > 2000 && sp! > 20 && sb! > 2000);
  await until(() => relayed().length >= 2, 3000, `coturn to report relayed media for both peers:\n${turn.log()}`);
  if (process.env.TURN_DEBUG) console.log(turn.log());
  assert.match(turn.log(), /ALLOCATE processed, success/, 'coturn granted allocations');
  // Every allocation, Fluo's too, is gone from the server before coturn stops: deleted
  // by its client (a Refresh with lifetime 0, RFC 8656 §7.2; over TCP the connection's
  // close also ends it, RFC 6062 §5.3), not left to time out 600 s later.
  const sessions = (re: RegExp): string[] => [...new Set([...turn.log().matchAll(re)].map((m) => m[1]!))].sort();
  const allocated = (): string[] => sessions(/session (\d+): realm <[^>]*> user <[^>]*>: incoming packet ALLOCATE processed, success/g);
  const deleted = (): string[] => sessions(/session (\d+): delete: realm=/g);
  await until(() => allocated().length > 0 && deleted().join() === allocated().join(), 5000, 'every allocation deleted')
    .catch((e: Error) => { throw new Error(`${e.message}; allocated ${allocated().join(' ')}, deleted ${deleted().join(' ')}\n${turn.log()}`); });
  assert.ok(allocated().length >= 4, `the peers' and Fluo's allocations, in both tests: ${allocated().join(' ')}`);
  peers.stop();
  await turn.stop();
  // Children (coturn, the wrtc agent) must be gone, and no socket or timer left open.
  await until(() => !activeResources().includes('ProcessWrap'), 3000, 'child processes to exit');
  await sleep(100);
  assert.deepEqual(activeResources().filter((r) => r !== 'Timeout'), [], 'handles left');
});
