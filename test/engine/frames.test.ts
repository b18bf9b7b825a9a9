/**
 * Raw frames out of the engine into Node Buffers through a FrameTap (a FIFO, never
 * appsink: engine-host-notes measured 84 ms per VGA frame through node-gtk's arrays).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { FrameTap } from '../../src/engine/FrameTap.ts';
import { engineFixture, waitUntil } from './media.ts';

const f = engineFixture();

const mean = (b: Buffer) => b.reduce((n, v) => n + v, 0) / b.length;

test('GRAY8 frames of a side branch arrive whole, at the branch rate, with the picture in them', async (t) => {
  const W = 160;
  const H = 120;
  const tap = new FrameTap(W * H);
  const frames: { at: number; luma: number; size: number }[] = [];
  tap.on('frame', (f) => frames.push({ at: Date.now(), luma: mean(f), size: f.length }));
  try {
    // A 640x480@30 source, analysed at 10 fps and 160x120 on a side branch (media-probe-notes' detector branch).
    await f.engine.request('addBin', {
      pipeline: 'tap', bin: 'analysis',
      description: 'videotestsrc name=src is-live=true pattern=white ! video/x-raw,width=640,height=480,framerate=30/1 ! tee name=t ' +
        't. ! queue ! fakesink sync=false ' +
        `t. ! queue leaky=downstream max-size-buffers=1 ! videorate ! videoscale ! videoconvert ! video/x-raw,format=GRAY8,width=${W},height=${H},framerate=10/1 ! ${tap.sinkDescription()}`,
    });
    await waitUntil(() => frames.length >= 5, 5000, 'five frames');
    const first = frames.length;
    const since = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    const rate = ((frames.length - first) * 1000) / (Date.now() - since);
    t.diagnostic(`${rate.toFixed(1)} frames/s of ${W}x${H} GRAY8 into Buffers`);
    assert.ok(rate > 7 && rate < 13, `about 10 frames per second: ${rate.toFixed(1)}`);
    assert.ok(frames.every((f) => f.size === W * H));
    assert.ok(frames[frames.length - 1].luma > 200, `white picture: mean ${frames[frames.length - 1].luma}`);
    await f.engine.request('setProperty', { pipeline: 'tap', bin: 'analysis', element: 'src', name: 'pattern', value: 'black' });
    const switched = Date.now();
    await waitUntil(() => frames.some((f) => f.at > switched + 200 && f.luma < 30), 3000, 'a black frame after the pattern change');
    await f.engine.request('removePipeline', { pipeline: 'tap' });
  } finally {
    tap.close();
  }
  assert.equal(existsSync(tap.path), false, 'the FIFO is removed on close');
});
