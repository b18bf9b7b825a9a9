/**
 * Keyframe detection from RTP payload headers (src/media/graph/keyframes.ts), on packets
 * built as the RFCs lay them out, and the stream rewriter's splice used after a
 * recording's pause.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsKeyframe, payloadOffset, vp8KeyframeSize } from '../../src/media/graph/keyframes.ts';
import { StreamRewriter } from '../../src/media/rtpEndpoint/StreamRewriter.ts';
import { profilePlan } from '../../src/media/recorder/profiles.ts';

/** An RTP packet (RFC 3550 §5.1) with `csrcs` CSRCs, an optional one-word extension, and `payload`. */
function rtp(payload: number[], opts: { csrcs?: number; extension?: boolean; seq?: number; ts?: number; ssrc?: number } = {}): Buffer {
  const csrcs = opts.csrcs ?? 0;
  const head = Buffer.alloc(12 + 4 * csrcs + (opts.extension ? 8 : 0));
  head[0] = 0x80 | (opts.extension ? 0x10 : 0) | csrcs;
  head[1] = 96;
  head.writeUInt16BE(opts.seq ?? 1, 2);
  head.writeUInt32BE(opts.ts ?? 0, 4);
  head.writeUInt32BE(opts.ssrc ?? 0x1234, 8);
  if (opts.extension) head.writeUInt16BE(1, 12 + 4 * csrcs + 2); // one 32-bit word of extension
  return Buffer.concat([head, Buffer.from(payload)]);
}

test('payload offset skips CSRCs and the header extension', () => {
  assert.equal(payloadOffset(rtp([1])), 12);
  assert.equal(payloadOffset(rtp([1], { csrcs: 2, extension: true })), 12 + 8 + 8);
  assert.equal(payloadOffset(Buffer.alloc(5)), 5);
});

test('VP8 (RFC 7741): start of partition 0 with P=0 is a keyframe; with extensions too', () => {
  assert.equal(startsKeyframe('VP8', rtp([0x10, 0x00])), true, 'S=1, PID=0, P=0');
  assert.equal(startsKeyframe('VP8', rtp([0x10, 0x01])), false, 'inter frame (P=1)');
  assert.equal(startsKeyframe('VP8', rtp([0x00, 0x00])), false, 'not the start of a partition');
  // X=1; I=1 with a 15-bit PictureID (M=1), L=1 (TL0PICIDX), T=1 (TID byte); then the frame header.
  assert.equal(startsKeyframe('VP8', rtp([0x90, 0xe0, 0x80, 0x01, 0x05, 0x20, 0x00], { extension: true })), true);
  assert.equal(startsKeyframe('VP8', rtp([0x90, 0xe0, 0x80, 0x01, 0x05, 0x20, 0x01])), false);
});

test('VP8 keyframe size (RFC 6386 §9.1): 14-bit width and height after the start code; none for other packets', () => {
  // Frame tag (P=0), start code 9d 01 2a, width 640 and height 480 little-endian with a scale in the top 2 bits.
  const header = [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x42, 0xe0, 0x01];
  assert.deepEqual(vp8KeyframeSize(rtp([0x10, ...header])), { width: 640, height: 480 });
  assert.deepEqual(vp8KeyframeSize(rtp([0x90, 0xe0, 0x80, 0x01, 0x05, 0x20, ...header], { extension: true })), { width: 640, height: 480 });
  assert.equal(vp8KeyframeSize(rtp([0x10, 0x03, ...header.slice(1)])), undefined, 'inter frame');
  assert.equal(vp8KeyframeSize(rtp([0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2b, 0x80, 0x02, 0xe0, 0x01])), undefined, 'bad start code');
  assert.equal(vp8KeyframeSize(rtp([0x10, ...header.slice(0, 7)])), undefined, 'cut short');
});

test('a recording pins its picture format from the first VP8 keyframe: H.264 caps for MP4 (avc3, every size kept), the raw size for FLV', () => {
  const vp8 = { name: 'VP8', clockRate: 90000 };
  const keyframe = (w: number, h: number): Buffer => rtp([0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, w & 0xff, w >> 8, h & 0xff, h >> 8]);
  // Constrained baseline (0x42, constraint_set0 and set1) as x264 writes it, at a level that holds 1080p.
  assert.equal(profilePlan('MP4')!.video!.pin!(vp8, keyframe(320, 240)),
    'video/x-h264,width=(int)320,height=(int)240,codec_data=(buffer)0142c028ffe000,profile=(string)constrained-baseline,level=(string)4');
  assert.match(profilePlan('MP4')!.video!.pin!(vp8, keyframe(2560, 1440))!, /codec_data=\(buffer\)0142c033ffe000,.*level=\(string\)5\.1/);
  assert.equal(profilePlan('MP4')!.video!.pin!(vp8, rtp([0x10, 0x03])), undefined, 'not a keyframe: nothing pinned yet');
  assert.equal(profilePlan('FLV')!.video!.pin!(vp8, keyframe(640, 480)), 'video/x-raw,width=640,height=480');
  assert.match(profilePlan('MP4')!.video!.chain(vp8, 500_000), /x264enc .* ! h264parse config-interval=-1 ! video\/x-h264,stream-format=avc3.* ! capssetter name=pin/);
});

test('VP9 and H.264 keyframes; audio always starts', () => {
  assert.equal(startsKeyframe('VP9', rtp([0x08])), true, 'B=1, P=0');
  assert.equal(startsKeyframe('VP9', rtp([0x48])), false, 'inter-picture predicted');
  assert.equal(startsKeyframe('H264', rtp([0x65])), true, 'IDR slice');
  assert.equal(startsKeyframe('H264', rtp([0x67])), true, 'SPS');
  assert.equal(startsKeyframe('H264', rtp([0x41])), false, 'non-IDR slice');
  assert.equal(startsKeyframe('H264', rtp([0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x01, 0x68])), true, 'STAP-A with an SPS');
  assert.equal(startsKeyframe('H264', rtp([0x7c, 0x85])), true, 'FU-A start of an IDR');
  assert.equal(startsKeyframe('H264', rtp([0x7c, 0x05])), false, 'FU-A continuation');
  assert.equal(startsKeyframe('opus', rtp([0xfc])), true);
});

test('StreamRewriter.splice: the next packet follows the last one by the gap, whatever time passed', () => {
  let now = 0;
  const r = new StreamRewriter(0xabc, 90000, () => now);
  const a = rtp([0], { seq: 100, ts: 9000 });
  r.rewrite(a, 96);
  now = 5000; // five seconds later (a pause), same source
  r.splice(33);
  const b = rtp([0], { seq: 250, ts: 9000 + 5 * 90000 });
  r.rewrite(b, 96);
  assert.equal(b.readUInt16BE(2), 101, 'sequence continues');
  assert.equal(b.readUInt32BE(4) - a.readUInt32BE(4), Math.round(0.033 * 90000), 'timestamp continues 33 ms later');
  const c = rtp([0], { seq: 251, ts: 9000 + 5 * 90000 + 3000 });
  r.rewrite(c, 96);
  assert.equal(c.readUInt32BE(4) - b.readUInt32BE(4), 3000, "then the source's own spacing");
});
