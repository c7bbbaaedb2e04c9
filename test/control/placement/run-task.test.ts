import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addInstance, openCore, registerTd, rejectsWith, resource, scope, type Core } from '../fixture.js';

// Placement through the control core (a real SQLite store): strategies and
// constraints on RunTask and StartTask, DRAINING and disconnected instances,
// requiresAttributes, task groups in the query language, and no overcommit
// under concurrent launches with strategies.

let core: Core;
let n = 0;

before(async () => {
  core = await openCore();
});
after(async () => core.close());

async function cluster(): Promise<string> {
  const name = `placement-${n++}`;
  await core.clusters.create(scope, { clusterName: name }, 0);
  return name;
}

const zone = (az: string, extra: { name: string; value?: string }[] = []) => [
  { name: 'ecs.availability-zone', value: az },
  { name: 'ecs.instance-type', value: az.endsWith('a') ? 't3.small' : 'm5.large' },
  { name: 'ecs.capability.task-eni' },
  ...extra,
];

test('RunTask with the issue example: spread over AZ, binpack memory, memberOf on instance type', async () => {
  const name = await cluster();
  const a1 = await addInstance(core, { cluster: name, memory: 1024, attributes: zone('us-east-1a') });
  const a2 = await addInstance(core, { cluster: name, memory: 512, attributes: zone('us-east-1a') });
  const b = await addInstance(core, { cluster: name, memory: 4096, attributes: zone('us-east-1b') });
  await registerTd(core, { family: 'web', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 128 }] });
  const spread = await core.tasks.run(
    scope,
    { cluster: name, taskDefinition: 'web', count: 6, placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'binpack', field: 'memory' }] },
    0,
  );
  const on = (arn: string) => spread.tasks.filter((t) => t.containerInstanceArn === arn).length;
  assert.equal(on(b), 3);
  assert.equal(on(a2), 3, 'binpack within us-east-1a: the instance with less memory');
  assert.equal(on(a1), 0);
  assert.deepEqual(new Set(spread.tasks.map((t) => t.availabilityZone)), new Set(['us-east-1a', 'us-east-1b']));

  const pinned = await core.tasks.run(
    scope,
    {
      cluster: name,
      taskDefinition: 'web',
      count: 4,
      placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'binpack', field: 'memory' }],
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t3.*' }],
    },
    0,
  );
  assert.equal(pinned.tasks.length, 4);
  for (const t of pinned.tasks) assert.ok([a1, a2].includes(t.containerInstanceArn!));
  // a2 had 512 − 3·128 = 128 left: one more, then a1.
  assert.equal(pinned.tasks.filter((t) => t.containerInstanceArn === a2).length, 1);
  const ci = await core.instances.describe(scope, { cluster: name, containerInstances: [a2] });
  assert.equal(resource(ci.containerInstances[0]!.remainingResources, 'MEMORY')!.integerValue, 0);
});

test('DRAINING instances get nothing new and are not failures; disconnected agents fail with AGENT', async () => {
  const name = await cluster();
  const drained = await addInstance(core, { cluster: name, attributes: zone('us-east-1a') });
  const off = await addInstance(core, { cluster: name, attributes: zone('us-east-1b'), connected: false });
  const ok = await addInstance(core, { cluster: name, memory: 256, attributes: zone('us-east-1c') });
  await core.instances.updateState(scope, { cluster: name, containerInstances: [drained], status: 'DRAINING' });
  await registerTd(core, { family: 'drain', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 128 }] });
  const out = await core.tasks.run(scope, { cluster: name, taskDefinition: 'drain', count: 3 }, 0);
  assert.deepEqual(out.tasks.map((t) => t.containerInstanceArn), [ok, ok]);
  assert.deepEqual(new Set(out.failures.map((f) => `${f.arn} ${f.reason}`)), new Set([`${off} AGENT`, `${ok} RESOURCE:MEMORY`]));
  const started = await core.tasks.start(scope, { cluster: name, taskDefinition: 'drain', containerInstances: [drained, off] }, 0);
  assert.deepEqual(started.failures, [
    { arn: drained, reason: 'DRAINING' },
    { arn: off, reason: 'AGENT' },
  ]);
  // Only DRAINING instances: ECS finds no container instance to use.
  const lonely = await cluster();
  const only = await addInstance(core, { cluster: lonely });
  await core.instances.updateState(scope, { cluster: lonely, containerInstances: [only], status: 'DRAINING' });
  await rejectsWith(core.tasks.run(scope, { cluster: lonely, taskDefinition: 'drain' }, 0), 'InvalidParameterException', 'No Container Instances were found in your cluster.');
});

test("requiresAttributes: an instance without the task definition's capabilities fails with ATTRIBUTE, awslogs's included", async () => {
  const name = await cluster();
  const bare = await addInstance(core, { cluster: name, attributes: [{ name: 'ecs.availability-zone', value: 'us-east-1a' }] });
  await registerTd(core, { family: 'vpc', networkMode: 'awsvpc', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64 }] });
  const out = await core.tasks.run(scope, { cluster: name, taskDefinition: 'vpc', networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } }, 0);
  assert.deepEqual(out.failures, [{ arn: bare, reason: 'ATTRIBUTE' }]);
  await registerTd(core, {
    family: 'logs',
    executionRoleArn: 'arn:aws:iam::000000000000:role/ecsTaskExecutionRole',
    containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64, logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-region': 'us-east-1' } } }],
  });
  await core.instances.putAttributes(scope, { cluster: name, attributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.19', targetId: bare }] });
  assert.deepEqual((await core.tasks.run(scope, { cluster: name, taskDefinition: 'logs' }, 0)).failures, [{ arn: bare, reason: 'ATTRIBUTE' }]);
  // berth's agent advertises both awslogs capabilities.
  await core.instances.putAttributes(scope, {
    cluster: name,
    attributes: [
      { name: 'com.amazonaws.ecs.capability.logging-driver.awslogs', targetId: bare },
      { name: 'ecs.capability.execution-role-awslogs', targetId: bare },
    ],
  });
  const logs = await core.tasks.run(scope, { cluster: name, taskDefinition: 'logs' }, 0);
  assert.deepEqual(logs.failures, []);
  assert.equal(logs.tasks.length, 1);
});

test('task definition constraints apply to RunTask and StartTask; with the request they count up to 10', async () => {
  const name = await cluster();
  const t3 = await addInstance(core, { cluster: name, attributes: zone('us-east-1a') });
  const m5 = await addInstance(core, { cluster: name, attributes: zone('us-east-1b') });
  await registerTd(core, { family: 'pinned', placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type == t3.small' }], containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64 }] });
  const run = await core.tasks.run(scope, { cluster: name, taskDefinition: 'pinned', count: 2 }, 0);
  assert.deepEqual(run.tasks.map((t) => t.containerInstanceArn), [t3, t3]);
  const start = await core.tasks.start(scope, { cluster: name, taskDefinition: 'pinned', containerInstances: [m5, t3] }, 0);
  assert.deepEqual(start.failures, [{ arn: m5, reason: 'MemberOf' }]);
  assert.deepEqual(start.tasks.map((t) => t.containerInstanceArn), [t3]);
  await rejectsWith(
    core.tasks.run(scope, { cluster: name, taskDefinition: 'pinned', placementConstraints: Array(10).fill({ type: 'memberOf', expression: 'agentConnected == true' }) }, 0),
    'InvalidParameterException',
    /up to 10 placement constraints/,
  );
  await rejectsWith(
    core.tasks.run(scope, { cluster: name, taskDefinition: 'pinned', placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type == (t3' }] }, 0),
    'InvalidParameterException',
    /is not valid at character 32: .==. needs a value/,
  );
  await rejectsWith(core.tasks.run(scope, { cluster: name, taskDefinition: 'pinned', placementStrategy: Array(6).fill({ type: 'random' }) }, 0), 'InvalidParameterException', /up to 5/);
});

test('ListContainerInstances filters with the whole language, task:group included', async () => {
  const name = await cluster();
  const a = await addInstance(core, { cluster: name, attributes: zone('us-east-1a') });
  const b = await addInstance(core, { cluster: name, attributes: zone('us-east-1b') });
  const c = await addInstance(core, { cluster: name, attributes: zone('us-east-1c'), connected: false });
  await registerTd(core, { family: 'db', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64 }] });
  await core.tasks.start(scope, { cluster: name, taskDefinition: 'db', group: 'databases', containerInstances: [b] }, 0);
  const list = async (filter: string) => (await core.instances.list(scope, { cluster: name, filter })).containerInstanceArns;
  assert.deepEqual(await list('task:group == databases'), [b]);
  assert.deepEqual(await list('not(task:group == databases)'), [a, c].sort());
  assert.deepEqual(await list('attribute:ecs.availability-zone in [us-east-1a, us-east-1b] and runningTasksCount < 5'), [a, b].sort());
  assert.deepEqual(await list('(attribute:ecs.instance-type =~ m5.* or agentConnected == false) and not attribute:ecs.availability-zone == us-east-1c'), [b]);
  assert.deepEqual(await list(`registeredAt < ${new Date(5_000).toISOString().slice(0, 19)}`), [a, b, c].sort());
  await rejectsWith(core.instances.list(scope, { cluster: name, filter: 'runningTasksCount < lots' }), 'InvalidParameterException', /at character 21: runningTasksCount compares with a whole number/);
});

test('16 concurrent RunTasks with strategies never overcommit', async () => {
  const name = await cluster();
  const arns = [];
  for (const az of ['us-east-1a', 'us-east-1b', 'us-east-1c']) arns.push(await addInstance(core, { cluster: name, memory: 500, attributes: zone(az) }));
  await registerTd(core, { family: 'racer', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 100 }] });
  const results = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      core.tasks.run(scope, { cluster: name, taskDefinition: 'racer', count: 2, placementStrategy: [{ type: i % 2 ? 'binpack' : 'spread', field: i % 2 ? 'memory' : 'attribute:ecs.availability-zone' }] }, 0),
    ),
  );
  const placed = results.flatMap((r) => r.tasks);
  assert.equal(placed.length, 15, '3 instances × 5 tasks of 100 MiB');
  for (const arn of arns) {
    const ci = (await core.instances.describe(scope, { cluster: name, containerInstances: [arn] })).containerInstances[0]!;
    assert.equal(resource(ci.remainingResources, 'MEMORY')!.integerValue, 0);
    assert.equal(ci.pendingTasksCount, 5);
  }
});

test('concurrent distinctInstance RunTasks put at most one task of the group on each instance', async () => {
  const name = await cluster();
  const arns = [];
  for (const az of ['us-east-1a', 'us-east-1b', 'us-east-1c']) arns.push(await addInstance(core, { cluster: name, memory: 4096, attributes: zone(az) }));
  await registerTd(core, { family: 'solo', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64 }] });
  const results = await Promise.all(
    Array.from({ length: 8 }, () => core.tasks.run(scope, { cluster: name, taskDefinition: 'solo', placementConstraints: [{ type: 'distinctInstance' }] }, 0)),
  );
  const placed = results.flatMap((r) => r.tasks);
  assert.equal(placed.length, 3);
  assert.equal(new Set(placed.map((t) => t.containerInstanceArn)).size, 3);
  for (const r of results) if (!r.tasks.length) assert.deepEqual(new Set(r.failures.map((f) => f.reason)), new Set(['DistinctInstance']));
});
