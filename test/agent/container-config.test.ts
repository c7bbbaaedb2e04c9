import type { ContainerDefinition, TaskDefinition } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  checkTaskDefinition,
  containerSpec,
  dockerContainerName,
  ECS_LABELS,
  holderSpec,
  HOLDER_CONTAINER_NAME,
  MIB,
  needsNamespaceHolder,
  networkBindings,
  portRequests,
  taskLimits,
  taskVolumes,
  type ConfigContext,
  type PortAllotment,
} from '../../src/agent/container-config.js';

const TASK_ARN = 'arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef';

function context(td: TaskDefinition, extra: Partial<ConfigContext> = {}): ConfigContext {
  const names: Record<string, string> = {};
  for (const c of td.containerDefinitions ?? []) names[c.name!] = `ecs-${td.family}-${td.revision}-${c.name}-hex`;
  if (needsNamespaceHolder(td)) names[HOLDER_CONTAINER_NAME] = `ecs-${td.family}-${td.revision}-internalecspause-hex`;
  return {
    taskArn: TASK_ARN,
    clusterName: 'default',
    taskDefinition: td,
    overrides: {},
    hostAddress: '127.0.0.1',
    dockerNames: names,
    volumeNames: {},
    ports: {},
    readTextFile: () => {
      throw new Error('no such file');
    },
    defaultStopTimeoutSeconds: 30,
    ...extra,
  };
}

const td = (containers: ContainerDefinition[], more: Partial<TaskDefinition> = {}): TaskDefinition => ({
  family: 'web',
  revision: 3,
  containerDefinitions: containers,
  ...more,
});

test('the process: image, entryPoint, command (overridden), workingDirectory, user, tty, stdin, stopTimeout', () => {
  const def = td([
    { name: 'app', image: 'busybox:1', entryPoint: ['/bin/sh', '-c'], command: ['echo hi'], workingDirectory: '/srv', user: '1000:1000', interactive: true, pseudoTerminal: true, stopTimeout: 7 },
  ]);
  const spec = containerSpec(context(def, { overrides: { containerOverrides: [{ name: 'app', command: ['echo bye'] }] } }), 'app');
  assert.equal(spec.name, 'ecs-web-3-app-hex');
  assert.equal(spec.Image, 'busybox:1');
  assert.deepEqual(spec.Entrypoint, ['/bin/sh', '-c']);
  assert.deepEqual(spec.Cmd, ['echo bye']);
  assert.equal(spec.WorkingDir, '/srv');
  assert.equal(spec.User, '1000:1000');
  assert.equal(spec.OpenStdin, true);
  assert.equal(spec.Tty, true);
  assert.equal(spec.StopTimeout, 7);
});

test('environment: files, then the definition, then overrides, then the agent; S3 files fail clearly', () => {
  const files: Record<string, string> = { '/etc/app.env': '# comment\nA=file\nB=file\n\nC=x=y\r\n' };
  const def = td([
    {
      name: 'app',
      image: 'i',
      environmentFiles: [{ value: '/etc/app.env', type: 's3' }],
      environment: [
        { name: 'B', value: 'def' },
        { name: 'D', value: 'def' },
      ],
    },
  ]);
  const ctx = context(def, {
    readTextFile: (p) => files[p] ?? assert.fail(`read ${p}`),
    overrides: { containerOverrides: [{ name: 'app', environment: [{ name: 'D', value: 'override' }] }] },
    environment: () => ({ ECS_CONTAINER_METADATA_URI_V4: 'http://127.0.0.1:1/v4/x' }),
  });
  assert.deepEqual(containerSpec(ctx, 'app').Env, ['A=file', 'B=def', 'C=x=y', 'D=override', 'ECS_CONTAINER_METADATA_URI_V4=http://127.0.0.1:1/v4/x']);

  const s3 = td([{ name: 'app', image: 'i', environmentFiles: [{ value: 'arn:aws:s3:::bucket/app.env', type: 's3' }] }]);
  assert.throws(() => containerSpec(context(s3), 'app'), /environmentFiles from S3 need the S3 service, which berth does not have yet/);
  const bad = td([{ name: 'app', image: 'i', environmentFiles: [{ value: '/bad.env', type: 's3' }] }]);
  assert.throws(() => containerSpec(context(bad, { readTextFile: () => 'JUST_A_NAME' }), 'app'), /line 1 is not VARIABLE=VALUE/);
  // An override's environmentFiles replace the definition's.
  const ov = context(def, {
    readTextFile: (p) => (p === '/other.env' ? 'Z=1' : assert.fail(`read ${p}`)),
    overrides: { containerOverrides: [{ name: 'app', environmentFiles: [{ value: '/other.env', type: 's3' }] }] },
  });
  assert.deepEqual(containerSpec(ov, 'app').Env, ['Z=1', 'B=def', 'D=def']);
});

test('labels: dockerLabels, the engine\'s, then ECS\'s own (which cannot be overridden)', () => {
  const def = td([{ name: 'app', image: 'i', dockerLabels: { team: 'a', [ECS_LABELS.cluster]: 'spoofed' } }]);
  const spec = containerSpec(context(def, { labels: { 'berth.agent.state-dir': '/x' } }), 'app');
  assert.deepEqual(spec.Labels, {
    team: 'a',
    'berth.agent.state-dir': '/x',
    [ECS_LABELS.taskArn]: TASK_ARN,
    [ECS_LABELS.containerName]: 'app',
    [ECS_LABELS.family]: 'web',
    [ECS_LABELS.version]: '3',
    [ECS_LABELS.cluster]: 'default',
  });
});

test('resources: cpu shares (at least 2), memory hard and soft limits, ulimits, overrides', () => {
  const def = td([
    { name: 'a', image: 'i' },
    { name: 'b', image: 'i', cpu: 512, memory: 128, memoryReservation: 64, ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }] },
    { name: 'c', image: 'i', cpu: 1, memoryReservation: 32 },
  ]);
  const ctx = context(def, { overrides: { containerOverrides: [{ name: 'c', cpu: 256, memory: 256 }] } });
  const a = containerSpec(ctx, 'a').HostConfig;
  assert.equal(a.CpuShares, 2);
  assert.equal(a.Memory, undefined);
  const b = containerSpec(ctx, 'b').HostConfig;
  assert.equal(b.CpuShares, 512);
  assert.equal(b.Memory, 128 * MIB);
  assert.equal(b.MemoryReservation, 64 * MIB);
  assert.deepEqual(b.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 4096 }]);
  const c = containerSpec(ctx, 'c').HostConfig;
  assert.equal(c.CpuShares, 256);
  assert.equal(c.Memory, 256 * MIB);
  assert.equal(c.MemoryReservation, 32 * MIB);
  const over = td([{ name: 'a', image: 'i', memory: 32, memoryReservation: 64 }]);
  assert.throws(() => containerSpec(context(over), 'a'), /memoryReservation \(64 MiB\) is above its memory limit/);
});

test('linuxParameters, security options, sysctls and the filesystem', () => {
  const def = td([
    {
      name: 'app',
      image: 'i',
      memory: 100,
      privileged: true,
      readonlyRootFilesystem: true,
      dockerSecurityOptions: ['no-new-privileges'],
      systemControls: [
        { namespace: 'net.core.somaxconn', value: '1024' },
        { namespace: 'kernel.shmmax', value: '1' },
      ],
      linuxParameters: {
        capabilities: { add: ['NET_ADMIN'], drop: ['MKNOD'] },
        initProcessEnabled: true,
        sharedMemorySize: 64,
        tmpfs: [{ containerPath: '/run', size: 16, mountOptions: ['noexec'] }],
        devices: [{ hostPath: '/dev/null', permissions: ['read', 'write'] }],
        maxSwap: 50,
        swappiness: 10,
      },
    },
  ]);
  const h = containerSpec(context(def), 'app').HostConfig;
  assert.equal(h.Privileged, true);
  assert.equal(h.ReadonlyRootfs, true);
  assert.deepEqual(h.SecurityOpt, ['no-new-privileges']);
  assert.deepEqual(h.Sysctls, { 'net.core.somaxconn': '1024', 'kernel.shmmax': '1' });
  assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
  assert.deepEqual(h.CapDrop, ['MKNOD']);
  assert.equal(h.Init, true);
  assert.equal(h.ShmSize, 64 * MIB);
  assert.deepEqual(h.Tmpfs, { '/run': 'size=16m,noexec' });
  assert.deepEqual(h.Devices, [{ PathOnHost: '/dev/null', PathInContainer: '/dev/null', CgroupPermissions: 'rw' }]);
  assert.equal(h.MemorySwap, 150 * MIB);
  assert.equal(h.MemorySwappiness, 10);
  const noMem = td([{ name: 'app', image: 'i', linuxParameters: { maxSwap: 10 } }]);
  assert.throws(() => containerSpec(context(noMem), 'app'), /maxSwap needs a memory limit/);
});

test('healthCheck → Docker Healthcheck in nanoseconds, with ECS defaults', () => {
  const def = td([
    { name: 'a', image: 'i', healthCheck: { command: ['CMD-SHELL', 'curl -f localhost || exit 1'], interval: 10, retries: 2, startPeriod: 5 } },
    { name: 'b', image: 'i', healthCheck: { command: ['CMD', '/bin/true'] } },
    { name: 'c', image: 'i', healthCheck: { command: ['curl', 'x'] } },
  ]);
  assert.deepEqual(containerSpec(context(def), 'a').Healthcheck, {
    Test: ['CMD-SHELL', 'curl -f localhost || exit 1'],
    Interval: 10e9,
    Timeout: 5e9,
    Retries: 2,
    StartPeriod: 5e9,
  });
  assert.deepEqual(containerSpec(context(def), 'b').Healthcheck, { Test: ['CMD', '/bin/true'], Interval: 30e9, Timeout: 5e9, Retries: 3, StartPeriod: 0 });
  assert.throws(() => containerSpec(context(def), 'c'), /must start with CMD or CMD-SHELL/);
});

test('bridge: allotted host ports published on the instance address; links; dns; hostname', () => {
  const def = td([
    { name: 'db', image: 'i' },
    {
      name: 'web',
      image: 'i',
      hostname: 'web.local',
      dnsServers: ['10.0.0.2'],
      dnsSearchDomains: ['corp'],
      extraHosts: [{ hostname: 'api', ipAddress: '10.0.0.9' }],
      links: ['db:database'],
      portMappings: [{ containerPort: 80 }, { containerPort: 53, hostPort: 5353, protocol: 'udp' }, { containerPortRange: '9000-9002' }],
    },
  ]);
  const requests = portRequests(def.containerDefinitions![1]!, 'bridge');
  assert.deepEqual(requests, [
    { protocol: 'tcp', containerPort: 80, count: 1, hostPort: undefined, range: false },
    { protocol: 'udp', containerPort: 53, count: 1, hostPort: 5353, range: false },
    { protocol: 'tcp', containerPort: 9000, count: 3, range: true },
  ]);
  const allotted: PortAllotment[] = [
    { ...requests[0]!, hostPort: 40000 },
    { ...requests[1]!, hostPort: 5353 },
    { ...requests[2]!, hostPort: 41000 },
  ];
  const spec = containerSpec(context(def, { hostAddress: '127.0.0.7', ports: { web: allotted } }), 'web');
  assert.equal(spec.HostConfig.NetworkMode, 'bridge');
  assert.deepEqual(spec.HostConfig.PortBindings, {
    '80/tcp': [{ HostIp: '127.0.0.7', HostPort: '40000' }],
    '53/udp': [{ HostIp: '127.0.0.7', HostPort: '5353' }],
    '9000/tcp': [{ HostIp: '127.0.0.7', HostPort: '41000' }],
    '9001/tcp': [{ HostIp: '127.0.0.7', HostPort: '41001' }],
    '9002/tcp': [{ HostIp: '127.0.0.7', HostPort: '41002' }],
  });
  assert.deepEqual(Object.keys(spec.ExposedPorts ?? {}), ['80/tcp', '53/udp', '9000/tcp', '9001/tcp', '9002/tcp']);
  assert.deepEqual(spec.HostConfig.Links, ['ecs-web-3-db-hex:database']);
  assert.equal(spec.Hostname, 'web.local');
  assert.deepEqual(spec.HostConfig.Dns, ['10.0.0.2']);
  assert.deepEqual(spec.HostConfig.DnsSearch, ['corp']);
  assert.deepEqual(spec.HostConfig.ExtraHosts, ['api:10.0.0.9']);
  assert.deepEqual(networkBindings(allotted, '127.0.0.7'), [
    { bindIP: '127.0.0.7', containerPort: 80, hostPort: 40000, protocol: 'tcp' },
    { bindIP: '127.0.0.7', containerPort: 53, hostPort: 5353, protocol: 'udp' },
    { bindIP: '127.0.0.7', protocol: 'tcp', containerPortRange: '9000-9002', hostPortRange: '41000-41002' },
  ]);
  assert.throws(() => containerSpec(context(def), 'web'), /host ports were not allotted/);
});

test('awsvpc: containers join the holder, which publishes every port on the task address', () => {
  const def = td(
    [
      { name: 'web', image: 'i', portMappings: [{ containerPort: 80 }], systemControls: [{ namespace: 'net.ipv4.tcp_keepalive_time', value: '60' }] },
      { name: 'side', image: 'i', portMappings: [{ containerPort: 9090, hostPort: 9090 }] },
    ],
    { networkMode: 'awsvpc' },
  );
  const ctx = context(def, { taskAddress: '127.1.2.3' });
  checkTaskDefinition(ctx);
  const web = containerSpec(ctx, 'web');
  assert.equal(web.HostConfig.NetworkMode, 'container:ecs-web-3-internalecspause-hex');
  assert.equal(web.HostConfig.PortBindings, undefined);
  assert.equal(web.HostConfig.Sysctls, undefined);
  const holder = holderSpec(ctx, 'berth/namespace-holder:busybox');
  assert.equal(holder.HostConfig.NetworkMode, 'bridge');
  assert.deepEqual(holder.HostConfig.PortBindings, {
    '80/tcp': [{ HostIp: '127.1.2.3', HostPort: '80' }],
    '9090/tcp': [{ HostIp: '127.1.2.3', HostPort: '9090' }],
  });
  assert.deepEqual(holder.HostConfig.Sysctls, { 'net.ipv4.tcp_keepalive_time': '60' });
  assert.equal(holder.Labels[ECS_LABELS.containerName], HOLDER_CONTAINER_NAME);

  const withHostname = td([{ name: 'web', image: 'i', hostname: 'h' }], { networkMode: 'awsvpc' });
  assert.throws(() => containerSpec(context(withHostname, { taskAddress: '127.1.2.3' }), 'web'), /hostname is not supported in networkMode awsvpc/);
  const clash = td(
    [
      { name: 'a', image: 'i', portMappings: [{ containerPort: 80 }] },
      { name: 'b', image: 'i', portMappings: [{ containerPort: 80 }] },
    ],
    { networkMode: 'awsvpc' },
  );
  assert.throws(() => holderSpec(context(clash, { taskAddress: '127.1.2.3' }), 'x'), /published twice/);
  const wrongHostPort = td([{ name: 'a', image: 'i', portMappings: [{ containerPort: 80, hostPort: 8080 }] }], { networkMode: 'awsvpc' });
  assert.throws(() => portRequests(wrongHostPort.containerDefinitions![0]!, 'awsvpc'), /hostPort must equal containerPort/);
  assert.throws(() => checkTaskDefinition(context(def)), /needs its own address/);
});

test('host and none network modes; links outside bridge fail', () => {
  const host = td([{ name: 'a', image: 'i', portMappings: [{ containerPort: 8080 }] }], { networkMode: 'host' });
  const spec = containerSpec(context(host), 'a');
  assert.equal(spec.HostConfig.NetworkMode, 'host');
  assert.equal(spec.HostConfig.PortBindings, undefined);
  const none = td([{ name: 'a', image: 'i', disableNetworking: true }], { networkMode: 'none' });
  const n = containerSpec(context(none), 'a');
  assert.equal(n.HostConfig.NetworkMode, 'none');
  assert.equal(n.NetworkDisabled, true);
  const nonePorts = td([{ name: 'a', image: 'i', portMappings: [{ containerPort: 1 }] }], { networkMode: 'none' });
  assert.throws(() => containerSpec(context(nonePorts), 'a'), /networkMode is none/);
  const hostLinks = td(
    [
      { name: 'a', image: 'i', links: ['b'] },
      { name: 'b', image: 'i' },
    ],
    { networkMode: 'host' },
  );
  assert.throws(() => containerSpec(context(hostLinks), 'a'), /links are supported only in networkMode bridge/);
  const netSysctlOnHost = td([{ name: 'a', image: 'i', systemControls: [{ namespace: 'net.core.somaxconn', value: '1' }] }], { networkMode: 'host' });
  assert.throws(() => containerSpec(context(netSysctlOnHost), 'a'), /cannot be set in networkMode host/);
});

test('pidMode and ipcMode: host, or shared through the holder for task', () => {
  const shared = td([{ name: 'a', image: 'i' }], { pidMode: 'task', ipcMode: 'task' });
  assert.equal(needsNamespaceHolder(shared), true);
  const ctx = context(shared);
  const a = containerSpec(ctx, 'a').HostConfig;
  assert.equal(a.PidMode, 'container:ecs-web-3-internalecspause-hex');
  assert.equal(a.IpcMode, 'container:ecs-web-3-internalecspause-hex');
  assert.equal(a.NetworkMode, 'bridge');
  const holder = holderSpec(ctx, 'img').HostConfig;
  assert.equal(holder.IpcMode, 'shareable');
  assert.equal(holder.NetworkMode, 'none');
  const host = td([{ name: 'a', image: 'i' }], { pidMode: 'host', ipcMode: 'none' });
  assert.equal(needsNamespaceHolder(host), false);
  const h = containerSpec(context(host), 'a').HostConfig;
  assert.equal(h.PidMode, 'host');
  assert.equal(h.IpcMode, 'none');
});

test('volumes: host binds, task scratch, task and shared Docker volumes, volumesFrom', () => {
  const def = td(
    [
      {
        name: 'app',
        image: 'i',
        mountPoints: [
          { sourceVolume: 'data', containerPath: '/data' },
          { sourceVolume: 'scratch', containerPath: '/scratch', readOnly: true },
          { sourceVolume: 'cache', containerPath: '/cache' },
          { sourceVolume: 'shared', containerPath: '/shared' },
        ],
      },
      { name: 'reader', image: 'i', volumesFrom: [{ sourceContainer: 'app', readOnly: true }] },
    ],
    {
      volumes: [
        { name: 'data', host: { sourcePath: '/srv/data' } },
        { name: 'scratch' },
        { name: 'cache', dockerVolumeConfiguration: { scope: 'task', driver: 'local', labels: { k: 'v' } } },
        { name: 'shared', dockerVolumeConfiguration: { scope: 'shared', autoprovision: true } },
      ],
    },
  );
  assert.deepEqual(
    taskVolumes(def).map((v) => [v.name, v.kind, v.autoprovision]),
    [
      ['data', 'bind', false],
      ['scratch', 'task', true],
      ['cache', 'task', true],
      ['shared', 'shared', true],
    ],
  );
  const ctx = context(def, { volumeNames: { scratch: 'ecs-web-3-scratch-hex', cache: 'ecs-web-3-cache-hex' } });
  assert.deepEqual(containerSpec(ctx, 'app').HostConfig.Binds, ['/srv/data:/data', 'ecs-web-3-scratch-hex:/scratch:ro', 'ecs-web-3-cache-hex:/cache', 'shared:/shared']);
  assert.deepEqual(containerSpec(ctx, 'reader').HostConfig.VolumesFrom, ['ecs-web-3-app-hex:ro']);
  const missing = td([{ name: 'a', image: 'i', mountPoints: [{ sourceVolume: 'nope', containerPath: '/x' }] }]);
  assert.throws(() => containerSpec(context(missing), 'a'), /does not declare/);
  const efs = td([{ name: 'a', image: 'i' }], { volumes: [{ name: 'e', efsVolumeConfiguration: { fileSystemId: 'fs-1' } }] });
  assert.throws(() => checkTaskDefinition(context(efs)), /EFS volumes need Amazon EFS/);
});

test('what berth cannot honour fails with a reason instead of being dropped', () => {
  const cases: Array<[ContainerDefinition, RegExp]> = [
    [{ name: 'a', image: 'i', secrets: [{ name: 'S', valueFrom: 'arn:aws:secretsmanager:x' }] }, /secrets need Secrets Manager/],
    [{ name: 'a', image: 'i', logConfiguration: { logDriver: 'awslogs', options: {} } }, /awslogs log driver needs CloudWatch Logs/],
    [{ name: 'a', image: 'i', restartPolicy: { enabled: true } }, /restartPolicy is not supported/],
    [{ name: 'a', image: 'i', resourceRequirements: [{ type: 'GPU', value: '1' }] }, /resourceRequirements of type GPU/],
    [{ name: 'a', image: 'i', repositoryCredentials: { credentialsParameter: 'arn:x' } }, /repositoryCredentials need Secrets Manager/],
  ];
  for (const [def, re] of cases) assert.throws(() => containerSpec(context(td([def])), 'a'), re);
  const json = containerSpec(context(td([{ name: 'a', image: 'i', logConfiguration: { logDriver: 'json-file', options: { 'max-size': '1m' } } }])), 'a');
  assert.deepEqual(json.HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '1m' } });
  assert.throws(() => checkTaskDefinition(context(td([{ name: 'a', image: 'i', essential: false }]))), /no essential container/);
  assert.throws(
    () => checkTaskDefinition(context(td([{ name: 'a', image: 'i' }], { runtimePlatform: { cpuArchitecture: 'ARM64' } }), { cpuArchitecture: 'X86_64' })),
    /cpuArchitecture ARM64 does not match/,
  );
});

test('Docker names follow the ECS agent', () => {
  assert.equal(dockerContainerName('my_family', 12, 'web.app', 'abc'), 'ecs-myfamily-12-webapp-abc');
  assert.equal(dockerContainerName('f', 1, HOLDER_CONTAINER_NAME, '00'), 'ecs-f-1-internalecspause-00');
});

test('task-level limits split the task budget: a container with its own memory keeps it', () => {
  const def = td([
    { name: 'a', image: 'i', memory: 100, cpu: 512 },
    { name: 'b', image: 'i', memoryReservation: 50 },
    { name: 'c', image: 'i' },
  ]);
  const limits = taskLimits(def, {}, '1024', '512');
  assert.equal(limits.a!.memoryBytes, 100 * MIB);
  // 512 - 100 = 412 free; b reserves 50; 362 left split in two.
  assert.equal(limits.b!.memoryBytes, 50 * MIB + 181 * MIB);
  assert.equal(limits.c!.memoryBytes, 181 * MIB);
  assert.equal(limits.a!.nanoCpus, 0.5e9);
  assert.equal(limits.b!.nanoCpus, 0.25e9);
  const spec = containerSpec(context(def, { taskCpu: '1024', taskMemory: '512' }), 'c');
  assert.equal(spec.HostConfig.Memory, 181 * MIB);
  assert.equal(spec.HostConfig.NanoCpus, 0.25e9);
  assert.throws(() => taskLimits(def, {}, undefined, '64'), /exceeds the task's memory/);
  assert.deepEqual(taskLimits(def, {}, '1 vCPU', '0.5GB'), limits);
});

test('property: the per-container limits never add up to more than the task allows', () => {
  let accepted = 0;
  const container = fc.record({
    cpu: fc.option(fc.integer({ min: 0, max: 1024 }), { nil: undefined }),
    memory: fc.option(fc.integer({ min: 6, max: 512 }), { nil: undefined }),
    memoryReservation: fc.option(fc.integer({ min: 1, max: 256 }), { nil: undefined }),
  });
  fc.assert(
    fc.property(fc.array(container, { minLength: 1, maxLength: 6 }), fc.integer({ min: 128, max: 8192 }), fc.integer({ min: 256, max: 8192 }), (cs, cpu, memory) => {
      const def = td(cs.map((c, i) => ({ name: `c${i}`, image: 'i', ...c })));
      let limits: ReturnType<typeof taskLimits>;
      try {
        limits = taskLimits(def, {}, String(cpu), String(memory));
      } catch {
        return; // a clear refusal is fine; overcommitting is not
      }
      accepted++;
      const mem = Object.values(limits).reduce((s, l) => s + (l.memoryBytes ?? 0), 0);
      assert.ok(mem <= memory * MIB, `memory ${mem} > ${memory * MIB}`);
      const nano = Object.values(limits).reduce((s, l) => s + (l.nanoCpus ?? 0), 0);
      // Docker's 0.01-CPU floor may add at most that much per container.
      assert.ok(nano <= (cpu / 1024) * 1e9 + cs.length * 1e7, `cpu ${nano} > ${(cpu / 1024) * 1e9}`);
      for (const [i, c] of cs.entries()) {
        const l = limits[`c${i}`]!;
        if (c.memory !== undefined) assert.equal(l.memoryBytes, c.memory * MIB);
        else if (c.memoryReservation !== undefined) assert.ok(l.memoryBytes! >= c.memoryReservation * MIB);
      }
    }),
  );
  assert.ok(accepted > 20, `only ${accepted} of the generated tasks were accepted`);
});
