import { compareDigits, sign, type Comparator } from './comparator.js';

// dpkg's own algorithm (lib/dpkg/version.c): [epoch:]upstream[-revision],
// each part compared as alternating non-digit and digit runs, where in the
// non-digit runs letters sort before other characters and `~` sorts before
// everything, even the end of the string (so 1.0~rc1 < 1.0).

interface DpkgVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

function parse(v: string): DpkgVersion {
  const s = v.trim();
  const m = /^(\d+):(.*)$/s.exec(s);
  const epoch = m ? m[1] : '0';
  const rest = m ? m[2] : s;
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) } : { epoch, upstream: rest, revision: '' };
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return sign(ac - bc);
      i++;
      j++;
    }
    const si = i;
    while (isDigit(a[i])) i++;
    const sj = j;
    while (isDigit(b[j])) j++;
    const d = compareDigits(a.slice(si, i), b.slice(sj, j));
    if (d !== 0) return d;
  }
  return 0;
}

export const dpkg: Comparator = {
  compare(a, b) {
    const x = parse(a);
    const y = parse(b);
    return compareDigits(x.epoch, y.epoch) || verrevcmp(x.upstream, y.upstream) || verrevcmp(x.revision, y.revision);
  },
  valid: (v) => /^(\d+:)?[0-9A-Za-z.+~:-]+$/.test(v.trim()) && parse(v).upstream.length > 0,
};
