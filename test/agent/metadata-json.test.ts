import type { ContainerDefinition, TaskDefinition } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { HOLDER_CONTAINER_NAME, holderSpec, needsNamespaceHolder, type ConfigContext } from '../../src/agent/container-config.js';
import { containerFile, metadataEnvironment, requestFile, RESPONDER_BASE_URI } from '../../src/agent/metadata/layout.js';
import { cgiScript, HOLDER_RESPONDER_COMMAND, helperImageEntries, helperImageRef, responderSpec } from '../../src/agent/metadata/responder.js';
import { agentTaskStatus, containerMetadata, statsResponse, taskMetadata, v3Stats, type MetadataContext } from '../../src/agent/metadata/task-json.js';
import type { TaskAssignment } from '../../src/agent/protocol.js';
import { findStaticBusybox } from '../../src/agent/runtime/scratch-image.js';
import { newTaskRecord, type TaskRecord } from '../../src/agent/task-record.js';

// The task metadata endpoint's pure parts: the JSON of containers, tasks and
// stats in AWS's v4/v3 shapes, the request → file table, the CGI script that
// follows the same table (run here with the host's busybox sh), and the
// create bodies of the responder and the holder.

const TASK_ARN = 'arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef';
const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:000000000000:cluster/default';
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function assignment(containers: ContainerDefinition[], more: Partial<TaskDefinition> = {}, extra: Partial<TaskAssignment> = {}): TaskAssignment {
  return {
    taskArn: TASK_ARN,
    clusterArn: CLUSTER_ARN,
    containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/default/ci',
    version: 1,
    desiredStatus: 'RUNNING',
    launchType: 'EC2',
    taskDefinition: { family: 'web', revision: 7, containerDefinitions: containers, ...more },
    overrides: {},
    createdAt: 0,
    ...extra,
  };
}

const T0 = Date.parse('2026-01-02T03:04:05.000Z');

/** A record as the actor has it once every container runs. */
function running(a: TaskAssignment): TaskRecord {
  const rec = newTaskRecord(a, { defaultStopTimeoutSeconds: 30 });
  rec.status = 'RUNNING';
  rec.pullStartedAt = T0;
  rec.pullStoppedAt = T0 + 1000;
  rec.containers.forEach((c, i) => {
    c.runtimeId = `${i}`.repeat(64);
    c.known = c.holder ? 'RESOURCES_PROVISIONED' : 'RUNNING';
    c.startedAt = T0 + 2000;
  });
  return rec;
}

const ctx = (version: 'v3' | 'v4', more: Partial<MetadataContext> = {}): MetadataContext => ({
  version,
  availabilityZone: 'us-east-1b',
  hostAddress: '127.0.0.1',
  holderImage: 'berth/task-helper:abc',
  details: {},
  ...more,
});

test('a bridge container in v4: every field AWS documents that berth knows, in its shape', () => {
  const a = assignment([
    {
      name: 'web',
      image: 'registry.example/web:1',
      cpu: 256,
      memory: 128,
      portMappings: [{ containerPort: 80 }],
      dockerLabels: { team: 'blue' },
      healthCheck: { command: ['CMD-SHELL', 'true'] },
      logConfiguration: { logDriver: 'json-file', options: { 'max-size': '1m' } },
    },
  ]);
  const rec = running(a);
  const web = rec.containers[0]!;
  web.ports = [{ protocol: 'tcp', containerPort: 80, count: 1, hostPort: 40001, range: false }];
  web.health = 'HEALTHY';
  const details = {
    web: {
      imageId: 'sha256:feed',
      createdAt: T0 + 1500,
      networks: [{ name: 'bridge', ipv4Address: '172.17.0.9' }],
      mounts: [{ name: 'vol', source: '/var/lib/docker/volumes/vol/_data', destination: '/data' }],
    },
  };
  assert.deepEqual(containerMetadata(rec, 'web', ctx('v4', { details })), {
    DockerId: web.runtimeId,
    Name: 'web',
    DockerName: web.dockerName,
    Image: 'registry.example/web:1',
    ImageID: 'sha256:feed',
    Ports: [{ ContainerPort: 80, Protocol: 'tcp', HostPort: 40001, HostIp: '127.0.0.1' }],
    Labels: {
      team: 'blue',
      'com.amazonaws.ecs.cluster': 'default',
      'com.amazonaws.ecs.container-name': 'web',
      'com.amazonaws.ecs.task-arn': TASK_ARN,
      'com.amazonaws.ecs.task-definition-family': 'web',
      'com.amazonaws.ecs.task-definition-version': '7',
    },
    DesiredStatus: 'RUNNING',
    KnownStatus: 'RUNNING',
    Limits: { CPU: 256, Memory: 128 },
    CreatedAt: '2026-01-02T03:04:06.500Z',
    StartedAt: '2026-01-02T03:04:07.000Z',
    Type: 'NORMAL',
    Networks: [{ NetworkMode: 'bridge', IPv4Addresses: ['172.17.0.9'] }],
    Health: { status: 'HEALTHY' },
    Volumes: [{ DockerName: 'vol', Source: '/var/lib/docker/volumes/vol/_data', Destination: '/data' }],
    LogDriver: 'json-file',
    LogOptions: { 'max-size': '1m' },
  });
  // v3 is v2's container: no log driver, no HostIp.
  const v3 = containerMetadata(rec, 'web', ctx('v3', { details }))!;
  assert.equal(v3.LogDriver, undefined);
  assert.equal(v3.LogOptions, undefined);
  assert.deepEqual(v3.Ports, [{ ContainerPort: 80, Protocol: 'tcp', HostPort: 40001 }]);
});

test('a stopped container shows its exit code and finish; cpu below 2 units shows as 2, overrides count; no runtime id → no metadata', () => {
  const a = assignment(
    [
      { name: 'job', image: 'busybox', cpu: 0, memory: 64 },
      { name: 'later', image: 'busybox', memory: 16 },
    ],
    {},
    { overrides: { containerOverrides: [{ name: 'job', memory: 96 }] } },
  );
  const rec = running(a);
  const job = rec.containers[0]!;
  job.known = 'STOPPED';
  job.exitCode = 3;
  job.finishedAt = T0 + 5000;
  delete rec.containers[1]!.runtimeId;
  const json = containerMetadata(rec, 'job', ctx('v4'))!;
  assert.equal(json.ExitCode, 3);
  assert.equal(json.FinishedAt, '2026-01-02T03:04:10.000Z');
  assert.deepEqual(json.Limits, { CPU: 2, Memory: 96 });
  assert.equal(json.KnownStatus, 'STOPPED');
  assert.equal(json.Health, undefined, 'no health check, no Health');
  assert.equal(containerMetadata(rec, 'later', ctx('v4')), undefined);
  assert.deepEqual(
    taskMetadata(rec, ctx('v4')).Containers!.map((c) => c.Name),
    ['job'],
    'a container Docker does not have yet is not in the task',
  );
});

test('an awsvpc task in v4: the holder as ECS shows its pause container, the task address, task limits in vCPU and MiB, the service', () => {
  const a = assignment(
    [{ name: 'app', image: 'busybox', memory: 64, portMappings: [{ containerPort: 8080 }] }],
    { networkMode: 'awsvpc', cpu: '512', memory: '1GB' },
    { privateIPv4Address: '127.3.0.7', group: 'service:checkout', cpu: '512', memory: '1 GB' },
  );
  const rec = running(a);
  const t = taskMetadata(rec, ctx('v4'));
  const holder = rec.containers.find((c) => c.holder)!;
  assert.deepEqual(
    { ...t, Containers: undefined },
    {
      Cluster: 'default',
      TaskARN: TASK_ARN,
      Family: 'web',
      Revision: '7',
      DesiredStatus: 'RUNNING',
      KnownStatus: 'RUNNING',
      Containers: undefined,
      Limits: { CPU: 0.5, Memory: 1024 },
      PullStartedAt: '2026-01-02T03:04:05.000Z',
      PullStoppedAt: '2026-01-02T03:04:06.000Z',
      AvailabilityZone: 'us-east-1b',
      LaunchType: 'EC2',
      ServiceName: 'checkout',
      FaultInjectionEnabled: false,
    },
  );
  const [pause, app] = t.Containers!;
  assert.equal(pause!.Name, HOLDER_CONTAINER_NAME);
  assert.equal(pause!.DockerName, holder.dockerName);
  assert.equal(pause!.Type, 'CNI_PAUSE');
  assert.equal(pause!.Image, 'berth/task-helper:abc');
  assert.equal(pause!.DesiredStatus, 'RESOURCES_PROVISIONED');
  assert.deepEqual(pause!.Limits, { CPU: 2, Memory: 0 });
  const network = { NetworkMode: 'awsvpc', IPv4Addresses: ['127.3.0.7'], AttachmentIndex: 0, IPv4SubnetCIDRBlock: '127.0.0.0/8' };
  assert.deepEqual(pause!.Networks, [network]);
  assert.deepEqual(app!.Networks, [network]);
  assert.deepEqual(app!.Ports, [{ ContainerPort: 8080, Protocol: 'tcp', HostPort: 8080, HostIp: '127.3.0.7' }]);
  // v3: v2's task, without LaunchType and ServiceName; networks without the v4 members.
  const v3 = taskMetadata(rec, ctx('v3'));
  assert.equal(v3.LaunchType, undefined);
  assert.equal(v3.ServiceName, undefined);
  assert.equal(v3.FaultInjectionEnabled, undefined);
  assert.deepEqual(v3.Containers![1]!.Networks, [{ NetworkMode: 'awsvpc', IPv4Addresses: ['127.3.0.7'] }]);
});

test('the task: Fargate names the cluster by ARN, no task size means no Limits, the stop shows, an unknown zone is left out', () => {
  const a = assignment([{ name: 'app', image: 'busybox', memory: 16 }], { networkMode: 'host' }, { launchType: 'FARGATE' });
  const rec = running(a);
  rec.status = 'STOPPED';
  rec.desired = 'STOPPED';
  rec.executionStoppedAt = T0 + 9000;
  const t = taskMetadata(rec, ctx('v4', { availabilityZone: undefined }));
  assert.equal(t.Cluster, CLUSTER_ARN);
  assert.equal(t.Limits, undefined);
  assert.equal(t.AvailabilityZone, undefined);
  assert.equal(t.DesiredStatus, 'STOPPED');
  assert.equal(t.KnownStatus, 'STOPPED');
  assert.equal(t.ExecutionStoppedAt, '2026-01-02T03:04:14.000Z');
  assert.equal(t.ServiceName, undefined);
  assert.deepEqual(t.Containers![0]!.Networks, [{ NetworkMode: 'host' }]);
});

test("the task's status as the ECS agent names it", () => {
  assert.deepEqual(
    (['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'] as const).map(agentTaskStatus),
    ['NONE', 'NONE', 'CREATED', 'RUNNING', 'RUNNING', 'RUNNING', 'STOPPED', 'STOPPED'],
  );
});

test('stats: precpu from the previous sample, network rates between two samples, the shared namespace network, v3 without rates', () => {
  const first = {
    read: '2026-01-02T03:04:05.000000000Z',
    preread: '0001-01-01T00:00:00Z',
    cpu_stats: { cpu_usage: { total_usage: 100 } },
    precpu_stats: { cpu_usage: { total_usage: 0 } },
    networks: { eth0: { rx_bytes: 1000, tx_bytes: 500 } },
  };
  const a = statsResponse(first, undefined);
  assert.deepEqual(a, first, 'the first sample is Docker’s own');
  const second = {
    read: '2026-01-02T03:04:07.000000000Z',
    preread: '0001-01-01T00:00:00Z',
    cpu_stats: { cpu_usage: { total_usage: 300 } },
    precpu_stats: { cpu_usage: { total_usage: 0 } },
    networks: { eth0: { rx_bytes: 5000, tx_bytes: 2500 } },
  };
  const b = statsResponse(second, a);
  assert.equal(b.preread, first.read);
  assert.deepEqual(b.precpu_stats, first.cpu_stats);
  assert.deepEqual(b.network_rate_stats, { rx_bytes_per_sec: 2000, tx_bytes_per_sec: 1000 });
  assert.equal(v3Stats(b).network_rate_stats, undefined);
  assert.deepEqual(v3Stats(b).cpu_stats, second.cpu_stats);
  // awsvpc: a container in the holder's namespace reports the holder's network.
  const { networks: _none, ...joined } = second;
  assert.deepEqual(statsResponse(joined, undefined, { networks: second.networks }).networks, second.networks);
});

test('the request table: the four paths of a key, nothing else', () => {
  assert.deepEqual(requestFile('v4', '/ecs-web-7-app-0a1b'), { key: 'ecs-web-7-app-0a1b', file: 'v4/containers/ecs-web-7-app-0a1b.json' });
  assert.deepEqual(requestFile('v4', '/k/task'), { key: 'k', file: 'v4/task.json' });
  assert.deepEqual(requestFile('v3', '/k/stats'), { key: 'k', file: 'v3/containers/k.stats.json' });
  assert.deepEqual(requestFile('v4', '/k/task/stats'), { key: 'k', file: 'v4/task.stats.json' });
  for (const bad of ['', '/', '/k/nope', '/k/task/x', '/../k', '/k.json', '/a b', '/k/stats/task']) assert.equal(requestFile('v4', bad), undefined, bad);
  assert.deepEqual(metadataEnvironment(RESPONDER_BASE_URI, 'k'), {
    ECS_CONTAINER_METADATA_URI_V4: 'http://127.0.0.1:51679/cgi-bin/v4/k',
    ECS_CONTAINER_METADATA_URI: 'http://127.0.0.1:51679/cgi-bin/v3/k',
  });
});

test('the CGI script follows the same table: 200 with the JSON, 404 for an unknown key or path', () => {
  const busybox = findStaticBusybox();
  const dir = mkdtempSync(join(tmpdir(), 'berth-cgi-'));
  dirs.push(dir);
  const script = join(dir, 'v4');
  writeFileSync(script, cgiScript('v4'));
  mkdirSync(join(dir, 'meta', 'v4', 'containers'), { recursive: true });
  const files: Record<string, string> = {
    [containerFile('v4', 'ecs-a-1')]: '{"Name":"a"}',
    'v4/task.json': '{"TaskARN":"t"}',
    'v4/containers/ecs-a-1.stats.json': '{"read":"x"}',
    'v4/task.stats.json': '{"id":{}}',
  };
  for (const [f, body] of Object.entries(files)) writeFileSync(join(dir, 'meta', f), body);
  const cgi = (pathInfo: string) => {
    const r = spawnSync(busybox, ['sh', script], { env: { PATH: '/usr/bin:/bin', PATH_INFO: pathInfo, BERTH_METADATA_DIR: join(dir, 'meta') }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [head = '', body = ''] = r.stdout.split('\r\n\r\n');
    return { status: head.split('\r\n')[0], type: head.split('\r\n')[1], body };
  };
  for (const [path, body] of [
    ['/ecs-a-1', '{"Name":"a"}'],
    ['/ecs-a-1/task', '{"TaskARN":"t"}'],
    ['/ecs-a-1/stats', '{"read":"x"}'],
    ['/ecs-a-1/task/stats', '{"id":{}}'],
  ] as const) {
    assert.deepEqual(cgi(path), { status: 'HTTP/1.1 200 OK', type: 'Content-Type: application/json', body }, path);
    assert.deepEqual(requestFile('v4', path)?.file, Object.keys(files).find((f) => files[f] === body), `the table agrees for ${path}`);
  }
  for (const path of ['/ecs-b-2/task', '/ecs-a-1/nope', '/../meta/v4/task', '/', '', '/ecs-a-1/task/stats/x']) {
    const r = cgi(path);
    assert.equal(r.status, 'HTTP/1.1 404 Not Found', path);
    assert.equal(r.type, 'Content-Type: application/json');
    assert.equal(typeof JSON.parse(r.body), 'string');
  }
});

test('the helper image: its tag follows its content', () => {
  const busybox = findStaticBusybox();
  const ref = helperImageRef(busybox);
  assert.match(ref, /^berth\/task-helper:[0-9a-f]{16}$/);
  assert.equal(helperImageRef(busybox), ref);
  const changed = helperImageEntries().map((e) => (e.type === 'file' && e.path === 'srv/cgi-bin/v4' ? { ...e, data: Buffer.from('#!/bin/sh\n') } : e));
  assert.notEqual(helperImageRef(busybox, changed), ref);
  assert.ok(helperImageEntries().some((e) => e.type === 'file' && e.path === 'srv/cgi-bin/v3' && e.mode === 0o755));
});

test("a bridge responder joins the app's network and pid namespaces, mounts the task's directory read-only, and removes itself", () => {
  const spec = responderSpec({ name: 'ecs-web-7-app-x-metadata', target: 'abc', image: 'berth/task-helper:1', metadataDir: '/state/metadata/t', labels: { l: '1' }, sharePid: true });
  assert.deepEqual(spec.Cmd, ['/bin/httpd', '-f', '-p', '127.0.0.1:51679', '-h', '/srv']);
  assert.equal(spec.HostConfig.NetworkMode, 'container:abc');
  assert.equal(spec.HostConfig.PidMode, 'container:abc');
  assert.deepEqual(spec.HostConfig.Binds, ['/state/metadata/t:/meta:ro']);
  assert.equal(spec.HostConfig.AutoRemove, true);
  assert.equal(spec.HostConfig.ReadonlyRootfs, true);
  assert.deepEqual(spec.Labels, { l: '1' });
  const hostPid = responderSpec({ name: 'n', target: 'abc', image: 'i', metadataDir: '/d', labels: {}, sharePid: false });
  assert.equal(hostPid.HostConfig.PidMode, undefined, 'an app in the host pid namespace is not joined there');
});

test('the holder with a metadata directory runs the responder beside its sleep, and mounts the directory read-only', () => {
  const def: TaskDefinition = { family: 'web', revision: 7, networkMode: 'awsvpc', containerDefinitions: [{ name: 'app', image: 'busybox' }] };
  assert.ok(needsNamespaceHolder(def));
  const base: ConfigContext = {
    taskArn: TASK_ARN,
    clusterName: 'default',
    taskDefinition: def,
    overrides: {},
    taskAddress: '127.3.0.7',
    hostAddress: '127.0.0.1',
    dockerNames: { app: 'ecs-web-7-app-x', [HOLDER_CONTAINER_NAME]: 'ecs-web-7-internalecspause-x' },
    volumeNames: {},
    ports: {},
    readTextFile: () => '',
    defaultStopTimeoutSeconds: 30,
  };
  const withMeta = holderSpec({ ...base, metadataDir: '/state/metadata/t' }, 'berth/task-helper:1');
  assert.deepEqual(withMeta.Cmd, HOLDER_RESPONDER_COMMAND);
  assert.match(withMeta.Cmd![2]!, /httpd -f -p 127\.0\.0\.1:51679 -h \/srv &/);
  assert.deepEqual(withMeta.HostConfig.Binds, ['/state/metadata/t:/meta:ro']);
  const without = holderSpec(base, 'berth/task-helper:1');
  assert.equal(without.HostConfig.Binds, undefined);
  assert.doesNotMatch(without.Cmd!.join(' '), /httpd/);
});
