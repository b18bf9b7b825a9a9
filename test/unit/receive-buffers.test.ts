import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { once } from 'node:events';
import { enlargeReceiveBuffer, MEDIA_RECEIVE_BUFFER_BYTES } from '../../src/media/rtp/receiveBuffers.ts';

test('media sockets get a receive buffer for keyframe bursts, as large as the kernel allows', async () => {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  try {
    const before = s.getRecvBufferSize();
    enlargeReceiveBuffer(s);
    // Linux doubles what it grants (bookkeeping overhead) and caps it at net.core.rmem_max.
    const max = Number(fs.readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const expected = 2 * Math.min(MEDIA_RECEIVE_BUFFER_BYTES, max);
    assert.equal(s.getRecvBufferSize(), Math.max(before, expected));
    enlargeReceiveBuffer(s, 1024);
    assert.equal(s.getRecvBufferSize(), Math.max(before, expected), 'never shrinks');
  } finally {
    s.close();
  }
  enlargeReceiveBuffer(s); // closed: ignored
});
