import { ecosystemMatches, packageKey } from './ecosystems.js';
import type { Osv, OsvAffected, OsvEvent, OsvRange } from './types.js';
import { comparatorFor, semver, type Comparator } from './versions.js';

// OSV's evaluation algorithm (https://ossf.github.io/osv-schema/#evaluation),
// to the letter: a version is affected when an `affected` entry for the
// package lists it in `versions` or places it inside one of its ranges. GIT
// ranges need the repository's commit graph, so they are not evaluated.

/** The first `affected` entry of `osv` that makes (ecosystem, name, version) vulnerable. */
export function affectedBy(osv: Osv, ecosystem: string, name: string, version: string): OsvAffected | undefined {
  if (osv.withdrawn) return undefined;
  const key = packageKey(ecosystem, name);
  for (const affected of osv.affected ?? []) {
    const pkg = affected.package;
    if (!pkg || !ecosystemMatches(ecosystem, pkg.ecosystem) || packageKey(pkg.ecosystem, pkg.name) !== key) continue;
    const cmp = comparatorFor(ecosystem) ?? comparatorFor(pkg.ecosystem);
    if (inVersions(version, affected.versions, cmp) || (affected.ranges ?? []).some((r) => inRange(version, r, cmp))) return affected;
  }
  return undefined;
}

function inVersions(version: string, versions: string[] | undefined, cmp: Comparator | undefined): boolean {
  return (versions ?? []).some(
    (v) => v === version || (cmp !== undefined && cmp.valid(v) && cmp.valid(version) && cmp.compare(v, version) === 0),
  );
}

const eventVersion = (e: OsvEvent): string | undefined => e.introduced ?? e.fixed ?? e.last_affected ?? e.limit;

export function inRange(version: string, range: OsvRange, ecosystemCmp: Comparator | undefined): boolean {
  const cmp = range.type === 'SEMVER' ? semver : range.type === 'ECOSYSTEM' ? ecosystemCmp : undefined;
  if (!cmp || !cmp.valid(version) || !Array.isArray(range.events)) return false;
  const events = range.events.filter((e) => eventVersion(e) !== undefined);
  // A bound the ordering cannot read makes the whole range unreadable.
  const readable = events.every((e) => e.introduced === '0' || (e.limit !== undefined && e.limit.includes('*')) || cmp.valid(eventVersion(e)!));
  if (!readable) return false;

  const limits = events.filter((e) => e.limit !== undefined);
  const beforeLimits = limits.length === 0 || limits.some((e) => e.limit!.includes('*') || cmp.compare(version, e.limit!) < 0);
  if (!beforeLimits) return false;

  const sorted = events
    .filter((e) => e.limit === undefined)
    .sort((a, b) => {
      if (a.introduced === '0') return b.introduced === '0' ? 0 : -1;
      if (b.introduced === '0') return 1;
      return cmp.compare(eventVersion(a)!, eventVersion(b)!);
    });
  let vulnerable = false;
  for (const e of sorted) {
    if (e.introduced !== undefined) {
      if (e.introduced === '0' || cmp.compare(version, e.introduced) >= 0) vulnerable = true;
    } else if (e.fixed !== undefined) {
      if (cmp.compare(version, e.fixed) >= 0) vulnerable = false;
    } else if (e.last_affected !== undefined) {
      if (cmp.compare(version, e.last_affected) > 0) vulnerable = false;
    }
  }
  return vulnerable;
}
