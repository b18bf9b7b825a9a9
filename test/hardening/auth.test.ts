/**
 * Access control on the WebSocket upgrade (issue 16, "Security beyond Kurento"): an
 * optional shared secret or JWT (HS256 secret, RS256 public key) as access token, in
 * the URL or an Authorization header, and an optional Origin allow-list. The official
 * kurento-client only adds the token to its URL.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import { WebSocket } from 'ws';
import { startFluo, RpcClient } from '../helpers/fluo.ts';

const require = createRequire(import.meta.url);
// kurento-client is CommonJS with no types; we use it the way applications do.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const kurento = require('kurento-client') as Loose;

const SECRET = 'shared-s3cret';
const JWT_SECRET = 'jwt-hs256-secret';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ORIGIN = 'https://app.example.com';

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
function hs256(claims: Record<string, unknown>, secret = JWT_SECRET, alg = 'HS256'): string {
  const head = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}
function rs256(claims: Record<string, unknown>): string {
  const head = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${head}.${sign('RSA-SHA256', Buffer.from(head), rsa.privateKey).toString('base64url')}`;
}
const now = (): number => Math.floor(Date.now() / 1000);

let fluo: Awaited<ReturnType<typeof startFluo>>;
before(async () => {
  fluo = await startFluo((c) => ({
    ...c,
    websocket: {
      ...c.websocket,
      auth: { token: SECRET, jwtSecret: JWT_SECRET, jwtPublicKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(), allowedOrigins: [ORIGIN] },
    },
  }));
});
after(async () => { await fluo.stop(); });

/** Opens a raw WebSocket; resolves 'open' or the HTTP status and body of the refusal. */
function attempt(url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => { ws.close(); resolve('open'); });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    ws.once('error', () => undefined);
  });
}

test('kurento-client with the token in its URL works; a wrong token is refused with HTTP 401', async () => {
  const raw = kurento(`${fluo.url}?access_token=${SECRET}`, { failAfter: 1, request_timeout: 5000 });
  // With the reconnect-ws override a dropped socket would otherwise throw in the test process.
  raw._re.on('error', () => undefined);
  const client = await raw;
  const manager = await client.getServerManager();
  assert.equal((await manager.getInfo()).type, 'KMS');
  const pipeline = await client.create('MediaPipeline');
  await pipeline.release();
  client.close();

  const errors: string[] = [];
  const wrong = kurento(`${fluo.url}?access_token=wrong`, { failAfter: 1, request_timeout: 3000 });
  wrong._re.on('error', (e: Error) => errors.push(e.message));
  await assert.rejects(Promise.race([wrong, new Promise((_r, j) => setTimeout(() => j(new Error('no answer in 5 s')), 5000))]), /Connection error/);
  assert.ok(errors.some((m) => m.includes('401')), errors.join('; '));
});

test('shared secret, HS256 and RS256 JWTs, in the URL or a Bearer header; what is refused says why', async () => {
  const url = fluo.url;
  assert.equal(await attempt(`${url}?access_token=${SECRET}`), 'open');
  assert.equal(await attempt(url, { Authorization: `Bearer ${SECRET}` }), 'open');
  assert.equal(await attempt(`${url}?access_token=${hs256({ sub: 'app', exp: now() + 60 })}`), 'open');
  assert.equal(await attempt(url, { Authorization: `Bearer ${rs256({ sub: 'app', exp: now() + 60 })}` }), 'open');
  const refused: Array<[string, Record<string, string>, RegExp]> = [
    [url, {}, /^401 an access token is required/],
    [`${url}?access_token=`, {}, /^401 an access token is required/],
    [`${url}?access_token=nope`, {}, /^401 invalid access token: not a JWT/],
    [`${url}?access_token=${hs256({ exp: now() - 120 })}`, {}, /^401 invalid access token: expired/],
    [`${url}?access_token=${hs256({ nbf: now() + 120 })}`, {}, /^401 invalid access token: not valid yet/],
    [`${url}?access_token=${hs256({}, 'other secret')}`, {}, /^401 invalid access token: bad signature/],
    [`${url}?access_token=${b64({ alg: 'none' })}.${b64({})}.`, {}, /^401 invalid access token: algorithm "none" not accepted/],
    // An RS256 public key used as an HS256 secret (the classic algorithm confusion) is refused.
    [`${url}?access_token=${hs256({}, rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString())}`, {}, /^401 invalid access token: bad signature/],
    [url, { Authorization: 'Basic abc' }, /^401 an access token is required/],
  ];
  for (const [u, headers, re] of refused) assert.match(await attempt(u, headers), re, `${u} ${JSON.stringify(headers)}`);
  // The server keeps serving.
  const c = await RpcClient.open(`${url}?access_token=${SECRET}`);
  assert.equal((await c.request('ping')).result?.value, 'pong');
  await c.close();
});

test('Origin allow-list: a page from another origin gets HTTP 403; the allowed one and server applications connect', async () => {
  const url = `${fluo.url}?access_token=${SECRET}`;
  assert.equal(await attempt(url, { Origin: ORIGIN }), 'open');
  assert.equal(await attempt(url), 'open');
  assert.match(await attempt(url, { Origin: 'https://evil.example' }), /^403 Origin https:\/\/evil\.example is not in mediaServer\.net\.websocket\.auth\.allowedOrigins/);
  assert.match(await attempt(fluo.url, { Origin: 'https://evil.example' }), /^403/);
});

test('the auth settings in kurento.conf.json: read, and refused with the key named when wrong', async () => {
  const { loadConfig, ConfigError } = await import('../../src/config/loadConfig.ts');
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-auth-'));
  try {
    fs.writeFileSync(path.join(dir, 'jwt.pem'), rsa.publicKey.export({ type: 'spki', format: 'pem' }));
    fs.writeFileSync(path.join(dir, 'bad.pem'), 'not a key');
    const conf = (auth: unknown): string => {
      const f = path.join(dir, 'kurento.conf.json');
      fs.writeFileSync(f, JSON.stringify({ mediaServer: { net: { websocket: { auth } } } }));
      return f;
    };
    const r = loadConfig(['--conf-file', conf({ token: 't', jwtSecret: 's', jwtPublicKey: 'jwt.pem', allowedOrigins: [ORIGIN] })], {});
    assert.ok(r.kind === 'run');
    assert.equal(r.config.websocket.auth.token, 't');
    assert.match(r.config.websocket.auth.jwtPublicKey!, /BEGIN PUBLIC KEY/);
    const bad = (auth: unknown, re: RegExp): void => {
      assert.throws(() => loadConfig(['--conf-file', conf(auth)], {}), (e: unknown) => e instanceof ConfigError && re.test(e.message));
    };
    bad({ jwtPublicKey: 'bad.pem' }, /mediaServer\.net\.websocket\.auth\.jwtPublicKey: .*bad\.pem is not a readable PEM public key/);
    bad({ allowedOrigins: 'https://a' }, /mediaServer\.net\.websocket\.auth\.allowedOrigins must be a list of origins/);
    bad({ allowedOrigins: ['https://a/path'] }, /allowedOrigins/);
    bad({ token: 5 }, /mediaServer\.net\.websocket\.auth\.token must be a string/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
