import {
  CreateClusterCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ContainerInstance,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { buildTestImage, containersOfTask, requireDocker, TEST_IMAGE } from '../support/docker.js';
import { aws, ecsClient, startAgent, startBerth, type AgentProcess, type Berth } from './harness.js';

// Placement end to end: a berth control plane without a local agent and
// three real `berth agent` processes on this host's Docker, each its own
// container instance with its own Availability Zone, instance type and
// custom attribute, and only 128 MiB to give (8 tasks of 16 MiB).

const CLUSTER = 'placement';
const AGENTS = [
  { az: 'us-east-1a', type: 't3.small', stack: 'blue' },
  { az: 'us-east-1b', type: 'm5.large', stack: 'green' },
  { az: 'us-east-1c', type: 'c5.large', stack: 'green' },
];
const MEMORY = 128;
const TASK_MEMORY = 16;

let b: Berth;
let ecs: ECSClient;
const agents: AgentProcess[] = [];
/** Container instance ARN by Availability Zone. */
const instanceIn = new Map<string, string>();
const started: string[] = [];

before(async () => {
  if (!requireDocker()) return;
  buildTestImage();
  b = await startBerth();
  ecs = ecsClient(b);
  await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  agents.push(
    ...(await Promise.all(
      AGENTS.map((a) =>
        startAgent(b, {
          cluster: CLUSTER,
          args: ['--availability-zone', a.az, '--instance-type', a.type, '--attribute', `stack=${a.stack}`, '--cpu', '1024', '--memory', String(MEMORY), '--cleanup-delay', '1'],
        }),
      ),
    )),
  );
  for (const ci of await describeInstances()) instanceIn.set(attr(ci, 'ecs.availability-zone')!, ci.containerInstanceArn!);
  assert.equal(instanceIn.size, 3);
});

after(async () => {
  if (ecs) await stopAll().catch(() => undefined);
  for (const arn of started) {
    const ids = containersOfTask(arn);
    if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  }
  await Promise.all(agents.map((a) => a.stop()));
  for (const a of agents) rmSync(a.dataDir, { recursive: true, force: true });
  await b?.stop();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
});

const attr = (ci: ContainerInstance, name: string) => ci.attributes?.find((a) => a.name === name)?.value;

async function describeInstances(): Promise<ContainerInstance[]> {
  const arns = (await ecs.send(new ListContainerInstancesCommand({ cluster: CLUSTER }))).containerInstanceArns!;
  return (await ecs.send(new DescribeContainerInstancesCommand({ cluster: CLUSTER, containerInstances: arns }))).containerInstances!;
}

const remainingMemory = (ci: ContainerInstance) => ci.remainingResources!.find((r) => r.name === 'MEMORY')!.integerValue!;

async function register(family: string): Promise<string> {
  const r = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: [{ name: 'main', image: TEST_IMAGE, memory: TASK_MEMORY, command: ['sleep', '3600'], stopTimeout: 2 }],
    }),
  );
  return r.taskDefinition!.taskDefinitionArn!;
}

function track(tasks: Task[] | undefined): Task[] {
  for (const t of tasks ?? []) started.push(t.taskArn!);
  return tasks ?? [];
}

async function describe(arns: string[]): Promise<Task[]> {
  const out: Task[] = [];
  for (let i = 0; i < arns.length; i += 100) out.push(...(await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns.slice(i, i + 100) }))).tasks!);
  return out;
}

async function waitFor(arns: string[], status: string, timeoutMs = 90_000): Promise<Task[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = await describe(arns);
    if (tasks.every((t) => t.lastStatus === status)) return tasks;
    const early = tasks.find((t) => t.lastStatus === 'STOPPED' && status !== 'STOPPED');
    if (early) assert.fail(`task stopped instead of reaching ${status}: ${early.stoppedReason}`);
    if (Date.now() > deadline) assert.fail(`tasks did not reach ${status}: ${tasks.map((t) => t.lastStatus).join(', ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Stops every task this file started and waits until each instance has all its memory back. */
async function stopAll(): Promise<void> {
  const live = (await describe(started)).filter((t) => t.lastStatus !== 'STOPPED');
  await Promise.all(live.map((t) => ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: t.taskArn! }))));
  if (live.length) await waitFor(live.map((t) => t.taskArn!), 'STOPPED');
  const deadline = Date.now() + 30_000;
  while ((await describeInstances()).some((ci) => remainingMemory(ci) !== MEMORY)) {
    if (Date.now() > deadline) assert.fail('instances did not get their memory back');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const count = (tasks: Task[], key: (t: Task) => string | undefined) => {
  const m: Record<string, number> = {};
  for (const t of tasks) m[key(t)!] = (m[key(t)!] ?? 0) + 1;
  return m;
};

test('RunTask count 9 spread over Availability Zones gives 3/3/3, and list-container-instances --filter selects with the query language', async (t) => {
  if (!requireDocker(t)) return;
  const td = await register('spread-nine');
  const r = await ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: td, count: 9, placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }] }));
  const tasks = track(r.tasks);
  assert.deepEqual(r.failures, []);
  assert.deepEqual(count(tasks, (x) => x.availabilityZone), { 'us-east-1a': 3, 'us-east-1b': 3, 'us-east-1c': 3 });
  assert.deepEqual(Object.values(count(tasks, (x) => x.containerInstanceArn)), [3, 3, 3]);
  const running = await waitFor(tasks.map((x) => x.taskArn!), 'RUNNING');
  for (const task of running) assert.equal(containersOfTask(task.taskArn!).length, 1, 'one real container per task');

  const filter = (expression: string) => {
    const out = aws(b, ['ecs', 'list-container-instances', '--cluster', CLUSTER, '--filter', expression]);
    assert.equal(out.status, 0, out.stderr);
    return (out.json.containerInstanceArns as string[]).sort();
  };
  const [a, bb, c] = ['us-east-1a', 'us-east-1b', 'us-east-1c'].map((az) => instanceIn.get(az)!);
  assert.deepEqual(filter('attribute:ecs.availability-zone in [us-east-1a, us-east-1b] and runningTasksCount < 5'), [a, bb].sort());
  assert.deepEqual(filter('runningTasksCount == 3 and task:group == family:spread-nine'), [a, bb, c].sort());
  assert.deepEqual(filter('attribute:stack == green and not attribute:ecs.instance-type =~ m5.*'), [c]);
  const broken = aws(b, ['ecs', 'list-container-instances', '--cluster', CLUSTER, '--filter', 'runningTasksCount < ']);
  assert.notEqual(broken.status, 0);
  assert.match(broken.stderr, /InvalidParameterException.*not valid at its end: '<' needs a value/);
  await stopAll();
});

test('memberOf pins tasks to the matching instance (the issue example through the AWS CLI)', async (t) => {
  if (!requireDocker(t)) return;
  const td = await register('pinned');
  const r = aws(b, [
    'ecs',
    'run-task',
    '--cluster',
    CLUSTER,
    '--task-definition',
    td,
    '--count',
    '4',
    '--placement-strategy',
    'type=spread,field=attribute:ecs.availability-zone',
    'type=binpack,field=memory',
    '--placement-constraints',
    'type=memberOf,expression=attribute:ecs.instance-type =~ t3.*',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const tasks = track(r.json.tasks as Task[]);
  assert.deepEqual(r.json.failures, []);
  assert.equal(tasks.length, 4);
  for (const task of tasks) assert.equal(task.containerInstanceArn, instanceIn.get('us-east-1a'));

  const custom = await ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: td, count: 2, placementConstraints: [{ type: 'memberOf', expression: 'attribute:stack == green and attribute:ecs.availability-zone != us-east-1b' }] }));
  track(custom.tasks);
  assert.deepEqual(
    custom.tasks!.map((x) => x.containerInstanceArn),
    [instanceIn.get('us-east-1c'), instanceIn.get('us-east-1c')],
  );
  await waitFor([...tasks, ...custom.tasks!].map((x) => x.taskArn!), 'RUNNING');
  await stopAll();
});

test('distinctInstance with count 4 on 3 instances places 3, one on each, and reports the fourth as DistinctInstance', async (t) => {
  if (!requireDocker(t)) return;
  const td = await register('distinct');
  const r = await ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: td, count: 4, group: 'solo', placementConstraints: [{ type: 'distinctInstance' }] }));
  const tasks = track(r.tasks);
  assert.equal(tasks.length, 3);
  assert.equal(new Set(tasks.map((x) => x.containerInstanceArn)).size, 3);
  // berth reports, as for every task that does not fit, each instance's reason for refusing it.
  assert.ok(r.failures!.length >= 1);
  for (const f of r.failures!) {
    assert.equal(f.reason, 'DistinctInstance');
    assert.ok([...instanceIn.values()].includes(f.arn!));
  }
  await waitFor(tasks.map((x) => x.taskArn!), 'RUNNING');
  await stopAll();
});

test('16 concurrent RunTask calls never overcommit an instance', async (t) => {
  if (!requireDocker(t)) return;
  const td = await register('racers');
  const results = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      ecs.send(
        new RunTaskCommand({
          cluster: CLUSTER,
          taskDefinition: td,
          count: 2,
          placementStrategy: i % 2 ? [{ type: 'binpack', field: 'memory' }] : [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
        }),
      ),
    ),
  );
  const tasks = results.flatMap((r) => track(r.tasks));
  const capacity = (MEMORY / TASK_MEMORY) * 3;
  assert.equal(tasks.length, capacity, `32 asked for, ${capacity} fit`);
  for (const r of results) for (const f of r.failures ?? []) assert.equal(f.reason, 'RESOURCE:MEMORY');
  for (const n of Object.values(count(tasks, (x) => x.containerInstanceArn))) assert.equal(n, MEMORY / TASK_MEMORY);
  for (const ci of await describeInstances()) {
    assert.equal(remainingMemory(ci), 0);
    assert.ok(ci.runningTasksCount! + ci.pendingTasksCount! <= MEMORY / TASK_MEMORY);
  }
  const running = await waitFor(tasks.map((x) => x.taskArn!), 'RUNNING');
  const containers = running.flatMap((x) => containersOfTask(x.taskArn!));
  assert.equal(containers.length, capacity, 'exactly one real container per placed task');
  await stopAll();
});
