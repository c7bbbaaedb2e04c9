import type * as cwl from '@aws-sdk/client-cloudwatch-logs';
import type BetterSqlite3 from 'better-sqlite3';
import { acceptedWindow, EVENT_OVERHEAD_BYTES, MAX_SPAN_MS, type RejectedLogEventsInfo } from './batch-rules.js';
import { CHUNK_MAX_EVENTS, dropLeading, encodeChunks, spanTable } from './chunk.js';
import { scanBackward, scanForward, type ScanChunk, type ScannedEvent } from './chunk-scan.js';
import type { EventWaiters } from './event-waiters.js';
import type { ChunkMeta, GroupRow, StreamRow } from './schema.js';
import {
  decodePageToken,
  decodeStreamToken,
  encodePageToken,
  encodeStreamToken,
  eventId,
  ORIGIN,
  sequenceToken,
  type EventKey,
} from './tokens.js';

// Events: ingestion (one transaction per PutLogEvents batch), GetLogEvents
// (one stream, both directions, AWS's tokens), FilterLogEvents (a group, in
// timestamp order across streams), the follower's read by sequence, and
// retention's deletion.

/** A response carries at most this many bytes of events (messages + 26 bytes each), as AWS's do. */
export const MAX_RESPONSE_BYTES = 1_048_576;
export const MAX_EVENTS_PER_PAGE = 10_000;
const END: EventKey = { timestamp: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER };
/** How many chunk rows a scan reads from SQLite at a time. */
const META_PAGE = 256;

export interface MessageFilter {
  /** Substrings (UTF-8) every matching message contains. */
  required: readonly Buffer[];
  matches(message: string): boolean;
}

export interface PutOutcome {
  nextSequenceToken: string;
  rejectedLogEventsInfo?: RejectedLogEventsInfo;
  /** Sequence number of the last event stored by this batch, if it stored any. */
  lastSeq?: number;
}

export interface FollowedEvent {
  seq: number;
  timestamp: number;
  ingestionTime: number;
  logStreamName: string;
  message: string;
}

export class LogEvents {
  readonly #db: BetterSqlite3.Database;
  readonly #waiters: EventWaiters;
  #nextSeq: number;
  readonly #insertChunk: BetterSqlite3.Statement;
  readonly #updateStream: BetterSqlite3.Statement;
  readonly #addGroupBytes: BetterSqlite3.Statement;
  readonly #saveSeq: BetterSqlite3.Statement;
  readonly #payload: BetterSqlite3.Statement<[number], Buffer>;

  constructor(db: BetterSqlite3.Database, waiters: EventWaiters) {
    this.#db = db;
    this.#waiters = waiters;
    this.#nextSeq = (db.prepare("SELECT value FROM log_meta WHERE key = 'next_seq'").pluck().get() as number | undefined) ?? 1;
    this.#insertChunk = db.prepare(
      'INSERT INTO log_chunks (group_id, stream_id, first_seq, count, min_ts, max_ts, ingestion_time, bytes, ascii, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#updateStream = db.prepare(
      `UPDATE log_streams SET
         first_event_timestamp = min(coalesce(first_event_timestamp, @first), @first),
         last_event_timestamp = max(coalesce(last_event_timestamp, @last), @last),
         last_ingestion_time = @now, last_seq = @seq, stored_bytes = stored_bytes + @bytes
       WHERE id = @id`,
    );
    this.#addGroupBytes = db.prepare('UPDATE log_groups SET stored_bytes = stored_bytes + ? WHERE id = ?');
    this.#saveSeq = db.prepare("UPDATE log_meta SET value = ? WHERE key = 'next_seq'");
    this.#payload = db.prepare<[number], Buffer>('SELECT payload FROM log_chunks WHERE id = ?').pluck();
  }

  /**
   * Stores a shape-checked batch (see batch-rules.ts): the events in the
   * accepted window, all in one transaction, or nothing.
   */
  put(group: GroupRow, stream: StreamRow, timestamps: readonly number[], messages: readonly string[], byteLengths: readonly number[], now: number): PutOutcome {
    const window = acceptedWindow(timestamps, now, group.retention_days);
    const { from, to } = window;
    if (to <= from) {
      return { nextSequenceToken: sequenceToken(stream.last_seq ?? 0), rejectedLogEventsInfo: window.rejected };
    }
    const chunks = encodeChunks(timestamps, messages, byteLengths, from, to);
    const firstSeq = this.#nextSeq;
    const lastSeq = firstSeq + (to - from) - 1;
    let bytes = 0;
    this.#db.transaction(() => {
      let seq = firstSeq;
      for (const c of chunks) {
        const count = c.to - c.from;
        this.#insertChunk.run(group.id, stream.id, seq, count, timestamps[c.from]!, timestamps[c.to - 1]!, now, c.bytes, c.ascii ? 1 : 0, c.payload);
        seq += count;
        bytes += c.bytes;
      }
      this.#updateStream.run({ first: timestamps[from]!, last: timestamps[to - 1]!, now, seq: lastSeq, bytes, id: stream.id });
      this.#addGroupBytes.run(bytes, group.id);
      this.#saveSeq.run(lastSeq + 1);
    })();
    this.#nextSeq = lastSeq + 1;
    this.#waiters.notify(group.id, lastSeq);
    return { nextSequenceToken: sequenceToken(lastSeq), rejectedLogEventsInfo: window.rejected, lastSeq };
  }

  /** GetLogEvents on one stream. */
  get(stream: StreamRow, i: cwl.GetLogEventsRequest): cwl.GetLogEventsResponse {
    const lo = i.startTime ?? 0;
    // GetLogEvents: "Events with a timestamp equal to or later than this time are not included."
    const hi = i.endTime !== undefined ? i.endTime - 1 : Number.MAX_SAFE_INTEGER;
    const limit = i.limit ?? MAX_EVENTS_PER_PAGE;
    const token = i.nextToken !== undefined ? decodeStreamToken(i.nextToken, stream.id) : undefined;
    const direction = token?.direction ?? (i.startFromHead ? 'f' : 'b');
    const cursor = token?.cursor ?? (direction === 'f' ? ORIGIN : END);
    const scan = { lo, hi, limit };
    let events: ScannedEvent[];
    if (direction === 'f') {
      events = keepWithinBytes(scanForward(this.#streamForward(stream.id, cursor, lo, hi), cursor, scan), 'head');
    } else {
      events = keepWithinBytes(scanBackward(this.#streamBackward(stream.id, cursor, lo, hi), cursor, scan), 'tail');
    }
    const out = events.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime }));
    const first = events[0];
    const last = events.at(-1);
    if (first && last) {
      return {
        events: out,
        nextForwardToken: encodeStreamToken('f', last, stream.id),
        nextBackwardToken: encodeStreamToken('b', { timestamp: first.timestamp, seq: first.seq - 1 }, stream.id),
      };
    }
    // Nothing (more) in this direction: the same token comes back, so paginators stop.
    // A first call that finds nothing positions both tokens before everything, where new events will appear.
    const at = token ? cursor : ORIGIN;
    return {
      events: [],
      nextForwardToken: token?.direction === 'f' ? i.nextToken : encodeStreamToken('f', at, stream.id),
      nextBackwardToken: token?.direction === 'b' ? i.nextToken : encodeStreamToken('b', at, stream.id),
    };
  }

  /**
   * FilterLogEvents on a group, in (timestamp, seq) order, of events that
   * match `filter`. `streams` names the group's streams (id → name); with
   * `restrict`, only those streams are read.
   */
  filter(group: GroupRow, streams: ReadonlyMap<number, string>, restrict: boolean, i: cwl.FilterLogEventsRequest, filter: MessageFilter | undefined): cwl.FilterLogEventsResponse {
    const lo = i.startTime ?? 0;
    const hi = i.endTime ?? Number.MAX_SAFE_INTEGER;
    const limit = i.limit ?? MAX_EVENTS_PER_PAGE;
    const after = decodePageToken(i.nextToken, ['number', 'number'] as const);
    const cursor = after ? { timestamp: after[0], seq: after[1] } : ORIGIN;
    const chunks = this.#groupForward(group.id, cursor, lo, hi, restrict ? streams : undefined);
    const found = scanForward(chunks, cursor, { lo, hi, limit, required: filter?.required, test: filter ? (m) => filter.matches(m) : undefined });
    const events = keepWithinBytes(found, 'head');
    const last = events.at(-1);
    return {
      events: events.map((e) => ({
        logStreamName: streams.get(e.streamId),
        timestamp: e.timestamp,
        message: e.message,
        ingestionTime: e.ingestionTime,
        eventId: eventId(e),
      })),
      // "As of May 15, 2020, this parameter is no longer supported. This parameter returns an empty list."
      searchedLogStreams: [],
      nextToken: last && (found.length === limit || events.length < found.length) ? encodePageToken([last.timestamp, last.seq]) : undefined,
    };
  }

  /** The group's events with sequence numbers > afterSeq, in ingestion order: what a follower has not seen. */
  after(group: GroupRow, streams: ReadonlyMap<number, string>, afterSeq: number, limit: number): FollowedEvent[] {
    const out: FollowedEvent[] = [];
    const rows = this.#db
      .prepare<[number, number, number], ChunkMeta>(
        `SELECT id, stream_id, first_seq, count, min_ts, max_ts, ingestion_time, ascii FROM log_chunks
         WHERE group_id = ? AND first_seq > ? AND first_seq + count > ? ORDER BY first_seq`,
      )
      .iterate(group.id, afterSeq - CHUNK_MAX_EVENTS, afterSeq + 1);
    for (const c of rows) {
      const payload = this.#payload.get(c.id)!;
      const t = spanTable(payload);
      for (let k = 0; k < t.timestamps.length; k++) {
        const seq = c.first_seq + k;
        if (seq <= afterSeq) continue;
        out.push({
          seq,
          timestamp: t.timestamps[k]!,
          ingestionTime: c.ingestion_time,
          logStreamName: streams.get(c.stream_id) ?? '',
          message: payload.toString('utf8', t.starts[k]!, t.ends[k]!),
        });
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  /** The last sequence number of the group's events (0 when it has none). */
  latestSeq(groupId: number): number {
    return (this.#db.prepare('SELECT coalesce(max(last_seq), 0) FROM log_streams WHERE group_id = ?').pluck().get(groupId) as number) ?? 0;
  }

  /** Deletes the group's events older than `cutoff` (ms); returns how many and their bytes. */
  expire(group: GroupRow, cutoff: number): { events: number; bytes: number } {
    let events = 0;
    let bytes = 0;
    const perStream = new Map<number, number>();
    const note = (streamId: number, b: number) => perStream.set(streamId, (perStream.get(streamId) ?? 0) + b);
    this.#db.transaction(() => {
      const whole = this.#db
        .prepare<[number, number], { id: number; stream_id: number; count: number; bytes: number }>(
          'SELECT id, stream_id, count, bytes FROM log_chunks WHERE group_id = ? AND max_ts < ?',
        )
        .all(group.id, cutoff);
      const del = this.#db.prepare('DELETE FROM log_chunks WHERE id = ?');
      for (const c of whole) {
        del.run(c.id);
        events += c.count;
        bytes += c.bytes;
        note(c.stream_id, c.bytes);
      }
      const straddling = this.#db
        .prepare<[number, number, number], ChunkMeta & { bytes: number; payload: Buffer }>(
          'SELECT id, stream_id, first_seq, count, min_ts, max_ts, ingestion_time, ascii, bytes, payload FROM log_chunks WHERE group_id = ? AND min_ts < ? AND max_ts >= ?',
        )
        .all(group.id, cutoff, cutoff);
      const rewrite = this.#db.prepare('UPDATE log_chunks SET first_seq = ?, count = ?, min_ts = ?, bytes = ?, payload = ? WHERE id = ?');
      for (const c of straddling) {
        const t = spanTable(c.payload);
        let k = 0;
        while (k < t.timestamps.length && t.timestamps[k]! < cutoff) k++;
        const rest = dropLeading(c.payload, k);
        rewrite.run(c.first_seq + k, rest.count, rest.minTs, rest.bytes, rest.payload, c.id);
        events += k;
        bytes += c.bytes - rest.bytes;
        note(c.stream_id, c.bytes - rest.bytes);
      }
      const firstEvent = this.#db.prepare('SELECT min(min_ts) FROM log_chunks WHERE stream_id = ?').pluck();
      const updStream = this.#db.prepare('UPDATE log_streams SET stored_bytes = max(0, stored_bytes - ?), first_event_timestamp = ? WHERE id = ?');
      for (const [streamId, b] of perStream) updStream.run(b, firstEvent.get(streamId) ?? null, streamId);
      this.#db.prepare('UPDATE log_groups SET stored_bytes = max(0, stored_bytes - ?) WHERE id = ?').run(bytes, group.id);
    })();
    return { events, bytes };
  }

  // Chunk listings, paged out of SQLite META_PAGE rows at a time. A chunk's
  // events span at most 24 hours (the batch rule), which bounds how far
  // before a cursor a chunk that reaches it can start.

  *#streamForward(streamId: number, cursor: EventKey, lo: number, hi: number): Generator<ScanChunk> {
    const from = Math.max(lo, cursor.timestamp);
    yield* this.#pages(
      `SELECT id, stream_id, first_seq, count, min_ts, max_ts, ingestion_time, ascii FROM log_chunks
       WHERE stream_id = ? AND min_ts >= ? AND min_ts <= ? AND max_ts >= ? AND (min_ts, first_seq) > (?, ?)
       ORDER BY min_ts, first_seq LIMIT ${META_PAGE}`,
      (last) => [streamId, from - MAX_SPAN_MS, hi, from, last?.min_ts ?? -1, last?.first_seq ?? -1],
    );
  }

  *#streamBackward(streamId: number, cursor: EventKey, lo: number, hi: number): Generator<ScanChunk> {
    const to = Math.min(hi, cursor.timestamp);
    yield* this.#pages(
      `SELECT id, stream_id, first_seq, count, min_ts, max_ts, ingestion_time, ascii FROM log_chunks
       WHERE stream_id = ? AND max_ts <= ? AND max_ts >= ? AND min_ts <= ? AND (max_ts, first_seq) < (?, ?)
       ORDER BY max_ts DESC, first_seq DESC LIMIT ${META_PAGE}`,
      (last) => [streamId, to + MAX_SPAN_MS, lo, to, last?.max_ts ?? Number.MAX_SAFE_INTEGER, last?.first_seq ?? Number.MAX_SAFE_INTEGER],
    );
  }

  *#groupForward(groupId: number, cursor: EventKey, lo: number, hi: number, streams: ReadonlyMap<number, string> | undefined): Generator<ScanChunk> {
    const from = Math.max(lo, cursor.timestamp);
    for (const c of this.#pages(
      `SELECT id, stream_id, first_seq, count, min_ts, max_ts, ingestion_time, ascii FROM log_chunks
       WHERE group_id = ? AND min_ts >= ? AND min_ts <= ? AND max_ts >= ? AND (min_ts, first_seq) > (?, ?)
       ORDER BY min_ts, first_seq LIMIT ${META_PAGE}`,
      (last) => [groupId, from - MAX_SPAN_MS, hi, from, last?.min_ts ?? -1, last?.first_seq ?? -1],
    )) {
      if (!streams || streams.has(c.streamId)) yield c;
    }
  }

  *#pages(sql: string, args: (last: ChunkMeta | undefined) => unknown[]): Generator<ScanChunk> {
    const stmt = this.#db.prepare<unknown[], ChunkMeta>(sql);
    let last: ChunkMeta | undefined;
    for (;;) {
      const rows = stmt.all(...args(last));
      for (const r of rows) {
        yield {
          streamId: r.stream_id,
          firstSeq: r.first_seq,
          count: r.count,
          minTs: r.min_ts,
          maxTs: r.max_ts,
          ingestionTime: r.ingestion_time,
          ascii: r.ascii === 1,
          payload: () => this.#payload.get(r.id)!,
        };
      }
      if (rows.length < META_PAGE) return;
      last = rows.at(-1);
    }
  }
}

/** The events that fit in one response: from the oldest on ('head') or the newest back ('tail'). */
function keepWithinBytes(events: ScannedEvent[], keep: 'head' | 'tail'): ScannedEvent[] {
  let total = 0;
  if (keep === 'head') {
    for (let k = 0; k < events.length; k++) {
      total += Buffer.byteLength(events[k]!.message) + EVENT_OVERHEAD_BYTES;
      if (total > MAX_RESPONSE_BYTES) return events.slice(0, k);
    }
    return events;
  }
  for (let k = events.length - 1; k >= 0; k--) {
    total += Buffer.byteLength(events[k]!.message) + EVENT_OVERHEAD_BYTES;
    if (total > MAX_RESPONSE_BYTES) return events.slice(k + 1);
  }
  return events;
}
