import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apk, comparatorFor, dpkg, pep440, rpm, semver, type Comparator } from '../../../src/registry/scan/versions.js';
import { goToolchainSemver } from '../../../src/registry/scan/versions/semver.js';

function assertAscending(cmp: Comparator, versions: string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = 0; j < versions.length; j++) {
      const expected = Math.sign(i - j);
      assert.equal(Math.sign(cmp.compare(versions[i]!, versions[j]!)), expected, `${versions[i]} vs ${versions[j]}`);
    }
  }
}

function assertEqual(cmp: Comparator, pairs: Array<[string, string]>): void {
  for (const [a, b] of pairs) assert.equal(cmp.compare(a, b), 0, `${a} == ${b}`);
}

test('dpkg: epochs, tildes, letters before punctuation, numeric runs', () => {
  assertAscending(dpkg, ['0.9', '1.0~~', '1.0~~a', '1.0~', '1.0', '1.0-1', '1.0-1+b1', '1.0a', '1.0+dfsg', '1.0.1', '1.2.9', '1.2.10', '1:0.1']);
  assertAscending(dpkg, ['3.0.11-1~deb12u1', '3.0.11-1~deb12u2', '3.0.11-1', '3.0.11-1+b1']);
  assertAscending(dpkg, ['2.36-9+deb12u3', '2.36-9+deb12u4', '2.36-9+deb12u10']);
  assertEqual(dpkg, [['0:1.0', '1.0'], ['1.0-0', '1.0'], ['1.01', '1.1'], ['1.0', '1.0']]);
});

test('apk: pre-release suffixes below the release, _p and -r above', () => {
  assertAscending(apk, ['1.0_alpha1', '1.0_beta', '1.0_beta2', '1.0_pre1', '1.0_rc1', '1.0', '1.0-r0', '1.0-r1', '1.0-r10', '1.0_p1', '1.0.1', '1.0.1a', '1.1']);
  assertAscending(apk, ['3.1.4-r5', '3.1.4-r6', '3.1.10-r0', '3.10.0-r0']);
  // Leading zeros make a component a decimal fraction (Gentoo's rule).
  assertAscending(apk, ['2.16.01', '2.16.1', '2.16.2']);
  assertEqual(apk, [['1.0-r00', '1.0-r0'], ['05.1', '5.1']]);
  assert.equal(apk.valid('1.2.3_rc1-r2'), true);
  assert.equal(apk.valid('1.2.3-1'), false);
  assert.equal(apk.valid('1.2.3_foo'), false);
});

test('rpm: rpmvercmp segments, ~ before and ^ after the base, epoch:version-release', () => {
  assertAscending(rpm, ['1.0~rc1', '1.0', '1.0^git1', '1.0a', '1.0.1', '1.1']);
  assertAscending(rpm, ['3.0.7-24.el9', '3.0.7-25.el9', '3.0.7-25.el9_1', '3.0.8-1.el9', '1:1.0-1.el9']);
  assertAscending(rpm, ['2.9-1', '2.10-1', '2.10-2']);
  assertEqual(rpm, [['0:1.0-1', '1.0-1'], ['1.01-1', '1.1-1'], ['1_0-1', '1.0-1']]);
});

test('npm: semver precedence', () => {
  assertAscending(semver, ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.10.0', '2.0.0']);
  assert.equal(semver.valid('1.2'), false);
});

test('Go: v-prefixed semver, pseudo-versions, +incompatible, toolchain versions', () => {
  const go = comparatorFor('Go')!;
  assertAscending(go, ['v0.0.0-20210101000000-abcdef123456', 'v0.0.0-20220101000000-abcdef123456', 'v0.1.0', 'v1.2.3-pre', 'v1.2.3', 'v1.2.4', 'v2.0.0+incompatible', 'v2.1.0']);
  assertEqual(go, [['v1.2.3', '1.2.3']]);
  assert.equal(goToolchainSemver('go1.21.5'), 'v1.21.5');
  assert.equal(goToolchainSemver('go1.20'), 'v1.20.0');
  assert.equal(goToolchainSemver('go1.22rc2'), 'v1.22.0-rc.2');
  assert.equal(goToolchainSemver('go1.22.0 X:boringcrypto'), 'v1.22.0');
  assert.equal(goToolchainSemver('devel +abc'), undefined);
});

test('PyPI: PEP 440 ordering', () => {
  assertAscending(pep440, ['1.0.dev1', '1.0a1', '1.0b2', '1.0rc1', '1.0', '1.0.post1', '1.1', '1!0.5']);
  assertEqual(pep440, [['1.0', '1.0.0'], ['1.0RC1', '1.0rc1']]);
});

test('ecosystems pick their ordering, release suffix or not', () => {
  assert.equal(comparatorFor('Debian:12'), dpkg);
  assert.equal(comparatorFor('Ubuntu:22.04:LTS'), dpkg);
  assert.equal(comparatorFor('Alpine:v3.19'), apk);
  assert.equal(comparatorFor('Rocky Linux:9'), rpm);
  assert.equal(comparatorFor('npm'), semver);
  assert.equal(comparatorFor('PyPI'), pep440);
  assert.equal(comparatorFor('constructor'), undefined);
});

// Each comparator must be a total order: antisymmetric, and transitive, which
// is checked as "a sorted list is pairwise non-decreasing".
const generators: Record<string, [Comparator, fc.Arbitrary<string>]> = {
  dpkg: [dpkg, fc.stringMatching(/^([0-3]:)?[0-9][0-9a-z.+~]{0,8}(-[0-9a-z.+~]{1,5})?$/)],
  apk: [apk, fc.stringMatching(/^[0-9]{1,3}(\.[0-9]{1,3}){0,3}[a-z]?(_(alpha|beta|pre|rc|p)[0-9]{0,2}){0,2}(-r[0-9]{1,2})?$/)],
  rpm: [rpm, fc.stringMatching(/^([0-3]:)?[0-9][0-9a-z.~^]{0,8}(-[0-9a-z.~^]{1,5})?$/)],
  semver: [
    semver,
    fc
      .tuple(fc.nat(20), fc.nat(20), fc.nat(20), fc.option(fc.constantFrom('alpha', 'alpha.1', 'beta.2', 'rc.1', '0', '1.x')))
      .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre === null ? '' : `-${pre}`}`),
  ],
  go: [
    comparatorFor('Go')!,
    fc
      .tuple(fc.nat(3), fc.nat(20), fc.nat(20), fc.option(fc.stringMatching(/^0\.[0-9]{14}-[0-9a-f]{12}$/)))
      .map(([a, b, c, pseudo]) => `v${a}.${b}.${c}${pseudo === null ? '' : `-${pseudo}`}`),
  ],
  pep440: [
    pep440,
    fc
      .tuple(
        fc.option(fc.nat(2)),
        fc.array(fc.nat(12), { minLength: 1, maxLength: 3 }),
        fc.option(fc.tuple(fc.constantFrom('a', 'b', 'rc'), fc.nat(3))),
        fc.option(fc.nat(3)),
        fc.option(fc.nat(3)),
      )
      .map(([epoch, rel, pre, post, dev]) =>
        [
          epoch === null ? '' : `${epoch}!`,
          rel.join('.'),
          pre === null ? '' : `${pre[0]}${pre[1]}`,
          post === null ? '' : `.post${post}`,
          dev === null ? '' : `.dev${dev}`,
        ].join(''),
      ),
  ],
};

for (const [name, [cmp, arb]] of Object.entries(generators)) {
  test(`${name}: comparator is a total order consistent with sort`, () => {
    fc.assert(
      fc.property(fc.array(arb, { minLength: 1, maxLength: 12 }), (versions) => {
        for (const a of versions) {
          assert.ok(cmp.valid(a), `${a} is valid`);
          assert.equal(cmp.compare(a, a), 0);
          // === rather than assert.equal: Object.is would tell 0 from -0.
          for (const b of versions) assert.ok(Math.sign(cmp.compare(a, b)) === -Math.sign(cmp.compare(b, a)), `${a} vs ${b}`);
        }
        const sorted = [...versions].sort((a, b) => cmp.compare(a, b));
        for (let i = 0; i < sorted.length; i++) {
          for (let j = i + 1; j < sorted.length; j++) assert.ok(cmp.compare(sorted[i]!, sorted[j]!) <= 0, `${sorted[i]} <= ${sorted[j]}`);
        }
      }),
      { numRuns: 300 },
    );
  });
}
