import { parseStanzas, type FoundPackage } from './found.js';

// Installed distributions: *.dist-info/METADATA (wheels) and
// *.egg-info/PKG-INFO (setuptools); both start with RFC 822 headers.

export function parsePythonMetadata(text: string, path: string): FoundPackage[] {
  const headers = parseStanzas(text)[0];
  const name = headers?.get('Name');
  const version = headers?.get('Version');
  return name && version ? [{ ecosystem: 'PyPI', name, version, path }] : [];
}
