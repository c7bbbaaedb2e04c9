import { parseDockerTime } from './docker-time.js';

// The body of the Engine API's GET /containers/{id}/logs with
// timestamps=true, cut into Docker's own log entries. Each entry is what the
// json-file driver stored: one line, or a 16 KiB piece of a longer one (a
// "partial" message, without a newline), prefixed with its timestamp.
//
// Without a TTY the body is multiplexed: an 8-byte header (stream, 0, 0, 0,
// big-endian length) before each write, and Docker writes each entry in one
// frame, so a frame is an entry. With a TTY the body is the entries one after
// another; a partial entry is then recognised by its size (exactly
// PARTIAL_BYTES) and the timestamp of the next piece right after it.

export type LogStreamName = 'stdout' | 'stderr';

export interface LogEntry {
  stream: LogStreamName;
  /** Docker's timestamp, nanoseconds since the epoch. */
  time: bigint;
  /** The bytes logged, without the newline that ends a complete line (a view of the chunk read: consume it at once). */
  data: Buffer;
  /** A piece of a longer line, or the unterminated end of the log. */
  partial: boolean;
}

/** Docker's log copier cuts lines longer than this into pieces (json-file's buffer size). */
export const PARTIAL_BYTES = 16 * 1024;
const HEADER_BYTES = 8;
/** A timestamp is at most "2006-01-02T15:04:05.999999999+07:00" long. */
const MAX_TIME_TEXT = 35;
const NEWLINE = 0x0a;
const SPACE = 0x20;

export class DockerLogStreamError extends Error {}

export class DockerLogParser {
  readonly #tty: boolean;
  #buf: Buffer = Buffer.alloc(0);

  constructor(tty: boolean) {
    this.#tty = tty;
  }

  /** The entries completed by this chunk of the body. */
  push(chunk: Buffer): LogEntry[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    return this.#tty ? this.#ttyEntries(false) : this.#frames();
  }

  /** The body ended: a TTY log's unterminated last line is an entry too. */
  end(): LogEntry[] {
    if (!this.#tty) {
      this.#buf = Buffer.alloc(0);
      return [];
    }
    return this.#ttyEntries(true);
  }

  #frames(): LogEntry[] {
    const out: LogEntry[] = [];
    let at = 0;
    const buf = this.#buf;
    while (buf.length - at >= HEADER_BYTES) {
      const kind = buf[at]!;
      const size = buf.readUInt32BE(at + 4);
      if (buf.length - at - HEADER_BYTES < size) break;
      const payload = buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + size);
      at += HEADER_BYTES + size;
      if (kind === 3) throw new DockerLogStreamError(`the Docker daemon broke off the log: ${payload.toString('utf8').trim()}`);
      if (kind !== 1 && kind !== 2) continue;
      out.push(entryOf(kind === 1 ? 'stdout' : 'stderr', payload));
    }
    this.#buf = at === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
    return out;
  }

  #ttyEntries(ended: boolean): LogEntry[] {
    const out: LogEntry[] = [];
    const buf = this.#buf;
    let at = 0;
    for (;;) {
      const space = buf.indexOf(SPACE, at);
      if (space < 0 || space - at > MAX_TIME_TEXT) {
        if (buf.length - at > MAX_TIME_TEXT) throw new DockerLogStreamError('a TTY log entry does not start with a timestamp');
        break;
      }
      const time = parseDockerTime(buf.toString('latin1', at, space));
      if (time === undefined) throw new DockerLogStreamError('a TTY log entry does not start with a timestamp');
      const start = space + 1;
      const newline = buf.indexOf(NEWLINE, start);
      const lineEnd = newline < 0 ? buf.length : newline;
      if (lineEnd - start > PARTIAL_BYTES) {
        // Longer than a piece: either the next piece's timestamp follows at PARTIAL_BYTES, or we wait for it.
        const next = start + PARTIAL_BYTES;
        const nextSpace = buf.indexOf(SPACE, next);
        if (nextSpace >= 0 && nextSpace - next <= MAX_TIME_TEXT && parseDockerTime(buf.toString('latin1', next, nextSpace)) !== undefined) {
          out.push({ stream: 'stdout', time, data: buf.subarray(start, next), partial: true });
          at = next;
          continue;
        }
        if (newline < 0 && buf.length - next <= MAX_TIME_TEXT && !ended) break;
      }
      if (newline < 0) {
        if (!ended) break;
        if (lineEnd > start) out.push({ stream: 'stdout', time, data: buf.subarray(start, lineEnd), partial: true });
        at = buf.length;
        break;
      }
      out.push({ stream: 'stdout', time, data: buf.subarray(start, newline), partial: false });
      at = newline + 1;
    }
    this.#buf = at === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
    return out;
  }
}

function entryOf(stream: LogStreamName, payload: Buffer): LogEntry {
  const space = payload.indexOf(SPACE);
  const time = space > 0 && space <= MAX_TIME_TEXT ? parseDockerTime(payload.toString('latin1', 0, space)) : undefined;
  if (time === undefined) throw new DockerLogStreamError('a log entry does not start with a timestamp (was the log read without timestamps=true?)');
  const complete = payload.length > space + 1 && payload[payload.length - 1] === NEWLINE;
  const data = payload.subarray(space + 1, complete ? payload.length - 1 : payload.length);
  return { stream, time, data, partial: !complete };
}
