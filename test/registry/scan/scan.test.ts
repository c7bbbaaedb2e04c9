import type * as ecr from '@aws-sdk/client-ecr';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { scanImage, type Osv, type ScanResult } from '../../../src/registry/scan/index.js';
import { freshDatabase, goBinary, gzipLayer, lines, opener, rpmdbSqlite, tarball, writeTree } from './fixtures.js';

const IMPORTED_AT = Date.parse('2024-06-01T00:00:00Z');
const SCANNED_AT = Date.parse('2024-06-02T12:00:00Z');

const ecosystemRange = (...events: Array<Record<string, string>>) => [{ type: 'ECOSYSTEM', events }];
const semverRange = (...events: Array<Record<string, string>>) => [{ type: 'SEMVER', events }];

const ADVISORIES: Record<string, Osv | Osv[]> = {
  // Names the source package; both binaries of it (libssl3, openssl) are one finding.
  'debian/DEBIAN-CVE-2023-5678.json': {
    id: 'DEBIAN-CVE-2023-5678',
    modified: '2024-01-01T00:00:00Z',
    details: 'Excessive time spent in DH check / generation with large Q parameter value.',
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: ecosystemRange({ introduced: '0' }, { fixed: '3.0.11-1~deb12u2' }) }],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N' }],
  },
  // Fixed in exactly the installed version: not affected.
  'debian/DEBIAN-CVE-2023-0001.json': {
    id: 'DEBIAN-CVE-2023-0001',
    modified: '2024-01-01T00:00:00Z',
    affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: ecosystemRange({ introduced: '0' }, { fixed: '3.0.11-1~deb12u1' }) }],
  },
  'debian/zlib.json': [
    // Plain `Debian` applies to every release; the fix has an epoch and equals the installed version.
    {
      id: 'DEBIAN-CVE-2022-37434',
      modified: '2024-01-01T00:00:00Z',
      affected: [{ package: { ecosystem: 'Debian', name: 'zlib' }, ranges: ecosystemRange({ introduced: '0' }, { fixed: '1:1.2.13.dfsg-1' }) }],
    },
    // Another release's advisory.
    {
      id: 'DEBIAN-CVE-2018-25032',
      modified: '2024-01-01T00:00:00Z',
      affected: [{ package: { ecosystem: 'Debian:11', name: 'zlib' }, ranges: ecosystemRange({ introduced: '0' }) }],
    },
    // Withdrawn.
    {
      id: 'DEBIAN-CVE-2099-1',
      modified: '2024-01-01T00:00:00Z',
      withdrawn: '2024-01-02T00:00:00Z',
      affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: ecosystemRange({ introduced: '0' }) }],
    },
  ],
  'npm/GHSA-p6mc-m468-83gw.json': {
    id: 'GHSA-p6mc-m468-83gw',
    modified: '2024-01-01T00:00:00Z',
    aliases: ['CVE-2020-8203'],
    summary: 'Prototype Pollution in lodash',
    details: 'Versions of lodash prior to 4.17.21 are vulnerable to prototype pollution.',
    affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: semverRange({ introduced: '0' }, { fixed: '4.17.21' }) }],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H' }],
    references: [{ type: 'ADVISORY', url: 'https://nvd.nist.gov/vuln/detail/CVE-2020-8203' }],
    database_specific: { severity: 'HIGH' },
  },
  'pypi/PYSEC-2023-74.json': {
    id: 'PYSEC-2023-74',
    modified: '2024-01-01T00:00:00Z',
    aliases: ['CVE-2023-32681', 'GHSA-j8r2-6x86-q33q'],
    details: 'Requests forwards proxy credentials to destination servers.',
    affected: [{ package: { ecosystem: 'PyPI', name: 'requests' }, ranges: ecosystemRange({ introduced: '2.3.0' }, { fixed: '2.31.0' }) }],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N' }],
  },
  'go/GO-2023-2102.json': {
    id: 'GO-2023-2102',
    modified: '2024-01-01T00:00:00Z',
    affected: [{ package: { ecosystem: 'Go', name: 'stdlib' }, ranges: semverRange({ introduced: '0' }, { fixed: '1.20.10' }, { introduced: '1.21.0-0' }, { fixed: '1.21.3' }) }],
  },
  'go/GO-2024-2598.json': {
    id: 'GO-2024-2598',
    modified: '2024-01-01T00:00:00Z',
    aliases: ['CVE-2024-24783'],
    details: 'Verify panics on certificates with an unknown public key algorithm.',
    affected: [{ package: { ecosystem: 'Go', name: 'stdlib' }, ranges: semverRange({ introduced: '0' }, { fixed: '1.21.8' }, { introduced: '1.22.0-0' }, { fixed: '1.22.1' }) }],
    severity: [{ type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' }],
  },
  'go/GO-2024-2687.json': {
    id: 'GO-2024-2687',
    modified: '2024-01-01T00:00:00Z',
    aliases: ['CVE-2023-45288', 'GHSA-4v7x-pqxf-cx7m'],
    details: 'HTTP/2 CONTINUATION flood in net/http.',
    affected: [{ package: { ecosystem: 'Go', name: 'golang.org/x/net' }, ranges: semverRange({ introduced: '0' }, { fixed: '0.23.0' }) }],
    references: [{ type: 'ADVISORY', url: 'https://pkg.go.dev/vuln/GO-2024-2687' }],
  },
  // The image's apk database is deleted by a whiteout, so busybox is not installed.
  'alpine/ALPINE-CVE-2023-42363.json': {
    id: 'ALPINE-CVE-2023-42363',
    modified: '2024-01-01T00:00:00Z',
    affected: [{ package: { ecosystem: 'Alpine:v3.19', name: 'busybox' }, ranges: ecosystemRange({ introduced: '0' }, { fixed: '1.36.1-r16' }) }],
  },
};

async function image() {
  const base = await gzipLayer([
    { name: 'etc/os-release', content: lines('ID=debian', 'VERSION_ID="12"') },
    {
      name: 'var/lib/dpkg/status',
      content: lines(
        'Package: libssl3',
        'Status: install ok installed',
        'Version: 3.0.11-1~deb12u1',
        'Source: openssl',
        '',
        'Package: openssl',
        'Status: install ok installed',
        'Version: 3.0.11-1~deb12u1',
        '',
        'Package: zlib1g',
        'Status: install ok installed',
        'Version: 1:1.2.13.dfsg-1',
        'Source: zlib',
      ),
    },
    { name: 'lib/apk/db/installed', content: lines('P:busybox', 'V:1.36.1-r15', 'o:busybox') },
    { name: 'usr/local/bin/server', content: goBinary('go1.21.5', lines('path\texample.com/server', 'mod\texample.com/server\t(devel)\t', 'dep\tgolang.org/x/net\tv0.17.0\th1:x=')) },
  ]);
  const app = await tarball([
    { name: 'lib/apk/db/.wh.installed' },
    { name: 'app/package-lock.json', content: JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/lodash': { version: '4.17.20' } } }) },
    { name: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.20' }) },
    { name: 'usr/lib/python3/site-packages/requests-2.25.0.dist-info/METADATA', content: lines('Name: requests', 'Version: 2.25.0') },
  ]);
  return [opener(base), opener(app)];
}

const finding = (name: string, severity: string, pkg: string, version: string, description: string, uri: string, cvss: Array<[string, string]> = []) => ({
  name,
  description,
  uri,
  severity,
  attributes: [
    { key: 'package_version', value: version },
    { key: 'package_name', value: pkg },
    ...cvss.map(([key, value]) => ({ key, value })),
  ],
});

test('scans an image against imported OSV advisories into ECR basic-scan findings', async () => {
  const { db, dir, close } = await freshDatabase();
  writeTree(join(dir, 'osv'), ADVISORIES);
  await db.importOsvDirectory(join(dir, 'osv'), IMPORTED_AT);

  const result: ScanResult = await scanImage(await image(), db, SCANNED_AT);

  assert.deepEqual(result.imageScanFindings.findings, [
    finding(
      'CVE-2020-8203',
      'HIGH',
      'lodash',
      '4.17.20',
      'Versions of lodash prior to 4.17.21 are vulnerable to prototype pollution.',
      'https://nvd.nist.gov/vuln/detail/CVE-2020-8203',
      [['CVSS3_SCORE', '7.4'], ['CVSS3_VECTOR', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H']],
    ),
    finding(
      'CVE-2024-24783',
      'HIGH',
      'stdlib',
      'v1.21.5',
      'Verify panics on certificates with an unknown public key algorithm.',
      'https://osv.dev/vulnerability/GO-2024-2598',
      [['CVSS2_SCORE', '7.5'], ['CVSS2_VECTOR', 'AV:N/AC:L/Au:N/C:P/I:P/A:P']],
    ),
    finding(
      'CVE-2023-32681',
      'MEDIUM',
      'requests',
      '2.25.0',
      'Requests forwards proxy credentials to destination servers.',
      'https://osv.dev/vulnerability/PYSEC-2023-74',
      [['CVSS3_SCORE', '5.3'], ['CVSS3_VECTOR', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N']],
    ),
    finding(
      'CVE-2023-5678',
      'MEDIUM',
      'openssl',
      '3.0.11-1~deb12u1',
      'Excessive time spent in DH check / generation with large Q parameter value.',
      'https://osv.dev/vulnerability/DEBIAN-CVE-2023-5678',
      [['CVSS3_SCORE', '5.5'], ['CVSS3_VECTOR', 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N']],
    ),
    finding('CVE-2023-45288', 'UNDEFINED', 'golang.org/x/net', 'v0.17.0', 'HTTP/2 CONTINUATION flood in net/http.', 'https://pkg.go.dev/vuln/GO-2024-2687'),
  ]);
  assert.deepEqual(result.imageScanFindings.findingSeverityCounts, { HIGH: 2, MEDIUM: 2, UNDEFINED: 1 });
  assert.deepEqual(result.imageScanFindings.vulnerabilitySourceUpdatedAt, new Date(IMPORTED_AT));
  assert.deepEqual(result.imageScanFindings.imageScanCompletedAt, new Date(SCANNED_AT));
  assert.deepEqual(result.imageScanStatus, {
    status: 'COMPLETE',
    description: 'Inventoried 8 packages (Debian:12: 3, Go: 2, PyPI: 1, npm: 2); 5 findings.',
  });

  // The shapes are the SDK's own.
  const findings: ecr.ImageScanFindings = result.imageScanFindings;
  const status: ecr.ImageScanStatus = result.imageScanStatus;
  assert.ok(findings && status);
  await close();
});

test('without an imported database the scan says so and reports nothing', async () => {
  const { db, close } = await freshDatabase();
  const result = await scanImage(await image(), db, SCANNED_AT);
  assert.deepEqual(result.imageScanFindings.findings, []);
  assert.deepEqual(result.imageScanFindings.findingSeverityCounts, {});
  assert.equal(result.imageScanFindings.vulnerabilitySourceUpdatedAt, undefined);
  assert.equal(
    result.imageScanStatus.description,
    'Inventoried 8 packages (Debian:12: 3, Go: 2, PyPI: 1, npm: 2); 0 findings. Note: no vulnerability database has been imported; run `berth ecr import-vulns DIR`.',
  );
  await close();
});

test('apk and rpm packages are matched by origin / source rpm, with their own version orderings', async () => {
  const { db, dir, close } = await freshDatabase();
  const advisory = (id: string, ecosystem: string, name: string, fixed: string, extra: Partial<Osv> = {}): Osv => ({
    id,
    modified: '2024-01-01T00:00:00Z',
    affected: [{ package: { ecosystem, name }, ranges: ecosystemRange({ introduced: '0' }, { fixed }) }],
    ...extra,
  });
  writeTree(join(dir, 'osv'), {
    'a.json': [
      advisory('ALPINE-CVE-2023-42363', 'Alpine:v3.19', 'busybox', '1.36.1-r16'),
      // Fixed in exactly the installed revision, and an older branch's advisory.
      advisory('ALPINE-CVE-2023-5363', 'Alpine:v3.19', 'openssl', '3.1.4-r1'),
      advisory('ALPINE-CVE-2023-9999', 'Alpine:v3.18', 'openssl', '3.1.4-r3'),
      advisory('RLSA-2024:0001', 'Rocky Linux:9', 'openssl', '1:3.0.7-25.el9_3', { aliases: ['CVE-2023-5678'], database_specific: { severity: 'Important' } }),
      advisory('RLSA-2024:0002', 'Rocky Linux:9', 'bash', '5.1.8-6.el9'),
    ],
  });
  await db.importOsvDirectory(join(dir, 'osv'), IMPORTED_AT);

  const alpine = await tarball([
    { name: 'etc/os-release', content: lines('ID=alpine', 'VERSION_ID=3.19.1') },
    { name: 'lib/apk/db/installed', content: lines('P:busybox-binsh', 'V:1.36.1-r15', 'o:busybox', '', 'P:libcrypto3', 'V:3.1.4-r1', 'o:openssl') },
  ]);
  const a = await scanImage([opener(alpine)], db, SCANNED_AT);
  assert.deepEqual(
    a.imageScanFindings.findings.map((f) => [f.name, f.severity, f.attributes]),
    [['CVE-2023-42363', 'UNDEFINED', [{ key: 'package_version', value: '1.36.1-r15' }, { key: 'package_name', value: 'busybox' }]]],
  );

  const rocky = await gzipLayer([
    { name: 'etc/os-release', content: lines('ID="rocky"', 'VERSION_ID="9.3"') },
    {
      name: 'var/lib/rpm/rpmdb.sqlite',
      content: rpmdbSqlite([
        { name: 'openssl-libs', version: '3.0.7', release: '24.el9', epoch: 1, sourceRpm: 'openssl-3.0.7-24.el9.src.rpm' },
        { name: 'bash', version: '5.1.8', release: '6.el9', sourceRpm: 'bash-5.1.8-6.el9.src.rpm' },
      ]),
    },
  ]);
  const r = await scanImage([opener(rocky)], db, SCANNED_AT);
  assert.deepEqual(
    r.imageScanFindings.findings.map((f) => [f.name, f.severity, f.attributes]),
    [['CVE-2023-5678', 'HIGH', [{ key: 'package_version', value: '1:3.0.7-24.el9' }, { key: 'package_name', value: 'openssl' }]]],
  );
  await close();
});
