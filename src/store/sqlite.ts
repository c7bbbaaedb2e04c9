import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, type Transaction } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

// The embedded store: one SQLite file in the data dir, WAL journal, so a
// committed transaction survives a kill -9 of berth.

/** Statements kept compiled, by SQL text: what a busy berth runs is a few hundred distinct statements. */
const STATEMENT_CACHE = 1000;

/**
 * Kysely prepares every query anew, and better-sqlite3 compiles on every
 * prepare (≈ 20–40 µs, most of a small read): the same SQL text reuses its
 * compiled statement instead. Safe because every query runs to completion
 * synchronously (all()/run(); berth streams no query with iterate()), and
 * SQLite recompiles a statement itself when a migration changed the schema.
 */
function reusingStatements(db: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => db.close(),
    prepare: (sql: string) => {
      let stmt = cache.get(sql);
      if (stmt) {
        // Most recently used last: the oldest goes first when the cache is full.
        cache.delete(sql);
      } else {
        stmt = db.prepare(sql);
        if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}

export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly db: Kysely<Database>;
  #sqlite: BetterSqlite3.Database;

  private constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.#sqlite = new BetterSqlite3(file);
    this.#sqlite.pragma('journal_mode = WAL');
    this.#sqlite.pragma('synchronous = NORMAL');
    this.#sqlite.pragma('busy_timeout = 5000');
    this.#sqlite.pragma('foreign_keys = ON');
    this.db = new Kysely<Database>({ dialect: new SqliteDialect({ database: reusingStatements(this.#sqlite) }) });
  }

  static async open(file: string): Promise<SqliteStore> {
    const store = new SqliteStore(file);
    await migrateToLatest(store.db);
    return store;
  }

  transaction<T>(fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
