import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerDefinition, TaskDefinition } from '@aws-sdk/client-ecs';
import { AwsError } from '../../src/gateway/errors.js';
import { FARGATE_PLATFORM_VERSION, checkFargateLaunch, type FargateLaunchInput } from '../../src/control/fargate-rules.js';
import { FARGATE_TASK_SIZES } from '../../src/control/task-definition-rules.js';

const INVALID = 'InvalidParameterException';

/** The ECS Developer Guide's Fargate web server, as DescribeTaskDefinition shows it. */
function webServer(): TaskDefinition {
  return {
    family: 'webserver',
    revision: 1,
    status: 'ACTIVE',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    compatibilities: ['EC2', 'FARGATE'],
    cpu: '256',
    memory: '512',
    runtimePlatform: { operatingSystemFamily: 'LINUX' },
    containerDefinitions: [
      {
        name: 'fargate-app',
        image: 'public.ecr.aws/docker/library/httpd:2.4',
        essential: true,
        portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }],
      },
    ],
  };
}

/** A RunTask of the web server into one subnet, nothing overridden. */
function runTask(td = webServer()): FargateLaunchInput {
  return {
    td,
    overrides: {},
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], assignPublicIp: 'ENABLED' } },
  };
}

const app = (input: FargateLaunchInput): ContainerDefinition => input.td.containerDefinitions![0]!;

function rejects(input: FargateLaunchInput, code: string, message: string): void {
  assert.throws(
    () => checkFargateLaunch(input),
    (e: unknown) => {
      assert.ok(e instanceof AwsError, 'an AwsError');
      assert.equal(e.message, message);
      assert.equal(e.code, code);
      return true;
    },
  );
}

const noFargateConfiguration = (cpu: number, memory: number) =>
  `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`;

test('the web server launches on 1.4.0, Linux, X86_64, with the default 20 GiB', () => {
  assert.deepEqual(checkFargateLaunch(runTask()), {
    platformVersion: FARGATE_PLATFORM_VERSION,
    platformFamily: 'Linux',
    cpu: 256,
    memory: 512,
    ephemeralStorageGiB: 20,
    cpuArchitecture: 'X86_64',
  });
});

// ── task size ───────────────────────────────────────────────────────────────

test('every cpu/memory pair of the Fargate table launches', () => {
  let pairs = 0;
  for (const [cpu, memories] of FARGATE_TASK_SIZES) {
    for (const memory of memories) {
      const input = runTask({ ...webServer(), cpu: String(cpu), memory: String(memory) });
      const out = checkFargateLaunch(input);
      assert.equal(out.cpu, cpu);
      assert.equal(out.memory, memory);
      pairs += 1;
    }
  }
  // 3 + 4 + 7 + 13 + 23 + 12 + 12: the developer guide's table.
  assert.equal(pairs, 74);
});

const badSizes: [name: string, cpu: string | undefined, memory: string | undefined, message: string][] = [
  ['256/4096 (above 2 GB)', '256', '4096', noFargateConfiguration(256, 4096)],
  ['512/512 (below 1 GB)', '512', '512', noFargateConfiguration(512, 512)],
  ['1024/1024 (below 2 GB)', '1024', '1024', noFargateConfiguration(1024, 1024)],
  ['2048/3072 (below 4 GB)', '2048', '3072', noFargateConfiguration(2048, 3072)],
  ['4096/7168 (below 8 GB)', '4096', '7168', noFargateConfiguration(4096, 7168)],
  ['4096/31744 (above 30 GB)', '4096', '31744', noFargateConfiguration(4096, 31744)],
  ['8192/17408 (not a 4 GB step)', '8192', '17408', noFargateConfiguration(8192, 17408)],
  ['16384/36864 (not an 8 GB step)', '16384', '36864', noFargateConfiguration(16384, 36864)],
  ['16384/131072 (above 120 GB)', '16384', '131072', noFargateConfiguration(16384, 131072)],
  ['128/512 (no 0.125 vCPU size)', '128', '512', noFargateConfiguration(128, 512)],
  ['3072/8192 (no 3 vCPU size)', '3072', '8192', noFargateConfiguration(3072, 8192)],
  ['2 vCPU/3 GB in units', '2 vCPU', '3 GB', noFargateConfiguration(2048, 3072)],
  ['missing cpu', undefined, '512', "Fargate requires that 'cpu' be defined at the task level."],
  ['missing memory', '256', undefined, "Fargate requires that 'memory' be defined at the task level."],
];

for (const [name, cpu, memory, message] of badSizes) {
  test(`task size refused: ${name}`, () => {
    const td = webServer();
    if (cpu === undefined) delete td.cpu;
    else td.cpu = cpu;
    if (memory === undefined) delete td.memory;
    else td.memory = memory;
    rejects(runTask(td), INVALID, message);
  });
}

test('overrides replace the task size: valid becomes invalid', () => {
  const input = runTask();
  input.overrides = { memory: '4096' };
  rejects(input, INVALID, noFargateConfiguration(256, 4096));
  input.overrides = { cpu: '2048' };
  rejects(input, INVALID, noFargateConfiguration(2048, 512));
});

test('overrides replace the task size: invalid becomes valid, in ECS units too', () => {
  const input = runTask({ ...webServer(), cpu: '256', memory: '4096' });
  input.overrides = { cpu: '1024' };
  const cpuOnly = checkFargateLaunch(input);
  assert.deepEqual([cpuOnly.cpu, cpuOnly.memory], [1024, 4096], 'memory stays the task definition\'s');
  input.overrides = { cpu: '1 vCPU', memory: '2 GB' };
  const both = checkFargateLaunch(input);
  assert.deepEqual([both.cpu, both.memory], [1024, 2048]);
});

test('an override that is no size at all gets the task definition parser\'s text', () => {
  const input = runTask();
  input.overrides = { cpu: 'lots' };
  rejects(input, 'ClientException', "Invalid 'cpu' setting for task.");
});

// ── every other rule: one launch that passes, one that ECS refuses ─────────

interface Rule {
  name: string;
  /** Changes the web server's RunTask so that it still launches. */
  pass: (input: FargateLaunchInput) => void;
  /** Changes it so that ECS refuses it. */
  fail: (input: FargateLaunchInput) => void;
  code: string;
  message: string;
}

const rules: Rule[] = [
  {
    name: 'the task definition supports FARGATE',
    pass: (i) => { i.td.requiresCompatibilities = ['EC2', 'FARGATE']; },
    fail: (i) => { i.td.requiresCompatibilities = ['EC2']; i.td.compatibilities = ['EC2']; },
    code: INVALID,
    message: 'Task definition does not support launch_type FARGATE.',
  },
  {
    name: 'a definition without requiresCompatibilities that ECS found Fargate-compatible',
    pass: (i) => { delete i.td.requiresCompatibilities; },
    fail: (i) => { delete i.td.requiresCompatibilities; delete i.td.compatibilities; },
    code: INVALID,
    message: 'Task definition does not support launch_type FARGATE.',
  },
  {
    name: 'network mode awsvpc',
    pass: (i) => { i.td.networkMode = 'awsvpc'; },
    fail: (i) => { i.td.networkMode = 'bridge'; },
    code: INVALID,
    message: 'Fargate only supports network mode ‘awsvpc’.',
  },
  {
    name: 'a network configuration',
    pass: (i) => { i.networkConfiguration = { awsvpcConfiguration: { subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'] } }; },
    fail: (i) => { delete i.networkConfiguration; },
    code: INVALID,
    message: "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
  },
  {
    name: 'a network configuration with an awsvpcConfiguration',
    pass: () => {},
    fail: (i) => { i.networkConfiguration = {}; },
    code: INVALID,
    message: "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
  },
  {
    name: 'at least one subnet',
    pass: (i) => { i.networkConfiguration = { awsvpcConfiguration: { subnets: ['subnet-1'] } }; },
    fail: (i) => { i.networkConfiguration = { awsvpcConfiguration: { subnets: [] } }; },
    code: INVALID,
    message: 'subnets can not be empty.',
  },
  {
    name: 'ephemeral storage of the task definition, 21 to 200 GiB',
    pass: (i) => { i.td.ephemeralStorage = { sizeInGiB: 200 }; },
    fail: (i) => { i.td.ephemeralStorage = { sizeInGiB: 201 }; },
    code: INVALID,
    message: 'EphemeralStorage size should be at most 200',
  },
  {
    name: 'ephemeral storage override, 21 to 200 GiB',
    pass: (i) => { i.td.ephemeralStorage = { sizeInGiB: 500 }; i.overrides = { ephemeralStorage: { sizeInGiB: 21 } }; },
    fail: (i) => { i.td.ephemeralStorage = { sizeInGiB: 50 }; i.overrides = { ephemeralStorage: { sizeInGiB: 20 } }; },
    code: INVALID,
    message: 'EphemeralStorage size should be at least 21',
  },
  {
    name: 'platform version 1.4.0',
    pass: (i) => { i.platformVersion = '1.4.0'; },
    fail: (i) => { i.platformVersion = '1.3.0'; },
    code: 'PlatformUnknownException',
    message: 'The specified platform does not exist.',
  },
  {
    name: 'platform version LATEST',
    pass: (i) => { i.platformVersion = 'LATEST'; },
    fail: (i) => { i.platformVersion = '1.4'; },
    code: 'PlatformUnknownException',
    message: 'The specified platform does not exist.',
  },
  {
    name: 'Linux only',
    pass: (i) => { i.td.runtimePlatform = { cpuArchitecture: 'ARM64' }; },
    fail: (i) => { i.td.runtimePlatform = { operatingSystemFamily: 'WINDOWS_SERVER_2022_CORE', cpuArchitecture: 'X86_64' }; },
    code: 'PlatformTaskDefinitionIncompatibilityException',
    message: "berth runs Fargate tasks on Linux only; the task definition's runtimePlatform.operatingSystemFamily is WINDOWS_SERVER_2022_CORE.",
  },
  {
    name: 'no privileged container',
    pass: (i) => { app(i).privileged = false; },
    fail: (i) => { app(i).privileged = true; },
    code: INVALID,
    message: "Invalid setting for container 'fargate-app'. Tasks using the Fargate launch type do not support 'privileged'.",
  },
  {
    name: 'no devices',
    pass: (i) => { app(i).linuxParameters = { devices: [], initProcessEnabled: true }; },
    fail: (i) => { app(i).linuxParameters = { devices: [{ hostPath: '/dev/fuse' }] }; },
    code: INVALID,
    message: "Invalid setting for container 'fargate-app'. Tasks using the Fargate launch type do not support 'linuxParameters.devices'.",
  },
  {
    name: 'no tmpfs',
    pass: (i) => { app(i).linuxParameters = { tmpfs: [] }; },
    fail: (i) => { app(i).linuxParameters = { tmpfs: [{ containerPath: '/scratch', size: 64 }] }; },
    code: INVALID,
    message: "Invalid setting for container 'fargate-app'. Tasks using the Fargate launch type do not support 'linuxParameters.tmpfs'.",
  },
  {
    name: 'only SYS_PTRACE added',
    pass: (i) => { app(i).linuxParameters = { capabilities: { add: ['SYS_PTRACE'], drop: ['NET_RAW'] } }; },
    fail: (i) => { app(i).linuxParameters = { capabilities: { add: ['SYS_PTRACE', 'NET_ADMIN', 'SYS_ADMIN'] } }; },
    code: INVALID,
    message: "Invalid setting for container 'fargate-app'. Tasks using the Fargate launch type can only add the SYS_PTRACE capability, not NET_ADMIN, SYS_ADMIN.",
  },
  {
    name: 'host port equal to the container port',
    pass: (i) => { app(i).portMappings = [{ containerPort: 8080, hostPort: 8080 }, { containerPort: 9090 }, { containerPort: 9091, hostPort: 0 }]; },
    fail: (i) => { app(i).portMappings = [{ containerPort: 80, hostPort: 8080 }]; },
    code: INVALID,
    message: 'When networkMode=awsvpc, the host ports and container ports in port mappings must match.',
  },
  {
    name: 'no placement strategy',
    pass: (i) => { i.placementStrategy = []; },
    fail: (i) => { i.placementStrategy = [{ type: 'binpack', field: 'memory' }]; },
    code: INVALID,
    message: 'Placement strategies are not supported with FARGATE launch type.',
  },
  {
    name: 'no placement constraint in the request',
    pass: (i) => { i.placementConstraints = []; },
    fail: (i) => { i.placementConstraints = [{ type: 'distinctInstance' }]; },
    code: INVALID,
    message: 'Placement constraints are not supported with FARGATE launch type.',
  },
  {
    name: 'no memberOf constraint in the task definition',
    pass: (i) => { i.td.placementConstraints = []; },
    fail: (i) => { i.td.placementConstraints = [{ type: 'memberOf', expression: 'attribute:ecs.availability-zone in [us-east-1a]' }]; },
    code: INVALID,
    message: 'Placement constraints are not supported with FARGATE launch type.',
  },
];

for (const rule of rules) {
  test(`passes: ${rule.name}`, () => {
    const input = runTask();
    rule.pass(input);
    assert.doesNotThrow(() => checkFargateLaunch(input));
  });
  test(`refused: ${rule.name}`, () => {
    const input = runTask();
    rule.fail(input);
    rejects(input, rule.code, rule.message);
  });
}

// ── what the launch reports ─────────────────────────────────────────────────

test('reports the architecture and the ephemeral storage the task gets', () => {
  const input = runTask({ ...webServer(), runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'ARM64' }, ephemeralStorage: { sizeInGiB: 30 } });
  assert.equal(checkFargateLaunch(input).cpuArchitecture, 'ARM64');
  assert.equal(checkFargateLaunch(input).ephemeralStorageGiB, 30);
  input.overrides = { ephemeralStorage: { sizeInGiB: 120 } };
  assert.equal(checkFargateLaunch(input).ephemeralStorageGiB, 120);
  delete input.td.runtimePlatform;
  assert.equal(checkFargateLaunch(input).cpuArchitecture, 'X86_64');
});

test('services get the same answers as RunTask', () => {
  for (const caller of ['CreateService', 'UpdateService'] as const) {
    const input: FargateLaunchInput = { ...runTask(), caller, platformVersion: 'LATEST' };
    assert.equal(checkFargateLaunch(input).platformVersion, FARGATE_PLATFORM_VERSION);
    rejects({ ...input, placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }] }, INVALID, 'Placement strategies are not supported with FARGATE launch type.');
  }
});

test('leaves its input untouched', () => {
  const input = runTask();
  input.overrides = { cpu: '1 vCPU', memory: '2 GB' };
  const before = structuredClone(input);
  checkFargateLaunch(input);
  assert.deepEqual(input, before);
});
