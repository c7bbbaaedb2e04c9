import { compareDigits, type Comparator } from './comparator.js';

// rpm's rpmvercmp (rpmio/rpmvercmp.c) over [epoch:]version[-release]:
// alphanumeric segments compared one by one, numbers numerically and above
// letters; `~` sorts before everything (pre-releases) and `^` after the base
// version but before anything else that continues it (snapshots).

const isAlnum = (c: string | undefined): boolean => c !== undefined && /[0-9A-Za-z]/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean => c !== undefined && /[A-Za-z]/.test(c);

export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i]);
    const run = numeric ? isDigit : isAlpha;
    const si = i;
    const sj = j;
    while (run(a[i])) i++;
    while (run(b[j])) j++;
    // A numeric segment against an alphabetic one: the number is newer.
    if (sj === j) return numeric ? 1 : -1;
    const x = a.slice(si, i);
    const y = b.slice(sj, j);
    const r = numeric ? compareDigits(x, y) : x < y ? -1 : x > y ? 1 : 0;
    if (r !== 0) return r;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

interface Evr {
  epoch: string;
  version: string;
  release: string;
}

export function parseEvr(v: string): Evr {
  const m = /^(\d+):(.*)$/s.exec(v.trim());
  const epoch = m ? m[1] : '0';
  const rest = m ? m[2] : v.trim();
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) } : { epoch, version: rest, release: '' };
}

export const rpm: Comparator = {
  compare(a, b) {
    const x = parseEvr(a);
    const y = parseEvr(b);
    return compareDigits(x.epoch, y.epoch) || rpmvercmp(x.version, y.version) || rpmvercmp(x.release, y.release);
  },
  valid: (v) => parseEvr(v).version.length > 0,
};
