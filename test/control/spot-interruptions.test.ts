import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interruptionsDue } from '../../src/control/spot-interruptions.js';

test('interruptions due: tasks × rate × interval, the fraction drawn, never more than the tasks', () => {
  const tenSeconds = 10_000;
  // 36 tasks at 10/h over 10 s: exactly 1 expected.
  assert.equal(interruptionsDue(36, 10, tenSeconds, () => 0.999), 1);
  // 0.25 expected: one when the draw is under it, none otherwise.
  assert.equal(interruptionsDue(9, 10, tenSeconds, () => 0.2), 1);
  assert.equal(interruptionsDue(9, 10, tenSeconds, () => 0.3), 0);
  assert.equal(interruptionsDue(0, 10, tenSeconds, () => 0), 0);
  assert.equal(interruptionsDue(3, 1_000_000, tenSeconds, () => 0.5), 3);
});

test('over many draws the mean is the expectation', () => {
  let seed = 42;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  let total = 0;
  const draws = 20_000;
  for (let i = 0; i < draws; i++) total += interruptionsDue(6, 0.5, 10_000, random);
  const expected = (6 * 0.5 * 10_000) / 3_600_000;
  assert.ok(Math.abs(total / draws - expected) < expected * 0.15, `mean ${total / draws} vs ${expected}`);
});
