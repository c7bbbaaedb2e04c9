import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileQuery, QuerySyntaxError, type InstanceSnapshot } from '../../../src/control/placement/index.js';
import { parseDate } from '../../../src/control/placement/query.js';
import { instance } from './snapshot.js';

// The cluster query language: every example of the ECS docs ("Create
// expressions to define container instances for Amazon ECS tasks", the
// filter examples of "Amazon ECS task placement constraints", the constraint
// examples) parses and selects what the docs say it selects.

const A = instance({
  ec2InstanceId: 'i-abcd1234',
  agentVersion: '1.14.4',
  registeredAt: Date.UTC(2018, 0, 10),
  runningTasksCount: 1,
  attributes: { 'ecs.instance-type': 't2.small', 'ecs.availability-zone': 'us-east-1a', stack: 'prod', 'ecs.capability.task-eni': undefined },
  taskGroups: { 'service:production': 1, 'service:daemon-service': 1 },
});
const B = instance({
  ec2InstanceId: 'i-wxyx7890',
  agentVersion: '1.14.5',
  registeredAt: Date.UTC(2018, 1, 13),
  runningTasksCount: 0,
  attributes: { 'ecs.instance-type': 'g2.2xlarge', 'ecs.availability-zone': 'us-east-1b', stack: 'dev' },
  taskGroups: { database: 2 },
});
const C = instance({
  ec2InstanceId: 'i-0000ffff',
  agentVersion: '1.20.0',
  registeredAt: Date.UTC(2019, 4, 1),
  runningTasksCount: 3,
  attributes: { 'ecs.instance-type': 'g2.8xlarge', 'ecs.availability-zone': 'us-east-1d' },
  taskGroups: {},
});
const D = instance({
  ec2InstanceId: 'i-1111eeee',
  agentConnected: false,
  agentVersion: '1.9.0',
  registeredAt: Date.UTC(2017, 11, 31, 23, 59, 59),
  runningTasksCount: 1,
  attributes: { 'ecs.instance-type': 't2.medium', 'ecs.availability-zone': 'us-east-1c', stack: 'prod' },
  taskGroups: { databases: 1 },
});
const FLEET: [string, InstanceSnapshot][] = [
  ['A', A],
  ['B', B],
  ['C', C],
  ['D', D],
];

function select(expression: string): string {
  const q = compileQuery(expression);
  return FLEET.filter(([, f]) => q.matches(f))
    .map(([n]) => n)
    .join('');
}

test('every example expression of the cluster query language page selects what the docs say', () => {
  const examples: [string, string, string][] = [
    ['String Equality: instances with the specified instance type', 'attribute:ecs.instance-type == t2.small', 'A'],
    ['Argument List: instances in us-east-1a or us-east-1b', 'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]', 'AB'],
    ['Compound Expression: G2 instances not in us-east-1d', 'attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d', 'B'],
    ['Task Affinity: instances hosting tasks in the service:production group', 'task:group == service:production', 'A'],
    ['Task Anti-Affinity: instances not hosting tasks in the database group', 'not(task:group == database)', 'ACD'],
    ['Running task count: instances running only one task', 'runningTasksCount == 1', 'AD'],
    ['Agent version: instances running an agent below 1.14.5', 'agentVersion < 1.14.5', 'AD'],
    ['Registration time: instances registered before February 13, 2018', 'registeredAt < 2018-02-13', 'AD'],
    ['EC2 instance ID: instances with the listed ids', "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", 'AB'],
  ];
  for (const [what, expression, expected] of examples) assert.equal(select(expression), expected, `${what}: ${expression}`);
});

test("the docs' ListContainerInstances filter examples and constraint examples select as described", () => {
  const examples: [string, string][] = [
    ['attribute:ecs.instance-type == g2.2xlarge', 'B'],
    // "lists the instances with the custom attribute stack=prod"
    ['attribute:stack == prod', 'AD'],
    // "lists the instances with the custom attribute stack unless the attribute value is prod"
    ['attribute:stack != prod', 'B'],
    ['attribute:ecs.instance-type in [t2.small, t2.medium]', 'AD'],
    ['attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a', 'A'],
    // placement constraint examples
    ['attribute:ecs.instance-type =~ t2.*', 'AD'],
    ['task:group == service:daemon-service', 'A'],
    ['task:group == databases', 'D'],
    // the examples
    ['attribute:ecs.instance-type =~ t3.*', ''],
    ['attribute:ecs.availability-zone in [us-east-1a, us-east-1b] and runningTasksCount < 5', 'AB'],
  ];
  for (const [expression, expected] of examples) assert.equal(select(expression), expected, expression);
});

test('every subject, operator (symbol and name) and boolean form evaluates', () => {
  const cases: [string, string][] = [
    ['agentConnected == true', 'ABC'],
    ['agentConnected equals false', 'D'],
    ['agentConnected != true', 'D'],
    ['agentConnected in [false]', 'D'],
    ['agentConnected not_in [false]', 'ABC'],
    ['agentConnected =~ f.*', 'D'],
    ['agentConnected !~ f.*', 'ABC'],
    ['agentVersion == 1.14.5', 'B'],
    ['agentVersion not_equals 1.14.5', 'ACD'],
    ['agentVersion >= 1.14.5', 'BC'],
    ['agentVersion greater_than 1.14.5', 'C'],
    ['agentVersion less_than_equal 1.14.4', 'AD'],
    ['ec2InstanceId == i-0000ffff', 'C'],
    ["ec2InstanceId matches 'i-[0-9]+f+'", 'C'],
    ['ec2InstanceId not_matches i-.*', ''],
    ['ec2InstanceId !in [i-abcd1234]', 'BCD'],
    ['registeredAt >= 2018-02-13', 'BC'],
    ['registeredAt == 2018-02-13T00:00:00Z', 'B'],
    ['registeredAt > 2018-02-13T00:00:00+00:00', 'C'],
    ['registeredAt <= 2017-12-31T23:59:59', 'D'],
    ['registeredAt < 2018-01-01T01:00:00+01:00', 'D'],
    ['runningTasksCount > 0', 'ACD'],
    ['runningTasksCount greater_than_equal 3', 'C'],
    ['runningTasksCount less_than 1', 'B'],
    ['runningTasksCount != 1', 'BC'],
    ['task:group exists', 'ABD'],
    ['task:group !exists', 'C'],
    ['task:group not_exists', 'C'],
    ['task:group != database', 'AD'],
    ['task:group in [database, databases]', 'BD'],
    ['task:group =~ service:.*', 'A'],
    ['attribute:stack exists', 'ABD'],
    ['attribute:stack !exists', 'C'],
    ['attribute:ecs.capability.task-eni exists', 'A'],
    ['attribute:ecs.capability.task-eni == x', ''],
    ['attribute:stack not_in [prod]', 'B'],
    ['attribute:stack > dev', 'AD'],
    ["attribute:stack == 'prod' && attribute:ecs.availability-zone == \"us-east-1c\"", 'D'],
    ['attribute:stack == dev || runningTasksCount == 3', 'BC'],
    ['attribute:stack == dev OR runningTasksCount == 3', 'BC'],
    ['!(attribute:stack == prod)', 'BC'],
    ['! attribute:stack == prod', 'BC'],
    ['NOT attribute:stack exists', 'C'],
    // precedence: not > and > or, parentheses override
    ['attribute:stack == dev or attribute:stack == prod and agentConnected == false', 'BD'],
    ['(attribute:stack == dev or attribute:stack == prod) and agentConnected == true', 'AB'],
    ['not (runningTasksCount == 0 or runningTasksCount == 3) and attribute:stack == prod', 'AD'],
    ['((((agentVersion < 1.10))))', 'D'],
    ['attribute:ecs.instance-type==t2.small', 'A'],
  ];
  for (const [expression, expected] of cases) assert.equal(select(expression), expected, expression);
});

test('task:group counts the group a plan is placing there', () => {
  const q = compileQuery('task:group == web');
  assert.equal(q.usesTaskGroup, true);
  assert.equal(q.matches(C), false);
  assert.equal(q.matches(C, 'web'), true);
  assert.equal(compileQuery('attribute:a exists').usesTaskGroup, false);
});

test('syntax errors say where the expression breaks', () => {
  const broken: [string, number, RegExp][] = [
    ['', 0, /empty/],
    ['attribute:stack ==', 0, /'==' needs a value/],
    ['attribute:stack == prod and', 0, /expected a subject/],
    ['attribute:stack = prod', 17, /'=' is not an operator/],
    ['colour == red', 1, /'colour' is not a subject/],
    ['ecs.instance-type == t2.small', 1, /attribute:ecs.instance-type/],
    ['attribute: == x', 1, /does not name an attribute/],
    ['attribute:stack prod', 17, /expected an operator/],
    ['attribute:stack == prod attribute:x exists', 25, /cannot follow a complete expression/],
    ['(attribute:stack == prod', 0, /expected '\)' to close the '\(' at character 1/],
    ['attribute:stack == prod)', 24, /closes no '\('/],
    ["attribute:stack == 'prod", 20, /never closed/],
    ['attribute:stack in prod', 20, /needs a list/],
    ['attribute:stack in []', 21, /at least one value/],
    ['attribute:stack in [a b]', 23, /expected ',' or '\]'/],
    ['attribute:stack in [a,', 0, /never closed/],
    ['runningTasksCount =~ 1', 19, /does not apply to runningTasksCount/],
    ['runningTasksCount > many', 21, /whole number/],
    ['registeredAt < yesterday', 16, /registeredAt compares with a date/],
    ['registeredAt < 2018-02-30', 16, /registeredAt compares with a date/],
    ['agentConnected == maybe', 19, /true or false/],
    ['agentVersion exists', 14, /does not apply to agentVersion/],
    ['attribute:x =~ "("', 16, /not a valid regular expression/],
    ['attribute:x == a && || attribute:y exists', 21, /expected a subject/],
  ];
  for (const [expression, position, detail] of broken) {
    assert.throws(
      () => compileQuery(expression),
      (e: unknown) => e instanceof QuerySyntaxError && e.position === position && detail.test(e.message) && e.message.includes(`'${expression}'`),
      `${expression} → position ${position}, ${detail}`,
    );
  }
});

test('the dates registeredAt takes, in every documented format', () => {
  assert.equal(parseDate('2018-06-18T22:28:28+00:00'), Date.UTC(2018, 5, 18, 22, 28, 28));
  assert.equal(parseDate('2018-06-18T22:28:28Z'), Date.UTC(2018, 5, 18, 22, 28, 28));
  assert.equal(parseDate('2018-06-18T22:28:28'), Date.UTC(2018, 5, 18, 22, 28, 28));
  assert.equal(parseDate('2018-06-18'), Date.UTC(2018, 5, 18));
  assert.equal(parseDate('2018-06-18T22:28:28-02:00'), Date.UTC(2018, 5, 19, 0, 28, 28));
  for (const bad of ['18-06-2018', '2018-13-01', '2018-06-18T25:00:00', '2018-06-18 22:28:28', 'now']) assert.equal(parseDate(bad), undefined, bad);
});

test('the parser throws nothing but QuerySyntaxError, and evaluation nothing at all, on any string', () => {
  const alphabet = [...'attribute:ecs.az-1 =!<>~&|()[],\'"xyz019*_'].map((c) => fc.constant(c));
  const words = ['and', 'or', 'not', 'in', 'not_in', 'exists', '!exists', 'matches', 'task:group', 'runningTasksCount', 'registeredAt', 'agentVersion', 'agentConnected', 'ec2InstanceId', '2018-02-13', 'true'].map((w) =>
    fc.constant(` ${w} `),
  );
  const piece = fc.oneof(...alphabet, ...words);
  const check = (s: string) => {
    let q;
    try {
      q = compileQuery(s);
    } catch (e) {
      assert.ok(e instanceof QuerySyntaxError, `${JSON.stringify(s)} threw ${String(e)}`);
      assert.ok(e.position >= 0 && e.position <= s.length, `position ${e.position} in ${JSON.stringify(s)}`);
      return;
    }
    for (const [, f] of FLEET) q.matches(f, 'web');
  };
  fc.assert(fc.property(fc.array(piece, { maxLength: 30 }).map((a) => a.join('')), check), { numRuns: 3000 });
  fc.assert(fc.property(fc.string({ maxLength: 60 }), check), { numRuns: 2000 });
});
