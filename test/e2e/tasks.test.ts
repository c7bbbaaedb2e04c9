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
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildTestImage, containersOfTask, removeAgentLeftovers, requireDocker, TEST_IMAGE } from '../support/docker.js';
import { aws, ecsClient, startBerth, waitForTask, type Berth } from './harness.js';

// Tasks that really run: berth up with its in-process agent on the local
// Docker engine, driven by the SDK and the AWS CLI.

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
  for (const arn of started) {
    const ids = containersOfTask(arn);
    if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  }
  await b?.stop();
  if (b) removeAgentLeftovers(join(b.dataDir, 'agent', 'tasks'));
});

async function register(family: string, def: Record<string, unknown>) {
  const r = await ecs.send(new RegisterTaskDefinitionCommand({ family, ...def } as never));
  return r.taskDefinition!.taskDefinitionArn!;
}

async function run(taskDefinition: string, extra: Record<string, unknown> = {}): Promise<Task> {
  const r = await ecs.send(new RunTaskCommand({ taskDefinition, ...extra }));
  assert.deepEqual(r.failures, [], JSON.stringify(r.failures));
  const task = r.tasks![0]!;
  started.push(task.taskArn!);
  return task;
}

const waitFor = (taskArn: string, status: string, timeoutMs?: number) => waitForTask(ecs, taskArn, status, { timeoutMs });

test('berth up registers the local host as a container instance of the default cluster', async (t) => {
  if (!requireDocker(t)) return;
  const list = await ecs.send(new ListContainerInstancesCommand({}));
  assert.equal(list.containerInstanceArns!.length, 1);
  const [ci] = (await ecs.send(new DescribeContainerInstancesCommand({ containerInstances: list.containerInstanceArns }))).containerInstances!;
  assert.equal(ci!.agentConnected, true);
  assert.equal(ci!.status, 'ACTIVE');
  const cpu = ci!.registeredResources!.find((r) => r.name === 'CPU')!;
  assert.ok(cpu.integerValue! >= 1024 && cpu.integerValue! % 1024 === 0);
  const names = ci!.attributes!.map((a) => a.name);
  for (const n of ['ecs.os-type', 'ecs.cpu-architecture', 'ecs.availability-zone', 'ecs.instance-type', 'ecs.capability.task-eni']) assert.ok(names.includes(n), n);
});

test('a busybox httpd in bridge mode with a dynamic host port runs and answers on 127.0.0.1', async (t) => {
  if (!requireDocker(t)) return;
  const td = await register('web', {
    containerDefinitions: [
      { name: 'web', image: TEST_IMAGE, memory: 32, essential: true, portMappings: [{ containerPort: 80 }], command: ['sh', '-c', 'echo hello-from-berth > /index.html && exec httpd -f -p 80 -h /'] },
    ],
  });
  const r = aws(b, ['ecs', 'run-task', '--task-definition', td]);
  assert.equal(r.status, 0, r.stderr);
  const taskArn = r.json.tasks[0].taskArn as string;
  started.push(taskArn);
  const wait = aws(b, ['ecs', 'wait', 'tasks-running', '--tasks', taskArn]);
  assert.equal(wait.status, 0, wait.stderr);
  const task = await waitFor(taskArn, 'RUNNING');
  const binding = task.containers![0]!.networkBindings![0]!;
  assert.equal(binding.bindIP, '127.0.0.1');
  assert.ok(binding.hostPort! >= 32768 && binding.hostPort! <= 61000, `hostPort ${binding.hostPort}`);
  const body = await (await fetch(`http://127.0.0.1:${binding.hostPort}/index.html`)).text();
  assert.equal(body.trim(), 'hello-from-berth');
  assert.ok(task.startedAt && task.createdAt && task.startedAt >= task.createdAt);
  // prefer-cached skips the pull of a cached image, and ECS then reports no pull times.
  assert.equal(task.pullStartedAt, undefined);
  const runtimeId = task.containers![0]!.runtimeId!;
  assert.ok(containersOfTask(taskArn).some((id) => runtimeId.startsWith(id)), `runtimeId ${runtimeId} is a container of the task`);

  const stop = aws(b, ['ecs', 'stop-task', '--task', taskArn, '--reason', 'done here']);
  assert.equal(stop.status, 0, stop.stderr);
  assert.equal(aws(b, ['ecs', 'wait', 'tasks-stopped', '--tasks', taskArn]).status, 0);
  const stopped = await waitFor(taskArn, 'STOPPED');
  assert.equal(stopped.stopCode, 'UserInitiated');
  assert.equal(stopped.stoppedReason, 'done here');
});

test("an essential container's exit stops the task with its exit code and EssentialContainerExited", async (t) => {
  if (!requireDocker(t)) return;
  const td = await register('exits', { containerDefinitions: [{ name: 'main', image: TEST_IMAGE, memory: 16, command: ['sh', '-c', 'exit 3'] }] });
  const task = await run(td);
  const stopped = await waitFor(task.taskArn!, 'STOPPED');
  assert.equal(stopped.stopCode, 'EssentialContainerExited');
  assert.equal(stopped.stoppedReason, 'Essential container in task exited');
  assert.equal(stopped.containers![0]!.exitCode, 3);
});

test('RunTask with more memory than any instance has returns failures and starts nothing', async (t) => {
  if (!requireDocker(t)) return;
  const td = await register('huge', { containerDefinitions: [{ name: 'main', image: TEST_IMAGE, memory: 10_000_000, command: ['true'] }] });
  const r = await ecs.send(new RunTaskCommand({ taskDefinition: td }));
  assert.deepEqual(r.tasks, []);
  assert.equal(r.failures!.length, 1);
  assert.equal(r.failures![0]!.reason, 'RESOURCE:MEMORY');
});

test('StopTask sends SIGTERM, then SIGKILL after stopTimeout', async (t) => {
  if (!requireDocker(t)) return;
  const td = await register('stubborn', {
    containerDefinitions: [{ name: 'main', image: TEST_IMAGE, memory: 16, stopTimeout: 2, command: ['sh', '-c', "trap 'echo got-term' TERM; while true; do sleep 1; done"] }],
  });
  const task = await run(td);
  await waitFor(task.taskArn!, 'RUNNING');
  const t0 = Date.now();
  await ecs.send(new StopTaskCommand({ task: task.taskArn! }));
  const stopped = await waitFor(task.taskArn!, 'STOPPED');
  const took = Date.now() - t0;
  assert.ok(took >= 1900, `stopped after ${took} ms, before the 2 s stopTimeout`);
  assert.equal(stopped.containers![0]!.exitCode, 137, 'killed by SIGKILL');
});

test('two awsvpc tasks both listening on port 80 each answer on their own address', async (t) => {
  if (!requireDocker(t)) return;
  const td = await register('vpc', {
    networkMode: 'awsvpc',
    containerDefinitions: [
      { name: 'web', image: TEST_IMAGE, memory: 16, portMappings: [{ containerPort: 80 }], command: ['sh', '-c', 'hostname -i > /dev/null; echo "$ECS_TASK_MARK" > /index.html; exec httpd -f -p 80 -h /'] },
    ],
  });
  const network = { awsvpcConfiguration: { subnets: ['subnet-berth'] } };
  const tasks = [];
  for (const mark of ['one', 'two']) {
    tasks.push(await run(td, { networkConfiguration: network, overrides: { containerOverrides: [{ name: 'web', environment: [{ name: 'ECS_TASK_MARK', value: mark }] }] } }));
  }
  const addresses: string[] = [];
  for (const [i, task] of tasks.entries()) {
    const running = await waitFor(task.taskArn!, 'RUNNING');
    const eni = running.attachments!.find((a) => a.type === 'ElasticNetworkInterface')!;
    const ip = eni.details!.find((d) => d.name === 'privateIPv4Address')!.value!;
    assert.match(ip, /^127\.\d+\.\d+\.\d+$/);
    assert.equal(running.containers![0]!.networkInterfaces![0]!.privateIpv4Address, ip);
    addresses.push(ip);
    const body = await (await fetch(`http://${ip}:80/index.html`)).text();
    assert.equal(body.trim(), i === 0 ? 'one' : 'two');
  }
  assert.notEqual(addresses[0], addresses[1]);
});

test('dependsOn: the app starts only after its sidecar COMPLETEs and its checker is HEALTHY', async (t) => {
  if (!requireDocker(t)) return;
  const td = await register('ordered', {
    volumes: [{ name: 'shared' }],
    containerDefinitions: [
      { name: 'init', image: TEST_IMAGE, memory: 16, essential: false, mountPoints: [{ sourceVolume: 'shared', containerPath: '/shared' }], command: ['sh', '-c', 'sleep 1; echo init-done > /shared/order'] },
      {
        name: 'checker',
        image: TEST_IMAGE,
        memory: 16,
        essential: false,
        command: ['sh', '-c', 'sleep 1; touch /tmp/ready; sleep 3600'],
        healthCheck: { command: ['CMD-SHELL', 'test -f /tmp/ready'], interval: 5, timeout: 2, retries: 3, startPeriod: 0 },
      },
      {
        name: 'app',
        image: TEST_IMAGE,
        memory: 16,
        mountPoints: [{ sourceVolume: 'shared', containerPath: '/shared' }],
        dependsOn: [
          { containerName: 'init', condition: 'COMPLETE' },
          { containerName: 'checker', condition: 'HEALTHY' },
        ],
        command: ['sh', '-c', 'cat /shared/order >> /shared/seen; sleep 3600'],
      },
    ],
  });
  const task = await run(td);
  const running = await waitFor(task.taskArn!, 'RUNNING', 90_000);
  const byName = Object.fromEntries(running.containers!.map((c) => [c.name, c]));
  assert.equal(byName.init!.lastStatus, 'STOPPED');
  assert.equal(byName.init!.exitCode, 0);
  assert.equal(byName.checker!.healthStatus, 'HEALTHY');
  // The app read what init wrote: it started after init completed.
  const appId = byName.app!.runtimeId!;
  const seen = spawnSync('docker', ['exec', appId, 'cat', '/shared/seen'], { encoding: 'utf8' });
  assert.equal(seen.stdout.trim(), 'init-done', seen.stderr);
  await ecs.send(new StopTaskCommand({ task: task.taskArn! }));
});

test('healthCheck: HEALTHY and UNHEALTHY show in the container and the task', async (t) => {
  if (!requireDocker(t)) return;
  const health = (cmd: string) => ({ command: ['CMD-SHELL', cmd], interval: 5, timeout: 2, retries: 1, startPeriod: 0 });
  const good = await run(await register('healthy', { containerDefinitions: [{ name: 'main', image: TEST_IMAGE, memory: 16, command: ['sleep', '3600'], healthCheck: health('true') }] }));
  const bad = await run(await register('unhealthy', { containerDefinitions: [{ name: 'main', image: TEST_IMAGE, memory: 16, command: ['sleep', '3600'], healthCheck: health('exit 1') }] }));
  const deadline = Date.now() + 60_000;
  let g: Task | undefined;
  let u: Task | undefined;
  while (Date.now() < deadline) {
    [g, u] = (await ecs.send(new DescribeTasksCommand({ tasks: [good.taskArn!, bad.taskArn!] }))).tasks!;
    // describe-tasks answers in the order asked for
    if (g!.taskArn !== good.taskArn) [g, u] = [u, g];
    if (g!.healthStatus === 'HEALTHY' && u!.healthStatus === 'UNHEALTHY') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(g!.containers![0]!.healthStatus, 'HEALTHY');
  assert.equal(g!.healthStatus, 'HEALTHY');
  assert.equal(u!.containers![0]!.healthStatus, 'UNHEALTHY');
  assert.equal(u!.healthStatus, 'UNHEALTHY');
  for (const task of [good, bad]) await ecs.send(new StopTaskCommand({ task: task.taskArn! }));
});
