import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ecosystemMatches } from '../../../src/registry/scan/ecosystems.js';
import { affectedBy, inRange } from '../../../src/registry/scan/match.js';
import type { Osv, OsvRange } from '../../../src/registry/scan/types.js';
import { dpkg, semver } from '../../../src/registry/scan/versions.js';

const range = (type: string, ...events: OsvRange['events']): OsvRange => ({ type, events });

test('introduced/fixed: the fixed version itself is not affected', () => {
  const r = range('ECOSYSTEM', { introduced: '0' }, { fixed: '3.0.11-1~deb12u2' });
  assert.equal(inRange('3.0.11-1~deb12u1', r, dpkg), true);
  assert.equal(inRange('3.0.11-1~deb12u2', r, dpkg), false);
  assert.equal(inRange('3.0.11-1', r, dpkg), false);
  // A string comparison would call 3.0.9 newer than 3.0.11.
  assert.equal(inRange('3.0.9-1', r, dpkg), true);
});

test('last_affected: that version is still affected, the next is not', () => {
  const r = range('SEMVER', { introduced: '1.0.0' }, { last_affected: '1.2.3' });
  assert.equal(inRange('0.9.0', r, undefined), false);
  assert.equal(inRange('1.0.0', r, undefined), true);
  assert.equal(inRange('1.2.3', r, undefined), true);
  assert.equal(inRange('1.2.4', r, undefined), false);
});

test('several introduced/fixed pairs, given in any order', () => {
  const r = range('SEMVER', { fixed: '3.2.5' }, { introduced: '3.0.0' }, { fixed: '1.0.2' }, { introduced: '1.0.0' });
  const affected = ['0.5.0', '1.0.0', '1.0.1', '1.0.2', '2.0.0', '3.0.0', '3.2.4', '3.2.5'].filter((v) => inRange(v, r, undefined));
  assert.deepEqual(affected, ['1.0.0', '1.0.1', '3.0.0', '3.2.4']);
});

test('limit bounds the range from above; "*" is no bound', () => {
  const r = range('SEMVER', { introduced: '0' }, { limit: '2.0.0' });
  assert.equal(inRange('1.9.9', r, undefined), true);
  assert.equal(inRange('2.0.0', r, undefined), false);
  assert.equal(inRange('5.0.0', range('SEMVER', { introduced: '0' }, { limit: '*' }), undefined), true);
});

test('SEMVER ranges use semver whatever the ecosystem; GIT and unknown orderings are not evaluated', () => {
  assert.equal(inRange('v1.4.0', range('SEMVER', { introduced: '0' }, { fixed: '1.5.0' }), dpkg), true);
  assert.equal(inRange('1.0', range('GIT', { introduced: '0' }), semver), false);
  assert.equal(inRange('1.0', range('ECOSYSTEM', { introduced: '0' }), undefined), false);
  // An unreadable bound or version makes no claim.
  assert.equal(inRange('not-a-version', range('SEMVER', { introduced: '0' }), undefined), false);
  assert.equal(inRange('1.0.0', range('SEMVER', { introduced: '0' }, { fixed: 'soon' }), undefined), false);
});

const advisory: Osv = {
  id: 'DSA-0000-1',
  modified: '2024-01-01T00:00:00Z',
  affected: [
    { package: { ecosystem: 'Debian:11', name: 'openssl' }, ranges: [range('ECOSYSTEM', { introduced: '0' }, { fixed: '1.1.1w-0+deb11u1' })] },
    { package: { ecosystem: 'Debian:12', name: 'openssl' }, ranges: [range('ECOSYSTEM', { introduced: '0' }, { fixed: '3.0.11-1~deb12u2' })] },
    { package: { ecosystem: 'PyPI', name: 'Foo_Bar' }, versions: ['1.0', '1.1'] },
  ],
};

test('affectedBy picks the entry for the package’s release', () => {
  assert.equal(affectedBy(advisory, 'Debian:12', 'openssl', '3.0.11-1~deb12u1'), advisory.affected![1]);
  assert.equal(affectedBy(advisory, 'Debian:12', 'openssl', '3.0.11-1~deb12u2'), undefined);
  assert.equal(affectedBy(advisory, 'Debian:11', 'openssl', '1.1.1n-0+deb11u5'), advisory.affected![0]);
  assert.equal(affectedBy(advisory, 'Debian:12', 'libssl3', '3.0.11-1~deb12u1'), undefined);
  assert.equal(affectedBy({ ...advisory, withdrawn: '2024-02-01T00:00:00Z' }, 'Debian:12', 'openssl', '3.0.11-1~deb12u1'), undefined);
});

test('explicit versions match by PEP 503 name and PEP 440 equality', () => {
  assert.ok(affectedBy(advisory, 'PyPI', 'foo-bar', '1.0'));
  assert.ok(affectedBy(advisory, 'PyPI', 'FOO.bar', '1.1.0'));
  assert.equal(affectedBy(advisory, 'PyPI', 'foo-bar', '1.2'), undefined);
});

test('ecosystem matching: exact, bare base, and narrower advisories of a known release', () => {
  assert.equal(ecosystemMatches('Debian:12', 'Debian:12'), true);
  assert.equal(ecosystemMatches('Debian:12', 'Debian'), true);
  assert.equal(ecosystemMatches('Debian:12', 'Debian:11'), false);
  assert.equal(ecosystemMatches('Ubuntu:22.04', 'Ubuntu:22.04:LTS'), true);
  assert.equal(ecosystemMatches('Ubuntu:22.04', 'Ubuntu:Pro:22.04:LTS'), false);
  assert.equal(ecosystemMatches('Red Hat:enterprise_linux:9', 'Red Hat:enterprise_linux:9::appstream'), true);
  assert.equal(ecosystemMatches('Debian', 'Debian:12'), false);
  assert.equal(ecosystemMatches('Alpine:v3.19', 'Alpine:v3.1'), false);
  assert.equal(ecosystemMatches('npm', 'npm'), true);
});
