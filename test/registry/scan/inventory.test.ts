import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inventoryImage } from '../../../src/registry/scan/inventory.js';
import { goBinary, gzipLayer, lines, opener, rpmdbSqlite, tarball } from './fixtures.js';

const DEBIAN_OS = lines('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"', 'ID=debian', 'VERSION_ID="12"');

const dpkgStatus = (sslVersion: string): string =>
  lines(
    'Package: libssl3',
    'Status: install ok installed',
    `Version: ${sslVersion}`,
    'Source: openssl',
    '',
    'Package: zlib1g',
    'Status: install ok installed',
    'Version: 1:1.2.13.dfsg-1',
    'Source: zlib',
  );

const MODINFO = lines('path\texample.com/app', 'mod\texample.com/app\tv1.0.0\th1:x=', 'dep\tgolang.org/x/net\tv0.17.0\th1:y=');

test('a layered Debian image: os-release through a symlink, packages of every kind, whiteouts honoured', async () => {
  const base = await gzipLayer([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
    { name: 'usr/lib/os-release', content: DEBIAN_OS },
    { name: 'var/lib/dpkg/status', content: dpkgStatus('3.0.11-1~deb12u1') },
    { name: 'lib/apk/db/installed', content: lines('P:busybox', 'V:1.36.1-r15') },
    { name: 'var/lib/rpm/rpmdb.sqlite', content: rpmdbSqlite([{ name: 'bash', version: '5.1.8', release: '6.el9', sourceRpm: 'bash-5.1.8-6.el9.src.rpm' }]) },
    { name: 'srv/old/package-lock.json', content: JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/left-pad': { version: '1.0.0' } } }) },
    { name: './usr/local/bin/app', content: goBinary('go1.21.5', MODINFO) },
    { name: 'usr/local/bin/script.sh', content: '#!/bin/sh\n' },
  ]);
  const upper = await tarball([
    // Deletes a package database of a lower layer, a whole directory, and empties another directory.
    { name: 'lib/apk/db/.wh.installed' },
    { name: 'srv/.wh.old' },
    { name: 'var/lib/rpm/.wh..wh..opq' },
    { name: 'var/lib/rpm/Packages', content: 'berkeley' },
    // Replaces the dpkg database with a newer one.
    { name: 'var/lib/dpkg/status', content: dpkgStatus('3.0.11-1~deb12u2') },
    { name: 'app/package-lock.json', content: JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/lodash': { version: '4.17.20' } } }) },
    { name: 'app/node_modules/@types/node/package.json', content: JSON.stringify({ name: '@types/node', version: '20.1.0' }) },
    { name: 'usr/lib/python3/site-packages/Requests-2.25.0.dist-info/METADATA', content: lines('Metadata-Version: 2.1', 'Name: Requests', 'Version: 2.25.0') },
    { name: 'usr/lib/python3/site-packages/six.egg-info/PKG-INFO', content: lines('Name: six', 'Version: 1.16.0') },
  ]);
  const zstd = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);

  const inventory = await inventoryImage([opener(base), opener(upper, 300), opener(zstd)]);
  assert.deepEqual(inventory.os, { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
  assert.deepEqual(
    inventory.packages.map((p) => [p.ecosystem, p.name, p.version, p.sourceName, p.path]),
    [
      ['npm', '@types/node', '20.1.0', undefined, 'app/node_modules/@types/node/package.json'],
      ['npm', 'lodash', '4.17.20', undefined, 'app/package-lock.json'],
      ['PyPI', 'Requests', '2.25.0', undefined, 'usr/lib/python3/site-packages/Requests-2.25.0.dist-info/METADATA'],
      ['PyPI', 'six', '1.16.0', undefined, 'usr/lib/python3/site-packages/six.egg-info/PKG-INFO'],
      ['Go', 'stdlib', 'v1.21.5', undefined, 'usr/local/bin/app'],
      ['Go', 'example.com/app', 'v1.0.0', undefined, 'usr/local/bin/app'],
      ['Go', 'golang.org/x/net', 'v0.17.0', undefined, 'usr/local/bin/app'],
      ['Debian:12', 'libssl3', '3.0.11-1~deb12u2', 'openssl', 'var/lib/dpkg/status'],
      ['Debian:12', 'zlib1g', '1:1.2.13.dfsg-1', 'zlib', 'var/lib/dpkg/status'],
    ],
  );
  assert.deepEqual(inventory.notes, ['layer 3: zstd-compressed, not read', 'var/lib/rpm/Packages: rpm database in BerkeleyDB/NDB format, not read']);
});

test('an rpm image: rpmdb.sqlite headers, epochs, source rpms, gpg-pubkey skipped', async () => {
  const layer = await gzipLayer([
    { name: 'etc/os-release', content: lines('ID="rocky"', 'VERSION_ID="9.3"') },
    {
      name: 'var/lib/rpm/rpmdb.sqlite',
      content: rpmdbSqlite([
        { name: 'openssl-libs', version: '3.0.7', release: '24.el9', epoch: 1, arch: 'x86_64', sourceRpm: 'openssl-3.0.7-24.el9.src.rpm' },
        { name: 'gpg-pubkey', version: 'abc', release: '1' },
        { name: 'bash', version: '5.1.8', release: '6.el9', arch: 'x86_64', sourceRpm: 'bash-5.1.8-6.el9.src.rpm' },
      ]),
    },
  ]);
  const inventory = await inventoryImage([opener(layer)]);
  assert.deepEqual(inventory.packages, [
    { ecosystem: 'Rocky Linux:9', name: 'openssl-libs', version: '1:3.0.7-24.el9', sourceName: 'openssl', path: 'var/lib/rpm/rpmdb.sqlite' },
    { ecosystem: 'Rocky Linux:9', name: 'bash', version: '5.1.8-6.el9', sourceName: 'bash', path: 'var/lib/rpm/rpmdb.sqlite' },
  ]);
  assert.deepEqual(inventory.notes, []);
});

test('an Alpine image, uncompressed, and distroless dpkg status.d', async () => {
  const alpine = await tarball([
    { name: 'etc/os-release', content: lines('ID=alpine', 'VERSION_ID=3.19.1') },
    { name: 'lib/apk/db/installed', content: lines('P:libcrypto3', 'V:3.1.4-r1', 'o:openssl') },
  ]);
  const a = await inventoryImage([opener(alpine)]);
  assert.deepEqual(a.packages, [{ ecosystem: 'Alpine:v3.19', name: 'libcrypto3', version: '3.1.4-r1', sourceName: 'openssl', path: 'lib/apk/db/installed' }]);

  const distroless = await gzipLayer([
    { name: 'etc/os-release', content: DEBIAN_OS },
    { name: 'var/lib/dpkg/status.d/libc6', content: lines('Package: libc6', 'Version: 2.36-9+deb12u3', 'Source: glibc') },
    { name: 'var/lib/dpkg/status.d/libc6.md5sums', content: 'abc  lib/x\n' },
  ]);
  const d = await inventoryImage([opener(distroless)]);
  assert.deepEqual(d.packages.map((p) => [p.ecosystem, p.name, p.sourceName]), [['Debian:12', 'libc6', 'glibc']]);
});

test('a corrupt layer is noted and the others still read', async () => {
  const good = await gzipLayer([{ name: 'app/node_modules/ms/package.json', content: '{"name":"ms","version":"2.0.0"}' }]);
  const corrupt = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(100, 7)]);
  const inventory = await inventoryImage([opener(good), opener(corrupt)]);
  assert.deepEqual(inventory.packages.map((p) => p.name), ['ms']);
  assert.equal(inventory.notes.length, 1);
  assert.match(inventory.notes[0]!, /^layer 2: /);
});
