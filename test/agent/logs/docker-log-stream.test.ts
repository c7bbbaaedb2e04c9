import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DockerLogParser, DockerLogStreamError, PARTIAL_BYTES, type LogEntry } from '../../../src/agent/logs/docker-log-stream.js';
import { parseDockerTime, sinceParameter, toMillis } from '../../../src/agent/logs/docker-time.js';
import { dockerTime, frame, T0, type FakeEntry } from './fakes.js';

const view = (e: LogEntry) => ({ stream: e.stream, time: e.time, data: e.data.toString(), partial: e.partial });

test('Docker timestamps: nanoseconds exactly, the since parameter, milliseconds', () => {
  assert.equal(parseDockerTime('2026-12-03T12:11:03.826059309Z'), 1796299863826059309n);
  assert.equal(parseDockerTime('2026-12-03T12:11:03Z'), 1796299863000000000n);
  assert.equal(parseDockerTime('2026-12-03T13:11:03.5+01:00'), 1796299863500000000n);
  assert.equal(parseDockerTime('yesterday'), undefined);
  assert.equal(sinceParameter(1796299863000000042n), '1796299863.000000042');
  assert.equal(sinceParameter(0n), '0.000000000');
  assert.equal(toMillis(1796299863826059309n), 1796299863826);
  assert.equal(dockerTime(T0 + 5n), '2026-05-28T20:26:40.000000005Z');
  assert.equal(parseDockerTime(dockerTime(T0 + 123_456_789n)), T0 + 123_456_789n);
});

test('multiplexed body: one frame is one entry, whatever the chunking; a missing newline marks a piece', () => {
  const entries: FakeEntry[] = [
    { time: T0, stream: 'stdout', data: 'one' },
    { time: T0 + 1n, stream: 'stderr', data: 'two' },
    { time: T0 + 2n, stream: 'stdout', data: 'x'.repeat(PARTIAL_BYTES), partial: true },
    { time: T0 + 2n, stream: 'stdout', data: 'tail' },
    { time: T0 + 3n, stream: 'stdout', data: '' },
    { time: T0 + 4n, stream: 'stdout', data: 'no newline at the end', partial: true },
  ];
  const body = Buffer.concat(entries.map(frame));
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: body.length - 1 }), { maxLength: 12 }), (cuts) => {
      const p = new DockerLogParser(false);
      const out: LogEntry[] = [];
      let at = 0;
      for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
        out.push(...p.push(body.subarray(at, c)));
        at = c;
      }
      out.push(...p.push(body.subarray(at)), ...p.end());
      assert.deepEqual(out.map(view), entries.map((e) => ({ stream: e.stream, time: e.time, data: e.data, partial: Boolean(e.partial) })));
    }),
  );
});

test("the daemon's error frame (stream 3) breaks the body off", () => {
  const payload = Buffer.from('error from daemon in stream: Error grabbing logs');
  const header = Buffer.alloc(8);
  header[0] = 3;
  header.writeUInt32BE(payload.length, 4);
  assert.throws(() => new DockerLogParser(false).push(Buffer.concat([header, payload])), DockerLogStreamError);
  // A log read without timestamps=true cannot be resumed: refuse it.
  assert.throws(() => new DockerLogParser(false).push(Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, 6]), Buffer.from('hello\n')])), /timestamp/);
});

test('TTY body: entries back to back; a 16 KiB piece is told by the next timestamp right after it', () => {
  const long = 'y'.repeat(PARTIAL_BYTES * 2 + 10);
  const text =
    `${dockerTime(T0)} first\r\n` +
    `${dockerTime(T0 + 1n)} ${long.slice(0, PARTIAL_BYTES)}` +
    `${dockerTime(T0 + 1n)} ${long.slice(PARTIAL_BYTES, 2 * PARTIAL_BYTES)}` +
    `${dockerTime(T0 + 1n)} ${long.slice(2 * PARTIAL_BYTES)}\r\n` +
    `${dockerTime(T0 + 2n)} unterminated`;
  const body = Buffer.from(text);
  for (const step of [body.length, 1000, 7]) {
    const p = new DockerLogParser(true);
    const out: LogEntry[] = [];
    for (let at = 0; at < body.length; at += step) out.push(...p.push(body.subarray(at, at + step)));
    const before = out.length;
    out.push(...p.end());
    assert.equal(before, 4, 'the unterminated last line waits for the end of the body');
    assert.deepEqual(
      out.map(view),
      [
        { stream: 'stdout', time: T0, data: 'first\r', partial: false },
        { stream: 'stdout', time: T0 + 1n, data: long.slice(0, PARTIAL_BYTES), partial: true },
        { stream: 'stdout', time: T0 + 1n, data: long.slice(PARTIAL_BYTES, 2 * PARTIAL_BYTES), partial: true },
        { stream: 'stdout', time: T0 + 1n, data: `${long.slice(2 * PARTIAL_BYTES)}\r`, partial: false },
        { stream: 'stdout', time: T0 + 2n, data: 'unterminated', partial: true },
      ],
      `chunks of ${step}`,
    );
  }
});
