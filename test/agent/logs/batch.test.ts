import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { batchFull, batchLength, EVENT_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_BATCH_SPAN_MS, MAX_MESSAGE_BYTES, type BatchEvent } from '../../../src/agent/logs/batch.js';

const ev = (bytes: number, timestamp = 0): BatchEvent => ({ bytes, timestamp });

test("PutLogEvents' limits: 10,000 events, 1,048,576 bytes with 26 per event, 24 hours", () => {
  assert.equal(MAX_MESSAGE_BYTES + EVENT_OVERHEAD_BYTES, 256 * 1024);
  assert.equal(batchLength(Array.from({ length: 12_000 }, () => ev(1))), MAX_BATCH_EVENTS);
  // 4 events of exactly a quarter of the limit fit; one byte more and the fourth waits.
  const quarter = MAX_BATCH_BYTES / 4 - EVENT_OVERHEAD_BYTES;
  assert.equal(batchLength([ev(quarter), ev(quarter), ev(quarter), ev(quarter), ev(1)]), 4);
  assert.equal(batchLength([ev(quarter), ev(quarter), ev(quarter), ev(quarter + 1)]), 3);
  assert.equal(batchLength([ev(1, 0), ev(1, MAX_BATCH_SPAN_MS), ev(1, MAX_BATCH_SPAN_MS + 1)]), 2);
  assert.equal(batchLength([ev(1, 5), ev(1, 6)], 1), 1, 'from an offset');
  assert.equal(batchLength([], 0), 0);
  assert.ok(batchFull(MAX_BATCH_EVENTS, 10) && batchFull(3, MAX_BATCH_BYTES) && !batchFull(3, 100));
});

test('property: consecutive batches cover the queue in order, each within every limit', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ bytes: fc.integer({ min: 1, max: MAX_MESSAGE_BYTES }), gap: fc.integer({ min: 0, max: 4 * 3600 * 1000 }) }), { maxLength: 60 }),
      fc.integer({ min: 1, max: 3 }),
      (raw, small) => {
        let t = 0;
        // Many tiny events too, to reach the count limit now and then.
        const events = raw.flatMap((r) => {
          t += r.gap;
          return r.bytes % 5 === 0 ? Array.from({ length: 4000 }, () => ev(small, t)) : [ev(r.bytes, t)];
        });
        let at = 0;
        while (at < events.length) {
          const n = batchLength(events, at);
          assert.ok(n >= 1);
          const batch = events.slice(at, at + n);
          assert.ok(batch.length <= MAX_BATCH_EVENTS);
          assert.ok(batch.reduce((s, e) => s + e.bytes + EVENT_OVERHEAD_BYTES, 0) <= MAX_BATCH_BYTES);
          assert.ok(batch.at(-1)!.timestamp - batch[0]!.timestamp <= MAX_BATCH_SPAN_MS);
          at += n;
        }
        assert.equal(at, events.length);
      },
    ),
    { numRuns: 60 },
  );
});
