/** Seeded random inputs for fuzz tests: a fast deterministic generator and byte mutations. */

/** xorshift32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

export function mutate(base: Buffer, r: () => number): Buffer {
  const b = Buffer.from(base);
  const kind = Math.floor(r() * 4);
  if (kind === 0) return b.subarray(0, Math.floor(r() * b.length));
  const flips = 1 + Math.floor(r() * 8);
  for (let i = 0; i < flips; i++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
  if (kind === 2 && b.length > 4) b.writeUInt16BE(Math.floor(r() * 65536), 2); // lying length field
  if (kind === 3) return Buffer.concat([b, Buffer.from(Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)))]);
  return b;
}


/** `n` random bytes. */
export function randomBytes(r: () => number, n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
}

/** A random JSON value, nested up to `depth` levels. */
export function randomJson(r: () => number, depth = 3): unknown {
  const k = Math.floor(r() * (depth > 0 ? 9 : 6));
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: return Math.floor((r() - 0.5) * 2 ** (r() * 60));
    case 3: return r() * 1e6;
    case 4: return randomString(r);
    case 5: return ['newref:0', 'newref:99', 'manager_ServerManager', '', 'MediaPipeline'][Math.floor(r() * 5)];
    case 6: return Array.from({ length: Math.floor(r() * 5) }, () => randomJson(r, depth - 1));
    default: return Object.fromEntries(Array.from({ length: Math.floor(r() * 5) }, () => [randomString(r), randomJson(r, depth - 1)]));
  }
}

function randomString(r: () => number): string {
  const alphabet = 'abcXYZ019 _-:/."\\\u00e9\u4e2d\ud83d\ude00\u0000';
  return Array.from({ length: Math.floor(r() * 12) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
}

const METHODS = ['ping', 'connect', 'create', 'invoke', 'describe', 'release', 'subscribe', 'unsubscribe', 'ref', 'unref', 'keepAlive', 'closeSession', 'transaction', 'nope'];
const TYPES = ['MediaPipeline', 'PassThrough', 'WebRtcEndpoint', 'ServerManager', 'Nope', 'MediaElement'];
const OPERATIONS = ['getInfo', 'getPipelines', 'getSessions', 'getName', 'setName', 'addTag', 'getTags', 'connect', 'getChildren', 'release', 'x'];

/** Params for `method` that are plausible (right names, often right types) or not. */
function params(r: () => number, method: string, sessionIds: readonly string[]): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  if (r() < 0.8) p.sessionId = sessionIds[Math.floor(r() * sessionIds.length)];
  const object = r() < 0.5 ? 'manager_ServerManager' : randomJson(r, 1);
  if (method === 'create') {
    p.type = r() < 0.9 ? TYPES[Math.floor(r() * TYPES.length)] : randomJson(r);
    if (r() < 0.7) p.constructorParams = r() < 0.5 ? { mediaPipeline: randomJson(r, 1) } : randomJson(r);
    if (r() < 0.2) p.properties = randomJson(r);
  } else if (method === 'invoke') {
    p.object = object;
    p.operation = r() < 0.9 ? OPERATIONS[Math.floor(r() * OPERATIONS.length)] : randomJson(r, 1);
    if (r() < 0.6) p.operationParams = r() < 0.5 ? { key: randomString(r), value: randomString(r), name: randomString(r) } : randomJson(r);
  } else if (method === 'transaction') {
    p.operations = Array.from({ length: Math.floor(r() * 6) }, (_, i) => {
      const m = METHODS[Math.floor(r() * METHODS.length)]!;
      return r() < 0.9 ? { id: i, method: m, params: params(r, m, sessionIds) } : randomJson(r);
    });
  } else if (method !== 'ping' && method !== 'connect') {
    p.object = object;
    if (r() < 0.5) p.type = r() < 0.5 ? 'ObjectCreated' : randomJson(r, 1);
    if (r() < 0.3) p.subscription = randomJson(r, 1);
  }
  if (r() < 0.1) p[randomString(r)] = randomJson(r);
  return p;
}

/**
 * One generated frame for the JSON-RPC surface: a plausible request (wrong types and
 * names mixed in), a notification, a batch, a random JSON value, a deeply nested one,
 * or the bytes of a request mutated. Requests that are well-formed JSON-RPC carry
 * the id `${idPrefix}${n}` (returned, for checking that each is answered).
 */
export function jsonRpcFrame(r: () => number, idPrefix: string, n: number, sessionIds: readonly string[]): { text: string; expectId?: string } {
  const request = (id: string | undefined): Record<string, unknown> => {
    const method = r() < 0.95 ? METHODS[Math.floor(r() * METHODS.length)]! : randomString(r);
    const msg: Record<string, unknown> = { jsonrpc: '2.0', method, params: params(r, method, sessionIds) };
    if (id !== undefined) msg.id = id;
    return msg;
  };
  const k = r();
  const id = `${idPrefix}${n}`;
  if (k < 0.55) return { text: JSON.stringify(request(id)), expectId: id };
  if (k < 0.62) return { text: JSON.stringify(request(undefined)) };
  if (k < 0.70) return { text: JSON.stringify(Array.from({ length: 1 + Math.floor(r() * 8) }, (_, i) => request(r() < 0.8 ? `${id}.${i}` : undefined))) };
  if (k < 0.78) return { text: JSON.stringify(randomJson(r, 4)) };
  if (k < 0.82) {
    const d = 50 + Math.floor(r() * 100);
    return { text: `{"jsonrpc":"2.0","id":"${id}","method":"ping","params":{"x":${'['.repeat(d)}${']'.repeat(d)}}}` };
  }
  return { text: mutate(Buffer.from(JSON.stringify(request(id))), r).toString('utf8') };
}
