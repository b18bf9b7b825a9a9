import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BandwidthPolicy, MIN_REMB_BPS } from '../../src/media/rtp/BandwidthPolicy.ts';

test('a source with no sinks sends its own estimate, starting at rembOnConnect, within the recv bounds', () => {
  const p = new BandwidthPolicy();
  assert.equal(p.rembToPeer(), 300_000);
  p.set('maxVideoRecvBandwidth', 200);
  assert.equal(p.rembToPeer(), 200_000);
  p.set('maxVideoRecvBandwidth', 0);
  p.set('minVideoRecvBandwidth', 400);
  assert.equal(p.rembToPeer(), 400_000, 'minVideoRecvBandwidth raises the floor');
  p.set('minVideoRecvBandwidth', 10);
  const low = new BandwidthPolicy({ rembOnConnect: 1000 });
  assert.equal(low.rembToPeer(), MIN_REMB_BPS, 'never under 30 kbps');
});

test('the slowest sink bounds the REMB sent to the source peer', () => {
  const p = new BandwidthPolicy({ rembOnConnect: 1_500_000 });
  const a = {}, b = {};
  p.sinkReport(a, 800_000);
  p.sinkReport(b, 2_000_000);
  assert.equal(p.rembToPeer(), 800_000);
  p.sinkGone(a);
  assert.equal(p.rembToPeer(), 1_500_000, 'the estimate when the slow sink leaves');
  p.sinkReport(b, Infinity);
  assert.equal(p.rembToPeer(), 1_500_000, 'a sink without limit does not bound it');
});

test('as a sink: the peer REMB within [minVideoSendBandwidth, maxVideoSendBandwidth], KMD defaults 100 and 500 kbps', () => {
  const p = new BandwidthPolicy();
  assert.equal(p.upstreamReport(), 500_000, 'before any REMB, the max applies');
  p.peerRemb(2_000_000);
  assert.equal(p.upstreamReport(), 500_000);
  p.peerRemb(50_000);
  assert.equal(p.upstreamReport(), 100_000, 'minVideoSendBandwidth keeps quality from collapsing');
  p.set('maxVideoSendBandwidth', 0);
  p.set('minVideoSendBandwidth', 0);
  p.peerRemb(3_000_000);
  assert.equal(p.upstreamReport(), 3_000_000, '0 = unlimited');
  assert.equal(p.set('notABandwidth', 5), false);
});

test('the send target (getStats targetBitrate): maxVideoSendBandwidth before a REMB, then the REMB within the bounds', () => {
  const p = new BandwidthPolicy();
  assert.equal(p.sendTarget(), 500_000, 'KMD default maxVideoSendBandwidth 500 kbps');
  p.peerRemb(320_000);
  assert.equal(p.sendTarget(), 320_000);
  p.peerRemb(9_000_000);
  assert.equal(p.sendTarget(), 500_000);
  p.set('maxVideoSendBandwidth', 0);
  assert.equal(p.sendTarget(), 9_000_000, 'unbounded: the peer REMB itself');
  const fresh = new BandwidthPolicy();
  fresh.set('maxVideoSendBandwidth', 0);
  assert.equal(fresh.sendTarget(), 0, 'no bound and no REMB: no target yet');
});
