/**
 * A recording branch added to a running source through a tee and ended by EOS, the way
 * a RecorderEndpoint will work (engine-host-notes: stop by EOS into the branch and wait
 * for its EOS; media-probe-notes gotcha 10: without EOS WebM lacks cues and duration).
 * The file is checked with ffprobe; the source keeps running.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { engineFixture, waitUntil } from './media.ts';

const f = engineFixture();

test('record 2 s of a running VP8 source into WebM without re-encoding; the file says so', async (t) => {
  const file = join(f.dir, 'rec.webm');
  const pipeline = 'room';
  await f.engine.request('addBin', {
    pipeline, bin: 'cam',
    description: 'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! vp8enc name=enc deadline=1 cpu-used=8 threads=1 keyframe-max-dist=3000 ! tee name=t allow-not-linked=true',
  });
  await new Promise((r) => setTimeout(r, 500));
  // buffer-mode=2: engine-host-notes, a WebM survives a kill only unbuffered.
  await f.engine.request('addBin', { pipeline, bin: 'rec', description: `queue ! webmmux ! filesink location=${file} buffer-mode=2` });
  const link = await f.engine.request('link', { pipeline, from: { bin: 'cam', element: 't', pad: 'src_%u' }, to: { bin: 'rec' } });
  assert.match(link.fromPad, /^src_\d+$/);
  // A recording must start on a keyframe (media-probe-notes gotcha 9).
  await f.engine.request('keyframe', { pipeline, bin: 'cam', element: 'enc' });
  const started = Date.now();
  await new Promise((r) => setTimeout(r, 2000));
  await f.engine.request('action', { pipeline, bin: 'rec', action: { kind: 'eos' } });
  const ms = await waitUntil(() => f.events.some((e) => e.type === 'eos' && e.bin === 'rec'), 3000, 'EOS of the recording branch');
  const recorded = (Date.now() - ms - started) / 1000;
  t.diagnostic(`recording branch EOS ${ms} ms after the EOS request`);
  await f.engine.request('unlink', { pipeline, from: { bin: 'cam', element: 't', pad: link.fromPad }, to: { bin: 'rec' } });
  await f.engine.request('removeBin', { pipeline, bin: 'rec' });

  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'format=duration:stream=codec_name,nb_read_frames', '-of', 'json', file]).toString()) as {
    format: { duration: string }; streams: { codec_name: string; nb_read_frames: string }[];
  };
  t.diagnostic(`ffprobe: ${JSON.stringify(probe)}`);
  assert.equal(probe.streams.length, 1);
  assert.equal(probe.streams[0].codec_name, 'vp8');
  const duration = Number(probe.format.duration);
  assert.ok(Math.abs(duration - recorded) < 0.5, `duration ${duration} s for ${recorded.toFixed(2)} s recorded`);
  assert.ok(Number(probe.streams[0].nb_read_frames) >= recorded * 30 * 0.9, `frames ${probe.streams[0].nb_read_frames}`);

  // The source and the tee go on without the branch.
  const stats = await f.engine.request('stats', { pipeline });
  assert.deepEqual(Object.keys(stats.pipelines[pipeline].bins), ['cam']);
  assert.equal(stats.pipelines[pipeline].bins.cam.state, 'PLAYING');
  assert.equal(f.events.filter((e) => e.type === 'error').length, 0, JSON.stringify(f.events.filter((e) => e.type === 'error')));
});
