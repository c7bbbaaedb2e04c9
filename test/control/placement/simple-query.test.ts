import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileQuery, QueryError, type InstanceFacts } from '../../../src/control/placement/simple-query.js';

// The subset of the cluster query language berth evaluates now, and its
// refusals of the rest.

const facts: InstanceFacts = {
  ec2InstanceId: 'i-0123456789abcdef0',
  agentConnected: true,
  agentVersion: '0.1.0',
  runningTasksCount: 3,
  attributes: [{ name: 'ecs.instance-type', value: 't2.small' }, { name: 'ecs.availability-zone', value: 'us-east-1a' }, { name: 'gpu' }],
};

test('terms and conjunctions evaluate as the ECS docs describe', () => {
  const cases: [string, boolean][] = [
    ['attribute:ecs.instance-type == t2.small', true],
    ['attribute:ecs.instance-type != t2.small', false],
    ["attribute:ecs.availability-zone == 'us-east-1a'", true],
    ['attribute:ecs.availability-zone == "us-east-1b"', false],
    ['attribute:gpu exists', true],
    ['attribute:tpu exists', false],
    ['attribute:tpu !exists', true],
    ['ec2InstanceId == i-0123456789abcdef0', true],
    ['agentConnected == false', false],
    ['agentVersion != 0.1.0', false],
    ['runningTasksCount > 2', true],
    ['runningTasksCount <= 2', false],
    ['attribute:gpu exists and runningTasksCount < 5', true],
    ['attribute:gpu exists && runningTasksCount >= 5', false],
  ];
  for (const [expression, expected] of cases) assert.equal(compileQuery(expression)(facts), expected, expression);
});

test('what berth cannot evaluate yet is refused by name, never ignored', () => {
  const refused: [string, RegExp][] = [
    ['attribute:a == b or attribute:c == d', /'or'/],
    ['attribute:a == b || attribute:c == d', /'\|\|'/],
    ['not attribute:a exists', /'not'/],
    ['(attribute:a exists)', /parentheses/],
    ['attribute:ecs.availability-zone in [us-east-1a, us-east-1b]', /'in'/],
    ['attribute:ecs.instance-type =~ t2.*', /'=~'/],
    ['task:group == service:web', /task:group/],
    ['registeredAt < 2017-01-01', /registeredAt/],
    ['colour == red', /not a field/],
    ['attribute:a ==', /needs a value/],
    ['attribute:a == b attribute:c == d', /cannot follow/],
    ["attribute:a == 'open", /never closed/],
    ['', /empty/],
  ];
  for (const [expression, message] of refused) assert.throws(() => compileQuery(expression), (e: unknown) => e instanceof QueryError && message.test(e.message), expression);
});

test('compileQuery throws nothing but QueryError on any string', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'attribute:ecs.a =!<>&|()[],\'" xyz01'.split('')), maxLength: 40 }), (s) => {
      try {
        compileQuery(s)(facts);
      } catch (e) {
        assert.ok(e instanceof QueryError, String(e));
      }
    }),
  );
});
