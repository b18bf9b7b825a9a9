/**
 * What comes back from the engine besides replies (bus messages as JSON, EOS, the real
 * dot graph), linking bins by pad names, and bad input answered with a clear error while
 * the engine keeps serving. Real GStreamer, no mocks.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EngineError } from '../../src/engine/EngineError.ts';
import { engineFixture, waitUntil } from './media.ts';

const f = engineFixture();
const { events } = f;

test('zbar reads a QR code: its element message arrives as JSON', async () => {
  const png = join(f.dir, 'qr.png');
  execFileSync('qrencode', ['-o', png, '-s', '8', 'https://example.org/fluo-engine']);
  await f.engine.request('addBin', {
    pipeline: 'scan', bin: 'qr',
    // media-probe-notes: zbar wants I420.
    description: `filesrc location=${png} ! pngdec ! imagefreeze is-live=true ! videoconvert ! video/x-raw,format=I420,framerate=10/1 ! zbar name=reader cache=true ! fakesink sync=false async=false`,
  });
  await waitUntil(() => events.some((e) => e.type === 'element' && e.structure.name === 'barcode'), 5000, 'a barcode message');
  const m = events.find((e) => e.type === 'element' && e.structure.name === 'barcode');
  assert.ok(m && m.type === 'element');
  assert.equal(m.bin, 'qr');
  assert.equal(m.element, 'reader');
  assert.equal(m.structure.fields.type, 'QR-Code');
  assert.equal(m.structure.fields.symbol, 'https://example.org/fluo-engine');
  await f.engine.request('removePipeline', { pipeline: 'scan' });
});

test('two bins linked by pad names; level messages; EOS of a bin; the real dot graph', async () => {
  await f.engine.request('addBin', { pipeline: 'audio', bin: 'tone', description: 'audiotestsrc is-live=true num-buffers=25 samplesperbuffer=960 ! audioconvert' });
  const sink = await f.engine.request('addBin', { pipeline: 'audio', bin: 'meter', description: 'level name=lvl interval=100000000 ! fakesink sync=true' });
  assert.deepEqual(sink.pads, { sink: ['sink'], src: [] });
  assert.deepEqual(await f.engine.request('link', { pipeline: 'audio', from: { bin: 'tone' }, to: { bin: 'meter' } }), { fromPad: 'src', toPad: 'sink' });
  await waitUntil(() => events.some((e) => e.type === 'element' && e.bin === 'meter'), 3000, 'a level message');
  const lvl = events.find((e) => e.type === 'element' && e.bin === 'meter');
  assert.ok(lvl && lvl.type === 'element' && lvl.structure.name === 'level' && lvl.element === 'lvl');
  const rms = lvl.structure.fields.rms;
  assert.ok(Array.isArray(rms) && typeof rms[0] === 'number' && rms[0] < 0, `rms in dB per channel: ${JSON.stringify(rms)}`);
  // 25 buffers of 20 ms: the tone ends, and its EOS reaches the meter's sink.
  await waitUntil(() => events.some((e) => e.type === 'eos' && e.pipeline === 'audio' && e.bin === 'meter'), 4000, 'EOS of the meter bin');
  const { dot } = await f.engine.request('dot', { pipeline: 'audio' });
  assert.match(dot, /^digraph/);
  for (const name of ['tone', 'meter', 'lvl', 'audiotestsrc']) assert.ok(dot.includes(name), `dot names ${name}`);
  await f.engine.request('removePipeline', { pipeline: 'audio' });
});

test('a compositor bin takes inputs on request pads, released again on unlink', async () => {
  await f.engine.request('addBin', { pipeline: 'mix', bin: 'hub', description: 'compositor name=mix background=black ! video/x-raw,width=320,height=240 ! fakesink name=out sync=false' });
  for (const n of ['a', 'b']) {
    await f.engine.request('addBin', { pipeline: 'mix', bin: n, description: 'videotestsrc is-live=true ! video/x-raw,width=160,height=120,framerate=15/1 ! queue' });
  }
  const la = await f.engine.request('link', { pipeline: 'mix', from: { bin: 'a' }, to: { bin: 'hub', element: 'mix', pad: 'sink_%u' } });
  const lb = await f.engine.request('link', { pipeline: 'mix', from: { bin: 'b' }, to: { bin: 'hub', element: 'mix', pad: 'sink_%u' } });
  assert.notEqual(la.toPad, lb.toPad);
  await f.engine.request('setProperty', { pipeline: 'mix', bin: 'hub', element: 'mix', pad: lb.toPad, name: 'xpos', value: 160 });
  assert.deepEqual(await f.engine.request('getProperty', { pipeline: 'mix', bin: 'hub', element: 'mix', pad: lb.toPad, name: 'xpos' }), { value: 160 });
  await new Promise((r) => setTimeout(r, 500));
  const rendered = async () => {
    const s = await f.engine.request('stats', { pipeline: 'mix' });
    const v = s.pipelines.mix.bins.hub.elements.out.values.stats;
    return v && typeof v === 'object' && !Array.isArray(v) ? Number((v.fields as Record<string, number>).rendered) : -1;
  };
  const before = await rendered();
  assert.ok(before > 0, `the compositor outputs frames (${before})`);
  await f.engine.request('unlink', { pipeline: 'mix', from: { bin: 'b' }, to: { bin: 'hub', element: 'mix', pad: lb.toPad } });
  await f.engine.request('removeBin', { pipeline: 'mix', bin: 'b' });
  await new Promise((r) => setTimeout(r, 400));
  assert.ok(await rendered() > before, 'output goes on with one input');
  await assert.rejects(f.engine.request('getProperty', { pipeline: 'mix', bin: 'hub', element: 'mix', pad: lb.toPad, name: 'xpos' }), { code: 'NO_SUCH_PAD' });
  await f.engine.request('removePipeline', { pipeline: 'mix' });
});

test('bad input answers a clear error and the engine keeps serving', async () => {
  const fails = async (p: Promise<unknown>, code: string, text: RegExp) => {
    const e = await p.then(() => null, (x: unknown) => x);
    assert.ok(e instanceof EngineError, `an EngineError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, text);
  };
  await fails(f.engine.request('addBin', { pipeline: 'bad', bin: 'x', description: 'videotestsrc ! ! fakesink' }), 'PARSE_ERROR', /syntax error/);
  await fails(f.engine.request('addBin', { pipeline: 'bad', bin: 'x', description: 'videotestsrc ! nosuchelement ! fakesink' }), 'PARSE_ERROR', /no element "nosuchelement"/);
  await fails(f.engine.request('addBin', { pipeline: 'bad', bin: 'bad name', description: 'fakesrc ! fakesink' }), 'BAD_REQUEST', /bad bin id/);
  await fails(f.engine.request('dot', { pipeline: 'bad' }), 'NO_SUCH_PIPELINE', /no pipeline bad/);
  await f.engine.request('addBin', { pipeline: 'bad', bin: 'x', description: 'fakesrc ! fakesink' });
  await fails(f.engine.request('addBin', { pipeline: 'bad', bin: 'x', description: 'fakesrc ! fakesink' }), 'EXISTS', /already/);
  await fails(f.engine.request('link', { pipeline: 'bad', from: { bin: 'x' }, to: { bin: 'missing' } }), 'NO_SUCH_BIN', /no bin missing/);
  await fails(f.engine.request('link', { pipeline: 'nope', from: { bin: 'x' }, to: { bin: 'y' } }), 'NO_SUCH_PIPELINE', /no pipeline nope/);
  await fails(f.engine.request('link', { pipeline: 'bad', from: { bin: 'x' }, to: { bin: 'x' } }), 'BAD_REQUEST', /itself/);
  await fails(f.engine.request('setProperty', { pipeline: 'bad', bin: 'x', element: 'nope', name: 'x', value: 1 }), 'NO_SUCH_ELEMENT', /no element nope/);
  await fails(f.engine.request('keyframe', { pipeline: 'bad', bin: 'x', element: 'fakesrc0' }), 'ENGINE_ERROR', /force-key-unit/);
  // refuseFactories: every element the parse made is checked, however it was written (a
  // second chain after a named element, a nested bin, a URI made into its handler), and
  // before anything in the bin runs: the file is never created.
  const target = join(f.dir, 'must-not-exist');
  const refuse = '^(?:filesrc|filesink)$|^(?:udp|multiudp)';
  for (const description of [
    `queue name=q filesink location=${target}`,
    `queue ! bin.( filesink location=${target} )`,
    `file://${target} ! fakesink`,
    `queue ! udpsink host=127.0.0.1 port=9`,
  ]) await fails(f.engine.request('addBin', { pipeline: 'bad', bin: 'r', description, refuseFactories: refuse }), 'REFUSED', /elements not allowed here: (filesink|filesrc|udpsink)/);
  assert.equal(existsSync(target), false, 'the refused filesink never opened its file');
  await fails(f.engine.request('addBin', { pipeline: 'bad', bin: 'r', description: 'fakesrc ! fakesink', refuseFactories: '(' }), 'BAD_REQUEST', /not a regular expression/);
  await f.engine.request('addBin', { pipeline: 'bad', bin: 'r', description: 'queue ! videoflip', refuseFactories: refuse });
  // A port already taken: udpsrc reuse=false fails to bind, the bin is not kept.
  await f.engine.request('addBin', { pipeline: 'bad', bin: 'u1', description: 'udpsrc name=in port=0 reuse=false ! fakesink async=false' });
  const taken = (await f.engine.request('addBin', { pipeline: 'bad', bin: 'u2', description: 'udpsrc name=in port=0 reuse=false ! fakesink async=false' })).ports[0].port;
  await fails(f.engine.request('addBin', { pipeline: 'bad', bin: 'u3', description: `udpsrc port=${taken} reuse=false ! fakesink async=false` }), 'STATE_CHANGE_FAILED', /u3/);
  // The bus watch runs on a later loop turn than the answer.
  await waitUntil(() => events.some((e) => e.type === 'error' && e.bin === 'u3'), 1000, 'the bind error as an error event too');
  const ping = await f.engine.request('ping', {});
  assert.equal(ping.pid, f.engine.pid);
  const s = await f.engine.request('stats', { pipeline: 'bad' });
  assert.deepEqual(Object.keys(s.pipelines.bad.bins).sort(), ['r', 'u1', 'u2', 'x']);
  assert.equal(s.pipelines.bad.state, 'PLAYING');
});
