/**
 * The werift settings a WebRtcEndpoint's ICE setters change (iceConfig, applied again by
 * setIce before the offer): 'lo' in networkInterfaces asks werift for loopback host
 * addresses, which it leaves out otherwise. Before, only the construction's settings did,
 * so setNetworkInterfaces('lo') on a machine with other interfaces gave no candidate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { iceConfig, peerConfig } from '../../src/media/webrtc/webrtcConfig.ts';

const loopbackOnly = !Object.values(os.networkInterfaces()).flat().some((a) => a && a.family === 'IPv4' && !a.internal);

test("iceConfig: 'lo' in networkInterfaces asks for loopback host addresses in both families, set later too", () => {
  assert.deepEqual(iceConfig({ networkInterfaces: 'lo' }).iceAdditionalHostAddresses, ['127.0.0.1', '::1']);
  assert.deepEqual(iceConfig({ networkInterfaces: 'eth9, lo' }).iceAdditionalHostAddresses, ['127.0.0.1', '::1']);
  // Another interface: loopback only where nothing else exists (the suite's namespace);
  // an empty list (not undefined) so that werift's merge replaces an earlier 'lo'.
  assert.deepEqual(iceConfig({ networkInterfaces: 'eth9' }).iceAdditionalHostAddresses, loopbackOnly ? ['127.0.0.1', '::1'] : []);
  assert.deepEqual(peerConfig({ networkInterfaces: 'lo' }, {}).iceAdditionalHostAddresses, ['127.0.0.1', '::1']);
  assert.equal(iceConfig({ iceTcp: false }).iceUseTcp, false);
});
