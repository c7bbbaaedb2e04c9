import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseConstraints,
  parseStrategies,
  placeOnInstances,
  placeTasks,
  PlacementInputError,
  RUN_TASK_DEFAULT_STRATEGY,
  SERVICE_DEFAULT_STRATEGY,
  toWireStrategy,
  type InstanceSnapshot,
  type Strategy,
} from '../../../src/control/placement/index.js';
import { demand, instance, seeded, tally } from './snapshot.js';

// Placement against the ECS docs' strategy and constraint examples, ECS's
// failure reasons, StartTask's explicit instances, and the validation of
// strategies and constraints.

const strategy = (...s: { type: string; field?: string }[]): Strategy[] => parseStrategies(s, []);
const random = seeded(42);

function fleet(perAz: number, opts: Partial<Parameters<typeof instance>[0]> = {}): InstanceSnapshot[] {
  const out: InstanceSnapshot[] = [];
  for (const az of ['us-east-1a', 'us-east-1b', 'us-east-1c']) {
    for (let i = 0; i < perAz; i++) out.push(instance({ ...opts, attributes: { 'ecs.availability-zone': az, 'ecs.instance-type': i % 2 ? 't2.micro' : 'm5.large', ...opts.attributes } }));
  }
  return out;
}

const azOf = (fleetList: InstanceSnapshot[], arn: string) => fleetList.find((i) => i.arn === arn)!.attributes.get('ecs.availability-zone')!;

function perAz(fleetList: InstanceSnapshot[], placements: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of placements) out[azOf(fleetList, p)] = (out[azOf(fleetList, p)] ?? 0) + 1;
  return out;
}

test('docs example: spread over Availability Zones', () => {
  const f = fleet(2);
  const plan = placeTasks(f, { count: 9, demand: demand(), group: 'family:web', strategy: strategy({ type: 'spread', field: 'attribute:ecs.availability-zone' }) }, { random });
  assert.deepEqual(perAz(f, plan.placements), { 'us-east-1a': 3, 'us-east-1b': 3, 'us-east-1c': 3 });
  assert.deepEqual(plan.failures, []);
});

test('spread counts the group tasks already running, and only those of the group', () => {
  const f = fleet(1);
  const [a, b, c] = f as [InstanceSnapshot, InstanceSnapshot, InstanceSnapshot];
  (a.taskGroups as Map<string, number>).set('family:web', 3);
  (b.taskGroups as Map<string, number>).set('family:other', 10);
  const plan = placeTasks(f, { count: 3, demand: demand(), group: 'family:web', strategy: strategy({ type: 'spread', field: 'attribute:ecs.availability-zone' }) }, { random });
  const t = tally(plan.placements);
  assert.equal(t.get(a.arn), undefined);
  assert.ok(t.get(b.arn)! >= 1 && t.get(c.arn)! >= 1);
});

test('docs example: spread over all instances (instanceId, and host has the same effect)', () => {
  for (const field of ['instanceId', 'host']) {
    const f = fleet(2);
    const plan = placeTasks(f, { count: 12, demand: demand(), group: 'g', strategy: strategy({ type: 'spread', field }) }, { random });
    assert.deepEqual([...tally(plan.placements).values()], [2, 2, 2, 2, 2, 2], field);
  }
});

test('docs example: bin pack on memory puts tasks on the instance with the least memory left that still fits', () => {
  const roomy = instance({ memory: 4096 });
  const snug = instance({ memory: 1024 });
  const tight = instance({ memory: 300 });
  const plan = placeTasks([roomy, snug, tight], { count: 10, demand: demand({ memory: 256 }), group: 'g', strategy: strategy({ type: 'binpack', field: 'memory' }) }, { random });
  // tight takes 1 (44 left), then snug fills (4 × 256), then roomy.
  assert.deepEqual(plan.placements, [tight.arn, snug.arn, snug.arn, snug.arn, snug.arn, roomy.arn, roomy.arn, roomy.arn, roomy.arn, roomy.arn]);
});

test('bin pack on cpu', () => {
  const big = instance({ cpu: 4096 });
  const small = instance({ cpu: 1024 });
  const plan = placeTasks([big, small], { count: 5, demand: demand({ cpu: 256 }), group: 'g', strategy: strategy({ type: 'binpack', field: 'CPU' }) }, { random });
  assert.deepEqual(plan.placements, [small.arn, small.arn, small.arn, small.arn, big.arn]);
});

test('docs example: random places on every instance over time, only on ones that fit', () => {
  const f = fleet(2);
  const full = instance({ memory: 0 });
  const plan = placeTasks([...f, full], { count: 600, demand: demand({ memory: 1 }), group: 'g', strategy: strategy({ type: 'random' }) }, { random: seeded(7) });
  const t = tally(plan.placements);
  assert.equal(t.size, 6);
  assert.equal(t.get(full.arn), undefined);
  for (const i of f) assert.ok(t.get(i.arn)! > 60 && t.get(i.arn)! < 140, `${t.get(i.arn)} of 600 on one of 6`);
});

test('docs example: spread over AZs, then over the instances within each AZ', () => {
  const f = fleet(2);
  const plan = placeTasks(
    f,
    { count: 6, demand: demand(), group: 'g', strategy: strategy({ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'spread', field: 'instanceId' }) },
    { random },
  );
  assert.deepEqual([...tally(plan.placements).values()], [1, 1, 1, 1, 1, 1]);
});

test('docs example: spread over AZs, then bin pack on memory within each AZ', () => {
  const f = fleet(2);
  // In each AZ the second instance has less memory: it takes that AZ's tasks.
  f.forEach((i, n) => Object.assign(i, { memory: n % 2 ? 1024 : 2048 }));
  const plan = placeTasks(
    f,
    { count: 6, demand: demand({ memory: 256 }), group: 'g', strategy: strategy({ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'binpack', field: 'memory' }) },
    { random },
  );
  assert.deepEqual(perAz(f, plan.placements), { 'us-east-1a': 2, 'us-east-1b': 2, 'us-east-1c': 2 });
  for (const p of plan.placements) assert.equal(f.find((i) => i.arn === p)!.memory, 1024);
});

test('docs example: spread over instances, then bin pack on memory', () => {
  const a = instance({ memory: 2048 });
  const b = instance({ memory: 1024 });
  const c = instance({ memory: 512 });
  const plan = placeTasks([a, b, c], { count: 4, demand: demand({ memory: 128 }), group: 'g', strategy: strategy({ type: 'spread', field: 'instanceId' }, { type: 'binpack', field: 'memory' }) }, { random });
  // One each, least memory first, then c again (it has the least left).
  assert.deepEqual(plan.placements, [c.arn, b.arn, a.arn, c.arn]);
});

test('spread over a custom attribute; instances without it share a bucket of their own', () => {
  const red = instance({ attributes: { colour: 'red' } });
  const blue = instance({ attributes: { colour: 'blue' } });
  const none1 = instance();
  const none2 = instance();
  const plan = placeTasks([red, blue, none1, none2], { count: 6, demand: demand(), group: 'g', strategy: strategy({ type: 'spread', field: 'attribute:colour' }) }, { random });
  const t = tally(plan.placements);
  assert.equal(t.get(red.arn), 2);
  assert.equal(t.get(blue.arn), 2);
  assert.equal((t.get(none1.arn) ?? 0) + (t.get(none2.arn) ?? 0), 2);
});

test('docs constraint example: memberOf places tasks on T2 instances only', () => {
  const f = fleet(2);
  const plan = placeTasks(
    f,
    { count: 5, demand: demand(), group: 'g', constraints: parseConstraints([], [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t2.*' }]) },
    { random },
  );
  assert.equal(plan.placements.length, 5);
  for (const p of plan.placements) assert.equal(f.find((i) => i.arn === p)!.attributes.get('ecs.instance-type'), 't2.micro');
});

test('docs constraint example: memberOf task:group == databases joins the databases group, task:group == service:daemon-service the daemon', () => {
  const withDb = instance({ taskGroups: { databases: 1 } });
  const withDaemon = instance({ taskGroups: { 'service:daemon-service': 1 } });
  const empty = instance();
  const dbs = placeTasks([empty, withDb, withDaemon], { count: 3, demand: demand(), group: 'databases', constraints: parseConstraints([{ type: 'memberOf', expression: 'task:group == databases' }], []) }, { random });
  assert.deepEqual(dbs.placements, [withDb.arn, withDb.arn, withDb.arn]);
  const replicas = placeTasks([empty, withDb, withDaemon], { count: 2, demand: demand(), group: 'service:app', constraints: parseConstraints([], [{ type: 'memberOf', expression: 'task:group == service:daemon-service' }]) }, { random });
  assert.deepEqual(replicas.placements, [withDaemon.arn, withDaemon.arn]);
  // Anti-affinity to its own group: the tasks this plan places count.
  const anti = placeTasks([empty, instance()], { count: 3, demand: demand(), group: 'web', constraints: parseConstraints([], [{ type: 'memberOf', expression: 'not(task:group == web)' }]) }, { random });
  assert.equal(anti.placements.length, 2, 'anti-affinity to its own group: one per instance');
  assert.deepEqual(new Set(anti.failures.map((f) => f.reason)), new Set(['MemberOf']));
});

test('docs constraint example: distinctInstance places each task of the group on a different instance', () => {
  const f = fleet(1);
  const plan = placeTasks(f, { count: 4, demand: demand(), group: 'family:solo', constraints: parseConstraints([], [{ type: 'distinctInstance' }]) }, { random });
  assert.equal(new Set(plan.placements).size, 3);
  assert.equal(plan.placements.length, 3);
  assert.deepEqual(plan.failures, f.map((i) => ({ arn: i.arn, reason: 'DistinctInstance' })));
  // Tasks of the group already there count; other groups do not.
  (f[0]!.taskGroups as Map<string, number>).set('family:solo', 1);
  (f[1]!.taskGroups as Map<string, number>).set('family:other', 1);
  const again = placeTasks(f, { count: 3, demand: demand(), group: 'family:solo', constraints: parseConstraints([], [{ type: 'distinctInstance' }]) }, { random });
  assert.deepEqual(new Set(again.placements), new Set([f[1]!.arn, f[2]!.arn]));
});

test("failures give each instance's reason, in ECS's order: AGENT, ATTRIBUTE, RESOURCE:*, MemberOf, DistinctInstance", () => {
  const off = instance({ agentConnected: false });
  const noEni = instance({ attributes: {} });
  const cpu = instance({ cpu: 10, attributes: { 'ecs.capability.task-eni': undefined } });
  const memory = instance({ memory: 10, attributes: { 'ecs.capability.task-eni': undefined } });
  const ports = instance({ ports: [8080], attributes: { 'ecs.capability.task-eni': undefined } });
  const udp = instance({ portsUdp: [53], attributes: { 'ecs.capability.task-eni': undefined } });
  const enis = instance({ enis: 0, attributes: { 'ecs.capability.task-eni': undefined } });
  const gpu = instance({ gpus: 0, attributes: { 'ecs.capability.task-eni': undefined } });
  const other = instance({ gpus: 1, attributes: { 'ecs.capability.task-eni': undefined, zone: 'b' } });
  const draining = instance({ status: 'DRAINING', attributes: { 'ecs.capability.task-eni': undefined, zone: 'a' } });
  const all = [off, noEni, cpu, memory, ports, udp, enis, gpu, other, draining];
  const plan = placeTasks(
    all,
    {
      count: 1,
      demand: demand({ cpu: 100, memory: 100, ports: [8080], portsUdp: [53], eni: true, gpus: 1 }),
      group: 'g',
      requiresAttributes: [{ name: 'ecs.capability.task-eni' }],
      constraints: parseConstraints([], [{ type: 'memberOf', expression: 'attribute:zone == a' }]),
    },
    { random },
  );
  assert.deepEqual(plan.placements, []);
  assert.deepEqual(
    plan.failures.map((f) => f.reason),
    ['AGENT', 'ATTRIBUTE', 'RESOURCE:CPU', 'RESOURCE:MEMORY', 'RESOURCE:PORTS', 'RESOURCE:PORTS_UDP', 'RESOURCE:ENI', 'RESOURCE:GPU', 'MemberOf'],
    'the DRAINING instance is no candidate and not listed',
  );
});

test('requiresAttributes: a missing attribute or a different value is ATTRIBUTE, the awslogs capabilities included', () => {
  const plain = instance({ attributes: { 'com.amazonaws.ecs.capability.docker-remote-api.1.19': undefined, 'ecs.os-type': 'linux' } });
  const run = (requires: { name: string; value?: string }[]) => placeTasks([plain], { count: 1, demand: demand(), group: 'g', requiresAttributes: requires }, { random });
  assert.equal(run([{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.19' }]).placements.length, 1);
  assert.equal(run([{ name: 'ecs.os-type', value: 'linux' }]).placements.length, 1);
  assert.deepEqual(run([{ name: 'ecs.os-type', value: 'windows' }]).failures, [{ arn: plain.arn, reason: 'ATTRIBUTE' }]);
  assert.deepEqual(run([{ name: 'com.amazonaws.ecs.capability.task-iam-role' }]).failures, [{ arn: plain.arn, reason: 'ATTRIBUTE' }]);
  // The hello_world example of the docs (awslogs with an execution role) needs the agent's awslogs capabilities.
  const awslogs = [{ name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }, { name: 'ecs.capability.execution-role-awslogs' }];
  assert.deepEqual(run(awslogs).failures, [{ arn: plain.arn, reason: 'ATTRIBUTE' }]);
  const shipping = instance({ attributes: { 'com.amazonaws.ecs.capability.logging-driver.awslogs': undefined, 'ecs.capability.execution-role-awslogs': undefined } });
  assert.equal(placeTasks([shipping], { count: 1, demand: demand(), group: 'g', requiresAttributes: awslogs }, { random }).placements.length, 1);
});

test('static host ports fit once per instance; resources are taken per task', () => {
  const a = instance({ cpu: 1024, memory: 1024 });
  const b = instance({ cpu: 1024, memory: 1024 });
  const plan = placeTasks([a, b], { count: 3, demand: demand({ memory: 100, ports: [80] }), group: 'g', strategy: strategy({ type: 'binpack', field: 'memory' }) }, { random });
  assert.equal(plan.placements.length, 2);
  assert.deepEqual(new Set(plan.placements), new Set([a.arn, b.arn]));
  assert.deepEqual(plan.failures, [
    { arn: a.arn, reason: 'RESOURCE:PORTS' },
    { arn: b.arn, reason: 'RESOURCE:PORTS' },
  ]);
  assert.equal(a.memory, 1024, 'the snapshot is not changed');
});

test('StartTask: explicit instances in order, twice means twice, MISSING / INACTIVE / DRAINING and every filter reported per instance', () => {
  const small = instance({ memory: 100 });
  const gone = instance({ status: 'INACTIVE' });
  const draining = instance({ status: 'DRAINING' });
  const off = instance({ agentConnected: false });
  const t2 = instance({ attributes: { 'ecs.instance-type': 't2.micro' } });
  const m5 = instance({ attributes: { 'ecs.instance-type': 'm5.large' } });
  const missing = 'arn:aws:ecs:us-east-1:000000000000:container-instance/test/ffffffffffffffffffffffffffffffff';
  const plan = placeOnInstances(
    [small, gone, draining, off, t2, m5],
    { demand: demand({ memory: 64 }), group: 'g', constraints: parseConstraints([{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t2.*' }], []) },
    [small, small, gone, missing, draining, off, t2, t2, m5].map((i) => (typeof i === 'string' ? i : i.arn)),
    { random },
  );
  assert.deepEqual(plan.placements, [t2.arn, t2.arn]);
  assert.deepEqual(plan.failures, [
    { arn: small.arn, reason: 'MemberOf' },
    { arn: small.arn, reason: 'MemberOf' },
    { arn: gone.arn, reason: 'INACTIVE' },
    { arn: missing, reason: 'MISSING' },
    { arn: draining.arn, reason: 'DRAINING' },
    { arn: off.arn, reason: 'AGENT' },
    { arn: m5.arn, reason: 'MemberOf' },
  ]);
  const again = placeOnInstances([small], { demand: demand({ memory: 64 }), group: 'g' }, [small.arn, small.arn], { random });
  assert.deepEqual(again, { placements: [small.arn], failures: [{ arn: small.arn, reason: 'RESOURCE:MEMORY' }] });
});

test("defaults: RunTask's random, a service's spread over AZs then instances; wire form round trips", () => {
  assert.deepEqual(parseStrategies(undefined, RUN_TASK_DEFAULT_STRATEGY), [{ type: 'random' }]);
  assert.deepEqual(parseStrategies([], SERVICE_DEFAULT_STRATEGY).map(toWireStrategy), [
    { type: 'spread', field: 'attribute:ecs.availability-zone' },
    { type: 'spread', field: 'instanceId' },
  ]);
  const f = fleet(2);
  const plan = placeTasks(f, { count: 6, demand: demand(), group: 'service:web', strategy: SERVICE_DEFAULT_STRATEGY }, { random });
  assert.deepEqual([...tally(plan.placements).values()], [1, 1, 1, 1, 1, 1]);
});

test('strategies and constraints are checked as ECS checks them', () => {
  const bad: [() => unknown, RegExp][] = [
    [() => parseStrategies(Array(6).fill({ type: 'random' }), []), /up to 5 placement strategies/],
    [() => parseStrategies([{ type: 'binpack', field: 'disk' }], []), /binpack placement strategy takes the field cpu or memory, not 'disk'/],
    [() => parseStrategies([{ type: 'binpack' }], []), /binpack/],
    [() => parseStrategies([{ type: 'spread' }], []), /spread placement strategy needs a field/],
    [() => parseStrategies([{ type: 'spread', field: 'memory' }], []), /spread placement strategy takes the field instanceId, host or attribute:NAME/],
    [() => parseStrategies([{ type: 'spread', field: 'attribute:' }], []), /spread/],
    [() => parseStrategies([{ type: 'fastest' }], []), /'fastest' is not a placement strategy type/],
    [() => parseStrategies([{}], []), /needs a type/],
    [() => parseConstraints(Array(6).fill({ type: 'distinctInstance' }), Array(5).fill({ type: 'distinctInstance' })), /up to 10 placement constraints/],
    [() => parseConstraints([], [{ type: 'distinctInstance', expression: 'attribute:a exists' }]), /can't specify an expression if the constraint type is distinctInstance/],
    [() => parseConstraints([], [{ type: 'memberOf' }]), /needs an expression/],
    [() => parseConstraints([], [{ type: 'memberOf', expression: `attribute:a == ${'x'.repeat(2000)}` }]), /at most 2000 characters/],
    [() => parseConstraints([], [{ type: 'nearby' }]), /'nearby' is not a placement constraint type/],
    [() => parseConstraints([{ type: 'memberOf', expression: 'attribute:a ==' }], []), /not valid at its end: '==' needs a value/],
  ];
  for (const [f, message] of bad) assert.throws(f, (e: unknown) => e instanceof PlacementInputError && message.test(e.message), String(message));
  assert.deepEqual(parseStrategies([{ type: 'random', field: 'ignored' }], []), [{ type: 'random' }]);
  assert.equal(parseConstraints(Array(5).fill({ type: 'distinctInstance' }), Array(5).fill({ type: 'distinctInstance' })).length, 10);
});
