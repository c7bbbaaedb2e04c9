import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildTestImage, containersOfTask, removeAgentLeftovers, requireDocker, TEST_IMAGE } from '../support/docker.js';
import { aws, ecsClient, startBerth, type Berth } from './harness.js';

// Services on real containers: berth up with its local agent on the Docker
// engine, driven by the AWS CLI and the SDK. The service scheduler keeps
// three busybox httpd tasks through a docker kill, rolls out within
// minimumHealthyPercent, rolls back a revision that cannot start, and
// finishes a deployment that a kill -9 of berth interrupted.

let b: Berth;
let ecs: ECSClient;
const dataDirs = new Set<string>();

before(async () => {
  if (!requireDocker()) return;
  buildTestImage();
  b = await startBerth({ localAgent: true });
  dataDirs.add(b.dataDir);
  ecs = ecsClient(b);
});

after(async () => {
  ecs?.destroy();
  await b?.stop();
  for (const dir of dataDirs) {
    removeAgentLeftovers(join(dir, 'agent', 'tasks'));
    rmSync(dir, { recursive: true, force: true });
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A busybox httpd that serves `mark`; stopTimeout 2 so that old tasks go quickly (httpd as PID 1 ignores SIGTERM). */
async function httpd(family: string, mark: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: [
        {
          name: 'web',
          image: TEST_IMAGE,
          memory: 32,
          stopTimeout: 2,
          portMappings: [{ containerPort: 80 }],
          command: ['sh', '-c', `echo ${mark} > /index.html && exec httpd -f -p 80 -h /`],
          ...extra,
        },
      ],
    }),
  );
  return r.taskDefinition!.taskDefinitionArn!;
}

async function describe(name: string): Promise<Service> {
  return (await ecs.send(new DescribeServicesCommand({ services: [name] }))).services![0]!;
}

/** services-stable, polled every 250 ms (the CLI's waiter polls every 15 s). */
async function waitStable(name: string, timeoutMs = 90_000): Promise<Service> {
  const deadline = Date.now() + timeoutMs;
  let s: Service | undefined;
  while (Date.now() < deadline) {
    s = await describe(name);
    if (s.deployments!.length === 1 && s.runningCount === s.desiredCount && s.deployments![0]!.rolloutState === 'COMPLETED') return s;
    await sleep(250);
  }
  assert.fail(`service ${name} not stable in ${timeoutMs} ms: ${JSON.stringify(s?.deployments)} ${JSON.stringify(s?.events?.slice(0, 5))}`);
}

async function serviceTasks(name: string, desiredStatus: 'RUNNING' | 'STOPPED' = 'RUNNING') {
  const arns = (await ecs.send(new ListTasksCommand({ serviceName: name, desiredStatus }))).taskArns!;
  if (!arns.length) return [];
  const out = [];
  for (let i = 0; i < arns.length; i += 100) out.push(...(await ecs.send(new DescribeTasksCommand({ tasks: arns.slice(i, i + 100) }))).tasks!);
  return out;
}

test('a service of 3 busybox httpd tasks becomes stable (aws ecs wait services-stable) and every task answers', async (t) => {
  if (!requireDocker(t)) return;
  const td = await httpd('svc-web', 'v1');
  const created = aws(b, ['ecs', 'create-service', '--service-name', 'web', '--task-definition', td, '--desired-count', '3', '--tags', 'key=team,value=edge', '--propagate-tags', 'SERVICE', '--enable-ecs-managed-tags']);
  assert.equal(created.status, 0, created.stderr);
  assert.equal(created.json.service.serviceArn, `arn:aws:ecs:${b.region}:000000000000:service/default/web`);
  assert.match(created.json.service.deployments[0].id, /^ecs-svc\/\d{19}$/);
  const wait = aws(b, ['ecs', 'wait', 'services-stable', '--services', 'web']);
  assert.equal(wait.status, 0, wait.stderr);
  const s = await waitStable('web');
  assert.equal(s.runningCount, 3);
  assert.equal(s.deployments![0]!.rolloutState, 'COMPLETED');
  assert.equal(s.events![0]!.message, '(service web) has reached a steady state.');
  const tasks = await serviceTasks('web');
  assert.equal(tasks.length, 3);
  for (const task of tasks) {
    assert.equal(task.group, 'service:web');
    assert.equal(task.startedBy, s.deployments![0]!.id);
    const port = task.containers![0]!.networkBindings![0]!.hostPort!;
    assert.equal((await (await fetch(`http://127.0.0.1:${port}/index.html`)).text()).trim(), 'v1');
  }
  const tags = aws(b, ['ecs', 'list-tags-for-resource', '--resource-arn', tasks[0]!.taskArn!]);
  assert.deepEqual(
    tags.json.tags.map((x: { key: string }) => x.key).sort(),
    ['aws:ecs:clusterName', 'aws:ecs:serviceName', 'team'],
  );
  const cluster = aws(b, ['ecs', 'describe-clusters']);
  assert.equal(cluster.json.clusters[0].activeServicesCount, 1);
});

test('docker kill of a task\'s container: the task is replaced and the event is logged', async (t) => {
  if (!requireDocker(t)) return;
  const [victim] = await serviceTasks('web');
  const ids = containersOfTask(victim!.taskArn!);
  assert.ok(ids.length >= 1);
  const kill = spawnSync('docker', ['kill', ...ids], { encoding: 'utf8' });
  assert.equal(kill.status, 0, kill.stderr);
  const deadline = Date.now() + 60_000;
  let s = await describe('web');
  while (Date.now() < deadline) {
    s = await describe('web');
    const replaced = s.events!.find((e) => /^\(service web\) has started 1 tasks: \(task [0-9a-f]{32}\)\.$/.test(e.message!));
    if (replaced && s.runningCount === 3) break;
    await sleep(250);
  }
  assert.equal(s.runningCount, 3, JSON.stringify(s.events?.slice(0, 4)));
  const stopped = (await ecs.send(new DescribeTasksCommand({ tasks: [victim!.taskArn!] }))).tasks![0]!;
  assert.equal(stopped.lastStatus, 'STOPPED');
  assert.equal(stopped.stopCode, 'EssentialContainerExited');
  const live = await serviceTasks('web');
  assert.equal(live.length, 3);
  assert.ok(!live.some((x) => x.taskArn === victim!.taskArn));
  await waitStable('web');
});

test('a rolling update with minimum 50% / maximum 200% never has fewer than 2 tasks running', async (t) => {
  if (!requireDocker(t)) return;
  const v2 = await httpd('svc-web', 'v2');
  const up = aws(b, [
    'ecs',
    'update-service',
    '--service',
    'web',
    '--task-definition',
    v2,
    '--deployment-configuration',
    JSON.stringify({ minimumHealthyPercent: 50, maximumPercent: 200 }),
  ]);
  assert.equal(up.status, 0, up.stderr);
  assert.equal(up.json.service.deployments.length, 2);
  let samples = 0;
  let lowest = Infinity;
  let highest = 0;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const [s, tasks, stopping] = await Promise.all([describe('web'), serviceTasks('web'), serviceTasks('web', 'STOPPED')]);
    const running = tasks.filter((x) => x.lastStatus === 'RUNNING').length;
    lowest = Math.min(lowest, s.runningCount!, running);
    highest = Math.max(highest, tasks.length + stopping.filter((x) => x.lastStatus !== 'STOPPED').length);
    samples++;
    assert.ok(s.runningCount! >= 2 && running >= 2, `sample ${samples}: runningCount ${s.runningCount}, ${running} tasks RUNNING`);
    if (s.deployments!.length === 1 && s.deployments![0]!.rolloutState === 'COMPLETED' && s.runningCount === 3) break;
    assert.ok(Date.now() < deadline, 'the rolling update did not complete in 90 s');
    await sleep(200);
  }
  assert.ok(samples >= 3, `${samples} samples`);
  assert.ok(lowest >= 2, `lowest ${lowest}`);
  assert.ok(highest <= 6, `${highest} tasks at once, above 200% of 3`);
  const s = await describe('web');
  assert.equal(s.taskDefinition, v2);
  for (const task of await serviceTasks('web')) {
    const port = task.containers![0]!.networkBindings![0]!.hostPort!;
    assert.equal((await (await fetch(`http://127.0.0.1:${port}/index.html`)).text()).trim(), 'v2');
  }
});

test('a revision whose container exits at once trips the circuit breaker: FAILED, rolled back to the previous revision', async (t) => {
  if (!requireDocker(t)) return;
  const before = await describe('web');
  const broken = await httpd('svc-web', 'v3', { command: ['sh', '-c', 'exit 1'] });
  const up = await ecs.send(
    new UpdateServiceCommand({
      service: 'web',
      taskDefinition: broken,
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
    }),
  );
  const badId = up.service!.deployments!.find((d) => d.status === 'PRIMARY')!.id!;
  let sawFailed = false;
  const deadline = Date.now() + 120_000;
  let s = before;
  for (;;) {
    s = await describe('web');
    const bad = s.deployments!.find((d) => d.id === badId);
    if (bad?.rolloutState === 'FAILED') {
      sawFailed = true;
      assert.equal(bad.rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
      assert.ok(bad.failedTasks! >= 3, `failedTasks ${bad.failedTasks}`);
    }
    assert.ok(s.runningCount! >= 3, `runningCount ${s.runningCount} fell below 100%`);
    if (sawFailed && s.deployments!.length === 1 && s.deployments![0]!.rolloutState === 'COMPLETED') break;
    assert.ok(Date.now() < deadline, `no rollback in 120 s: ${JSON.stringify(s.deployments)}`);
    await sleep(200);
  }
  assert.equal(s.taskDefinition, before.taskDefinition, 'rolled back to the previous revision');
  assert.equal(s.deployments![0]!.taskDefinition, before.taskDefinition);
  assert.ok(s.events!.some((e) => e.message === `(service web) (deployment ${badId}) deployment failed: tasks failed to start.`));
  const history = (await ecs.send(new ListServiceDeploymentsCommand({ service: 'web' }))).serviceDeployments!;
  const failed = history.find((d) => d.targetServiceRevisionArn && d.status === 'ROLLBACK_SUCCESSFUL');
  assert.ok(failed, JSON.stringify(history));
  const stable = aws(b, ['ecs', 'wait', 'services-stable', '--services', 'web']);
  assert.equal(stable.status, 0, stable.stderr);
});

test('kill -9 of berth in the middle of a deployment: after a restart on the same data dir the deployment completes with the right counts', async (t) => {
  if (!requireDocker(t)) return;
  // New tasks become healthy only after their first health check (5 s): the deployment is still in progress when berth dies.
  const v4 = await httpd('svc-web', 'v4', { healthCheck: { command: ['CMD-SHELL', 'test -f /index.html'], interval: 5, timeout: 2, retries: 2, startPeriod: 0 } });
  const up = await ecs.send(new UpdateServiceCommand({ service: 'web', taskDefinition: v4, deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 } }));
  const newId = up.service!.deployments!.find((d) => d.status === 'PRIMARY')!.id!;
  const placedBy = Date.now() + 15_000;
  while ((await serviceTasks('web')).filter((x) => x.startedBy === newId).length < 3) {
    assert.ok(Date.now() < placedBy, 'the new deployment did not place its tasks');
    await sleep(100);
  }
  const mid = await describe('web');
  assert.equal(mid.deployments!.length, 2, 'still mid-deployment');
  await b.kill();
  ecs.destroy();

  // The same port: the local agent knows its instance by the control plane's endpoint.
  const port = new URL(b.endpoint).port;
  b = await startBerth({ localAgent: true, dataDir: b.dataDir, extraArgs: ['--port', port] });
  ecs = ecsClient(b);
  const s = await waitStable('web', 120_000);
  assert.equal(s.taskDefinition, v4);
  assert.equal(s.deployments![0]!.id, newId);
  assert.equal(s.runningCount, 3);
  const live = await serviceTasks('web');
  assert.equal(live.length, 3);
  assert.ok(live.every((x) => x.startedBy === newId && x.healthStatus === 'HEALTHY'));
  // Never double-started: the new deployment launched exactly its three tasks.
  const all = [...live, ...(await serviceTasks('web', 'STOPPED'))].filter((x) => x.startedBy === newId);
  assert.equal(all.length, 3, `the deployment started ${all.length} tasks: ${JSON.stringify(all.map((x) => [x.lastStatus, x.stopCode, x.stoppedReason, x.createdAt]))}`);
  // Only the three live tasks have running containers.
  const ps = spawnSync('docker', ['ps', '--filter', `label=berth.agent.state-dir=${join(b.dataDir, 'agent', 'tasks')}`, '--format', '{{.Label "com.amazonaws.ecs.task-arn"}}'], { encoding: 'utf8' });
  assert.deepEqual([...new Set(ps.stdout.split('\n').filter(Boolean))].sort(), live.map((x) => x.taskArn!).sort());

  // Clean up through the API: scale to zero and delete.
  await ecs.send(new UpdateServiceCommand({ service: 'web', desiredCount: 0 }));
  const del = aws(b, ['ecs', 'delete-service', '--service', 'web']);
  assert.equal(del.status, 0, del.stderr);
  assert.equal(del.json.service.status, 'DRAINING');
  const gone = Date.now() + 60_000;
  while ((await describe('web')).status !== 'INACTIVE') {
    assert.ok(Date.now() < gone, 'the deleted service did not become INACTIVE');
    await sleep(250);
  }
});
