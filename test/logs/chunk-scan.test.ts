import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeChunks } from '../../src/logs/chunk.js';
import { scanBackward, scanForward, type ScanChunk } from '../../src/logs/chunk-scan.js';
import { compareKeys, type EventKey } from '../../src/logs/tokens.js';

// Pages out of overlapping chunks equal what sorting every event would give:
// the first `limit` after a cursor, the last `limit` up to one, with the
// required-substring prefilter and the full test applied.

interface Ev extends EventKey {
  message: string;
  streamId: number;
}

/** Batches (each chronological, seq consecutive) cut into chunks, listed as a store lists them. */
function build(batches: { streamId: number; events: { timestamp: number; message: string }[] }[]): { chunks: ScanChunk[]; all: Ev[] } {
  let seq = 1;
  const chunks: ScanChunk[] = [];
  const all: Ev[] = [];
  for (const b of batches) {
    const sorted = [...b.events].sort((x, y) => x.timestamp - y.timestamp);
    const ts = sorted.map((e) => e.timestamp);
    const ms = sorted.map((e) => e.message);
    for (const c of encodeChunks(ts, ms, ms.map((m) => Buffer.byteLength(m)), 0, sorted.length)) {
      const firstSeq = seq;
      chunks.push({ streamId: b.streamId, firstSeq, count: c.to - c.from, minTs: ts[c.from]!, maxTs: ts[c.to - 1]!, ingestionTime: 7, ascii: c.ascii, payload: () => c.payload });
      for (let k = c.from; k < c.to; k++) all.push({ timestamp: ts[k]!, seq: seq++, message: ms[k]!, streamId: b.streamId });
    }
  }
  return { chunks, all };
}

const forwardOrder = (cs: ScanChunk[]) => [...cs].sort((a, b) => a.minTs - b.minTs || a.firstSeq - b.firstSeq);
const backwardOrder = (cs: ScanChunk[]) => [...cs].sort((a, b) => b.maxTs - a.maxTs || b.firstSeq - a.firstSeq);
const strip = (evs: { timestamp: number; seq: number; message: string; streamId: number }[]) => evs.map(({ timestamp, seq, message, streamId }) => ({ timestamp, seq, message, streamId }));

const batchesArb = fc.array(
  fc.record({
    streamId: fc.integer({ min: 1, max: 3 }),
    events: fc.array(fc.record({ timestamp: fc.integer({ min: 0, max: 200 }), message: fc.constantFrom('alpha', 'beta', 'alpha beta', 'gamma', 'é alpha') }), { minLength: 1, maxLength: 40 }),
  }),
  { minLength: 1, maxLength: 12 },
);

test('property: forward and backward pages equal the brute-force order, filters included', () => {
  fc.assert(
    fc.property(
      batchesArb,
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 0, max: 200 }),
      fc.integer({ min: 0, max: 400 }),
      fc.integer({ min: 0, max: 200 }),
      fc.boolean(),
      (batches, limit, lo, span, cursorTs, filtered) => {
        const { chunks, all } = build(batches);
        const hi = lo + span;
        const cursor = { timestamp: cursorTs, seq: Math.floor(all.length / 2) };
        const required = filtered ? [Buffer.from('alpha')] : undefined;
        const test = filtered ? (m: string) => !m.includes('beta') : undefined;
        const keep = (e: Ev) => e.timestamp >= lo && e.timestamp <= hi && (!filtered || (e.message.includes('alpha') && !e.message.includes('beta')));
        const sorted = all.filter(keep).sort(compareKeys);
        const fwd = scanForward(forwardOrder(chunks), cursor, { lo, hi, limit, required, test });
        assert.deepEqual(strip(fwd), strip(sorted.filter((e) => compareKeys(e, cursor) > 0).slice(0, limit)));
        const back = scanBackward(backwardOrder(chunks), cursor, { lo, hi, limit, required, test });
        const upTo = sorted.filter((e) => compareKeys(e, cursor) <= 0);
        assert.deepEqual(strip(back), strip(upTo.slice(Math.max(0, upTo.length - limit))));
      },
    ),
    { numRuns: 300 },
  );
});

test('a chunk without a required substring is never decoded', () => {
  const { chunks } = build([{ streamId: 1, events: [{ timestamp: 1, message: 'nothing here' }] }]);
  let decoded = false;
  const spy = { ...chunks[0]!, payload: () => chunks[0]!.payload() };
  const out = scanForward([spy], { timestamp: 0, seq: 0 }, { lo: 0, hi: 10, limit: 10, required: [Buffer.from('absent')], test: () => ((decoded = true), true) });
  assert.deepEqual(out, []);
  assert.equal(decoded, false);
});

test('the scan stops reading chunks once the page is full and later chunks start after it', () => {
  const { chunks } = build([
    { streamId: 1, events: [{ timestamp: 1, message: 'a' }, { timestamp: 2, message: 'b' }] },
    { streamId: 1, events: [{ timestamp: 10, message: 'c' }] },
  ]);
  let read = 0;
  const counted = chunks.map((c) => ({ ...c, payload: () => (read++, c.payload()) }));
  const out = scanForward(counted, { timestamp: 0, seq: 0 }, { lo: 0, hi: 100, limit: 2 });
  assert.deepEqual(out.map((e) => e.message), ['a', 'b']);
  assert.equal(read, 1);
});
