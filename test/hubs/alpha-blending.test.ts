/**
 * AlphaBlending with GStreamer colour sources: the master fills the picture, an
 * overlay is drawn where setPortProperties says (moved live), parameters out of range
 * are refused without disturbing the picture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { grabFrames } from '../helpers/frameGrab.ts';
import { meanColour, colourDistance, type Frame, type Rgb, type Rect } from '../helpers/pixels.ts';
import { until } from '../helpers/RemotePeers.ts';
import { hubBed, create, invoke, refused } from './hubBed.ts';
import { colourSource } from './gstPeers.ts';

const bed = hubBed();
const { api, launches } = bed;

const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
/** A rectangle given relative to the frame, shrunk to its middle half (away from scaled edges). */
const inner = (f: Frame, x: number, y: number, w: number, h: number): Rect =>
  ({ x: Math.round((x + w / 4) * f.width), y: Math.round((y + h / 4) * f.height), width: Math.round((w / 2) * f.width), height: Math.round((h / 2) * f.height) });
const is = (f: Frame, r: Rect, c: Rgb): boolean => colourDistance(meanColour(f, r), c) < 60;

test('AlphaBlending: the overlay goes where setPortProperties puts it, over the master', async () => {
  const P = await create(bed, 'MediaPipeline', {});
  const hub = await create(bed, 'AlphaBlending', { mediaPipeline: P });
  const master = await colourSource(api, launches, P, 0xff0000, 440);
  const overlay = await colourSource(api, launches, P, 0x00ff00, 660);
  const [pm, po, viewer] = [await create(bed, 'HubPort', { hub }), await create(bed, 'HubPort', { hub }), await create(bed, 'HubPort', { hub })];
  await api.invoke(master.ep, 'connect', { sink: pm });
  await api.invoke(overlay.ep, 'connect', { sink: po });
  await invoke(bed, hub, 'setMaster', { source: pm, zOrder: 1 });
  await invoke(bed, hub, 'setPortProperties', { relativeX: 0.5, relativeY: 0.5, zOrder: 2, relativeWidth: 0.5, relativeHeight: 0.5, port: po });
  const grab = bed.track(await grabFrames(api, P, viewer, { fps: 5 }));
  await grab.waitFor((f) => is(f, inner(f, 0.5, 0.5, 0.5, 0.5), GREEN) && is(f, inner(f, 0, 0, 0.5, 0.5), RED) && is(f, inner(f, 0.5, 0, 0.5, 0.5), RED), 20_000);

  await invoke(bed, hub, 'setPortProperties', { relativeX: 0, relativeY: 0, zOrder: 2, relativeWidth: 0.25, relativeHeight: 0.25, port: po });
  await grab.waitFor((f) => is(f, inner(f, 0, 0, 0.25, 0.25), GREEN) && is(f, inner(f, 0.5, 0.5, 0.5, 0.5), RED), 5_000);

  // Under the master: hidden.
  await invoke(bed, hub, 'setPortProperties', { relativeX: 0, relativeY: 0, zOrder: 0, relativeWidth: 0.25, relativeHeight: 0.25, port: po });
  await grab.waitFor((f) => is(f, inner(f, 0, 0, 0.25, 0.25), RED), 5_000);

  for (const bad of [{ relativeX: 1.5 }, { relativeWidth: -0.1 }, { zOrder: -1 }]) {
    const error = await refused(bed, hub, 'setPortProperties', { relativeX: 0, relativeY: 0, zOrder: 2, relativeWidth: 0.5, relativeHeight: 0.5, port: po, ...bad });
    assert.equal(error?.code, 40107, JSON.stringify(error));
  }
  const n = grab.count;
  await until(() => grab.count > n + 3, 5_000, 'the picture goes on after refused calls');
  assert.ok(is(grab.latestFrame()!, inner(grab.latestFrame()!, 0, 0, 0.25, 0.25), RED), 'nothing changed');
  grab.stop();
  await bed.c.ok('release', { object: P, sessionId: bed.sid });
  await until(async () => (await bed.fluo.server.media.engineStats()).every((p) => p.bins === 0), 10_000, 'no engine bin left');
});
