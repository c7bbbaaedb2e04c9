import {
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
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildTestImage, containersOfTask, removeAgentLeftovers, requireDocker, TEST_IMAGE } from '../support/docker.js';
import { ecsClient, startBerth, type Berth } from './harness.js';

// The task metadata endpoint end to end: berth up with its in-process agent,
// tasks run with the SDK, and each container asks
// $ECS_CONTAINER_METADATA_URI_V4 from inside with busybox wget (127.0.0.1
// in its own network namespace) and keeps the answers in files, read here
// with `docker exec`.

let b: Berth;
let ecs: ECSClient;
const started: string[] = [];

before(async () => {
  if (!requireDocker()) return;
  buildTestImage();
  b = await startBerth({ localAgent: true });
  ecs = ecsClient(b);
});

after(async () => {
  if (ecs) for (const task of started) await ecs.send(new StopTaskCommand({ task })).catch(() => undefined);
  for (const arn of started) {
    const ids = containersOfTask(arn);
    if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  }
  await b?.stop();
  if (b) {
    removeAgentLeftovers(join(b.dataDir, 'agent', 'tasks'));
    rmSync(b.dataDir, { recursive: true, force: true });
  }
});

/** Asks `path` of the endpoint until it answers (a bridge container may start a moment before its responder), keeping the answer in `file`. */
const ask = (path: string, file: string) =>
  `for i in $(seq 100); do wget -qO ${file}.part "$ECS_CONTAINER_METADATA_URI_V4${path}" && mv ${file}.part ${file} && break; sleep 0.1; done;`;

const reader = {
  name: 'app',
  image: TEST_IMAGE,
  memory: 32,
  command: ['sh', '-c', `${ask('', '/tmp/container.json')} ${ask('/task', '/tmp/task.json')} ${ask('/stats', '/tmp/stats.json')} touch /tmp/done; exec sleep 3600`],
};

async function runTask(family: string, def: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Task> {
  const td = (await ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [reader], ...def } as never))).taskDefinition!;
  const r = await ecs.send(new RunTaskCommand({ taskDefinition: td.taskDefinitionArn!, ...extra }));
  assert.deepEqual(r.failures, [], JSON.stringify(r.failures));
  const task = r.tasks![0]!;
  started.push(task.taskArn!);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const t = (await ecs.send(new DescribeTasksCommand({ tasks: [task.taskArn!] }))).tasks![0]!;
    if (t.lastStatus === 'RUNNING') return t;
    if (t.lastStatus === 'STOPPED') assert.fail(`the task stopped: ${t.stoppedReason}`);
    await new Promise((res) => setTimeout(res, 250));
  }
  assert.fail('the task did not reach RUNNING');
}

/** What the container fetched from its endpoint. */
async function fetched(containerId: string): Promise<{ container: any; task: any; stats: any }> {
  for (let i = 0; i < 200 && spawnSync('docker', ['exec', containerId, 'test', '-f', '/tmp/done']).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  const json = (f: string) => {
    const r = spawnSync('docker', ['exec', containerId, 'cat', f], { encoding: 'utf8' });
    assert.equal(r.status, 0, `the container has no ${f}: it got no answer (${r.stderr})`);
    return JSON.parse(r.stdout);
  };
  return { container: json('/tmp/container.json'), task: json('/tmp/task.json'), stats: json('/tmp/stats.json') };
}

async function availabilityZone(): Promise<string | undefined> {
  const arns = (await ecs.send(new ListContainerInstancesCommand({}))).containerInstanceArns!;
  const [ci] = (await ecs.send(new DescribeContainerInstancesCommand({ containerInstances: arns }))).containerInstances!;
  return ci!.attributes!.find((a) => a.name === 'ecs.availability-zone')?.value;
}

function assertTask(got: { task: any }, task: Task, zone: string | undefined): void {
  assert.equal(got.task.TaskARN, task.taskArn);
  assert.equal(got.task.Cluster, 'default');
  assert.equal(got.task.Family, task.taskDefinitionArn!.split('/').pop()!.split(':')[0]);
  assert.equal(got.task.Revision, task.taskDefinitionArn!.split(':').pop());
  assert.equal(got.task.DesiredStatus, 'RUNNING');
  assert.equal(got.task.LaunchType, task.launchType);
  assert.equal(got.task.AvailabilityZone, zone);
}

test('bridge: a container reads its own, its task’s metadata and its Docker stats from inside', async (t) => {
  if (!requireDocker(t)) return;
  const task = await runTask('metadata-bridge', { networkMode: 'bridge' });
  const app = task.containers![0]!;
  const got = await fetched(app.runtimeId!);
  assertTask(got, task, await availabilityZone());
  assert.deepEqual(
    got.task.Containers.map((c: { Name: string; DockerId: string }) => [c.Name, c.DockerId]),
    [['app', app.runtimeId]],
  );
  assert.equal(got.container.DockerId, app.runtimeId);
  assert.equal(got.container.Name, 'app');
  assert.equal(got.container.Image, TEST_IMAGE);
  assert.equal(got.container.Labels['com.amazonaws.ecs.task-arn'], task.taskArn);
  assert.equal(got.container.Networks[0].NetworkMode, 'bridge');
  assert.ok(got.stats.read && got.stats.cpu_stats && got.stats.memory_stats, `not Docker stats: ${JSON.stringify(got.stats).slice(0, 200)}`);
});

test('awsvpc: the task’s containers ask the holder, on 127.0.0.1 of the task’s own namespace', async (t) => {
  if (!requireDocker(t)) return;
  const task = await runTask('metadata-awsvpc', { networkMode: 'awsvpc' }, { networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-berth'] } } });
  const app = task.containers![0]!;
  const address = app.networkInterfaces![0]!.privateIpv4Address!;
  const got = await fetched(app.runtimeId!);
  assertTask(got, task, await availabilityZone());
  assert.deepEqual(
    got.task.Containers.map((c: { Name: string; Type: string }) => [c.Name, c.Type]),
    [
      ['~internal~ecs~pause', 'CNI_PAUSE'],
      ['app', 'NORMAL'],
    ],
  );
  assert.equal(got.container.DockerId, app.runtimeId);
  assert.deepEqual(got.container.Networks[0].IPv4Addresses, [address]);
  assert.ok(got.stats.read && got.stats.cpu_stats, 'Docker stats');
  assert.ok(got.stats.networks, 'the task’s network is in the stats');
});
