import type * as cwl from '@aws-sdk/client-cloudwatch-logs';
import type BetterSqlite3 from 'better-sqlite3';
import type { Scope } from '../control/arns.js';
import { AwsError } from '../gateway/errors.js';
import { compileFilterPattern, FilterPatternError } from './filter-pattern.js';
import { DEFAULT_PAGE } from './groups.js';
import type { GroupRow } from './schema.js';
import { decodePageToken, encodePageToken } from './tokens.js';

// Metric filters: stored with a validated pattern. berth keeps them and
// counts them (metricFilterCount); turning matches into CloudWatch metrics is
// the metrics service's part, not this store's.

export const MAX_METRIC_FILTERS_PER_GROUP = 100;

interface FilterRow {
  group_name: string;
  name: string;
  pattern: string;
  transformations: string;
  creation_time: number;
  apply_on_transformed: number;
  field_selection_criteria: string | null;
  emit_system_fields: string | null;
}

/** A filter pattern's errors as the Logs API reports them. */
export function compilePatternOrThrow(pattern: string) {
  try {
    return compileFilterPattern(pattern);
  } catch (e) {
    if (e instanceof FilterPatternError) throw new AwsError('InvalidParameterException', e.message);
    throw e;
  }
}

export class MetricFilters {
  readonly #db: BetterSqlite3.Database;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  put(group: GroupRow, i: cwl.PutMetricFilterRequest, now: number): void {
    compilePatternOrThrow(i.filterPattern ?? '');
    const exists = this.#db.prepare('SELECT 1 FROM log_metric_filters WHERE group_id = ? AND name = ?').get(group.id, i.filterName!);
    if (!exists) {
      const n = this.#db.prepare('SELECT count(*) FROM log_metric_filters WHERE group_id = ?').pluck().get(group.id) as number;
      if (n >= MAX_METRIC_FILTERS_PER_GROUP) throw new AwsError('LimitExceededException', 'Resource limit exceeded.');
    }
    this.#db
      .prepare(
        `INSERT INTO log_metric_filters (group_id, name, pattern, transformations, creation_time, apply_on_transformed, field_selection_criteria, emit_system_fields)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (group_id, name) DO UPDATE SET pattern = excluded.pattern, transformations = excluded.transformations,
           apply_on_transformed = excluded.apply_on_transformed, field_selection_criteria = excluded.field_selection_criteria,
           emit_system_fields = excluded.emit_system_fields`,
      )
      .run(
        group.id,
        i.filterName!,
        i.filterPattern ?? '',
        JSON.stringify(i.metricTransformations ?? []),
        now,
        i.applyOnTransformedLogs ? 1 : 0,
        i.fieldSelectionCriteria ?? null,
        i.emitSystemFieldDimensions ? JSON.stringify(i.emitSystemFieldDimensions) : null,
      );
  }

  delete(group: GroupRow, name: string): void {
    const r = this.#db.prepare('DELETE FROM log_metric_filters WHERE group_id = ? AND name = ?').run(group.id, name);
    if (r.changes === 0) throw new AwsError('ResourceNotFoundException', 'The specified metric filter does not exist.');
  }

  /** DescribeMetricFilters: one group's filters (`group`) or all of the caller's, ASCII-sorted by filter name. */
  describe(scope: Scope, group: GroupRow | undefined, i: cwl.DescribeMetricFiltersRequest): cwl.DescribeMetricFiltersResponse {
    if ((i.metricName === undefined) !== (i.metricNamespace === undefined)) {
      throw new AwsError('InvalidParameterException', 'metricName and metricNamespace must be specified together.');
    }
    const limit = i.limit ?? DEFAULT_PAGE;
    const where = ['g.account_id = ?', 'g.region = ?'];
    const args: unknown[] = [scope.accountId, scope.region];
    if (group) {
      where.push('f.group_id = ?');
      args.push(group.id);
      if (i.filterNamePrefix) {
        where.push('substr(f.name, 1, ?) = ?');
        args.push(i.filterNamePrefix.length, i.filterNamePrefix);
      }
    }
    const after = decodePageToken(i.nextToken, ['string', 'string'] as const);
    if (after) {
      where.push('(f.name, g.name) > (?, ?)');
      args.push(after[0], after[1]);
    }
    const rows = this.#db
      .prepare<unknown[], FilterRow>(
        `SELECT g.name AS group_name, f.* FROM log_metric_filters f JOIN log_groups g ON g.id = f.group_id
         WHERE ${where.join(' AND ')} ORDER BY f.name, g.name`,
      )
      .all(...args);
    const matching = rows.filter((r) => {
      if (i.metricName === undefined) return true;
      const t = JSON.parse(r.transformations) as cwl.MetricTransformation[];
      return t.some((m) => m.metricName === i.metricName && m.metricNamespace === i.metricNamespace);
    });
    const page = matching.slice(0, limit);
    const last = page.at(-1);
    return {
      metricFilters: page.map((r) => ({
        filterName: r.name,
        filterPattern: r.pattern,
        metricTransformations: JSON.parse(r.transformations) as cwl.MetricTransformation[],
        creationTime: r.creation_time,
        logGroupName: r.group_name,
        applyOnTransformedLogs: r.apply_on_transformed === 1,
        fieldSelectionCriteria: r.field_selection_criteria ?? undefined,
        emitSystemFieldDimensions: r.emit_system_fields ? (JSON.parse(r.emit_system_fields) as string[]) : undefined,
      })),
      nextToken: matching.length > limit && last ? encodePageToken([last.name, last.group_name]) : undefined,
    };
  }
}
