/**
 * One ecosystem's version ordering. `valid` says whether a string is a version
 * the ordering understands: a range whose bounds or whose installed version is
 * not valid is not evaluated, because comparing garbage would report an
 * arbitrary answer as fact.
 */
export interface Comparator {
  compare(a: string, b: string): number;
  valid(v: string): boolean;
}

/** Compares two runs of decimal digits by value without overflowing. */
export function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
