import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogStreamsCommand, GetLogEventsCommand, type OutputLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { CreateClusterCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand, type ContainerDefinition, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildTestImage, containersOfTask, removeAgentLeftovers, requireDocker, TEST_IMAGE } from '../support/docker.js';
import { ecsClient, startAgent, startBerth, waitForTask, type AgentProcess, type Berth } from './harness.js';

// The awslogs log driver end to end: a real berth, a separate `berth agent`
// process on the local Docker engine, containers built FROM scratch with
// busybox, and CloudWatch Logs read back through the SDK. The agent follows
// each container's json-file log and ships it with PutLogEvents.

let b: Berth;
let ecs: ECSClient;
let logs: CloudWatchLogsClient;
let agent: AgentProcess | undefined;
const started: string[] = [];
const CLUSTER = 'awslogs';
const GROUP = '/ecs/web';
const RUN = randomBytes(3).toString('hex');

before(async () => {
  if (!requireDocker()) return;
  buildTestImage();
  b = await startBerth();
  ecs = ecsClient(b);
  logs = new CloudWatchLogsClient({ endpoint: b.endpoint, region: b.region, credentials: { accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey }, maxAttempts: 1 });
  await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
  agent = await startAgent(b, { cluster: CLUSTER, args: ['--cleanup-delay', '5'] });
});

after(async () => {
  await agent?.stop();
  if (agent) removeAgentLeftovers(join(agent.dataDir, 'tasks'));
  for (const arn of started) {
    const ids = containersOfTask(arn);
    if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  }
  logs?.destroy();
  await b?.stop();
});

const awslogs = (prefix: string, more: Record<string, string> = {}) => ({
  logDriver: 'awslogs' as const,
  options: { 'awslogs-group': GROUP, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': prefix, ...more },
});

async function runTask(family: string, containers: ContainerDefinition[]): Promise<Task> {
  await ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: containers }));
  const r = await ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: family }));
  assert.deepEqual(r.failures, [], JSON.stringify(r.failures));
  const task = r.tasks![0]!;
  started.push(task.taskArn!);
  return task;
}

const waitFor = (taskArn: string, status: string, timeoutMs = 60_000) => waitForTask(ecs, taskArn, status, { cluster: CLUSTER, timeoutMs });
const taskId = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** The whole stream, oldest first, paging forward as `aws logs get-log-events --start-from-head` does. */
async function readStream(group: string, stream: string): Promise<OutputLogEvent[]> {
  const out: OutputLogEvent[] = [];
  let token: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const r = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, nextToken: token }));
    out.push(...(r.events ?? []));
    if (!r.nextForwardToken || r.nextForwardToken === token) break;
    token = r.nextForwardToken;
  }
  return out;
}

async function lastEvent(group: string, stream: string): Promise<OutputLogEvent | undefined> {
  try {
    const r = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: false, limit: 1 }));
    return r.events?.at(-1);
  } catch (e) {
    if ((e as Error).name === 'ResourceNotFoundException') return undefined;
    throw e;
  }
}

function expectLines(events: OutputLogEvent[], n: number): void {
  const got = events.map((e) => e.message);
  if (got.length !== n) {
    // Say which lines are missing or repeated, and where: late, lost or doubled is not the same failure.
    const seen = new Map<string, number>();
    for (const m of got) seen.set(m!, (seen.get(m!) ?? 0) + 1);
    const missing: number[] = [];
    for (let i = 1; i <= n; i++) if (!seen.has(`line ${i}`)) missing.push(i);
    const twice = [...seen].filter(([, c]) => c > 1).map(([m]) => m);
    assert.fail(`${got.length} events, not ${n}: last ${JSON.stringify(got.at(-1))}; ${missing.length} missing (first ${missing[0]}, last ${missing.at(-1)}); ${twice.length} twice (first ${twice[0]})`);
  }
  for (let i = 0; i < n; i++) if (got[i] !== `line ${i + 1}`) assert.fail(`event ${i} is ${JSON.stringify(got[i])}, not "line ${i + 1}"`);
  const times = events.map((e) => e.timestamp!);
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]!, 'timestamps never go back');
}

/** All 100,000 lines by the time the task is STOPPED; if not, whether the rest came late or never. */
async function expectAllLines(stream: string): Promise<OutputLogEvent[]> {
  const events = await readStream(GROUP, stream);
  if (events.length !== 100_000) {
    await new Promise((r) => setTimeout(r, 10_000));
    const later = await readStream(GROUP, stream);
    assert.fail(`at STOPPED the stream held ${events.length} events (last ${JSON.stringify(events.at(-1)?.message)}); 10 s later ${later.length}`);
  }
  expectLines(events, 100_000);
  return events;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

test('a line a running container writes (stdout or stderr) is in GetLogEvents within 2 s', { timeout: 120_000 }, async (t) => {
  if (!requireDocker(t)) return;
  const task = await runTask(`live-${RUN}`, [
    { name: 'app', image: TEST_IMAGE, memory: 16, stopTimeout: 2, logConfiguration: awslogs('web'), command: ['sh', '-c', 'echo started; echo started-on-stderr >&2; trap "exit 0" TERM; while true; do sleep 1; done'] },
  ]);
  await waitFor(task.taskArn!, 'RUNNING');
  const stream = `web/app/${taskId(task.taskArn!)}`;
  const [id] = containersOfTask(task.taskArn!);
  const latencies: number[] = [];
  for (let i = 0; i < 10; i++) {
    const fd = i % 2 ? 2 : 1;
    const t0 = Date.now();
    // Written by a process inside the container, straight to its main process's stdout/stderr.
    const r = spawnSync('docker', ['exec', id!, 'sh', '-c', `echo live-${i} > /proc/1/fd/${fd}`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    let seen = false;
    while (!seen && Date.now() - t0 < 5000) {
      seen = (await lastEvent(GROUP, stream))?.message === `live-${i}`;
      if (!seen) await new Promise((res) => setTimeout(res, 20));
    }
    const took = Date.now() - t0;
    assert.ok(seen && took < 2000, `live-${i} (fd ${fd}) took ${took} ms`);
    latencies.push(took);
  }
  const execs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    spawnSync('docker', ['exec', id!, 'true']);
    execs.push(Date.now() - t0);
  }
  t.diagnostic(`write → GetLogEvents latency: median ${median(latencies)} ms, max ${Math.max(...latencies)} ms (docker exec alone: ${median(execs)} ms)`);
  await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: task.taskArn! }));
  await waitFor(task.taskArn!, 'STOPPED');
  const messages = (await readStream(GROUP, stream)).map((e) => e.message);
  assert.deepEqual(new Set(messages.slice(0, 2)), new Set(['started', 'started-on-stderr']));
  assert.deepEqual(messages.slice(2), Array.from({ length: 10 }, (_, i) => `live-${i}`));
});

test('100,000 numbered lines: all in the stream, in order, by the time the task is STOPPED', { timeout: 300_000 }, async (t) => {
  if (!requireDocker(t)) return;
  const t0 = Date.now();
  const task = await runTask(`burst-${RUN}`, [
    { name: 'app', image: TEST_IMAGE, memory: 32, logConfiguration: awslogs('web'), command: ['sh', '-c', 'i=1; while [ $i -le 100000 ]; do echo "line $i"; i=$((i+1)); done'] },
  ]);
  const stopped = await waitFor(task.taskArn!, 'STOPPED', 240_000);
  const took = Date.now() - t0;
  assert.equal(stopped.containers![0]!.exitCode, 0);
  const events = await expectAllLines(`web/app/${taskId(task.taskArn!)}`);
  const finishedAt = Date.parse(spawnSync('docker', ['inspect', '-f', '{{.State.FinishedAt}}', containersOfTask(task.taskArn!)[0]!], { encoding: 'utf8' }).stdout.trim());
  const lag = events.at(-1)!.ingestionTime! - finishedAt;
  t.diagnostic(`RunTask → STOPPED with all 100,000 lines in the stream: ${took} ms; last line ingested ${lag} ms after the container exited`);
});

test('100,000 numbered lines with the agent killed (SIGKILL) halfway and restarted: none lost, none twice', { timeout: 300_000 }, async (t) => {
  if (!requireDocker(t)) return;
  const task = await runTask(`killed-${RUN}`, [
    {
      name: 'app',
      image: TEST_IMAGE,
      memory: 32,
      logConfiguration: awslogs('web'),
      // ~10 s of logging, in bursts, so that the kill lands in the middle.
      command: ['sh', '-c', 'i=1; while [ $i -le 100000 ]; do echo "line $i"; if [ $((i % 2000)) -eq 0 ]; then sleep 0.2; fi; i=$((i+1)); done'],
    },
  ]);
  const stream = `web/app/${taskId(task.taskArn!)}`;
  const deadline = Date.now() + 120_000;
  let at = 0;
  while (Date.now() < deadline && at < 40_000) {
    at = Number((await lastEvent(GROUP, stream))?.message?.slice(5) ?? 0);
    if (at < 40_000) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(at >= 40_000 && at < 100_000, `killed at line ${at}`);
  await agent!.kill();
  // The container logs on while no agent reads its log.
  await new Promise((r) => setTimeout(r, 2000));
  agent = await startAgent(b, { cluster: CLUSTER, dataDir: agent!.dataDir, args: ['--cleanup-delay', '5'] });
  const stopped = await waitFor(task.taskArn!, 'STOPPED', 240_000);
  assert.equal(stopped.containers![0]!.exitCode, 0);
  await expectAllLines(stream);
  t.diagnostic(`the agent was killed with line ${at} the last in the stream`);
});

test('a missing log group fails the container start as ECS reports it; awslogs-create-group makes it', { timeout: 120_000 }, async (t) => {
  if (!requireDocker(t)) return;
  const group = `/ecs/missing-${RUN}`;
  const failed = await runTask(`nogroup-${RUN}`, [{ name: 'app', image: TEST_IMAGE, memory: 16, logConfiguration: awslogs('x', { 'awslogs-group': group }), command: ['echo', 'never'] }]);
  const stopped = await waitFor(failed.taskArn!, 'STOPPED');
  assert.equal(stopped.stopCode, 'TaskFailedToStart');
  assert.equal(
    stopped.containers![0]!.reason,
    'CannotStartContainerError: Error response from daemon: failed to initialize logging driver: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.',
  );
  assert.equal(stopped.stoppedReason, stopped.containers![0]!.reason);

  const made = await runTask(`mkgroup-${RUN}`, [
    {
      name: 'app',
      image: TEST_IMAGE,
      memory: 16,
      logConfiguration: awslogs('x', { 'awslogs-group': group, 'awslogs-create-group': 'true', 'awslogs-datetime-format': '%Y-%m-%d %H:%M:%S' }),
      dependsOn: [{ containerName: 'plain', condition: 'START' }],
      command: ['sh', '-c', 'echo "2026-02-01 10:00:00 ERROR boom"; echo "  at one"; echo "  at two"; sleep 0.3; echo "2026-02-01 10:00:01 INFO fine"'],
    },
    // No prefix: the stream is named after the Docker container (EC2 launch type).
    { name: 'plain', image: TEST_IMAGE, memory: 16, essential: false, logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': group, 'awslogs-region': 'us-east-1', 'awslogs-create-group': 'true' } }, command: ['sh', '-c', 'echo no prefix; trap "exit 0" TERM; while true; do sleep 1; done'], stopTimeout: 2 },
  ]);
  const done = await waitFor(made.taskArn!, 'STOPPED');
  assert.equal(done.containers!.find((c) => c.name === 'app')!.exitCode, 0);
  const events = await readStream(group, `x/app/${taskId(made.taskArn!)}`);
  assert.deepEqual(
    events.map((e) => e.message),
    ['2026-02-01 10:00:00 ERROR boom\n  at one\n  at two\n', '2026-02-01 10:00:01 INFO fine\n'],
  );
  const plainId = done.containers!.find((c) => c.name === 'plain')!.runtimeId!;
  const streams = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }))).logStreams!.map((s) => s.logStreamName);
  assert.ok(streams.includes(plainId), `${plainId} among ${streams.join(', ')}`);
  assert.deepEqual((await readStream(group, plainId)).map((e) => e.message), ['no prefix']);
});
