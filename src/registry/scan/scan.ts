import { severityCounts, toFindings, type Hit } from './findings.js';
import { inventoryImage } from './inventory.js';
import { affectedBy } from './match.js';
import type { Inventory, LayerOpener, Osv, Package, ScanResult } from './types.js';

// layers → inventory → advisories per package → OSV evaluation → ECR findings.

/** What a scan needs of the vulnerability database (VulnerabilityDatabase satisfies it). */
export interface AdvisorySource {
  advisoriesFor(ecosystem: string, name: string): Promise<Osv[]>;
  lastImport(): Promise<number | undefined>;
}

export const NO_DATABASE = 'no vulnerability database has been imported; run `berth ecr import-vulns DIR`';

/**
 * The (name, version) pairs to look a package up by. Distro advisories name
 * source packages, so an OS package is looked up by its source first, then by
 * its own name for databases that name binaries.
 */
function lookups(pkg: Package): Array<{ name: string; version: string }> {
  const own = { name: pkg.name, version: pkg.version };
  if (pkg.sourceName === undefined) return [own];
  const source = { name: pkg.sourceName, version: pkg.sourceVersion ?? pkg.version };
  return source.name === own.name && source.version === own.version ? [own] : [source, own];
}

async function hitsFor(pkg: Package, advisories: (ecosystem: string, name: string) => Promise<Osv[]>): Promise<Hit[]> {
  const hits = new Map<string, Hit>();
  for (const { name, version } of lookups(pkg)) {
    for (const osv of await advisories(pkg.ecosystem, name)) {
      if (hits.has(osv.id)) continue;
      const affected = affectedBy(osv, pkg.ecosystem, name, version);
      if (affected) hits.set(osv.id, { osv, affected, packageName: name, packageVersion: version });
    }
  }
  return [...hits.values()];
}

function describe(inventory: Inventory, findings: number, imported: boolean): string {
  const byEcosystem = new Map<string, number>();
  for (const p of inventory.packages) byEcosystem.set(p.ecosystem, (byEcosystem.get(p.ecosystem) ?? 0) + 1);
  const breakdown = [...byEcosystem]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([e, n]) => `${e}: ${n}`)
    .join(', ');
  const parts = [
    `Inventoried ${inventory.packages.length} packages${breakdown ? ` (${breakdown})` : ''}; ${findings} findings.`,
  ];
  if (!imported) parts.push(`Note: ${NO_DATABASE}.`);
  if (inventory.notes.length > 0) parts.push(`Not read: ${inventory.notes.join('; ')}.`);
  return parts.join(' ');
}

export async function scanImage(layers: LayerOpener[], db: AdvisorySource, now: number): Promise<ScanResult> {
  const inventory = await inventoryImage(layers);
  const lastImport = await db.lastImport();
  // Many binary packages share one source package: ask the database once per name.
  const cache = new Map<string, Promise<Osv[]>>();
  const advisories = (ecosystem: string, name: string): Promise<Osv[]> => {
    const key = `${ecosystem}\0${name}`;
    let p = cache.get(key);
    if (!p) cache.set(key, (p = db.advisoriesFor(ecosystem, name)));
    return p;
  };
  const hits: Hit[] = [];
  for (const pkg of inventory.packages) hits.push(...(await hitsFor(pkg, advisories)));
  const findings = toFindings(hits);
  return {
    imageScanStatus: { status: 'COMPLETE', description: describe(inventory, findings.length, lastImport !== undefined) },
    imageScanFindings: {
      imageScanCompletedAt: new Date(now),
      ...(lastImport !== undefined && { vulnerabilitySourceUpdatedAt: new Date(lastImport) }),
      findingSeverityCounts: severityCounts(findings),
      findings,
    },
  };
}
