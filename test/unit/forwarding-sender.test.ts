/**
 * ForwardingSender's standing checks: once a packet of a stream passed every check
 * (DTLS up, its keys, the selected pair, the peer's consent), the stream's next packets
 * skip them for CHECKS_STAND_MS, and a change is still honoured: a withdrawn consent
 * within that time, a negotiation (`recheck`), a DTLS state change or new SRTP keys at
 * the next packet, and a closed socket at once (nothing is written on a closed descriptor). werift's
 * objects are stood in for by plain ones with the fields the sender reads; the sockets,
 * SRTP and native sends are real.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RTCPeerConnection, RTCRtpTransceiver } from 'werift';
import { fastPath } from '../../src/media/native/fastpath.ts';
import { ForwardingSender, CHECKS_STAND_MS } from '../../src/media/rtp/ForwardingSender.ts';

const skip = !fastPath && 'native fast path not built (or FLUO_NATIVE=0): every packet takes the checked TypeScript path';

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

function rtp(seq: number): Buffer {
  const p = Buffer.alloc(112);
  p[0] = 0x80;
  p[1] = 100;
  p.writeUInt16BE(seq, 2);
  p.writeUInt32BE(seq * 3000, 4);
  p.writeUInt32BE(0xabcdef, 8);
  return p;
}

/** A connected peer as ForwardingSender sees it, sending from `socket` to `to`. */
async function peer() {
  const socket = await bound();
  const receiver = await bound();
  const received: Buffer[] = [];
  receiver.on('message', (m) => received.push(m));
  const transport = { type: 'udp', closed: false, socket };
  const pair = { remoteAddr: ['127.0.0.1', receiver.address().port], protocol: { type: 'stun', transport } };
  const state = { consent: true };
  const viaWerift: Buffer[] = [];
  const connection = { nominated: pair, canSendApplicationData: () => state.consent, send: async (b: Buffer) => { viaWerift.push(b); } };
  const dtlsStateListeners: Array<() => void> = [];
  const event = (list?: Array<() => void>) => ({ subscribe: (f: () => void) => { list?.push(f); return { unSubscribe: () => undefined }; } });
  const dtls = {
    state: 'connected', srtpStarted: true, bytesSent: 0, packetsSent: 0,
    srtp: { config: { profile: 1, keys: { localMasterKey: Buffer.alloc(16, 7), localMasterSalt: Buffer.alloc(14, 9) } } },
    iceTransport: { connection }, onRtcp: event(), onStateChange: event(dtlsStateListeners), sendRtcp: async () => undefined,
  };
  const tr = {
    kind: 'video', mid: '0', headerExtensions: [], codecs: [], dtlsTransport: dtls,
    sender: { ssrc: 0x1234, rtxSsrc: 0x5678, codec: { payloadType: 96, rtcpFeedback: [] } },
  } as unknown as RTCRtpTransceiver;
  const pc = { dtlsTransports: [dtls], cname: 'test' } as unknown as RTCPeerConnection;
  const sender = new ForwardingSender(pc, { keyframe: () => undefined, bandwidth: () => undefined, rtcp: () => undefined });
  const lane = sender.lane(tr, 90000);
  const arrivals = async (n: number): Promise<number> => {
    for (let i = 0; i < 50 && received.length < n; i++) await sleep(10);
    await sleep(20);
    return received.length;
  };
  const close = (): void => {
    sender.close();
    receiver.close();
    if (!transport.closed) socket.close();
  };
  return { sender, lane, state, dtls, dtlsStateListeners, socket, transport, received, viaWerift, arrivals, close };
}

test('packets after a checked one skip the checks for a while, and a withdrawn consent stops them after it', { skip }, async () => {
  const p = await peer();
  try {
    const t0 = performance.now();
    assert.equal(p.sender.send(p.lane, 96, rtp(1), t0), true);
    assert.equal(await p.arrivals(1), 1);
    p.state.consent = false;
    // Within the window: the consent is not asked again (RFC 7675 allows 30 s of silence before it expires).
    assert.equal(p.sender.send(p.lane, 96, rtp(2), t0 + CHECKS_STAND_MS / 2), true);
    // After it: asked, refused, nothing sent on any path.
    assert.equal(p.sender.send(p.lane, 96, rtp(3), t0 + CHECKS_STAND_MS + 1), false);
    assert.equal(await p.arrivals(3), 2);
    assert.equal(p.viaWerift.length, 0);
    assert.equal(p.dtls.packetsSent, 2);
  } finally {
    p.close();
  }
});

test('a negotiation (recheck) or a DTLS state change ends the standing checks at the next packet', { skip }, async () => {
  const p = await peer();
  try {
    const t0 = performance.now();
    assert.equal(p.sender.send(p.lane, 96, rtp(1), t0), true);
    p.state.consent = false;
    p.sender.recheck();
    assert.equal(p.sender.send(p.lane, 96, rtp(2), t0 + 1), false);
    p.state.consent = true;
    assert.equal(p.sender.send(p.lane, 96, rtp(3), t0 + 2), true);
    p.dtls.state = 'closed';
    for (const f of p.dtlsStateListeners) f();
    assert.equal(p.sender.send(p.lane, 96, rtp(4), t0 + 3), false);
    assert.equal(await p.arrivals(2), 2);
  } finally {
    p.close();
  }
});

test('new SRTP keys on the transport end the standing checks at once', { skip }, async () => {
  const p = await peer();
  try {
    const t0 = performance.now();
    assert.equal(p.sender.send(p.lane, 96, rtp(1), t0), true);
    // A session whose keys Fluo cannot use (an unknown profile): the packet must not go
    // out with the old keys, so it does not go at all.
    p.dtls.srtp = { config: { profile: 99, keys: { localMasterKey: Buffer.alloc(16, 1), localMasterSalt: Buffer.alloc(14, 2) } } };
    assert.equal(p.sender.send(p.lane, 96, rtp(2), t0 + 1), false);
    p.dtls.srtp = { config: { profile: 1, keys: { localMasterKey: Buffer.alloc(16, 3), localMasterSalt: Buffer.alloc(14, 4) } } };
    assert.equal(p.sender.send(p.lane, 96, rtp(3), t0 + 2), true);
    assert.equal(await p.arrivals(2), 2);
  } finally {
    p.close();
  }
});

test('a closed socket is never written on: the packet goes werift\'s way and the next ones are checked again', { skip }, async () => {
  const p = await peer();
  try {
    const t0 = performance.now();
    assert.equal(p.sender.send(p.lane, 96, rtp(1), t0), true);
    assert.equal(await p.arrivals(1), 1);
    p.socket.close();
    p.transport.closed = true;
    assert.equal(p.sender.send(p.lane, 96, rtp(2), t0 + 1), true);
    assert.equal(p.viaWerift.length, 1, 'handed to the ICE connection, which knows its socket is gone');
    assert.equal(p.sender.send(p.lane, 96, rtp(3), t0 + 2), true);
    assert.equal(p.viaWerift.length, 2);
    assert.equal(await p.arrivals(1), 1);
  } finally {
    p.close();
  }
});
