import { severityOf } from './severity.js';
import type { Attribute, FindingSeverity, ImageScanFinding, Osv, OsvAffected } from './types.js';

// Turns matched advisories into ECR basic-scan findings. ECR names findings by
// CVE, so an advisory that is one CVE under another database's id
// (DEBIAN-CVE-…, a GHSA aliasing one CVE) is reported under that CVE, and two
// advisories for the same CVE and package become one finding, the more severe.

export interface Hit {
  osv: Osv;
  affected: OsvAffected;
  /** The name and version the advisory was evaluated against (the source package's, for distro advisories). */
  packageName: string;
  packageVersion: string;
}

const SEVERITY_ORDER: FindingSeverity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'];
const rank = (s: FindingSeverity): number => SEVERITY_ORDER.indexOf(s);

const CVE = /^CVE-\d{4}-\d+$/;

export function findingName(osv: Osv): string {
  if (CVE.test(osv.id)) return osv.id;
  const embedded = /-(CVE-\d{4}-\d+)$/.exec(osv.id);
  if (embedded) return embedded[1];
  const cves = (osv.aliases ?? []).filter((a) => CVE.test(a));
  return cves.length === 1 ? cves[0] : osv.id;
}

function uriOf(osv: Osv): string {
  const ref = (osv.references ?? []).find((r) => typeof r?.url === 'string' && r.url !== '');
  return ref ? ref.url : `https://osv.dev/vulnerability/${encodeURIComponent(osv.id)}`;
}

// ECR's AttributeValue is 1..256 characters.
const attribute = (key: string, value: string): Attribute => ({ key, value: value.slice(0, 256) });

function toFinding(hit: Hit): ImageScanFinding {
  const verdict = severityOf(hit.osv, hit.affected);
  const attributes = [attribute('package_version', hit.packageVersion), attribute('package_name', hit.packageName)];
  if (verdict.cvss3) attributes.push(attribute('CVSS3_SCORE', verdict.cvss3.score.toFixed(1)), attribute('CVSS3_VECTOR', verdict.cvss3.vector));
  if (verdict.cvss2) attributes.push(attribute('CVSS2_SCORE', verdict.cvss2.score.toFixed(1)), attribute('CVSS2_VECTOR', verdict.cvss2.vector));
  return {
    name: findingName(hit.osv),
    description: hit.osv.details || hit.osv.summary || '',
    uri: uriOf(hit.osv),
    severity: verdict.severity,
    attributes: attributes.filter((a) => a.value !== ''),
  };
}

const attr = (f: ImageScanFinding, key: string): string => f.attributes.find((a) => a.key === key)?.value ?? '';

/** Deduplicated findings, most severe first, then by name, package and version. */
export function toFindings(hits: Hit[]): ImageScanFinding[] {
  const byKey = new Map<string, ImageScanFinding>();
  const ordered = [...hits].sort((a, b) => (a.osv.id < b.osv.id ? -1 : a.osv.id > b.osv.id ? 1 : 0));
  for (const hit of ordered) {
    const f = toFinding(hit);
    const key = `${f.name}\0${hit.packageName}\0${hit.packageVersion}`;
    const seen = byKey.get(key);
    if (!seen || rank(f.severity) < rank(seen.severity)) byKey.set(key, f);
  }
  return [...byKey.values()].sort(
    (a, b) =>
      rank(a.severity) - rank(b.severity) ||
      cmp(a.name, b.name) ||
      cmp(attr(a, 'package_name'), attr(b, 'package_name')) ||
      cmp(attr(a, 'package_version'), attr(b, 'package_version')),
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function severityCounts(findings: ImageScanFinding[]): Partial<Record<FindingSeverity, number>> {
  const counts: Partial<Record<FindingSeverity, number>> = {};
  for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  return counts;
}
