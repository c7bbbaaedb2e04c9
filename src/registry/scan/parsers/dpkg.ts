import { parseStanzas, type FoundPackage } from './found.js';

// var/lib/dpkg/status (one stanza per package, installed when Status ends in
// "installed") and distroless's var/lib/dpkg/status.d/<name> (one stanza per
// file, usually without a Status field: present means installed).

export function parseDpkgStatus(text: string, path: string, statusOptional: boolean): FoundPackage[] {
  const found: FoundPackage[] = [];
  for (const s of parseStanzas(text)) {
    const name = s.get('Package');
    const version = s.get('Version');
    if (!name || !version) continue;
    const status = s.get('Status');
    if (status === undefined ? !statusOptional : status.split(/\s+/).pop() !== 'installed') continue;
    const pkg: FoundPackage = { manager: 'dpkg', name, version, path };
    // "Source: openssl" or "Source: openssl (3.0.11-1~deb12u2)" when a binNMU made the versions differ.
    const source = /^(\S+)(?:\s+\(([^)]+)\))?/.exec(s.get('Source') ?? '');
    if (source) {
      pkg.sourceName = source[1];
      if (source[2] && source[2] !== version) pkg.sourceVersion = source[2];
    } else {
      pkg.sourceName = name;
    }
    found.push(pkg);
  }
  return found;
}
