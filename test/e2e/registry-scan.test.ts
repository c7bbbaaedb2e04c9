import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { busyboxPath, requireDocker } from '../support/docker.js';
import { aws, repoRoot, startBerth, type Berth } from './harness.js';

// Basic image scanning end to end: docker push with scan on push, the CLI's
// `wait image-scan-complete`, `berth ecr import-vulns` with OSV advisories,
// and the findings ECR's API reports.

let b: Berth;
let dockerConfig: string;
let context: string;
let image: string;

function docker(args: string[], input?: string) {
  return spawnSync('docker', args, { env: { ...process.env, DOCKER_CONFIG: dockerConfig }, input, encoding: 'utf8', timeout: 120_000 });
}

const DPKG_STATUS = `Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.11-1~deb12u1

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1

`;

const LOCKFILE = {
  name: 'app',
  version: '1.0.0',
  lockfileVersion: 3,
  packages: { '': { name: 'app', version: '1.0.0' }, 'node_modules/lodash': { version: '4.17.20' }, 'node_modules/left-pad': { version: '1.3.0' } },
};

before(async () => {
  if (!requireDocker()) return;
  dockerConfig = mkdtempSync(join(tmpdir(), 'berth-docker-config-'));
  context = mkdtempSync(join(tmpdir(), 'berth-scan-image-'));
  copyFileSync(busyboxPath(), join(context, 'busybox'));
  mkdirSync(join(context, 'root/var/lib/dpkg'), { recursive: true });
  mkdirSync(join(context, 'root/etc'), { recursive: true });
  mkdirSync(join(context, 'root/app'), { recursive: true });
  writeFileSync(join(context, 'root/var/lib/dpkg/status'), DPKG_STATUS);
  writeFileSync(join(context, 'root/etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n');
  writeFileSync(join(context, 'root/app/package-lock.json'), JSON.stringify(LOCKFILE));
  writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY root/ /\nCMD ["/bin/busybox", "true"]\n');
  b = await startBerth();
});

after(async () => {
  if (image) spawnSync('docker', ['rmi', '-f', image], { stdio: 'ignore' });
  await b?.stop();
  for (const dir of [dockerConfig, context]) if (dir) rmSync(dir, { recursive: true, force: true });
});

test('scan on push completes and says no vulnerability database has been imported', async (t) => {
  if (!requireDocker(t)) return;
  const repo = aws(b, ['ecr', 'create-repository', '--repository-name', 'scanned', '--image-scanning-configuration', 'scanOnPush=true']);
  assert.equal(repo.status, 0, repo.stderr);
  const uri: string = repo.json.repository.repositoryUri;
  image = `${uri}:1`;
  const host = uri.slice(0, uri.indexOf('/'));
  assert.equal(docker(['login', '--username', 'AWS', '--password-stdin', host], aws(b, ['ecr', 'get-login-password']).stdout.trim()).status, 0);
  const build = docker(['build', '-q', '-t', image, context]);
  assert.equal(build.status, 0, build.stderr);
  const push = docker(['push', image]);
  assert.equal(push.status, 0, push.stderr);

  const wait = aws(b, ['ecr', 'wait', 'image-scan-complete', '--repository-name', 'scanned', '--image-id', 'imageTag=1']);
  assert.equal(wait.status, 0, wait.stderr);
  const findings = aws(b, ['ecr', 'describe-image-scan-findings', '--repository-name', 'scanned', '--image-id', 'imageTag=1']);
  assert.equal(findings.status, 0, findings.stderr);
  assert.equal(findings.json.imageScanStatus.status, 'COMPLETE');
  assert.match(findings.json.imageScanStatus.description, /no vulnerability database has been imported/);
  assert.deepEqual(findings.json.imageScanFindings.findings, []);
});

test('after import-vulns a scan reports the OSV advisories that affect the image, with severities', async (t) => {
  if (!requireDocker(t)) return;
  const osv = mkdtempSync(join(tmpdir(), 'berth-osv-'));
  try {
    writeFileSync(
      join(osv, 'DSA-0001.json'),
      JSON.stringify({
        id: 'CVE-2099-0001',
        modified: '2099-01-01T00:00:00Z',
        summary: 'openssl: a test advisory',
        affected: [{ package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }] }] }],
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      }),
    );
    writeFileSync(
      join(osv, 'zlib-fixed.json'),
      JSON.stringify({
        id: 'CVE-2099-0002',
        modified: '2099-01-01T00:00:00Z',
        affected: [{ package: { ecosystem: 'Debian:12', name: 'zlib' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:1.2.13.dfsg-1' }] }] }],
      }),
    );
    writeFileSync(
      join(osv, 'GHSA-lodash.json'),
      JSON.stringify({
        id: 'GHSA-35jh-r3h4-6jhm',
        aliases: ['CVE-2021-23337'],
        modified: '2099-01-01T00:00:00Z',
        summary: 'Command Injection in lodash',
        affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }] }],
        database_specific: { severity: 'HIGH' },
      }),
    );
    const imported = spawnSync(process.execPath, [join(repoRoot, 'bin', 'berth.js'), 'ecr', 'import-vulns', osv, '--data-dir', b.dataDir], { encoding: 'utf8' });
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stdout, /imported 3 advisories/);
  } finally {
    rmSync(osv, { recursive: true, force: true });
  }

  const start = aws(b, ['ecr', 'start-image-scan', '--repository-name', 'scanned', '--image-id', 'imageTag=1']);
  assert.equal(start.status, 0, start.stderr);
  assert.equal(start.json.imageScanStatus.status, 'IN_PROGRESS');
  assert.equal(aws(b, ['ecr', 'wait', 'image-scan-complete', '--repository-name', 'scanned', '--image-id', 'imageTag=1']).status, 0);
  const findings = aws(b, ['ecr', 'describe-image-scan-findings', '--repository-name', 'scanned', '--image-id', 'imageTag=1']).json;
  const names = findings.imageScanFindings.findings.map((f: { name: string; severity: string }) => `${f.name} ${f.severity}`).sort();
  // zlib is at the fixed version: not affected.
  assert.deepEqual(names, ['CVE-2021-23337 HIGH', 'CVE-2099-0001 CRITICAL']);
  assert.deepEqual(findings.imageScanFindings.findingSeverityCounts, { CRITICAL: 1, HIGH: 1 });
  const openssl = findings.imageScanFindings.findings.find((f: { name: string }) => f.name === 'CVE-2099-0001');
  const attrs = Object.fromEntries(openssl.attributes.map((a: { key: string; value: string }) => [a.key, a.value]));
  assert.equal(attrs.package_name, 'openssl');
  assert.equal(attrs.package_version, '3.0.11-1~deb12u1');

  const described = aws(b, ['ecr', 'describe-images', '--repository-name', 'scanned']).json.imageDetails[0];
  assert.equal(described.imageScanStatus.status, 'COMPLETE');
  assert.deepEqual(described.imageScanFindingsSummary.findingSeverityCounts, { CRITICAL: 1, HIGH: 1 });
});

test('scanning an unknown image or reading a scan that never ran answers ECR errors', async (t) => {
  if (!requireDocker(t)) return;
  const unknown = aws(b, ['ecr', 'start-image-scan', '--repository-name', 'scanned', '--image-id', 'imageTag=nope']);
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /ImageNotFoundException/);
  const manifest = aws(b, ['ecr', 'batch-get-image', '--repository-name', 'scanned', '--image-ids', 'imageTag=1']).json.images[0].imageManifest;
  const off = aws(b, ['ecr', 'put-image-scanning-configuration', '--repository-name', 'scanned', '--image-scanning-configuration', 'scanOnPush=false']);
  assert.equal(off.json.imageScanningConfiguration.scanOnPush, false);
  // Another manifest over the same layers (a new digest), pushed with scan on push off: never scanned.
  const other = JSON.stringify({ ...JSON.parse(manifest), annotations: { 'org.example.variant': 'unscanned' } });
  const put = aws(b, ['ecr', 'put-image', '--repository-name', 'scanned', '--image-tag', 'unscanned', '--image-manifest', other]);
  assert.equal(put.status, 0, put.stderr);
  const never = aws(b, ['ecr', 'describe-image-scan-findings', '--repository-name', 'scanned', '--image-id', 'imageTag=unscanned']);
  assert.notEqual(never.status, 0);
  assert.match(never.stderr, /ScanNotFoundException/);
  const noRepo = aws(b, ['ecr', 'describe-image-scan-findings', '--repository-name', 'nothing-here', '--image-id', 'imageTag=1']);
  assert.match(noRepo.stderr, /RepositoryNotFoundException/);
});
