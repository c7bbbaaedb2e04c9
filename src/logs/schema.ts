import type BetterSqlite3 from 'better-sqlite3';

// The log store's own SQLite file (<dataDir>/logs.sqlite), versioned with
// PRAGMA user_version. Events live in chunks: one row holds a run of
// consecutive events of one PutLogEvents batch in one stream (see chunk.ts
// and README.md for why not a row per event).

const MIGRATIONS: string[] = [
  `
  CREATE TABLE log_meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  );
  INSERT INTO log_meta (key, value) VALUES ('next_seq', 1);

  CREATE TABLE log_groups (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    creation_time INTEGER NOT NULL,
    retention_days INTEGER,
    log_group_class TEXT NOT NULL,
    kms_key_id TEXT,
    deletion_protection INTEGER NOT NULL DEFAULT 0,
    stored_bytes INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account_id, region, name)
  );

  CREATE TABLE log_streams (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES log_groups (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    creation_time INTEGER NOT NULL,
    first_event_timestamp INTEGER,
    last_event_timestamp INTEGER,
    last_ingestion_time INTEGER,
    last_seq INTEGER,
    stored_bytes INTEGER NOT NULL DEFAULT 0,
    UNIQUE (group_id, name)
  );

  -- first_seq .. first_seq + count - 1 are the chunk's events, in (timestamp, seq) order.
  CREATE TABLE log_chunks (
    id INTEGER PRIMARY KEY,
    group_id INTEGER NOT NULL REFERENCES log_groups (id) ON DELETE CASCADE,
    stream_id INTEGER NOT NULL REFERENCES log_streams (id) ON DELETE CASCADE,
    first_seq INTEGER NOT NULL,
    count INTEGER NOT NULL,
    min_ts INTEGER NOT NULL,
    max_ts INTEGER NOT NULL,
    ingestion_time INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    -- 1 when every message is ASCII: the payload then decodes byte for character.
    ascii INTEGER NOT NULL DEFAULT 0,
    payload BLOB NOT NULL
  );
  -- GetLogEvents reads a stream forwards (min_ts) and backwards (max_ts);
  -- FilterLogEvents reads a group in timestamp order (min_ts).
  CREATE INDEX log_chunks_stream_min ON log_chunks (stream_id, min_ts);
  CREATE INDEX log_chunks_stream_max ON log_chunks (stream_id, max_ts);
  CREATE INDEX log_chunks_group_min ON log_chunks (group_id, min_ts);
  -- A follower reads a group in ingestion (sequence) order.
  CREATE INDEX log_chunks_group_seq ON log_chunks (group_id, first_seq);

  CREATE TABLE log_tags (
    group_id INTEGER NOT NULL REFERENCES log_groups (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (group_id, key)
  );

  CREATE TABLE log_metric_filters (
    group_id INTEGER NOT NULL REFERENCES log_groups (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    pattern TEXT NOT NULL,
    transformations TEXT NOT NULL,
    creation_time INTEGER NOT NULL,
    apply_on_transformed INTEGER NOT NULL DEFAULT 0,
    field_selection_criteria TEXT,
    emit_system_fields TEXT,
    PRIMARY KEY (group_id, name)
  );
  `,
];

export function migrateLogStore(db: BetterSqlite3.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

export interface GroupRow {
  id: number;
  account_id: string;
  region: string;
  name: string;
  creation_time: number;
  retention_days: number | null;
  log_group_class: string;
  kms_key_id: string | null;
  deletion_protection: number;
  stored_bytes: number;
}

export interface StreamRow {
  id: number;
  group_id: number;
  name: string;
  creation_time: number;
  first_event_timestamp: number | null;
  last_event_timestamp: number | null;
  last_ingestion_time: number | null;
  last_seq: number | null;
  stored_bytes: number;
}

/** A chunk without its payload: what queries list before deciding which payloads to read. */
export interface ChunkMeta {
  id: number;
  stream_id: number;
  first_seq: number;
  count: number;
  min_ts: number;
  max_ts: number;
  ingestion_time: number;
  ascii: number;
}
