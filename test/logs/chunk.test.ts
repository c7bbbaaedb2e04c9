import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHUNK_MAX_BYTES, CHUNK_MAX_EVENTS, dropLeading, encodeChunks, eventSpans } from '../../src/logs/chunk.js';

// Chunk payloads: what goes in comes out, cut at the event and byte limits.

function decode(payload: Buffer): { timestamp: number; message: string }[] {
  return [...eventSpans(payload)].map((s) => ({ timestamp: s.timestamp, message: payload.toString('utf8', s.start, s.end) }));
}

function encodeAll(events: { timestamp: number; message: string }[]) {
  const ts = events.map((e) => e.timestamp);
  const ms = events.map((e) => e.message);
  return encodeChunks(ts, ms, ms.map((m) => Buffer.byteLength(m)), 0, events.length);
}

test('events round-trip through chunks, multi-byte text and large timestamps included', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 52 }), fc.string({ unit: 'grapheme', minLength: 1 })), { minLength: 1, maxLength: 3000 }), (pairs) => {
      const events = pairs.map(([timestamp, message]) => ({ timestamp, message }));
      const chunks = encodeAll(events);
      assert.deepEqual(chunks.flatMap((c) => decode(c.payload)), events);
      assert.equal(chunks.reduce((n, c) => n + c.bytes, 0), events.reduce((n, e) => n + Buffer.byteLength(e.message), 0));
      for (const c of chunks) assert.ok(c.to - c.from <= CHUNK_MAX_EVENTS);
    }),
    { numRuns: 50 },
  );
});

test('a chunk holds at most 1,000 events and 128 KiB, but a larger event gets a chunk of its own', () => {
  const many = Array.from({ length: 2500 }, (_, i) => ({ timestamp: i, message: 'm' }));
  assert.deepEqual(encodeAll(many).map((c) => c.to - c.from), [1000, 1000, 500]);
  const big = [{ timestamp: 1, message: 'a' }, { timestamp: 2, message: 'b'.repeat(CHUNK_MAX_BYTES * 2) }, { timestamp: 3, message: 'c' }];
  assert.deepEqual(encodeAll(big).map((c) => [c.from, c.to]), [[0, 1], [1, 2], [2, 3]]);
});

test('dropLeading keeps the tail of a chunk, as retention cuts it', () => {
  const [chunk] = encodeAll([{ timestamp: 1, message: 'one' }, { timestamp: 2, message: 'två' }, { timestamp: 3, message: 'three' }]);
  const rest = dropLeading(chunk!.payload, 1);
  assert.deepEqual(decode(rest.payload), [{ timestamp: 2, message: 'två' }, { timestamp: 3, message: 'three' }]);
  assert.deepEqual([rest.count, rest.minTs, rest.maxTs, rest.bytes], [2, 2, 3, Buffer.byteLength('två') + 5]);
});
