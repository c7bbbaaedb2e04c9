import { sinceParameter } from './docker-time.js';

// Where a reader of a container's Docker log resumes. Docker gives no file
// offsets, only `since` (entries at or after a time, to the nanosecond), so a
// place in the log is named by a time and a count: resume with `since`, skip
// the first `skip` entries (they were shipped), then drop the first `chunks`
// pieces of the line that follows when it is longer than one event.
//
// Docker stamps stdout and stderr lines in two goroutines before one lock, so
// the log's order can run a little backwards in time across the two streams.
// A cursor at exactly the newest shipped time would then miss an older-stamped
// line written after it; resuming REORDER_MARGIN_NS earlier and counting the
// shipped entries from there does not. Skipping stops at the first entry
// newer than anything shipped (`newest`): if rotation removed lines from
// Docker's log meanwhile, no unshipped line is skipped for them.

export interface LogCursor {
  /** Docker's `since`, in nanoseconds since the epoch (decimal text: a bigint). */
  since: string;
  /** Entries at or after `since`, in the log's order, already shipped. */
  skip: number;
  /** Pieces already shipped of the over-long line that follows them. */
  chunks: number;
  /** The newest Docker timestamp among the shipped entries (ns, decimal). */
  newest: string;
}

export const LOG_START: LogCursor = { since: '0', skip: 0, chunks: 0, newest: '0' };

/** Entries up to `seq` (numbered from 1 in the order read) are shipped, plus `chunks` pieces of the line after. */
export interface Position {
  seq: number;
  chunks: number;
}

/** How far back in time a line may be stamped after one the log already holds. */
export const REORDER_MARGIN_NS = 1_000_000_000n;

export function cursorSince(c: LogCursor): string {
  return sinceParameter(BigInt(c.since));
}

export class LogPositions {
  readonly #from: LogCursor;
  readonly #floor: bigint;
  readonly #margin: bigint;
  /** Docker times of the entries kept, and the newest time up to each (everything recorded, plus the cursor's newest). */
  #times = new BigInt64Array(1024);
  #maxes = new BigInt64Array(1024);
  #start = 0;
  #count = 0;
  /** seq of the first entry kept. */
  #firstSeq = 1;
  #lastSeq = 0;
  #newest: bigint;
  /** The newest time up to the last entry released. */
  #releasedNewest: bigint;

  constructor(from: LogCursor = LOG_START, margin = REORDER_MARGIN_NS) {
    this.#from = from;
    this.#floor = BigInt(from.since);
    this.#newest = BigInt(from.newest);
    this.#releasedNewest = this.#newest;
    this.#margin = margin;
  }

  /** The number of the last entry recorded (0: none). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Entries kept to compute cursors (for tests and stats). */
  get kept(): number {
    return this.#count;
  }

  /** An entry read from the log, in order: its number. */
  record(time: bigint): number {
    if (this.#start + this.#count === this.#times.length) this.#makeRoom();
    if (time > this.#newest) this.#newest = time;
    const i = this.#start + this.#count;
    this.#times[i] = time;
    this.#maxes[i] = this.#newest;
    this.#count++;
    return ++this.#lastSeq;
  }

  /** The cursor to resume from once everything up to `p` is shipped. */
  cursorAt(p: Position): LogCursor {
    if (p.seq <= 0) return { ...this.#from, chunks: p.seq === 0 && this.#from.skip === 0 ? p.chunks : this.#from.chunks };
    if (p.seq > this.#lastSeq) throw new RangeError(`position ${p.seq} is beyond the last entry read (${this.#lastSeq})`);
    const newest = this.#newestUpTo(p.seq);
    const since = this.#sinceFor(newest);
    let skip = 0;
    const end = this.#start + Math.min(p.seq - this.#firstSeq, this.#count - 1);
    for (let i = this.#start; i <= end; i++) if (this.#times[i]! >= since) skip++;
    return { since: String(since), skip, chunks: p.chunks, newest: String(newest) };
  }

  /** Everything up to `p` is shipped for good: forget the entries no later cursor counts. */
  release(p: Position): void {
    if (p.seq <= 0 || p.seq < this.#firstSeq) return;
    const since = this.#sinceFor(this.#newestUpTo(p.seq));
    while (this.#count && this.#firstSeq <= p.seq && this.#times[this.#start]! < since) {
      this.#releasedNewest = this.#maxes[this.#start]!;
      this.#start++;
      this.#count--;
      this.#firstSeq++;
    }
  }

  /** Positions before the last one released are never asked for again (acknowledgements come in order). */
  #newestUpTo(seq: number): bigint {
    if (seq < this.#firstSeq) return this.#releasedNewest;
    return this.#maxes[this.#start + (seq - this.#firstSeq)]!;
  }

  #sinceFor(newest: bigint): bigint {
    const s = newest - this.#margin;
    return s > this.#floor ? s : this.#floor;
  }

  #makeRoom(): void {
    if (this.#start > this.#times.length / 2) {
      this.#times.copyWithin(0, this.#start, this.#start + this.#count);
      this.#maxes.copyWithin(0, this.#start, this.#start + this.#count);
      this.#start = 0;
      return;
    }
    const times = new BigInt64Array(this.#times.length * 2);
    const maxes = new BigInt64Array(this.#times.length * 2);
    times.set(this.#times.subarray(this.#start, this.#start + this.#count));
    maxes.set(this.#maxes.subarray(this.#start, this.#start + this.#count));
    this.#times = times;
    this.#maxes = maxes;
    this.#start = 0;
  }
}
