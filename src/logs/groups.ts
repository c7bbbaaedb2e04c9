import type * as cwl from '@aws-sdk/client-cloudwatch-logs';
import type BetterSqlite3 from 'better-sqlite3';
import type { Scope } from '../control/arns.js';
import { AwsError } from '../gateway/errors.js';
import { checkRetentionDays } from './batch-rules.js';
import { checkGroupName, groupNotFound, logGroupArn, logGroupBareArn } from './names.js';
import type { GroupRow } from './schema.js';
import { decodePageToken, encodePageToken } from './tokens.js';

// Log groups: one row each, scoped by account and region as on AWS.

export const DEFAULT_PAGE = 50;

export interface CreateGroupInput {
  logGroupName: string;
  logGroupClass?: string;
  kmsKeyId?: string;
  deletionProtectionEnabled?: boolean;
}

export class LogGroups {
  readonly #db: BetterSqlite3.Database;
  readonly #byName: BetterSqlite3.Statement<[string, string, string], GroupRow>;
  readonly #insert: BetterSqlite3.Statement;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
    this.#byName = db.prepare('SELECT * FROM log_groups WHERE account_id = ? AND region = ? AND name = ?');
    this.#insert = db.prepare(
      'INSERT INTO log_groups (account_id, region, name, creation_time, log_group_class, kms_key_id, deletion_protection) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
  }

  find(scope: Scope, name: string): GroupRow | undefined {
    return this.#byName.get(scope.accountId, scope.region, name);
  }

  get(scope: Scope, name: string): GroupRow {
    const row = this.find(scope, name);
    if (!row) throw groupNotFound();
    return row;
  }

  byId(id: number): GroupRow | undefined {
    return this.#db.prepare<[number], GroupRow>('SELECT * FROM log_groups WHERE id = ?').get(id);
  }

  create(scope: Scope, input: CreateGroupInput, now: number): GroupRow {
    checkGroupName(input.logGroupName);
    if (this.find(scope, input.logGroupName)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
    const r = this.#insert.run(
      scope.accountId,
      scope.region,
      input.logGroupName,
      now,
      input.logGroupClass ?? 'STANDARD',
      input.kmsKeyId ?? null,
      input.deletionProtectionEnabled ? 1 : 0,
    );
    return this.byId(Number(r.lastInsertRowid))!;
  }

  /** Deletes the group and, by cascade, its streams, events, tags and metric filters. */
  delete(scope: Scope, name: string): GroupRow {
    const row = this.get(scope, name);
    checkDeletable(row);
    this.#db.prepare('DELETE FROM log_groups WHERE id = ?').run(row.id);
    return row;
  }

  setRetention(scope: Scope, name: string, days: number | undefined): GroupRow {
    if (days !== undefined) checkRetentionDays(days);
    const row = this.get(scope, name);
    this.#db.prepare('UPDATE log_groups SET retention_days = ? WHERE id = ?').run(days ?? null, row.id);
    return { ...row, retention_days: days ?? null };
  }

  setDeletionProtection(scope: Scope, name: string, enabled: boolean): void {
    const row = this.get(scope, name);
    this.#db.prepare('UPDATE log_groups SET deletion_protection = ? WHERE id = ?').run(enabled ? 1 : 0, row.id);
  }

  /** The ARN tagging operations take (no trailing `:*`). */
  arnOf(g: GroupRow): string {
    return logGroupBareArn({ accountId: g.account_id, region: g.region }, g.name);
  }

  /** Groups with a retention policy, for the retention sweep. */
  withRetention(): GroupRow[] {
    return this.#db.prepare<[], GroupRow>('SELECT * FROM log_groups WHERE retention_days IS NOT NULL').all();
  }

  describe(scope: Scope, i: cwl.DescribeLogGroupsRequest): cwl.DescribeLogGroupsResponse {
    if (i.logGroupNamePrefix !== undefined && i.logGroupNamePattern !== undefined) {
      throw new AwsError('InvalidParameterException', 'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
    }
    if (i.logGroupIdentifiers !== undefined && (i.logGroupNamePrefix !== undefined || i.logGroupNamePattern !== undefined)) {
      throw new AwsError('InvalidParameterException', 'logGroupIdentifiers cannot be combined with logGroupNamePrefix or logGroupNamePattern.');
    }
    const limit = i.limit ?? DEFAULT_PAGE;
    const after = decodePageToken(i.nextToken, ['string'] as const)?.[0];
    const where = ['account_id = ?', 'region = ?'];
    const args: unknown[] = [scope.accountId, scope.region];
    if (after !== undefined) {
      where.push('name > ?');
      args.push(after);
    }
    if (i.logGroupNamePrefix) {
      where.push('substr(name, 1, ?) = ?');
      args.push(i.logGroupNamePrefix.length, i.logGroupNamePrefix);
    }
    if (i.logGroupNamePattern) {
      where.push('instr(name, ?) > 0');
      args.push(i.logGroupNamePattern);
    }
    if (i.logGroupClass) {
      where.push('log_group_class = ?');
      args.push(i.logGroupClass);
    }
    if (i.logGroupIdentifiers) {
      const names = i.logGroupIdentifiers.map((id) => (id.startsWith('arn:') ? (/:log-group:([^:]+)/.exec(id)?.[1] ?? id) : id));
      where.push(`name IN (${names.map(() => '?').join(', ')})`);
      args.push(...names);
    }
    const rows = this.#db
      .prepare<unknown[], GroupRow & { metric_filter_count: number }>(
        `SELECT g.*, (SELECT count(*) FROM log_metric_filters f WHERE f.group_id = g.id) AS metric_filter_count
         FROM log_groups g WHERE ${where.join(' AND ')} ORDER BY name LIMIT ?`,
      )
      .all(...args, limit + 1);
    const page = rows.slice(0, limit);
    const brief = i.logGroupNamePattern !== undefined;
    return {
      logGroups: page.map((r) => (brief ? { logGroupName: r.name, creationTime: r.creation_time, arn: logGroupArn(scope, r.name) } : groupView(r, r.metric_filter_count))),
      nextToken: rows.length > limit ? encodePageToken([page.at(-1)!.name]) : undefined,
    };
  }
}

export function checkDeletable(row: GroupRow): void {
  if (row.deletion_protection) {
    throw new AwsError('ValidationException', `Log group ${row.name} has deletion protection enabled; disable it with PutLogGroupDeletionProtection first.`);
  }
}

export function groupView(r: GroupRow, metricFilterCount: number): cwl.LogGroup {
  const scope = { accountId: r.account_id, region: r.region };
  return {
    logGroupName: r.name,
    creationTime: r.creation_time,
    retentionInDays: r.retention_days ?? undefined,
    metricFilterCount,
    arn: logGroupArn(scope, r.name),
    storedBytes: r.stored_bytes,
    kmsKeyId: r.kms_key_id ?? undefined,
    logGroupClass: r.log_group_class as cwl.LogGroupClass,
    logGroupArn: logGroupBareArn(scope, r.name),
    deletionProtectionEnabled: r.deletion_protection ? true : undefined,
  };
}
