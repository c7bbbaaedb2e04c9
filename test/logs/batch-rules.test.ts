import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AwsError } from '../../src/gateway/errors.js';
import { acceptedWindow, checkBatchShape, checkRetentionDays, DAY_MS, MAX_BATCH_BYTES } from '../../src/logs/batch-rules.js';

// PutLogEvents' rules as the API reference states them: whole-batch failures
// (count, size, order, span) and per-event rejections (too new, too old,
// expired) reported by index.

const HOUR = 60 * 60 * 1000;
const now = 1_700_000_000_000;

function fails(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AwsError);
    assert.equal(e.code, 'InvalidParameterException');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('a batch may hold 1,048,576 bytes counting 26 bytes per event, and not one more', () => {
  // 8 events: 8 × 26 = 208 bytes of overhead.
  const size = (MAX_BATCH_BYTES - 8 * 26) / 8;
  const exact = Array.from({ length: 8 }, () => 'x'.repeat(size));
  assert.deepEqual(checkBatchShape(Array(8).fill(now), exact).byteLengths, Array(8).fill(size));
  const over = [...exact.slice(0, 7), 'x'.repeat(size + 1)];
  fails(() => checkBatchShape(Array(8).fill(now), over), `Upload too large: ${MAX_BATCH_BYTES + 1} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
});

test('sizes count UTF-8 bytes, not characters', () => {
  assert.deepEqual(checkBatchShape([now], ['é€😀']).byteLengths, [2 + 3 + 4]);
});

test('10,000 events pass, 10,001 do not, and an empty batch does not either', () => {
  checkBatchShape(Array(10_000).fill(now), Array(10_000).fill('m'));
  fails(() => checkBatchShape(Array(10_001).fill(now), Array(10_001).fill('m')), /Member must have length less than or equal to 10000/);
  fails(() => checkBatchShape([], []), /Member must have length greater than or equal to 1/);
});

test('events out of chronological order fail the batch; equal timestamps are in order', () => {
  checkBatchShape([now, now, now + 1], ['a', 'b', 'c']);
  fails(() => checkBatchShape([now, now + 1, now], ['a', 'b', 'c']), 'Log events in a single PutLogEvents request must be in chronological order.');
});

test('the accepted events may span 24 hours exactly, not more', () => {
  assert.deepEqual(acceptedWindow([now - 24 * HOUR, now], now, undefined), { from: 0, to: 2, rejected: undefined });
  fails(() => acceptedWindow([now - 24 * HOUR - 1, now], now, undefined), 'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
});

test('events more than 2 hours ahead are rejected from the first such index on, the rest stored', () => {
  const ts = [now, now + 2 * HOUR, now + 2 * HOUR + 1, now + 3 * HOUR];
  assert.deepEqual(acceptedWindow(ts, now, undefined), { from: 0, to: 2, rejected: { tooNewLogEventStartIndex: 2 } });
});

test('events older than 14 days are rejected up to the last such index', () => {
  const ts = [now - 15 * DAY_MS, now - 14 * DAY_MS - 1, now - 14 * DAY_MS + 1, now];
  // The span rule counts only the events that would be stored: here those two span 14 days.
  assert.throws(() => acceptedWindow(ts, now, undefined), /cannot span more than 24 hours/);
  const ok = [now - 15 * DAY_MS, now - 14 * DAY_MS - 1, now - HOUR, now];
  assert.deepEqual(acceptedWindow(ok, now, undefined), { from: 2, to: 4, rejected: { tooOldLogEventEndIndex: 1 } });
});

test("events older than the group's retention are rejected as expired", () => {
  const ts = [now - 3 * DAY_MS, now - DAY_MS - 1, now - HOUR, now];
  assert.deepEqual(acceptedWindow(ts, now, 1), { from: 2, to: 4, rejected: { expiredLogEventEndIndex: 1 } });
  // Older than 14 days and than the retention: both indexes are reported.
  const both = [now - 15 * DAY_MS, now - 2 * DAY_MS, now];
  assert.deepEqual(acceptedWindow(both, now, 1), { from: 2, to: 3, rejected: { tooOldLogEventEndIndex: 0, expiredLogEventEndIndex: 1 } });
});

test('a batch whose every event is rejected stores nothing and says why', () => {
  const ts = [now - 20 * DAY_MS, now + 5 * HOUR];
  assert.deepEqual(acceptedWindow(ts, now, undefined), { from: 1, to: 1, rejected: { tooOldLogEventEndIndex: 0, tooNewLogEventStartIndex: 1 } });
});

test('retention periods are the ones PutRetentionPolicy lists', () => {
  for (const d of [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]) checkRetentionDays(d);
  fails(() => checkRetentionDays(2), /Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: \[1, 3, 5/);
});
