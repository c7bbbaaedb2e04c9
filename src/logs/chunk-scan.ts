import { EVENT_HEADER_BYTES } from './chunk.js';
import { compareKeys, type EventKey } from './tokens.js';

// Reading events out of chunks in (timestamp, seq) order. Chunks of one
// stream or group may overlap in time (a later batch may carry older
// events), so a page is a merge: chunks come in order of their first
// timestamp (forwards) or last timestamp (backwards), and the scan stops once
// it holds `limit` events and the next chunk cannot hold a better one.
//
// When a filter pattern names substrings every match contains, a chunk whose
// payload lacks one is skipped without decoding anything, and inside a chunk
// only the events that contain them all are decoded and tested.

export interface ScanChunk {
  streamId: number;
  firstSeq: number;
  count: number;
  minTs: number;
  maxTs: number;
  ingestionTime: number;
  /** Every message in the chunk is ASCII. */
  ascii: boolean;
  /** The payload, read only when the scan needs it. */
  payload(): Buffer;
}

export interface ScannedEvent extends EventKey {
  ingestionTime: number;
  streamId: number;
  message: string;
}

export interface ScanOptions {
  /** Timestamps kept: lo ≤ t ≤ hi. */
  lo: number;
  hi: number;
  limit: number;
  /** Substrings (UTF-8) every kept message contains. */
  required?: readonly Buffer[];
  /** The full test, on messages that contain every required substring. */
  test?: (message: string) => boolean;
}

/** The first `limit` events with key > after, in order. */
export function scanForward(chunks: Iterable<ScanChunk>, after: EventKey, o: ScanOptions): ScannedEvent[] {
  const kept = new KeptEvents(o.limit, 1);
  for (const c of chunks) {
    if (c.maxTs < o.lo || c.minTs > o.hi) continue;
    const worst = kept.worst();
    if (worst && c.minTs > worst.timestamp) break;
    readChunk(c, o, (k) => compareKeys(k, after) > 0, kept, true);
  }
  return kept.sorted();
}

/** The last `limit` events with key ≤ upTo, in ascending order. */
export function scanBackward(chunks: Iterable<ScanChunk>, upTo: EventKey, o: ScanOptions): ScannedEvent[] {
  const kept = new KeptEvents(o.limit, -1);
  for (const c of chunks) {
    if (c.maxTs < o.lo || c.minTs > o.hi) continue;
    const worst = kept.worst();
    if (worst && c.maxTs < worst.timestamp) break;
    readChunk(c, o, (k) => compareKeys(k, upTo) <= 0, kept, false);
  }
  return kept.sorted().reverse();
}

function readChunk(c: ScanChunk, o: ScanOptions, inRange: (k: EventKey) => boolean, kept: KeptEvents, forward: boolean): void {
  const payload = c.payload();
  const required = o.required ?? [];
  // Where each required substring next occurs in the payload (-1: nowhere further).
  const next = new Array<number>(required.length);
  for (let r = 0; r < required.length; r++) {
    next[r] = payload.indexOf(required[r]!);
    if (next[r]! < 0) return;
  }
  // When every event is decoded (no required substrings), an ASCII chunk is
  // decoded once, as latin1 (one byte, one character), and its messages are
  // slices of that string: one native call per chunk instead of one per
  // event. With required substrings few events are decoded, so each is
  // decoded alone.
  const whole = c.ascii && required.length === 0;
  let text: string | undefined;
  let off = 0;
  for (let i = 0; off < payload.length; i++) {
    const timestamp = payload.readDoubleLE(off);
    const start = off + EVENT_HEADER_BYTES;
    const end = start + payload.readUInt32LE(off + 8);
    off = end;
    if (timestamp < o.lo || timestamp > o.hi) continue;
    const key = { timestamp, seq: c.firstSeq + i };
    if (!inRange(key)) continue;
    if (!kept.wants(key)) {
      // A chunk's events ascend: reading forwards, every later one is worse still.
      if (forward) return;
      continue;
    }
    let hasAll = true;
    for (let r = 0; r < required.length; r++) {
      const term = required[r]!;
      if (next[r]! >= 0 && next[r]! < start) next[r] = payload.indexOf(term, start);
      if (next[r]! < 0) return; // this substring occurs in no later event either
      if (next[r]! + term.length > end) {
        hasAll = false;
        break;
      }
    }
    if (!hasAll) continue;
    let message: string;
    if (whole) message = (text ??= payload.toString('latin1')).slice(start, end);
    else message = payload.toString('utf8', start, end);
    if (o.test && !o.test(message)) continue;
    kept.add({ timestamp, seq: key.seq, ingestionTime: c.ingestionTime, streamId: c.streamId, message });
  }
}

/**
 * The best `limit` events seen so far: smallest keys (direction 1) or largest
 * (-1). Unsorted until it fills; sorted from then on, each newcomer inserted
 * in place and the worst dropped.
 */
class KeptEvents {
  #events: ScannedEvent[] = [];
  #full = false;
  constructor(
    private readonly limit: number,
    private readonly direction: 1 | -1,
  ) {}

  #order = (a: EventKey, b: EventKey) => this.direction * compareKeys(a, b);

  /** The worst event kept, once `limit` are held: nothing worse can enter. */
  worst(): ScannedEvent | undefined {
    return this.#full ? this.#events[this.limit - 1] : undefined;
  }

  wants(k: EventKey): boolean {
    return !this.#full || this.#order(k, this.#events[this.limit - 1]!) < 0;
  }

  add(e: ScannedEvent): void {
    const events = this.#events;
    if (!this.#full) {
      events.push(e);
      if (events.length === this.limit) {
        events.sort(this.#order);
        this.#full = true;
      }
      return;
    }
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#order(events[mid]!, e) < 0) lo = mid + 1;
      else hi = mid;
    }
    events.splice(lo, 0, e);
    events.pop();
  }

  sorted(): ScannedEvent[] {
    if (!this.#full) this.#events.sort(this.#order);
    return this.#events;
  }
}
