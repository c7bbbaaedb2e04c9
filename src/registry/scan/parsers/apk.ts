import type { FoundPackage } from './found.js';

// lib/apk/db/installed: blank-line separated records of `X:value` lines;
// P is the package, V its version, o its origin (the aport, i.e. the source
// package that Alpine's advisories name).

export function parseApkInstalled(text: string, path: string): FoundPackage[] {
  const found: FoundPackage[] = [];
  for (const record of text.split(/\r?\n\r?\n/)) {
    const fields = new Map<string, string>();
    for (const line of record.split(/\r?\n/)) {
      if (line.length > 2 && line[1] === ':' && !fields.has(line[0]!)) fields.set(line[0]!, line.slice(2));
    }
    const name = fields.get('P');
    const version = fields.get('V');
    if (!name || !version) continue;
    found.push({ manager: 'apk', name, version, sourceName: fields.get('o') || name, path });
  }
  return found;
}
