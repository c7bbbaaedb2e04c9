import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CapacityProviders, capacityProviderArn } from '../../src/control/capacity-providers.js';
import { AGENT_ATTRIBUTES, addInstance, openCore, rejectsWith, scope, type Core } from './fixture.js';

// EC2 capacity providers in the control core: ECS's checks and messages, the
// association with one cluster, DeleteCapacityProvider's DELETE_FAILED, and an
// instance that registers for its provider.

let core: Core;
let cps: CapacityProviders;
let asgN = 0;
const asg = () => `arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:0f6ed539-a758-4ae0-ac4c-12264a212da${asgN % 10}:autoScalingGroupName/asg-${++asgN}`;

before(async () => {
  core = await openCore();
  cps = new CapacityProviders(core.store);
});
after(() => core.close());

const create = (name: string, extra: Record<string, unknown> = {}, group = asg()) =>
  cps.create(scope, { name, autoScalingGroupProvider: { autoScalingGroupArn: group, ...extra } }, 1_000);

test('CreateCapacityProvider fills in ECS defaults and describes an EC2_AUTOSCALING provider', async () => {
  const group = asg();
  const cp = await create('defaults', {}, group);
  assert.deepEqual(cp, {
    capacityProviderArn: 'arn:aws:ecs:us-east-1:000000000000:capacity-provider/defaults',
    name: 'defaults',
    status: 'ACTIVE',
    autoScalingGroupProvider: {
      autoScalingGroupArn: group,
      managedScaling: { status: 'DISABLED', targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 10000, instanceWarmupPeriod: 300 },
      managedTerminationProtection: 'DISABLED',
      managedDraining: 'ENABLED',
    },
    tags: [],
    type: 'EC2_AUTOSCALING',
  });
  // A bare Auto Scaling group name is accepted, as ECS does.
  assert.equal((await create('by-name', {}, 'my-asg-by-name')).autoScalingGroupProvider!.autoScalingGroupArn, 'my-asg-by-name');
});

test('names follow ECS: 1-255 letters, digits, _ and -, not prefixed aws, ecs or fargate', async () => {
  const message = /^The specified capacity provider name is invalid\. Up to 255 characters are allowed, including letters \(upper and lowercase\), numbers, underscores, and hyphens\. The name cannot be prefixed with "aws", "ecs", or "fargate"\. Specify a valid name and try again\.$/;
  for (const bad of ['', 'x'.repeat(256), 'bad name', 'bad.name', 'aws-cp', 'ecs_cp', 'fargate2', 'FARGATE', 'Ecs1']) {
    await rejectsWith(create(bad), 'ClientException', message);
  }
  assert.equal((await create(`n${'x'.repeat(254)}`)).name!.length, 255);
  assert.equal((await create('my_cp-1')).name, 'my_cp-1');
});

test('a name is taken once; an Auto Scaling group backs one provider', async () => {
  const group = asg();
  await create('dup', {}, group);
  await rejectsWith(create('dup'), 'ClientException', 'The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.');
  await rejectsWith(
    create('dup2', {}, group),
    'ClientException',
    'The specified Auto Scaling group ARN is already being used by another capacity provider. Specify a unique Auto Scaling group ARN and try again.',
  );
  // Deleted, its group and its name are free again.
  const deleted = await cps.delete(scope, { capacityProvider: 'dup' });
  assert.deepEqual([deleted.status, deleted.updateStatus], ['INACTIVE', 'DELETE_COMPLETE']);
  assert.equal((await create('dup2', {}, group)).status, 'ACTIVE');
  assert.equal((await create('dup')).status, 'ACTIVE');
});

test('managedScaling ranges are checked with ECS messages', async () => {
  const bad = async (managedScaling: Record<string, unknown>, message: string) => rejectsWith(create('ranges', { managedScaling }), 'ClientException', message);
  await bad({ targetCapacity: 0 }, 'The specified target capacity is invalid.');
  await bad({ targetCapacity: 101 }, 'The specified target capacity is invalid.');
  await bad({ minimumScalingStepSize: 0 }, 'The specified minimum scaling step size is invalid.');
  await bad({ maximumScalingStepSize: 10001 }, 'The specified maximum scaling step size is invalid.');
  await bad(
    { minimumScalingStepSize: 5, maximumScalingStepSize: 4 },
    'The specified minimum scaling step size is invalid. The minimum scaling step size must be less than or equal to the maximum scaling step size.',
  );
  await bad({ instanceWarmupPeriod: -1 }, 'The specified instance warmup period is invalid.');
  await bad({ instanceWarmupPeriod: 10001 }, 'The specified instance warmup period is invalid.');
  const ok = await create('ranges', { managedScaling: { status: 'ENABLED', targetCapacity: 1, minimumScalingStepSize: 10000, maximumScalingStepSize: 10000, instanceWarmupPeriod: 0 } });
  assert.deepEqual(ok.autoScalingGroupProvider!.managedScaling, { status: 'ENABLED', targetCapacity: 1, minimumScalingStepSize: 10000, maximumScalingStepSize: 10000, instanceWarmupPeriod: 0 });
});

test('UpdateCapacityProvider changes what it is given; unknown and managed providers are refused', async () => {
  await create('upd', { managedScaling: { status: 'ENABLED', targetCapacity: 90 }, managedTerminationProtection: 'DISABLED' });
  const up = await cps.update(scope, { name: 'upd', autoScalingGroupProvider: { managedScaling: { maximumScalingStepSize: 3 }, managedTerminationProtection: 'ENABLED', managedDraining: 'DISABLED' } });
  assert.deepEqual(up.autoScalingGroupProvider!.managedScaling, { status: 'ENABLED', targetCapacity: 90, minimumScalingStepSize: 1, maximumScalingStepSize: 3, instanceWarmupPeriod: 300 });
  assert.deepEqual([up.autoScalingGroupProvider!.managedTerminationProtection, up.autoScalingGroupProvider!.managedDraining, up.updateStatus], ['ENABLED', 'DISABLED', 'UPDATE_COMPLETE']);
  await rejectsWith(cps.update(scope, { name: 'upd', autoScalingGroupProvider: { managedScaling: { minimumScalingStepSize: 4 } } }), 'ClientException', /minimum scaling step size is invalid/);
  await rejectsWith(cps.update(scope, { name: 'nope', autoScalingGroupProvider: {} }), 'ClientException', 'The specified capacity provider does not exist. Specify a valid name or ARN and try again.');
  await rejectsWith(cps.update(scope, { name: 'FARGATE', autoScalingGroupProvider: {} }), 'ClientException', /reserved/);
  await rejectsWith(cps.delete(scope, { capacityProvider: 'FARGATE_SPOT' }), 'ClientException', /reserved/);
  await rejectsWith(cps.create(scope, { name: 'mi', managedInstancesProvider: {} }, 0), 'UnsupportedFeatureException');
});

test('an EC2 provider joins one cluster; unknown ones are InvalidParameterException; deletion fails while associated', async () => {
  await create('cp-a');
  await core.clusters.create(scope, { clusterName: 'cpa' }, 0);
  await core.clusters.create(scope, { clusterName: 'cpb' }, 0);
  const put = await core.clusters.putCapacityProviders(scope, { cluster: 'cpa', capacityProviders: ['cp-a', 'FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'cp-a', weight: 1 }] });
  assert.deepEqual(put.capacityProviders, ['cp-a', 'FARGATE']);
  await rejectsWith(
    core.clusters.putCapacityProviders(scope, { cluster: 'cpb', capacityProviders: ['cp-a'], defaultCapacityProviderStrategy: [] }),
    'InvalidParameterException',
    /already associated with the cluster 'cpa'/,
  );
  await rejectsWith(
    core.clusters.create(scope, { clusterName: 'cpc', capacityProviders: ['cp-a'] }, 0),
    'InvalidParameterException',
    /already associated with the cluster 'cpa'/,
  );
  await rejectsWith(
    core.clusters.putCapacityProviders(scope, { cluster: 'cpb', capacityProviders: ['missing-cp'], defaultCapacityProviderStrategy: [] }),
    'InvalidParameterException',
    'The specified capacity provider was not found. Specify a valid capacity provider and try again.',
  );
  const failed = await cps.delete(scope, { capacityProvider: capacityProviderArn(scope, 'cp-a') });
  assert.deepEqual([failed.status, failed.updateStatus, failed.updateStatusReason], [
    'ACTIVE',
    'DELETE_FAILED',
    'The capacity provider cannot be deleted because it is associated with cluster: cpa. Remove the capacity provider from the cluster and try again.',
  ]);
  // Taken off the cluster, it can go to another, and be deleted.
  await core.clusters.putCapacityProviders(scope, { cluster: 'cpa', capacityProviders: [], defaultCapacityProviderStrategy: [] });
  await core.clusters.putCapacityProviders(scope, { cluster: 'cpb', capacityProviders: ['cp-a'], defaultCapacityProviderStrategy: [] });
  // Deleting a cluster frees its providers.
  await core.clusters.delete(scope, 'cpb');
  assert.deepEqual((await cps.delete(scope, { capacityProvider: 'cp-a' })).status, 'INACTIVE');
  await rejectsWith(
    core.clusters.putCapacityProviders(scope, { cluster: 'cpa', capacityProviders: ['cp-a'], defaultCapacityProviderStrategy: [] }),
    'InvalidParameterException',
    /was not found/,
  );
});

test('a provider a live task runs with, or a service strategy names, cannot leave its cluster', async () => {
  await create('cp-busy');
  const cluster = await core.clusters.create(scope, { clusterName: 'busy', capacityProviders: ['cp-busy'] }, 0);
  const row = {
    arn: 'arn:aws:ecs:us-east-1:000000000000:task/busy/0123456789abcdef0123456789abcdef',
    account_id: scope.accountId,
    region: scope.region,
    cluster_arn: cluster.clusterArn!,
    container_instance_arn: null,
    family: 'f',
    task_definition_arn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/f:1',
    started_by: null,
    group_name: 'family:f',
    service_name: null,
    desired_status: 'RUNNING',
    last_status: 'PROVISIONING',
    launch_type: 'EC2',
    private_ipv4_address: null,
    attachment_id: null,
    created_at: 0,
    version: 1,
    body: JSON.stringify({ capacityProviderName: 'cp-busy', reservation: { cpu: 256, memory: 256, ports: [], portsUdp: [] } }),
  };
  await core.store.db.insertInto('tasks').values(row).execute();
  await rejectsWith(
    core.clusters.putCapacityProviders(scope, { cluster: 'busy', capacityProviders: [], defaultCapacityProviderStrategy: [] }),
    'ResourceInUseException',
    'The specified capacity provider is in use and cannot be removed.',
  );
  await core.store.db.updateTable('tasks').set({ last_status: 'STOPPED', desired_status: 'STOPPED' }).where('arn', '=', row.arn).execute();
  const cleared = await core.clusters.putCapacityProviders(scope, { cluster: 'busy', capacityProviders: [], defaultCapacityProviderStrategy: [] });
  assert.deepEqual(cleared.capacityProviders, []);
});

test('DescribeCapacityProviders pages over the managed and the EC2 providers by name; tags with include TAGS', async () => {
  const other = { accountId: scope.accountId, region: 'eu-west-1' };
  await cps.create(other, { name: 'zz-page', autoScalingGroupProvider: { autoScalingGroupArn: asg() }, tags: [{ key: 'team', value: 'a' }] }, 0);
  await cps.create(other, { name: 'aa-page', autoScalingGroupProvider: { autoScalingGroupArn: asg() } }, 0);
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await cps.describe(other, { maxResults: 2, nextToken });
    names.push(...page.capacityProviders.map((c) => c.name!));
    assert.ok(page.capacityProviders.every((c) => c.tags === undefined || c.name!.startsWith('FARGATE')), 'no tags unless asked');
    nextToken = page.nextToken;
  } while (nextToken);
  assert.deepEqual(names, ['FARGATE', 'FARGATE_SPOT', 'aa-page', 'zz-page']);
  const named = await cps.describe(other, { capacityProviders: ['zz-page', `arn:aws:ecs:eu-west-1:000000000000:capacity-provider/FARGATE`, 'nope'], include: ['TAGS'] });
  assert.deepEqual(named.capacityProviders.map((c) => [c.name, c.tags]), [['zz-page', [{ key: 'team', value: 'a' }]], ['FARGATE', []]]);
  assert.deepEqual(named.failures, [{ arn: 'arn:aws:ecs:eu-west-1:000000000000:capacity-provider/nope', reason: 'MISSING' }]);
  // Another region's providers are not this one's.
  assert.equal((await cps.describe(scope, { capacityProviders: ['zz-page'] })).failures.length, 1);
});

test("an instance registering with the provider's attribute has its capacityProviderName, when the provider is the cluster's", async () => {
  await create('cp-inst');
  await core.clusters.create(scope, { clusterName: 'inst', capacityProviders: ['cp-inst'] }, 0);
  await core.clusters.create(scope, { clusterName: 'inst2' }, 0);
  const attributes = [...AGENT_ATTRIBUTES, { name: 'berth.capacity-provider', value: 'cp-inst' }];
  const arn = await addInstance(core, { cluster: 'inst', attributes });
  const [ci] = (await core.instances.describe(scope, { cluster: 'inst', containerInstances: [arn] })).containerInstances;
  assert.equal(ci!.capacityProviderName, 'cp-inst');
  const elsewhere = await addInstance(core, { cluster: 'inst2', attributes });
  const [other] = (await core.instances.describe(scope, { cluster: 'inst2', containerInstances: [elsewhere] })).containerInstances;
  assert.equal(other!.capacityProviderName, undefined);
});
