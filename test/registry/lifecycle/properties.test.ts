import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AwsError } from '../../../src/gateway/errors.js';
import { evaluateLifecyclePolicy, type LifecycleImage } from '../../../src/registry/lifecycle/evaluate.js';
import { selectsImage } from '../../../src/registry/lifecycle/match.js';
import { parseLifecyclePolicy, type LifecyclePolicy } from '../../../src/registry/lifecycle/policy.js';
import { DAY, NOW, policyText, rule } from './fixture.js';

// Invariants of evaluation over random repositories and valid policies.

const TAGS = ['a', 'a1', 'ab', 'b', 'b2', 'prod', 'prod-1', 'x'];

const imagesArb: fc.Arbitrary<LifecycleImage[]> = fc
  .uniqueArray(
    fc.record({
      digest: fc.integer({ min: 0, max: 0xffff }).map((n) => `sha256:${n.toString(16).padStart(4, '0')}`),
      tags: fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3 }),
      // Few distinct times, so equal push times (ties) happen often.
      pushedAt: fc.integer({ min: 0, max: 40 }).map((h) => NOW - h * 6 * 3_600_000),
    }),
    { selector: (i) => i.digest, maxLength: 25 },
  );

const countArb = fc.oneof(
  fc.record({ countType: fc.constant('imageCountMoreThan'), countNumber: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ countType: fc.constant('sinceImagePushed'), countUnit: fc.constant('days'), countNumber: fc.integer({ min: 1, max: 8 }) }),
);

const tagListArb = fc.uniqueArray(fc.constantFrom('a', 'b', 'p', 'a*', '*1', 'prod*', '*b*', 'x'), { minLength: 1, maxLength: 2 });

/** Valid policies: tagged rules, maybe one untagged rule, maybe an any rule with the highest priority. */
const policyArb: fc.Arbitrary<LifecyclePolicy> = fc
  .record({
    tagged: fc.array(fc.tuple(fc.constantFrom('tagPrefixList', 'tagPatternList'), tagListArb, countArb), { maxLength: 3 }),
    untagged: fc.option(countArb, { nil: undefined }),
    any: fc.option(countArb, { nil: undefined }),
    priorities: fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { minLength: 5, maxLength: 5 }),
  })
  .map(({ tagged, untagged, any, priorities }) => {
    const selections: object[] = tagged.map(([list, tags, c]) => ({ tagStatus: 'tagged', [list]: tags, ...c }));
    if (untagged) selections.push({ tagStatus: 'untagged', ...untagged });
    if (any) selections.push({ tagStatus: 'any', ...any });
    const sorted = [...priorities].sort((x, y) => x - y);
    // The any rule (last) takes the highest priority; the others take the rest in shuffled order.
    const rest = priorities.filter((p) => p !== sorted[sorted.length - 1]);
    const rules = selections.map((s, i) => rule(any && i === selections.length - 1 ? sorted[sorted.length - 1]! : rest[i]!, s));
    return rules.length === 0 ? undefined : policyText(...rules);
  })
  .filter((t): t is string => t !== undefined)
  .map((text) => {
    try {
      return parseLifecyclePolicy(text);
    } catch (e) {
      // Two rules with the same tag set are refused; anything else is a bug.
      if (e instanceof AwsError && e.message.includes('same set of tags')) return undefined;
      throw e;
    }
  })
  .filter((p): p is LifecyclePolicy => p !== undefined);

test('an image is expired at most once, only by a rule that selects it and that no earlier rule claimed', () => {
  fc.assert(
    fc.property(policyArb, imagesArb, (policy, images) => {
      const results = evaluateLifecyclePolicy(policy, images, NOW);
      const digests = results.map((r) => r.digest);
      assert.equal(new Set(digests).size, digests.length);
      for (const r of results) {
        const img = images.find((i) => i.digest === r.digest);
        assert.ok(img);
        const applied = policy.rules.find((x) => x.rulePriority === r.appliedRulePriority)!;
        assert.ok(selectsImage(applied.selection, img.tags));
        for (const earlier of policy.rules.filter((x) => x.rulePriority < r.appliedRulePriority)) {
          assert.ok(!selectsImage(earlier.selection, img.tags), `rule ${earlier.rulePriority} claimed ${r.digest}`);
        }
      }
    }),
  );
});

test('the result does not depend on the order images are listed in', () => {
  fc.assert(
    fc.property(policyArb, imagesArb.chain((imgs) => fc.tuple(fc.constant(imgs), fc.shuffledSubarray(imgs, { minLength: imgs.length }))), (policy, [images, shuffled]) => {
      assert.deepEqual(evaluateLifecyclePolicy(policy, shuffled, NOW), evaluateLifecyclePolicy(policy, images, NOW));
    }),
  );
});

test('imageCountMoreThan N over all images expires exactly max(0, n − N), and they are the oldest', () => {
  fc.assert(
    fc.property(imagesArb, fc.integer({ min: 1, max: 30 }), (images, n) => {
      const policy = parseLifecyclePolicy(policyText(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: n })));
      const results = evaluateLifecyclePolicy(policy, images, NOW);
      assert.equal(results.length, Math.max(0, images.length - n));
      const gone = new Set(results.map((r) => r.digest));
      const kept = images.filter((i) => !gone.has(i.digest));
      const newestGone = Math.max(...results.map((r) => r.pushedAt));
      for (const k of kept) assert.ok(k.pushedAt >= newestGone);
      // Oldest first, as ECR expires them.
      for (let i = 1; i < results.length; i++) assert.ok(results[i - 1]!.pushedAt <= results[i]!.pushedAt);
    }),
  );
});

test('sinceImagePushed N days over all images expires exactly the images older than N days', () => {
  fc.assert(
    fc.property(imagesArb, fc.integer({ min: 1, max: 10 }), (images, days) => {
      const policy = parseLifecyclePolicy(policyText(rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: days })));
      const gone = new Set(evaluateLifecyclePolicy(policy, images, NOW).map((r) => r.digest));
      for (const i of images) assert.equal(gone.has(i.digest), NOW - i.pushedAt > days * DAY);
    }),
  );
});

test('the parser throws nothing but InvalidParameterException, on any text', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ rules: [v] }))), (text) => {
      try {
        parseLifecyclePolicy(text);
      } catch (e) {
        assert.ok(e instanceof AwsError && e.code === 'InvalidParameterException', String(e));
      }
    }),
  );
});
