// A chunk's payload: its events back to back, each as
//   [float64 LE timestamp][uint32 LE message byte length][message, UTF-8]
// Sequence numbers are implied (first_seq + index) and the ingestion time is
// the chunk's, so neither is stored per event. Timestamps are whole
// milliseconds, which a float64 holds exactly.

export const EVENT_HEADER_BYTES = 12;
/** A chunk holds at most this many events… */
export const CHUNK_MAX_EVENTS = 1000;
/** …and, unless one event is larger on its own, at most this many payload bytes. */
export const CHUNK_MAX_BYTES = 128 * 1024;

export interface ChunkSlice {
  /** Index of the first event (in the batch) and one past the last. */
  from: number;
  to: number;
  payload: Buffer;
  /** Sum of the messages' UTF-8 byte lengths. */
  bytes: number;
  /** Every message is ASCII (bytes = UTF-16 length), so the payload decodes one byte to one character. */
  ascii: boolean;
}

/**
 * Cuts events [from, to) of a batch into chunks of at most CHUNK_MAX_EVENTS
 * events and CHUNK_MAX_BYTES bytes and encodes each. `byteLengths` are the
 * messages' UTF-8 lengths, already measured for the batch-size rule.
 */
export function encodeChunks(timestamps: readonly number[], messages: readonly string[], byteLengths: readonly number[], from: number, to: number): ChunkSlice[] {
  const out: ChunkSlice[] = [];
  let start = from;
  while (start < to) {
    let end = start;
    let size = 0;
    while (end < to && end - start < CHUNK_MAX_EVENTS) {
      const next = EVENT_HEADER_BYTES + byteLengths[end]!;
      if (end > start && size + next > CHUNK_MAX_BYTES) break;
      size += next;
      end++;
    }
    const payload = Buffer.allocUnsafe(size);
    let off = 0;
    let bytes = 0;
    let chars = 0;
    for (let i = start; i < end; i++) {
      const len = byteLengths[i]!;
      chars += messages[i]!.length;
      payload.writeDoubleLE(timestamps[i]!, off);
      payload.writeUInt32LE(len, off + 8);
      payload.write(messages[i]!, off + EVENT_HEADER_BYTES, len, 'utf8');
      off += EVENT_HEADER_BYTES + len;
      bytes += len;
    }
    out.push({ from: start, to: end, payload, bytes, ascii: chars === bytes });
    start = end;
  }
  return out;
}

/** Where each event of a payload is: offsets of its message bytes, and its timestamp. */
export interface EventSpan {
  index: number;
  timestamp: number;
  start: number;
  end: number;
}

export function* eventSpans(payload: Buffer): Generator<EventSpan> {
  let off = 0;
  let index = 0;
  while (off < payload.length) {
    const timestamp = payload.readDoubleLE(off);
    const len = payload.readUInt32LE(off + 8);
    const start = off + EVENT_HEADER_BYTES;
    yield { index, timestamp, start, end: start + len };
    off = start + len;
    index++;
  }
}

/** The spans of a payload as arrays (for binary search and reverse walks). */
export function spanTable(payload: Buffer): { timestamps: Float64Array; starts: Uint32Array; ends: Uint32Array } {
  let n = 0;
  for (let off = 0; off < payload.length; n++) off += EVENT_HEADER_BYTES + payload.readUInt32LE(off + 8);
  const timestamps = new Float64Array(n);
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  let off = 0;
  for (let i = 0; i < n; i++) {
    timestamps[i] = payload.readDoubleLE(off);
    const len = payload.readUInt32LE(off + 8);
    starts[i] = off + EVENT_HEADER_BYTES;
    ends[i] = off + EVENT_HEADER_BYTES + len;
    off = ends[i]!;
  }
  return { timestamps, starts, ends };
}

/** Keeps the events of a payload whose index is ≥ `fromIndex`: what retention leaves of a chunk that straddles its cutoff. */
export function dropLeading(payload: Buffer, fromIndex: number): { payload: Buffer; bytes: number; count: number; minTs: number; maxTs: number } {
  const t = spanTable(payload);
  const n = t.timestamps.length;
  const startOff = fromIndex < n ? t.starts[fromIndex]! - EVENT_HEADER_BYTES : payload.length;
  const rest = Buffer.from(payload.subarray(startOff));
  let bytes = 0;
  for (let i = fromIndex; i < n; i++) bytes += t.ends[i]! - t.starts[i]!;
  return { payload: rest, bytes, count: n - fromIndex, minTs: t.timestamps[fromIndex] ?? 0, maxTs: t.timestamps[n - 1] ?? 0 };
}
