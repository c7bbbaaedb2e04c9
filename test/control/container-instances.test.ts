import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addInstance, AGENT_ATTRIBUTES, openCore, registerTd, rejectsWith, resource, resources, scope, type Core } from './fixture.js';

// Container instances through the control core: registration and its
// resources, re-registration after an agent restart, the agent's connection,
// draining, attributes and deregistration.

let core: Core;
before(async () => {
  core = await openCore();
});
after(async () => {
  await core.close();
});

let n = 0;
async function cluster(): Promise<string> {
  const name = `ci-${++n}`;
  await core.clusters.create(scope, { clusterName: name }, 0);
  return name;
}

test('RegisterContainerInstance returns registered and remaining resources in ECS shape, with a long ARN and an EC2 id', async () => {
  const name = await cluster();
  const ci = await core.instances.register(
    scope,
    { cluster: name, totalResources: resources(4096, 7680), attributes: AGENT_ATTRIBUTES, versionInfo: { agentVersion: '0.1.0' } },
    5_000,
  );
  assert.match(ci.containerInstanceArn!, new RegExp(`^arn:aws:ecs:us-east-1:000000000000:container-instance/${name}/[0-9a-f]{32}$`));
  assert.match(ci.ec2InstanceId!, /^i-[0-9a-f]{17}$/);
  assert.equal(ci.status, 'ACTIVE');
  assert.equal(ci.agentConnected, false);
  assert.equal(ci.version, 1);
  assert.equal(ci.runningTasksCount, 0);
  assert.equal(ci.pendingTasksCount, 0);
  assert.deepEqual(ci.registeredAt, new Date(5_000));
  assert.deepEqual(ci.versionInfo, { agentVersion: '0.1.0' });
  assert.deepEqual(ci.registeredResources, [
    { name: 'CPU', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: 4096 },
    { name: 'MEMORY', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: 7680 },
    { name: 'PORTS', type: 'STRINGSET', doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: ['22', '2375', '2376', '51678', '51679'] },
    { name: 'PORTS_UDP', type: 'STRINGSET', doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: [] },
  ]);
  assert.deepEqual(ci.remainingResources, ci.registeredResources);
  assert.deepEqual(ci.attributes, AGENT_ATTRIBUTES);
  const usage = await core.clusters.describe(scope, [name]);
  assert.equal(usage.clusters[0]!.registeredContainerInstancesCount, 1);
});

test('registration without PORTS reserves the ECS agent ports; without CPU or MEMORY it is refused', async () => {
  const name = await cluster();
  const ci = await core.instances.register(
    scope,
    { cluster: name, totalResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 1024 }, { name: 'MEMORY', type: 'INTEGER', integerValue: 512 }] },
    0,
  );
  assert.deepEqual(resource(ci.registeredResources, 'PORTS')!.stringSetValue, ['22', '2375', '2376', '51678', '51679']);
  await rejectsWith(core.instances.register(scope, { cluster: name, totalResources: [{ name: 'CPU', type: 'INTEGER', integerValue: 1024 }] }, 0), 'InvalidParameterException');
  await rejectsWith(core.instances.register(scope, { cluster: 'nope', totalResources: resources(1024, 512) }, 0), 'ClusterNotFoundException', 'Cluster not found.');
});

test('an instance identity document gives the EC2 id, availability zone and instance type', async () => {
  const name = await cluster();
  const doc = JSON.stringify({ instanceId: 'i-0123456789abcdef0', availabilityZone: 'us-east-1c', instanceType: 't3.micro', imageId: 'ami-12345678' });
  const ci = await core.instances.register(scope, { cluster: name, totalResources: resources(1024, 512), instanceIdentityDocument: doc }, 0);
  assert.equal(ci.ec2InstanceId, 'i-0123456789abcdef0');
  const attr = (k: string) => ci.attributes!.find((a) => a.name === k)?.value;
  assert.equal(attr('ecs.availability-zone'), 'us-east-1c');
  assert.equal(attr('ecs.instance-type'), 't3.micro');
  assert.equal(attr('ecs.ami-id'), 'ami-12345678');
});

test('re-registering with the ARN (an agent restart) keeps the ARN, what live tasks hold and custom attributes', async () => {
  const name = await cluster();
  const arn = await addInstance(core, { cluster: name, cpu: 2048, memory: 1024 });
  await core.instances.putAttributes(scope, { cluster: name, attributes: [{ name: 'stack', value: 'prod', targetId: arn }] });
  const td = await registerTd(core, { family: 'rereg', containerDefinitions: [{ name: 'a', image: 'busybox', memory: 256, cpu: 128 }] });
  const run = await core.tasks.run(scope, { cluster: name, taskDefinition: td }, 2_000);
  assert.equal(run.tasks.length, 1);

  const again = await core.instances.register(
    scope,
    { cluster: name, containerInstanceArn: arn, totalResources: resources(2048, 2048), attributes: AGENT_ATTRIBUTES, versionInfo: { agentVersion: '0.2.0' } },
    3_000,
  );
  assert.equal(again.containerInstanceArn, arn);
  assert.equal(resource(again.registeredResources, 'MEMORY')!.integerValue, 2048);
  assert.equal(resource(again.remainingResources, 'MEMORY')!.integerValue, 2048 - 256);
  assert.equal(resource(again.remainingResources, 'CPU')!.integerValue, 2048 - 128);
  assert.equal(again.versionInfo!.agentVersion, '0.2.0');
  assert.ok(again.attributes!.some((a) => a.name === 'stack' && a.value === 'prod'));
  assert.equal(again.pendingTasksCount, 1);
  const list = await core.instances.list(scope, { cluster: name });
  assert.deepEqual(list.containerInstanceArns, [arn]);
});

test('the agent connection sets agentConnected and the instance health; each change bumps the version', async () => {
  const name = await cluster();
  const arn = await addInstance(core, { cluster: name, connected: false });
  const [before] = (await core.instances.describe(scope, { cluster: name, containerInstances: [arn], include: ['CONTAINER_INSTANCE_HEALTH'] })).containerInstances;
  assert.equal(before!.agentConnected, false);
  assert.equal(before!.healthStatus!.overallStatus, 'INSUFFICIENT_DATA');
  await core.instances.markConnected(arn, true, 10_000);
  await core.instances.markConnected(arn, true, 20_000); // a heartbeat: no state change
  const [on] = (await core.instances.describe(scope, { cluster: name, containerInstances: [arn], include: ['CONTAINER_INSTANCE_HEALTH'] })).containerInstances;
  assert.equal(on!.agentConnected, true);
  assert.equal(on!.version, before!.version! + 1);
  assert.equal(on!.healthStatus!.overallStatus, 'OK');
  assert.deepEqual(on!.healthStatus!.details![0]!.lastUpdated, new Date(20_000));
  assert.deepEqual(on!.healthStatus!.details![0]!.lastStatusChange, new Date(10_000));
  assert.equal(on!.healthStatus!.details![0]!.type, 'CONTAINER_RUNTIME');
  await core.instances.markConnected(arn, false, 30_000);
  const [off] = (await core.instances.describe(scope, { cluster: name, containerInstances: [arn] })).containerInstances;
  assert.equal(off!.agentConnected, false);
  assert.equal(off!.healthStatus, undefined);
  assert.deepEqual(await core.instances.instanceScope(arn), scope);
});

test('DescribeContainerInstances takes ids and ARNs, includes TAGS on request and reports MISSING', async () => {
  const name = await cluster();
  const ci = await core.instances.register(scope, { cluster: name, totalResources: resources(1024, 512), tags: [{ key: 'team', value: 'a' }] }, 0);
  const id = ci.containerInstanceArn!.split('/').at(-1)!;
  const missing = `arn:aws:ecs:us-east-1:000000000000:container-instance/${name}/${'0'.repeat(32)}`;
  const out = await core.instances.describe(scope, { cluster: name, containerInstances: [id, missing], include: ['TAGS'] });
  assert.equal(out.containerInstances.length, 1);
  assert.equal(out.containerInstances[0]!.containerInstanceArn, ci.containerInstanceArn);
  assert.deepEqual(out.containerInstances[0]!.tags, [{ key: 'team', value: 'a' }]);
  assert.deepEqual(out.failures, [{ arn: missing, reason: 'MISSING' }]);
  const plain = await core.instances.describe(scope, { cluster: name, containerInstances: [id] });
  assert.equal(plain.containerInstances[0]!.tags, undefined);
  // Another cluster's instance is not this cluster's.
  const other = await cluster();
  const elsewhere = await core.instances.describe(scope, { cluster: other, containerInstances: [ci.containerInstanceArn!] });
  assert.deepEqual(elsewhere.failures, [{ arn: ci.containerInstanceArn, reason: 'MISSING' }]);
});

test('ListContainerInstances filters by status and by query expressions, pages, and refuses a broken expression', async () => {
  const name = await cluster();
  const a = await addInstance(core, { cluster: name, attributes: [...AGENT_ATTRIBUTES.filter((x) => x.name !== 'ecs.availability-zone'), { name: 'ecs.availability-zone', value: 'us-east-1a' }] });
  const b = await addInstance(core, { cluster: name, attributes: [{ name: 'ecs.availability-zone', value: 'us-east-1b' }, { name: 'stack', value: 'prod' }] });
  const c = await addInstance(core, { cluster: name, attributes: [{ name: 'ecs.availability-zone', value: 'us-east-1b' }], connected: false });
  const all = [a, b, c].sort();
  assert.deepEqual((await core.instances.list(scope, { cluster: name })).containerInstanceArns, all);

  const page1 = await core.instances.list(scope, { cluster: name, maxResults: 2 });
  assert.equal(page1.containerInstanceArns.length, 2);
  const page2 = await core.instances.list(scope, { cluster: name, maxResults: 2, nextToken: page1.nextToken });
  assert.deepEqual([...page1.containerInstanceArns, ...page2.containerInstanceArns], all);
  assert.equal(page2.nextToken, undefined);

  const inB = await core.instances.list(scope, { cluster: name, filter: 'attribute:ecs.availability-zone == us-east-1b' });
  assert.deepEqual(inB.containerInstanceArns, [b, c].sort());
  const connectedInB = await core.instances.list(scope, { cluster: name, filter: "attribute:ecs.availability-zone == 'us-east-1b' and agentConnected == true" });
  assert.deepEqual(connectedInB.containerInstanceArns, [b]);
  assert.deepEqual((await core.instances.list(scope, { cluster: name, filter: 'attribute:stack exists' })).containerInstanceArns, [b]);
  assert.deepEqual((await core.instances.list(scope, { cluster: name, filter: 'runningTasksCount == 0 && attribute:stack !exists' })).containerInstanceArns, [a, c].sort());
  assert.deepEqual((await core.instances.list(scope, { cluster: name, filter: 'attribute:stack == prod or attribute:stack == dev' })).containerInstanceArns, [b]);
  assert.deepEqual((await core.instances.list(scope, { cluster: name, filter: 'attribute:ecs.instance-type =~ berth.*' })).containerInstanceArns, [a]);
  await rejectsWith(core.instances.list(scope, { cluster: name, filter: 'attribute:stack ==' }), 'InvalidParameterException', /needs a value/);

  await core.instances.updateState(scope, { cluster: name, containerInstances: [a], status: 'DRAINING' });
  assert.deepEqual((await core.instances.list(scope, { cluster: name, status: 'DRAINING' })).containerInstanceArns, [a]);
  assert.deepEqual((await core.instances.list(scope, { cluster: name, status: 'ACTIVE' })).containerInstanceArns, [b, c].sort());
});

test('UpdateContainerInstancesState drains and reactivates, with failures for unknown instances', async () => {
  const name = await cluster();
  const arn = await addInstance(core, { cluster: name });
  const missing = `arn:aws:ecs:us-east-1:000000000000:container-instance/${name}/${'f'.repeat(32)}`;
  const out = await core.instances.updateState(scope, { cluster: name, containerInstances: [arn, missing], status: 'DRAINING' });
  assert.equal(out.containerInstances[0]!.status, 'DRAINING');
  assert.deepEqual(out.failures, [{ arn: missing, reason: 'MISSING' }]);
  const back = await core.instances.updateState(scope, { cluster: name, containerInstances: [arn], status: 'ACTIVE' });
  assert.equal(back.containerInstances[0]!.status, 'ACTIVE');
  assert.ok(back.containerInstances[0]!.version! > out.containerInstances[0]!.version!);
  await rejectsWith(core.instances.updateState(scope, { cluster: name, containerInstances: [arn], status: 'INACTIVE' }), 'InvalidParameterException');
  // DRAINING instances count as registered.
  await core.instances.updateState(scope, { cluster: name, containerInstances: [arn], status: 'DRAINING' });
  assert.equal((await core.clusters.describe(scope, [name])).clusters[0]!.registeredContainerInstancesCount, 1);
});

test('UpdateContainerAgent answers as AWS does for an agent it cannot update', async () => {
  const name = await cluster();
  const arn = await addInstance(core, { cluster: name });
  await rejectsWith(core.instances.updateAgent(scope, { cluster: name, containerInstance: arn }), 'NoUpdateAvailableException', /There's no update available for this Amazon ECS container agent/);
  const bare = await core.instances.register(scope, { cluster: name, totalResources: resources(1024, 512) }, 0);
  await rejectsWith(core.instances.updateAgent(scope, { cluster: name, containerInstance: bare.containerInstanceArn }), 'MissingVersionException', /can't determine the current version/);
  await rejectsWith(core.instances.updateAgent(scope, { cluster: name, containerInstance: '0'.repeat(32) }), 'InvalidParameterException');
});

test('PutAttributes, ListAttributes and DeleteAttributes on container instances, with AWS limits and errors', async () => {
  const name = await cluster();
  const a = await addInstance(core, { cluster: name });
  const b = await addInstance(core, { cluster: name });
  const put = await core.instances.putAttributes(scope, {
    cluster: name,
    attributes: [
      { name: 'stack', value: 'prod', targetId: a },
      { name: 'stack', value: 'dev', targetId: b.split('/').at(-1), targetType: 'container-instance' },
      { name: 'gpu-ready', targetId: a },
    ],
  });
  assert.equal(put.attributes.length, 3);

  const stacks = await core.instances.listAttributes(scope, { cluster: name, targetType: 'container-instance', attributeName: 'stack' });
  assert.deepEqual(
    stacks.attributes.sort((x, y) => (x.targetId! < y.targetId! ? -1 : 1)),
    [
      { name: 'stack', value: a < b ? 'prod' : 'dev', targetId: a < b ? a : b },
      { name: 'stack', value: a < b ? 'dev' : 'prod', targetId: a < b ? b : a },
    ],
  );
  const prod = await core.instances.listAttributes(scope, { cluster: name, targetType: 'container-instance', attributeName: 'stack', attributeValue: 'prod' });
  assert.deepEqual(prod.attributes, [{ name: 'stack', value: 'prod', targetId: a }]);

  // Pages cover every attribute once.
  const seen: string[] = [];
  let token: string | undefined;
  do {
    const page = await core.instances.listAttributes(scope, { cluster: name, targetType: 'container-instance', maxResults: 3, nextToken: token });
    seen.push(...page.attributes.map((x) => `${x.targetId} ${x.name}`));
    token = page.nextToken;
  } while (token);
  const expected = (AGENT_ATTRIBUTES.length + 2) + (AGENT_ATTRIBUTES.length + 1);
  assert.equal(seen.length, expected);
  assert.equal(new Set(seen).size, expected);

  await rejectsWith(core.instances.putAttributes(scope, { cluster: name, attributes: [{ name: 'bad name!', targetId: a }] }), 'InvalidParameterException', /Attribute name/);
  await rejectsWith(core.instances.putAttributes(scope, { cluster: name, attributes: [{ name: 'ok', value: ' lead', targetId: a }] }), 'InvalidParameterException', /start or end with a space/);
  await rejectsWith(
    core.instances.putAttributes(scope, { cluster: name, attributes: [{ name: 'x', targetId: 'a'.repeat(32) }] }),
    'TargetNotFoundException',
    /The specified target wasn't found/,
  );
  const ten = Array.from({ length: 9 }, (_, i) => ({ name: `custom-${i}`, value: 'v', targetId: a }));
  await rejectsWith(core.instances.putAttributes(scope, { cluster: name, attributes: ten }), 'AttributeLimitExceededException', /up to 10 custom attributes/);
  // Nothing of the refused call was applied.
  const afterRefusal = await core.instances.listAttributes(scope, { cluster: name, targetType: 'container-instance', attributeName: 'custom-0' });
  assert.deepEqual(afterRefusal.attributes, []);

  await core.instances.deleteAttributes(scope, { cluster: name, attributes: [{ name: 'stack', targetId: a }] });
  const left = await core.instances.listAttributes(scope, { cluster: name, targetType: 'container-instance', attributeName: 'stack' });
  assert.deepEqual(left.attributes, [{ name: 'stack', value: 'dev', targetId: b }]);
  await rejectsWith(core.instances.deleteAttributes(scope, { cluster: name, attributes: [{ name: 'stack', targetId: 'b'.repeat(32) }] }), 'TargetNotFoundException');
});

test('DeregisterContainerInstance refuses while tasks run unless forced; forced, their desired status becomes STOPPED', async () => {
  const name = await cluster();
  const arn = await addInstance(core, { cluster: name });
  const td = await registerTd(core, { family: 'dereg', containerDefinitions: [{ name: 'a', image: 'busybox', memory: 64 }] });
  const run = await core.tasks.run(scope, { cluster: name, taskDefinition: td }, 1_000);
  const taskArn = run.tasks[0]!.taskArn!;

  await rejectsWith(core.instances.deregister(scope, { cluster: name, containerInstance: arn }, 2_000), 'InvalidParameterException', 'Found running tasks on the instance.');
  await rejectsWith(core.clusters.delete(scope, name), 'ClusterContainsContainerInstancesException');

  core.notifier.calls = [];
  const out = await core.instances.deregister(scope, { cluster: name, containerInstance: arn, force: true }, 3_000);
  assert.equal(out.status, 'INACTIVE');
  assert.equal(core.notifier.calls.length, 1);
  assert.equal(core.notifier.calls[0]!.instance, arn);
  assert.equal(core.notifier.calls[0]!.tasks[0]!.taskArn, taskArn);
  assert.equal(core.notifier.calls[0]!.tasks[0]!.desiredStatus, 'STOPPED');
  const [task] = (await core.tasks.describe(scope, { cluster: name, tasks: [taskArn] })).tasks;
  assert.equal(task!.desiredStatus, 'STOPPED');

  assert.deepEqual((await core.instances.list(scope, { cluster: name })).containerInstanceArns, []);
  const described = await core.instances.describe(scope, { cluster: name, containerInstances: [arn] });
  assert.equal(described.containerInstances[0]!.status, 'INACTIVE');
  assert.equal(await core.instances.instanceScope(arn), undefined);
  assert.equal((await core.clusters.describe(scope, [name])).clusters[0]!.registeredContainerInstancesCount, 0);
  // The task is still winding down on its host: the cluster is not empty yet.
  await rejectsWith(core.clusters.delete(scope, name), 'ClusterContainsTasksException');
  await core.tasks.submitTaskStateChange(scope, { cluster: name, task: taskArn, status: 'STOPPED' }, 4_000);
  assert.equal((await core.clusters.delete(scope, name)).status, 'INACTIVE');

  // An agent that comes back with a deregistered ARN is a new instance.
  const name2 = await cluster();
  const old = await addInstance(core, { cluster: name2 });
  await core.instances.deregister(scope, { cluster: name2, containerInstance: old }, 5_000);
  const fresh = await core.instances.register(scope, { cluster: name2, containerInstanceArn: old, totalResources: resources(1024, 512) }, 6_000);
  assert.notEqual(fresh.containerInstanceArn, old);
  assert.equal(fresh.status, 'ACTIVE');
});

test('markAllDisconnected clears connections the store remembers from before a restart', async () => {
  const name = await cluster();
  const arn = await addInstance(core, { cluster: name });
  await core.instances.markAllDisconnected(9_000);
  const [ci] = (await core.instances.describe(scope, { cluster: name, containerInstances: [arn] })).containerInstances;
  assert.equal(ci!.agentConnected, false);
});
