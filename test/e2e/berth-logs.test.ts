import { CreateServiceCommand, DeleteServiceCommand, ListTasksCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand, type ECSClient } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildTestImage, containersOfTask, requireDocker, TEST_IMAGE } from '../support/docker.js';
import { ecsClient, repoRoot, startBerth, type Berth } from './harness.js';

// `berth logs SERVICE|TASK` end to end: a real berth with its local agent, a
// two-task service whose containers log with awslogs, and the berth CLI
// reading them back through the CloudWatch Logs API.

let b: Berth;
let ecs: ECSClient;
const berthBin = join(repoRoot, 'bin', 'berth.js');

// Every 0.2 s an info line, and every fifth time an error line, as JSON.
const LOOP =
  'trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo "{\\"level\\":\\"info\\",\\"n\\":$i}"; ' +
  'if [ $((i % 5)) -eq 0 ]; then echo "{\\"level\\":\\"error\\",\\"n\\":$i}"; fi; sleep 0.2; done';

before(async () => {
  if (!requireDocker()) return;
  buildTestImage();
  b = await startBerth({ localAgent: true });
  ecs = ecsClient(b);
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'chatty',
      containerDefinitions: [
        {
          name: 'app',
          image: TEST_IMAGE,
          memory: 16,
          stopTimeout: 2,
          command: ['sh', '-c', LOOP],
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/chatty', 'awslogs-region': b.region, 'awslogs-stream-prefix': 'web', 'awslogs-create-group': 'true' } },
        },
      ],
    }),
  );
  await ecs.send(new CreateServiceCommand({ serviceName: 'chatty', taskDefinition: 'chatty', desiredCount: 2 }));
});

after(async () => {
  if (ecs) {
    const tasks = await ecs.send(new ListTasksCommand({ serviceName: 'chatty' })).catch(() => undefined);
    await ecs.send(new UpdateServiceCommand({ service: 'chatty', desiredCount: 0 })).catch(() => undefined);
    await ecs.send(new DeleteServiceCommand({ service: 'chatty', force: true })).catch(() => undefined);
    for (const arn of tasks?.taskArns ?? []) {
      const ids = containersOfTask(arn);
      if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
    }
  }
  await b?.stop();
});

function berthLogs(args: string[]) {
  return spawnSync(process.execPath, [berthBin, 'logs', ...args, '--data-dir', b.dataDir], { encoding: 'utf8', timeout: 60_000 });
}

/** `berth logs chatty` until both tasks' lines are there (the tasks take a moment to start). */
async function untilBothTasks(): Promise<{ out: string; tasks: Set<string> }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = berthLogs(['chatty', '--since', '5m']);
    assert.equal(r.status, 0, r.stderr);
    const tasks = new Set([...r.stdout.matchAll(/ app\/([0-9a-f]{32}) /g)].map((m) => m[1]!));
    if (tasks.size === 2) return { out: r.stdout, tasks };
    if (Date.now() > deadline) assert.fail(`after 60 s berth logs shows ${tasks.size} tasks:\n${r.stdout.slice(-2000)}\n${r.stderr}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

test("berth logs SERVICE shows every task's lines, labelled container/task, in time order", { timeout: 120_000 }, async (t) => {
  if (!requireDocker(t)) return;
  const { out, tasks } = await untilBothTasks();
  const lines = out.trim().split('\n');
  const times = lines.map((l) => Date.parse(l.split(' ')[0]!));
  assert.ok(times.every((x) => !Number.isNaN(x)), 'every line begins with its time');
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! >= times[i - 1]!, 'in time order');
  // One task by its id: only its lines.
  const [one] = [...tasks];
  const r = berthLogs([one!, '--since', '5m']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.trim().split('\n').every((l) => l.includes(`app/${one}`)), r.stdout.slice(0, 500));
});

test('berth logs --filter takes a CloudWatch filter pattern', { timeout: 120_000 }, async (t) => {
  if (!requireDocker(t)) return;
  await untilBothTasks();
  const r = berthLogs(['chatty', '--since', '5m', '--filter', '{ $.level = "error" }']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.length >= 1, 'some error lines');
  for (const l of lines) assert.match(l, /"level":"error","n":\d*[05]\}$/);
  const bad = berthLogs(['chatty', '--filter', '{ $.level = ']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /filter pattern/i);
  const unknown = berthLogs(['no-such-service']);
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /no service named no-such-service in cluster default/);
});

test('berth logs --follow prints new lines as they are written', { timeout: 120_000 }, async (t) => {
  if (!requireDocker(t)) return;
  await untilBothTasks();
  const child = spawn(process.execPath, [berthBin, 'logs', 'chatty', '--follow', '--since', '1s', '--data-dir', b.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    // Lag of each line: when it arrived here minus the time it was written (the event's timestamp).
    const lags: number[] = [];
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`--follow printed ${lags.length} lines in 20 s`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const l of lines) lags.push(Date.now() - Date.parse(l.split(' ')[0]!));
        if (lags.length >= 40) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`berth logs --follow exited with ${code}`)));
    });
    const sorted = lags.slice(5).sort((x, y) => x - y);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    assert.ok(median < 2_000, `new lines arrive ${median} ms after they were written (median), not within 2 s: ${sorted.join(', ')}`);
  } finally {
    child.kill('SIGINT');
  }
});
