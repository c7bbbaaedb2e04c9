import { packageKey } from './ecosystems.js';
import type { Osv } from './types.js';

// What the importer accepts: an object with a string `id` whose `affected`
// entries, when they name a package, name it with string `ecosystem` and
// `name`. Entries without `package` are legal OSV (GIT-only) and simply never
// match. Everything else in the record is kept as it came.

export type Checked = { ok: true; osv: Osv } | { ok: false; reason: string };

export function checkOsv(value: unknown): Checked {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not a JSON object' };
  const v = value as Record<string, unknown>;
  if (typeof v['id'] !== 'string' || v['id'] === '') return { ok: false, reason: 'missing id' };
  const affected = v['affected'];
  if (affected !== undefined && !Array.isArray(affected)) return { ok: false, reason: `${v['id']}: affected is not an array` };
  for (const [i, a] of (affected ?? []).entries()) {
    if (typeof a !== 'object' || a === null) return { ok: false, reason: `${v['id']}: affected[${i}] is not an object` };
    const pkg = (a as Record<string, unknown>)['package'];
    if (pkg === undefined) continue;
    const p = pkg as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null || typeof p['ecosystem'] !== 'string' || p['ecosystem'] === '' || typeof p['name'] !== 'string' || p['name'] === '') {
      return { ok: false, reason: `${v['id']}: affected[${i}].package needs ecosystem and name` };
    }
  }
  return { ok: true, osv: value as Osv };
}

/** The (ecosystem, package key) pairs an advisory is stored under. */
export function rowKeys(osv: Osv): Array<{ ecosystem: string; package: string }> {
  const seen = new Map<string, { ecosystem: string; package: string }>();
  for (const a of osv.affected ?? []) {
    if (!a.package) continue;
    const row = { ecosystem: a.package.ecosystem, package: packageKey(a.package.ecosystem, a.package.name) };
    seen.set(`${row.ecosystem}\0${row.package}`, row);
  }
  return [...seen.values()];
}

export function modifiedMillis(osv: Osv): number {
  const t = typeof osv.modified === 'string' ? Date.parse(osv.modified) : NaN;
  return Number.isFinite(t) ? t : 0;
}
