import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { LogEntry } from '../../../src/agent/logs/docker-log-stream.js';
import { LineJoiner, utf8Prefix, type LogMessage } from '../../../src/agent/logs/line-joiner.js';
import { T0 } from './fakes.js';

const entry = (data: string | Buffer, more: Partial<LogEntry> = {}): LogEntry => ({ stream: 'stdout', time: T0, data: Buffer.from(data), partial: false, ...more });

function run(j: LineJoiner, entries: LogEntry[]): LogMessage[] {
  const out: LogMessage[] = [];
  entries.forEach((e, i) => out.push(...j.push(e, i + 1)));
  return out;
}

test("Docker's 16 KiB pieces are joined back into the line; the line keeps its first piece's time", () => {
  const j = new LineJoiner({ maxBytes: 262_118 });
  const out = run(j, [entry('aaa', { partial: true, time: T0 + 5_000_000n }), entry('bbb', { partial: true }), entry('ccc'), entry('next')]);
  assert.deepEqual(
    out.map((m) => [m.text, m.timestamp, m.final, m.end]),
    [
      ['aaabbbccc', Number((T0 + 5_000_000n) / 1_000_000n), true, { seq: 3, chunks: 0 }],
      ['next', Number(T0 / 1_000_000n), true, { seq: 4, chunks: 0 }],
    ],
  );
});

test('a multi-byte character cut between two pieces is whole again; invalid UTF-8 becomes U+FFFD', () => {
  const euro = Buffer.from('€');
  const j = new LineJoiner({ maxBytes: 1000 });
  const out = run(j, [entry(Buffer.concat([Buffer.from('price '), euro.subarray(0, 2)]), { partial: true }), entry(Buffer.concat([euro.subarray(2), Buffer.from('5')])), entry(Buffer.from([0x61, 0xff, 0x62]))]);
  assert.deepEqual(out.map((m) => [m.text, m.bytes]), [['price €5', 10], ['a\uFFFDb', 5]]);
});

test('stdout and stderr pieces interleave: lines come out in the order they began, and "shipped up to here" stays a prefix', () => {
  const j = new LineJoiner({ maxBytes: 1000 });
  const out = run(j, [
    entry('out-', { partial: true }), // 1: stdout line begins
    entry('err-1', { stream: 'stderr' }), // 2: a whole stderr line, waits for stdout's
    entry('line'), // 3: stdout line ends
    entry('err-2', { stream: 'stderr' }), // 4
  ]);
  assert.deepEqual(
    out.map((m) => [m.text, m.end.seq]),
    [
      ['out-line', 1], // entry 2 is not shipped with it
      ['err-1', 3],
      ['err-2', 4],
    ],
  );
});

test('a line longer than an event is cut into pieces of at most maxBytes, never inside a character', () => {
  const j = new LineJoiner({ maxBytes: 10 });
  const out = run(j, [entry('0123456789', { partial: true }), entry('abc€€€xyz'), entry('short')]);
  assert.deepEqual(
    out.map((m) => [m.text, m.bytes, m.final, m.end]),
    [
      ['0123456789', 10, false, { seq: 0, chunks: 1 }],
      ['abc€€', 9, false, { seq: 0, chunks: 2 }],
      ['€xyz', 6, true, { seq: 2, chunks: 0 }],
      ['short', 5, true, { seq: 3, chunks: 0 }],
    ],
  );
  assert.equal(utf8Prefix('a😀b', 4), 1, 'a surrogate pair is never split');
  assert.equal(utf8Prefix('a😀b', 5), 3);
});

test('after a restart the pieces already shipped of the first line are dropped', () => {
  const j = new LineJoiner({ maxBytes: 10, dropChunks: 2 });
  const out = run(j, [entry('0123456789abcdefghij', { partial: true }), entry('KLM')]);
  assert.deepEqual(out.map((m) => [m.text, m.final, m.end]), [['KLM', true, { seq: 2, chunks: 0 }]]);
});

test('the end of the log ends lines left open; an empty line is one empty message', () => {
  const j = new LineJoiner({ maxBytes: 100 });
  const out = run(j, [entry(''), entry('no newline', { partial: true })]);
  out.push(...j.end());
  assert.deepEqual(out.map((m) => [m.text, m.final, m.end.seq]), [['', true, 1], ['no newline', true, 2]]);
});

test("property: whatever the pieces and interleaving, each stream's lines come out whole and in order, pieces never exceed maxBytes, positions never go back", () => {
  const text = fc.string({ maxLength: 40, unit: fc.constantFrom('a', 'b', 'é', '€', '😀', ' ') });
  fc.assert(
    fc.property(fc.array(fc.record({ stream: fc.constantFrom('stdout' as const, 'stderr' as const), text, cuts: fc.array(fc.nat(), { maxLength: 3 }) }), { maxLength: 30 }), fc.nat(), (lines, seed) => {
      const tagged = lines.map((l, i) => ({ ...l, text: `${l.stream === 'stdout' ? 'O' : 'E'}${i}|${l.text}` }));
      // Each stream's entries (a line cut into partial pieces anywhere, even inside a character), then the streams interleaved.
      const perStream = { stdout: [] as LogEntry[], stderr: [] as LogEntry[] };
      for (const l of tagged) {
        const bytes = Buffer.from(l.text);
        const cuts = [...new Set(l.cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        let at = 0;
        for (const c of cuts) {
          perStream[l.stream].push(entry(bytes.subarray(at, c), { stream: l.stream, partial: true }));
          at = c;
        }
        perStream[l.stream].push(entry(bytes.subarray(at), { stream: l.stream }));
      }
      const merged: LogEntry[] = [];
      let r = seed;
      while (perStream.stdout.length || perStream.stderr.length) {
        r = (r * 1103515245 + 12345) % 2 ** 31;
        const s = perStream.stdout.length && (!perStream.stderr.length || r % 2 === 0) ? 'stdout' : 'stderr';
        merged.push(perStream[s].shift()!);
      }
      const j = new LineJoiner({ maxBytes: 16 });
      const out = run(j, merged);
      out.push(...j.end());
      const whole: string[] = [];
      let cur = '';
      let lastSeq = -1;
      for (const m of out) {
        assert.ok(m.bytes <= 16 && m.bytes === Buffer.byteLength(m.text));
        assert.ok(m.end.seq >= lastSeq, 'positions only move forward');
        lastSeq = m.end.seq;
        cur += m.text;
        if (m.final) {
          whole.push(cur);
          cur = '';
        }
      }
      assert.equal(cur, '');
      for (const prefix of ['O', 'E']) {
        assert.deepEqual(
          whole.filter((w) => w.startsWith(prefix)),
          tagged.filter((l) => l.text.startsWith(prefix)).map((l) => l.text),
        );
      }
      assert.equal(out.at(-1)?.end.seq ?? merged.length, merged.length, 'the last message covers the whole log');
    }),
  );
});
