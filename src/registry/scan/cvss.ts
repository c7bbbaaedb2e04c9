// CVSS base scores from vector strings, with the official formulas:
// v3.x https://www.first.org/cvss/v3.1/specification-document#7-1-Base-Metrics-Equations
// v2   https://www.first.org/cvss/v2/guide#3-2-1-Base-Equation

function metrics(parts: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of parts) {
    const [k, v] = p.split(':');
    if (k && v && !m.has(k)) m.set(k, v);
  }
  return m;
}

const V3 = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

function pick<T extends Record<string, number>>(table: T, value: string | undefined): number | undefined {
  return value !== undefined && Object.hasOwn(table, value) ? table[value as keyof T] : undefined;
}

/** v3.1's Roundup, which v3.0 scores share: integer arithmetic avoids 4.000000001 → 4.1. */
function roundup(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

export function cvss3BaseScore(vector: string): number | undefined {
  const [head, ...rest] = vector.trim().split('/');
  if (head !== 'CVSS:3.0' && head !== 'CVSS:3.1') return undefined;
  const m = metrics(rest);
  const scope = m.get('S');
  if (scope !== 'U' && scope !== 'C') return undefined;
  const changed = scope === 'C';
  const pr = { N: 0.85, L: changed ? 0.68 : 0.62, H: changed ? 0.5 : 0.27 };
  const av = pick(V3.AV, m.get('AV'));
  const ac = pick(V3.AC, m.get('AC'));
  const ui = pick(V3.UI, m.get('UI'));
  const p = pick(pr, m.get('PR'));
  const c = pick(V3.CIA, m.get('C'));
  const i = pick(V3.CIA, m.get('I'));
  const a = pick(V3.CIA, m.get('A'));
  if (av === undefined || ac === undefined || ui === undefined || p === undefined || c === undefined || i === undefined || a === undefined) {
    return undefined;
  }
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
  const exploitability = 8.22 * av * ac * p * ui;
  if (impact <= 0) return 0;
  return changed ? roundup(Math.min(1.08 * (impact + exploitability), 10)) : roundup(Math.min(impact + exploitability, 10));
}

const V2 = {
  AV: { L: 0.395, A: 0.646, N: 1.0 },
  AC: { H: 0.35, M: 0.61, L: 0.71 },
  Au: { M: 0.45, S: 0.56, N: 0.704 },
  CIA: { N: 0, P: 0.275, C: 0.66 },
} as const;

export function cvss2BaseScore(vector: string): number | undefined {
  const body = vector.trim().replace(/^\(|\)$/g, '').replace(/^CVSS:2\.0\//, '');
  const m = metrics(body.split('/'));
  const av = pick(V2.AV, m.get('AV'));
  const ac = pick(V2.AC, m.get('AC'));
  const au = pick(V2.Au, m.get('Au'));
  const c = pick(V2.CIA, m.get('C'));
  const i = pick(V2.CIA, m.get('I'));
  const a = pick(V2.CIA, m.get('A'));
  if (av === undefined || ac === undefined || au === undefined || c === undefined || i === undefined || a === undefined) return undefined;
  const impact = 10.41 * (1 - (1 - c) * (1 - i) * (1 - a));
  const exploitability = 20 * av * ac * au;
  if (impact === 0) return 0;
  return Math.round((0.6 * impact + 0.4 * exploitability - 1.5) * 1.176 * 10) / 10;
}

export type Rating = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL';

/** v3's qualitative scale; a score of 0.0 ("None") is ECR's INFORMATIONAL. */
export function cvss3Rating(score: number): Rating {
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'INFORMATIONAL';
}

/** v2 has no CRITICAL: NVD's v2 scale is LOW < 4 ≤ MEDIUM < 7 ≤ HIGH. */
export function cvss2Rating(score: number): Rating {
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'INFORMATIONAL';
}
