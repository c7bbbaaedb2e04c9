import type { FoundPackage } from './found.js';

// package-lock.json: lockfileVersion 2 and 3 list every installed package in
// `packages`, keyed by its folder (`node_modules/a/node_modules/@s/b`);
// version 1 nests `dependencies`. Links (workspaces) and the root are not
// installed packages.

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function nameFromFolder(folder: string): string | undefined {
  const at = folder.lastIndexOf('node_modules/');
  return at < 0 ? undefined : folder.slice(at + 'node_modules/'.length) || undefined;
}

export function parsePackageLock(text: string, path: string): FoundPackage[] {
  const lock: unknown = JSON.parse(text);
  if (!isObject(lock)) return [];
  const found: FoundPackage[] = [];
  const add = (name: unknown, version: unknown): void => {
    if (typeof name === 'string' && name !== '' && typeof version === 'string' && version !== '') {
      found.push({ ecosystem: 'npm', name, version, path });
    }
  };
  if (isObject(lock['packages'])) {
    for (const [folder, entry] of Object.entries(lock['packages'])) {
      if (folder === '' || !isObject(entry) || entry['link'] === true) continue;
      // An aliased install (`"x": "npm:real@1"`) records the real name in `name`.
      add(typeof entry['name'] === 'string' ? entry['name'] : nameFromFolder(folder), entry['version']);
    }
  } else if (isObject(lock['dependencies'])) {
    const walk = (deps: Record<string, unknown>): void => {
      for (const [name, entry] of Object.entries(deps)) {
        if (!isObject(entry)) continue;
        const version = entry['version'];
        // v1 writes an alias's version as `npm:real@1.2.3`.
        const alias = typeof version === 'string' ? /^npm:((?:@[^/]+\/)?[^@]+)@(.+)$/.exec(version) : null;
        if (alias) add(alias[1], alias[2]);
        else add(name, version);
        if (isObject(entry['dependencies'])) walk(entry['dependencies']);
      }
    };
    walk(lock['dependencies']);
  }
  return found;
}

/** node_modules/<name>/package.json of an installed package. */
export function parseInstalledPackageJson(text: string, path: string): FoundPackage[] {
  const pkg: unknown = JSON.parse(text);
  if (!isObject(pkg) || typeof pkg['name'] !== 'string' || typeof pkg['version'] !== 'string' || pkg['name'] === '' || pkg['version'] === '') return [];
  return [{ ecosystem: 'npm', name: pkg['name'], version: pkg['version'], path }];
}
