import type * as cwl from '@aws-sdk/client-cloudwatch-logs';
import type BetterSqlite3 from 'better-sqlite3';
import { AwsError } from '../gateway/errors.js';
import { checkDeletable, DEFAULT_PAGE } from './groups.js';
import { checkStreamName, logStreamArn, streamNotFound } from './names.js';
import type { GroupRow, StreamRow } from './schema.js';
import { decodePageToken, encodePageToken, sequenceToken } from './tokens.js';

// Log streams of a group. A stream's first/last event timestamps, last
// ingestion time and last sequence number change with every batch it takes
// (events.ts updates them in the batch's transaction).

export class LogStreams {
  readonly #db: BetterSqlite3.Database;
  readonly #byName: BetterSqlite3.Statement<[number, string], StreamRow>;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    this.#byName = db.prepare('SELECT * FROM log_streams WHERE group_id = ? AND name = ?');
  }

  find(group: GroupRow, name: string): StreamRow | undefined {
    return this.#byName.get(group.id, name);
  }

  get(group: GroupRow, name: string): StreamRow {
    const row = this.find(group, name);
    if (!row) throw streamNotFound();
    return row;
  }

  create(group: GroupRow, name: string, now: number): StreamRow {
    checkStreamName(name);
    if (this.find(group, name)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
    this.#db.prepare('INSERT INTO log_streams (group_id, name, creation_time) VALUES (?, ?, ?)').run(group.id, name, now);
    return this.find(group, name)!;
  }

  /** Deletes the stream and its events; the group's stored bytes shrink by what it held. */
  delete(group: GroupRow, name: string): StreamRow {
    const row = this.get(group, name);
    checkDeletable(group);
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM log_streams WHERE id = ?').run(row.id);
      this.#db.prepare('UPDATE log_groups SET stored_bytes = max(0, stored_bytes - ?) WHERE id = ?').run(row.stored_bytes, group.id);
    })();
    return row;
  }

  /** Streams of a group whose names start with `prefix` (all of them for ''). */
  idsWithPrefix(group: GroupRow, prefix: string): Map<number, string> {
    const rows = this.#db
      .prepare<[number, number, string], { id: number; name: string }>('SELECT id, name FROM log_streams WHERE group_id = ? AND substr(name, 1, ?) = ?')
      .all(group.id, prefix.length, prefix);
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  names(group: GroupRow): Map<number, string> {
    return this.idsWithPrefix(group, '');
  }

  describe(group: GroupRow, i: cwl.DescribeLogStreamsRequest): cwl.DescribeLogStreamsResponse {
    const byTime = i.orderBy === 'LastEventTime';
    if (byTime && i.logStreamNamePrefix !== undefined) throw new AwsError('InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.');
    const limit = i.limit ?? DEFAULT_PAGE;
    const desc = i.descending === true;
    const cmp = desc ? '<' : '>';
    const dir = desc ? 'DESC' : 'ASC';
    const where = ['group_id = ?'];
    const args: unknown[] = [group.id];
    if (i.logStreamNamePrefix) {
      where.push('substr(name, 1, ?) = ?');
      args.push(i.logStreamNamePrefix.length, i.logStreamNamePrefix);
    }
    let order: string;
    if (byTime) {
      const after = decodePageToken(i.nextToken, ['number', 'string'] as const);
      if (after) {
        where.push(`(coalesce(last_event_timestamp, 0), name) ${cmp} (?, ?)`);
        args.push(after[0], after[1]);
      }
      order = `coalesce(last_event_timestamp, 0) ${dir}, name ${dir}`;
    } else {
      const after = decodePageToken(i.nextToken, ['string'] as const);
      if (after) {
        where.push(`name ${cmp} ?`);
        args.push(after[0]);
      }
      order = `name ${dir}`;
    }
    const rows = this.#db.prepare<unknown[], StreamRow>(`SELECT * FROM log_streams WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`).all(...args, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      logStreams: page.map((r) => streamView(group, r)),
      nextToken: rows.length > limit && last ? encodePageToken(byTime ? [last.last_event_timestamp ?? 0, last.name] : [last.name]) : undefined,
    };
  }
}

export function streamView(group: GroupRow, r: StreamRow): cwl.LogStream {
  return {
    logStreamName: r.name,
    creationTime: r.creation_time,
    firstEventTimestamp: r.first_event_timestamp ?? undefined,
    lastEventTimestamp: r.last_event_timestamp ?? undefined,
    lastIngestionTime: r.last_ingestion_time ?? undefined,
    uploadSequenceToken: r.last_seq !== null ? sequenceToken(r.last_seq) : undefined,
    arn: logStreamArn({ accountId: group.account_id, region: group.region }, group.name, r.name),
    // "As of June 17, 2019, this parameter is no longer supported for log streams, and is always reported as zero."
    storedBytes: 0,
  };
}
