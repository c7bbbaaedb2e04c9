import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerDefinition, HealthCheck, LogDriver, RegisterTaskDefinitionCommandInput, UlimitName } from '@aws-sdk/client-ecs';
import { AwsError } from '../../src/gateway/errors.js';
import { checkTaskDefinition } from '../../src/control/task-definition-rules.js';

type Td = RegisterTaskDefinitionCommandInput;

const awslogs = (prefix: string) => ({
  logDriver: 'awslogs' as const,
  options: { 'awslogs-group': '/ecs/hello_world', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': prefix },
});

/** The AWS CLI docs' hello_world (wordpress linked to mysql), with awslogs added. */
function helloWorld(): Td {
  return {
    family: 'hello_world',
    containerDefinitions: [
      {
        name: 'wordpress',
        image: 'wordpress',
        cpu: 10,
        memory: 500,
        essential: true,
        links: ['mysql'],
        portMappings: [{ containerPort: 80, hostPort: 80 }],
        logConfiguration: awslogs('wordpress'),
      },
      {
        name: 'mysql',
        image: 'mysql',
        cpu: 10,
        memory: 500,
        essential: true,
        environment: [{ name: 'MYSQL_ROOT_PASSWORD', value: 'password' }],
        logConfiguration: awslogs('mysql'),
      },
    ],
  };
}

/** The ECS Developer Guide's Fargate web server example. */
function fargateWebServer(): Td {
  return {
    family: 'webserver',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    executionRoleArn: 'arn:aws:iam::000000000000:role/ecsTaskExecutionRole',
    runtimePlatform: { operatingSystemFamily: 'LINUX' },
    containerDefinitions: [
      {
        name: 'fargate-app',
        image: 'public.ecr.aws/docker/library/httpd:2.4',
        essential: true,
        entryPoint: ['sh', '-c'],
        command: ["/bin/sh -c \"echo '<h1>Amazon ECS Sample App</h1>' > /usr/local/apache2/htdocs/index.html && httpd-foreground\""],
        portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/fargate-task-definition', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'ecs' } },
      },
    ],
  };
}

/** A container that sets every container-definition field, beside the one it links to. */
function everyField(): Td {
  const app: ContainerDefinition = {
    name: 'app',
    image: 'public.ecr.aws/docker/library/busybox:latest',
    repositoryCredentials: { credentialsParameter: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:registry' },
    versionConsistency: 'enabled',
    restartPolicy: { enabled: true, ignoredExitCodes: [0], restartAttemptPeriod: 60 },
    resourceRequirements: [{ type: 'GPU', value: '1' }],
    credentialSpecs: ['credentialspecdomainless:arn:aws:s3:::berth-config/gmsa.json'],
    cpu: 256,
    memory: 512,
    memoryReservation: 256,
    essential: true,
    entryPoint: ['sh', '-c'],
    command: ['httpd -f -p 8080'],
    workingDirectory: '/srv',
    environment: [{ name: 'MODE', value: 'full' }],
    environmentFiles: [{ value: 'arn:aws:s3:::berth-config/app.env', type: 's3' }],
    secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:ssm:us-east-1:000000000000:parameter/db-password' }],
    disableNetworking: false,
    links: ['db:database'],
    hostname: 'app',
    dnsServers: ['10.0.0.2'],
    dnsSearchDomains: ['example.internal'],
    extraHosts: [{ hostname: 'metadata', ipAddress: '169.254.169.254' }],
    readonlyRootFilesystem: true,
    mountPoints: [{ sourceVolume: 'data', containerPath: '/data', readOnly: false }],
    volumesFrom: [{ sourceContainer: 'db', readOnly: true }],
    logConfiguration: awslogs('app'),
    privileged: false,
    user: '1000:1000',
    dockerSecurityOptions: ['no-new-privileges'],
    ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }],
    dockerLabels: { team: 'platform' },
    healthCheck: { command: ['CMD-SHELL', 'wget -q -O- localhost:8080 || exit 1'], interval: 10, timeout: 3, retries: 2, startPeriod: 5 },
    dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }],
    stopTimeout: 30,
    startTimeout: 60,
    linuxParameters: {
      capabilities: { add: ['NET_ADMIN'], drop: ['MKNOD'] },
      initProcessEnabled: true,
      sharedMemorySize: 64,
      tmpfs: [{ containerPath: '/scratch', size: 64 }],
      devices: [{ hostPath: '/dev/fuse' }],
      maxSwap: 0,
      swappiness: 60,
    },
    systemControls: [{ namespace: 'net.core.somaxconn', value: '1024' }],
    interactive: true,
    pseudoTerminal: true,
    portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }],
  };
  return {
    family: 'every-field',
    networkMode: 'bridge',
    requiresCompatibilities: ['EC2'],
    volumes: [{ name: 'data', host: { sourcePath: '/var/lib/app' } }, { name: 'cache', dockerVolumeConfiguration: { scope: 'task', driver: 'local' } }],
    containerDefinitions: [
      app,
      {
        name: 'db',
        image: 'postgres:16',
        memoryReservation: 256,
        healthCheck: { command: ['CMD', 'pg_isready'] },
        mountPoints: [{ sourceVolume: 'cache', containerPath: '/cache' }],
      },
    ],
    tags: [{ key: 'team', value: 'platform' }],
  };
}

/** Fargate with a sidecar that has to finish first and one that has to be healthy. */
function fargateSidecars(): Td {
  return {
    family: 'sidecars',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['EC2', 'FARGATE'],
    cpu: '1 vCPU',
    memory: '2 GB',
    pidMode: 'task',
    executionRoleArn: 'arn:aws:iam::000000000000:role/ecsTaskExecutionRole',
    ephemeralStorage: { sizeInGiB: 50 },
    volumes: [{ name: 'shared' }],
    containerDefinitions: [
      {
        name: 'app',
        image: 'app:1',
        cpu: 512,
        memoryReservation: 1024,
        portMappings: [{ containerPort: 8080, name: 'http', appProtocol: 'http' }, { containerPortRange: '9000-9010' }],
        mountPoints: [{ sourceVolume: 'shared', containerPath: '/shared' }],
        dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }, { containerName: 'envoy', condition: 'HEALTHY' }],
        stopTimeout: 120,
        linuxParameters: { capabilities: { add: ['SYS_PTRACE'] }, initProcessEnabled: true, devices: [], tmpfs: [] },
        logConfiguration: { logDriver: 'awsfirelens', options: { Name: 'cloudwatch' } },
      },
      { name: 'init', image: 'init:1', essential: false, command: ['migrate'], logConfiguration: awslogs('init') },
      {
        name: 'envoy',
        image: 'envoy:1',
        cpu: 256,
        healthCheck: { command: ['CMD-SHELL', 'curl -s localhost:9901/ready'] },
        portMappings: [{ containerPort: 9901 }],
      },
      { name: 'log_router', image: 'fluent-bit:1', essential: false, firelensConfiguration: { type: 'fluentbit' } },
    ],
  };
}

/** Containers without memory of their own, inside a task-level memory limit. */
function taskLevelMemoryOnly(): Td {
  return {
    family: 'task-memory',
    cpu: '512',
    memory: '1024',
    containerDefinitions: [
      { name: 'a', image: 'a' },
      { name: 'b', image: 'b', essential: false },
    ],
  };
}

function hostMode(): Td {
  return {
    family: 'host-mode',
    networkMode: 'host',
    containerDefinitions: [{ name: 'agent', image: 'agent', memory: 64, portMappings: [{ containerPort: 8125, protocol: 'udp' }, { containerPort: 8126 }] }],
  };
}

const valid: [string, () => Td][] = [
  ['hello_world (two linked containers, awslogs)', helloWorld],
  ['Fargate web server from the ECS docs', fargateWebServer],
  ['a container using every container-definition field', everyField],
  ['Fargate with init, health-gated and FireLens sidecars', fargateSidecars],
  ['task-level memory only', taskLevelMemoryOnly],
  ['host network mode', hostMode],
];

for (const [name, make] of valid) {
  test(`valid: ${name}`, () => {
    const input = make();
    const before = structuredClone(input);
    const out = checkTaskDefinition(input);
    assert.deepEqual(input, before, 'the input is left untouched');
    assert.equal(out.family, input.family);
    assert.equal(out.containerDefinitions!.length, input.containerDefinitions!.length);
  });
}

test('normalises task cpu and memory units to the numbers ECS stores', () => {
  const cases: [cpu: string, memory: string, expectedCpu: string, expectedMemory: string][] = [
    ['1024', '2048', '1024', '2048'],
    ['1 vCPU', '2 GB', '1024', '2048'],
    ['1 vcpu', '2GB', '1024', '2048'],
    ['1vCPU', '2gb', '1024', '2048'],
    ['0.5 vcpu', '1GB', '512', '1024'],
    ['.25 vCPU', '0.5 GB', '256', '512'],
    ['2 vCPU', '4096 MiB', '2048', '4096'],
    ['4 VCPU', '8 GiB', '4096', '8192'],
    [' 256 ', '512 MB', '256', '512'],
  ];
  for (const [cpu, memory, expectedCpu, expectedMemory] of cases) {
    const out = checkTaskDefinition({ ...fargateWebServer(), cpu, memory });
    assert.equal(out.cpu, expectedCpu, `cpu ${cpu}`);
    assert.equal(out.memory, expectedMemory, `memory ${memory}`);
  }
});

test('fills in what DescribeTaskDefinition shows for health checks and awsvpc host ports', () => {
  const out = checkTaskDefinition(fargateSidecars());
  const [app, , envoy] = out.containerDefinitions!;
  assert.deepEqual(envoy!.healthCheck, { command: ['CMD-SHELL', 'curl -s localhost:9901/ready'], interval: 30, timeout: 5, retries: 3 });
  assert.deepEqual(envoy!.portMappings, [{ containerPort: 9901, hostPort: 9901 }]);
  assert.deepEqual(app!.portMappings![0], { containerPort: 8080, hostPort: 8080, name: 'http', appProtocol: 'http' });
  assert.deepEqual(app!.portMappings![1], { containerPortRange: '9000-9010' }, 'ranges get no host port');
  const kept = checkTaskDefinition(everyField()).containerDefinitions![0]!;
  assert.deepEqual(kept.healthCheck, { command: ['CMD-SHELL', 'wget -q -O- localhost:8080 || exit 1'], interval: 10, timeout: 3, retries: 2, startPeriod: 5 });
  assert.deepEqual(kept.portMappings, [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }], 'bridge keeps its dynamic host port');
});

// ── invalid definitions ─────────────────────────────────────────────────────

interface Invalid {
  name: string;
  base: () => Td;
  change: (td: Td) => void;
  /** The exact ECS message, or a pattern our own message must match. */
  message: string | RegExp;
  code?: string;
}

const first = (td: Td): ContainerDefinition => td.containerDefinitions![0]!;
const second = (td: Td): ContainerDefinition => td.containerDefinitions![1]!;
const named = (td: Td, name: string): ContainerDefinition => td.containerDefinitions!.find((c) => c.name === name)!;

const invalid: Invalid[] = [
  // the request as a whole
  { name: 'family blank', base: helloWorld, change: (td) => { td.family = ''; }, message: 'Family can not be blank.' },
  { name: 'family with a dot', base: helloWorld, change: (td) => { td.family = 'hello.world'; }, message: 'Family contains invalid characters.' },
  { name: 'family with a space', base: helloWorld, change: (td) => { td.family = 'hello world'; }, message: 'Family contains invalid characters.' },
  { name: 'family too long', base: helloWorld, change: (td) => { td.family = 'f'.repeat(256); }, message: /'family'.*255/ },
  { name: 'task definition over 64 KiB', base: helloWorld, change: (td) => { first(td).environment = [{ name: 'BIG', value: 'x'.repeat(70000) }]; }, message: /^Actual length: '\d+'\. Max allowed length is '65536' bytes\.$/ },
  { name: 'no containers', base: helloWorld, change: (td) => { td.containerDefinitions = []; }, message: 'Container list cannot be empty.' },
  { name: 'eleven containers', base: helloWorld, change: (td) => { td.containerDefinitions = Array.from({ length: 11 }, (_, i) => ({ name: `c${i}`, image: 'x', memory: 64 })); }, message: 'Too many containers.' },
  { name: 'container name missing', base: helloWorld, change: (td) => { delete first(td).name; }, message: 'Container.name should not be null or empty.' },
  { name: 'container name with a slash', base: helloWorld, change: (td) => { first(td).name = 'word/press'; }, message: 'Container.name contains invalid characters.' },
  { name: 'container name too long', base: helloWorld, change: (td) => { second(td).name = 'm'.repeat(256); }, message: /'name' can have at most 255/ },
  { name: 'duplicate container names', base: helloWorld, change: (td) => { second(td).name = 'wordpress'; }, message: 'Container names must be unique within a Task Definition.' },
  { name: 'image missing', base: helloWorld, change: (td) => { delete second(td).image; }, message: 'Container.image should not be null or empty.' },
  { name: 'image blank', base: helloWorld, change: (td) => { second(td).image = '  '; }, message: 'Container.image should not be null or empty.' },
  { name: 'no essential container', base: helloWorld, change: (td) => { first(td).essential = false; second(td).essential = false; }, message: "Task definition doesn't have any essential container." },

  // task size
  { name: 'task cpu not a number', base: helloWorld, change: (td) => { td.cpu = 'lots'; }, message: "Invalid 'cpu' setting for task." },
  { name: 'task cpu with an unknown unit', base: helloWorld, change: (td) => { td.cpu = '1 core'; }, message: "Invalid 'cpu' setting for task." },
  { name: 'task cpu that is not whole units', base: helloWorld, change: (td) => { td.cpu = '0.3 vCPU'; }, message: "Invalid 'cpu' setting for task." },
  { name: 'task cpu negative', base: helloWorld, change: (td) => { td.cpu = '-1'; }, message: "Invalid 'cpu' setting for task." },
  { name: 'task cpu zero', base: helloWorld, change: (td) => { td.cpu = '0'; }, message: "Invalid 'cpu' setting for task." },
  { name: 'task cpu empty', base: helloWorld, change: (td) => { td.cpu = ''; }, message: "Invalid 'cpu' setting for task." },
  { name: 'EC2 task cpu below 128 units', base: helloWorld, change: (td) => { td.cpu = '64'; }, message: "Invalid 'cpu' setting for task." },
  { name: 'EC2 task cpu above 192 vCPU', base: helloWorld, change: (td) => { td.cpu = '193 vCPU'; }, message: "Invalid 'cpu' setting for task." },
  { name: 'task memory not a number', base: helloWorld, change: (td) => { td.memory = 'plenty'; }, message: "Invalid 'memory' setting for task." },
  { name: 'task memory with an unknown unit', base: helloWorld, change: (td) => { td.memory = '1 TB'; }, message: "Invalid 'memory' setting for task." },
  { name: 'task memory that is not whole MiB', base: helloWorld, change: (td) => { td.memory = '0.0001 GB'; }, message: "Invalid 'memory' setting for task." },
  { name: 'task memory zero', base: helloWorld, change: (td) => { td.memory = '0 GB'; }, message: "Invalid 'memory' setting for task." },

  // container resources
  { name: 'no memory anywhere', base: helloWorld, change: (td) => { delete second(td).memory; }, message: "Invalid setting for container 'mysql'. At least one of 'memory' or 'memoryReservation' must be specified." },
  { name: 'container memory below 6 MiB', base: helloWorld, change: (td) => { first(td).memory = 5; }, message: /^Invalid 'memory' setting for container 'wordpress'\..*6 MiB/ },
  { name: 'container memoryReservation below 6 MiB', base: helloWorld, change: (td) => { first(td).memoryReservation = 4; }, message: /^Invalid 'memoryReservation' setting for container 'wordpress'\..*6 MiB/ },
  { name: 'memoryReservation above memory', base: helloWorld, change: (td) => { first(td).memoryReservation = 600; }, message: /^Invalid setting for container 'wordpress'\. 'memoryReservation' \(600 MiB\) must not be greater than 'memory' \(500 MiB\)\.$/ },
  { name: 'container memory above task memory', base: helloWorld, change: (td) => { td.memory = '400'; }, message: "The 'memory' setting for container 'wordpress' is greater than for the task." },
  { name: 'sum of reservations above task memory', base: taskLevelMemoryOnly, change: (td) => { first(td).memoryReservation = 600; second(td).memoryReservation = 600; }, message: "The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'." },
  { name: 'sum of hard limits above task memory', base: taskLevelMemoryOnly, change: (td) => { first(td).memory = 600; second(td).memory = 600; }, message: "The sum of all container 'memory' values cannot be greater than the value of the task 'memory'." },
  { name: 'container cpu negative', base: helloWorld, change: (td) => { first(td).cpu = -1; }, message: /^Invalid 'cpu' setting for container 'wordpress'\./ },
  { name: 'sum of container cpu above task cpu', base: fargateSidecars, change: (td) => { first(td).cpu = 900; }, message: "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'." },

  // Fargate
  { name: 'Fargate in bridge mode', base: fargateWebServer, change: (td) => { td.networkMode = 'bridge'; }, message: 'Fargate only supports network mode ‘awsvpc’.' },
  { name: 'Fargate without a network mode', base: fargateWebServer, change: (td) => { delete td.networkMode; }, message: 'Fargate only supports network mode ‘awsvpc’.' },
  { name: 'Fargate in host mode', base: fargateWebServer, change: (td) => { td.networkMode = 'host'; }, message: 'Fargate only supports network mode ‘awsvpc’.' },
  { name: 'Fargate without task cpu', base: fargateWebServer, change: (td) => { delete td.cpu; }, message: "Fargate requires that 'cpu' be defined at the task level." },
  { name: 'Fargate without task memory', base: fargateWebServer, change: (td) => { delete td.memory; }, message: "Fargate requires that 'memory' be defined at the task level." },
  { name: 'Fargate with EC2 too still needs a Fargate size', base: fargateSidecars, change: (td) => { td.memory = '1 GB'; }, message: 'No Fargate configuration exists for given values: 1024 CPU, 1024 memory. See the Amazon ECS documentation for the valid values.' },
  { name: 'Fargate Windows at 0.25 vCPU', base: fargateWebServer, change: (td) => { td.runtimePlatform = { operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE', cpuArchitecture: 'X86_64' }; }, message: 'No Fargate configuration exists for given values: 256 CPU, 512 memory. See the Amazon ECS documentation for the valid values.' },
  { name: 'Fargate with pidMode host', base: fargateWebServer, change: (td) => { td.pidMode = 'host'; }, message: "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'." },
  { name: 'Fargate with ipcMode', base: fargateWebServer, change: (td) => { td.ipcMode = 'task'; }, message: 'Tasks using the Fargate launch type do not support ipcMode.' },
  { name: 'Fargate with a host sourcePath volume', base: fargateWebServer, change: (td) => { td.volumes = [{ name: 'logs', host: { sourcePath: '/var/log' } }]; }, message: 'Fargate compatible task definitions do not support sourcePath' },
  { name: 'Fargate with a Docker volume', base: fargateWebServer, change: (td) => { td.volumes = [{ name: 'cache', dockerVolumeConfiguration: { scope: 'task' } }]; }, message: /dockerVolumeConfiguration/ },
  { name: 'Fargate privileged container', base: fargateWebServer, change: (td) => { first(td).privileged = true; }, message: /^Invalid setting for container 'fargate-app'\..*'privileged'/ },
  { name: 'Fargate dockerSecurityOptions', base: fargateWebServer, change: (td) => { first(td).dockerSecurityOptions = ['no-new-privileges']; }, message: /container 'fargate-app'.*'dockerSecurityOptions'/ },
  { name: 'Fargate GPU', base: fargateWebServer, change: (td) => { first(td).resourceRequirements = [{ type: 'GPU', value: '1' }]; }, message: /container 'fargate-app'.*GPU/ },
  { name: 'Fargate devices', base: fargateWebServer, change: (td) => { first(td).linuxParameters = { devices: [{ hostPath: '/dev/fuse' }] }; }, message: /container 'fargate-app'.*'linuxParameters\.devices'/ },
  { name: 'Fargate tmpfs', base: fargateWebServer, change: (td) => { first(td).linuxParameters = { tmpfs: [{ containerPath: '/tmp', size: 8 }] }; }, message: /container 'fargate-app'.*'linuxParameters\.tmpfs'/ },
  { name: 'Fargate sharedMemorySize', base: fargateWebServer, change: (td) => { first(td).linuxParameters = { sharedMemorySize: 64 }; }, message: /container 'fargate-app'.*'linuxParameters\.sharedMemorySize'/ },
  { name: 'Fargate swappiness', base: fargateWebServer, change: (td) => { first(td).linuxParameters = { swappiness: 10 }; }, message: /container 'fargate-app'.*'linuxParameters\.swappiness'/ },
  { name: 'Fargate capability other than SYS_PTRACE', base: fargateWebServer, change: (td) => { first(td).linuxParameters = { capabilities: { add: ['SYS_PTRACE', 'NET_ADMIN'] } }; }, message: /container 'fargate-app'.*SYS_PTRACE.*NET_ADMIN/ },
  { name: 'Fargate stopTimeout above 120', base: fargateWebServer, change: (td) => { first(td).stopTimeout = 121; }, message: /^Invalid 'stopTimeout' setting for container 'fargate-app'\..*120/ },
  { name: 'Fargate awslogs without a stream prefix', base: fargateWebServer, change: (td) => { delete first(td).logConfiguration!.options!['awslogs-stream-prefix']; }, message: 'Fargate requires log configuration options to include awslogs-stream-prefix to support log driver awslogs.' },
  { name: 'Fargate awslogs without an execution role', base: fargateWebServer, change: (td) => { delete td.executionRoleArn; }, message: 'Fargate requires task definition to have execution role ARN to support log driver awslogs.' },
  { name: 'Fargate links', base: fargateSidecars, change: (td) => { first(td).links = ['envoy']; }, message: 'Links are not supported when networkMode=awsvpc.' },
  { name: 'Fargate host port different from the container port', base: fargateWebServer, change: (td) => { first(td).portMappings = [{ containerPort: 80, hostPort: 8080 }]; }, message: 'When networkMode=awsvpc, the host ports and container ports in port mappings must match.' },
  { name: 'EXTERNAL in awsvpc mode', base: helloWorld, change: (td) => { td.requiresCompatibilities = ['EXTERNAL']; td.networkMode = 'awsvpc'; delete first(td).links; }, message: /EXTERNAL.*'awsvpc'/ },

  // networking
  { name: 'links in awsvpc mode', base: helloWorld, change: (td) => { td.networkMode = 'awsvpc'; }, message: 'Links are not supported when networkMode=awsvpc.' },
  { name: 'links in host mode', base: helloWorld, change: (td) => { td.networkMode = 'host'; }, message: 'Links are not supported when networkMode=host.' },
  { name: 'link to an unknown container', base: helloWorld, change: (td) => { first(td).links = ['redis:cache']; }, message: "Invalid 'links' setting for container 'wordpress'. Unknown container: 'redis'." },
  { name: 'hostname in awsvpc mode', base: fargateWebServer, change: (td) => { first(td).hostname = 'web'; }, message: 'hostname is not supported on container when networkMode=awsvpc.' },
  { name: 'port mapping without a container port', base: helloWorld, change: (td) => { first(td).portMappings = [{}]; }, message: "Invalid 'containerPort' setting for container 'wordpress'." },
  { name: 'container port 0', base: helloWorld, change: (td) => { first(td).portMappings = [{ containerPort: 0 }]; }, message: "Invalid 'containerPort' setting for container 'wordpress'." },
  { name: 'container port above 65535', base: helloWorld, change: (td) => { first(td).portMappings = [{ containerPort: 65536 }]; }, message: "Invalid 'containerPort' setting for container 'wordpress'." },
  { name: 'host port above 65535', base: helloWorld, change: (td) => { first(td).portMappings = [{ containerPort: 80, hostPort: 70000 }]; }, message: "Invalid 'hostPort' setting for container 'wordpress'." },
  { name: 'host port negative', base: helloWorld, change: (td) => { first(td).portMappings = [{ containerPort: 80, hostPort: -1 }]; }, message: "Invalid 'hostPort' setting for container 'wordpress'." },
  { name: 'host port different from the container port in host mode', base: hostMode, change: (td) => { first(td).portMappings = [{ containerPort: 8126, hostPort: 9126 }]; }, message: 'When networkMode=host, the host ports and container ports in port mappings must match.' },
  { name: 'port mappings in none mode', base: helloWorld, change: (td) => { td.networkMode = 'none'; delete first(td).links; }, message: /^Invalid 'portMappings' setting for container 'wordpress'\..*networkMode=none/ },
  { name: 'same host port in two containers', base: helloWorld, change: (td) => { second(td).portMappings = [{ containerPort: 3306, hostPort: 80 }]; }, message: "TCP host port '80' is mapped multiple times in task." },
  { name: 'same udp port in two awsvpc containers', base: fargateSidecars, change: (td) => { first(td).portMappings = [{ containerPort: 53, protocol: 'udp' }]; named(td, 'envoy').portMappings = [{ containerPort: 53, protocol: 'udp' }]; }, message: "UDP host port '53' is mapped multiple times in task." },
  { name: 'same container port twice in a container', base: helloWorld, change: (td) => { first(td).portMappings = [{ containerPort: 80, hostPort: 80 }, { containerPort: 80, hostPort: 8080 }]; }, message: 'Container port 80 is used in more than one port mapping for container wordpress', code: 'InvalidParameterException' },
  { name: 'same container port for tcp and udp', base: helloWorld, change: (td) => { first(td).portMappings = [{ containerPort: 53, protocol: 'tcp' }, { containerPort: 53, protocol: 'udp' }]; }, message: 'Container port 53 is used in more than one port mapping for container wordpress', code: 'InvalidParameterException' },
  { name: 'port range malformed', base: fargateSidecars, change: (td) => { first(td).portMappings = [{ containerPortRange: '9000:9010' }]; }, message: /^Invalid 'containerPortRange' setting for container 'app'\./ },
  { name: 'port range backwards', base: fargateSidecars, change: (td) => { first(td).portMappings = [{ containerPortRange: '9010-9000' }]; }, message: /^Invalid 'containerPortRange' setting for container 'app'\./ },
  { name: 'port range past 65535', base: fargateSidecars, change: (td) => { first(td).portMappings = [{ containerPortRange: '65000-65536' }]; }, message: /^Invalid 'containerPortRange' setting for container 'app'\./ },
  { name: 'port range in host mode', base: hostMode, change: (td) => { first(td).portMappings = [{ containerPortRange: '8000-8010' }]; }, message: /^Invalid 'containerPortRange' setting for container 'agent'\..*awsvpc or bridge/ },
  { name: 'port range with a host port', base: helloWorld, change: (td) => { first(td).portMappings = [{ containerPortRange: '8000-8010', hostPort: 8000 }]; }, message: /^Invalid 'hostPort' setting for container 'wordpress'\./ },
  { name: 'port range with a container port', base: helloWorld, change: (td) => { first(td).portMappings = [{ containerPortRange: '8000-8010', containerPort: 8000 }]; }, message: /^Invalid 'containerPortRange' setting for container 'wordpress'\..*not both/ },
  { name: 'overlapping port ranges', base: helloWorld, change: (td) => { first(td).portMappings = [{ containerPortRange: '8000-8010' }, { containerPortRange: '8005-8020' }]; }, message: /^Invalid 'containerPortRange' setting for container 'wordpress'\..*8005/ },
  { name: 'more than 100 port ranges', base: helloWorld, change: (td) => { first(td).portMappings = Array.from({ length: 101 }, (_, i) => ({ containerPortRange: `${10000 + i * 10}-${10001 + i * 10}` })); }, message: /container 'wordpress'.*100 port ranges/ },
  { name: 'awsvpc port range overlapping another container', base: fargateSidecars, change: (td) => { named(td, 'envoy').portMappings = [{ containerPort: 9005 }]; }, message: "TCP host port '9005' is mapped multiple times in task." },
  { name: 'port mapping name with capitals', base: fargateSidecars, change: (td) => { first(td).portMappings![0]!.name = 'HTTP'; }, message: /^Invalid 'portMappings\.name' setting for container 'app'\./ },
  { name: 'port mapping name used twice', base: fargateSidecars, change: (td) => { named(td, 'envoy').portMappings = [{ containerPort: 9901, name: 'http' }]; }, message: /^Invalid 'portMappings\.name' setting for container 'envoy'\..*'http'/ },

  // volumes
  { name: 'volume without a name', base: everyField, change: (td) => { td.volumes![0]!.name = ''; }, message: /volume\.name/ },
  { name: 'volume name with a dot', base: everyField, change: (td) => { td.volumes![0]!.name = 'my.data'; first(td).mountPoints = [{ sourceVolume: 'my.data', containerPath: '/data' }]; }, message: 'volume.name contains invalid characters.' },
  { name: 'duplicate volume names', base: everyField, change: (td) => { td.volumes![1]!.name = 'data'; }, message: "Invalid 'volumes' setting. Duplicate volume name: 'data'." },
  { name: 'mount point of an undeclared volume', base: everyField, change: (td) => { first(td).mountPoints = [{ sourceVolume: 'logs', containerPath: '/logs' }]; }, message: "Unknown volume 'logs'." },
  { name: 'mount point without a source volume', base: everyField, change: (td) => { first(td).mountPoints = [{ containerPath: '/logs' }]; }, message: "Unknown volume 'null'." },
  { name: 'mount point without a container path', base: everyField, change: (td) => { first(td).mountPoints = [{ sourceVolume: 'data' }]; }, message: /^Invalid 'mountPoints' setting for container 'app'\..*'containerPath'/ },
  { name: 'EFS IAM without transit encryption', base: fargateWebServer, change: (td) => { td.volumes = [{ name: 'efs', efsVolumeConfiguration: { fileSystemId: 'fs-1', authorizationConfig: { iam: 'ENABLED' } } }]; }, message: /'efsVolumeConfiguration' setting for volume 'efs'.*transitEncryption/ },
  { name: 'EFS access point with a root directory', base: fargateWebServer, change: (td) => { td.volumes = [{ name: 'efs', efsVolumeConfiguration: { fileSystemId: 'fs-1', rootDirectory: '/data', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-1' } } }]; }, message: /'efsVolumeConfiguration' setting for volume 'efs'.*'rootDirectory'/ },
  { name: 'volumesFrom an unknown container', base: everyField, change: (td) => { first(td).volumesFrom = [{ sourceContainer: 'cache' }]; }, message: "Invalid 'volumesFrom' setting. Unknown container: 'cache'." },
  { name: 'volumesFrom itself', base: everyField, change: (td) => { first(td).volumesFrom = [{ sourceContainer: 'app' }]; }, message: /'volumesFrom' setting for container 'app'.*itself/ },

  // start order
  { name: 'dependsOn an unknown container', base: fargateSidecars, change: (td) => { first(td).dependsOn = [{ containerName: 'migrate', condition: 'START' }]; }, message: "Cannot depend on container + 'migrate' because it does not exist" },
  { name: 'SUCCESS dependency on an essential container', base: fargateSidecars, change: (td) => { named(td, 'init').essential = true; }, message: 'A dependency container with SUCCESS or COMPLETE condition cannot be an essential container' },
  { name: 'COMPLETE dependency on a container essential by default', base: fargateSidecars, change: (td) => { delete named(td, 'init').essential; first(td).dependsOn = [{ containerName: 'init', condition: 'COMPLETE' }]; }, message: 'A dependency container with SUCCESS or COMPLETE condition cannot be an essential container' },
  { name: 'HEALTHY dependency on a container without a health check', base: fargateSidecars, change: (td) => { delete named(td, 'envoy').healthCheck; }, message: "Invalid 'dependsOn' setting for container 'app'. Container 'envoy' has no healthCheck, so it can never be HEALTHY." },
  { name: 'dependsOn cycle', base: fargateSidecars, change: (td) => { named(td, 'envoy').dependsOn = [{ containerName: 'app', condition: 'START' }]; }, message: "Invalid 'dependsOn' setting. The containers depend on each other in a cycle: app -> envoy -> app." },
  { name: 'dependsOn itself', base: fargateSidecars, change: (td) => { named(td, 'envoy').dependsOn = [{ containerName: 'envoy', condition: 'START' }]; }, message: /cycle: envoy -> envoy/ },

  // health checks
  { name: 'health check without a command', base: everyField, change: (td) => { first(td).healthCheck = { command: [] }; }, message: /^Invalid 'healthCheck\.command' setting for container 'app'\./ },
  { name: 'health check with a blank command', base: everyField, change: (td) => { first(td).healthCheck = { command: [' '] }; }, message: /^Invalid 'healthCheck\.command' setting for container 'app'\./ },
  ...(
    [
      ['interval', 4], ['interval', 301], ['timeout', 1], ['timeout', 121],
      ['retries', 0], ['retries', 11], ['startPeriod', -1], ['startPeriod', 301],
    ] as const
  ).map(([field, value]): Invalid => ({
    name: `health check ${field} ${value}`,
    base: everyField,
    change: (td) => {
      const hc: HealthCheck = { command: ['CMD', 'true'] };
      hc[field] = value;
      first(td).healthCheck = hc;
    },
    message: new RegExp(`^Invalid 'healthCheck\\.${field}' setting for container 'app'\\. It must be between \\d+ and \\d+.*; it is ${value}\\.$`),
  })),

  // per-container settings
  { name: 'unknown ulimit', base: everyField, change: (td) => { first(td).ulimits = [{ name: 'memory' as string as UlimitName, softLimit: 1, hardLimit: 1 }]; }, message: 'Unrecognized ulimit name memory' },
  { name: 'ulimit set twice', base: everyField, change: (td) => { first(td).ulimits = [{ name: 'nofile', softLimit: 1, hardLimit: 1 }, { name: 'nofile', softLimit: 2, hardLimit: 2 }]; }, message: /'ulimits' setting for container 'app'.*'nofile'/ },
  { name: 'swappiness above 100', base: everyField, change: (td) => { first(td).linuxParameters = { swappiness: 101 }; }, message: /^Invalid 'linuxParameters\.swappiness' setting for container 'app'\./ },
  { name: 'negative maxSwap', base: everyField, change: (td) => { first(td).linuxParameters = { maxSwap: -1 }; }, message: /^Invalid 'linuxParameters\.maxSwap' setting for container 'app'\./ },
  { name: 'tmpfs without a size', base: everyField, change: (td) => { first(td).linuxParameters = { tmpfs: [{ containerPath: '/tmp', size: 0 }] }; }, message: /^Invalid 'linuxParameters\.tmpfs' setting for container 'app'\./ },
  { name: 'unknown log driver', base: helloWorld, change: (td) => { first(td).logConfiguration = { logDriver: 'loki' as string as LogDriver }; }, message: /^Invalid 'logConfiguration\.logDriver' setting for container 'wordpress'\./ },
  { name: 'awslogs without group and region', base: helloWorld, change: (td) => { first(td).logConfiguration = { logDriver: 'awslogs', options: {} }; }, message: 'Log driver awslogs requires options: awslogs-region, awslogs-group' },
  { name: 'awslogs without a group', base: helloWorld, change: (td) => { first(td).logConfiguration = { logDriver: 'awslogs', options: { 'awslogs-region': 'us-east-1' } }; }, message: 'Log driver awslogs requires options: awslogs-group' },
  { name: 'firelens router nobody uses', base: fargateSidecars, change: (td) => { first(td).logConfiguration = awslogs('app'); }, message: 'When a firelensConfiguration object is specified, at least one container has to be configured with the awsfirelens log driver.' },
  { name: 'awsfirelens without a router', base: fargateSidecars, change: (td) => { td.containerDefinitions = td.containerDefinitions!.filter((c) => c.name !== 'log_router'); }, message: /^Invalid 'logConfiguration' setting for container 'app'\..*firelensConfiguration/ },
  { name: 'two log routers', base: fargateSidecars, change: (td) => { named(td, 'init').firelensConfiguration = { type: 'fluentd' }; }, message: /'firelensConfiguration' setting for container '(init|log_router)'/ },
  { name: 'negative startTimeout', base: everyField, change: (td) => { first(td).startTimeout = -1; }, message: /^Invalid 'startTimeout' setting for container 'app'\./ },
  { name: 'negative stopTimeout', base: everyField, change: (td) => { first(td).stopTimeout = -5; }, message: /^Invalid 'stopTimeout' setting for container 'app'\./ },
  { name: 'restart attempt period below 60', base: everyField, change: (td) => { first(td).restartPolicy = { enabled: true, restartAttemptPeriod: 30 }; }, message: /'restartPolicy\.restartAttemptPeriod' setting for container 'app'/ },
  { name: 'more than 50 ignored exit codes', base: everyField, change: (td) => { first(td).restartPolicy = { enabled: true, ignoredExitCodes: Array.from({ length: 51 }, (_, i) => i) }; }, message: /'restartPolicy\.ignoredExitCodes' setting for container 'app'/ },

  // task-level extras
  { name: 'ephemeral storage 20 GiB', base: fargateWebServer, change: (td) => { td.ephemeralStorage = { sizeInGiB: 20 }; }, message: /^Invalid 'ephemeralStorage\.sizeInGiB' setting for task\..*21 and 200/ },
  { name: 'ephemeral storage 201 GiB', base: fargateWebServer, change: (td) => { td.ephemeralStorage = { sizeInGiB: 201 }; }, message: /^Invalid 'ephemeralStorage\.sizeInGiB' setting for task\./ },
  { name: 'proxy for an unknown container', base: fargateSidecars, change: (td) => { td.proxyConfiguration = { type: 'APPMESH', containerName: 'mesh' }; }, message: "Invalid 'proxyConfiguration' setting. Unknown container: 'mesh'." },
  { name: 'tag key with the aws: prefix', base: helloWorld, change: (td) => { td.tags = [{ key: 'aws:owner', value: 'me' }]; }, message: /Tag key.*aws:/, code: 'InvalidParameterException' },
  { name: 'tag key with the AWS: prefix', base: helloWorld, change: (td) => { td.tags = [{ key: 'AWS:owner', value: 'me' }]; }, message: /Tag key.*aws:/, code: 'InvalidParameterException' },
  { name: 'duplicate tag keys', base: helloWorld, change: (td) => { td.tags = [{ key: 'team', value: 'a' }, { key: 'team', value: 'b' }]; }, message: /Tag key 'team'/, code: 'InvalidParameterException' },
  { name: '51 tags', base: helloWorld, change: (td) => { td.tags = Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })); }, message: /50 tags/, code: 'InvalidParameterException' },
];

function expectRejected(input: Td, message: string | RegExp, code = 'ClientException'): void {
  assert.throws(
    () => checkTaskDefinition(input),
    (err: unknown) => {
      assert.ok(err instanceof AwsError, `expected an AwsError, got ${String(err)}`);
      assert.equal(err.code, code);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

for (const c of invalid) {
  test(`invalid: ${c.name}`, () => {
    const input = structuredClone(c.base());
    checkTaskDefinition(structuredClone(input)); // the base is valid: the change alone is the problem
    c.change(input);
    expectRejected(input, c.message, c.code);
  });
}

// ── Fargate task sizes ──────────────────────────────────────────────────────

function range(from: number, to: number, by: number): number[] {
  return Array.from({ length: (to - from) / by + 1 }, (_, i) => from + i * by);
}

// The ECS Developer Guide's table, written out independently of the code under test.
const FARGATE_SIZES: [cpu: number, memory: number[]][] = [
  [256, [512, 1024, 2048]],
  [512, [1024, 2048, 3072, 4096]],
  [1024, [2048, 3072, 4096, 5120, 6144, 7168, 8192]],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
];

function fargate(cpu: string, memory: string): Td {
  return { ...fargateWebServer(), cpu, memory };
}

test('Fargate: every documented cpu/memory pair is accepted', () => {
  let n = 0;
  for (const [cpu, memories] of FARGATE_SIZES) {
    for (const memory of memories) {
      const out = checkTaskDefinition(fargate(String(cpu), String(memory)));
      assert.equal(out.cpu, String(cpu));
      assert.equal(out.memory, String(memory));
      n++;
    }
  }
  assert.equal(n, 3 + 4 + 7 + 13 + 23 + 12 + 12);
});

test('Fargate: every other pair on a 256 MiB grid is refused with ECS message', () => {
  const validPairs = new Set(FARGATE_SIZES.flatMap(([cpu, ms]) => ms.map((m) => `${cpu}/${m}`)));
  const cpus = [128, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 32768];
  let refused = 0;
  for (const cpu of cpus) {
    for (const memory of range(256, 131072, 256)) {
      if (validPairs.has(`${cpu}/${memory}`)) continue;
      expectRejected(
        fargate(String(cpu), String(memory)),
        `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`,
      );
      refused++;
    }
  }
  assert.equal(refused, cpus.length * 512 - validPairs.size);
});

test('Fargate: sizes in vCPU and GB are checked after conversion', () => {
  const ok: [string, string][] = [['.25 vCPU', '0.5GB'], ['0.5 vCPU', '4 GB'], ['1 vcpu', '8GB'], ['4 vCPU', '30 GB'], ['8 vCPU', '60 GB'], ['16 vCPU', '120 GB']];
  for (const [cpu, memory] of ok) checkTaskDefinition(fargate(cpu, memory));
  const refused: [string, string, number, number][] = [
    ['.25 vCPU', '4 GB', 256, 4096],
    ['1 vCPU', '1 GB', 1024, 1024],
    ['8 vCPU', '18 GB', 8192, 18432],
    ['16 vCPU', '36GB', 16384, 36864],
  ];
  for (const [cpu, memory, units, mib] of refused) {
    expectRejected(fargate(cpu, memory), `No Fargate configuration exists for given values: ${units} CPU, ${mib} memory. See the Amazon ECS documentation for the valid values.`);
  }
});

test('Fargate on Windows: only 1, 2 and 4 vCPU sizes exist', () => {
  const windows = (cpu: string, memory: string): Td => ({ ...fargate(cpu, memory), runtimePlatform: { operatingSystemFamily: 'WINDOWS_SERVER_2019_CORE', cpuArchitecture: 'X86_64' } });
  for (const [cpu, memory] of [['1024', '2048'], ['2048', '16384'], ['4096', '30720']]) checkTaskDefinition(windows(cpu!, memory!));
  for (const [cpu, memory] of [['256', '512'], ['512', '1024'], ['8192', '16384'], ['16384', '32768']]) {
    expectRejected(windows(cpu!, memory!), `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`);
  }
});
