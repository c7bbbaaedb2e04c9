import { cvss2BaseScore, cvss2Rating, cvss3BaseScore, cvss3Rating } from './cvss.js';
import type { FindingSeverity, Osv, OsvAffected, OsvSeverity } from './types.js';

// A finding's severity: the database's own word first (GHSA's MODERATE, Red
// Hat's Important…), then the CVSS v3 base score, then v2, else UNDEFINED.

export interface SeverityVerdict {
  severity: FindingSeverity;
  cvss3?: { vector: string; score: number };
  cvss2?: { vector: string; score: number };
}

const WORDS = new Map<string, FindingSeverity>([
  ['critical', 'CRITICAL'],
  ['high', 'HIGH'],
  ['important', 'HIGH'],
  ['moderate', 'MEDIUM'],
  ['medium', 'MEDIUM'],
  ['low', 'LOW'],
  ['negligible', 'INFORMATIONAL'],
  ['unimportant', 'INFORMATIONAL'],
  ['informational', 'INFORMATIONAL'],
  ['none', 'INFORMATIONAL'],
]);

function databaseSeverity(osv: Osv): FindingSeverity | undefined {
  const word = osv.database_specific?.['severity'];
  return typeof word === 'string' ? WORDS.get(word.trim().toLowerCase()) : undefined;
}

function firstScored(entries: OsvSeverity[], type: string, score: (v: string) => number | undefined): { vector: string; score: number } | undefined {
  for (const e of entries) {
    if (e?.type !== type || typeof e.score !== 'string') continue;
    const s = score(e.score);
    if (s !== undefined) return { vector: e.score, score: s };
  }
  return undefined;
}

export function severityOf(osv: Osv, affected: OsvAffected | undefined): SeverityVerdict {
  // OSV puts severity on the advisory or, when packages differ, on each affected entry.
  const entries = [...(osv.severity ?? []), ...(affected?.severity ?? [])];
  const cvss3 = firstScored(entries, 'CVSS_V3', cvss3BaseScore);
  const cvss2 = firstScored(entries, 'CVSS_V2', cvss2BaseScore);
  const severity = databaseSeverity(osv) ?? (cvss3 ? cvss3Rating(cvss3.score) : cvss2 ? cvss2Rating(cvss2.score) : 'UNDEFINED');
  return { severity, ...(cvss3 && { cvss3 }), ...(cvss2 && { cvss2 }) };
}
