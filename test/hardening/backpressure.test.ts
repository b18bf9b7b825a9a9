/**
 * Issue 16, defect 3: a client that sends requests but never reads its socket made the
 * server buffer every answer (RSS 92 -> 662 MB). Now its requests are no longer read
 * while its unsent output is over sendBufferPause, and it is closed (1008, a warning
 * in the log) when the output stays over it for sendBufferTimeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { startFluo, RpcClient, sleep } from '../helpers/fluo.ts';

const MiB = 1024 * 1024;

test('defect 3: a client that never reads is paused, then closed with 1008; others are served meanwhile', async () => {
  const fluo = await startFluo((c) => ({ ...c, resources: { ...c.resources, sendBufferPause: MiB, sendBufferClose: 8 * MiB, sendBufferTimeout: 2 } }));
  const warnings: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (String(chunk).includes('does not read')) warnings.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    const good = await RpcClient.open(fluo.url);
    const deaf = new WebSocket(fluo.url, { perMessageDeflate: false });
    await new Promise((r) => deaf.once('open', r));
    const socket = (deaf as unknown as { _socket: Socket })._socket;
    socket.pause(); // reads nothing from now on
    let answers = 0;
    deaf.on('message', () => { answers++; });
    const closed = new Promise<number>((r) => deaf.once('close', (code) => r(code)));
    const N = 2000; // 2000 answers of 52 KB: 100 MB buffered without backpressure
    const start = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < N; i++) {
      deaf.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'invoke', params: { object: 'manager_ServerManager', operation: 'getKmd', operationParams: { moduleName: 'core' } } }));
    }
    let peak = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 2500) {
      assert.equal((await good.request('ping')).result?.value, 'pong');
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - start);
      await sleep(50);
    }
    console.log(`# buffers grew by at most ${(peak / MiB).toFixed(1)} MiB while the client did not read`);
    assert.ok(peak < 8 * MiB, `buffers grew by ${(peak / MiB).toFixed(0)} MiB`);
    while (!warnings.length && Date.now() - t0 < 5000) await sleep(50);
    socket.resume(); // read what was sent, then the close frame
    const code = await Promise.race([closed, sleep(5000).then(() => -1)]);
    assert.equal(code, 1008);
    assert.ok(answers < N / 2, `${answers} answers sent to a client that did not read`);
    assert.equal(warnings.length, 1, warnings.join(''));
    assert.match(warnings[0]!, /connection \d+ closed \(1008\).*sendBufferTimeout \(2 s\)/);
    assert.equal((await good.request('ping')).result?.value, 'pong');
    await good.close();
  } finally {
    process.stderr.write = write;
    await fluo.stop();
  }
});

test('defect 3: output pushed past sendBufferClose (events to a client that does not read) closes it at once', async () => {
  const fluo = await startFluo((c) => ({ ...c, resources: { ...c.resources, sendBufferPause: 64 * 1024, sendBufferClose: 256 * 1024, sendBufferTimeout: 60 } }));
  try {
    const busy = await RpcClient.open(fluo.url);
    const bsid = (await busy.ok('connect')).sessionId!;
    const P = (await busy.ok('create', { type: 'MediaPipeline', sessionId: bsid })).value as string;
    const [A, B] = await Promise.all([0, 1].map(async () => (await busy.ok('create', { type: 'PassThrough', constructorParams: { mediaPipeline: P }, sessionId: bsid })).value as string));
    const inv = (object: string, operation: string, operationParams?: unknown) => busy.ok('invoke', { object, operation, operationParams, sessionId: bsid });
    // Events of A carry its 64 tags of 4000 characters: 256 KB each.
    for (let i = 0; i < 64; i++) await inv(A!, 'addTag', { key: `k${i}`, value: 'x'.repeat(4000) });
    await inv(A!, 'setSendTagsInEvents', { sendTagsInEvents: true });

    const deaf = await RpcClient.open(fluo.url);
    const sid = (await deaf.ok('connect')).sessionId!;
    for (const type of ['ElementConnected', 'ElementDisconnected']) await deaf.ok('subscribe', { object: A, type, sessionId: sid });
    const socket = (deaf.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const closed = new Promise<number>((r) => deaf.ws.once('close', (code) => r(code)));
    let events = 0;
    for (; events < 400 && fluo.server.rpc.sessions.connectionOf(sid); events += 2) {
      await inv(A!, 'connect', { sink: B });
      await inv(A!, 'disconnect', { sink: B });
    }
    assert.ok(events < 400, 'the deaf connection was not closed');
    console.log(`# closed after ${events} events of 256 KB`);
    socket.resume();
    assert.equal(await Promise.race([closed, sleep(5000).then(() => -1)]), 1008);
    await busy.ok('release', { object: P, sessionId: bsid });
    await busy.close();
  } finally {
    await fluo.stop();
  }
});
