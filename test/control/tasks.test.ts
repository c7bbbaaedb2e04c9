import type { Task } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addInstance, openCore, registerTd, rejectsWith, resource, scope, type Core } from './fixture.js';

// Tasks through the control core: placement and its failures, the never-
// overcommit guarantee under concurrency, agents' reports applied
// monotonically, resources returned on STOPPED, StopTask, ListTasks, awsvpc
// addresses and the DescribeTasks shape.

let core: Core;
before(async () => {
  core = await openCore();
});
after(async () => {
  await core.close();
});

let n = 0;
async function cluster(): Promise<string> {
  const name = `tasks-${++n}`;
  await core.clusters.create(scope, { clusterName: name }, 0);
  return name;
}

async function remaining(name: string, arn: string) {
  const [ci] = (await core.instances.describe(scope, { cluster: name, containerInstances: [arn] })).containerInstances;
  return {
    cpu: resource(ci!.remainingResources, 'CPU')!.integerValue!,
    memory: resource(ci!.remainingResources, 'MEMORY')!.integerValue!,
    ports: resource(ci!.remainingResources, 'PORTS')!.stringSetValue!,
    running: ci!.runningTasksCount!,
    pending: ci!.pendingTasksCount!,
  };
}

async function describe(name: string, arn: string): Promise<Task> {
  const out = await core.tasks.describe(scope, { cluster: name, tasks: [arn], include: ['TAGS'] });
  assert.deepEqual(out.failures, []);
  return out.tasks[0]!;
}

test('RunTask places a task, reserves its resources and describes it in ECS shape', async () => {
  const name = await cluster();
  const instance = await addInstance(core, { cluster: name, cpu: 2048, memory: 1024 });
  const td = await registerTd(core, {
    family: 'web',
    containerDefinitions: [
      { name: 'app', image: 'busybox', cpu: 256, memory: 300, portMappings: [{ containerPort: 80, hostPort: 8080 }] },
      { name: 'side', image: 'busybox:1.36', memoryReservation: 100 },
    ],
  });
  core.notifier.calls = [];
  const out = await core.tasks.run(
    scope,
    {
      cluster: name,
      taskDefinition: 'web',
      startedBy: 'me',
      overrides: { containerOverrides: [{ name: 'side', command: ['sleep', '1'], environment: [{ name: 'A', value: '1' }] }] },
      tags: [{ key: 'k', value: 'v' }],
    },
    10_000,
  );
  assert.deepEqual(out.failures, []);
  const task = out.tasks[0]!;
  const id = task.taskArn!.split('/').at(-1)!;
  assert.match(task.taskArn!, new RegExp(`^arn:aws:ecs:us-east-1:000000000000:task/${name}/[0-9a-f]{32}$`));
  assert.equal(task.clusterArn, `arn:aws:ecs:us-east-1:000000000000:cluster/${name}`);
  assert.equal(task.containerInstanceArn, instance);
  assert.equal(task.taskDefinitionArn, td);
  assert.equal(task.lastStatus, 'PENDING');
  assert.equal(task.desiredStatus, 'RUNNING');
  assert.equal(task.launchType, 'EC2');
  assert.equal(task.group, 'family:web');
  assert.equal(task.startedBy, 'me');
  assert.equal(task.cpu, '256');
  assert.equal(task.memory, '400');
  assert.equal(task.version, 1);
  assert.equal(task.healthStatus, 'UNKNOWN');
  assert.equal(task.availabilityZone, 'us-east-1a');
  assert.deepEqual(task.attributes, [{ name: 'ecs.cpu-architecture', value: 'x86_64' }]);
  assert.deepEqual(task.createdAt, new Date(10_000));
  assert.deepEqual(task.attachments, []);
  assert.deepEqual(task.tags, [{ key: 'k', value: 'v' }]);
  assert.deepEqual(task.overrides, {
    containerOverrides: [{ name: 'app' }, { name: 'side', command: ['sleep', '1'], environment: [{ name: 'A', value: '1' }] }],
    inferenceAcceleratorOverrides: [],
  });
  assert.equal(task.containers!.length, 2);
  const [app, side] = task.containers!;
  assert.match(app!.containerArn!, new RegExp(`^arn:aws:ecs:us-east-1:000000000000:container/${name}/${id}/[0-9a-f-]{36}$`));
  assert.equal(app!.taskArn, task.taskArn);
  assert.equal(app!.name, 'app');
  assert.equal(app!.image, 'busybox');
  assert.equal(app!.lastStatus, 'PENDING');
  assert.equal(app!.cpu, '256');
  assert.equal(app!.memory, '300');
  assert.equal(app!.healthStatus, 'UNKNOWN');
  assert.deepEqual(app!.networkBindings, []);
  assert.deepEqual(app!.networkInterfaces, []);
  assert.equal(side!.memoryReservation, '100');
  assert.equal(side!.cpu, '0');

  const left = await remaining(name, instance);
  assert.equal(left.cpu, 2048 - 256);
  assert.equal(left.memory, 1024 - 400);
  assert.ok(left.ports.includes('8080'));
  assert.equal(left.pending, 1);

  assert.equal(core.notifier.calls.length, 1);
  const [a] = core.notifier.calls[0]!.tasks;
  assert.equal(core.notifier.calls[0]!.instance, instance);
  assert.equal(a!.taskArn, task.taskArn);
  assert.equal(a!.version, 1);
  assert.equal(a!.desiredStatus, 'RUNNING');
  assert.equal(a!.taskDefinition.taskDefinitionArn, td);
  assert.deepEqual(a!.overrides, task.overrides);
  assert.equal(a!.group, 'family:web');
  assert.equal(a!.startedBy, 'me');
  assert.equal(a!.cpu, undefined, 'the task definition has no task-level cpu');

  const described = await describe(name, task.taskArn!);
  assert.deepEqual(described, task);
  const clusters = await core.clusters.describe(scope, [name], ['STATISTICS']);
  assert.equal(clusters.clusters[0]!.pendingTasksCount, 1);
  assert.equal(clusters.clusters[0]!.statistics!.find((s) => s.name === 'pendingEC2TasksCount')!.value, '1');
});

test('RunTask reports RESOURCE:MEMORY, RESOURCE:CPU, RESOURCE:PORTS and AGENT per instance and starts nothing', async () => {
  const name = await cluster();
  const a = await addInstance(core, { cluster: name, cpu: 1024, memory: 512 });
  const b = await addInstance(core, { cluster: name, cpu: 512, memory: 2048 });
  const off = await addInstance(core, { cluster: name, cpu: 8192, memory: 8192, connected: false });
  const before = await remaining(name, a);

  await registerTd(core, { family: 'big-mem', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 4096 }] });
  const mem = await core.tasks.run(scope, { cluster: name, taskDefinition: 'big-mem' }, 0);
  assert.deepEqual(mem.tasks, []);
  assert.deepEqual(
    mem.failures.sort((x, y) => (x.arn! < y.arn! ? -1 : 1)),
    [
      { arn: a, reason: 'RESOURCE:MEMORY' },
      { arn: b, reason: 'RESOURCE:MEMORY' },
      { arn: off, reason: 'AGENT' },
    ].sort((x, y) => (x.arn < y.arn ? -1 : 1)),
  );

  await registerTd(core, { family: 'big-cpu', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64, cpu: 2048 }] });
  const cpu = await core.tasks.run(scope, { cluster: name, taskDefinition: 'big-cpu' }, 0);
  assert.deepEqual(cpu.tasks, []);
  assert.deepEqual(new Set(cpu.failures.map((f) => `${f.arn} ${f.reason}`)), new Set([`${a} RESOURCE:CPU`, `${b} RESOURCE:CPU`, `${off} AGENT`]));

  await registerTd(core, { family: 'ssh', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64, portMappings: [{ containerPort: 22, hostPort: 22 }] }] });
  const ports = await core.tasks.run(scope, { cluster: name, taskDefinition: 'ssh' }, 0);
  assert.deepEqual(ports.tasks, []);
  assert.deepEqual(new Set(ports.failures.map((f) => `${f.arn} ${f.reason}`)), new Set([`${a} RESOURCE:PORTS`, `${b} RESOURCE:PORTS`, `${off} AGENT`]));

  await registerTd(core, { family: 'dns', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64, portMappings: [{ containerPort: 53, hostPort: 5353, protocol: 'udp' }] }] });
  const first = await core.tasks.run(scope, { cluster: name, taskDefinition: 'dns', count: 3 }, 0);
  assert.equal(first.tasks.length, 2, 'one per connected instance: the UDP port is taken after that');
  assert.deepEqual(new Set(first.failures.map((f) => `${f.arn} ${f.reason}`)), new Set([`${a} RESOURCE:PORTS_UDP`, `${b} RESOURCE:PORTS_UDP`, `${off} AGENT`]));

  const list = await core.tasks.list(scope, { cluster: name, family: 'big-mem' });
  assert.deepEqual(list.taskArns, []);
  const afterAll = await remaining(name, a);
  assert.equal(afterAll.cpu, before.cpu);
  assert.equal(afterAll.memory, before.memory - 64);
});

test('RunTask in a cluster without container instances is refused as ECS refuses it', async () => {
  const name = await cluster();
  await registerTd(core, { family: 'lonely', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64 }] });
  await rejectsWith(core.tasks.run(scope, { cluster: name, taskDefinition: 'lonely' }, 0), 'InvalidParameterException', 'No Container Instances were found in your cluster.');
  await rejectsWith(core.tasks.run(scope, { cluster: name, taskDefinition: 'lonely', count: 11 }, 0), 'InvalidParameterException', /count/);
  await rejectsWith(core.tasks.run(scope, { cluster: name, taskDefinition: 'lonely', launchType: 'FARGATE' }, 0), 'InvalidParameterException');
  await rejectsWith(core.tasks.run(scope, { cluster: name, taskDefinition: 'lonely', placementStrategy: [{ type: 'binpack', field: 'disk' }] }, 0), 'InvalidParameterException', /binpack/);
  await rejectsWith(
    core.tasks.run(scope, { cluster: name, taskDefinition: 'lonely', overrides: { containerOverrides: [{ name: 'y' }] } }, 0),
    'InvalidParameterException',
    'Override for container named y is not a container in the TaskDefinition.',
  );
  await rejectsWith(core.tasks.run(scope, { cluster: name, taskDefinition: 'nope' }, 0), 'ClientException', 'Unable to describe task definition.');
  await rejectsWith(core.tasks.run(scope, { cluster: 'no-such-cluster', taskDefinition: 'lonely' }, 0), 'ClusterNotFoundException');
});

test('count places several tasks first-fit and reports failures for the rest', async () => {
  const name = await cluster();
  const a = await addInstance(core, { cluster: name, memory: 512 });
  const b = await addInstance(core, { cluster: name, memory: 256 });
  await registerTd(core, { family: 'two-fifty', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 250 }] });
  const out = await core.tasks.run(scope, { cluster: name, taskDefinition: 'two-fifty', count: 4 }, 0);
  assert.equal(out.tasks.length, 3);
  const on = (arn: string) => out.tasks.filter((t) => t.containerInstanceArn === arn).length;
  assert.equal(on(a) + on(b), 3);
  assert.deepEqual(new Set(out.failures.map((f) => f.reason)), new Set(['RESOURCE:MEMORY']));
  assert.ok((await remaining(name, a)).memory >= 0 && (await remaining(name, b)).memory >= 0);
});

test('16 concurrent RunTasks against one instance never overcommit it', async () => {
  const name = await cluster();
  const instance = await addInstance(core, { cluster: name, cpu: 4096, memory: 1000 });
  await registerTd(core, { family: 'racer', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 90, cpu: 10 }] });
  const results = await Promise.all(Array.from({ length: 16 }, () => core.tasks.run(scope, { cluster: name, taskDefinition: 'racer' }, 0)));
  const placed = results.flatMap((r) => r.tasks);
  assert.equal(placed.length, Math.floor(1000 / 90));
  assert.ok(placed.length * 90 <= 1000);
  assert.equal(results.filter((r) => r.failures.length).length, 16 - placed.length);
  for (const r of results) if (!r.tasks.length) assert.deepEqual(r.failures, [{ arn: instance, reason: 'RESOURCE:MEMORY' }]);
  const left = await remaining(name, instance);
  assert.equal(left.memory, 1000 - placed.length * 90);
  assert.equal(left.cpu, 4096 - placed.length * 10);
  assert.equal(left.pending, placed.length);
  const listed = await core.tasks.list(scope, { cluster: name, containerInstance: instance });
  assert.equal(listed.taskArns.length, placed.length);
  // count 10 in parallel too: never more than fits.
  const name2 = await cluster();
  const one = await addInstance(core, { cluster: name2, memory: 450 });
  const many = await Promise.all(Array.from({ length: 16 }, () => core.tasks.run(scope, { cluster: name2, taskDefinition: 'racer', count: 10 }, 0)));
  assert.equal(many.flatMap((r) => r.tasks).length, 5);
  assert.equal((await remaining(name2, one)).memory, 0);
});

test("an agent's reports move a task forward only, and STOPPED gives its resources back once", async () => {
  const name = await cluster();
  const instance = await addInstance(core, { cluster: name, memory: 1000 });
  await registerTd(core, {
    family: 'life',
    containerDefinitions: [{ name: 'main', image: 'busybox', memory: 200, portMappings: [{ containerPort: 80, hostPort: 8000 }] }],
  });
  const [task] = (await core.tasks.run(scope, { cluster: name, taskDefinition: 'life' }, 1_000)).tasks;
  const arn = task!.taskArn!;
  const change = (status: string, extra: Record<string, unknown> = {}, at = 0) =>
    core.tasks.submitTaskStateChange(scope, { cluster: name, task: arn, status, ...extra }, at);

  await change('PENDING', { pullStartedAt: new Date(2_000), containers: [{ containerName: 'main', status: 'PENDING' }] }, 2_000);
  await change('RUNNING', {
    pullStoppedAt: new Date(3_000),
    containers: [{ containerName: 'main', status: 'RUNNING', runtimeId: 'abc123', networkBindings: [{ bindIP: '127.0.0.1', containerPort: 80, hostPort: 8000, protocol: 'tcp' }], healthStatus: 'HEALTHY' }],
    healthStatus: 'HEALTHY',
  }, 4_000);
  let t = await describe(name, arn);
  assert.equal(t.lastStatus, 'RUNNING');
  assert.deepEqual(t.startedAt, new Date(4_000));
  assert.deepEqual(t.pullStartedAt, new Date(2_000));
  assert.deepEqual(t.pullStoppedAt, new Date(3_000));
  assert.equal(t.connectivity, 'CONNECTED');
  assert.deepEqual(t.connectivityAt, new Date(2_000));
  assert.equal(t.healthStatus, 'HEALTHY');
  assert.equal(t.containers![0]!.lastStatus, 'RUNNING');
  assert.equal(t.containers![0]!.runtimeId, 'abc123');
  assert.equal(t.containers![0]!.healthStatus, 'HEALTHY');
  assert.equal(t.containers![0]!.networkBindings![0]!.hostPort, 8000);
  const version = t.version!;
  assert.equal((await remaining(name, instance)).running, 1);
  assert.equal((await core.clusters.describe(scope, [name])).clusters[0]!.runningTasksCount, 1);

  // A stale report (late PENDING, repeated RUNNING) changes nothing.
  await change('PENDING', { containers: [{ containerName: 'main', status: 'PENDING' }] }, 5_000);
  await change('RUNNING', {}, 5_000);
  t = await describe(name, arn);
  assert.equal(t.lastStatus, 'RUNNING');
  assert.equal(t.containers![0]!.lastStatus, 'RUNNING');
  assert.equal(t.version, version);
  await rejectsWith(change('RUNNABLE'), 'InvalidParameterException');

  // The essential container exits: the agent says so and the task stops.
  await change('STOPPED', {
    stopCode: 'EssentialContainerExited',
    executionStoppedAt: new Date(6_000),
    containers: [{ containerName: 'main', status: 'STOPPED', exitCode: 3 }],
  }, 7_000);
  t = await describe(name, arn);
  assert.equal(t.lastStatus, 'STOPPED');
  assert.equal(t.desiredStatus, 'STOPPED');
  assert.equal(t.stopCode, 'EssentialContainerExited');
  assert.equal(t.stoppedReason, 'Essential container in task exited');
  assert.deepEqual(t.stoppedAt, new Date(7_000));
  assert.deepEqual(t.stoppingAt, new Date(7_000));
  assert.deepEqual(t.executionStoppedAt, new Date(6_000));
  assert.equal(t.containers![0]!.exitCode, 3);
  assert.equal(t.containers![0]!.lastStatus, 'STOPPED');
  let left = await remaining(name, instance);
  assert.equal(left.memory, 1000);
  assert.ok(!left.ports.includes('8000'));
  assert.ok(left.ports.includes('22'), "the host's own ports stay taken");

  // Repeated STOPPED reports return nothing twice; nothing moves a STOPPED task.
  await change('STOPPED', {}, 8_000);
  await change('RUNNING', { containers: [{ containerName: 'main', status: 'RUNNING' }] }, 8_000);
  await core.tasks.submitContainerStateChange(scope, { cluster: name, task: arn, containerName: 'main', status: 'RUNNING' }, 8_000);
  left = await remaining(name, instance);
  assert.equal(left.memory, 1000);
  t = await describe(name, arn);
  assert.equal(t.lastStatus, 'STOPPED');
  assert.deepEqual(t.stoppedAt, new Date(7_000));
  assert.deepEqual(await core.tasks.assignmentsFor(instance), []);

  await rejectsWith(core.tasks.submitTaskStateChange(scope, { cluster: name, task: 'f'.repeat(32), status: 'RUNNING' }, 0), 'InvalidParameterException', 'The referenced task was not found.');
});

test('SubmitContainerStateChange moves one container; a task that fails to start keeps no startedAt', async () => {
  const name = await cluster();
  await addInstance(core, { cluster: name });
  await registerTd(core, { family: 'pair', containerDefinitions: [{ name: 'a', image: 'busybox', memory: 64 }, { name: 'b', image: 'busybox', memory: 64, essential: false }] });
  const [task] = (await core.tasks.run(scope, { cluster: name, taskDefinition: 'pair' }, 0)).tasks;
  const arn = task!.taskArn!;
  await core.tasks.submitContainerStateChange(scope, { cluster: name, task: arn, containerName: 'b', status: 'RUNNING', runtimeId: 'b1' }, 10);
  let t = await describe(name, arn);
  assert.equal(t.containers![1]!.lastStatus, 'RUNNING');
  assert.equal(t.containers![0]!.lastStatus, 'PENDING');
  await core.tasks.submitTaskStateChange(scope, { cluster: name, task: arn, status: 'STOPPED', stopCode: 'TaskFailedToStart', reason: 'CannotPullContainerError: pull access denied' }, 20);
  t = await describe(name, arn);
  assert.equal(t.startedAt, undefined);
  assert.equal(t.stopCode, 'TaskFailedToStart');
  assert.equal(t.stoppedReason, 'CannotPullContainerError: pull access denied');
  assert.ok(t.containers!.every((c) => c.lastStatus === 'STOPPED'));
});

test('StopTask sets desired STOPPED with UserInitiated and the reason, tells the agent, and the agent finishes it', async () => {
  const name = await cluster();
  const instance = await addInstance(core, { cluster: name, memory: 512 });
  await registerTd(core, { family: 'stoppable', containerDefinitions: [{ name: 'main', image: 'busybox', memory: 128 }] });
  const [task] = (await core.tasks.run(scope, { cluster: name, taskDefinition: 'stoppable' }, 0)).tasks;
  const arn = task!.taskArn!;
  await core.tasks.submitTaskStateChange(scope, { cluster: name, task: arn, status: 'RUNNING' }, 100);
  core.notifier.calls = [];
  const stopped = await core.tasks.stop(scope, { cluster: name, task: arn.split('/').at(-1), reason: 'done here' }, 200);
  assert.equal(stopped.desiredStatus, 'STOPPED');
  assert.equal(stopped.lastStatus, 'RUNNING');
  assert.equal(stopped.stopCode, 'UserInitiated');
  assert.equal(stopped.stoppedReason, 'done here');
  assert.deepEqual(stopped.stoppingAt, new Date(200));
  assert.equal(core.notifier.calls.length, 1);
  const a = core.notifier.calls[0]!.tasks[0]!;
  assert.equal(a.desiredStatus, 'STOPPED');
  assert.equal(a.stopCode, 'UserInitiated');
  assert.equal(a.version, stopped.version);
  assert.ok(a.version > 1);
  // The full sync on connect carries the same desired state.
  assert.deepEqual(await core.tasks.assignmentsFor(instance), [a]);

  // StopTask again is harmless and tells nobody again.
  const again = await core.tasks.stop(scope, { cluster: name, task: arn, reason: 'other' }, 300);
  assert.equal(again.stoppedReason, 'done here');
  assert.equal(core.notifier.calls.length, 1);
  assert.deepEqual((await core.tasks.list(scope, { cluster: name })).taskArns, []);
  assert.deepEqual((await core.tasks.list(scope, { cluster: name, desiredStatus: 'STOPPED' })).taskArns, [arn]);

  // The agent reports the end; the user's stop code and reason stay.
  await core.tasks.submitTaskStateChange(scope, { cluster: name, task: arn, status: 'STOPPED', stopCode: 'EssentialContainerExited', containers: [{ containerName: 'main', status: 'STOPPED', exitCode: 137 }] }, 400);
  const t = await describe(name, arn);
  assert.equal(t.lastStatus, 'STOPPED');
  assert.equal(t.stopCode, 'UserInitiated');
  assert.equal(t.stoppedReason, 'done here');
  assert.equal((await remaining(name, instance)).memory, 512);

  const plain = (await core.tasks.run(scope, { cluster: name, taskDefinition: 'stoppable' }, 0)).tasks[0]!;
  assert.equal((await core.tasks.stop(scope, { cluster: name, task: plain.taskArn }, 500)).stoppedReason, 'Task stopped by user');
  await rejectsWith(core.tasks.stop(scope, { cluster: name, task: '0'.repeat(32) }, 0), 'InvalidParameterException', 'The referenced task was not found.');
});

test('ListTasks filters by container instance, family, startedBy, desired status and launch type, and pages', async () => {
  const name = await cluster();
  const a = await addInstance(core, { cluster: name, memory: 4096 });
  const b = await addInstance(core, { cluster: name, memory: 4096 });
  await registerTd(core, { family: 'lt-a', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64 }] });
  await registerTd(core, { family: 'lt-b', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64 }] });
  const onA = (await core.tasks.start(scope, { cluster: name, taskDefinition: 'lt-a', containerInstances: [a, a, a], startedBy: 'job-1' }, 0)).tasks;
  const onB = (await core.tasks.start(scope, { cluster: name, taskDefinition: 'lt-b', containerInstances: [b.split('/').at(-1)!, b] }, 0)).tasks;
  assert.equal(onA.length, 3);
  assert.equal(onB.length, 2);
  const arns = (ts: Task[]) => ts.map((t) => t.taskArn!).sort();

  assert.deepEqual((await core.tasks.list(scope, { cluster: name })).taskArns, arns([...onA, ...onB]));
  assert.deepEqual((await core.tasks.list(scope, { cluster: name, containerInstance: a })).taskArns, arns(onA));
  assert.deepEqual((await core.tasks.list(scope, { cluster: name, containerInstance: b.split('/').at(-1) })).taskArns, arns(onB));
  assert.deepEqual((await core.tasks.list(scope, { cluster: name, family: 'lt-b' })).taskArns, arns(onB));
  assert.deepEqual((await core.tasks.list(scope, { cluster: name, startedBy: 'job-1' })).taskArns, arns(onA));
  assert.deepEqual((await core.tasks.list(scope, { cluster: name, launchType: 'EC2', family: 'lt-a' })).taskArns, arns(onA));
  assert.deepEqual((await core.tasks.list(scope, { cluster: name, launchType: 'FARGATE' })).taskArns, []);
  assert.deepEqual((await core.tasks.list(scope, { cluster: name, serviceName: 'web' })).taskArns, []);
  assert.deepEqual((await core.tasks.list(scope, { cluster: name, desiredStatus: 'PENDING' })).taskArns, []);

  await core.tasks.stop(scope, { cluster: name, task: onA[0]!.taskArn }, 0);
  assert.deepEqual((await core.tasks.list(scope, { cluster: name, desiredStatus: 'STOPPED' })).taskArns, [onA[0]!.taskArn]);

  const all: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await core.tasks.list(scope, { cluster: name, maxResults: 2, nextToken: token });
    assert.ok(page.taskArns.length <= 2);
    all.push(...page.taskArns);
    token = page.nextToken;
    pages++;
  } while (token);
  assert.equal(pages, 2);
  assert.deepEqual(all, arns([...onA.slice(1), ...onB]));
  await rejectsWith(core.tasks.list(scope, { cluster: name, nextToken: 'garbage' }), 'InvalidParameterException');
  await rejectsWith(core.tasks.list(scope, { cluster: name, maxResults: 101 }), 'InvalidParameterException');
});

test('StartTask reports MISSING and INACTIVE instances and resource failures per instance', async () => {
  const name = await cluster();
  const small = await addInstance(core, { cluster: name, memory: 100 });
  const gone = await addInstance(core, { cluster: name });
  await core.instances.deregister(scope, { cluster: name, containerInstance: gone }, 0);
  await registerTd(core, { family: 'st', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64 }] });
  const missing = `arn:aws:ecs:us-east-1:000000000000:container-instance/${name}/${'1'.repeat(32)}`;
  const out = await core.tasks.start(scope, { cluster: name, taskDefinition: 'st', containerInstances: [small, small, gone, missing] }, 0);
  assert.equal(out.tasks.length, 1);
  assert.deepEqual(out.failures, [
    { arn: small, reason: 'RESOURCE:MEMORY' },
    { arn: gone, reason: 'INACTIVE' },
    { arn: missing, reason: 'MISSING' },
  ]);
  await rejectsWith(core.tasks.start(scope, { cluster: name, taskDefinition: 'st', containerInstances: Array(11).fill(small) }, 0), 'InvalidParameterException');
});

test('awsvpc tasks need a network configuration and get their own loopback address and ENI attachment', async () => {
  const name = await cluster();
  const instance = await addInstance(core, { cluster: name, memory: 4096 });
  await registerTd(core, {
    family: 'vpc',
    networkMode: 'awsvpc',
    containerDefinitions: [{ name: 'web', image: 'busybox', memory: 64, portMappings: [{ containerPort: 80 }] }],
  });
  await rejectsWith(core.tasks.run(scope, { cluster: name, taskDefinition: 'vpc' }, 0), 'InvalidParameterException', "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  await registerTd(core, { family: 'bridged', containerDefinitions: [{ name: 'web', image: 'busybox', memory: 64 }] });
  await rejectsWith(
    core.tasks.run(scope, { cluster: name, taskDefinition: 'bridged', networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } }, 0),
    'InvalidParameterException',
    'Network Configuration is not valid for the given networkMode of this task definition.',
  );
  const net = { awsvpcConfiguration: { subnets: ['subnet-berth'] } };
  const out = await core.tasks.run(scope, { cluster: name, taskDefinition: 'vpc', count: 3, networkConfiguration: net }, 0);
  assert.equal(out.tasks.length, 3, 'awsvpc tasks take no host port, so all three fit');
  const ips = out.tasks.map((t) => t.attachments![0]!.details!.find((d) => d.name === 'privateIPv4Address')!.value!);
  assert.equal(new Set(ips).size, 3);
  for (const ip of ips) assert.match(ip, /^127\.1\.\d+\.\d+$/);

  const t = out.tasks[0]!;
  assert.equal(t.lastStatus, 'PROVISIONING');
  const eni = t.attachments![0]!;
  assert.equal(eni.type, 'ElasticNetworkInterface');
  assert.equal(eni.status, 'PRECREATED');
  assert.match(eni.id!, /^[0-9a-f-]{36}$/);
  const detail = (k: string) => eni.details!.find((d) => d.name === k)?.value;
  assert.deepEqual(eni.details!.map((d) => d.name), ['subnetId', 'networkInterfaceId', 'macAddress', 'privateDnsName', 'privateIPv4Address']);
  assert.equal(detail('subnetId'), 'subnet-berth');
  assert.match(detail('networkInterfaceId')!, /^eni-[0-9a-f]{17}$/);
  assert.match(detail('macAddress')!, /^0a(:[0-9a-f]{2}){5}$/);
  assert.equal(detail('privateDnsName'), `ip-${ips[0]!.replace(/\./g, '-')}.ec2.internal`);
  assert.deepEqual(t.containers![0]!.networkInterfaces, [{ attachmentId: eni.id, privateIpv4Address: ips[0] }]);
  const [assignment] = (await core.tasks.assignmentsFor(instance)).filter((x) => x.taskArn === t.taskArn);
  assert.equal(assignment!.privateIPv4Address, ips[0]);
  assert.equal(assignment!.attachmentId, eni.id);

  // The agent attaches the interface, then runs the task.
  await core.tasks.submitAttachmentStateChanges(scope, { cluster: name, attachments: [{ attachmentArn: `arn:aws:ecs:us-east-1:000000000000:attachment/${eni.id}`, status: 'ATTACHED' }] }, 10);
  assert.equal((await describe(name, t.taskArn!)).attachments![0]!.status, 'ATTACHED');
  await core.tasks.submitAttachmentStateChanges(scope, { cluster: name, attachments: [{ attachmentArn: eni.id, status: 'ATTACHING' }] }, 11);
  assert.equal((await describe(name, t.taskArn!)).attachments![0]!.status, 'ATTACHED', 'attachments never go back either');
  await rejectsWith(core.tasks.submitAttachmentStateChanges(scope, { cluster: name, attachments: [{ attachmentArn: 'nope', status: 'ATTACHED' }] }, 0), 'InvalidParameterException');
  const second = out.tasks[1]!;
  await core.tasks.submitTaskStateChange(scope, { cluster: name, task: second.taskArn, status: 'RUNNING' }, 12);
  assert.equal((await describe(name, second.taskArn!)).attachments![0]!.status, 'ATTACHED', 'RUNNING means the interface is attached');

  // A STOPPED task's address goes back to the pool; live addresses stay unique.
  await core.tasks.submitTaskStateChange(scope, { cluster: name, task: t.taskArn, status: 'STOPPED' }, 20);
  assert.equal((await describe(name, t.taskArn!)).attachments![0]!.status, 'DELETED');
  const more = await core.tasks.run(scope, { cluster: name, taskDefinition: 'vpc', count: 2, networkConfiguration: net }, 30);
  const moreIps = more.tasks.map((x) => x.attachments![0]!.details!.find((d) => d.name === 'privateIPv4Address')!.value!);
  assert.ok(moreIps.includes(ips[0]!), 'the stopped task\'s address is reused');
  const live = [ips[1]!, ips[2]!, ...moreIps];
  assert.equal(new Set(live).size, live.length);

  // Across clusters too: addresses are unique over every live task in the store.
  const other = await cluster();
  await addInstance(core, { cluster: other });
  const elsewhere = await core.tasks.run(scope, { cluster: other, taskDefinition: 'vpc', networkConfiguration: net }, 40);
  const ip = elsewhere.tasks[0]!.attachments![0]!.details!.find((d) => d.name === 'privateIPv4Address')!.value!;
  assert.ok(!live.includes(ip));
});

test('DescribeTasks takes ids and ARNs, includes TAGS on request, reports MISSING; tags propagate from the task definition', async () => {
  const name = await cluster();
  await addInstance(core, { cluster: name });
  await core.taskDefinitions.register(scope, { family: 'tagged', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64 }], tags: [{ key: 'team', value: 'td' }, { key: 'env', value: 'td' }] }, 0);
  const [task] = (
    await core.tasks.run(scope, { cluster: name, taskDefinition: 'tagged', propagateTags: 'TASK_DEFINITION', tags: [{ key: 'env', value: 'run' }], enableECSManagedTags: true, group: 'batch' }, 0)
  ).tasks;
  const id = task!.taskArn!.split('/').at(-1)!;
  const missing = `arn:aws:ecs:us-east-1:000000000000:task/${name}/${'2'.repeat(32)}`;
  const out = await core.tasks.describe(scope, { cluster: name, tasks: [id, missing], include: ['TAGS'] });
  assert.equal(out.tasks[0]!.taskArn, task!.taskArn);
  assert.equal(out.tasks[0]!.group, 'batch');
  assert.deepEqual(
    out.tasks[0]!.tags!.sort((a, b) => a.key!.localeCompare(b.key!)),
    [
      { key: 'aws:ecs:clusterName', value: name },
      { key: 'env', value: 'run' },
      { key: 'team', value: 'td' },
    ],
  );
  assert.deepEqual(out.failures, [{ arn: missing, reason: 'MISSING' }]);
  const untagged = await core.tasks.describe(scope, { cluster: name, tasks: [id] });
  assert.equal(untagged.tasks[0]!.tags, undefined);
  assert.equal(await core.tasks.exists(scope, task!.taskArn!), true);
  assert.equal(await core.tasks.exists({ ...scope, region: 'eu-west-1' }, task!.taskArn!), false);
});

test('task-level cpu and memory, and their overrides, size the task and reach the agent', async () => {
  const name = await cluster();
  const instance = await addInstance(core, { cluster: name, cpu: 2048, memory: 2048 });
  await registerTd(core, { family: 'sized', cpu: '512', memory: '1024', containerDefinitions: [{ name: 'x', image: 'busybox' }] });
  const [t] = (await core.tasks.run(scope, { cluster: name, taskDefinition: 'sized', overrides: { cpu: '1 vCPU', memory: '1536', containerOverrides: [{ name: 'x', memoryReservation: 128 }] } }, 0)).tasks;
  assert.equal(t!.cpu, '1024');
  assert.equal(t!.memory, '1536');
  const left = await remaining(name, instance);
  assert.equal(left.cpu, 1024);
  assert.equal(left.memory, 512);
  const [a] = await core.tasks.assignmentsFor(instance);
  assert.equal(a!.cpu, '1024');
  assert.equal(a!.memory, '1536');
  assert.equal(a!.overrides.containerOverrides![0]!.memoryReservation, 128);
});

test('memberOf and distinctInstance placement constraints choose the instance; a broken expression is refused', async () => {
  const name = await cluster();
  const plain = await addInstance(core, { cluster: name });
  const gpu = await addInstance(core, { cluster: name, attributes: [{ name: 'ecs.availability-zone', value: 'us-east-1b' }, { name: 'kind', value: 'gpu' }] });
  await registerTd(core, { family: 'picky', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64 }] });
  const out = await core.tasks.run(scope, { cluster: name, taskDefinition: 'picky', count: 2, placementConstraints: [{ type: 'memberOf', expression: 'attribute:kind == gpu' }] }, 0);
  assert.deepEqual(out.tasks.map((t) => t.containerInstanceArn), [gpu, gpu]);
  assert.equal(out.tasks[0]!.availabilityZone, 'us-east-1b');
  const none = await core.tasks.run(scope, { cluster: name, taskDefinition: 'picky', placementConstraints: [{ type: 'memberOf', expression: 'attribute:kind == tpu' }] }, 0);
  assert.deepEqual(new Set(none.failures.map((f) => `${f.arn} ${f.reason}`)), new Set([`${plain} MemberOf`, `${gpu} MemberOf`]));
  const distinct = await core.tasks.run(scope, { cluster: name, taskDefinition: 'picky', group: 'solo', count: 3, placementConstraints: [{ type: 'distinctInstance' }] }, 0);
  assert.deepEqual(new Set(distinct.tasks.map((t) => t.containerInstanceArn)), new Set([plain, gpu]));
  assert.deepEqual(new Set(distinct.failures.map((f) => `${f.arn} ${f.reason}`)), new Set([`${plain} DistinctInstance`, `${gpu} DistinctInstance`]));
  await rejectsWith(
    core.tasks.run(scope, { cluster: name, taskDefinition: 'picky', placementConstraints: [{ type: 'memberOf', expression: 'attribute:kind in [gpu, tpu' }] }, 0),
    'InvalidParameterException',
    /never closed/,
  );
});

test('a task definition that requires FARGATE only, or is inactive, does not run on EC2', async () => {
  const name = await cluster();
  await addInstance(core, { cluster: name });
  await registerTd(core, { family: 'fg', requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512', containerDefinitions: [{ name: 'x', image: 'busybox' }] });
  await rejectsWith(core.tasks.run(scope, { cluster: name, taskDefinition: 'fg', networkConfiguration: { awsvpcConfiguration: { subnets: ['s'] } } }, 0), 'InvalidParameterException', 'Task definition does not support launch_type EC2.');
  const td = await registerTd(core, { family: 'old', containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64 }] });
  await core.taskDefinitions.deregister(scope, td, 0);
  await rejectsWith(core.tasks.run(scope, { cluster: name, taskDefinition: td }, 0), 'InvalidParameterException', 'TaskDefinition is inactive');
});
