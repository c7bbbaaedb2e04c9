import type { ContainerDefinition, TaskDefinition } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RESPONDER_LABEL } from '../../src/agent/metadata/responder.js';
import type { TaskAssignment, TaskReport, TaskStatus } from '../../src/agent/protocol.js';
import { openDocker, RUN, TEST_LABEL, testImage } from './docker-fixture.js';
import { TaskEngine, type TaskEngineOptions } from '../../src/agent/task-engine.js';

// The task metadata endpoint with the real Docker engine: containers of each
// network mode ask ECS_CONTAINER_METADATA_URI_V4 from inside (busybox wget,
// to 127.0.0.1 in their own network namespace, or the agent's own loopback
// port for host mode) and keep the answers in files the test reads with
// `docker exec`. Everything created carries berth.test.run=<run id> and is
// removed at the end.

const { runtime, skip } = await openDocker();
const engines: TaskEngine[] = [];
const dirs: string[] = [];
let image = '';

before(async () => {
  if (!skip) image = await testImage(runtime);
});

after(async () => {
  for (const e of engines) await e.close();
  if (!skip) for (const c of await runtime.listContainers({ [TEST_LABEL]: RUN })) await runtime.removeContainer(c.id);
  await runtime.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

class Reports {
  readonly byTask = new Map<string, TaskReport[]>();
  readonly #waiters = new Set<() => void>();
  push = (r: TaskReport): void => {
    this.byTask.set(r.taskArn, [...(this.byTask.get(r.taskArn) ?? []), r]);
    for (const w of this.#waiters) w();
  };
  status(arn: string, status: TaskStatus, ms = 20_000): Promise<TaskReport> {
    const found = () => this.byTask.get(arn)?.find((r) => r.status === status);
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
        reject(new Error(`timed out waiting for ${status}; last: ${JSON.stringify(this.byTask.get(arn)?.at(-1))}`));
      }, ms);
      this.#waiters.add(check);
      check();
    });
  }
}

function engine(reports: Reports, more: Partial<TaskEngineOptions> = {}): TaskEngine {
  const stateDir = more.stateDir ?? mkdtempSync(join(tmpdir(), 'berth-metadata-'));
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
    availabilityZone: 'us-east-1c',
    metadataStatsIntervalMs: 300,
    ...more,
  });
  engines.push(e);
  return e;
}

function assignment(containers: ContainerDefinition[], more: Partial<TaskDefinition> = {}, extra: Partial<TaskAssignment> = {}): TaskAssignment {
  return {
    taskArn: `arn:aws:ecs:us-east-1:000000000000:task/berth-test/${randomBytes(16).toString('hex')}`,
    clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/berth-test',
    containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/berth-test/test',
    version: 1,
    desiredStatus: 'RUNNING',
    launchType: 'EC2',
    taskDefinition: { family: 'metadata-test', revision: 4, containerDefinitions: containers, ...more },
    overrides: {},
    createdAt: Date.now(),
    ...extra,
  };
}

const stopped = (a: TaskAssignment): TaskAssignment => ({ ...a, version: a.version + 1, desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'test' });

/** A shell loop that asks `url` until it answers (the endpoint may lag the container's start by a moment), keeping the answer in `file`. */
const fetchInto = (url: string, file: string) => `for i in $(seq 100); do wget -qO ${file}.part "${url}" && mv ${file}.part ${file} && break; sleep 0.1; done;`;

/** An app that reads its metadata from inside, then sleeps. */
function reader(name: string, more: Partial<ContainerDefinition> = {}): ContainerDefinition {
  const script = [
    // Once, at once: where the endpoint is up before the container starts, this answers.
    'wget -qO /tmp/first.json "$ECS_CONTAINER_METADATA_URI_V4/task";',
    fetchInto('$ECS_CONTAINER_METADATA_URI_V4', '/tmp/container.json'),
    fetchInto('$ECS_CONTAINER_METADATA_URI_V4/task', '/tmp/task.json'),
    fetchInto('$ECS_CONTAINER_METADATA_URI_V4/stats', '/tmp/stats.json'),
    fetchInto('$ECS_CONTAINER_METADATA_URI_V4/task/stats', '/tmp/task-stats.json'),
    fetchInto('$ECS_CONTAINER_METADATA_URI/task', '/tmp/task-v3.json'),
    'wget -qO- "${ECS_CONTAINER_METADATA_URI_V4%/*}/ecs-no-such-container/task" 2> /tmp/unknown.txt;',
    'touch /tmp/done; exec sleep 1000',
  ].join(' ');
  return { name, image, memory: 32, command: ['sh', '-c', script], linuxParameters: { initProcessEnabled: true }, ...more };
}

/** Waits until the container wrote /tmp/done; returns what it fetched. */
async function fetched(id: string): Promise<Record<string, any>> {
  for (let i = 0; i < 150 && spawnSync('docker', ['exec', id, 'test', '-f', '/tmp/done']).status !== 0; i++) await new Promise((r) => setTimeout(r, 100));
  const cat = (f: string) => spawnSync('docker', ['exec', id, 'cat', f], { encoding: 'utf8' }).stdout;
  const json = (f: string) => {
    const text = cat(f);
    assert.ok(text, `${f} is empty: the container got no answer`);
    return JSON.parse(text);
  };
  return {
    container: json('/tmp/container.json'),
    task: json('/tmp/task.json'),
    stats: json('/tmp/stats.json'),
    taskStats: json('/tmp/task-stats.json'),
    taskV3: json('/tmp/task-v3.json'),
    unknown: cat('/tmp/unknown.txt'),
    first: cat('/tmp/first.json'),
    env: cat('/proc/1/environ').split('\0'),
  };
}

async function until<T>(what: string, get: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const responders = (arn: string) => runtime.listContainers({ [RESPONDER_LABEL]: arn });

test('bridge: a responder in the container’s own namespace answers v4 and v3, 404 for an unknown key; it goes with the container, the files with the task', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports, { cleanupDelayMs: 500 });
  const a = assignment([reader('app', { portMappings: [{ containerPort: 80 }] })], {}, { group: 'service:shop' });
  e.apply(a);
  const run = await reports.status(a.taskArn, 'RUNNING');
  const app = run.containers[0]!;
  const got = await fetched(app.runtimeId!);
  const info = (await runtime.inspectContainer(app.runtimeId!))!;

  assert.ok(got.env.includes(`ECS_CONTAINER_METADATA_URI_V4=http://127.0.0.1:51679/cgi-bin/v4/${info.name}`), got.env.join(' '));
  assert.ok(got.env.includes(`ECS_CONTAINER_METADATA_URI=http://127.0.0.1:51679/cgi-bin/v3/${info.name}`));
  assert.equal(got.container.DockerId, app.runtimeId);
  assert.equal(got.container.Name, 'app');
  assert.equal(got.container.DockerName, info.name);
  assert.equal(got.container.ImageID, info.imageId);
  assert.equal(got.container.Type, 'NORMAL');
  assert.deepEqual(got.container.Limits, { CPU: 2, Memory: 32 });
  assert.equal(got.container.Networks[0].NetworkMode, 'bridge');
  assert.match(got.container.Networks[0].IPv4Addresses[0], /^\d+\.\d+\.\d+\.\d+$/);
  assert.deepEqual(got.container.Ports, [{ ContainerPort: 80, Protocol: 'tcp', HostPort: app.networkBindings![0]!.hostPort, HostIp: '127.0.0.1' }]);
  assert.equal(got.task.TaskARN, a.taskArn);
  assert.equal(got.task.Cluster, 'berth-test');
  assert.equal(got.task.Family, 'metadata-test');
  assert.equal(got.task.Revision, '4');
  assert.equal(got.task.AvailabilityZone, 'us-east-1c');
  assert.equal(got.task.LaunchType, 'EC2');
  assert.equal(got.task.ServiceName, 'shop');
  assert.deepEqual(got.task.Containers.map((c: { Name: string }) => c.Name), ['app']);
  assert.ok(got.stats.read && got.stats.cpu_stats && got.stats.memory_stats, 'Docker stats');
  assert.deepEqual(Object.keys(got.taskStats), [app.runtimeId]);
  assert.equal(got.taskV3.TaskARN, a.taskArn);
  assert.equal(got.taskV3.LaunchType, undefined, 'v3 has no LaunchType');
  assert.match(got.unknown, /404 Not Found/);

  const [responder] = await responders(a.taskArn);
  assert.ok(responder, 'no responder');
  assert.equal(responder.state, 'running');
  assert.equal(run.containers.length, 1, 'the responder is no task container');

  e.apply(stopped(a));
  await reports.status(a.taskArn, 'STOPPED');
  // The kernel ends the responder with the app's pid namespace; Docker removes it.
  await until('the responder to go', async () => ((await responders(a.taskArn)).length ? undefined : true));
  const dir = join(dirs.at(-1)!, 'metadata', a.taskArn.split('/').pop()!);
  await until('the task’s metadata to be cleaned up', () => (existsSync(dir) ? undefined : true));
});

test('awsvpc: the holder answers from the moment the app starts; stats carry the task’s network and its rates', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports);
  const address = `127.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 200)}`;
  const a = assignment([reader('app', { portMappings: [{ containerPort: 8080 }] })], { networkMode: 'awsvpc', cpu: '256', memory: '64' }, { privateIPv4Address: address, cpu: '256', memory: '64' });
  e.apply(a);
  const app = (await reports.status(a.taskArn, 'RUNNING')).containers[0]!;
  const got = await fetched(app.runtimeId!);
  assert.equal(JSON.parse(got.first).TaskARN, a.taskArn, 'the first request, made as the app started, was not answered');
  assert.equal(got.task.TaskARN, a.taskArn);
  assert.deepEqual(got.task.Limits, { CPU: 0.25, Memory: 64 });
  assert.deepEqual(
    got.task.Containers.map((c: { Name: string; Type: string }) => [c.Name, c.Type]),
    [
      ['~internal~ecs~pause', 'CNI_PAUSE'],
      ['app', 'NORMAL'],
    ],
  );
  assert.deepEqual(got.container.Networks, [{ NetworkMode: 'awsvpc', IPv4Addresses: [address], AttachmentIndex: 0, IPv4SubnetCIDRBlock: '127.0.0.0/8' }]);
  assert.deepEqual((await responders(a.taskArn)).length, 0, 'the holder is the responder');
  const url = (path: string) => `http://127.0.0.1:51679/cgi-bin/v4/${got.container.DockerName}${path}`;
  // Ports show once the container runs (as its networkBindings do); the first answers came as it started.
  const now = JSON.parse(spawnSync('docker', ['exec', app.runtimeId!, 'wget', '-qO-', url('')], { encoding: 'utf8' }).stdout);
  assert.equal(now.KnownStatus, 'RUNNING');
  assert.deepEqual(now.Ports, [{ ContainerPort: 8080, Protocol: 'tcp', HostPort: 8080, HostIp: address }]);
  assert.equal(app.networkBindings?.[0]?.bindIP, address);
  // After two samples, the stats of the app show the task's network (the holder's) and its rates.
  const stats = await until('network rates', () => {
    const r = spawnSync('docker', ['exec', app.runtimeId!, 'wget', '-qO-', url('/stats')], { encoding: 'utf8' });
    const s = r.status === 0 ? JSON.parse(r.stdout) : undefined;
    return s?.network_rate_stats ? s : undefined;
  });
  assert.ok(stats.networks && Object.keys(stats.networks).length, 'the task network is in the stats');
  assert.equal(typeof stats.network_rate_stats.rx_bytes_per_sec, 'number');
  assert.notEqual(stats.preread, '0001-01-01T00:00:00Z', 'precpu comes from the previous sample');
  const v3 = JSON.parse(spawnSync('docker', ['exec', app.runtimeId!, 'wget', '-qO-', url('/stats').replace('/v4/', '/v3/')], { encoding: 'utf8' }).stdout);
  assert.equal(v3.network_rate_stats, undefined);
  e.apply(stopped(a));
  await reports.status(a.taskArn, 'STOPPED');
});

test('bridge with pidMode task: the responder joins the app’s network and the task’s pid namespace', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports);
  const a = assignment([reader('app')], { pidMode: 'task' });
  e.apply(a);
  const app = (await reports.status(a.taskArn, 'RUNNING')).containers[0]!;
  const got = await fetched(app.runtimeId!);
  assert.equal(got.task.TaskARN, a.taskArn);
  assert.deepEqual(
    got.task.Containers.map((c: { Name: string; Type: string }) => [c.Name, c.Type]),
    [
      ['~internal~ecs~pause', 'NAMESPACE_PAUSE'],
      ['app', 'NORMAL'],
    ],
  );
  e.apply(stopped(a));
  await reports.status(a.taskArn, 'STOPPED');
  await until('the responder to go with the holder’s pid namespace', async () => ((await responders(a.taskArn)).length ? undefined : true));
});

test('host: the agent answers on its own loopback port, which a restarted engine keeps', { skip }, async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'berth-metadata-'));
  dirs.push(stateDir);
  const reports = new Reports();
  const e1 = engine(reports, { stateDir });
  const a = assignment([reader('app')], { networkMode: 'host' });
  e1.apply(a);
  const app = (await reports.status(a.taskArn, 'RUNNING')).containers[0]!;
  const got = await fetched(app.runtimeId!);
  const uri = got.env.find((v: string) => v.startsWith('ECS_CONTAINER_METADATA_URI_V4='))!.split('=')[1]!;
  const m = /^http:\/\/127\.0\.0\.1:(\d+)\/v4\/(ecs-[A-Za-z0-9-]+)$/.exec(uri);
  assert.ok(m, uri);
  assert.equal(JSON.parse(got.first).TaskARN, a.taskArn, 'the first request, made as the app started, was not answered');
  assert.equal(got.task.TaskARN, a.taskArn);
  assert.deepEqual(got.container.Networks, [{ NetworkMode: 'host' }]);
  assert.ok(got.stats.cpu_stats);
  assert.match(got.unknown, /404 Not Found/);
  const fetchJson = async (u: string) => {
    const r = await fetch(u);
    assert.equal(r.headers.get('content-type'), 'application/json');
    return { status: r.status, body: (await r.json()) as any };
  };
  assert.equal((await fetchJson(`${uri}/task`)).body.TaskARN, a.taskArn);
  assert.equal((await fetchJson(`${uri}/nope`)).status, 404);
  await e1.close();
  const e2 = engine(new Reports(), { stateDir });
  await e2.adopt();
  const again = await until('the restarted engine to answer', async () => {
    const r = await fetch(`${uri}/task`).catch(() => undefined);
    return r?.status === 200 ? ((await r.json()) as { TaskARN: string }) : undefined;
  });
  assert.equal(again.TaskARN, a.taskArn);
  e2.apply(stopped(a));
});

test('none: no endpoint, no environment', { skip }, async () => {
  const reports = new Reports();
  const e = engine(reports);
  const a = assignment([{ name: 'app', image, memory: 16, command: ['sleep', '1000'], linuxParameters: { initProcessEnabled: true } }], { networkMode: 'none' });
  e.apply(a);
  const app = (await reports.status(a.taskArn, 'RUNNING')).containers[0]!;
  const env = spawnSync('docker', ['exec', app.runtimeId!, 'cat', '/proc/1/environ'], { encoding: 'utf8' }).stdout;
  assert.doesNotMatch(env, /ECS_CONTAINER_METADATA_URI/);
  e.apply(stopped(a));
  await reports.status(a.taskArn, 'STOPPED');
});
