import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Osv } from '../../../src/registry/scan/index.js';
import { freshDatabase, writeTree } from './fixtures.js';

const NOW = Date.parse('2024-06-01T00:00:00Z');

const osv = (id: string, modified: string, affected: Array<[string, string]>, extra: Partial<Osv> = {}): Osv => ({
  id,
  modified,
  affected: affected.map(([ecosystem, name]) => ({ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] })),
  ...extra,
});

test('imports a tree of OSV JSON, single records and arrays, and reports what it skipped', async () => {
  const { db, dir, close } = await freshDatabase();
  const src = join(dir, 'osv');
  writeTree(src, {
    'Debian/DSA-1-1.json': osv('DSA-1-1', '2024-01-01T00:00:00Z', [['Debian:12', 'openssl'], ['Debian:11', 'openssl']]),
    'Debian/DEBIAN-CVE-2024-2.json': osv('DEBIAN-CVE-2024-2', '2024-01-01T00:00:00Z', [['Debian', 'openssl']]),
    'npm/all.json': [osv('GHSA-a', '2024-01-01T00:00:00Z', [['npm', 'lodash']]), { summary: 'no id' }],
    'PyPI/PYSEC-1.json': osv('PYSEC-1', '2024-01-01T00:00:00Z', [['PyPI', 'Foo_Bar']]),
    'bad/broken.json': '{ not json',
    'bad/nameless.json': { id: 'X-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm' } }] },
    'README.md': 'not an advisory',
  });
  assert.equal(await db.lastImport(), undefined);
  const report = await db.importOsvDirectory(src, NOW);
  assert.equal(report.advisories, 4);
  assert.deepEqual(report.skipped.map((s) => s.file), ['bad/broken.json', 'bad/nameless.json', 'npm/all.json[1]']);
  assert.match(report.skipped[1]!.reason, /affected\[0\]\.package needs ecosystem and name/);
  assert.equal(await db.lastImport(), NOW);

  const ids = async (eco: string, name: string): Promise<string[]> => (await db.advisoriesFor(eco, name)).map((o) => o.id);
  assert.deepEqual(await ids('Debian:12', 'openssl'), ['DEBIAN-CVE-2024-2', 'DSA-1-1']);
  assert.deepEqual(await ids('Debian:13', 'openssl'), ['DEBIAN-CVE-2024-2']);
  assert.deepEqual(await ids('Debian', 'openssl'), ['DEBIAN-CVE-2024-2']);
  assert.deepEqual(await ids('npm', 'lodash'), ['GHSA-a']);
  assert.deepEqual(await ids('PyPI', 'foo.bar'), ['PYSEC-1']);
  assert.deepEqual(await ids('npm', 'Lodash'), []);
  await close();
});

test('re-importing replaces an advisory’s rows, unless the stored copy is newer', async () => {
  const { db, dir, close } = await freshDatabase();
  writeTree(join(dir, 'v1'), { 'a.json': osv('GHSA-b', '2024-02-01T00:00:00Z', [['npm', 'left-pad'], ['npm', 'right-pad']]) });
  writeTree(join(dir, 'v2'), { 'a.json': osv('GHSA-b', '2024-03-01T00:00:00Z', [['npm', 'right-pad']]) });
  writeTree(join(dir, 'old'), { 'a.json': osv('GHSA-b', '2024-01-01T00:00:00Z', [['npm', 'left-pad']]) });
  await db.importOsvDirectory(join(dir, 'v1'), NOW);
  await db.importOsvDirectory(join(dir, 'v2'), NOW + 1);
  assert.deepEqual(await db.advisoriesFor('npm', 'left-pad'), []);
  assert.equal((await db.advisoriesFor('npm', 'right-pad'))[0]?.modified, '2024-03-01T00:00:00Z');
  await db.importOsvDirectory(join(dir, 'old'), NOW + 2);
  assert.deepEqual(await db.advisoriesFor('npm', 'left-pad'), []);
  assert.equal(await db.lastImport(), NOW + 2);
  await close();
});

test('large imports commit in batches', async () => {
  const { db, dir, close } = await freshDatabase();
  const records = Array.from({ length: 2500 }, (_, i) => osv(`GHSA-${i}`, '2024-01-01T00:00:00Z', [['npm', `pkg-${i % 10}`]]));
  writeTree(join(dir, 'bulk'), { 'all.json': records });
  const report = await db.importOsvDirectory(join(dir, 'bulk'), NOW);
  assert.equal(report.advisories, 2500);
  assert.equal((await db.advisoriesFor('npm', 'pkg-3')).length, 250);
  await close();
});
