import * as pep440Lib from '@renovatebot/pep440';
import type { Comparator } from './comparator.js';

// PEP 440 ordering (epochs, pre/post/dev releases, local versions) is large
// enough to borrow: @renovatebot/pep440 is a port of `packaging.version`.

export const pep440: Comparator = {
  compare(a, b) {
    const x = pep440Lib.valid(a) !== null;
    const y = pep440Lib.valid(b) !== null;
    if (!x || !y) return x ? 1 : y ? -1 : a < b ? -1 : a > b ? 1 : 0;
    return pep440Lib.compare(a, b);
  },
  valid: (v) => pep440Lib.valid(v) !== null,
};

/** PEP 503 name normalization, which OSV's PyPI names follow. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}
