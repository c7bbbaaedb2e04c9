import { DescribeTasksCommand, type ECSClient } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { callBerth, getUsage } from '../../src/cli/berth-api.js';
import type { Connection } from '../../src/cli/connection.js';
import { buildTestImage, containersOfTask, dockerAvailable, removeAgentLeftovers, requireDocker, TEST_IMAGE } from '../support/docker.js';
import { aws, ecsClient, repoRoot, startBerth, waitForTask, type Berth } from './harness.js';

// `berth usage` and berth's own ECS operations end to end: a real berth with
// its local agent runs a FARGATE task (started with the AWS CLI), and the
// built berth CLI reports exactly what AWS would bill for it; the signed
// client meets BerthGetUsage's and BerthInterruptSpotTasks' checks.

let b: Berth;
let ecs: ECSClient;
let conn: Connection;
const started: string[] = [];
const cli = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

before(async () => {
  const docker = dockerAvailable();
  if (docker) buildTestImage();
  b = await startBerth({ localAgent: docker });
  ecs = ecsClient(b);
  conn = { endpoint: b.endpoint, region: b.region, credentials: { accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey } };
});

after(async () => {
  for (const arn of started) {
    const ids = containersOfTask(arn);
    if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  }
  await b?.stop();
  if (b) removeAgentLeftovers(join(b.dataDir, 'agent', 'tasks'));
});

function berth(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args, '--data-dir', b.dataDir], { encoding: 'utf8', timeout: 60_000 });
}

test('berth usage reports exactly the billed seconds of a FARGATE task, and its vCPU- and GB-seconds', { timeout: 180_000 }, async (t) => {
  if (!requireDocker(t)) return;
  const reg = aws(b, [
    'ecs', 'register-task-definition',
    '--family', 'usage-sleep',
    '--requires-compatibilities', 'FARGATE',
    '--network-mode', 'awsvpc',
    '--cpu', '256',
    '--memory', '512',
    '--container-definitions', JSON.stringify([{ name: 'sleep', image: TEST_IMAGE, essential: true, command: ['sh', '-c', 'sleep 3'] }]),
  ]);
  assert.equal(reg.status, 0, reg.stderr);
  const run = aws(b, [
    'ecs', 'run-task',
    '--launch-type', 'FARGATE',
    '--task-definition', 'usage-sleep',
    '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-1]}',
  ]);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(run.json.failures, [], JSON.stringify(run.json.failures));
  const taskArn = run.json.tasks[0].taskArn as string;
  started.push(taskArn);
  await waitForTask(ecs, taskArn, 'STOPPED', { timeoutMs: 90_000 });
  const task = (await ecs.send(new DescribeTasksCommand({ tasks: [taskArn] }))).tasks![0]!;
  assert.equal(task.launchType, 'FARGATE');
  const start = (task.pullStartedAt ?? task.startedAt)!.getTime();
  const end = (task.executionStoppedAt ?? task.stoppedAt)!.getTime();
  const billed = Math.max(60, Math.ceil((end - start) / 1000));

  // The table, one line for the family.
  const r = berth(['usage', '--by', 'task-family']);
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.startsWith('usage-sleep '));
  assert.ok(line, r.stdout);
  const cols = line.trim().split(/\s{2,}/);
  assert.equal(cols[1], '1', 'one task');
  assert.equal(cols[2], String(billed), `billed seconds\n${r.stdout}`);
  assert.equal(cols[3], ((0.25 * billed) / 3600).toFixed(6), 'vCPU-hours');
  assert.equal(cols[4], ((0.5 * billed) / 3600).toFixed(6), 'GB-hours');
  assert.match(r.stdout, /Prices: AWS Fargate Linux\/x86 us-east-1 on-demand, /);
  assert.match(r.stdout, /one-minute minimum/);

  // The same through --json, exactly.
  const j = berth(['usage', '--by', 'task-family', '--json']);
  assert.equal(j.status, 0, j.stderr);
  const out = JSON.parse(j.stdout) as { tasks: Array<{ taskArn: string; billedSeconds: number; vcpuSeconds: number; gbSeconds: number; start: number; end: number; running: boolean }> };
  const mine = out.tasks.find((x) => x.taskArn === taskArn)!;
  assert.ok(mine, j.stdout);
  assert.equal(mine.billedSeconds, billed);
  assert.equal(mine.vcpuSeconds, 0.25 * billed);
  assert.equal(mine.gbSeconds, 0.5 * billed);
  assert.equal(mine.start, start);
  assert.equal(mine.end, end);
  assert.equal(mine.running, false);

  // A window that begins after the task stopped leaves it out.
  const later = await getUsage(conn, { since: end + 1 });
  assert.equal(later.tasks.find((x) => x.taskArn === taskArn), undefined);
});

test('BerthGetUsage: an unknown cluster and a future since are refused, naming them', async () => {
  await assert.rejects(getUsage(conn, { cluster: 'no-such-cluster' }), /^Error: ClusterNotFoundException: Cluster not found\.$/);
  await assert.rejects(getUsage(conn, { since: Date.now() + 3_600_000 }), /^Error: InvalidParameterException: since \(.*\) is in the future\.$/);
  const r = berth(['usage', '--cluster', 'no-such-cluster']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /ClusterNotFoundException: Cluster not found\./);
  const bad = berth(['usage', '--by', 'cluster']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--by cluster: give one of service, task-family, task/);
  // An empty report still names its prices.
  const empty = berth(['usage', '--since', '1s', '--vcpu-hour', '0.05']);
  assert.equal(empty.status, 0, empty.stderr);
  assert.match(empty.stdout, /\$0\.05 per vCPU-hour \(--vcpu-hour\)/);
});

test('BerthInterruptSpotTasks checks cluster, count and percent', async () => {
  await assert.rejects(callBerth(conn, 'BerthInterruptSpotTasks', { count: 1 }), /^Error: InvalidParameterException: .*'cluster'.*must not be null/);
  await assert.rejects(callBerth(conn, 'BerthInterruptSpotTasks', { cluster: 'default', count: 1, percent: 10 }), /^Error: InvalidParameterException: Give exactly one of count and percent\.$/);
  await assert.rejects(callBerth(conn, 'BerthInterruptSpotTasks', { cluster: 'default' }), /^Error: InvalidParameterException: Give exactly one of count and percent\.$/);
  await assert.rejects(callBerth(conn, 'BerthInterruptSpotTasks', { cluster: 'default', percent: 0 }), /^Error: InvalidParameterException: percent must be from 1 to 100; got 0\.$/);
  await assert.rejects(callBerth(conn, 'BerthInterruptSpotTasks', { cluster: 'default', percent: 101 }), /^Error: InvalidParameterException: percent must be from 1 to 100; got 101\.$/);
  await assert.rejects(callBerth(conn, 'BerthInterruptSpotTasks', { cluster: 'default', count: 0 }), /^Error: InvalidParameterException: count must be at least 1; got 0\.$/);
  // The CLI checks the flags before asking.
  const both = berth(['fargate', 'interrupt', '--cluster', 'default', '--count', '1', '--percent', '5']);
  assert.notEqual(both.status, 0);
  assert.match(both.stderr, /give exactly one of --count N and --percent P/);
  const zero = berth(['fargate', 'interrupt', '--cluster', 'default', '--percent', '0']);
  assert.notEqual(zero.status, 0);
  assert.match(zero.stderr, /InvalidParameterException: percent must be from 1 to 100; got 0\./);
});

test('BerthInterruptSpotTasks: an unknown cluster is ClusterNotFoundException; a cluster without Spot tasks interrupts none', async () => {
  await assert.rejects(callBerth(conn, 'BerthInterruptSpotTasks', { cluster: 'no-such-cluster', count: 1 }), /^Error: ClusterNotFoundException: /);
  const r = berth(['fargate', 'interrupt', '--cluster', 'default', '--percent', '50']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /No running FARGATE_SPOT task in cluster default: nothing interrupted\./);
});

test('berth fargate interrupt stops a FARGATE_SPOT task with SpotInterruption; berth usage prices it as Spot', { timeout: 180_000 }, async (t) => {
  if (!requireDocker(t)) return;
  const put = aws(b, ['ecs', 'put-cluster-capacity-providers', '--cluster', 'default', '--capacity-providers', 'FARGATE', 'FARGATE_SPOT', '--default-capacity-provider-strategy', 'capacityProvider=FARGATE,weight=1']);
  assert.equal(put.status, 0, put.stderr);
  const reg = aws(b, [
    'ecs', 'register-task-definition',
    '--family', 'usage-spot',
    '--requires-compatibilities', 'FARGATE',
    '--network-mode', 'awsvpc',
    '--cpu', '512',
    '--memory', '1024',
    '--container-definitions', JSON.stringify([{ name: 'loop', image: TEST_IMAGE, essential: true, command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'] }]),
  ]);
  assert.equal(reg.status, 0, reg.stderr);
  const run = aws(b, ['ecs', 'run-task', '--capacity-provider-strategy', 'capacityProvider=FARGATE_SPOT,weight=1', '--task-definition', 'usage-spot', '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-1]}']);
  assert.equal(run.status, 0, run.stderr);
  const taskArn = run.json.tasks[0].taskArn as string;
  started.push(taskArn);
  await waitForTask(ecs, taskArn, 'RUNNING', { timeoutMs: 90_000 });

  const r = berth(['fargate', 'interrupt', '--cluster', 'default', '--count', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Interrupted 1 FARGATE_SPOT task in cluster default:\\n  ${taskArn.slice(taskArn.lastIndexOf('/') + 1)}  family:usage-spot\\n`));
  assert.match(r.stdout, /two-minute Spot interruption warning now, then SIGTERM/);
  const stopped = await waitForTask(ecs, taskArn, 'STOPPED', { timeoutMs: 150_000 });
  assert.equal(stopped.stopCode, 'SpotInterruption');

  const start = (stopped.pullStartedAt ?? stopped.startedAt)!.getTime();
  const end = (stopped.executionStoppedAt ?? stopped.stoppedAt)!.getTime();
  const billed = Math.max(60, Math.ceil((end - start) / 1000));
  const j = berth(['usage', '--by', 'task', '--json']);
  assert.equal(j.status, 0, j.stderr);
  const out = JSON.parse(j.stdout) as { tasks: Array<{ taskArn: string; spot: boolean; capacityProviderName?: string; billedSeconds: number; vcpuSeconds: number }>; lines: Array<{ key: string; spotCost: number; onDemandCost: number }> };
  const mine = out.tasks.find((x) => x.taskArn === taskArn)!;
  assert.equal(mine.spot, true);
  assert.equal(mine.capacityProviderName, 'FARGATE_SPOT');
  assert.equal(mine.billedSeconds, billed);
  assert.equal(mine.vcpuSeconds, 0.5 * billed);
  const line = out.lines.find((l) => taskArn.endsWith(l.key))!;
  assert.equal(line.onDemandCost, 0);
  const onDemand = (0.5 * billed * 0.04048 + 1 * billed * 0.004445) / 3600;
  assert.ok(Math.abs(line.spotCost - onDemand * 0.3) < 1e-12, `${line.spotCost} vs ${onDemand * 0.3}`);
});
