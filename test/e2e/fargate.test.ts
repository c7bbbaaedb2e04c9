import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildTestImage, containersOfTask, removeAgentLeftovers, requireDocker, TEST_IMAGE } from '../support/docker.js';
import { targetCounts } from '../../src/control/placement/capacity-provider-strategy.js';
import { aws, ecsClient, startAgent, startBerth, waitForTask, type AgentProcess, type Berth } from './harness.js';

// FARGATE with the AWS CLI and real Docker: `berth up` runs the managed
// Fargate capacity on the local engine; tasks get their own address and the
// task size as hard limits; services split by capacity provider strategy;
// Spot interruptions are replaced.

let b: Berth;
let ecs: ECSClient;
const agents: AgentProcess[] = [];
const berthBin = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const network = 'awsvpcConfiguration={subnets=[subnet-berth]}';

before(async () => {
  if (!requireDocker()) return;
  buildTestImage();
  b = await startBerth({ localAgent: true });
  ecs = ecsClient(b);
});

after(async () => {
  if (b) {
    for (const cluster of ['default', 'spot']) {
      const arns = aws(b, ['ecs', 'list-tasks', '--cluster', cluster]).json?.taskArns ?? [];
      for (const arn of arns as string[]) {
        const ids = containersOfTask(arn);
        if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
      }
    }
  }
  for (const a of agents) await a.stop();
  await b?.stop();
  if (b) {
    removeAgentLeftovers(join(b.dataDir, 'agent', 'tasks'));
    removeAgentLeftovers(join(b.dataDir, 'fargate-agent', 'tasks'));
  }
  for (const a of agents) removeAgentLeftovers(join(a.dataDir, 'tasks'));
});

function ok(args: string[]) {
  const r = aws(b, args);
  assert.equal(r.status, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  return r.json;
}

function registerFargate(family: string, cpu: string, memory: string, command = ['sleep', '3600']): string {
  const containers = JSON.stringify([{ name: 'app', image: TEST_IMAGE, command }]);
  return ok(['ecs', 'register-task-definition', '--family', family, '--requires-compatibilities', 'FARGATE', '--network-mode', 'awsvpc', '--cpu', cpu, '--memory', memory, '--container-definitions', containers])
    .taskDefinition.taskDefinitionArn;
}

/** The cgroup limits a container runs with: CPU quota/period (µs) and the memory limit (bytes), v1 or v2. */
function cgroupLimits(containerId: string): { quota: number; period: number; memory: number } {
  const script = 'if [ -f /sys/fs/cgroup/cpu.max ]; then cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/memory.max; else echo $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us); cat /sys/fs/cgroup/memory/memory.limit_in_bytes; fi';
  const r = spawnSync('docker', ['exec', containerId, 'sh', '-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [cpuLine, memLine] = r.stdout.trim().split('\n');
  const [quota, period] = cpuLine!.split(/\s+/).map(Number);
  return { quota: quota!, period: period!, memory: Number(memLine) };
}

async function describe(cluster: string, arns: string[]): Promise<Task[]> {
  const out: Task[] = [];
  for (let i = 0; i < arns.length; i += 100) out.push(...(await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }))).tasks!);
  return out;
}

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 500));
    last = await read();
  }
  return last;
}

test('FARGATE tasks of 256/512 and 1024/2048 run with those limits, their own address and no container instance', async (t) => {
  if (!requireDocker(t)) return;
  const sizes: [string, string, number, number][] = [
    ['256', '512', 25_000, 512 * 1024 * 1024],
    ['1024', '2048', 100_000, 2048 * 1024 * 1024],
  ];
  const addresses = new Set<string>();
  for (const [cpu, memory, quota, bytes] of sizes) {
    registerFargate(`fg-${cpu}`, cpu, memory);
    const run = ok(['ecs', 'run-task', '--launch-type', 'FARGATE', '--network-configuration', network, '--task-definition', `fg-${cpu}`]);
    assert.deepEqual(run.failures, []);
    const task = await waitForTask(ecs, run.tasks[0].taskArn, 'RUNNING', { timeoutMs: 90_000 });
    assert.equal(task.launchType, 'FARGATE');
    assert.equal(task.platformVersion, '1.4.0');
    assert.equal(task.platformFamily, 'Linux');
    assert.equal(task.containerInstanceArn, undefined, 'a Fargate task shows no container instance');
    assert.equal(task.cpu, cpu);
    assert.equal(task.memory, memory);
    assert.equal(task.ephemeralStorage?.sizeInGiB, 20);
    assert.match(task.availabilityZone ?? '', /^us-east-1[a-z]$/);
    const eni = task.attachments!.find((a) => a.type === 'ElasticNetworkInterface')!;
    assert.equal(eni.status, 'ATTACHED');
    const ip = eni.details!.find((d) => d.name === 'privateIPv4Address')!.value!;
    assert.match(ip, /^127\.\d+\.\d+\.\d+$/);
    addresses.add(ip);
    const limits = cgroupLimits(task.containers![0]!.runtimeId!);
    assert.equal(limits.quota / limits.period, quota / 100_000, `cpu quota ${limits.quota}/${limits.period}`);
    assert.equal(limits.memory, bytes);
  }
  assert.equal(addresses.size, 2, 'each task has its own address');
  // The Fargate capacity is no container instance of the cluster: only the local EC2 instance is listed.
  const listed = ok(['ecs', 'list-container-instances']).containerInstanceArns as string[];
  assert.equal(listed.length, 1);
  assert.doesNotMatch(listed[0]!, /fargate/);
});

test('RunTask with FARGATE refuses what Fargate cannot run, with ECS messages', async (t) => {
  if (!requireDocker(t)) return;
  registerFargate('fg-bad', '256', '512');
  const ec2Only = ok([
    'ecs', 'register-task-definition', '--family', 'ec2-only', '--requires-compatibilities', 'EC2', '--container-definitions', JSON.stringify([{ name: 'app', image: TEST_IMAGE, memory: 16 }]),
  ]).taskDefinition.taskDefinitionArn;
  const cases: [string[], string][] = [
    [['--task-definition', ec2Only, '--network-configuration', network], 'Task definition does not support launch_type FARGATE.'],
    [['--task-definition', 'fg-bad'], "Network Configuration must be provided when networkMode 'awsvpc' is specified."],
    [['--task-definition', 'fg-bad', '--network-configuration', network, '--overrides', '{"cpu":"256","memory":"4096"}'], 'No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values.'],
    [['--task-definition', 'fg-bad', '--network-configuration', network, '--platform-version', '1.3.0'], 'The specified platform does not exist.'],
    [['--task-definition', 'fg-bad', '--network-configuration', network, '--placement-constraints', 'type=distinctInstance'], 'Placement constraints are not supported with FARGATE launch type.'],
  ];
  for (const [args, message] of cases) {
    const r = aws(b, ['ecs', 'run-task', '--launch-type', 'FARGATE', ...args]);
    assert.notEqual(r.status, 0, `accepted: ${args.join(' ')}`);
    assert.ok(r.stderr.includes(message), `${args.join(' ')}\nexpected: ${message}\ngot: ${r.stderr}`);
  }
  const both = aws(b, ['ecs', 'run-task', '--launch-type', 'FARGATE', '--capacity-provider-strategy', 'capacityProvider=FARGATE,weight=1', '--task-definition', 'fg-bad', '--network-configuration', network]);
  assert.match(both.stderr, /Specifying both a launch type and capacity provider strategy is not supported\./);
  // The default cluster has no capacity providers: a strategy naming FARGATE is refused.
  const notAssociated = aws(b, ['ecs', 'run-task', '--capacity-provider-strategy', 'capacityProvider=FARGATE,weight=1', '--task-definition', 'fg-bad', '--network-configuration', network]);
  assert.match(notAssociated.stderr, /cannot contain a capacity provider that is not associated with the cluster/);
});

test('a service with FARGATE base=2 weight=1 and FARGATE_SPOT weight=3 at 10 tasks runs 4 + 6; a 50% Spot interruption is replaced', async (t) => {
  if (!requireDocker(t)) return;
  registerFargate('fg-svc', '256', '512');
  ok(['ecs', 'create-cluster', '--cluster-name', 'spot', '--capacity-providers', 'FARGATE', 'FARGATE_SPOT']);
  const svc = ok([
    'ecs', 'create-service', '--cluster', 'spot', '--service-name', 'web', '--task-definition', 'fg-svc', '--desired-count', '10', '--network-configuration', network,
    '--capacity-provider-strategy', 'capacityProvider=FARGATE,base=2,weight=1', 'capacityProvider=FARGATE_SPOT,weight=3',
  ]).service;
  assert.deepEqual(svc.capacityProviderStrategy, [
    { capacityProvider: 'FARGATE', base: 2, weight: 1 },
    { capacityProvider: 'FARGATE_SPOT', base: 0, weight: 3 },
  ]);
  assert.equal(svc.launchType, undefined);
  assert.equal(svc.platformVersion, 'LATEST');
  const live = async () => describe('spot', (await ecs.send(new ListTasksCommand({ cluster: 'spot', desiredStatus: 'RUNNING' }))).taskArns!);
  const byProvider = (tasks: Task[]) => {
    const out: Record<string, number> = {};
    for (const task of tasks) if (task.lastStatus === 'RUNNING') out[task.capacityProviderName!] = (out[task.capacityProviderName!] ?? 0) + 1;
    return out;
  };
  const running = await until('10 running tasks', live, (ts) => ts.length === 10 && ts.every((x) => x.lastStatus === 'RUNNING'), 120_000);
  assert.deepEqual(byProvider(running), { FARGATE: 4, FARGATE_SPOT: 6 });

  const r = spawnSync(process.execPath, [berthBin, 'fargate', 'interrupt', '--data-dir', b.dataDir, '--cluster', 'spot', '--percent', '50'], { encoding: 'utf8', env: b.env });
  assert.equal(r.status, 0, r.stderr);
  const interrupted = (await ecs.send(new ListTasksCommand({ cluster: 'spot', desiredStatus: 'STOPPED' }))).taskArns!;
  assert.equal(interrupted.length, 3);
  for (const task of await describe('spot', interrupted)) {
    assert.equal(task.capacityProviderName, 'FARGATE_SPOT');
    assert.equal(task.stopCode, 'SpotInterruption');
    assert.equal(task.stoppedReason, 'Your Spot Task was interrupted.');
    assert.ok(task.stoppingAt, 'the warning time is the stoppingAt');
  }
  // The service starts replacements on Spot again (base met; the weights want 6 there).
  const replaced = await until('10 running again', live, (ts) => ts.length === 10 && ts.every((x) => x.lastStatus === 'RUNNING'), 120_000);
  assert.deepEqual(byProvider(replaced), { FARGATE: 4, FARGATE_SPOT: 6 });
  const stopped = await until('the interrupted tasks stopped', () => describe('spot', interrupted), (ts) => ts.every((x) => x.lastStatus === 'STOPPED'), 60_000);
  assert.ok(stopped.every((x) => x.stopCode === 'SpotInterruption'));
  const events = (await ecs.send(new DescribeServicesCommand({ cluster: 'spot', services: ['web'] }))).services![0]!.events!;
  assert.ok(events.some((e) => /has started 3 tasks/.test(e.message!)), JSON.stringify(events.slice(0, 5)));
  // Scaling in keeps the split: 5 tasks land where the strategy puts 5.
  ok(['ecs', 'update-service', '--cluster', 'spot', '--service', 'web', '--desired-count', '5']);
  const five = await until('5 running', live, (ts) => ts.length === 5 && ts.every((x) => x.lastStatus === 'RUNNING'), 120_000);
  const strategy = [
    { capacityProvider: 'FARGATE', base: 2, weight: 1 },
    { capacityProvider: 'FARGATE_SPOT', base: 0, weight: 3 },
  ];
  assert.deepEqual(byProvider(five), Object.fromEntries(targetCounts(strategy, 5)));
  ok(['ecs', 'update-service', '--cluster', 'spot', '--service', 'web', '--desired-count', '0']);
  ok(['ecs', 'delete-service', '--cluster', 'spot', '--service', 'web']);
});

test('agents started with `berth agent --fargate` join the pool: Fargate tasks spread over it, and no cluster lists them', async (t) => {
  if (!requireDocker(t)) return;
  agents.push(await startAgent(b, { args: ['--fargate'] }));
  registerFargate('fg-pool', '256', '512');
  const run = ok(['ecs', 'run-task', '--launch-type', 'FARGATE', '--network-configuration', network, '--task-definition', 'fg-pool', '--count', '4']);
  assert.equal(run.tasks.length, 4);
  const arns = (run.tasks as Task[]).map((x) => x.taskArn!);
  await until('4 running', () => describe('default', arns), (ts) => ts.every((x) => x.lastStatus === 'RUNNING'));
  // Containers of the separate agent carry its state dir; both pool members took tasks.
  const own = spawnSync('docker', ['ps', '-q', '--filter', `label=com.amazonaws.ecs.task-arn`, '--filter', `label=berth.agent.state-dir=${join(agents[0]!.dataDir, 'tasks')}`], { encoding: 'utf8' }).stdout.trim();
  assert.ok(own.length > 0, 'the --fargate agent runs some of the tasks');
  const listed = ok(['ecs', 'list-container-instances']).containerInstanceArns as string[];
  assert.equal(listed.length, 1);
  for (const arn of arns) ok(['ecs', 'stop-task', '--task', arn]);
});

test('--spot-interruption-rate interrupts running FARGATE_SPOT tasks by itself; FARGATE tasks are never interrupted', async (t) => {
  if (!requireDocker(t)) return;
  // A rate so high that every Spot task is due at the first draw (every 10 s).
  const other = await startBerth({ localAgent: true, extraArgs: ['--spot-interruption-rate', '1000000'] });
  const client = ecsClient(other);
  try {
    const run = (args: string[]) => {
      const r = aws(other, args);
      assert.equal(r.status, 0, r.stderr);
      return r.json;
    };
    run(['ecs', 'create-cluster', '--cluster-name', 'rate', '--capacity-providers', 'FARGATE', 'FARGATE_SPOT']);
    run(['ecs', 'register-task-definition', '--family', 'fg-rate', '--requires-compatibilities', 'FARGATE', '--network-mode', 'awsvpc', '--cpu', '256', '--memory', '512', '--container-definitions', JSON.stringify([{ name: 'app', image: TEST_IMAGE, command: ['sleep', '3600'] }])]);
    const spot = run(['ecs', 'run-task', '--cluster', 'rate', '--capacity-provider-strategy', 'capacityProvider=FARGATE_SPOT,weight=1', '--network-configuration', network, '--task-definition', 'fg-rate']).tasks[0].taskArn;
    const onDemand = run(['ecs', 'run-task', '--cluster', 'rate', '--capacity-provider-strategy', 'capacityProvider=FARGATE,weight=1', '--network-configuration', network, '--task-definition', 'fg-rate']).tasks[0].taskArn;
    const stopped = await waitForTask(client, spot, 'STOPPED', { cluster: 'rate', timeoutMs: 90_000 });
    assert.equal(stopped.stopCode, 'SpotInterruption');
    const still = (await client.send(new DescribeTasksCommand({ cluster: 'rate', tasks: [onDemand] }))).tasks![0]!;
    assert.equal(still.lastStatus, 'RUNNING');
    assert.equal(still.desiredStatus, 'RUNNING');
    run(['ecs', 'stop-task', '--cluster', 'rate', '--task', onDemand]);
    await waitForTask(client, onDemand, 'STOPPED', { cluster: 'rate', timeoutMs: 60_000 });
  } finally {
    client.destroy();
    await other.stop();
    removeAgentLeftovers(join(other.dataDir, 'agent', 'tasks'));
    removeAgentLeftovers(join(other.dataDir, 'fargate-agent', 'tasks'));
  }
});
