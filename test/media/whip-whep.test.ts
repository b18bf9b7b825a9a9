/**
 * WHIP and WHEP (issue 15 §2) with real peers: a libwebrtc publisher speaking plain HTTP
 * (RFC 9725: POST its offer, its candidates by PATCH) into a stream that headless
 * Chromium watches over WHEP (its offer with its candidates in one POST); the viewer
 * decodes the publisher's picture. A second viewer joins late; DELETEs release
 * everything (no pipeline, no socket or timer in the workers).
 */
import { test } from 'node:test';
import dgram from 'node:dgram';
import assert from 'node:assert/strict';
import { chromiumAgainstFluo } from '../helpers/browser.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';
import { assertWorkersIdle, RpcClient } from '../helpers/fluo.ts';

const env = chromiumAgainstFluo();

/** The HTTP base of Fluo's control port. */
const base = (): string => env.fluo.url.replace(/^ws/, 'http').replace(/\/kurento$/, '');

test('a libwebrtc WHIP publisher, trickling by PATCH, is watched by Chromium over WHEP', async () => {
  const peers = new RemotePeers();
  const tab = await env.browser.context.newPage();
  try {
    // The publisher: POST the offer, then PATCH each candidate as it comes (trickle).
    const publisher = await peers.create({ width: 320, height: 240 });
    const trickled: number[] = [];
    let patch: ((c: Record<string, unknown>) => void) | undefined;
    const early: Array<Record<string, unknown>> = [];
    let restarting = false;
    peers.onCandidate(publisher.id, (c) => (restarting ? undefined : patch ? patch(c) : early.push(c)));
    const offer = (await publisher.call('offer')) as string;
    const posted = await fetch(`${base()}/whip/cam1`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: offer });
    assert.equal(posted.status, 201, await posted.clone().text());
    assert.equal(posted.headers.get('content-type'), 'application/sdp');
    const location = posted.headers.get('location')!;
    assert.match(location, /^\/whip\/cam1\/[0-9a-f]{24}$/);
    const etag = posted.headers.get('etag')!;
    const answer = await posted.text();
    assert.match(answer, /^a=candidate:/m, 'Fluo\'s candidates are in the answer');
    await publisher.call('setAnswer', { sdp: answer });
    patch = (c) => {
      const frag = `m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:${String(c.sdpMid)}\r\na=${String(c.candidate)}\r\n`;
      void fetch(base() + location, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': etag }, body: frag }).then((r) => trickled.push(r.status));
    };
    for (const c of early.splice(0)) patch(c);

    // The viewer, in Chromium: one POST with its candidates, as WHEP players do.
    await tab.goto(env.page.url);
    const whep = `${base()}/whep/cam1`;
    const status = await tab.evaluate(async (url) => {
      const pc = new RTCPeerConnection();
      (window as unknown as { pc: RTCPeerConnection }).pc = pc;
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'recvonly' });
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((r) => { if (pc.iceGatheringState === 'complete') r(); else pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') r(); }); });
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp });
      if (res.status !== 201) return res.status;
      (window as unknown as { session: string }).session = res.headers.get('location')!;
      await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
      return res.status;
    }, whep);
    assert.equal(status, 201);
    const decoded = async (): Promise<number> => tab.evaluate(async () => {
      let frames = 0;
      (await (window as unknown as { pc: RTCPeerConnection }).pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number }) => { if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded ?? 0; });
      return frames;
    });
    await until(async () => (await decoded()) > 20, 20_000, 'frames decoded by the WHEP viewer');
    assert.ok(trickled.length > 0 && trickled.every((s) => s === 204), `PATCHes answered ${trickled.join(', ')}`);

    // ICE restart of the publisher (RFC 9725 §4.3.2): its new credentials and candidates
    // in one PATCH; Fluo answers 200 with its own new ones and a new ETag, and ICE
    // connects again on the new credentials while the viewer keeps decoding.
    restarting = true;
    const sessionOf = (loc: string) => env.fluo.server.whip.streams.session(loc.split('/').pop()!)!;
    const publisherEp = env.fluo.server.router.mediaSet.get(sessionOf(location).endpoint) as unknown as { getICECandidatePairs(): unknown[]; getIceConnectionState(): Array<{ state: string }> };
    const pairsBefore = publisherEp.getICECandidatePairs().length;
    const restartOffer = (await publisher.call('restartOffer')) as string;
    const ufrag = /^a=ice-ufrag:(\S+)/m.exec(restartOffer)![1]!;
    assert.notEqual(ufrag, /^a=ice-ufrag:(\S+)/m.exec(offer)![1], 'libwebrtc made new credentials');
    const fragOf = (sdp: string): string => sdp.split(/\r?\n/).filter((l) => /^(a=ice-ufrag|a=ice-pwd|m=|a=mid:|a=candidate:)/.test(l)).join('\r\n') + '\r\n';
    const patchRestart = (ifMatch: string | undefined) => fetch(base() + location, {
      method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag', ...(ifMatch ? { 'if-match': ifMatch } : {}) }, body: fragOf(restartOffer),
    });
    assert.equal((await patchRestart(undefined)).status, 428, 'a restart without If-Match');
    assert.equal((await patchRestart('"stale"')).status, 412, 'a restart with another ETag');
    const restarted = await patchRestart(etag);
    assert.equal(restarted.status, 200, await restarted.clone().text());
    assert.equal(restarted.headers.get('content-type'), 'application/trickle-ice-sdpfrag');
    const newEtag = restarted.headers.get('etag')!;
    assert.notEqual(newEtag, etag, 'a new ETag after the restart');
    const answerFrag = await restarted.text();
    const newUfrag = /^a=ice-ufrag:(\S+)/m.exec(answerFrag)?.[1];
    const newPwd = /^a=ice-pwd:(\S+)/m.exec(answerFrag)?.[1];
    assert.ok(newUfrag && newPwd, `credentials in the answer: ${answerFrag}`);
    assert.notEqual(newUfrag, /^a=ice-ufrag:(\S+)/m.exec(answer)![1], 'Fluo made new credentials');
    assert.equal(newEtag, `"${newUfrag}"`);
    const newCandidates = answerFrag.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
    assert.ok(newCandidates.length > 0, 'Fluo\'s new candidates are in the answer');
    // The client's remote answer again, with Fluo's new credentials and candidates.
    const oldRemote = (await publisher.call('remoteDescription')) as string;
    const newRemote = oldRemote.split('\r\n')
      .filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
      .map((l) => (l.startsWith('a=ice-ufrag:') ? `a=ice-ufrag:${newUfrag}` : l.startsWith('a=ice-pwd:') ? `a=ice-pwd:${newPwd}` : l))
      .join('\r\n');
    await publisher.call('setAnswer', { sdp: newRemote });
    for (const line of newCandidates) await publisher.call('addCandidate', { candidate: line.slice(2), sdpMid: '0', sdpMLineIndex: 0 });
    await until(() => publisherEp.getICECandidatePairs().length > pairsBefore, 10_000, 'a pair selected on the new credentials');
    await until(() => publisherEp.getIceConnectionState().some((s) => s.state === 'CONNECTED' || s.state === 'READY'), 10_000, 'Fluo\'s ICE connected again');
    await until(async () => ['connected', 'completed'].includes(String(await publisher.call('iceState'))), 10_000, 'the publisher\'s ICE connected again');
    const framesAfterRestart = await decoded();
    await until(async () => (await decoded()) > framesAfterRestart + 20, 20_000, 'the viewer still decodes after the restart');
    // The old ETag no longer matches; the new one does (a trickle after the restart).
    assert.equal((await fetch(base() + location, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': etag }, body: 'a=end-of-candidates\r\n' })).status, 412);
    assert.equal((await fetch(base() + location, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': newEtag }, body: 'a=end-of-candidates\r\n' })).status, 204);

    // The Chromium viewer restarts ICE too, as a WHEP player does when its network changes.
    const viewerRestart = await tab.evaluate(async (origin) => {
      const w = window as unknown as { pc: RTCPeerConnection; session: string };
      const pc = w.pc;
      pc.restartIce();
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((r) => { if (pc.iceGatheringState === 'complete') r(); else pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') r(); }); });
      const frag = pc.localDescription!.sdp.split('\r\n').filter((l) => /^(a=ice-ufrag|a=ice-pwd|m=|a=mid:|a=candidate:)/.test(l)).join('\r\n') + '\r\n';
      const res = await fetch(origin + w.session, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag', 'if-match': '*' }, body: frag });
      if (res.status !== 200) return { status: res.status, body: await res.text() };
      const answer = await res.text();
      const ufrag = /^a=ice-ufrag:(\S+)/m.exec(answer)![1]!;
      const pwd = /^a=ice-pwd:(\S+)/m.exec(answer)![1]!;
      const remote = pc.remoteDescription!.sdp.split('\r\n')
        .filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
        .map((l) => (l.startsWith('a=ice-ufrag:') ? `a=ice-ufrag:${ufrag}` : l.startsWith('a=ice-pwd:') ? `a=ice-pwd:${pwd}` : l));
      // Fluo's new candidates go in their media sections of the new answer.
      const cands = answer.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
      const out: string[] = [];
      for (const l of remote) { out.push(l); if (l.startsWith('a=mid:')) out.push(...cands); }
      await pc.setRemoteDescription({ type: 'answer', sdp: out.join('\r\n') });
      return { status: res.status, body: ufrag };
    }, base());
    assert.equal(viewerRestart.status, 200, viewerRestart.body);
    const viewerFrames = await decoded();
    await until(async () => (await decoded()) > viewerFrames + 20, 20_000, 'the viewer decodes after its own ICE restart');
    const viewerEp = env.fluo.server.router.mediaSet.get(sessionOf(await tab.evaluate(() => (window as unknown as { session: string }).session)).endpoint) as unknown as { getICECandidatePairs(): unknown[] };
    await until(() => viewerEp.getICECandidatePairs().length >= 2, 10_000, 'the viewer\'s endpoint selected a pair on the new credentials');
    assert.ok(['connected', 'completed'].includes(await tab.evaluate(() => (window as unknown as { pc: RTCPeerConnection }).pc.iceConnectionState)));

    // A second publisher on the same stream is refused; the first goes on.
    const other = await peers.create({ width: 320, height: 240 });
    const second = await fetch(`${base()}/whip/cam1`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: (await other.call('offer')) as string });
    assert.equal(second.status, 409);

    // Viewer and publisher leave: the stream's pipeline goes with the last.
    const viewerSession = await tab.evaluate(() => (window as unknown as { session: string }).session);
    assert.equal((await fetch(base() + viewerSession, { method: 'DELETE' })).status, 200);
    assert.equal((await fetch(base() + viewerSession, { method: 'DELETE' })).status, 404);
    assert.equal(env.fluo.server.router.mediaSet.pipelines().length, 1, 'the publisher keeps the stream');
    assert.equal((await fetch(base() + location, { method: 'DELETE' })).status, 200);
    assert.equal(env.fluo.server.router.mediaSet.pipelines().length, 0);
    await assertWorkersIdle(env.fluo.server);
  } finally {
    await tab.close();
    peers.stop();
  }
});

test('an application binds a stream to its own element (tag fluo.whip): the WHIP publisher feeds it; DELETE leaves the application\'s pipeline', async () => {
  const peers = new RemotePeers();
  const c = await RpcClient.open(env.fluo.url);
  try {
    const sid = (await c.ok('connect')).sessionId!;
    const v = async (method: string, params: Record<string, unknown>) => (await c.ok(method, { ...params, sessionId: sid })).value;
    const P = await v('create', { type: 'MediaPipeline' }) as string;
    const presenter = await v('create', { type: 'PassThrough', constructorParams: { mediaPipeline: P } }) as string;
    await v('invoke', { object: presenter, operation: 'addTag', operationParams: { key: 'fluo.whip', value: 'studio' } });
    // The application's own viewer of the presenter: an RtpEndpoint sending to a socket here.
    const rtpOut = await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } }) as string;
    const socket = dgram.createSocket('udp4');
    let packets = 0;
    socket.on('message', () => { packets++; });
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    await v('invoke', { object: rtpOut, operation: 'processOffer', operationParams: { offer: ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=app', 'c=IN IP4 127.0.0.1', 't=0 0', `m=video ${socket.address().port} RTP/AVP 96`, 'a=rtpmap:96 VP8/90000', 'a=recvonly', ''].join('\r\n') } });
    await v('invoke', { object: presenter, operation: 'connect', operationParams: { sink: rtpOut } });

    const publisher = await peers.create({ width: 320, height: 240 });
    const early: Array<Record<string, unknown>> = [];
    let patch: ((cand: Record<string, unknown>) => void) | undefined;
    peers.onCandidate(publisher.id, (cand) => (patch ? patch(cand) : early.push(cand)));
    const posted = await fetch(`${base()}/whip/studio`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: (await publisher.call('offer')) as string });
    assert.equal(posted.status, 201, await posted.clone().text());
    const location = posted.headers.get('location')!;
    await publisher.call('setAnswer', { sdp: await posted.text() });
    patch = (cand) => void fetch(base() + location, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag' }, body: `m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:${String(cand.sdpMid)}\r\na=${String(cand.candidate)}\r\n` });
    for (const cand of early.splice(0)) patch(cand);

    assert.equal(env.fluo.server.router.mediaSet.pipelines().length, 1, 'no pipeline of WHIP\'s own');
    await until(() => packets > 20, 15_000, 'the publisher\'s video through the application\'s element to its own viewer');
    socket.close();
    assert.equal((await fetch(base() + location, { method: 'DELETE' })).status, 200);
    const children = await v('invoke', { object: P, operation: 'getChildren' }) as string[];
    assert.deepEqual(children.sort(), [presenter, rtpOut].sort(), 'the publisher\'s endpoint went, the application\'s elements stayed');
    await v('release', { object: P });
    await publisher.close();
    await assertWorkersIdle(env.fluo.server);
  } finally {
    await c.close();
    peers.stop();
  }
});
