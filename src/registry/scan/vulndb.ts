import { sql } from 'kysely';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Store, Tx } from '../../store/store.js';
import { baseEcosystem, ecosystemMatches, packageKey } from './ecosystems.js';
import { checkOsv, modifiedMillis, rowKeys } from './osv-record.js';
import type { Osv } from './types.js';

// The vulnerability database: OSV advisories the operator imports from a
// directory (an unpacked osv.dev `all.zip`, or any tree of OSV JSON), one row
// per affected (ecosystem, package) with the whole advisory in `body`.
// Re-importing an advisory replaces all its rows, unless the stored copy is
// newer (OSV: the later `modified` is authoritative).

const BATCH = 1000;
const ROWS_PER_INSERT = 500;

export interface ImportReport {
  advisories: number;
  skipped: Array<{ file: string; reason: string }>;
}

async function* jsonFiles(dir: string): AsyncGenerator<string> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* jsonFiles(path);
    else if (e.isFile() && e.name.endsWith('.json')) yield path;
  }
}

export class VulnerabilityDatabase {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async importOsvDirectory(dir: string, now: number): Promise<ImportReport> {
    const skipped: ImportReport['skipped'] = [];
    let pending = new Map<string, Osv>();
    let advisories = 0;
    const flush = async (last: boolean): Promise<void> => {
      const batch = [...pending.values()];
      pending = new Map();
      advisories += batch.length;
      await this.#store.transaction(async (tx) => {
        if (batch.length > 0) await this.#write(tx, batch);
        if (last) await tx.insertInto('vulnerability_imports').values({ imported_at: now, source: dir, advisories }).execute();
      });
    };

    for await (const path of jsonFiles(dir)) {
      const file = relative(dir, path);
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(path, 'utf8'));
      } catch (err) {
        skipped.push({ file, reason: `not JSON: ${(err as Error).message}` });
        continue;
      }
      const records = Array.isArray(parsed) ? parsed : [parsed];
      for (const [i, record] of records.entries()) {
        const checked = checkOsv(record);
        if (!checked.ok) {
          skipped.push({ file: Array.isArray(parsed) ? `${file}[${i}]` : file, reason: checked.reason });
          continue;
        }
        const prior = pending.get(checked.osv.id);
        if (!prior || modifiedMillis(checked.osv) >= modifiedMillis(prior)) pending.set(checked.osv.id, checked.osv);
        if (pending.size >= BATCH) await flush(false);
      }
    }
    await flush(true);
    return { advisories, skipped };
  }

  async #write(tx: Tx, batch: Osv[]): Promise<void> {
    const stored = new Map<string, number>();
    for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) {
      const ids = batch.slice(i, i + ROWS_PER_INSERT).map((o) => o.id);
      const rows = await tx
        .selectFrom('vulnerabilities')
        .select(['id', (eb) => eb.fn.max('modified').as('modified')])
        .where('id', 'in', ids)
        .groupBy('id')
        .execute();
      for (const r of rows) stored.set(r.id, Number(r.modified));
    }
    const fresh = batch.filter((o) => (stored.get(o.id) ?? -Infinity) <= modifiedMillis(o));
    const freshIds = fresh.map((o) => o.id);
    for (let i = 0; i < freshIds.length; i += ROWS_PER_INSERT) {
      await tx.deleteFrom('vulnerabilities').where('id', 'in', freshIds.slice(i, i + ROWS_PER_INSERT)).execute();
    }
    const rows = fresh.flatMap((osv) => {
      const body = JSON.stringify(osv);
      const modified = modifiedMillis(osv);
      return rowKeys(osv).map((k) => ({ id: osv.id, ecosystem: k.ecosystem, package: k.package, modified, body }));
    });
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      await tx.insertInto('vulnerabilities').values(rows.slice(i, i + ROWS_PER_INSERT)).execute();
    }
  }

  /** Advisories naming this package in this ecosystem, its base (`Debian`) or a narrower one (`Ubuntu:22.04:LTS`). */
  async advisoriesFor(ecosystem: string, name: string): Promise<Osv[]> {
    const key = packageKey(ecosystem, name);
    const narrower = `${ecosystem}:`;
    const release = ecosystem.includes(':');
    const rows = await this.#store.db
      .selectFrom('vulnerabilities')
      .select(['id', 'ecosystem', 'body'])
      .where('package', '=', key)
      .where((eb) =>
        eb.or([
          eb('ecosystem', '=', ecosystem),
          eb('ecosystem', '=', baseEcosystem(ecosystem)),
          ...(release ? [eb(sql<string>`substr(ecosystem, 1, ${narrower.length})`, '=', narrower)] : []),
        ]),
      )
      .orderBy('id')
      .execute();
    const byId = new Map<string, Osv>();
    for (const r of rows) {
      if (!byId.has(r.id) && ecosystemMatches(ecosystem, r.ecosystem)) byId.set(r.id, JSON.parse(r.body) as Osv);
    }
    return [...byId.values()];
  }

  async lastImport(): Promise<number | undefined> {
    const row = await this.#store.db
      .selectFrom('vulnerability_imports')
      .select((eb) => eb.fn.max('imported_at').as('at'))
      .executeTakeFirst();
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  }
}
