import semverLib from 'semver';
import type { Comparator } from './comparator.js';

// npm versions and OSV's SEMVER ranges are SemVer 2.0; Go module versions are
// SemVer with a `v` (pseudo-versions are prereleases, `+incompatible` is build
// metadata, and both already order correctly).

function parse(v: string): semverLib.SemVer | null {
  return semverLib.parse(v.trim().replace(/^v/, ''));
}

export const semver: Comparator = {
  compare(a, b) {
    const x = parse(a);
    const y = parse(b);
    // Invalid versions sort first, among themselves by text, so compare stays total.
    if (!x || !y) return x ? 1 : y ? -1 : a < b ? -1 : a > b ? 1 : 0;
    return x.compare(y);
  },
  valid: (v) => parse(v) !== null,
};

/** Go's toolchain versions (`go1.21`, `go1.22rc1`) as the semver OSV's `stdlib` entries use. */
export function goToolchainSemver(goVersion: string): string | undefined {
  const m = /^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?/.exec(goVersion.trim());
  if (!m) return undefined;
  const [, major, minor = '0', patch = '0', pre, n] = m;
  return `v${major}.${minor}.${patch}${pre ? `-${pre}.${n}` : ''}`;
}
