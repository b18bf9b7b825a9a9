/**
 * Whether a plain RTP peer can ask for keyframes, read from its SDP: `a=rtcp-fb` with
 * `nack pli` (RFC 4585 §4.2) or `ccm fir` (RFC 5104 §7.1), for one of its payload
 * types or `*`. A peer without them (gst-launch, ffplay) gets a keyframe every
 * BLIND_KEYFRAME_INTERVAL_MS from the encoders feeding it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlainSdp } from '../../src/media/rtpEndpoint/PlainSdp.ts';

const offer = (...attrs: string[]): string => ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=video 5004 RTP/AVPF 96', 'a=rtpmap:96 VP8/90000', ...attrs, 'm=audio 5006 RTP/AVP 0', 'a=rtcp-fb:* nack pli', ''].join('\r\n');

test('keyframe feedback: nack pli or ccm fir, per payload type or *, per media', () => {
  const feedback = (...attrs: string[]): boolean => parsePlainSdp(offer(...attrs)).media[0]!.keyframeFeedback;
  assert.equal(feedback(), false, 'no rtcp-fb: a receiver that cannot ask');
  assert.equal(feedback('a=rtcp-fb:96 nack'), false, 'generic NACK asks for packets, not pictures');
  assert.equal(feedback('a=rtcp-fb:96 goog-remb'), false);
  assert.equal(feedback('a=rtcp-fb:96 nack pli'), true);
  assert.equal(feedback('a=rtcp-fb:96 ccm fir'), true);
  assert.equal(feedback('a=rtcp-fb:* nack  pli'), true);
  assert.equal(feedback('a=rtcp-fb:x nack pli'), false, 'a malformed payload type is ignored');
  // Each m-line for itself: the audio line's feedback is not the video's.
  assert.equal(parsePlainSdp(offer()).media[1]!.keyframeFeedback, true);
});
