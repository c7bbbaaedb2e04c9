import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LOG_START, LogPositions, REORDER_MARGIN_NS, type LogCursor } from '../../../src/agent/logs/positions.js';
import { T0 } from './fakes.js';

/** What a reader gets when it resumes from `c`: Docker's `since` filter (at or after, in the log's order), then the skip. */
function resume(log: readonly bigint[], c: LogCursor): number[] {
  const since = BigInt(c.since);
  const newest = BigInt(c.newest);
  let skip = c.skip;
  const out: number[] = [];
  log.forEach((t, i) => {
    if (t < since) return;
    if (skip > 0 && t <= newest) {
      skip--;
      return;
    }
    skip = 0;
    out.push(i);
  });
  return out;
}

test('the brief\'s case: the newest time shipped and how many lines at it were shipped', () => {
  const p = new LogPositions(LOG_START, 0n);
  const log = [T0, T0 + 5n, T0 + 5n, T0 + 5n, T0 + 9n];
  for (const t of log) p.record(t);
  const c = p.cursorAt({ seq: 3, chunks: 0 });
  assert.deepEqual(c, { since: String(T0 + 5n), skip: 2, chunks: 0, newest: String(T0 + 5n) });
  assert.deepEqual(resume(log, c), [3, 4]);
  assert.deepEqual(p.cursorAt({ seq: 0, chunks: 0 }), LOG_START);
});

test('a line stamped a little before one already in the log (stdout/stderr) is neither lost nor repeated', () => {
  // stdout at T0+100 is written before stderr stamped T0+90: Docker's log order runs back in time.
  const log = [T0, T0 + 100n, T0 + 90n, T0 + 110n];
  const exact = new LogPositions(LOG_START, 0n);
  for (const t of log) exact.record(t);
  assert.deepEqual(resume(log, exact.cursorAt({ seq: 2, chunks: 0 })), [3], 'without a margin the older-stamped line would be lost');
  const p = new LogPositions(LOG_START, 50n);
  for (const t of log) p.record(t);
  assert.deepEqual(resume(log, p.cursorAt({ seq: 2, chunks: 0 })), [2, 3]);
  assert.deepEqual(resume(log, p.cursorAt({ seq: 3, chunks: 0 })), [3]);
  assert.equal(REORDER_MARGIN_NS, 1_000_000_000n);
});

test('when rotation took shipped lines away, skipping stops at the first line newer than anything shipped', () => {
  const c: LogCursor = { since: String(T0), skip: 3, chunks: 0, newest: String(T0 + 2n) };
  // Only one of the three shipped lines is still in Docker's log.
  assert.deepEqual(resume([T0 + 2n, T0 + 3n, T0 + 4n], c), [1, 2]);
});

test('property: resuming from any acknowledged position, again and again, gives exactly the rest of the log', () => {
  const margin = 20n;
  fc.assert(
    fc.property(
      fc.array(fc.record({ step: fc.integer({ min: 0, max: 8 }), back: fc.integer({ min: 0, max: Number(margin) }) }), { minLength: 1, maxLength: 80 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
      (raw, cuts) => {
        // A log whose times go back by at most the margin.
        let base = T0;
        const log = raw.map((r) => {
          base += BigInt(r.step);
          return base - BigInt(r.back);
        });
        let cursor = LOG_START;
        let done = 0;
        for (const cut of cuts) {
          const p = new LogPositions(cursor, margin);
          const rest = resume(log, cursor);
          assert.deepEqual(rest, log.map((_, i) => i).slice(done), 'resumed exactly after what was shipped');
          // The reader records the skipped lines too (as the shipper does), then what it reads.
          const skipped = log.filter((t) => t >= BigInt(cursor.since)).length - rest.length;
          const filtered = log.filter((t) => t >= BigInt(cursor.since));
          for (let i = 0; i < skipped; i++) p.record(filtered[i]!);
          for (const i of rest) p.record(log[i]!);
          const ackSeq = skipped + (cut % (rest.length + 1));
          // Releasing earlier acknowledgements must not change later cursors.
          p.release({ seq: Math.max(0, ackSeq - 3), chunks: 0 });
          cursor = p.cursorAt({ seq: ackSeq, chunks: 0 });
          p.release({ seq: ackSeq, chunks: 0 });
          assert.deepEqual(p.cursorAt({ seq: ackSeq, chunks: 0 }), cursor, 'release keeps the cursor of its position');
          done += ackSeq - skipped;
        }
        assert.deepEqual(resume(log, cursor), log.map((_, i) => i).slice(done));
      },
    ),
    { numRuns: 300 },
  );
});

test('released entries are forgotten: the window stays the margin', () => {
  const p = new LogPositions(LOG_START, 10n);
  for (let i = 0; i < 10_000; i++) p.record(T0 + BigInt(i));
  p.release({ seq: 10_000, chunks: 0 });
  assert.ok(p.kept <= 11, `kept ${p.kept}`);
  const c = p.cursorAt({ seq: 10_000, chunks: 0 });
  assert.deepEqual(c, { since: String(T0 + 9989n), skip: 11, chunks: 0, newest: String(T0 + 9999n) });
});
