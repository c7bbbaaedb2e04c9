import type { ContainerDefinition, TaskDefinition } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { ECS_LABELS } from '../../src/agent/container-config.js';
import { TASK_STATUSES, type TaskAssignment, type TaskReport, type TaskStatus } from '../../src/agent/protocol.js';
import { openDocker, RUN, TEST_LABEL, testImage } from './docker-fixture.js';
import { CONTAINER_VANISHED, ESSENTIAL_CONTAINER_EXITED, OUT_OF_MEMORY, TaskEngine, UNLISTED_TASK_REASON, type TaskEngineOptions } from '../../src/agent/task-engine.js';

// The task engine against the real Docker engine. Images are built FROM
// scratch with the host's static busybox; nothing is pulled from a registry.
// Everything created carries the label berth.test.run=<run id> and is removed
// at the end.

const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:000000000000:cluster/berth-test';
const { runtime, skip } = await openDocker();
const engines: TaskEngine[] = [];
const dirs: string[] = [];
let image = '';

before(async () => {
  if (!skip) image = await testImage(runtime);
});

after(async () => {
  for (const e of engines) await e.close();
  if (!skip) {
    for (const c of await runtime.listContainers({ [TEST_LABEL]: RUN })) await runtime.removeContainer(c.id);
    const volumes = (await runtime.docker.listVolumes({ filters: { label: [`${TEST_LABEL}=${RUN}`] } })).Volumes ?? [];
    for (const v of volumes) await runtime.removeVolume(v.Name);
  }
  await runtime.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// ---------------------------------------------------------------- harness

class Reports {
  readonly byTask = new Map<string, TaskReport[]>();
  readonly #waiters = new Set<() => void>();

  push = (r: TaskReport): void => {
    const list = this.byTask.get(r.taskArn) ?? [];
    list.push(r);
    this.byTask.set(r.taskArn, list);
    for (const w of this.#waiters) w();
  };

  of(arn: string): TaskReport[] {
    return this.byTask.get(arn) ?? [];
  }

  last(arn: string): TaskReport | undefined {
    return this.of(arn).at(-1);
  }

  /** Resolves with the first report of the task (already seen or to come) that satisfies `pred`. */
  async until(arn: string, pred: (r: TaskReport) => boolean, what: string, ms = 20_000): Promise<TaskReport> {
    const found = () => this.of(arn).find(pred);
    const hit = found();
    if (hit) return hit;
    return new Promise((resolve, reject) => {
      const check = () => {
        const r = found();
        if (!r) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        // Say what Docker thinks too, so that a failure tells engine from runtime.
        void containersOf(arn)
          .then((cs) => Promise.all(cs.map((c) => runtime.inspectContainer(c.id))))
          .catch((e: unknown) => [String(e)])
          .then((docker) => reject(new Error(`timed out waiting for ${what}; last report: ${JSON.stringify(this.last(arn))}; Docker: ${JSON.stringify(docker)}`)));
      }, ms);
      this.#waiters.add(check);
    });
  }

  status(arn: string, status: TaskStatus, ms?: number): Promise<TaskReport> {
    return this.until(arn, (r) => r.status === status, status, ms);
  }
}

const testLog = process.env.BERTH_TEST_LOG ? pino({ level: process.env.BERTH_TEST_LOG }, pino.destination(2)) : undefined;

function engine(reports: Reports, more: Partial<TaskEngineOptions> = {}): TaskEngine {
  const stateDir = more.stateDir ?? mkdtempSync(join(tmpdir(), 'berth-engine-'));
  if (!more.stateDir) dirs.push(stateDir);
  const e = new TaskEngine({
    runtime,
    hostAddress: '127.0.0.1',
    clusterName: 'berth-test',
    imagePullBehavior: 'prefer-cached',
    cleanupDelayMs: 60_000,
    stateDir,
    report: reports.push,
    labels: { [TEST_LABEL]: RUN },
    log: testLog,
    ...more,
  });
  engines.push(e);
  return e;
}

let revision = 0;
function assignment(containers: ContainerDefinition[], more: Partial<TaskDefinition> = {}, extra: Partial<TaskAssignment> = {}): TaskAssignment {
  return {
    taskArn: `arn:aws:ecs:us-east-1:000000000000:task/berth-test/${randomBytes(16).toString('hex')}`,
    clusterArn: CLUSTER_ARN,
    containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/berth-test/test',
    version: 1,
    desiredStatus: 'RUNNING',
    launchType: 'EC2',
    taskDefinition: { family: `engine-test`, revision: ++revision, containerDefinitions: containers, ...more },
    overrides: {},
    createdAt: Date.now(),
    ...extra,
  };
}

const stopped = (a: TaskAssignment, reason = 'Task stopped by the test'): TaskAssignment => ({
  ...a,
  version: a.version + 1,
  desiredStatus: 'STOPPED',
  stopCode: 'UserInitiated',
  stoppedReason: reason,
});

/** An httpd that answers GET / with `body`. */
function httpd(name: string, body: string, more: Partial<ContainerDefinition> = {}): ContainerDefinition {
  return {
    name,
    image,
    memory: 32,
    command: ['sh', '-c', `mkdir -p /tmp/www && echo ${body} > /tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www`],
    portMappings: [{ containerPort: 80 }],
    linuxParameters: { initProcessEnabled: true },
    ...more,
  };
}

function sleeper(name: string, more: Partial<ContainerDefinition> = {}): ContainerDefinition {
  return { name, image, memory: 32, command: ['sleep', '1000'], linuxParameters: { initProcessEnabled: true }, ...more };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** GET, retrying briefly: a published port can take a moment to answer after the container starts. */
async function getEventually(url: string): Promise<{ status: number; body: string }> {
  let last: unknown;
  for (let i = 0; i < 40; i++) {
    try {
      return await get(url);
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw last;
}

function assertMonotonic(reports: TaskReport[]): void {
  const ranks = reports.map((r) => TASK_STATUSES.indexOf(r.status));
  for (let i = 1; i < ranks.length; i++) assert.ok(ranks[i]! >= ranks[i - 1]!, `status went back: ${reports.map((r) => r.status).join(' → ')}`);
}

const statuses = (reports: TaskReport[]) => [...new Set(reports.map((r) => r.status))];

async function containersOf(taskArn: string) {
  return runtime.listContainers({ [ECS_LABELS.taskArn]: taskArn });
}

// ---------------------------------------------------------------- tests

test('bridge: httpd with a dynamic host port runs, answers on 127.0.0.1, stops, and is cleaned up', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports, { imagePullBehavior: 'default', cleanupDelayMs: 500 });
  const a = assignment([httpd('web', 'hello-bridge')]);
  e.apply(a);
  const running = await reports.status(a.taskArn, 'RUNNING');
  const web = running.containers[0]!;
  assert.equal(web.status, 'RUNNING');
  assert.ok(web.runtimeId);
  const binding = web.networkBindings?.[0];
  assert.ok(binding, 'no network binding reported');
  assert.equal(binding.bindIP, '127.0.0.1');
  assert.equal(binding.containerPort, 80);
  assert.equal(binding.protocol, 'tcp');
  assert.ok(binding.hostPort! >= 32768 && binding.hostPort! <= 61000, `host port ${binding.hostPort} outside the ephemeral range`);
  const res = await getEventually(`http://127.0.0.1:${binding.hostPort}/`);
  assert.equal(res.status, 200);
  assert.equal(res.body.trim(), 'hello-bridge');
  // The image is local only: the default pull behaviour tried the registry, failed, and used the cached image.
  assert.ok(running.pullStartedAt && running.pullStoppedAt && running.pullStoppedAt >= running.pullStartedAt);
  const info = await runtime.inspectContainer(web.runtimeId!);
  assert.match(info!.name, /^ecs-engine-test-\d+-web-[0-9a-f]{20}$/);
  assert.equal(info!.labels[ECS_LABELS.taskArn], a.taskArn);
  assert.equal(info!.labels[ECS_LABELS.cluster], 'berth-test');

  e.apply(stopped(a));
  const done = await reports.status(a.taskArn, 'STOPPED');
  assert.equal(done.containers[0]!.status, 'STOPPED');
  assert.equal(done.stopCode, undefined, 'a stop asked for by the control plane is not the task stopping on its own');
  assertMonotonic(reports.of(a.taskArn));
  assert.deepEqual(statuses(reports.of(a.taskArn)), ['PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'STOPPED']);
  // After the cleanup delay the container is gone, and the engine forgets the task.
  for (let i = 0; i < 50 && (await containersOf(a.taskArn)).length; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await containersOf(a.taskArn)).length, 0, 'the stopped container was not removed');
  for (let i = 0; i < 50 && e.task(a.taskArn); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(e.task(a.taskArn), undefined, 'the engine still holds the cleaned-up task');
});

test('an essential container exiting 3 stops the task: EssentialContainerExited; other containers are stopped', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports);
  const a = assignment([
    { name: 'app', image, memory: 32, command: ['sh', '-c', 'sleep 1.5; exit 3'] },
    sleeper('side', { essential: false }),
    { name: 'job', image, memory: 16, essential: false, command: ['sh', '-c', 'exit 5'] },
  ]);
  e.apply(a);
  const done = await reports.status(a.taskArn, 'STOPPED');
  const byName = Object.fromEntries(done.containers.map((c) => [c.containerName, c]));
  assert.equal(done.stopCode, 'EssentialContainerExited');
  assert.equal(done.reason, ESSENTIAL_CONTAINER_EXITED);
  assert.equal(byName.app!.exitCode, 3);
  assert.equal(byName.app!.status, 'STOPPED');
  assert.equal(byName.job!.exitCode, 5, 'a non-essential exit records its code');
  assert.equal(byName.side!.status, 'STOPPED');
  assert.equal(byName.side!.exitCode, 143, 'the sidecar was stopped with SIGTERM');
  assert.ok(done.executionStoppedAt);
  // The non-essential job's exit alone did not stop the task: it ran until app exited.
  assert.ok(reports.of(a.taskArn).some((r) => r.status === 'RUNNING'), 'the task never reached RUNNING');
  assertMonotonic(reports.of(a.taskArn));
});

test('an essential container killed for its memory stops the task with OutOfMemoryError', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports);
  const a = assignment([{ name: 'hog', image, memory: 8, command: ['sh', '-c', 'x=$(head -c 50000000 /dev/zero | tr "\\0" a); echo survived'] }]);
  e.apply(a);
  const done = await reports.status(a.taskArn, 'STOPPED');
  assert.equal(done.containers[0]!.exitCode, 137);
  assert.equal(done.containers[0]!.reason, OUT_OF_MEMORY);
  assert.equal(done.stopCode, 'EssentialContainerExited');
});

test('dependsOn: a sidecar that must COMPLETE and a database that must be HEALTHY start first; stop goes in reverse', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports);
  const a = assignment([
    { name: 'migrate', image, memory: 16, essential: false, command: ['sleep', '1'] },
    sleeper('db', { healthCheck: { command: ['CMD-SHELL', 'true'], interval: 1, timeout: 2, retries: 1 } }),
    sleeper('app', {
      dependsOn: [
        { containerName: 'migrate', condition: 'COMPLETE' },
        { containerName: 'db', condition: 'HEALTHY' },
      ],
    }),
  ]);
  e.apply(a);
  const running = await reports.status(a.taskArn, 'RUNNING');
  const list = reports.of(a.taskArn);
  const firstAppRunning = list.findIndex((r) => r.containers.find((c) => c.containerName === 'app')?.status === 'RUNNING');
  const firstDbHealthy = list.findIndex((r) => r.containers.find((c) => c.containerName === 'db')?.healthStatus === 'HEALTHY');
  const firstMigrateDone = list.findIndex((r) => r.containers.find((c) => c.containerName === 'migrate')?.status === 'STOPPED');
  assert.ok(firstDbHealthy >= 0 && firstDbHealthy < firstAppRunning, 'app ran before db was HEALTHY');
  assert.ok(firstMigrateDone >= 0 && firstMigrateDone < firstAppRunning, 'app ran before migrate completed');
  assert.equal(running.containers.find((c) => c.containerName === 'migrate')!.exitCode, 0);
  assert.equal(running.healthStatus, 'HEALTHY');
  const id = (n: string) => running.containers.find((c) => c.containerName === n)!.runtimeId!;
  const [migrate, db, app] = await Promise.all(['migrate', 'db', 'app'].map((n) => runtime.inspectContainer(id(n))));
  assert.ok(app!.startedAt! >= migrate!.finishedAt!, 'Docker started app before migrate finished');
  assert.ok(app!.startedAt! > db!.startedAt!);

  e.apply(stopped(a));
  await reports.status(a.taskArn, 'STOPPED');
  const [db2, app2] = await Promise.all(['db', 'app'].map((n) => runtime.inspectContainer(id(n))));
  assert.ok(app2!.finishedAt! <= db2!.finishedAt!, 'db stopped before app, which depends on it');
  assertMonotonic(reports.of(a.taskArn));
});

test('startTimeout: a dependency that is not HEALTHY within its startTimeout fails the task to start', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports);
  const a = assignment([
    sleeper('db', { startTimeout: 2, healthCheck: { command: ['CMD-SHELL', 'exit 1'], interval: 1, timeout: 2, retries: 1 } }),
    sleeper('app', { dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] }),
  ]);
  e.apply(a);
  const done = await reports.status(a.taskArn, 'STOPPED');
  const app = done.containers.find((c) => c.containerName === 'app')!;
  const db = done.containers.find((c) => c.containerName === 'db')!;
  assert.equal(done.stopCode, 'TaskFailedToStart');
  assert.equal(app.reason, 'CannotStartContainerError: dependency graph: container ordering dependency [db] for target [app] has timed out.');
  assert.equal(done.reason, app.reason);
  assert.equal(app.exitCode, 143);
  assert.equal(app.runtimeId, undefined, 'app was created although its dependency never became healthy');
  const started = (await runtime.inspectContainer(db.runtimeId!))!.startedAt!;
  assert.ok(done.executionStoppedAt! - started >= 1900, 'gave up before the startTimeout');
});

test('healthCheck: HEALTHY and UNHEALTHY containers; the task is UNHEALTHY', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports);
  const check = (cmd: string) => ({ command: ['CMD-SHELL', cmd], interval: 1, timeout: 2, retries: 1 });
  const a = assignment([sleeper('good', { healthCheck: check('true') }), sleeper('bad', { healthCheck: check('exit 1') }), sleeper('plain')]);
  e.apply(a);
  const r = await reports.until(
    a.taskArn,
    (x) => x.containers.find((c) => c.containerName === 'good')?.healthStatus === 'HEALTHY' && x.containers.find((c) => c.containerName === 'bad')?.healthStatus === 'UNHEALTHY',
    'one HEALTHY and one UNHEALTHY container',
  );
  assert.equal(r.healthStatus, 'UNHEALTHY');
  assert.equal(r.containers.find((c) => c.containerName === 'plain')!.healthStatus, 'UNKNOWN');
  assert.equal(r.status, 'RUNNING', 'an unhealthy container does not stop the task by itself');
  e.apply(stopped(a));
  await reports.status(a.taskArn, 'STOPPED');
});

test('stop: SIGTERM, then SIGKILL after the container\'s stopTimeout (2 s)', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports);
  const a = assignment([{ name: 'stubborn', image, memory: 16, stopTimeout: 2, command: ['sh', '-c', "trap '' TERM; sleep 1000"] }]);
  e.apply(a);
  await reports.status(a.taskArn, 'RUNNING');
  await new Promise((r) => setTimeout(r, 200)); // let the shell install its trap
  const t0 = Date.now();
  e.apply(stopped(a));
  const done = await reports.status(a.taskArn, 'STOPPED');
  const took = Date.now() - t0;
  assert.ok(took >= 1800 && took < 8000, `stopping took ${took} ms; expected about 2 s`);
  assert.equal(done.containers[0]!.exitCode, 137, 'the container was not killed with SIGKILL');
});

test('awsvpc: two tasks both listening on port 80 answer on their own 127.x.y.z addresses', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports);
  const net = `127.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}`;
  const tasks = ['one', 'two'].map((who, i) =>
    assignment([httpd('web', `hello-${who}`)], { networkMode: 'awsvpc' }, { privateIPv4Address: `${net}.${i + 2}`, attachmentId: randomBytes(8).toString('hex') }),
  );
  for (const t of tasks) e.apply(t);
  const running = await Promise.all(tasks.map((t) => reports.status(t.taskArn, 'RUNNING')));
  for (const [i, t] of tasks.entries()) {
    const res = await getEventually(`http://${t.privateIPv4Address}:80/`);
    assert.equal(res.status, 200);
    assert.equal(res.body.trim(), `hello-${i === 0 ? 'one' : 'two'}`);
    const r = running[i]!;
    assert.deepEqual(r.containers[0]!.networkBindings, [{ bindIP: t.privateIPv4Address, containerPort: 80, hostPort: 80, protocol: 'tcp' }]);
    assert.deepEqual(r.attachments, [
      { id: t.attachmentId, type: 'ElasticNetworkInterface', status: 'ATTACHED', details: [{ name: 'privateIPv4Address', value: t.privateIPv4Address }] },
    ]);
    assert.equal(r.containers.length, 1, 'the namespace holder is not reported as a container');
    assert.equal(statuses(reports.of(t.taskArn))[0], 'PROVISIONING');
  }
  for (const t of tasks) e.apply(stopped(t));
  for (const t of tasks) {
    const done = await reports.status(t.taskArn, 'STOPPED');
    assert.equal(done.attachments?.[0]?.status, 'DETACHED');
    assert.ok(statuses(reports.of(t.taskArn)).includes('DEPROVISIONING'));
    assertMonotonic(reports.of(t.taskArn));
  }
});

test('restart: a new engine adopts the running task without a duplicate; vanished containers stop the task with a reason', { skip }, async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'berth-engine-'));
  dirs.push(stateDir);
  const first = new Reports();
  const e1 = engine(first, { stateDir });
  const a = assignment([sleeper('app')]);
  const other = assignment([sleeper('app')]);
  e1.apply(a);
  e1.apply(other);
  const running = await first.status(a.taskArn, 'RUNNING');
  await first.status(other.taskArn, 'RUNNING');
  const runtimeId = running.containers[0]!.runtimeId;
  await e1.close(); // the agent goes away; its containers stay

  const second = new Reports();
  const e2 = engine(second, { stateDir });
  await e2.adopt();
  const adopted = second.last(a.taskArn);
  assert.equal(adopted?.status, 'RUNNING', 'the adopted task is not RUNNING');
  assert.equal(adopted.containers[0]!.runtimeId, runtimeId);
  e2.apply(a); // the control plane repeats the assignment after reconnecting
  e2.reconcile([a, other]);
  await new Promise((r) => setTimeout(r, 1000));
  const containers = await containersOf(a.taskArn);
  assert.equal(containers.length, 1, `expected one container, found ${containers.length}`);
  assert.equal(containers[0]!.id, runtimeId);
  assert.equal(containers[0]!.state, 'running');
  await e2.close();

  // While no agent runs, somebody removes the other task's container.
  await runtime.removeContainer((await containersOf(other.taskArn))[0]!.id);
  const third = new Reports();
  const e3 = engine(third, { stateDir });
  await e3.adopt();
  const gone = await third.status(other.taskArn, 'STOPPED');
  assert.equal(gone.containers[0]!.reason, CONTAINER_VANISHED);
  assert.equal(gone.reason, CONTAINER_VANISHED);
  assert.equal(third.last(a.taskArn)?.status, 'RUNNING');
  // A full desired state without the task stops it.
  e3.reconcile([]);
  const unlisted = await third.status(a.taskArn, 'STOPPED');
  assert.equal(unlisted.reason, UNLISTED_TASK_REASON);
});

test('bridge links, task and shared volumes, volumesFrom, and pid/ipc namespaces shared through the holder', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports, { cleanupDelayMs: 300 });
  const shared = `berth-test-shared-${RUN}`;
  const check = [
    'for i in $(seq 50); do',
    '  grep -q srv /etc/hosts && [ "$(cat /data/x 2>/dev/null)" = hi ] && ps | grep -q "[s]leep 1000" && echo ok > /shared/seen && exit 0;',
    '  sleep 0.1;',
    'done; exit 1',
  ].join(' ');
  const a = assignment(
    [
      sleeper('writer', { command: ['sh', '-c', 'echo hi > /data/x; exec sleep 1000'], mountPoints: [{ sourceVolume: 'data', containerPath: '/data' }] }),
      {
        name: 'checker',
        image,
        memory: 16,
        essential: false,
        command: ['sh', '-c', check],
        links: ['writer:srv'],
        volumesFrom: [{ sourceContainer: 'writer', readOnly: true }],
        mountPoints: [{ sourceVolume: shared, containerPath: '/shared' }],
      },
    ],
    {
      pidMode: 'task',
      ipcMode: 'task',
      volumes: [{ name: 'data' }, { name: shared, dockerVolumeConfiguration: { scope: 'shared', autoprovision: true, labels: { [TEST_LABEL]: RUN } } }],
    },
  );
  e.apply(a);
  const r = await reports.until(a.taskArn, (x) => x.containers.find((c) => c.containerName === 'checker')?.status === 'STOPPED', 'the checker to finish');
  assert.equal(r.containers.find((c) => c.containerName === 'checker')!.exitCode, 0, 'the checker did not see the link, the volume or the shared pid namespace');
  const volumes = async () => ((await runtime.docker.listVolumes({ filters: { label: [`${ECS_LABELS.taskArn}=${a.taskArn}`] } })).Volumes ?? []).map((v) => v.Name);
  assert.equal((await volumes()).length, 1, 'the task-scoped volume was not created');
  e.apply(stopped(a));
  await reports.status(a.taskArn, 'STOPPED');
  for (let i = 0; i < 50 && (await volumes()).length; i++) await new Promise((res) => setTimeout(res, 100));
  assert.deepEqual(await volumes(), [], 'the task-scoped volume outlived the task');
  assert.ok(await runtime.inspectVolume(shared), 'the shared volume did not outlive the task');
});

test('lost state: an engine with an empty state directory adopts the containers of an assignment instead of duplicating them', { skip }, async () => {
  const first = new Reports();
  const e1 = engine(first);
  const a = assignment([sleeper('app')]);
  e1.apply(a);
  const runtimeId = (await first.status(a.taskArn, 'RUNNING')).containers[0]!.runtimeId;
  await e1.close();
  const second = new Reports();
  const e2 = engine(second);
  await e2.adopt();
  e2.reconcile([a]);
  const r = await second.status(a.taskArn, 'RUNNING');
  assert.equal(r.containers[0]!.runtimeId, runtimeId);
  assert.equal((await containersOf(a.taskArn)).length, 1);
  e2.apply(stopped(a));
  await second.status(a.taskArn, 'STOPPED');
});

test('failures to start: the pull, Docker\'s create, and what berth cannot apply, each with ECS\'s reason', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports, { imagePullBehavior: 'default' });
  const pull = assignment([{ name: 'app', image: `berth-test/no-such-image-${RUN}:1`, memory: 16 }]);
  const create = assignment([{ name: 'app', image, memory: 4, command: ['true'] }]);
  const config = assignment([{ name: 'app', image, memory: 16, logConfiguration: { logDriver: 'awslogs', options: {} } }]);
  for (const t of [pull, create, config]) e.apply(t);
  const [p, c, k] = await Promise.all([pull, create, config].map((t) => reports.status(t.taskArn, 'STOPPED')));
  assert.equal(p!.stopCode, 'TaskFailedToStart');
  assert.match(p!.reason ?? '', /^CannotPullContainerError: /);
  assert.equal(p!.containers[0]!.reason, p!.reason);
  assert.equal(c!.stopCode, 'TaskFailedToStart');
  assert.match(c!.reason ?? '', /^CannotCreateContainerError: Error response from daemon: .*[Mm]inimum memory/);
  assert.equal(k!.stopCode, 'TaskFailedToStart');
  assert.match(k!.reason ?? '', /awslogs log driver needs CloudWatch Logs/);
  assert.equal((await containersOf(config.taskArn)).length, 0);
});
