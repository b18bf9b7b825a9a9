/** GST_DEBUG threshold lists as GStreamer reads them: levels, wildcards, last match wins. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SPEC, Level, levelFor, levelName, parseDebugSpec, parseLevel } from '../../src/log/DebugSpec.ts';

test('levels: numbers 0..9 and GStreamer names, any case', () => {
  assert.equal(parseLevel('0'), 0);
  assert.equal(parseLevel('9'), 9);
  assert.equal(parseLevel('10'), undefined);
  assert.equal(parseLevel('debug'), Level.DEBUG);
  assert.equal(parseLevel('WARN'), Level.WARNING);
  assert.equal(parseLevel('MEMDUMP'), 9);
  assert.equal(parseLevel('loud'), undefined);
  assert.equal(levelName(4), 'INFO');
  assert.equal(levelName(8), '8');
});

test('wildcards anywhere, default level, last matching item wins', () => {
  const s = parseDebugSpec('3,Kurento*:4,KurentoWebSocket*:5');
  assert.equal(levelFor('KurentoWebSocketTransport', s), 5);
  assert.equal(levelFor('KurentoMediaServer', s), 4);
  assert.equal(levelFor('webrtcendpoint', s), 3);
  const later = parseDebugSpec('3,Kurento*:4,KurentoWebSocket*:5,*:2');
  assert.equal(levelFor('KurentoWebSocketTransport', later), 2, '*:2 comes last and matches everything');
  const mid = parseDebugSpec('*rtpendpoint:6,rtp*handler:7,2');
  assert.equal(levelFor('basertpendpoint', mid), 6);
  assert.equal(levelFor('rtpfoohandler', mid), 7);
  assert.equal(levelFor('rtpendpointx', mid), 2, 'patterns match the whole name');
  assert.equal(levelFor('x', parseDebugSpec('DEBUG')), 5);
  assert.equal(levelFor('a.b', parseDebugSpec('a.b:6')), 6);
  assert.equal(levelFor('axb', parseDebugSpec('a.b:6')), 0, 'a dot is not a wildcard');
});

test("Kurento's default: 3, and 4 for Kurento and media categories", () => {
  const s = parseDebugSpec(DEFAULT_SPEC);
  assert.deepEqual(s.errors, []);
  assert.equal(levelFor('KurentoMediaServer', s), 4);
  assert.equal(levelFor('kmswebrtcsession', s), 4);
  assert.equal(levelFor('basertpendpoint', s), 4);
  assert.equal(levelFor('FluoMediaWorkers', s), 3);
});

test('bad items are reported and skipped', () => {
  const s = parseDebugSpec('3,foo:loud,:4,,bar:5');
  assert.equal(s.errors.length, 2);
  assert.match(s.errors[0]!, /'foo:loud': 'loud' is not a level/);
  assert.match(s.errors[1]!, /missing category/);
  assert.equal(levelFor('bar', s), 5);
  assert.equal(levelFor('foo', s), 3);
});
