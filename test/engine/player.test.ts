/**
 * The operations a PlayerEndpoint will stand on (issue 11 section 5): a file played into
 * RTP without decoding, its duration and seekability queried, a seek, EOS; and an action
 * signal (multiudpsink `add`) sending the same RTP to a second destination live.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { engineFixture, RtpReceiver, waitUntil } from './media.ts';

const f = engineFixture();
const { events } = f;

test('a 3 s WebM file: duration, seek, EOS; a second RTP destination added by an action signal', async (t) => {
  const file = join(f.dir, 'clip.webm');
  execFileSync('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=90', '!', 'video/x-raw,width=320,height=240,framerate=30/1',
    '!', 'vp8enc', 'deadline=1', 'keyframe-max-dist=15', '!', 'webmmux', '!', 'filesink', `location=${file}`]);
  const [a, b] = [await RtpReceiver.open(), await RtpReceiver.open()];
  try {
    // sync=true: the file plays at its own pace, as a player does.
    await f.engine.request('addBin', {
      pipeline: 'player', bin: 'file',
      description: `filesrc location=${file} ! matroskademux ! rtpvp8pay pt=96 ! multiudpsink name=out clients=127.0.0.1:${a.port} sync=true`,
      ghostPads: false,
    });
    await waitUntil(() => a.packets.length > 0, 3000, 'RTP from the file');
    const q = (await f.engine.request('action', { pipeline: 'player', action: { kind: 'query' } })).query;
    assert.ok(q && q.durationMs !== null && Math.abs(q.durationMs - 3000) < 100, `duration ${q?.durationMs} ms`);
    assert.equal(q?.seekable, true);

    await f.engine.request('action', { pipeline: 'player', bin: 'file', action: { kind: 'emit', element: 'out', signal: 'add', args: ['127.0.0.1', b.port] } });
    await waitUntil(() => b.packets.length > 5, 2000, 'RTP at the added destination');
    await assert.rejects(
      f.engine.request('action', { pipeline: 'player', bin: 'file', action: { kind: 'emit', element: 'out', signal: 'client-added', args: ['x', 1] } }),
      { code: 'BAD_REQUEST', message: /no action signal client-added/ },
    );

    const seekAt = Date.now();
    await f.engine.request('action', { pipeline: 'player', action: { kind: 'seek', positionMs: 2000 } });
    // Right after a flushing seek the position may be unknown for a moment (null): ask again.
    let pos = -1;
    for (let i = 0; i < 20 && pos < 0; i++) {
      pos = (await f.engine.request('action', { pipeline: 'player', action: { kind: 'query' } })).query?.positionMs ?? -1;
      if (pos < 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(pos >= 1900, `position after the seek: ${pos} ms`);
    const ms = await waitUntil(() => events.some((e) => e.type === 'eos' && e.pipeline === 'player'), 2500, 'EOS after the seek');
    t.diagnostic(`EOS ${ms} ms after seeking to 2000 of 3000 ms`);
    assert.ok(Date.now() - seekAt < 2000, 'the last second only was played');
  } finally {
    a.close();
    b.close();
  }
});
