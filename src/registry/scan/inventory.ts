import { posix } from 'node:path';
import { drain, MAX_EXECUTABLE, readExecutable, readKnownFile, type Found } from './file-readers.js';
import { classify, OS_RELEASE_PATHS } from './files.js';
import { openLayer, type TarEntry } from './layer-reader.js';
import { Overlay } from './overlay.js';
import type { FoundPackage } from './parsers/found.js';
import { osEcosystem } from './parsers/os-release.js';
import type { Inventory, LayerOpener, OsRelease, Package } from './types.js';

// layers (base first) → tar entries → overlay of found files → packages.
// OS packages get their ecosystem only at the end, from the os-release that
// survives all layers.

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

function normalize(name: string): string {
  return posix.normalize(name.replace(/^(\.?\/)+/, '')).replace(/\/+$/, '').replace(/^\.$/, '');
}

async function readEntry({ header, body }: TarEntry, overlay: Overlay<Found>): Promise<void> {
  const path = normalize(header.name);
  const base = posix.basename(path);
  const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
  if (path === '' || header.type === 'directory') return drain(body);
  if (base === OPAQUE) {
    overlay.opaque(dir);
    return drain(body);
  }
  if (base.startsWith(WHITEOUT)) {
    overlay.whiteout(posix.join(dir, base.slice(WHITEOUT.length)));
    return drain(body);
  }
  overlay.replace(path);
  if (header.type === 'symlink' && OS_RELEASE_PATHS.includes(path)) {
    overlay.set(path, { packages: [], notes: [], link: header.linkname ?? '' });
    return drain(body);
  }
  if (header.type !== 'file' && header.type !== 'contiguous-file') return drain(body);
  const kind = classify(path);
  if (kind) {
    overlay.set(path, await readKnownFile(kind, path, header.size ?? 0, body));
  } else if ((header.size ?? 0) <= MAX_EXECUTABLE) {
    const found = await readExecutable(path, body);
    if (found) overlay.set(path, found);
  } else {
    await drain(body);
  }
}

function resolveOs(overlay: Overlay<Found>): OsRelease | undefined {
  for (const path of OS_RELEASE_PATHS) {
    const found = overlay.get(path);
    if (found?.os) return found.os;
    if (found?.link) {
      const target = found.link.startsWith('/') ? normalize(found.link) : normalize(posix.join(posix.dirname(path), found.link));
      const linked = overlay.get(target);
      if (linked?.os) return linked.os;
    }
  }
  return undefined;
}

function toPackage(p: FoundPackage, os: OsRelease | undefined): Package {
  if (!('manager' in p)) return p;
  const { manager, ...rest } = p;
  return { ecosystem: osEcosystem(os, manager), ...rest };
}

export async function inventoryImage(layers: LayerOpener[]): Promise<Inventory> {
  const overlay = new Overlay<Found>();
  const notes: string[] = [];
  for (const [i, open] of layers.entries()) {
    const layer = await openLayer(open);
    if (layer.format === 'zstd') {
      notes.push(`layer ${i + 1}: zstd-compressed, not read`);
      continue;
    }
    try {
      for await (const entry of layer.entries()) await readEntry(entry, overlay);
    } catch (err) {
      // A truncated or corrupt layer still leaves the others worth reporting.
      notes.push(`layer ${i + 1}: ${(err as Error).message}; the rest of it was not read`);
    } finally {
      layer.close();
    }
    overlay.endLayer();
  }

  const os = resolveOs(overlay);
  const packages: Package[] = [];
  const seen = new Set<string>();
  let osPackages = false;
  for (const [, found] of overlay.entries()) {
    notes.push(...found.notes);
    for (const p of found.packages) {
      if ('manager' in p) osPackages = true;
      const pkg = toPackage(p, os);
      const key = [pkg.ecosystem, pkg.name, pkg.version, pkg.path].join('\0');
      if (!seen.has(key)) {
        seen.add(key);
        packages.push(pkg);
      }
    }
  }
  if (osPackages && !os) notes.push('no os-release found: OS packages were matched without a release');
  return { ...(os && { os }), packages, notes };
}
