import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateLifecyclePolicy, type LifecycleImage } from '../../../src/registry/lifecycle/evaluate.js';
import { parseLifecyclePolicy } from '../../../src/registry/lifecycle/policy.js';
import { DAY, NOW, image, policyText, rule } from './fixture.js';

// The worked examples of the ECR User Guide ("Examples of lifecycle policies in
// Amazon ECR"), each with the outcome the guide states. The policies go through
// the parser, as they would through PutLifecyclePolicy.

function expired(text: string, images: LifecycleImage[]): string[] {
  return evaluateLifecyclePolicy(parseLifecyclePolicy(text), images, NOW).map((r) => r.digest.slice('sha256:'.length));
}

test('filtering on image age: prod* images older than 14 days expire', () => {
  const text = policyText({
    rulePriority: 1,
    description: 'Expire images older than 14 days',
    selection: { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
    action: { type: 'expire' },
  });
  const repo = [
    image('old-prod', ['prod-1'], 20),
    image('new-prod', ['prod-2'], 10),
    image('old-dev', ['dev-1'], 30),
    image('old-untagged', [], 30),
    image('edge', ['production'], 14), // exactly 14 days: not older than 14 days
  ];
  assert.deepEqual(expired(text, repo), ['old-prod']);
});

test('filtering on image count: keep only one untagged image', () => {
  const text = policyText({
    rulePriority: 1,
    description: 'Keep only one untagged image, expire all others',
    selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 },
    action: { type: 'expire' },
  });
  const repo = [image('u1', [], 3), image('u2', [], 2), image('u3', [], 1), image('t', ['v1'], 9)];
  assert.deepEqual(expired(text, repo), ['u1', 'u2']);
});

const multipleRulesRepo = [image('A', ['beta-1', 'prod-1'], 10), image('B', ['beta-2', 'prod-2'], 9), image('C', ['beta-3'], 8)];

// The current guide uses tagPatternList; its earlier editions told the same
// story with tagPrefixList. Both must give the documented result.
for (const [list, prod, beta] of [
  ['tagPatternList', 'prod*', 'beta*'],
  ['tagPrefixList', 'prod', 'beta'],
] as const) {
  const keepOne = (tag: string) => ({ tagStatus: 'tagged', [list]: [tag], countType: 'imageCountMoreThan', countNumber: 1 });

  test(`multiple rules, example A (${list}): prod first, beta second → only A expires`, () => {
    const text = policyText(rule(1, keepOne(prod)), rule(2, keepOne(beta)));
    const results = evaluateLifecyclePolicy(parseLifecyclePolicy(text), multipleRulesRepo, NOW);
    // Rule 2 would mark A and B, but both match rule 1's tagging requirements.
    assert.deepEqual(
      results.map((r) => [r.digest, r.appliedRulePriority]),
      [['sha256:A', 1]],
    );
  });

  test(`multiple rules, example B (${list}): beta first, prod second → A and B expire`, () => {
    const text = policyText(rule(1, keepOne(beta)), rule(2, keepOne(prod)));
    const results = evaluateLifecyclePolicy(parseLifecyclePolicy(text), multipleRulesRepo, NOW);
    assert.deepEqual(
      results.map((r) => [r.digest, r.appliedRulePriority]),
      [
        ['sha256:A', 1],
        ['sha256:B', 1],
      ],
    );
  });
}

test('multiple tags in a single rule, example A: only images with alpha and beta tags, older than 5 days', () => {
  const text = policyText(rule(1, { tagStatus: 'tagged', tagPatternList: ['alpha*', 'beta*'], countType: 'sinceImagePushed', countNumber: 5, countUnit: 'days' }));
  const repo = [
    image('A', ['alpha-1'], 12),
    image('B', ['beta-1'], 11),
    image('C', ['alpha-2', 'beta-2'], 10),
    image('D', ['alpha-3'], 4),
    image('E', ['beta-3'], 3),
    image('F', ['alpha-4', 'beta-4'], 2),
  ];
  assert.deepEqual(expired(text, repo), ['C']);
});

test('multiple tags in a single rule, example B: tags are not exclusive', () => {
  const text = policyText(rule(1, { tagStatus: 'tagged', tagPatternList: ['alpha*', 'beta*'], countType: 'imageCountMoreThan', countNumber: 1 }));
  const repo = [image('A', ['alpha-1', 'beta-1', 'gamma-1'], 10), image('B', ['alpha-2', 'beta-2'], 9), image('C', ['alpha-3', 'beta-3', 'gamma-2'], 8)];
  assert.deepEqual(expired(text, repo), ['A', 'B']);
});

test('all images, example A: tagStatus any keeps only the newest image', () => {
  const text = policyText(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }));
  const repo = [image('A', ['alpha-1'], 4), image('B', ['beta-1'], 3), image('C', [], 2), image('D', ['alpha-2'], 1)];
  assert.deepEqual(expired(text, repo), ['A', 'B', 'C']);
});

test('all images, example B: every rule type in one policy → A, B and D expire', () => {
  const text = policyText(
    rule(1, { tagStatus: 'tagged', tagPatternList: ['alpha*'], countType: 'imageCountMoreThan', countNumber: 1 }),
    rule(2, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }),
    rule(3, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }),
  );
  // The guide lists D and E both as "Pushed: 1 day ago" and has rule 3 keep E
  // as the newest image, so E was pushed after D; a minute says so here.
  const repo = [
    image('A', ['alpha-1', 'beta-1'], 4),
    image('B', [], 3),
    image('C', ['alpha-2'], 2),
    image('D', ['git hash'], 1),
    { ...image('E', [], 1), pushedAt: NOW - DAY + 60_000 },
  ];
  const results = evaluateLifecyclePolicy(parseLifecyclePolicy(text), repo, NOW);
  assert.deepEqual(
    results.map((r) => [r.digest, r.appliedRulePriority]),
    [
      ['sha256:A', 1],
      ['sha256:B', 2],
      ['sha256:D', 3],
    ],
  );
});

test('a rule protects everything matching its tagging requirements, even images it does not mark', () => {
  // Young prod images are not old enough for rule 1, yet rule 2 may not count them out.
  const text = policyText(
    rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }),
    rule(2, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }),
  );
  const repo = [image('p1', ['prod-1'], 5), image('p2', ['prod-2'], 4), image('x', ['dev'], 3), image('y', [], 2)];
  // Rule 2 keeps y (the newest) and marks p1, p2, x; p1 and p2 belong to rule 1.
  assert.deepEqual(expired(text, repo), ['x']);
});

test('results carry what GetLifecyclePolicyPreview reports, oldest first', () => {
  const text = policyText(rule(7, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 2 }));
  const repo = [image('b', ['v2', 'latest'], 3), image('a', ['v1'], 5), image('c', [], 1)];
  assert.deepEqual(evaluateLifecyclePolicy(parseLifecyclePolicy(text), repo, NOW), [
    { digest: 'sha256:a', tags: ['v1'], pushedAt: NOW - 5 * DAY, action: 'EXPIRE', appliedRulePriority: 7 },
    { digest: 'sha256:b', tags: ['v2', 'latest'], pushedAt: NOW - 3 * DAY, action: 'EXPIRE', appliedRulePriority: 7 },
  ]);
});

test('rules apply by rulePriority, not by their order in the document', () => {
  const text = policyText(
    rule(20, { tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 1 }),
    rule(10, { tagStatus: 'tagged', tagPrefixList: ['beta'], countType: 'imageCountMoreThan', countNumber: 1 }),
  );
  // Same as example B: beta (10) goes first.
  assert.deepEqual(expired(text, multipleRulesRepo), ['A', 'B']);
});
