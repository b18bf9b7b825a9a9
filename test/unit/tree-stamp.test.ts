/**
 * The bundles' cache check (src/bundle/treeStamp.mjs): a bundle is used without building
 * only when it exists and its stamp is the tree's now.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtFrom, markBuilt, treeStamp } from '../../src/bundle/treeStamp.mjs';

test('treeStamp is stable for an unchanged tree; builtFrom needs the bundle and its stamp, the same one', () => {
  const stamp = treeStamp();
  assert.match(stamp, /^[0-9a-f]{40}$/);
  assert.equal(treeStamp(), stamp, 'the same tree, the same stamp');
  const dir = mkdtempSync(join(tmpdir(), 'fluo-stamp-'));
  try {
    const out = join(dir, 'bundle.mjs');
    assert.equal(builtFrom(out, stamp), false, 'no bundle yet');
    writeFileSync(out, 'export {};');
    assert.equal(builtFrom(out, stamp), false, 'a bundle without a stamp is built again');
    markBuilt(out, stamp);
    assert.equal(builtFrom(out, stamp), true);
    assert.equal(builtFrom(out, `${stamp.slice(0, 39)}0` === stamp ? `${stamp.slice(0, 39)}1` : `${stamp.slice(0, 39)}0`), false, 'another tree');
    rmSync(out);
    assert.equal(builtFrom(out, stamp), false, 'a stamp without its bundle');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
