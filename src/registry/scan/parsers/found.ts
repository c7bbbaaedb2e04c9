import type { Package } from '../types.js';

/** The OS package managers, whose packages take their ecosystem from os-release once all layers are read. */
export type OsPackageManager = 'dpkg' | 'apk' | 'rpm';

/** A package as a parser sees it: language packages know their ecosystem, OS packages only their manager. */
export type FoundPackage = Omit<Package, 'ecosystem'> & ({ ecosystem: string } | { manager: OsPackageManager });

/** Splits RFC 822-style stanzas (dpkg status, Python METADATA) into field maps; continuation lines are folded in. */
export function parseStanzas(text: string): Array<Map<string, string>> {
  const stanzas: Array<Map<string, string>> = [];
  let current = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (current.size > 0) stanzas.push(current);
      current = new Map();
      last = undefined;
    } else if (/^[ \t]/.test(line)) {
      if (last !== undefined) current.set(last, `${current.get(last)}\n${line.trim()}`);
    } else {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      last = line.slice(0, colon).trim();
      // The first occurrence wins: METADATA repeats fields like Classifier, never Name or Version.
      if (!current.has(last)) current.set(last, line.slice(colon + 1).trim());
    }
  }
  if (current.size > 0) stanzas.push(current);
  return stanzas;
}
