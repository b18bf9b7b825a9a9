import { test } from 'node:test';
import assert from 'node:assert/strict';
import { h264Profile, h264Compatible, h264Acceptable, packetizationMode, offeredH264 } from '../../src/media/graph/h264.ts';
import { codecsCompatible } from '../../src/media/graph/MediaPacket.ts';

test('profiles from profile-level-id (RFC 6184 §8.1)', () => {
  assert.equal(h264Profile('42e01f'), 'constrained-baseline');
  assert.equal(h264Profile('42001f'), 'baseline');
  assert.equal(h264Profile('4d001f'), 'main');
  assert.equal(h264Profile('4d801f'), 'constrained-baseline');
  assert.equal(h264Profile('640c1f'), 'constrained-high');
  assert.equal(h264Profile('64001f'), 'high');
  assert.equal(h264Profile(undefined), 'baseline', 'absent: 42000A');
  assert.equal(h264Profile('zz'), 'unknown');
  assert.equal(packetizationMode('profile-level-id=42e01f'), 0);
  assert.equal(packetizationMode('packetization-mode=1'), 1);
});

test('what a forwarder may pass from one H.264 format to another', () => {
  assert.ok(h264Compatible('packetization-mode=1;profile-level-id=42e01f', 'packetization-mode=1;profile-level-id=42e034'), 'levels may differ');
  assert.ok(h264Compatible('packetization-mode=1;profile-level-id=42e01f', 'packetization-mode=1;profile-level-id=4d001f'), 'CB decodes as Main');
  assert.ok(!h264Compatible('packetization-mode=1;profile-level-id=64001f', 'packetization-mode=1;profile-level-id=42e01f'), 'High is not CB');
  assert.ok(!h264Compatible('packetization-mode=1;profile-level-id=42e01f', 'packetization-mode=0;profile-level-id=42e01f'), 'modes must match');
  assert.ok(h264Compatible('packetization-mode=1', 'packetization-mode=1;profile-level-id=42e01f'), 'no profile on one side: mode only');
  assert.ok(h264Acceptable('packetization-mode=1;profile-level-id=640c1f'));
  assert.ok(!h264Acceptable('packetization-mode=2;profile-level-id=42e01f'));
  assert.ok(!h264Acceptable('packetization-mode=1;profile-level-id=f4001f'));
  assert.ok(codecsCompatible({ name: 'VP8', clockRate: 90000 }, { name: 'vp8', clockRate: 90000 }));
  assert.ok(!codecsCompatible({ name: 'H264', clockRate: 90000, fmtp: 'packetization-mode=1;profile-level-id=64001f' }, { name: 'H264', clockRate: 90000, fmtp: 'packetization-mode=1;profile-level-id=42e01f' }));
});

test('H.264 formats of an SDP', () => {
  const sdp = 'm=video 9 UDP/TLS/RTP/SAVPF 96 102\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1;profile-level-id=42e01f\r\n';
  assert.deepEqual(offeredH264(sdp), [{ payloadType: 102, fmtp: 'packetization-mode=1;profile-level-id=42e01f' }]);
});
