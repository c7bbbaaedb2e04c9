import {
  CreateCapacityProviderCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildTestImage, removeAgentLeftovers, requireDocker, TEST_IMAGE } from '../support/docker.js';
import { aws, ecsClient, startBerth, type Berth } from './harness.js';

// EC2 capacity providers through the AWS CLI against a real berth, and their
// managed scaling on real containers: tasks that wait for capacity make
// berth's instance pool start container instances of the provider, which go
// away once idle.

const ACCOUNT = '000000000000';
const asgArn = (id: string, name: string) => `arn:aws:autoscaling:us-east-1:${ACCOUNT}:autoScalingGroup:${id}:autoScalingGroupName/${name}`;
const cpArn = (name: string) => `arn:aws:ecs:us-east-1:${ACCOUNT}:capacity-provider/${name}`;

let b: Berth;
let ecs: ECSClient;

const start = (dataDir?: string) =>
  startBerth({ dataDir, pool: { maxInstances: 2, instanceCpu: 1024, instanceMemory: 1024, scalingIntervalSeconds: 1 }, extraArgs: ['--image-pull-behavior', 'prefer-cached', '--cleanup-delay', '5'] });

before(async () => {
  b = await start();
  ecs = ecsClient(b);
});

after(async () => {
  ecs?.destroy();
  await b?.stop();
  if (!b) return;
  const pool = join(b.dataDir, 'pool');
  if (existsSync(pool)) {
    for (const provider of readdirSync(pool)) for (const n of readdirSync(join(pool, provider))) removeAgentLeftovers(join(pool, provider, n, 'tasks'));
  }
  rmSync(b.dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The CLI's error line for a failed call. */
function failed(r: ReturnType<typeof aws>, code: string, message: RegExp) {
  assert.notEqual(r.status, 0, `expected ${code}, got success: ${r.stdout}`);
  assert.match(r.stderr, new RegExp(`\\(${code}\\)`), r.stderr);
  assert.match(r.stderr, message, r.stderr);
}

test('create, describe, update, tag and delete a capacity provider with the AWS CLI', () => {
  const asg = asgArn('6f9f3a3e-1c59-4ab0-9a35-1d6a0c1e2b01', 'asg1');
  const created = aws(b, [
    'ecs',
    'create-capacity-provider',
    '--name',
    'cp-cli',
    '--auto-scaling-group-provider',
    `autoScalingGroupArn=${asg},managedScaling={status=ENABLED,targetCapacity=100,minimumScalingStepSize=1,maximumScalingStepSize=2,instanceWarmupPeriod=10},managedTerminationProtection=DISABLED`,
    '--tags',
    'key=team,value=infra',
  ]);
  assert.equal(created.status, 0, created.stderr);
  assert.deepEqual(created.json.capacityProvider, {
    capacityProviderArn: cpArn('cp-cli'),
    name: 'cp-cli',
    status: 'ACTIVE',
    autoScalingGroupProvider: {
      autoScalingGroupArn: asg,
      managedScaling: { status: 'ENABLED', targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 2, instanceWarmupPeriod: 10 },
      managedTerminationProtection: 'DISABLED',
      managedDraining: 'ENABLED',
    },
    tags: [{ key: 'team', value: 'infra' }],
    type: 'EC2_AUTOSCALING',
  });

  const described = aws(b, ['ecs', 'describe-capacity-providers', '--capacity-providers', 'cp-cli', 'FARGATE', 'nope', '--include', 'TAGS']);
  assert.equal(described.status, 0, described.stderr);
  assert.deepEqual(described.json.capacityProviders.map((c: { name: string }) => c.name), ['cp-cli', 'FARGATE']);
  assert.deepEqual(described.json.capacityProviders[0].tags, [{ key: 'team', value: 'infra' }]);
  assert.deepEqual(described.json.failures, [{ arn: cpArn('nope'), reason: 'MISSING' }]);
  const all = aws(b, ['ecs', 'describe-capacity-providers']);
  assert.ok(all.json.capacityProviders.some((c: { name: string }) => c.name === 'cp-cli'));
  assert.equal(all.json.capacityProviders.find((c: { name: string }) => c.name === 'cp-cli').tags, undefined, 'tags only with --include TAGS');

  const updated = aws(b, ['ecs', 'update-capacity-provider', '--name', 'cp-cli', '--auto-scaling-group-provider', 'managedScaling={targetCapacity=50},managedTerminationProtection=ENABLED,managedDraining=DISABLED']);
  assert.equal(updated.status, 0, updated.stderr);
  assert.equal(updated.json.capacityProvider.updateStatus, 'UPDATE_COMPLETE');
  assert.deepEqual(updated.json.capacityProvider.autoScalingGroupProvider, {
    autoScalingGroupArn: asg,
    managedScaling: { status: 'ENABLED', targetCapacity: 50, minimumScalingStepSize: 1, maximumScalingStepSize: 2, instanceWarmupPeriod: 10 },
    managedTerminationProtection: 'ENABLED',
    managedDraining: 'DISABLED',
  });

  assert.equal(aws(b, ['ecs', 'tag-resource', '--resource-arn', cpArn('cp-cli'), '--tags', 'key=env,value=test']).status, 0);
  assert.equal(aws(b, ['ecs', 'untag-resource', '--resource-arn', cpArn('cp-cli'), '--tag-keys', 'team']).status, 0);
  assert.deepEqual(aws(b, ['ecs', 'list-tags-for-resource', '--resource-arn', cpArn('cp-cli')]).json.tags, [{ key: 'env', value: 'test' }]);
  failed(aws(b, ['ecs', 'list-tags-for-resource', '--resource-arn', cpArn('nope')]), 'ResourceNotFoundException', /could not be found/);

  const deleted = aws(b, ['ecs', 'delete-capacity-provider', '--capacity-provider', 'cp-cli']);
  assert.equal(deleted.status, 0, deleted.stderr);
  assert.deepEqual([deleted.json.capacityProvider.status, deleted.json.capacityProvider.updateStatus], ['INACTIVE', 'DELETE_COMPLETE']);
  // Deleted, its Auto Scaling group can back a new provider.
  assert.equal(aws(b, ['ecs', 'create-capacity-provider', '--name', 'cp-cli-2', '--auto-scaling-group-provider', `autoScalingGroupArn=${asg}`]).status, 0);
});

test("ECS's errors: names, a name taken, an Auto Scaling group used twice, managedScaling out of range", async () => {
  const asg = asgArn('6f9f3a3e-1c59-4ab0-9a35-1d6a0c1e2b02', 'asg2');
  const create = (name: string, group = asg) => aws(b, ['ecs', 'create-capacity-provider', '--name', name, '--auto-scaling-group-provider', `autoScalingGroupArn=${group}`]);
  const invalidName = /The specified capacity provider name is invalid\. Up to 255 characters are allowed, including letters \(upper and lowercase\), numbers, underscores, and hyphens\. The name cannot be prefixed with "aws", "ecs", or "fargate"\. Specify a valid name and try again\./;
  for (const bad of ['awsome', 'ecs-prod', 'fargate_x', 'no spaces', 'x'.repeat(256)]) failed(create(bad), 'ClientException', invalidName);
  assert.equal(create('errs').status, 0);
  failed(create('errs', asgArn('6f9f3a3e-1c59-4ab0-9a35-1d6a0c1e2b03', 'asg3')), 'ClientException', /The specified capacity provider already exists\. To change the configuration of an existing capacity provider, update the capacity provider\./);
  failed(create('errs-2'), 'ClientException', /The specified Auto Scaling group ARN is already being used by another capacity provider\. Specify a unique Auto Scaling group ARN and try again\./);
  failed(aws(b, ['ecs', 'update-capacity-provider', '--name', 'nope', '--auto-scaling-group-provider', 'managedTerminationProtection=ENABLED']), 'ClientException', /does not exist/);
  // The CLI checks the model's ranges itself; the SDK sends them, and berth answers as ECS does.
  const ranged = (managedScaling: Record<string, number>) =>
    ecs.send(new CreateCapacityProviderCommand({ name: 'ranged', autoScalingGroupProvider: { autoScalingGroupArn: 'asg-ranged', managedScaling } }));
  for (const [ms, message] of [
    [{ targetCapacity: 0 }, /^The specified target capacity is invalid\.$/],
    [{ minimumScalingStepSize: 0 }, /^The specified minimum scaling step size is invalid\.$/],
    [{ maximumScalingStepSize: 10001 }, /^The specified maximum scaling step size is invalid\.$/],
    [{ minimumScalingStepSize: 3, maximumScalingStepSize: 2 }, /minimum scaling step size must be less than or equal to the maximum/],
    [{ instanceWarmupPeriod: 10001 }, /^The specified instance warmup period is invalid\.$/],
  ] as const) {
    await assert.rejects(ranged(ms), (e: Error) => {
      assert.equal(e.name, 'ClientException', e.message);
      assert.match(e.message, message);
      return true;
    });
  }
});

test('put-cluster-capacity-providers: unknown providers, one cluster per provider, DescribeClusters, delete while associated', () => {
  const asg = asgArn('6f9f3a3e-1c59-4ab0-9a35-1d6a0c1e2b04', 'asg4');
  assert.equal(aws(b, ['ecs', 'create-capacity-provider', '--name', 'cp-assoc', '--auto-scaling-group-provider', `autoScalingGroupArn=${asg}`]).status, 0);
  assert.equal(aws(b, ['ecs', 'create-cluster', '--cluster-name', 'assoc-a']).status, 0);
  assert.equal(aws(b, ['ecs', 'create-cluster', '--cluster-name', 'assoc-b']).status, 0);
  failed(
    aws(b, ['ecs', 'put-cluster-capacity-providers', '--cluster', 'assoc-a', '--capacity-providers', 'no-such-cp', '--default-capacity-provider-strategy', '[]']),
    'InvalidParameterException',
    /The specified capacity provider was not found\. Specify a valid capacity provider and try again\./,
  );
  const put = aws(b, ['ecs', 'put-cluster-capacity-providers', '--cluster', 'assoc-a', '--capacity-providers', 'cp-assoc', 'FARGATE', '--default-capacity-provider-strategy', 'capacityProvider=cp-assoc,weight=1']);
  assert.equal(put.status, 0, put.stderr);
  const cluster = aws(b, ['ecs', 'describe-clusters', '--clusters', 'assoc-a']).json.clusters[0];
  assert.deepEqual(cluster.capacityProviders, ['cp-assoc', 'FARGATE']);
  assert.deepEqual(cluster.defaultCapacityProviderStrategy, [{ capacityProvider: 'cp-assoc', weight: 1, base: 0 }]);
  failed(
    aws(b, ['ecs', 'put-cluster-capacity-providers', '--cluster', 'assoc-b', '--capacity-providers', 'cp-assoc', '--default-capacity-provider-strategy', '[]']),
    'InvalidParameterException',
    /already associated with the cluster 'assoc-a'/,
  );
  const refused = aws(b, ['ecs', 'delete-capacity-provider', '--capacity-provider', cpArn('cp-assoc')]).json.capacityProvider;
  assert.deepEqual([refused.status, refused.updateStatus, refused.updateStatusReason], [
    'ACTIVE',
    'DELETE_FAILED',
    'The capacity provider cannot be deleted because it is associated with cluster: assoc-a. Remove the capacity provider from the cluster and try again.',
  ]);
  assert.equal(aws(b, ['ecs', 'put-cluster-capacity-providers', '--cluster', 'assoc-a', '--capacity-providers', 'FARGATE', '--default-capacity-provider-strategy', '[]']).status, 0);
  assert.equal(aws(b, ['ecs', 'delete-capacity-provider', '--capacity-provider', 'cp-assoc']).json.capacityProvider.status, 'INACTIVE');
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms\n${b.output().slice(-4000)}`);
    await sleep(250);
  }
}

async function poolInstances(cluster: string) {
  const arns = (await ecs.send(new ListContainerInstancesCommand({ cluster }))).containerInstanceArns!;
  return arns.length ? (await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }))).containerInstances! : [];
}

test('managed scaling: tasks waiting for cp1 start pool instances, run there, and the idle instances go', async (t) => {
  if (!requireDocker(t)) return;
  buildTestImage();
  const cluster = 'scaled';
  const asg = asgArn('6f9f3a3e-1c59-4ab0-9a35-1d6a0c1e2b05', 'asg-scaled');
  assert.equal(
    aws(b, [
      'ecs',
      'create-capacity-provider',
      '--name',
      'cp1',
      '--auto-scaling-group-provider',
      `autoScalingGroupArn=${asg},managedScaling={status=ENABLED,targetCapacity=100,minimumScalingStepSize=1,maximumScalingStepSize=2,instanceWarmupPeriod=1},managedTerminationProtection=DISABLED`,
    ]).status,
    0,
  );
  assert.equal(aws(b, ['ecs', 'create-cluster', '--cluster-name', cluster]).status, 0);
  const put = aws(b, ['ecs', 'put-cluster-capacity-providers', '--cluster', cluster, '--capacity-providers', 'cp1', 'FARGATE', '--default-capacity-provider-strategy', 'capacityProvider=cp1,weight=1']);
  assert.equal(put.status, 0, put.stderr);
  const td = (
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'scaled',
        containerDefinitions: [
          { name: 'main', image: TEST_IMAGE, cpu: 512, memory: 64, stopTimeout: 2, command: ['sleep', '3600'], portMappings: [{ containerPort: 8080, hostPort: 0 }] },
        ],
      }),
    )
  ).taskDefinition!.taskDefinitionArn!;

  // Three tasks of 512 CPU units, instances of 1024: two instances (the pool's maximum).
  const run = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: td, count: 3, capacityProviderStrategy: [{ capacityProvider: 'cp1', weight: 1 }] }));
  assert.deepEqual(run.failures, []);
  const arns = run.tasks!.map((x) => x.taskArn!);
  assert.equal(arns.length, 3);
  for (const x of run.tasks!) {
    assert.equal(x.capacityProviderName, 'cp1');
    assert.equal(x.lastStatus, 'PROVISIONING', 'no instance yet: the task waits for capacity');
  }

  const instances = await until('two pool instances of cp1', async () => {
    const list = await poolInstances(cluster);
    return list.length === 2 && list.every((i) => i.agentConnected) ? list : undefined;
  });
  for (const i of instances) {
    assert.equal(i.capacityProviderName, 'cp1');
    assert.equal(i.attributes!.find((a) => a.name === 'ecs.instance-type')?.value, 'berth.pool');
    assert.equal(i.registeredResources!.find((r) => r.name === 'CPU')?.integerValue, 1024);
  }
  const running = await until('the three tasks RUNNING', async () => {
    const tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks!;
    return tasks.every((x) => x.lastStatus === 'RUNNING') ? tasks : undefined;
  });
  const on = new Set(running.map((x: Task) => x.containerInstanceArn));
  assert.equal(on.size, 2, 'spread over the two pool instances');
  // Each pool instance publishes on a loopback address of its own.
  const bindIps = new Map(running.map((x: Task) => [x.containerInstanceArn, x.containers![0]!.networkBindings![0]!.bindIP]));
  assert.equal(new Set(bindIps.values()).size, 2, JSON.stringify([...bindIps]));
  for (const ip of bindIps.values()) assert.match(ip!, /^127\.2\.\d+\.\d+$/);
  for (const arn of on) assert.ok(instances.some((i) => i.containerInstanceArn === arn));

  // berth restarts: the pool's instances come back (same ARNs) and their tasks keep running.
  ecs.destroy();
  await b.stop();
  b = await start(b.dataDir);
  ecs = ecsClient(b);
  const back = await until('the pool instances back and connected', async () => {
    const list = await poolInstances(cluster);
    return list.length === 2 && list.every((i) => i.agentConnected) ? list : undefined;
  });
  assert.deepEqual(back.map((i) => i.containerInstanceArn).sort(), instances.map((i) => i.containerInstanceArn).sort());
  const after = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks!;
  assert.deepEqual(after.map((x) => x.lastStatus), ['RUNNING', 'RUNNING', 'RUNNING']);

  // A provider that runs tasks cannot leave its cluster.
  failed(
    aws(b, ['ecs', 'put-cluster-capacity-providers', '--cluster', cluster, '--capacity-providers', 'FARGATE', '--default-capacity-provider-strategy', '[]']),
    'ResourceInUseException',
    /The specified capacity provider is in use and cannot be removed\./,
  );

  for (const arn of arns) await ecs.send(new StopTaskCommand({ cluster, task: arn, reason: 'test done' }));
  await until('the idle instances stopped and deregistered', async () => ((await poolInstances(cluster)).length === 0 ? true : undefined));
  const gone = (await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: instances.map((i) => i.containerInstanceArn!) }))).containerInstances!;
  assert.deepEqual(gone.map((i) => i.status), ['INACTIVE', 'INACTIVE'], 'deregistered');
  const described = aws(b, ['ecs', 'describe-capacity-providers', '--capacity-providers', 'cp1']).json.capacityProviders[0];
  assert.equal(described.status, 'ACTIVE');
});
