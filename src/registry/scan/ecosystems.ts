import { normalizePypiName } from './versions/pep440.js';

// OSV ecosystem strings carry qualifiers after `:` (`Debian:12`,
// `Ubuntu:22.04:LTS`, `Red Hat:enterprise_linux:9::appstream`). A package's
// ecosystem matches an advisory's when they are equal, when the advisory's is
// the bare base (`Debian`), or when the advisory's only narrows the package's
// further (`Ubuntu:22.04` → `Ubuntu:22.04:LTS`). A package whose release is
// unknown (plain `Debian`) matches only plain advisories: matching every
// release's would report other releases' version ranges.

export function baseEcosystem(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return colon < 0 ? ecosystem : ecosystem.slice(0, colon);
}

export function ecosystemMatches(packageEcosystem: string, advisoryEcosystem: string): boolean {
  return (
    advisoryEcosystem === packageEcosystem ||
    advisoryEcosystem === baseEcosystem(packageEcosystem) ||
    (packageEcosystem.includes(':') && advisoryEcosystem.startsWith(`${packageEcosystem}:`))
  );
}

/** The key a package name is stored and looked up by. */
export function packageKey(ecosystem: string, name: string): string {
  return baseEcosystem(ecosystem) === 'PyPI' ? normalizePypiName(name) : name;
}
