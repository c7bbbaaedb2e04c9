import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseApkInstalled } from '../../../src/registry/scan/parsers/apk.js';
import { parseDpkgStatus } from '../../../src/registry/scan/parsers/dpkg.js';
import { parseInstalledPackageJson, parsePackageLock } from '../../../src/registry/scan/parsers/npm.js';
import { osEcosystem, parseOsRelease } from '../../../src/registry/scan/parsers/os-release.js';
import { parsePythonMetadata } from '../../../src/registry/scan/parsers/python.js';
import { parseRpmHeader, sourceRpmName } from '../../../src/registry/scan/parsers/rpm-header.js';
import { lines, rpmHeaderBlob } from './fixtures.js';

test('dpkg status: installed packages only, with their source package', () => {
  const status = lines(
    'Package: libssl3',
    'Status: install ok installed',
    'Version: 3.0.11-1~deb12u1',
    'Source: openssl',
    'Description: Secure Sockets Layer toolkit',
    ' - shared libraries',
    '',
    'Package: removed',
    'Status: deinstall ok config-files',
    'Version: 1.0',
    '',
    'Package: zlib1g',
    'Status: install ok installed',
    'Version: 1:1.2.13.dfsg-1+b1',
    'Source: zlib (1:1.2.13.dfsg-1)',
  );
  assert.deepEqual(parseDpkgStatus(status, 'var/lib/dpkg/status', false), [
    { manager: 'dpkg', name: 'libssl3', version: '3.0.11-1~deb12u1', sourceName: 'openssl', path: 'var/lib/dpkg/status' },
    { manager: 'dpkg', name: 'zlib1g', version: '1:1.2.13.dfsg-1+b1', sourceName: 'zlib', sourceVersion: '1:1.2.13.dfsg-1', path: 'var/lib/dpkg/status' },
  ]);
  // distroless status.d files have no Status field.
  assert.equal(parseDpkgStatus(lines('Package: base-files', 'Version: 12.4'), 'var/lib/dpkg/status.d/base', true).length, 1);
  assert.equal(parseDpkgStatus(lines('Package: base-files', 'Version: 12.4'), 'var/lib/dpkg/status', false).length, 0);
});

test('apk installed database', () => {
  const db = lines('C:Q1abc=', 'P:libcrypto3', 'V:3.1.4-r1', 'o:openssl', 'F:lib', 'R:libcrypto.so.3', '', 'P:musl', 'V:1.2.4-r2');
  assert.deepEqual(parseApkInstalled(db, 'lib/apk/db/installed'), [
    { manager: 'apk', name: 'libcrypto3', version: '3.1.4-r1', sourceName: 'openssl', path: 'lib/apk/db/installed' },
    { manager: 'apk', name: 'musl', version: '1.2.4-r2', sourceName: 'musl', path: 'lib/apk/db/installed' },
  ]);
});

test('os-release to OSV ecosystems', () => {
  const eco = (text: string, manager: 'dpkg' | 'apk' | 'rpm' = 'dpkg'): string => osEcosystem(parseOsRelease(text), manager);
  assert.equal(eco('ID=debian\nVERSION_ID="12"\n'), 'Debian:12');
  assert.equal(eco('ID=ubuntu\nVERSION_ID="22.04"\n'), 'Ubuntu:22.04');
  assert.equal(eco('ID=alpine\nVERSION_ID=3.19.1\n', 'apk'), 'Alpine:v3.19');
  assert.equal(eco('ID="rocky"\nVERSION_ID="9.3"\n', 'rpm'), 'Rocky Linux:9');
  assert.equal(eco('ID="almalinux"\nVERSION_ID="9.3"\n', 'rpm'), 'AlmaLinux:9');
  assert.equal(eco('ID="rhel"\nVERSION_ID="9.3"\n', 'rpm'), 'Red Hat:enterprise_linux:9');
  assert.equal(eco('ID="opensuse-leap"\nVERSION_ID="15.5"\nPRETTY_NAME="openSUSE Leap 15.5"\n', 'rpm'), 'openSUSE:Leap 15.5');
  assert.equal(eco('ID="sles"\nVERSION_ID="15.5"\nPRETTY_NAME="SUSE Linux Enterprise Server 15 SP5"\n', 'rpm'), 'SUSE:Linux Enterprise Server 15 SP5');
  assert.equal(eco('ID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_ID=21.2\n'), 'Ubuntu');
  assert.equal(osEcosystem(undefined, 'apk'), 'Alpine');
});

test('package-lock.json v3 and v1, and installed package.json', () => {
  const v3 = JSON.stringify({
    lockfileVersion: 3,
    packages: {
      '': { name: 'app', version: '1.0.0' },
      'node_modules/lodash': { version: '4.17.20' },
      'node_modules/a/node_modules/@scope/b': { version: '2.0.0' },
      'node_modules/alias': { name: 'real', version: '1.2.3' },
      'node_modules/ws-local': { link: true, resolved: 'packages/ws' },
    },
  });
  assert.deepEqual(
    parsePackageLock(v3, 'app/package-lock.json').map((p) => [p.name, p.version]),
    [['lodash', '4.17.20'], ['@scope/b', '2.0.0'], ['real', '1.2.3']],
  );
  const v1 = JSON.stringify({
    lockfileVersion: 1,
    dependencies: { minimist: { version: '1.2.5', dependencies: { inner: { version: '0.1.0' } } }, al: { version: 'npm:real@2.0.0' } },
  });
  assert.deepEqual(
    parsePackageLock(v1, 'package-lock.json').map((p) => [p.name, p.version]),
    [['minimist', '1.2.5'], ['inner', '0.1.0'], ['real', '2.0.0']],
  );
  assert.deepEqual(parseInstalledPackageJson('{"name":"express","version":"4.17.1"}', 'p'), [{ ecosystem: 'npm', name: 'express', version: '4.17.1', path: 'p' }]);
  assert.deepEqual(parseInstalledPackageJson('{"name":"x"}', 'p'), []);
});

test('Python METADATA headers', () => {
  const meta = lines('Metadata-Version: 2.1', 'Name: Requests', 'Version: 2.25.0', '', 'Name: not-a-header');
  assert.deepEqual(parsePythonMetadata(meta, 'm'), [{ ecosystem: 'PyPI', name: 'Requests', version: '2.25.0', path: 'm' }]);
});

test('rpm header blobs', () => {
  const blob = rpmHeaderBlob({ name: 'openssl-libs', version: '3.0.7', release: '24.el9', epoch: 1, arch: 'x86_64', sourceRpm: 'openssl-3.0.7-24.el9.src.rpm' });
  assert.deepEqual(parseRpmHeader(blob), {
    name: 'openssl-libs',
    version: '3.0.7',
    release: '24.el9',
    epoch: 1,
    arch: 'x86_64',
    sourceRpm: 'openssl-3.0.7-24.el9.src.rpm',
  });
  assert.equal(parseRpmHeader(blob.subarray(0, blob.length - 5)), undefined);
  assert.equal(parseRpmHeader(Buffer.from([0, 0])), undefined);
  assert.equal(sourceRpmName('python3-pip-21.3.1-1.el9.src.rpm'), 'python3-pip');
});
