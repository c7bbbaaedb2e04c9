import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AwsError } from '../../../src/gateway/errors.js';
import { parseLifecyclePolicy } from '../../../src/registry/lifecycle/policy.js';
import { policyText, rule } from './fixture.js';

const FRAME = "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ";

function refuses(text: string, names: RegExp): void {
  assert.throws(
    () => parseLifecyclePolicy(text),
    (e: unknown) => {
      assert.ok(e instanceof AwsError, `not an AwsError: ${String(e)}`);
      assert.equal(e.code, 'InvalidParameterException');
      assert.equal(e.status, 400);
      assert.ok(e.message.startsWith(FRAME), e.message);
      assert.match(e.message, names);
      return true;
    },
  );
}

const count = { countType: 'imageCountMoreThan', countNumber: 1 };
const age = { countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 };

test('parses a policy into typed rules, keeping description and document order', () => {
  const policy = parseLifecyclePolicy(
    policyText(
      rule(2, { tagStatus: 'tagged', tagPrefixList: ['v'], ...count }),
      { rulePriority: 1, selection: { tagStatus: 'untagged', storageClass: 'standard', ...age }, action: { type: 'expire' } },
      rule(9, { tagStatus: 'any', ...count }),
    ),
  );
  assert.deepEqual(policy, {
    rules: [
      { rulePriority: 2, description: 'Rule 2', selection: { tagStatus: 'tagged', tagPrefixList: ['v'], countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
      { rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }, action: { type: 'expire' } },
      { rulePriority: 9, description: 'Rule 9', selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
    ],
  });
});

test('accepts the documented wildcard examples: at most four * per pattern', () => {
  parseLifecyclePolicy(policyText(rule(1, { tagStatus: 'tagged', tagPatternList: ['*test*1*2*3', 'test*1*2*3*'], ...count })));
  refuses(policyText(rule(1, { tagStatus: 'tagged', tagPatternList: ['test*1*2*3*4*5*6'], ...count })), /tagPatternList\[0\].*6 wildcards.*at most 4/);
  refuses(policyText(rule(1, { tagStatus: 'tagged', tagPatternList: ['ok*', '*a*b*c*d*'], ...count })), /tagPatternList\[1\].*5 wildcards/);
});

test('refuses text that is not a JSON object with a non-empty rules array', () => {
  refuses('{"rules": [', /Could not map policyString into LifecyclePolicy/);
  refuses('[]', /instance type \(array\).*"object"/);
  refuses('{}', /missing required properties \(\["rules"\]\)/);
  refuses('{"rules": {}}', /rules: instance type \(object\).*"array"/);
  refuses('{"rules": []}', /rules: array is too short/);
  refuses(JSON.stringify({ rules: [rule(1, { tagStatus: 'any', ...count })], version: 1 }), /not allowed by the schema: \(\["version"\]\)/);
  refuses('{"rules": [1]}', /rules\[0\]: instance type \(integer\)/);
});

test('refuses unknown or missing properties at every level, naming them', () => {
  refuses(policyText({ ...rule(1, { tagStatus: 'any', ...count }), priority: 1 }), /rules\[0\]: .*not allowed.*\["priority"\]/);
  refuses(policyText({ rulePriority: 1, selection: { tagStatus: 'any', ...count } }), /rules\[0\]: object has missing required properties \(\["action"\]\)/);
  refuses(policyText(rule(1, { tagStatus: 'any', ...count, tagSuffixList: ['x'] })), /rules\[0\]\.selection: .*not allowed.*\["tagSuffixList"\]/);
  refuses(policyText(rule(1, { tagStatus: 'any', countNumber: 1 })), /rules\[0\]\.selection: .*missing required properties \(\["countType"\]\)/);
  refuses(policyText(rule(1, { tagStatus: 'any', ...count }, { action: { type: 'expire', when: 'now' } })), /rules\[0\]\.action: .*not allowed.*\["when"\]/);
  refuses(policyText(rule(1, { tagStatus: 'any', ...count }, { action: {} })), /rules\[0\]\.action: .*missing required properties \(\["type"\]\)/);
});

test('rulePriority: an integer of at least 1, unique across rules', () => {
  refuses(policyText(rule(0, { tagStatus: 'any', ...count })), /rules\[0\]\.rulePriority: numeric instance is lower than the required minimum \(minimum: 1, found: 0\)/);
  refuses(policyText(rule(1.5, { tagStatus: 'any', ...count })), /rules\[0\]\.rulePriority: instance type \(number\).*"integer"/);
  refuses(policyText(rule('1' as unknown as number, { tagStatus: 'any', ...count })), /rules\[0\]\.rulePriority: instance type \(string\)/);
  refuses(
    policyText(rule(1, { tagStatus: 'tagged', tagPrefixList: ['a'], ...count }), rule(1, { tagStatus: 'tagged', tagPrefixList: ['b'], ...count })),
    /rules\[1\]\.rulePriority: 1 is also the rulePriority of rules\[0\]/,
  );
});

test('description: optional, a string when present', () => {
  parseLifecyclePolicy(policyText({ rulePriority: 1, selection: { tagStatus: 'any', ...count }, action: { type: 'expire' } }));
  refuses(policyText(rule(1, { tagStatus: 'any', ...count }, { description: 5 })), /rules\[0\]\.description: instance type \(integer\)/);
  refuses(policyText(rule(1, { tagStatus: 'any', ...count }, { description: null })), /rules\[0\]\.description: instance type \(null\)/);
});

test('tagStatus: tagged, untagged or any', () => {
  refuses(policyText(rule(1, { tagStatus: 'TAGGED', tagPrefixList: ['v'], ...count })), /rules\[0\]\.selection\.tagStatus: instance value \("TAGGED"\) not found in enum/);
});

test('tag lists: only with tagged, tagged needs exactly one, non-empty, of non-empty strings', () => {
  refuses(policyText(rule(1, { tagStatus: 'untagged', tagPrefixList: ['v'], ...count })), /rules\[0\]\.selection\.tagPrefixList: only allowed when tagStatus is "tagged", not "untagged"/);
  refuses(policyText(rule(1, { tagStatus: 'any', tagPatternList: ['v*'], ...count })), /rules\[0\]\.selection\.tagPatternList: only allowed when tagStatus is "tagged", not "any"/);
  refuses(policyText(rule(1, { tagStatus: 'any', tagPrefixList: [], ...count })), /selection\.tagPrefixList: only allowed/);
  refuses(policyText(rule(1, { tagStatus: 'tagged', ...count })), /rules\[0\]\.selection: Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED/);
  refuses(policyText(rule(1, { tagStatus: 'tagged', tagPrefixList: ['v'], tagPatternList: ['v*'], ...count })), /either tagPrefixList or tagPatternList, but not both/);
  refuses(policyText(rule(1, { tagStatus: 'tagged', tagPrefixList: [], ...count })), /rules\[0\]\.selection\.tagPrefixList: array is too short/);
  refuses(policyText(rule(1, { tagStatus: 'tagged', tagPatternList: [], ...count })), /rules\[0\]\.selection\.tagPatternList: array is too short/);
  refuses(policyText(rule(1, { tagStatus: 'tagged', tagPrefixList: ['v', ''], ...count })), /rules\[0\]\.selection\.tagPrefixList\[1\]: string "" is too short/);
  refuses(policyText(rule(1, { tagStatus: 'tagged', tagPatternList: [7], ...count })), /rules\[0\]\.selection\.tagPatternList\[0\]: instance type \(integer\)/);
  refuses(policyText(rule(1, { tagStatus: 'tagged', tagPrefixList: 'v', ...count })), /rules\[0\]\.selection\.tagPrefixList: instance type \(string\)/);
});

test('countType, countUnit, countNumber', () => {
  refuses(policyText(rule(1, { tagStatus: 'any', countType: 'imageCountLessThan', countNumber: 1 })), /rules\[0\]\.selection\.countType: instance value \("imageCountLessThan"\) not found in enum/);
  refuses(policyText(rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countNumber: 1 })), /rules\[0\]\.selection: object has missing required properties \(\["countUnit"\]\)/);
  refuses(policyText(rule(1, { tagStatus: 'any', ...age, countUnit: 'hours' })), /rules\[0\]\.selection\.countUnit: instance value \("hours"\) not found in enum \(possible values: \["days"\]\)/);
  refuses(policyText(rule(1, { tagStatus: 'any', ...count, countUnit: 'days' })), /rules\[0\]\.selection\.countUnit: only allowed when countType is sinceImagePushed/);
  refuses(policyText(rule(1, { tagStatus: 'any', ...count, countNumber: 0 })), /rules\[0\]\.selection\.countNumber: numeric instance is lower than the required minimum \(minimum: 1, found: 0\)/);
  refuses(policyText(rule(1, { tagStatus: 'any', ...age, countNumber: -3 })), /selection\.countNumber: .*minimum/);
  refuses(policyText(rule(1, { tagStatus: 'any', ...count, countNumber: 2.5 })), /rules\[0\]\.selection\.countNumber: instance type \(number\)/);
});

test('action: expire only; the archive features are refused with a reason', () => {
  refuses(policyText(rule(1, { tagStatus: 'any', ...count }, { action: { type: 'delete' } })), /rules\[0\]\.action\.type: instance value \("delete"\) not found in enum/);
  refuses(
    policyText(rule(1, { tagStatus: 'any', ...age }, { action: { type: 'transition', targetStorageClass: 'archive' } })),
    /rules\[0\]\.action\.type: berth supports only action type "expire"; "transition" .* is not supported/,
  );
  refuses(policyText(rule(1, { tagStatus: 'any', ...count }, { action: { type: 'expire', targetStorageClass: 'archive' } })), /rules\[0\]\.action\.targetStorageClass: only allowed when action type is "transition"/);
  refuses(policyText(rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 })), /rules\[0\]\.selection\.countType: sinceImagePulled can be used only with action type "transition"/);
  refuses(
    policyText(rule(1, { tagStatus: 'any', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 })),
    /rules\[0\]\.selection\.storageClass: countType sinceImageTransitioned requires storageClass "archive"/,
  );
  refuses(
    policyText(rule(1, { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 })),
    /rules\[0\]\.selection\.countType: sinceImageTransitioned .* berth has no archive storage class/,
  );
  refuses(policyText(rule(1, { tagStatus: 'any', storageClass: 'archive', ...count })), /rules\[0\]\.selection\.storageClass: "archive" is only valid with countType sinceImageTransitioned/);
  refuses(policyText(rule(1, { tagStatus: 'any', storageClass: 'glacier', ...count })), /rules\[0\]\.selection\.storageClass: instance value \("glacier"\)/);
});

test('a tagStatus any rule must have the highest rulePriority', () => {
  refuses(
    policyText(rule(1, { tagStatus: 'any', ...count }), rule(2, { tagStatus: 'untagged', ...count })),
    /Rule for tagStatus=ANY must have the lowest priority per storage class \(rules\[0\]\.selection\.tagStatus is "any" with rulePriority 1, but rules\[1\] has rulePriority 2\)/,
  );
  refuses(policyText(rule(3, { tagStatus: 'any', ...count }), rule(4, { tagStatus: 'any', ...age })), /tagStatus=ANY must have the lowest priority.*rules\[0\]/);
  parseLifecyclePolicy(policyText(rule(9, { tagStatus: 'any', ...count }), rule(2, { tagStatus: 'untagged', ...count })));
});

test('only one rule may select untagged images', () => {
  refuses(
    policyText(rule(1, { tagStatus: 'untagged', ...count }), rule(2, { tagStatus: 'untagged', ...age })),
    /Only one rule can select Untagged images per storage class \(rules\[0\] and rules\[1\] both have selection\.tagStatus "untagged"\)/,
  );
});

test('no two rules may select the same set of tags', () => {
  refuses(
    policyText(rule(1, { tagStatus: 'tagged', tagPrefixList: ['a', 'b'], ...count }), rule(2, { tagStatus: 'tagged', tagPrefixList: ['b', 'a'], ...age })),
    /rules\[1\]\.selection\.tagPrefixList: rules\[0\] already selects the same set of tags/,
  );
  refuses(
    policyText(rule(1, { tagStatus: 'tagged', tagPatternList: ['v*'], ...count }), rule(2, { tagStatus: 'tagged', tagPatternList: ['v*'], ...age })),
    /rules\[1\]\.selection\.tagPatternList: rules\[0\] already selects/,
  );
  // Overlapping is fine; so is the same text as a prefix in one rule and a pattern in another.
  parseLifecyclePolicy(
    policyText(
      rule(1, { tagStatus: 'tagged', tagPrefixList: ['a'], ...count }),
      rule(2, { tagStatus: 'tagged', tagPrefixList: ['a', 'b'], ...count }),
      rule(3, { tagStatus: 'tagged', tagPatternList: ['a'], ...count }),
    ),
  );
});
