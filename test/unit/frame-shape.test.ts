/**
 * FrameShape, the scan before JSON.parse (issue 16, defects 1 and 7): its depth,
 * member and value counts agree with the parsed value on seeded random JSON (strings
 * with quotes, backslashes and brackets inside), whole or fed in random slices.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameShape, type FrameLimits } from '../../src/rpc/FrameShape.ts';
import { rng, randomJson } from '../helpers/fuzz.ts';

/** Depth, largest object, and values counted the scanner's way (containers and commas). */
function measure(v: unknown): { depth: number; members: number; values: number } {
  if (v === null || typeof v !== 'object') return { depth: 0, members: 0, values: 0 };
  const items = Array.isArray(v) ? v : Object.values(v);
  const inner = items.map(measure);
  return {
    depth: 1 + Math.max(0, ...inner.map((m) => m.depth)),
    members: Math.max(Array.isArray(v) ? 0 : items.length, ...inner.map((m) => m.members)),
    values: 1 + Math.max(0, items.length - 1) + inner.reduce((s, m) => s + m.values, 0),
  };
}

test('FrameShape agrees with JSON.parse on 5,000 random documents, whole and in slices', () => {
  const r = rng(7);
  const limits: FrameLimits = { maxDepth: 4, maxMembers: 3, maxValues: 12 };
  for (let i = 0; i < 5000; i++) {
    const value = randomJson(r, 6);
    const text = JSON.stringify(r() < 0.3 ? { s: '\\"[{' + '\\'.repeat(Math.floor(r() * 4)), v: value } : value);
    const m = measure(JSON.parse(text));
    const over = m.depth > limits.maxDepth || m.members > limits.maxMembers || m.values > limits.maxValues;
    const whole = new FrameShape(limits);
    whole.feed(text);
    assert.equal(whole.problem !== undefined, over, `${text} ${JSON.stringify(m)} ${whole.problem}`);
    const sliced = new FrameShape(limits);
    for (let from = 0; from < text.length;) {
      const to = Math.min(text.length, from + 1 + Math.floor(r() * 8));
      sliced.feed(text, from, to);
      from = to;
    }
    assert.equal(sliced.problem, whole.problem, text);
  }
});
