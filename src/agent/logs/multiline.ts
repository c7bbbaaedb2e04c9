import type { LogMessage } from './line-joiner.js';
import type { Position } from './positions.js';

// awslogs-multiline-pattern and awslogs-datetime-format, as Docker's awslogs
// driver reads them: a line that matches the pattern (anywhere in it: Go's
// regexp.Match is not anchored) starts a new event, and the lines that follow
// until the next match join it, each followed by "\n". The datetime format is
// strftime, turned into a pattern by Docker's own table (a sequence the table
// lacks becomes nothing; other characters are taken as regular expression
// text, unescaped, as Docker does). An event is cut before it would exceed
// the event size, and a buffer older than the flush interval is sent as it is.

/** Docker's strftime → regular expression table (daemon/logger/awslogs). */
const STRFTIME: Record<string, string> = {
  '%a': '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)',
  '%A': '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)',
  '%w': '[0-6]',
  '%d': '(?:0[1-9]|[1,2][0-9]|3[0,1])',
  '%b': '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)',
  '%B': '(?:January|February|March|April|May|June|July|August|September|October|November|December)',
  '%m': '(?:0[1-9]|1[0-2])',
  '%Y': '\\d{4}',
  '%y': '\\d{2}',
  '%H': '(?:[0,1][0-9]|2[0-3])',
  '%I': '(?:0[0-9]|1[0-2])',
  '%p': '[A,P]M',
  '%M': '[0-5][0-9]',
  '%S': '[0-5][0-9]',
  '%f': '\\d{6}',
  '%z': '[+-]\\d{4}',
  '%Z': '[A-Z]{1,4}T',
  '%j': '(?:0[0-9][1-9]|[1,2][0-9][0-9]|3[0-5][0-9]|36[0-6])',
  '%L': '\\.\\d{3}',
};

/** awslogs-datetime-format → the pattern Docker matches lines against. */
export function strftimeToPattern(format: string): string {
  return format.replace(/%[\s\S]/g, (s) => STRFTIME[s] ?? '');
}

/**
 * The multiline start pattern of the options, compiled; undefined without
 * one. Go's RE2 syntax is translated where JavaScript spells it differently
 * (`(?P<name>`, leading `(?i)`/`(?s)`/`(?m)` flags, `\A`, `\z`, `\Q…\E`,
 * POSIX classes); an error reads as Docker's.
 */
export function multilineStart(opts: { datetimeFormat?: string; multilinePattern?: string }): RegExp | undefined {
  const source = opts.datetimeFormat ? strftimeToPattern(opts.datetimeFormat) : opts.multilinePattern;
  if (!source) return undefined;
  try {
    return goRegExp(source);
  } catch (e) {
    throw new Error(`awslogs could not parse multiline pattern key "${source}": ${(e as Error).message}`);
  }
}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function goRegExp(source: string): RegExp {
  let flags = '';
  let s = source;
  const lead = /^\(\?([imsU]+)\)/.exec(s);
  if (lead) {
    if (lead[1]!.includes('U')) throw new Error('the (?U) flag has no JavaScript equivalent');
    flags = [...new Set(lead[1]!)].join('');
    s = s.slice(lead[0].length);
  }
  s = s.replace(/\\Q([\s\S]*?)(?:\\E|$)/g, (_, lit: string) => lit.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'));
  s = s.replace(/\(\?P</g, '(?<');
  s = s.replace(/\\A/g, '^').replace(/\\z/g, '$');
  s = s.replace(/\[:(\^?)([a-z]+):\]/g, (whole, neg: string, name: string) => {
    const set = POSIX[name];
    if (!set) return whole;
    if (neg) throw new Error(`negated POSIX class [:^${name}:] is not supported`);
    return set;
  });
  return new RegExp(s, flags);
}

/** One CloudWatch event, with where a reader resumes once it is shipped. */
export interface LogEvent {
  timestamp: number;
  message: string;
  /** UTF-8 length of `message`. */
  bytes: number;
  end: Position;
}

/** Messages → events without multiline: one event per line (empty lines are not events, as with Docker). */
export function eventsOf(messages: readonly LogMessage[]): LogEvent[] {
  const out: LogEvent[] = [];
  for (const m of messages) if (m.bytes) out.push({ timestamp: m.timestamp, message: m.text, bytes: m.bytes, end: m.end });
  return out;
}

export class MultilineGrouper {
  readonly #start: RegExp;
  readonly #maxBytes: number;
  readonly #flushAfterMs: number;
  #parts: string[] = [];
  #bytes = 0;
  #timestamp = 0;
  #since = 0;
  #end: Position | undefined;

  constructor(start: RegExp, opts: { maxBytes: number; flushAfterMs: number }) {
    this.#start = start;
    this.#maxBytes = opts.maxBytes;
    this.#flushAfterMs = opts.flushAfterMs;
  }

  /** When the buffered event is due to go out as it is (undefined: nothing buffered). */
  get dueAt(): number | undefined {
    return this.#end ? this.#since + this.#flushAfterMs : undefined;
  }

  push(m: LogMessage, now: number): LogEvent[] {
    const out: LogEvent[] = [];
    if (!m.final) {
      // A piece of an over-long line fills an event by itself.
      this.#flush(out);
      out.push({ timestamp: m.timestamp, message: m.text, bytes: m.bytes, end: m.end });
      return out;
    }
    // Docker's rule, counting the newline it adds: a buffer never grows past one event.
    if (this.#end && (this.#start.test(m.text) || this.#bytes + m.bytes + 1 > this.#maxBytes)) this.#flush(out);
    if (!this.#end) {
      this.#timestamp = m.timestamp;
      this.#since = now;
    }
    if (m.bytes < this.#maxBytes) {
      this.#parts.push(m.text, '\n');
      this.#bytes += m.bytes + 1;
    } else {
      this.#parts.push(m.text);
      this.#bytes += m.bytes;
    }
    this.#end = m.end;
    return out;
  }

  /** The buffered event, if it has waited its flush interval. */
  expire(now: number): LogEvent[] {
    const out: LogEvent[] = [];
    if (this.#end && now >= this.#since + this.#flushAfterMs) this.#flush(out);
    return out;
  }

  /** The log ended: the buffered event goes out. */
  end(): LogEvent[] {
    const out: LogEvent[] = [];
    this.#flush(out);
    return out;
  }

  #flush(out: LogEvent[]): void {
    if (!this.#end) return;
    out.push({ timestamp: this.#timestamp, message: this.#parts.join(''), bytes: this.#bytes, end: this.#end });
    this.#parts = [];
    this.#bytes = 0;
    this.#end = undefined;
  }
}
