/** Kurento's Composite grid: 1 full, 2 side by side, up to 4 in 2x2, 5-6 in 3x2, up to 9 in 3x3; even sizes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gridLayout } from '../../src/media/hubs/gridLayout.ts';

test('grid layout by number of inputs', () => {
  assert.deepEqual(gridLayout(0, 800, 600), []);
  assert.deepEqual(gridLayout(1, 800, 600), [{ xpos: 0, ypos: 0, width: 800, height: 600 }]);
  assert.deepEqual(gridLayout(2, 800, 600).map((c) => [c.xpos, c.ypos, c.width, c.height]), [[0, 0, 400, 600], [400, 0, 400, 600]]);
  assert.deepEqual(gridLayout(3, 800, 600).map((c) => [c.xpos, c.ypos]), [[0, 0], [400, 0], [0, 300]]);
  assert.deepEqual(gridLayout(4, 800, 600).at(-1), { xpos: 400, ypos: 300, width: 400, height: 300 });
  assert.deepEqual(gridLayout(6, 800, 600).at(-1), { xpos: 532, ypos: 300, width: 266, height: 300 });
  const nine = gridLayout(9, 640, 480);
  assert.deepEqual(nine.at(-1), { xpos: 424, ypos: 320, width: 212, height: 160 });
  for (const c of gridLayout(7, 801, 601)) assert.ok(c.width % 2 === 0 && c.height % 2 === 0 && c.xpos + c.width <= 801 && c.ypos + c.height <= 601);
});
