/**
 * WebRtcEndpoint.conf.ini's pemCertificateRSA / pemCertificateECDSA (Kurento: "useful
 * when several servers must present the same certificate"): an endpoint presents the
 * configured certificate its certificateKeyType names, so its answer's a=fingerprint is
 * the PEM's SHA-256 fingerprint and a werift peer, which checks the certificate it gets
 * in the handshake against that fingerprint (RFC 8122 §5), completes DTLS. Without a
 * file the endpoint keeps the worker's generated certificate. Bad files (no key, a key
 * that is not the certificate's, the wrong type, an EC key off P-256, a relative path)
 * stop the server at start with the key named.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RTCPeerConnection } from 'werift';
import { startFluo, RpcClient, assertWorkersIdle, sleep } from '../helpers/fluo.ts';
import { trickleIce } from '../helpers/weriftPeer.ts';
import { loadConfig, ConfigError } from '../../src/config/loadConfig.ts';

/** A self-signed certificate and its key in one PEM file, made by openssl. */
function pem(dir: string, name: string, newkey: string[]): { file: string; fingerprint: string } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', ...newkey, '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=fluo-${name}`], { stdio: 'ignore' });
  const file = path.join(dir, `${name}.pem`);
  fs.writeFileSync(file, fs.readFileSync(cert, 'utf8') + fs.readFileSync(key, 'utf8'));
  const fingerprint = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).split('=')[1]!.trim();
  return { file, fingerprint };
}

const fingerprintOf = (sdp: string): string => /^a=fingerprint:sha-256 (\S+)/m.exec(sdp)?.[1]?.toUpperCase() ?? '';

test('an endpoint presents the configured RSA or ECDSA certificate; DTLS completes with a peer that checks it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-dtls-cert-'));
  const rsa = pem(dir, 'rsa', ['-newkey', 'rsa:2048']);
  const ec = pem(dir, 'ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']);
  const fluo = await startFluo((c) => ({ ...c, modules: { ...c.modules, WebRtcEndpoint: { ...c.modules.WebRtcEndpoint, pemCertificateRSA: rsa.file, pemCertificateECDSA: ec.file } } }));
  const c = await RpcClient.open(fluo.url);
  try {
    const sid = (await c.ok('connect')).sessionId!;
    const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
    for (const [keyType, expected] of [['RSA', rsa.fingerprint], ['ECDSA', ec.fingerprint], [undefined, rsa.fingerprint]] as const) {
      const ep = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P, ...(keyType ? { certificateKeyType: keyType } : {}) }, sessionId: sid })).value as string;
      // The endpoint's own loopback: what it receives it sends back, over DTLS-SRTP.
      await c.ok('invoke', { object: ep, operation: 'connect', operationParams: { sink: ep }, sessionId: sid });
      const pc = new RTCPeerConnection({ iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false });
      try {
        pc.addTransceiver('audio', { direction: 'sendrecv' });
        let connected = false;
        pc.connectionStateChange.subscribe((s) => { if (s === 'connected') connected = true; });
        await trickleIce(c, sid, ep, pc);
        await pc.setLocalDescription(await pc.createOffer());
        const answer = (await c.ok('invoke', { object: ep, operation: 'processOffer', operationParams: { offer: pc.localDescription!.sdp }, sessionId: sid })).value as string;
        assert.equal(fingerprintOf(answer), expected, `${keyType ?? 'default (RSA)'}: the answer names the configured certificate`);
        await pc.setRemoteDescription({ type: 'answer', sdp: answer });
        await c.ok('invoke', { object: ep, operation: 'gatherCandidates', sessionId: sid });
        for (let t = 0; !connected && t < 10_000; t += 20) await sleep(20);
        assert.ok(connected, `${keyType ?? 'default'}: DTLS connected with the configured certificate`);
      } finally {
        await pc.close();
      }
      await c.ok('release', { object: ep, sessionId: sid });
    }
    await c.ok('release', { object: P, sessionId: sid });
    await assertWorkersIdle(fluo.server);
  } finally {
    await c.close();
    await fluo.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without a configured file the endpoint presents the worker\'s generated certificate', async () => {
  const fluo = await startFluo();
  const c = await RpcClient.open(fluo.url);
  try {
    const sid = (await c.ok('connect')).sessionId!;
    const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
    // Endpoints by media worker (a spread run puts a pipeline's second one on another worker).
    const prints = new Map<number | undefined, string[]>();
    for (let i = 0; i < 4; i++) {
      const ep = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
      const print = fingerprintOf((await c.ok('invoke', { object: ep, operation: 'generateOffer', sessionId: sid })).value as string);
      assert.match(print, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      const worker = fluo.server.media.workerOf(P, ep);
      prints.set(worker, [...(prints.get(worker) ?? []), print]);
    }
    for (const [worker, list] of prints) assert.equal(new Set(list).size, 1, `one certificate per media worker, reused by its endpoints (worker ${worker}: ${list.join(', ')})`);
    await c.ok('release', { object: P, sessionId: sid });
  } finally {
    await c.close();
    await fluo.stop();
  }
});

test('bad certificate files stop the server at start, naming the key', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-dtls-bad-'));
  try {
    const rsa = pem(dir, 'rsa', ['-newkey', 'rsa:2048']);
    const ec = pem(dir, 'ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']);
    const p384 = pem(dir, 'p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1']);
    const certOnly = path.join(dir, 'cert-only.pem');
    fs.writeFileSync(certOnly, fs.readFileSync(path.join(dir, 'rsa.crt')));
    const mismatched = path.join(dir, 'mismatched.pem');
    fs.writeFileSync(mismatched, fs.readFileSync(path.join(dir, 'rsa.crt'), 'utf8') + fs.readFileSync(path.join(dir, 'ec.key'), 'utf8'));
    const cases: Array<[string, RegExp]> = [
      [`pemCertificateRSA=${certOnly}`, /pemCertificateRSA.*no PEM private key/],
      [`pemCertificateRSA=${mismatched}`, /pemCertificateRSA.*not the certificate's/],
      [`pemCertificateRSA=${ec.file}`, /pemCertificateRSA.*RSA key was expected, got ec/],
      [`pemCertificateECDSA=${rsa.file}`, /pemCertificateECDSA.*ECDSA key was expected, got rsa/],
      [`pemCertificateECDSA=${p384.file}`, /pemCertificateECDSA.*P-256.*secp384r1/],
      [`pemCertificateECDSA=${path.join(dir, 'missing.pem')}`, /pemCertificateECDSA.*cannot read.*ENOENT/],
      ['pemCertificateECDSA=ec.pem', /pemCertificateECDSA must be an absolute path/],
    ];
    const modules = path.join(dir, 'modules');
    fs.mkdirSync(modules);
    for (const [line, re] of cases) {
      fs.writeFileSync(path.join(modules, 'WebRtcEndpoint.conf.ini'), `${line}\n`);
      assert.throws(() => loadConfig(['-c', modules], {}), (e: unknown) => e instanceof ConfigError && re.test(e.message), line);
    }
    fs.writeFileSync(path.join(modules, 'WebRtcEndpoint.conf.ini'), `pemCertificateRSA=${rsa.file}\npemCertificateECDSA=${ec.file}\n`);
    const ok = loadConfig(['-c', modules], {});
    assert.equal(ok.kind, 'run', 'good files are accepted');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
