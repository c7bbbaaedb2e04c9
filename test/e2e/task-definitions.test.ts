import {
  ClientException,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  paginateListTaskDefinitions,
  RegisterTaskDefinitionCommand,
  type ContainerDefinition,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { aws, ecsClient, startBerth, type Berth } from './harness.js';

// Task definitions through the AWS CLI (JSON files as users write them) and
// the SDK, against a real berth.

let b: Berth;
let ecs: ECSClient;
let dir: string;
const ACCOUNT = '000000000000';
const tdArn = (family: string, revision: number) => `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${family}:${revision}`;

before(async () => {
  b = await startBerth();
  ecs = ecsClient(b);
  dir = mkdtempSync(join(tmpdir(), 'berth-td-'));
});

after(async () => {
  ecs?.destroy();
  await b?.stop();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Every member of `expected` is in `actual` with an equal value, recursively:
 * objects may have more members (ECS fills in defaults), lists must have the
 * same length and match item by item.
 */
function assertSubset(actual: unknown, expected: unknown, path = '$'): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected a list, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: expected ${expected.length} items, got ${JSON.stringify(actual)}`);
    expected.forEach((e, i) => assertSubset(actual[i], e, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${path}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [k, v] of Object.entries(expected)) assertSubset((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    return;
  }
  assert.deepEqual(actual, expected, `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function cli(args: string[]) {
  const r = aws(b, args);
  assert.equal(r.status, 0, `aws ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  assert.ok(r.json, `aws ${args.join(' ')} printed no JSON:\n${r.stdout}`);
  return r.json;
}

function registerFile(name: string, input: object) {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(input, null, 2));
  return cli(['ecs', 'register-task-definition', '--cli-input-json', `file://${file}`]);
}

async function rejectsClient(p: Promise<unknown>, field: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ClientException, `expected ClientException, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.match((e as Error).message, field);
    return;
  }
  assert.fail('expected ClientException, but the task definition was registered');
}

// The ECS docs' hello_world example (two containers), with awslogs logging,
// a read-only root filesystem and port mappings, as a user would keep it in a file.
const HELLO_WORLD = {
  family: 'hello_world',
  containerDefinitions: [
    {
      name: 'wordpress',
      links: ['mysql'],
      image: 'wordpress',
      essential: true,
      portMappings: [{ containerPort: 80, hostPort: 80 }],
      memory: 500,
      cpu: 10,
      readonlyRootFilesystem: true,
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': '/ecs/hello_world', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'wordpress' },
      },
    },
    {
      environment: [{ name: 'MYSQL_ROOT_PASSWORD', value: 'password' }],
      name: 'mysql',
      image: 'mysql',
      cpu: 10,
      memory: 500,
      essential: true,
      portMappings: [{ containerPort: 3306, hostPort: 3306, protocol: 'tcp' }],
      readonlyRootFilesystem: false,
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': '/ecs/hello_world', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'mysql' },
      },
    },
  ],
};

test('CLI: the hello_world example registers from --cli-input-json and describes back field for field', () => {
  const reg = registerFile('hello_world', HELLO_WORLD);
  const td = reg.taskDefinition;
  assert.equal(td.taskDefinitionArn, tdArn('hello_world', 1));
  assert.equal(td.family, 'hello_world');
  assert.equal(td.revision, 1);
  assert.equal(td.status, 'ACTIVE');
  assertSubset(td.containerDefinitions, HELLO_WORLD.containerDefinitions);

  const desc = cli(['ecs', 'describe-task-definition', '--task-definition', 'hello_world']).taskDefinition;
  assert.equal(desc.taskDefinitionArn, tdArn('hello_world', 1));
  assertSubset(desc, HELLO_WORLD);
  // What ECS adds on its own.
  assert.equal(desc.networkMode, 'bridge');
  assert.equal(desc.containerDefinitions[0].portMappings[0].protocol, 'tcp');
  assert.ok(desc.compatibilities.includes('EC2'), JSON.stringify(desc.compatibilities));
  assert.ok(Number.isFinite(Date.parse(desc.registeredAt)) || typeof desc.registeredAt === 'number', `registeredAt ${desc.registeredAt}`);
  assert.equal(desc.registeredBy, `arn:aws:iam::${ACCOUNT}:root`);
});

/** The container definition members the CLI round trip below must cover, every one. */
const EVERY_FIELD = [
  'cpu', 'memory', 'memoryReservation', 'essential', 'entryPoint', 'command', 'workingDirectory', 'environment',
  'environmentFiles', 'secrets', 'disableNetworking', 'links', 'hostname', 'dnsServers', 'dnsSearchDomains', 'extraHosts',
  'readonlyRootFilesystem', 'mountPoints', 'volumesFrom', 'logConfiguration', 'privileged', 'user', 'dockerSecurityOptions',
  'ulimits', 'dockerLabels', 'healthCheck', 'dependsOn', 'stopTimeout', 'startTimeout', 'linuxParameters', 'systemControls',
  'interactive', 'pseudoTerminal',
];

const KITCHEN_SINK: RegisterTaskDefinitionCommandInput = {
  family: 'kitchen-sink',
  networkMode: 'bridge',
  taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/web-task`,
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`,
  volumes: [{ name: 'data', host: { sourcePath: '/srv/data' } }],
  requiresCompatibilities: ['EC2'],
  placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t3.*' }],
  tags: [{ key: 'app', value: 'kitchen-sink' }],
  containerDefinitions: [
    {
      name: 'web',
      image: 'public.ecr.aws/nginx/nginx:1.25',
      cpu: 256,
      memory: 512,
      memoryReservation: 256,
      essential: true,
      entryPoint: ['/docker-entrypoint.sh'],
      command: ['nginx', '-g', 'daemon off;'],
      workingDirectory: '/usr/share/nginx',
      environment: [
        { name: 'MODE', value: 'production' },
        { name: 'WORKERS', value: '4' },
      ],
      environmentFiles: [{ value: 'arn:aws:s3:::config-bucket/web.env', type: 's3' }],
      secrets: [{ name: 'DB_PASSWORD', valueFrom: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/db-password` }],
      disableNetworking: false,
      links: ['sidecar:side'],
      hostname: 'web',
      dnsServers: ['10.0.0.2', '10.0.0.3'],
      dnsSearchDomains: ['example.internal'],
      extraHosts: [{ hostname: 'db.internal', ipAddress: '10.0.0.10' }],
      readonlyRootFilesystem: true,
      mountPoints: [{ sourceVolume: 'data', containerPath: '/data', readOnly: false }],
      volumesFrom: [{ sourceContainer: 'sidecar', readOnly: true }],
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': '/ecs/kitchen-sink', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'web' },
        secretOptions: [{ name: 'api-key', valueFrom: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/log-key` }],
      },
      privileged: false,
      user: '101:101',
      dockerSecurityOptions: ['no-new-privileges'],
      ulimits: [
        { name: 'nofile', softLimit: 1024, hardLimit: 4096 },
        { name: 'nproc', softLimit: 512, hardLimit: 1024 },
      ],
      dockerLabels: { 'com.example.team': 'platform', 'com.example.tier': 'front' },
      healthCheck: { command: ['CMD-SHELL', 'wget -q -O /dev/null http://localhost/ || exit 1'], interval: 10, timeout: 3, retries: 2, startPeriod: 5 },
      dependsOn: [{ containerName: 'sidecar', condition: 'START' }],
      stopTimeout: 30,
      startTimeout: 60,
      linuxParameters: {
        capabilities: { add: ['NET_ADMIN'], drop: ['MKNOD'] },
        devices: [{ hostPath: '/dev/fuse', containerPath: '/dev/fuse', permissions: ['read', 'write'] }],
        initProcessEnabled: true,
        sharedMemorySize: 64,
        tmpfs: [{ containerPath: '/run', size: 64, mountOptions: ['rw', 'noexec'] }],
        maxSwap: 1024,
        swappiness: 60,
      },
      systemControls: [{ namespace: 'net.core.somaxconn', value: '1024' }],
      interactive: true,
      pseudoTerminal: true,
      portMappings: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }],
    },
    {
      name: 'sidecar',
      image: 'busybox',
      memory: 64,
      essential: false,
      command: ['sleep', '3600'],
      mountPoints: [{ sourceVolume: 'data', containerPath: '/shared', readOnly: true }],
    },
  ],
};

test('CLI: a container definition using every field round-trips with every field equal', () => {
  const web = KITCHEN_SINK.containerDefinitions![0]!;
  assert.deepEqual(EVERY_FIELD.filter((f) => !(f in web)), [], 'the fixture misses fields it is meant to cover');

  const reg = registerFile('kitchen-sink', KITCHEN_SINK);
  assert.equal(reg.taskDefinition.revision, 1);
  assertSubset(reg.taskDefinition.containerDefinitions, KITCHEN_SINK.containerDefinitions);
  assert.deepEqual(reg.tags, KITCHEN_SINK.tags);

  const out = cli(['ecs', 'describe-task-definition', '--task-definition', 'kitchen-sink:1', '--include', 'TAGS']);
  const desc = out.taskDefinition;
  const { tags, ...rest } = KITCHEN_SINK;
  assertSubset(desc, rest);
  // Every field of the big container, one by one, so a failure names it.
  const described = desc.containerDefinitions.find((c: ContainerDefinition) => c.name === 'web');
  for (const field of EVERY_FIELD) assert.deepEqual(described[field], (web as Record<string, unknown>)[field], `field ${field}`);
  assert.deepEqual(out.tags, tags);
  assert.ok(
    desc.requiresAttributes.some((a: { name: string }) => a.name === 'com.amazonaws.ecs.capability.task-iam-role'),
    `requiresAttributes: ${JSON.stringify(desc.requiresAttributes)}`,
  );
});

const simple = (family: string, extra: Partial<RegisterTaskDefinitionCommandInput> = {}): RegisterTaskDefinitionCommandInput => ({
  family,
  containerDefinitions: [{ name: 'app', image: 'busybox', memory: 32, command: ['sleep', '60'] }],
  ...extra,
});

test('revisions increment per family; describe by family, family:revision and ARN; include TAGS', async () => {
  const a1 = await ecs.send(new RegisterTaskDefinitionCommand(simple('rev-a', { tags: [{ key: 'n', value: '1' }] })));
  const a2 = await ecs.send(new RegisterTaskDefinitionCommand(simple('rev-a', { tags: [{ key: 'n', value: '2' }] })));
  const b1 = await ecs.send(new RegisterTaskDefinitionCommand(simple('rev-b')));
  const a3 = await ecs.send(new RegisterTaskDefinitionCommand(simple('rev-a', { cpu: '256' })));
  assert.deepEqual(
    [a1, a2, b1, a3].map((r) => r.taskDefinition!.taskDefinitionArn),
    [tdArn('rev-a', 1), tdArn('rev-a', 2), tdArn('rev-b', 1), tdArn('rev-a', 3)],
  );
  assert.deepEqual(a1.tags, [{ key: 'n', value: '1' }]);

  const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'rev-a' }));
  assert.equal(latest.taskDefinition!.revision, 3);
  assert.equal(latest.taskDefinition!.cpu, '256');
  assert.equal(latest.tags, undefined);

  const second = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'rev-a:2', include: ['TAGS'] }));
  assert.equal(second.taskDefinition!.revision, 2);
  assert.deepEqual(second.tags, [{ key: 'n', value: '2' }]);

  const byArn = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: tdArn('rev-a', 1), include: ['TAGS'] }));
  assert.equal(byArn.taskDefinition!.taskDefinitionArn, tdArn('rev-a', 1));
  assert.equal(byArn.taskDefinition!.family, 'rev-a');
  assert.deepEqual(byArn.tags, [{ key: 'n', value: '1' }]);
  assert.ok(byArn.taskDefinition!.registeredAt instanceof Date);
  assert.ok(Math.abs(byArn.taskDefinition!.registeredAt!.getTime() - Date.now()) < 60_000);

  await rejectsClient(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'rev-a:9' })), /./);
  await rejectsClient(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'no-such-family' })), /./);
});

test('ListTaskDefinitions: familyPrefix, status and sort DESC', async () => {
  const asc = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'rev-a' }));
  assert.deepEqual(asc.taskDefinitionArns, [tdArn('rev-a', 1), tdArn('rev-a', 2), tdArn('rev-a', 3)]);
  const desc = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'rev-a', sort: 'DESC' }));
  assert.deepEqual(desc.taskDefinitionArns, [tdArn('rev-a', 3), tdArn('rev-a', 2), tdArn('rev-a', 1)]);
  // familyPrefix is the whole family name: rev-a does not match rev-b.
  const none = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'rev' }));
  assert.deepEqual(none.taskDefinitionArns, []);

  const all = await ecs.send(new ListTaskDefinitionsCommand({}));
  const families = all.taskDefinitionArns!.map((a) => a.split('/')[1]!.split(':')[0]!);
  assert.deepEqual(families, [...families].sort(), 'not sorted by family');
  assert.ok(all.taskDefinitionArns!.includes(tdArn('rev-b', 1)));
  const allDesc = await ecs.send(new ListTaskDefinitionsCommand({ sort: 'DESC' }));
  assert.deepEqual(allDesc.taskDefinitionArns, [...all.taskDefinitionArns!].reverse());

  await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'rev-a:2' }));
  const active = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'rev-a', status: 'ACTIVE' }));
  assert.deepEqual(active.taskDefinitionArns, [tdArn('rev-a', 1), tdArn('rev-a', 3)]);
  const inactive = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'rev-a', status: 'INACTIVE' }));
  assert.deepEqual(inactive.taskDefinitionArns, [tdArn('rev-a', 2)]);
});

test('paginateListTaskDefinitions over 250 revisions of one family: each ARN once, in order (pageSize 100 and 30)', async () => {
  const family = 'many';
  // Registered ten at a time, concurrently: revisions must still come out distinct and gapless.
  const got: string[] = [];
  for (let i = 0; i < 250; i += 10) {
    const batch = await Promise.all(Array.from({ length: 10 }, () => ecs.send(new RegisterTaskDefinitionCommand(simple(family)))));
    got.push(...batch.map((r) => r.taskDefinition!.taskDefinitionArn!));
  }
  const expected = Array.from({ length: 250 }, (_, i) => tdArn(family, i + 1));
  assert.deepEqual([...got].sort(), [...expected].sort(), 'concurrent registrations got duplicate or missing revisions');

  for (const pageSize of [100, 30]) {
    const seen: string[] = [];
    const sizes: number[] = [];
    for await (const page of paginateListTaskDefinitions({ client: ecs, pageSize }, { familyPrefix: family })) {
      sizes.push(page.taskDefinitionArns!.length);
      seen.push(...page.taskDefinitionArns!);
    }
    assert.deepEqual(seen, expected, `pageSize ${pageSize}`);
    assert.ok(sizes.every((s) => s <= pageSize), `pageSize ${pageSize}: page sizes ${sizes.join(',')}`);
    assert.equal(sizes.filter((s) => s > 0).length, Math.ceil(250 / pageSize), `pageSize ${pageSize}: page sizes ${sizes.join(',')}`);
  }
  const seenDesc: string[] = [];
  for await (const page of paginateListTaskDefinitions({ client: ecs, pageSize: 30 }, { familyPrefix: family, sort: 'DESC' })) seenDesc.push(...page.taskDefinitionArns!);
  assert.deepEqual(seenDesc, [...expected].reverse());
});

test('ListTaskDefinitionFamilies: familyPrefix and status ACTIVE / INACTIVE / ALL', async () => {
  await ecs.send(new RegisterTaskDefinitionCommand(simple('famx-one')));
  await ecs.send(new RegisterTaskDefinitionCommand(simple('famx-two')));
  await ecs.send(new RegisterTaskDefinitionCommand(simple('famx-two')));
  await ecs.send(new RegisterTaskDefinitionCommand(simple('famx-gone')));
  await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'famx-gone:1' }));
  await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'famx-two:1' }));
  const list = async (status?: 'ACTIVE' | 'INACTIVE' | 'ALL') => (await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'famx', status }))).families;
  assert.deepEqual(await list(), ['famx-one', 'famx-two']);
  assert.deepEqual(await list('ACTIVE'), ['famx-one', 'famx-two']);
  assert.deepEqual(await list('INACTIVE'), ['famx-gone']);
  assert.deepEqual(await list('ALL'), ['famx-gone', 'famx-one', 'famx-two']);
  const everything = (await ecs.send(new ListTaskDefinitionFamiliesCommand({}))).families!;
  for (const f of ['hello_world', 'kitchen-sink', 'rev-a', 'rev-b', 'many', 'famx-one']) assert.ok(everything.includes(f), `${f} missing from ${everything.join(',')}`);
  assert.ok(!everything.includes('famx-gone'));
  const paged = await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'famx', status: 'ALL', maxResults: 2 }));
  assert.deepEqual(paged.families, ['famx-gone', 'famx-one']);
  assert.ok(paged.nextToken);
  const rest = await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'famx', status: 'ALL', maxResults: 2, nextToken: paged.nextToken }));
  assert.deepEqual(rest.families, ['famx-two']);
});

test('DeregisterTaskDefinition makes a revision INACTIVE with deregisteredAt', async () => {
  await ecs.send(new RegisterTaskDefinitionCommand(simple('dereg')));
  await ecs.send(new RegisterTaskDefinitionCommand(simple('dereg')));
  const t0 = Date.now();
  const out = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: tdArn('dereg', 2) }));
  assert.equal(out.taskDefinition!.status, 'INACTIVE');
  assert.equal(out.taskDefinition!.taskDefinitionArn, tdArn('dereg', 2));
  assert.ok(out.taskDefinition!.deregisteredAt instanceof Date, 'no deregisteredAt');
  assert.ok(Math.abs(out.taskDefinition!.deregisteredAt!.getTime() - t0) < 60_000);
  const d = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'dereg:2' }));
  assert.equal(d.taskDefinition!.status, 'INACTIVE');
  assert.ok(d.taskDefinition!.deregisteredAt instanceof Date);
  // The family's latest ACTIVE revision is now 1.
  const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'dereg' }));
  assert.equal(latest.taskDefinition!.revision, 1);
  // A revision is required to deregister.
  await rejectsClient(ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'dereg' })), /revision/i);
  // New registrations continue after the highest revision ever handed out.
  const next = await ecs.send(new RegisterTaskDefinitionCommand(simple('dereg')));
  assert.equal(next.taskDefinition!.revision, 3);
});

test('DeleteTaskDefinitions: INACTIVE → DELETE_IN_PROGRESS; ACTIVE → failure', async () => {
  const out = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['dereg:2', tdArn('dereg', 1)] }));
  assert.deepEqual(out.taskDefinitions!.map((t) => [t.taskDefinitionArn, t.status]), [[tdArn('dereg', 2), 'DELETE_IN_PROGRESS']]);
  assert.equal(out.failures!.length, 1);
  assert.equal(out.failures![0]!.arn, tdArn('dereg', 1));
  assert.ok(out.failures![0]!.reason, 'failure without a reason');
  const d = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'dereg:1' }));
  assert.equal(d.taskDefinition!.status, 'ACTIVE', 'a refused delete changed the revision');
  const inProgress = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'dereg', status: 'DELETE_IN_PROGRESS' }));
  assert.deepEqual(inProgress.taskDefinitionArns, [tdArn('dereg', 2)]);
  const inactive = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'dereg', status: 'INACTIVE' }));
  assert.deepEqual(inactive.taskDefinitionArns, []);
  // Revision numbers are never reused.
  const next = await ecs.send(new RegisterTaskDefinitionCommand(simple('dereg')));
  assert.equal(next.taskDefinition!.revision, 4);
});

test('invalid task definitions → ClientException naming the field', async () => {
  await rejectsClient(
    ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'bad',
        containerDefinitions: [
          { name: 'a', image: 'busybox', memory: 32, essential: false },
          { name: 'b', image: 'busybox', memory: 32, essential: false },
        ],
      }),
    ),
    /essential/,
  );
  await rejectsClient(
    ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'bad',
        containerDefinitions: [
          { name: 'same', image: 'busybox', memory: 32 },
          { name: 'same', image: 'nginx', memory: 32 },
        ],
      }),
    ),
    /name/i,
  );
  await rejectsClient(
    ecs.send(new RegisterTaskDefinitionCommand({ family: 'bad', requiresCompatibilities: ['EC2'], containerDefinitions: [{ name: 'nomem', image: 'busybox' }] })),
    /memory/,
  );
  await rejectsClient(
    ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'bad',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '4096',
        containerDefinitions: [{ name: 'app', image: 'busybox' }],
      }),
    ),
    /cpu|memory|CPU/,
  );
  // None of them left a revision behind.
  const families = await ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'bad', status: 'ALL' }));
  assert.deepEqual(families.families, []);
  // A valid Fargate size registers, with FARGATE among its compatibilities.
  const ok = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'fargate-ok',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: 'busybox', portMappings: [{ containerPort: 8080 }] }],
    }),
  );
  assert.ok(ok.taskDefinition!.compatibilities!.includes('FARGATE'));
  assert.equal(ok.taskDefinition!.containerDefinitions![0]!.portMappings![0]!.hostPort, 8080);
  // Task sizes given with units are stored as plain CPU units and MiB.
  const units = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'fargate-units',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '1 vCPU',
      memory: '2 GB',
      containerDefinitions: [{ name: 'app', image: 'busybox' }],
    }),
  );
  assert.deepEqual([units.taskDefinition!.cpu, units.taskDefinition!.memory], ['1024', '2048']);
});
