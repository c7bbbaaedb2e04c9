import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type Transaction } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

// The embedded store: one SQLite file in the data dir, WAL journal, so a
// committed transaction survives a kill -9 of berth.

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
    this.db = new Kysely<Database>({ dialect: new SqliteDialect({ database: this.#sqlite }) });
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
