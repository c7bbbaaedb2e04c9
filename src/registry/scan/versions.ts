import { baseEcosystem } from './ecosystems.js';
import { apk } from './versions/apk.js';
import type { Comparator } from './versions/comparator.js';
import { dpkg } from './versions/dpkg.js';
import { pep440 } from './versions/pep440.js';
import { rpm } from './versions/rpm.js';
import { semver } from './versions/semver.js';

// Which ordering an ecosystem's ECOSYSTEM ranges use. OSV's SEMVER ranges
// always use semver, whatever the ecosystem.

export type { Comparator } from './versions/comparator.js';
export { apk, dpkg, pep440, rpm, semver };

const BY_ECOSYSTEM = new Map<string, Comparator>(Object.entries({
  Debian: dpkg,
  Ubuntu: dpkg,
  Alpine: apk,
  Wolfi: apk,
  Chainguard: apk,
  Alpaquita: apk,
  'Red Hat': rpm,
  'Rocky Linux': rpm,
  AlmaLinux: rpm,
  SUSE: rpm,
  openSUSE: rpm,
  'Photon OS': rpm,
  Mageia: rpm,
  openEuler: rpm,
  'Azure Linux': rpm,
  npm: semver,
  Go: semver,
  PyPI: pep440,
}));

export function comparatorFor(ecosystem: string): Comparator | undefined {
  return BY_ECOSYSTEM.get(baseEcosystem(ecosystem));
}
