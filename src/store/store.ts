import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

// The one store interface. SQLite (embedded, default) and PostgreSQL (several
// control-plane replicas) both satisfy it; Kysely keeps the SQL one source for
// both dialects. Every state change runs inside `transaction`.

export type Tx = Kysely<Database> | Transaction<Database>;

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** For reads outside a transaction. */
  readonly db: Kysely<Database>;
  transaction<T>(fn: (tx: Transaction<Database>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
