// Which image files hold package metadata, by path (relative to the root).

export type FileKind =
  | 'os-release'
  | 'dpkg-status'
  | 'dpkg-status-d'
  | 'apk-installed'
  | 'rpmdb-sqlite'
  | 'rpmdb-bdb'
  | 'npm-lock'
  | 'npm-package'
  | 'python-metadata';

export const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'];

// rpm moved its database to /usr/lib/sysimage/rpm (Fedora, SUSE); /var/lib/rpm is the classic place.
const RPM_DIRS = ['var/lib/rpm/', 'usr/lib/sysimage/rpm/'];

export function classify(path: string): FileKind | undefined {
  if (OS_RELEASE_PATHS.includes(path)) return 'os-release';
  if (path === 'var/lib/dpkg/status') return 'dpkg-status';
  if (/^var\/lib\/dpkg\/status\.d\/[^/]+$/.test(path) && !path.endsWith('.md5sums')) return 'dpkg-status-d';
  if (path === 'lib/apk/db/installed') return 'apk-installed';
  for (const dir of RPM_DIRS) {
    if (path === `${dir}rpmdb.sqlite`) return 'rpmdb-sqlite';
    if (path === `${dir}Packages` || path === `${dir}Packages.db`) return 'rpmdb-bdb';
  }
  if (/(^|\/)package-lock\.json$/.test(path)) return 'npm-lock';
  if (/(^|\/)node_modules\/(@[^/]+\/)?[^/@.][^/]*\/package\.json$/.test(path)) return 'npm-package';
  if (/\.dist-info\/METADATA$/.test(path) || /\.egg-info\/PKG-INFO$/.test(path)) return 'python-metadata';
  return undefined;
}
