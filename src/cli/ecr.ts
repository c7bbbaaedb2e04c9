import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VulnerabilityDatabase } from '../registry/scan/index.js';
import { SqliteStore } from '../store/sqlite.js';

// `berth ecr import-vulns DIR`: loads OSV advisories into the vulnerability
// database that image scans match against. It writes berth's store directly
// (SQLite in WAL mode takes a second writer while berth runs).

export async function importVulns(dir: string, opts: { dataDir: string }): Promise<void> {
  const source = resolve(dir);
  if (!existsSync(source) || !statSync(source).isDirectory()) throw new Error(`${source} is not a directory: give the directory of OSV JSON files (e.g. an unpacked osv.dev all.zip).`);
  const dbPath = join(resolve(opts.dataDir), 'berth.sqlite');
  if (!existsSync(dbPath)) throw new Error(`no berth data in ${resolve(opts.dataDir)}: start berth once (berth up) or pass --data-dir.`);
  const store = await SqliteStore.open(dbPath);
  try {
    process.stdout.write(`importing OSV advisories from ${source}…\n`);
    const report = await new VulnerabilityDatabase(store).importOsvDirectory(source, Date.now());
    process.stdout.write(`imported ${report.advisories} advisories`);
    process.stdout.write(report.skipped.length ? `; skipped ${report.skipped.length} files:\n` : '\n');
    for (const s of report.skipped.slice(0, 20)) process.stdout.write(`  ${s.file}: ${s.reason}\n`);
    if (report.skipped.length > 20) process.stdout.write(`  … and ${report.skipped.length - 20} more\n`);
    process.stdout.write('New scans (aws ecr start-image-scan, scan on push) match against them.\n');
  } finally {
    await store.close();
  }
}
