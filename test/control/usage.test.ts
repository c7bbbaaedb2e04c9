import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { costOf, describeRates, FARGATE_US_EAST_1, withOverrides } from '../../src/control/fargate-prices.js';
import type { TaskBody } from '../../src/control/task-state.js';
import { meterTask, NO_SERVICE, readUsage, summarise, type MeteredTask, type UsageRow } from '../../src/control/usage.js';
import { SqliteStore } from '../../src/store/sqlite.js';

// Fargate metering as AWS bills it: per second rounded up, a one-minute
// minimum, from the pull's start to the stop, clipped to the window.

const T0 = Date.parse('2026-12-03T12:00:00Z');
const s = (n: number) => T0 + n * 1000;

const fargate = (t: Partial<MeteredTask> = {}): MeteredTask => ({ launchType: 'FARGATE', cpu: '256', memory: '512', attributes: [], ...t });

test('billed from the pull start to the execution stop, per second rounded up', () => {
  const m = meterTask(fargate({ pullStartedAt: s(0), startedAt: s(5), executionStoppedAt: s(90.2), stoppedAt: s(95) }), { now: s(1000) });
  assert.equal(m.seconds, 90.2);
  assert.equal(m.billedSeconds, 91);
  assert.equal(m.vcpuSeconds, 0.25 * 91);
  assert.equal(m.gbSeconds, 0.5 * 91);
  assert.equal(m.extraStorageGbSeconds, 0);
  assert.equal(m.running, false);
  assert.equal(m.start, s(0));
  assert.equal(m.end, s(90.2));
  // Without a pull start or an execution stop: startedAt and stoppedAt.
  const n = meterTask(fargate({ startedAt: s(10), stoppedAt: s(130) }), { now: s(1000) });
  assert.equal(n.billedSeconds, 120);
  // Whole seconds stay whole.
  assert.equal(meterTask(fargate({ pullStartedAt: s(0), stoppedAt: s(61) }), { now: s(1000) }).billedSeconds, 61);
});

test('a run shorter than a minute is billed one minute; a task that never pulled costs nothing', () => {
  const m = meterTask(fargate({ pullStartedAt: s(0), stoppedAt: s(3.5) }), { now: s(100) });
  assert.equal(m.seconds, 3.5);
  assert.equal(m.billedSeconds, 60);
  assert.equal(m.vcpuSeconds, 15);
  assert.equal(meterTask(fargate({ pullStartedAt: s(0), stoppedAt: s(0) }), { now: s(100) }).billedSeconds, 60);
  const never = meterTask(fargate({ stoppedAt: s(10) }), { now: s(100) });
  assert.equal(never.billedSeconds, 0);
  assert.equal(never.start, undefined);
  assert.equal(never.vcpuSeconds, 0);
});

test('a running task is metered until now', () => {
  const m = meterTask(fargate({ pullStartedAt: s(0), startedAt: s(2) }), { now: s(200.4) });
  assert.equal(m.running, true);
  assert.equal(m.billedSeconds, 201);
  assert.equal(m.end, s(200.4));
  // Running for ten seconds so far: the minute is owed already.
  assert.equal(meterTask(fargate({ pullStartedAt: s(0) }), { now: s(10) }).billedSeconds, 60);
});

test('the window clips a run; the minimum applies only to a run that lies wholly in it', () => {
  const body = fargate({ pullStartedAt: s(0), stoppedAt: s(300) });
  // Began before the window: metered from its start, without the minimum.
  assert.equal(meterTask(body, { since: s(280), now: s(1000) }).billedSeconds, 20);
  assert.equal(meterTask(body, { since: s(299.5), now: s(1000) }).billedSeconds, 1);
  // Ended before the window (or at its start): nothing.
  assert.equal(meterTask(body, { since: s(300), now: s(1000) }).billedSeconds, 0);
  assert.equal(meterTask(body, { since: s(400), now: s(1000) }).billedSeconds, 0);
  // Wholly inside: as without a window.
  assert.equal(meterTask(fargate({ pullStartedAt: s(10), stoppedAt: s(20) }), { since: s(5), now: s(1000) }).billedSeconds, 60);
  assert.equal(meterTask(fargate({ pullStartedAt: s(10), stoppedAt: s(20) }), { since: s(10), now: s(1000) }).billedSeconds, 60);
  // A running task that began before the window: from the window's start until now.
  const running = meterTask(fargate({ pullStartedAt: s(0) }), { since: s(100), now: s(130) });
  assert.equal(running.billedSeconds, 30);
  assert.equal(running.vcpuSeconds, 7.5);
});

test('ephemeral storage is billed only beyond the free 20 GiB', () => {
  const base = { pullStartedAt: s(0), stoppedAt: s(100) };
  assert.equal(meterTask(fargate({ ...base, ephemeralStorageGiB: 20 }), { now: s(200) }).extraStorageGbSeconds, 0);
  assert.equal(meterTask(fargate({ ...base }), { now: s(200) }).extraStorageGbSeconds, 0);
  assert.equal(meterTask(fargate({ ...base, ephemeralStorageGiB: 50 }), { now: s(200) }).extraStorageGbSeconds, 30 * 100);
});

test('Spot and architecture come from the capacity provider and the task attributes', () => {
  const base = { pullStartedAt: s(0), stoppedAt: s(100) };
  const spot = meterTask(fargate({ ...base, launchType: 'FARGATE', capacityProviderName: 'FARGATE_SPOT' }), { now: s(200) });
  assert.equal(spot.spot, true);
  assert.equal(meterTask(fargate({ ...base, capacityProviderName: 'FARGATE' }), { now: s(200) }).spot, false);
  assert.equal(spot.arch, 'x86_64');
  const arm = meterTask(fargate({ ...base, attributes: [{ name: 'ecs.cpu-architecture', value: 'arm64' }] }), { now: s(200) });
  assert.equal(arm.arch, 'arm64');
});

test("costs: AWS's us-east-1 figures, Spot at its discount, overrides replace a figure for every architecture", () => {
  const hour = { vcpuSeconds: 3600, gbSeconds: 3600 * 2, extraStorageGbSeconds: 3600 * 10 };
  const onDemand = costOf(FARGATE_US_EAST_1, { ...hour, arch: 'x86_64', spot: false });
  assert.ok(Math.abs(onDemand - (0.04048 + 2 * 0.004445 + 10 * 0.000111)) < 1e-12);
  const spot = costOf(FARGATE_US_EAST_1, { ...hour, arch: 'x86_64', spot: true });
  assert.ok(Math.abs(spot - onDemand * 0.3) < 1e-12);
  const arm = costOf(FARGATE_US_EAST_1, { ...hour, arch: 'arm64', spot: false });
  assert.ok(Math.abs(arm - (0.03238 + 2 * 0.00356 + 10 * 0.000111)) < 1e-12);

  const mine = withOverrides(FARGATE_US_EAST_1, { vcpuHour: 0.1, spotDiscount: 0.5 });
  assert.equal(mine.byArch.x86_64.vcpuHour, 0.1);
  assert.equal(mine.byArch.arm64.vcpuHour, 0.1);
  assert.equal(mine.byArch.x86_64.gbHour, 0.004445);
  assert.ok(Math.abs(costOf(mine, { vcpuSeconds: 3600, gbSeconds: 0, extraStorageGbSeconds: 0, arch: 'x86_64', spot: true }) - 0.05) < 1e-12);
  assert.deepEqual(mine.overridden, ['vcpuHour', 'spotDiscount']);
  const footer = describeRates(mine).join('\n');
  assert.match(footer, /\$0\.1 per vCPU-hour \(--vcpu-hour\)/);
  assert.match(footer, /on-demand less 50% \(--spot-discount\)/);
  assert.match(describeRates(FARGATE_US_EAST_1).join('\n'), /^Prices: AWS Fargate Linux\/x86 us-east-1 on-demand, 2026-12/);
  assert.throws(() => withOverrides(FARGATE_US_EAST_1, { spotDiscount: 1.5 }), /--spot-discount 1\.5/);
  assert.throws(() => withOverrides(FARGATE_US_EAST_1, { gbHour: -1 }), /--gb-hour -1/);
});

const CLUSTER = 'arn:aws:ecs:us-east-1:000000000000:cluster/default';
function row(id: string, r: Partial<UsageRow>): UsageRow {
  const billed = r.billedSeconds ?? 3600;
  return {
    taskArn: `arn:aws:ecs:us-east-1:000000000000:task/default/${id}`,
    clusterArn: CLUSTER,
    family: 'web',
    group: 'family:web',
    launchType: 'FARGATE',
    cpu: '1024',
    memory: '2048',
    ephemeralStorageGiB: 20,
    architecture: 'x86_64',
    fargate: true,
    spot: false,
    start: T0,
    end: T0 + billed * 1000,
    running: false,
    seconds: billed,
    billedSeconds: billed,
    vcpuSeconds: billed,
    gbSeconds: 2 * billed,
    extraStorageGbSeconds: 0,
    ...r,
  };
}

test('summaries group by service, family or task, the costliest first, with a total', () => {
  const rows = [
    row('a', { serviceName: 'api', family: 'api' }),
    row('b', { serviceName: 'api', family: 'api', spot: true, capacityProviderName: 'FARGATE_SPOT' }),
    row('c', { family: 'batch', billedSeconds: 60, vcpuSeconds: 60, gbSeconds: 120 }),
    row('d', { family: 'batch', fargate: false, launchType: 'EC2' }),
  ];
  const hourCost = 0.04048 + 2 * 0.004445;
  const bySvc = summarise(rows, 'service', FARGATE_US_EAST_1);
  assert.deepEqual(bySvc.lines.map((l) => l.key), ['api', NO_SERVICE]);
  const api = bySvc.lines.find((l) => l.key === 'api')!;
  assert.equal(api.tasks, 2);
  assert.equal(api.spotTasks, 1);
  assert.equal(api.vcpuHours, 2);
  assert.equal(api.gbHours, 4);
  assert.ok(Math.abs(api.onDemandCost - hourCost) < 1e-12);
  assert.ok(Math.abs(api.spotCost - hourCost * 0.3) < 1e-12);
  const none = bySvc.lines.find((l) => l.key === NO_SERVICE)!;
  assert.equal(none.ec2Tasks, 1);
  assert.equal(none.billedSeconds, 3660);
  assert.equal(bySvc.total.tasks, 4);
  assert.ok(Math.abs(bySvc.total.cost - (hourCost * 2.3 + hourCost / 60)) < 1e-12);
  assert.equal(bySvc.total.billedSeconds, 3 * 3600 + 60);

  assert.deepEqual(summarise(rows, 'task-family', FARGATE_US_EAST_1).lines.map((l) => [l.key, l.tasks]), [['api', 2], ['batch', 2]]);
  assert.deepEqual(summarise(rows, 'task', FARGATE_US_EAST_1).lines.map((l) => l.key), ['a', 'd', 'b', 'c']);
  // Prices change the money, not the usage.
  const dear = summarise(rows, 'service', withOverrides(FARGATE_US_EAST_1, { vcpuHour: 1, gbHour: 0 }));
  assert.ok(Math.abs(dear.total.cost - (2.3 + 1 / 60)) < 1e-12);
  assert.equal(dear.total.vcpuHours, bySvc.total.vcpuHours);
  // Services of several clusters are told apart by their cluster.
  const two = summarise([row('a', { serviceName: 'api' }), row('e', { serviceName: 'api', clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/blue' })], 'service', FARGATE_US_EAST_1);
  assert.deepEqual(two.lines.map((l) => l.key).sort(), ['blue/api', 'default/api']);
});

test('readUsage: Fargate tasks of the scope and cluster within the window; EC2 tasks with includeEc2, never as Spot', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-usage-'));
  const store = await SqliteStore.open(join(dir, 'berth.sqlite'));
  try {
    const scope = { accountId: '000000000000', region: 'us-east-1' };
    let n = 0;
    const insert = async (b: Partial<TaskBody>, where: { region?: string; cluster?: string } = {}) => {
      const id = (++n).toString(16).padStart(32, '0');
      const clusterArn = where.cluster ?? CLUSTER;
      const body = {
        taskArn: `arn:aws:ecs:us-east-1:000000000000:task/default/${id}`,
        clusterArn,
        family: 'web',
        group: 'family:web',
        launchType: 'FARGATE',
        cpu: '512',
        memory: '1024',
        attributes: [],
        createdAt: s(n),
        lastStatus: 'STOPPED',
        ...b,
      };
      await store.db
        .insertInto('tasks')
        .values({
          arn: body.taskArn,
          account_id: scope.accountId,
          region: where.region ?? scope.region,
          cluster_arn: clusterArn,
          container_instance_arn: null,
          family: body.family,
          task_definition_arn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1',
          started_by: null,
          group_name: body.group,
          service_name: null,
          desired_status: 'STOPPED',
          last_status: body.lastStatus,
          launch_type: body.launchType,
          private_ipv4_address: null,
          attachment_id: null,
          created_at: body.createdAt,
          version: 1,
          body: JSON.stringify(body),
        })
        .execute();
      return body.taskArn;
    };
    const a = await insert({ pullStartedAt: s(0), stoppedAt: s(100) });
    const spot = await insert({ pullStartedAt: s(0), stoppedAt: s(30), capacityProviderName: 'FARGATE_SPOT' });
    const ec2 = await insert({ launchType: 'EC2', pullStartedAt: s(0), stoppedAt: s(200) });
    await insert({ stoppedAt: s(10) }); // never pulled
    await insert({ pullStartedAt: s(0), stoppedAt: s(100) }, { region: 'eu-west-1' });
    const blue = await insert({ pullStartedAt: s(0), stoppedAt: s(100) }, { cluster: 'arn:aws:ecs:us-east-1:000000000000:cluster/blue' });
    const running = await insert({ pullStartedAt: s(50), lastStatus: 'RUNNING' });

    const all = await readUsage(store.db, scope, { now: s(1000) });
    assert.deepEqual(all.map((r) => r.taskArn).sort(), [a, spot, blue, running].sort());
    const byArn = new Map(all.map((r) => [r.taskArn, r]));
    assert.equal(byArn.get(a)!.billedSeconds, 100);
    assert.equal(byArn.get(a)!.vcpuSeconds, 50);
    assert.equal(byArn.get(a)!.gbSeconds, 100);
    assert.equal(byArn.get(a)!.ephemeralStorageGiB, 20);
    assert.equal(byArn.get(spot)!.billedSeconds, 60);
    assert.equal(byArn.get(spot)!.spot, true);
    assert.equal(byArn.get(running)!.running, true);
    assert.equal(byArn.get(running)!.billedSeconds, 950);

    const withEc2 = await readUsage(store.db, scope, { now: s(1000), includeEc2: true, clusterArn: CLUSTER });
    assert.deepEqual(withEc2.map((r) => r.taskArn).sort(), [a, spot, ec2, running].sort());
    const e = withEc2.find((r) => r.taskArn === ec2)!;
    assert.equal(e.fargate, false);
    assert.equal(e.spot, false);
    assert.equal(e.billedSeconds, 200);

    const recent = await readUsage(store.db, scope, { now: s(1000), since: s(90) });
    assert.deepEqual(recent.map((r) => [r.taskArn, r.billedSeconds]).sort(), [[a, 10], [blue, 10], [running, 910]].sort());
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
