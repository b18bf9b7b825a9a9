/**
 * Outbound traffic the control socket can cause (issue 16): STUN/TURN servers and
 * candidates towards denied networks are refused with Kurento codes, and file://
 * URIs stay under the configured roots. Defaults allow everything, as Kurento.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFluo, RpcClient } from '../helpers/fluo.ts';

let dir: string;
let fluo: Awaited<ReturnType<typeof startFluo>>;
before(async () => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-roots-')));
  fs.mkdirSync(path.join(dir, 'media'));
  fs.symlinkSync('/etc', path.join(dir, 'media', 'escape'));
  fluo = await startFluo((c) => ({
    ...c,
    security: { ...c.security, fileRoots: [path.join(dir, 'media')], deniedDestinations: ['loopback', 'private', 'link-local'], allowedDestinations: ['10.1.2.3/32'] },
  }));
});
after(async () => {
  await fluo.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function session(url: string): Promise<{ c: RpcClient; sid: string; P: string }> {
  const c = await RpcClient.open(url);
  const sid = (await c.ok('connect')).sessionId!;
  const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
  return { c, sid, P };
}

const candidate = (address: string): { candidate: string; sdpMid: string; sdpMLineIndex: number } =>
  ({ candidate: `candidate:1 1 udp 2122260223 ${address} 54321 typ host`, sdpMid: '0', sdpMLineIndex: 0 });

test('STUN, TURN and candidates towards denied networks are refused; allowed ones pass', async () => {
  const { c, sid, P } = await session(fluo.url);
  const ep = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
  const inv = (operation: string, operationParams: unknown) => c.request('invoke', { object: ep, operation, operationParams, sessionId: sid });
  for (const address of ['127.0.0.1', '10.0.0.9', '192.168.1.1', '169.254.1.1', '::1', 'stun.example.com']) {
    const r = await inv('setStunServerAddress', { stunServerAddress: address });
    assert.equal(r.error?.code, 40107, `${address}: ${JSON.stringify(r)}`);
    assert.match(r.error!.message, /stunServerAddress refused/);
  }
  for (const url of ['u:p@192.168.1.1:3478', 'u:p@[::1]:3478?transport=tcp']) {
    const r = await inv('setTurnUrl', { turnUrl: url });
    assert.equal(r.error?.code, 40107, url);
    assert.match(r.error!.message, /turnUrl refused: .*deniedDestinations/);
  }
  assert.ok((await inv('setStunServerAddress', { stunServerAddress: '10.1.2.3' })).result, 'the allowed exception');
  assert.ok((await inv('setStunServerAddress', { stunServerAddress: '192.0.2.1' })).result, 'a public address');
  assert.ok((await inv('setTurnUrl', { turnUrl: 'u:p@10.1.2.3:3478' })).result);
  for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '10.9.9.9', 'fe80::1', 'abcd-1234.local']) {
    const r = await inv('addIceCandidate', { candidate: candidate(address) });
    assert.equal(r.error?.code, 40401, `${address}: ${JSON.stringify(r)}`);
    assert.equal(r.error?.data?.type, 'ICE_ADD_CANDIDATE_ERROR');
  }
  // Candidates in an offer towards denied networks are dropped; the others stay.
  const other = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
  const offer = (await c.ok('invoke', { object: other, operation: 'generateOffer', sessionId: sid })).value as string;
  const withCandidates = offer.replace(/(a=mid:[^\r\n]*\r\n)/, `$1a=${candidate('127.0.0.1').candidate}\r\na=${candidate('203.0.113.7').candidate}\r\n`);
  assert.match(withCandidates, /127\.0\.0\.1 54321/);
  await c.ok('invoke', { object: ep, operation: 'processOffer', operationParams: { offer: withCandidates }, sessionId: sid });
  const remote = (await c.ok('invoke', { object: ep, operation: 'getRemoteSessionDescriptor', sessionId: sid })).value as string;
  assert.doesNotMatch(remote, /127\.0\.0\.1 54321/);
  assert.match(remote, /203\.0\.113\.7 54321/);
  assert.ok((await inv('addIceCandidate', { candidate: candidate('203.0.113.8') })).result, 'a public candidate is taken');
  await c.ok('release', { object: P, sessionId: sid });
  await c.close();
});

test('file:// URIs only under fileRoots ("..", symbolic links); network URIs towards denied addresses refused', async () => {
  const { c, sid, P } = await session(fluo.url);
  const create = (type: string, uri: string) => c.request('create', { type, constructorParams: { mediaPipeline: P, uri }, sessionId: sid });
  const media = path.join(dir, 'media');
  for (const uri of ['file:///etc/passwd', `file://${media}/../secret.mp4`, `file://${media}/escape/passwd`, `file://${dir}/media2/x.webm`, 'file://otherhost/x.mp4']) {
    for (const type of ['PlayerEndpoint', 'RecorderEndpoint']) {
      const r = await create(type, uri);
      assert.equal(r.error?.code, 40107, `${type} ${uri}: ${JSON.stringify(r)}`);
      assert.match(r.error!.message, /'uri' refused: .*(fileRoots|another host)/);
    }
  }
  assert.ok((await create('PlayerEndpoint', `file://${media}/video.mp4`)).result);
  assert.ok((await create('RecorderEndpoint', `file://${media}/new/recording.webm`)).result);
  for (const uri of ['http://127.0.0.1/x.mp4', 'http://localhost:8080/x.mp4', 'rtsp://192.168.0.10/stream', 'http://[::1]/x.mp4']) {
    const r = await create('PlayerEndpoint', uri);
    assert.equal(r.error?.code, 40107, uri);
    assert.match(r.error!.message, /deniedDestinations/);
  }
  assert.ok((await create('PlayerEndpoint', 'http://192.0.2.1/x.mp4')).result);
  // A host name is resolved when the URI is used: this machine's own name is loopback.
  for (const [type, op] of [['PlayerEndpoint', 'play'], ['RecorderEndpoint', 'record']] as const) {
    const named = await create(type, `http://${os.hostname()}:8080/x.webm`);
    const r = await c.request('invoke', { object: named.result!.value, operation: op, operationParams: {}, sessionId: sid });
    assert.equal(r.error?.code, 40107, `${type}.${op}: ${JSON.stringify(r)}`);
    assert.match(r.error!.message, new RegExp(`'uri' refused: ${os.hostname()} resolves to 127\\.\\d+\\.\\d+\\.\\d+ is in a denied network`));
  }
  await c.ok('release', { object: P, sessionId: sid });
  await c.close();
});

test('defaults: anywhere, as Kurento', async () => {
  const open = await startFluo();
  try {
    const { c, sid, P } = await session(open.url);
    const ep = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
    assert.ok((await c.request('invoke', { object: ep, operation: 'setStunServerAddress', operationParams: { stunServerAddress: '127.0.0.1' }, sessionId: sid })).result);
    assert.ok((await c.request('create', { type: 'PlayerEndpoint', constructorParams: { mediaPipeline: P, uri: 'file:///etc/passwd' }, sessionId: sid })).result);
    await c.ok('release', { object: P, sessionId: sid });
    await c.close();
  } finally {
    await open.stop();
  }
});
