import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesTagPattern, selectsImage } from '../../../src/registry/lifecycle/match.js';

test('tag patterns: the guide\'s examples', () => {
  for (const tag of ['prod', 'prod1', 'production-team1']) assert.ok(matchesTagPattern(tag, 'prod*'), tag);
  for (const tag of ['repo-production', 'prod-team', 'prod']) assert.ok(matchesTagPattern(tag, '*prod*'), tag);
  assert.ok(!matchesTagPattern('pro', 'prod*'));
  assert.ok(!matchesTagPattern('my-prod', 'prod*'));
});

test('tag patterns: literal without *, case-sensitive, * may be empty, parts may not overlap', () => {
  assert.ok(matchesTagPattern('latest', 'latest'));
  assert.ok(!matchesTagPattern('latest2', 'latest'));
  assert.ok(!matchesTagPattern('Prod', 'prod*'));
  assert.ok(matchesTagPattern('test123', '*test*1*2*3'));
  assert.ok(matchesTagPattern('test123', 'test*1*2*3*'));
  assert.ok(matchesTagPattern('ab', 'a*b'));
  assert.ok(!matchesTagPattern('a', 'a*a'));
  assert.ok(matchesTagPattern('aa', 'a*a'));
  assert.ok(matchesTagPattern('x.y+z', 'x.y+*')); // no regex meaning
  assert.ok(!matchesTagPattern('xzy', 'x.y*'));
  assert.ok(matchesTagPattern('anything', '*'));
});

test('selection: every list entry must match some tag; untagged and any', () => {
  const both = { tagStatus: 'tagged', tagPatternList: ['alpha*', 'beta*'] } as const;
  assert.ok(selectsImage(both, ['alpha-1', 'beta-1', 'gamma']));
  assert.ok(!selectsImage(both, ['alpha-1']));
  assert.ok(!selectsImage(both, []));
  const prefixes = { tagStatus: 'tagged', tagPrefixList: ['v1.', 'stable'] } as const;
  assert.ok(selectsImage(prefixes, ['v1.2', 'stable']));
  assert.ok(!selectsImage(prefixes, ['v1.2']));
  assert.ok(selectsImage({ tagStatus: 'untagged' }, []));
  assert.ok(!selectsImage({ tagStatus: 'untagged' }, ['x']));
  assert.ok(selectsImage({ tagStatus: 'any' }, []));
  assert.ok(selectsImage({ tagStatus: 'any' }, ['x']));
});
