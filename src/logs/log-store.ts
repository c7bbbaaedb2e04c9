import type * as cwl from '@aws-sdk/client-cloudwatch-logs';
import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Scope } from '../control/arns.js';
import { AwsError } from '../gateway/errors.js';
import { checkBatchShape } from './batch-rules.js';
import { EventWaiters } from './event-waiters.js';
import { LogEvents, type FollowedEvent, type MessageFilter } from './events.js';
import { LogGroups, type CreateGroupInput } from './groups.js';
import { compilePatternOrThrow, MetricFilters } from './metric-filters.js';
import { groupNameFromIdentifier, groupNameOf, groupNotFound, streamNotFound, type GroupRef } from './names.js';
import { retentionCutoff, type RetentionSweep } from './retention.js';
import { migrateLogStore, type GroupRow } from './schema.js';
import { LogStreams } from './streams.js';
import { LogTags } from './tags.js';

// The CloudWatch Logs store: its own SQLite file, apart from the control
// store, so ingestion never waits on (or holds) the control plane's write
// lock. better-sqlite3 is synchronous: every method here runs to completion
// on the event loop, one at a time, and each PutLogEvents batch is one
// transaction.

export class LogStore {
  readonly groups: LogGroups;
  readonly streams: LogStreams;
  readonly events: LogEvents;
  readonly tags: LogTags;
  readonly metricFilters: MetricFilters;
  readonly #db: BetterSqlite3.Database;
  readonly #waiters = new EventWaiters();

  private constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    this.groups = new LogGroups(db);
    this.streams = new LogStreams(db);
    this.events = new LogEvents(db, this.#waiters);
    this.tags = new LogTags(db);
    this.metricFilters = new MetricFilters(db);
  }

  /** Opens (creating if need be) the store in `file`, e.g. `<dataDir>/logs.sqlite`, or ':memory:'. */
  static open(file: string): LogStore {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrateLogStore(db);
    return new LogStore(db);
  }

  /** The group a request names (logGroupName or logGroupIdentifier). */
  group(scope: Scope, ref: GroupRef): GroupRow {
    return this.groups.get(scope, groupNameOf(scope, ref));
  }

  createLogGroup(scope: Scope, i: CreateGroupInput & { tags?: Record<string, string> }, now: number): GroupRow {
    return this.#db.transaction(() => {
      const group = this.groups.create(scope, i, now);
      if (i.tags) this.tags.set(group, i.tags, this.groups.arnOf(group));
      return group;
    })();
  }

  deleteLogGroup(scope: Scope, name: string): void {
    const group = this.groups.delete(scope, name);
    this.#waiters.release(group.id);
  }

  /** PutLogEvents: `timestamps[k]` and `messages[k]` are event k's (type-checked by the caller). */
  putLogEvents(scope: Scope, i: { logGroupName: string; logStreamName: string }, timestamps: number[], messages: string[], now: number): cwl.PutLogEventsResponse {
    // Count, size and order fail the whole batch before anything is looked up or written.
    const { byteLengths } = checkBatchShape(timestamps, messages);
    const group = this.groups.get(scope, i.logGroupName);
    const stream = this.streams.get(group, i.logStreamName);
    const out = this.events.put(group, stream, timestamps, messages, byteLengths, now);
    return { nextSequenceToken: out.nextSequenceToken, rejectedLogEventsInfo: out.rejectedLogEventsInfo };
  }

  getLogEvents(scope: Scope, i: cwl.GetLogEventsRequest): cwl.GetLogEventsResponse {
    const group = this.group(scope, i);
    return this.events.get(this.streams.get(group, i.logStreamName!), i);
  }

  filterLogEvents(scope: Scope, i: cwl.FilterLogEventsRequest): cwl.FilterLogEventsResponse {
    const group = this.group(scope, i);
    if (i.logStreamNames !== undefined && i.logStreamNamePrefix !== undefined) {
      throw new AwsError('InvalidParameterException', 'Cannot specify both logStreamNames and logStreamNamePrefix.');
    }
    const pattern = i.filterPattern?.trim() ? compilePatternOrThrow(i.filterPattern) : undefined;
    const filter: MessageFilter | undefined = pattern && { required: pattern.required.map((s) => Buffer.from(s, 'utf8')), matches: (m) => pattern.matches(m) };
    let streams: Map<number, string>;
    let restrict = true;
    if (i.logStreamNames) {
      streams = new Map();
      for (const name of i.logStreamNames) {
        const s = this.streams.find(group, name);
        if (!s) throw streamNotFound();
        streams.set(s.id, s.name);
      }
    } else if (i.logStreamNamePrefix !== undefined) {
      streams = this.streams.idsWithPrefix(group, i.logStreamNamePrefix);
    } else {
      streams = this.streams.names(group);
      restrict = false;
    }
    if (restrict && streams.size === 0) return { events: [], searchedLogStreams: [] };
    return this.events.filter(group, streams, restrict, i, filter);
  }

  /** The group an ARN (either form) names, or undefined when there is none. */
  #groupByArn(groupArn: string): GroupRow | undefined {
    const m = /^arn:aws[a-z-]*:logs:([a-z0-9-]*):(\d*):log-group:/.exec(groupArn);
    if (!m) throw new AwsError('InvalidParameterException', `'${groupArn}' is not a log group ARN.`);
    const scope = { region: m[1]!, accountId: m[2]! };
    return this.groups.find(scope, groupNameFromIdentifier(scope, groupArn));
  }

  /** The last sequence number stored in a group (0 when none): where a follower starts. */
  latestSeq(groupArn: string): number {
    const group = this.#groupByArn(groupArn);
    if (!group) throw groupNotFound();
    return this.events.latestSeq(group.id);
  }

  /**
   * Waits until the group holds an event with a sequence number > afterSeq,
   * or timeoutMs pass, or the group is deleted; resolves with the group's last
   * sequence number then (still ≤ afterSeq after a timeout).
   */
  waitForEvents(groupArn: string, afterSeq: number, timeoutMs: number): Promise<number> {
    const group = this.#groupByArn(groupArn);
    if (!group) return Promise.reject(groupNotFound());
    return this.#waiters.wait(group.id, this.events.latestSeq(group.id), afterSeq, timeoutMs);
  }

  /** A group's events after `afterSeq` in ingestion order, at most `limit`: what a follower prints next. */
  eventsAfter(groupArn: string, afterSeq: number, limit = 10_000): FollowedEvent[] {
    const group = this.#groupByArn(groupArn);
    if (!group) throw groupNotFound();
    return this.events.after(group, this.streams.names(group), afterSeq, limit);
  }

  /** Deletes every event past its group's retention at `now`. */
  applyRetention(now = Date.now()): RetentionSweep {
    const sweep: RetentionSweep = { groups: 0, events: 0, bytes: 0 };
    for (const g of this.groups.withRetention()) {
      const r = this.events.expire(g, retentionCutoff(g.retention_days!, now));
      if (r.events) sweep.groups++;
      sweep.events += r.events;
      sweep.bytes += r.bytes;
    }
    return sweep;
  }

  close(): void {
    this.#waiters.release();
    this.#db.close();
  }
}
