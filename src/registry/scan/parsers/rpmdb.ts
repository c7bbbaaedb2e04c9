import BetterSqlite3 from 'better-sqlite3';
import type { FoundPackage } from './found.js';
import { evr, parseRpmHeader, sourceRpmName } from './rpm-header.js';

// rpm ≥ 4.16's sqlite backend: table Packages(hnum, blob), one header per row.
// The caller copies the file out of the layer; this opens it read-only.

export function readRpmSqlite(file: string, path: string): { packages: FoundPackage[]; notes: string[] } {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const packages: FoundPackage[] = [];
    let unreadable = 0;
    for (const row of db.prepare('SELECT blob FROM Packages ORDER BY hnum').iterate() as Iterable<{ blob: unknown }>) {
      const header = row.blob instanceof Uint8Array ? parseRpmHeader(row.blob) : undefined;
      if (!header) {
        unreadable++;
        continue;
      }
      // gpg-pubkey "packages" are imported signing keys, not software.
      if (header.name === 'gpg-pubkey') continue;
      const pkg: FoundPackage = { manager: 'rpm', name: header.name, version: evr(header), path };
      const source = header.sourceRpm ? sourceRpmName(header.sourceRpm) : undefined;
      pkg.sourceName = source ?? header.name;
      packages.push(pkg);
    }
    return { packages, notes: unreadable > 0 ? [`${path}: ${unreadable} rpm headers could not be parsed`] : [] };
  } finally {
    db.close();
  }
}
