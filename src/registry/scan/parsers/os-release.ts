import type { OsRelease } from '../types.js';
import type { OsPackageManager } from './found.js';

// os-release(5) → OSV ecosystem, using the release suffix each OSV ecosystem
// defines (https://ossf.github.io/osv-schema/#defined-ecosystems).

export function parseOsRelease(text: string): OsRelease | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    if (/^(["']).*\1$/.test(v)) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    fields.set(m[1]!, v);
  }
  const id = fields.get('ID');
  if (!id) return undefined;
  const os: OsRelease = { id };
  const versionId = fields.get('VERSION_ID');
  if (versionId) os.versionId = versionId;
  const prettyName = fields.get('PRETTY_NAME');
  if (prettyName) os.prettyName = prettyName;
  const like = fields.get('ID_LIKE');
  if (like) os.idLike = like.split(/\s+/);
  return os;
}

const major = (v: string | undefined): string | undefined => v?.split('.')[0];
const majorMinor = (v: string | undefined): string | undefined => /^\d+\.\d+/.exec(v ?? '')?.[0];

function byId(id: string, os: OsRelease): string | undefined {
  const v = os.versionId;
  switch (id) {
    case 'debian':
      return v ? `Debian:${v}` : 'Debian';
    case 'ubuntu':
      return v ? `Ubuntu:${v}` : 'Ubuntu';
    case 'alpine': {
      const mm = majorMinor(v);
      return mm ? `Alpine:v${mm}` : 'Alpine';
    }
    case 'wolfi':
      return 'Wolfi';
    case 'chainguard':
      return 'Chainguard';
    case 'rhel':
      return v ? `Red Hat:enterprise_linux:${major(v)}` : 'Red Hat';
    case 'rocky':
      return v ? `Rocky Linux:${major(v)}` : 'Rocky Linux';
    case 'almalinux':
      return v ? `AlmaLinux:${major(v)}` : 'AlmaLinux';
    case 'photon':
      return v ? `Photon OS:${v}` : 'Photon OS';
    case 'mageia':
      return v ? `Mageia:${v}` : 'Mageia';
    default:
      // SUSE's suffix is PRETTY_NAME without the vendor: "openSUSE Leap 15.5" → "openSUSE:Leap 15.5".
      if (id.startsWith('opensuse')) return os.prettyName?.startsWith('openSUSE ') ? `openSUSE:${os.prettyName.slice(9)}` : 'openSUSE';
      if (id === 'sles' || id.startsWith('sle')) return os.prettyName?.startsWith('SUSE ') ? `SUSE:${os.prettyName.slice(5)}` : 'SUSE';
      return undefined;
  }
}

const FALLBACK: Record<OsPackageManager, string> = { dpkg: 'Debian', apk: 'Alpine', rpm: 'Red Hat' };

/**
 * The ecosystem of an OS package. A derivative (ID_LIKE) gets its parent's
 * bare ecosystem, since its release numbers are not the parent's.
 */
export function osEcosystem(os: OsRelease | undefined, manager: OsPackageManager): string {
  if (os) {
    const own = byId(os.id, os);
    if (own) return own;
    for (const like of os.idLike ?? []) {
      const parent = byId(like, { id: like });
      if (parent) return parent;
    }
  }
  return FALLBACK[manager];
}
