import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogMessage } from '../../../src/agent/logs/line-joiner.js';
import { eventsOf, multilineStart, MultilineGrouper, strftimeToPattern, type LogEvent } from '../../../src/agent/logs/multiline.js';

let seq = 0;
const msg = (text: string, more: Partial<LogMessage> = {}): LogMessage => ({ timestamp: 1000 + seq, text, bytes: Buffer.byteLength(text), final: true, end: { seq: ++seq, chunks: 0 }, ...more });

function group(start: RegExp, lines: Array<string | LogMessage>, opts = { maxBytes: 262_118, flushAfterMs: 5000 }): LogEvent[] {
  const g = new MultilineGrouper(start, opts);
  const out: LogEvent[] = [];
  for (const l of lines) out.push(...g.push(typeof l === 'string' ? msg(l) : l, 0));
  out.push(...g.end());
  return out;
}

test("awslogs-datetime-format becomes Docker's pattern: its strftime table, unknown sequences dropped, the rest as regular expression text", () => {
  assert.equal(strftimeToPattern('%Y-%m-%d'), '\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[1,2][0-9]|3[0,1])');
  assert.equal(strftimeToPattern('[%b %d, %Y %H:%M:%S]'), '[(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?:0[1-9]|[1,2][0-9]|3[0,1]), \\d{4} (?:[0,1][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]]');
  assert.equal(strftimeToPattern('%H:%M:%S%L %p %z %Q'), '(?:[0,1][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\\.\\d{3} [A,P]M [+-]\\d{4} ');
  const iso = multilineStart({ datetimeFormat: '%Y-%m-%dT%H:%M:%S' })!;
  assert.ok(iso.test('2026-01-31T23:59:07 started'));
  assert.ok(iso.test('[worker] 2026-01-31T23:59:07 anywhere in the line, as Go matches'));
  assert.ok(!iso.test('    at com.example.Main(Main.java:3)'));
  assert.ok(!iso.test('2026-13-31T23:59:07 month 13'));
});

test("awslogs-multiline-pattern: Go's RE2 spelling where JavaScript differs; errors read as Docker's", () => {
  assert.ok(multilineStart({ multilinePattern: '(?i)^error' })!.test('ERROR: x'));
  assert.ok(multilineStart({ multilinePattern: '^(?P<level>INFO|WARN)' })!.test('WARN y'));
  assert.ok(multilineStart({ multilinePattern: '\\A[[:upper:]]+:' })!.test('FATAL: z'));
  assert.ok(multilineStart({ multilinePattern: '\\Q[x]\\E' })!.test('a [x] b'));
  assert.ok(!multilineStart({ multilinePattern: '\\Q[x]\\E' })!.test('a x b'));
  assert.equal(multilineStart({}), undefined);
  assert.throws(() => multilineStart({ multilinePattern: '(unclosed' }), /^Error: awslogs could not parse multiline pattern key "\(unclosed"/);
});

test('a matching line starts an event; the lines that follow join it, each ending in a newline', () => {
  const start = /^\d{4}-/;
  const events = group(start, ['continuation before any start', '2026-01-01 first', '  at a', '  at b', '2026-01-01 second', '']);
  assert.deepEqual(
    events.map((e) => e.message),
    ['continuation before any start\n', '2026-01-01 first\n  at a\n  at b\n', '2026-01-01 second\n\n'],
  );
  assert.equal(events[1]!.timestamp, 1001 + (seq - 6), 'an event has its first line\'s time');
  assert.deepEqual(events.map((e) => e.bytes), events.map((e) => Buffer.byteLength(e.message)));
  assert.deepEqual(events[1]!.end, { seq: seq - 2, chunks: 0 }, 'an event ends where its last line ends');
});

test('an event is cut before it would pass the event size, counting the newlines; a piece of an over-long line stands alone', () => {
  const start = /^START/;
  const events = group(start, ['START 1234', 'abcd', 'efgh', 'ijkl'], { maxBytes: 16, flushAfterMs: 5000 });
  assert.deepEqual(events.map((e) => e.message), ['START 1234\nabcd\n', 'efgh\nijkl\n']);
  for (const e of events) assert.ok(e.bytes <= 16);
  const pieces = group(start, ['START', msg('x'.repeat(16), { final: false }), msg('rest'), 'more'], { maxBytes: 16, flushAfterMs: 5000 });
  assert.deepEqual(pieces.map((e) => e.message), ['START\n', 'x'.repeat(16), 'rest\nmore\n']);
  const exact = group(start, ['y'.repeat(16), 'z'], { maxBytes: 16, flushAfterMs: 5000 });
  assert.deepEqual(exact.map((e) => e.message), ['y'.repeat(16), 'z\n'], 'a line as long as an event gets no newline (Docker)');
});

test('a buffered event goes out after the flush interval without a new start line', () => {
  const g = new MultilineGrouper(/^S/, { maxBytes: 1000, flushAfterMs: 5000 });
  assert.deepEqual(g.push(msg('S one'), 100), []);
  assert.deepEqual(g.push(msg('  more'), 2000), []);
  assert.equal(g.dueAt, 5100);
  assert.deepEqual(g.expire(5099), []);
  assert.deepEqual(g.expire(5100).map((e) => e.message), ['S one\n  more\n']);
  assert.equal(g.dueAt, undefined);
  assert.deepEqual(g.end(), []);
});

test('without multiline every non-empty line is an event (Docker sends no empty events)', () => {
  assert.deepEqual(eventsOf([msg('a'), msg(''), msg('b')]).map((e) => e.message), ['a', 'b']);
});
