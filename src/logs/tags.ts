import type BetterSqlite3 from 'better-sqlite3';
import { AwsError } from '../gateway/errors.js';
import type { GroupRow } from './schema.js';

// Tags of log groups (the only taggable Logs resource berth has).

export const MAX_TAGS = 50;

export class LogTags {
  readonly #db: BetterSqlite3.Database;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  list(group: GroupRow): Record<string, string> {
    const rows = this.#db.prepare<[number], { key: string; value: string }>('SELECT key, value FROM log_tags WHERE group_id = ? ORDER BY key').all(group.id);
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** Adds or overwrites tags; the result may hold at most 50. */
  set(group: GroupRow, tags: Record<string, string>, resourceArn: string): void {
    const keys = Object.keys(tags);
    for (const k of keys) {
      if (k.toLowerCase().startsWith('aws:')) throw new AwsError('InvalidParameterException', `Tag keys starting with 'aws:' are reserved for AWS use: '${k}'.`);
    }
    const existing = new Set(Object.keys(this.list(group)));
    const total = existing.size + keys.filter((k) => !existing.has(k)).length;
    if (total > MAX_TAGS) {
      throw new AwsError('TooManyTagsException', 'A resource can have no more than 50 tags.', { extra: { resourceName: resourceArn } });
    }
    const upsert = this.#db.prepare('INSERT INTO log_tags (group_id, key, value) VALUES (?, ?, ?) ON CONFLICT (group_id, key) DO UPDATE SET value = excluded.value');
    this.#db.transaction(() => {
      for (const k of keys) upsert.run(group.id, k, tags[k]!);
    })();
  }

  remove(group: GroupRow, keys: readonly string[]): void {
    const del = this.#db.prepare('DELETE FROM log_tags WHERE group_id = ? AND key = ?');
    this.#db.transaction(() => {
      for (const k of keys) del.run(group.id, k);
    })();
  }
}
