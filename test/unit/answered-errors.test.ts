/**
 * Errors answered to clients are logged (issue 15 §3), one line each with the method,
 * what it was about and the Kurento code, at most 10 per code every 10 s; the rest are
 * counted and said in that code's next line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnsweredErrors } from '../../src/rpc/AnsweredErrors.ts';
import { errorToJsonRpc } from '../../src/rpc/errorToJsonRpc.ts';
import { KurentoError } from '../../src/shared/KurentoError.ts';

test('one line per answered error, with method, target and code', () => {
  const lines: string[] = [];
  const log = new AnsweredErrors((l) => lines.push(l), () => 0);
  log.answered('create', 'type FooFilter', errorToJsonRpc(new KurentoError('MEDIA_OBJECT_TYPE_NOT_FOUND', "Type 'FooFilter' not found")));
  assert.deepEqual(lines, ["'create' on type FooFilter answered error 40100 MEDIA_OBJECT_TYPE_NOT_FOUND: Type 'FooFilter' not found"]);
});

test('a flood of one code is cut to 10 lines per 10 s, the rest counted in the next line', () => {
  const lines: string[] = [];
  let now = 0;
  const log = new AnsweredErrors((l) => lines.push(l), () => now);
  const err = errorToJsonRpc(new KurentoError('MEDIA_OBJECT_NOT_FOUND', 'Object not found'));
  for (let i = 0; i < 1000; i++) log.answered('invoke', `obj${i}`, err);
  assert.equal(lines.length, 10);
  log.answered('create', undefined, errorToJsonRpc(new KurentoError('NOT_IMPLEMENTED', 'no')));
  assert.equal(lines.length, 11, 'another code has its own budget');
  now = 10_000;
  log.answered('invoke', 'objX', err);
  assert.equal(lines.length, 12);
  assert.match(lines[11]!, /and 990 more with this code, not logged/);
});
