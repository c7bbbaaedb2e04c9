import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { CapacityProviders } from '../../src/control/capacity-providers.js';
import type { InstancePool, PoolMember, PoolProvider } from '../../src/fleet/instance-pool.js';
import { ScalingLoop } from '../../src/fleet/scaling-loop.js';
import { AGENT_ATTRIBUTES, addInstance, openCore, scope, type Core } from '../control/fixture.js';

// The managed scaling loop against the control core's store: what it reads
// (a provider's instances and their tasks, the tasks waiting for it), the
// figure it keeps, and what it asks of the pool (a recording stand-in here).

class RecordingPool {
  launches: { provider: PoolProvider; count: number }[] = [];
  stops: string[] = [];
  list: PoolMember[] = [];
  members(providerArn?: string): PoolMember[] {
    return this.list.filter((m) => providerArn === undefined || m.providerArn === providerArn);
  }
  launchBlockedUntil(): number {
    return 0;
  }
  async launch(provider: PoolProvider, count: number): Promise<boolean[]> {
    this.launches.push({ provider, count });
    return [];
  }
  async stop(arn: string): Promise<boolean> {
    this.stops.push(arn);
    return true;
  }
}

let core: Core;
let cps: CapacityProviders;
let pool: RecordingPool;
let loop: ScalingLoop;
let placed = 0;
let clusterArn: string;
const providerArn = 'arn:aws:ecs:us-east-1:000000000000:capacity-provider/loop-cp';

before(async () => {
  core = await openCore();
  cps = new CapacityProviders(core.store);
  pool = new RecordingPool();
  const tasks = { placeWaiting: async () => (placed++, 0) };
  loop = new ScalingLoop({
    store: core.store,
    capacityProviders: cps,
    pool: pool as unknown as InstancePool,
    accountId: scope.accountId,
    maxInstances: 4,
    instanceCpu: 1024,
    instanceMemory: 1024,
    intervalMs: 1000,
    tasks,
    log: pino({ level: 'silent' }),
  });
  await cps.create(
    scope,
    {
      name: 'loop-cp',
      autoScalingGroupProvider: {
        autoScalingGroupArn: 'asg-loop',
        managedScaling: { status: 'ENABLED', targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 10, instanceWarmupPeriod: 0 },
      },
    },
    0,
  );
  clusterArn = (await core.clusters.create(scope, { clusterName: 'loop', capacityProviders: ['loop-cp'] }, 0)).clusterArn!;
});
after(() => core.close());

let taskN = 0;
async function addTask(opts: { instance?: string; lastStatus: string; cpu: number; provider?: string; service?: string }): Promise<string> {
  const arn = `arn:aws:ecs:us-east-1:000000000000:task/loop/${String(++taskN).padStart(32, '0')}`;
  await core.store.db
    .insertInto('tasks')
    .values({
      arn,
      account_id: scope.accountId,
      region: scope.region,
      cluster_arn: clusterArn,
      container_instance_arn: opts.instance ?? null,
      family: 'f',
      task_definition_arn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/f:1',
      started_by: null,
      group_name: 'family:f',
      service_name: opts.service ?? null,
      desired_status: 'RUNNING',
      last_status: opts.lastStatus,
      launch_type: 'EC2',
      private_ipv4_address: null,
      attachment_id: null,
      created_at: 0,
      version: 1,
      body: JSON.stringify({ capacityProviderName: opts.provider ?? 'loop-cp', reservation: { cpu: opts.cpu, memory: 64, ports: [], portsUdp: [] } }),
    })
    .execute();
  return arn;
}

const stopAll = () => core.store.db.updateTable('tasks').set({ last_status: 'STOPPED', desired_status: 'STOPPED' }).execute();

test('waiting tasks and no instance: 200, a scale-out to what the tasks need, the figure kept, placement asked', async () => {
  await addTask({ lastStatus: 'PROVISIONING', cpu: 512 });
  await addTask({ lastStatus: 'PROVISIONING', cpu: 512 });
  await addTask({ lastStatus: 'PROVISIONING', cpu: 512 });
  // Another provider's waiting task is not this one's.
  await addTask({ lastStatus: 'PROVISIONING', cpu: 1024, provider: 'other-cp' });
  const now = 1_800_000_000_000;
  const d = (await loop.runOnce(now)).get(providerArn)!;
  assert.deepEqual(d, { reservation: 200, desired: 2, action: { kind: 'out', count: 2 } });
  assert.deepEqual(pool.launches.map((l) => [l.provider.name, l.provider.clusterName, l.count]), [['loop-cp', 'loop', 2]]);
  assert.ok(placed > 0, 'placeWaiting after the scale-out');
  const minutes = await cps.reservations(providerArn, now - 60_000, now + 60_000);
  assert.deepEqual(minutes.map((m) => [m.clusterName, m.samples, m.sum, m.minimum, m.maximum]), [['loop', 1, 200, 200, 200]]);
});

test('starting instances count: no second scale-out while they come up', async () => {
  pool.list = [1, 2].map((n) => ({ providerArn, providerName: 'loop-cp', region: 'us-east-1', clusterName: 'loop', n, dir: `/x/${n}`, hostAddress: `127.2.0.${n}`, state: 'starting' as const, startedAt: 0 }));
  const d = (await loop.runOnce(1_800_000_001_000)).get(providerArn)!;
  assert.deepEqual(d, { reservation: 100, desired: 2, action: { kind: 'none', reason: 'at-target' } });
  assert.equal(pool.launches.length, 1);
});

test('registered instances of the provider: busy ones stay, idle pool ones go; daemon tasks do not keep an instance', async () => {
  await stopAll();
  const attributes = [...AGENT_ATTRIBUTES, { name: 'berth.capacity-provider', value: 'loop-cp' }];
  const a = await addInstance(core, { cluster: 'loop', cpu: 1024, memory: 1024, attributes });
  const b = await addInstance(core, { cluster: 'loop', cpu: 1024, memory: 1024, attributes });
  const c = await addInstance(core, { cluster: 'loop', cpu: 1024, memory: 1024, attributes });
  // An instance of the cluster that is not the provider's is not in the group.
  await addInstance(core, { cluster: 'loop', cpu: 1024, memory: 1024 });
  pool.list = [a, b, c].map((arn, i) => ({ providerArn, providerName: 'loop-cp', region: 'us-east-1', clusterName: 'loop', n: i + 1, dir: `/x/${i + 1}`, hostAddress: `127.2.0.${i + 1}`, state: 'running' as const, instanceArn: arn, startedAt: 0 }));
  await addTask({ instance: a, lastStatus: 'RUNNING', cpu: 256 });
  // What the task holds on a (RunTask's placement would have taken it).
  const row = await core.store.db.selectFrom('container_instances').select('body').where('arn', '=', a).executeTakeFirstOrThrow();
  const body = JSON.parse(row.body) as { remaining: { cpu: number } };
  body.remaining.cpu -= 256;
  await core.store.db.updateTable('container_instances').set({ body: JSON.stringify(body) }).where('arn', '=', a).execute();
  await core.store.db
    .insertInto('services')
    .values({ arn: 'arn:aws:ecs:us-east-1:000000000000:service/loop/d', account_id: scope.accountId, region: scope.region, cluster_arn: clusterArn, name: 'd', status: 'ACTIVE', scheduling_strategy: 'DAEMON', launch_type: 'EC2', version: 1, created_at: 0, body: '{}' })
    .execute();
  await addTask({ instance: c, lastStatus: 'RUNNING', cpu: 128, service: 'd' });
  const d = (await loop.runOnce(1_800_000_002_000)).get(providerArn)!;
  assert.equal(d.reservation, (1 / 3) * 100);
  assert.equal(d.desired, 1);
  // Termination protection DISABLED: "only when it runs no task", the daemon's instance c stays too.
  assert.deepEqual(d.action, { kind: 'in', instances: [b] });
  assert.deepEqual(pool.stops, [b]);
  // With it ENABLED, daemon tasks do not count: c may go, newest first.
  await cps.update(scope, { name: 'loop-cp', autoScalingGroupProvider: { managedTerminationProtection: 'ENABLED' } });
  pool.stops = [];
  const d2 = (await loop.runOnce(1_800_000_003_000)).get(providerArn)!;
  assert.deepEqual(d2.action, { kind: 'in', instances: [c, b] });
});

test('a waiting task that fits an idle instance keeps it and asks placement; managed scaling DISABLED does nothing', async () => {
  pool.stops = [];
  placed = 0;
  await addTask({ lastStatus: 'PROVISIONING', cpu: 1024 });
  const d = (await loop.runOnce(1_800_000_004_000)).get(providerArn)!;
  assert.equal(d.desired, 2);
  assert.equal(d.action.kind, 'in', 'one idle instance is still above the target');
  assert.equal(pool.stops.length, 1);
  assert.ok(placed > 0);
  await cps.update(scope, { name: 'loop-cp', autoScalingGroupProvider: { managedScaling: { status: 'DISABLED' } } });
  assert.equal((await loop.runOnce(1_800_000_005_000)).get(providerArn), undefined);
});
