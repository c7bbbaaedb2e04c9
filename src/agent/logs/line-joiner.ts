import { StringDecoder } from 'node:string_decoder';
import type { LogEntry, LogStreamName } from './docker-log-stream.js';
import { toMillis } from './docker-time.js';
import type { Position } from './positions.js';

// Docker's entries → the messages Docker's own awslogs driver would have
// been given: json-file's 16 KiB pieces are joined back into lines (per
// stream: stdout and stderr pieces may interleave), and a line longer than
// one CloudWatch event is cut into pieces of at most `maxBytes` UTF-8 bytes
// without splitting a character, as the awslogs driver's copier does (invalid
// UTF-8 counts as U+FFFD, 3 bytes, as CloudWatch stores it).
//
// Messages come out in the order their lines began, so that "everything up to
// here is shipped" is always a prefix of the log: a line that began while
// another was still open waits for it. Each message says where a reader
// resumes once it is shipped (`end`).

export interface LogMessage {
  /** Milliseconds since the epoch: Docker's time of the line's first piece. */
  timestamp: number;
  text: string;
  /** UTF-8 length of `text`. */
  bytes: number;
  /** false: a piece of an over-long line, more follows. */
  final: boolean;
  end: Position;
}

interface Line {
  stream: LogStreamName;
  firstSeq: number;
  timestamp: number;
  decoder?: StringDecoder;
  text: string;
  bytes: number;
  /** Pieces cut, waiting for their turn. */
  ready: Array<{ text: string; bytes: number }>;
  /** Pieces of this line emitted (or dropped) so far. */
  emitted: number;
  /** Pieces to drop: already shipped before a restart. */
  drop: number;
  done: boolean;
}

export class LineJoiner {
  readonly #maxBytes: number;
  #drop: number;
  /** Lines not yet fully emitted, in the order they began. */
  readonly #lines: Line[] = [];
  readonly #open = new Map<LogStreamName, Line>();
  #lastSeq = 0;

  /** `dropChunks`: pieces of the first line already shipped (a cursor's `chunks`). */
  constructor(opts: { maxBytes: number; dropChunks?: number }) {
    this.#maxBytes = opts.maxBytes;
    this.#drop = opts.dropChunks ?? 0;
  }

  /** Lines begun and not yet emitted (they hold back everything after them). */
  get pending(): number {
    return this.#lines.length;
  }

  push(entry: LogEntry, seq: number): LogMessage[] {
    this.#lastSeq = seq;
    let line = this.#open.get(entry.stream);
    if (!line && !entry.partial && !this.#lines.length && !this.#drop) {
      // The common case: a whole line, nothing waiting.
      const text = entry.data.toString('utf8');
      const bytes = Buffer.byteLength(text);
      if (bytes <= this.#maxBytes) return [{ timestamp: toMillis(entry.time), text, bytes, final: true, end: { seq, chunks: 0 } }];
    }
    if (!line) {
      line = { stream: entry.stream, firstSeq: seq, timestamp: toMillis(entry.time), text: '', bytes: 0, ready: [], emitted: 0, drop: this.#drop, done: false };
      this.#drop = 0;
      this.#lines.push(line);
    }
    let piece: string;
    if (entry.partial) {
      line.decoder ??= new StringDecoder('utf8');
      piece = line.decoder.write(entry.data);
      this.#open.set(entry.stream, line);
    } else {
      piece = line.decoder ? line.decoder.write(entry.data) + line.decoder.end() : entry.data.toString('utf8');
      this.#open.delete(entry.stream);
    }
    this.#append(line, piece);
    if (!entry.partial) this.#finish(line);
    return this.#emit();
  }

  /** The log ended: lines left open (no final newline) end here. */
  end(): LogMessage[] {
    for (const line of this.#open.values()) {
      if (line.decoder) this.#append(line, line.decoder.end());
      this.#finish(line);
    }
    this.#open.clear();
    return this.#emit();
  }

  #append(line: Line, piece: string): void {
    if (!piece) return;
    line.text += piece;
    line.bytes += Buffer.byteLength(piece);
    while (line.bytes > this.#maxBytes) {
      const cut = utf8Prefix(line.text, this.#maxBytes);
      const head = line.text.slice(0, cut);
      const headBytes = Buffer.byteLength(head);
      line.ready.push({ text: head, bytes: headBytes });
      line.text = line.text.slice(cut);
      line.bytes -= headBytes;
    }
  }

  #finish(line: Line): void {
    // The rest is the last piece (an empty line is one empty piece).
    if (line.text || !line.ready.length) line.ready.push({ text: line.text, bytes: line.bytes });
    line.text = '';
    line.bytes = 0;
    line.done = true;
  }

  #emit(): LogMessage[] {
    const out: LogMessage[] = [];
    while (this.#lines.length) {
      const line = this.#lines[0]!;
      while (line.ready.length) {
        const piece = line.ready.shift()!;
        const index = line.emitted++;
        const last = line.done && !line.ready.length;
        if (index < line.drop) continue;
        const end: Position = last ? { seq: this.#lines[1] ? this.#lines[1].firstSeq - 1 : this.#lastSeq, chunks: 0 } : { seq: line.firstSeq - 1, chunks: index + 1 };
        out.push({ timestamp: line.timestamp, text: piece.text, bytes: piece.bytes, final: last, end });
      }
      if (!line.done) break;
      this.#lines.shift();
    }
    return out;
  }
}

/** The longest prefix of `text` (in UTF-16 units) whose UTF-8 form has at most `maxBytes` bytes, never splitting a surrogate pair. */
export function utf8Prefix(text: string, maxBytes: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    let size: number;
    let units = 1;
    if (c < 0x80) size = 1;
    else if (c < 0x800) size = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      size = 4;
      units = 2;
    } else size = 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += units;
  }
  return i;
}
