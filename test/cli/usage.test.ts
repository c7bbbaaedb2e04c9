import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UsageRow } from '../../src/control/usage.js';
import { formatUsage, groupingOf, money, ratesFrom } from '../../src/cli/usage.js';

// `berth usage`'s table: aligned columns, the total, and a footer that names
// the prices used and the billing rules.

const T0 = Date.parse('2026-12-03T12:00:00Z');

function row(id: string, r: Partial<UsageRow>): UsageRow {
  const billed = r.billedSeconds ?? 61;
  return {
    taskArn: `arn:aws:ecs:us-east-1:000000000000:task/default/${id}`,
    clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/default',
    family: 'web',
    group: 'family:web',
    launchType: 'FARGATE',
    cpu: '256',
    memory: '512',
    ephemeralStorageGiB: 20,
    architecture: 'x86_64',
    fargate: true,
    spot: false,
    start: T0,
    end: T0 + billed * 1000,
    running: false,
    seconds: billed,
    billedSeconds: billed,
    vcpuSeconds: 0.25 * billed,
    gbSeconds: 0.5 * billed,
    extraStorageGbSeconds: 0,
    ...r,
  };
}

test('money: more decimals for small sums', () => {
  assert.equal(money(0), '$0.00');
  assert.equal(money(0.000206), '$0.000206');
  assert.equal(money(12.345678), '$12.3457');
  assert.equal(money(1234.5), '$1234.50');
});

test('the table has one line per group, the total, and a footer naming the prices and rules', () => {
  const out = formatUsage(
    { tasks: [row('a', { serviceName: 'api' }), row('b', { serviceName: 'api', running: true }), row('c', { launchType: 'EC2', fargate: false })], since: T0 - 600_000, until: T0 + 600_000 },
    'service',
    ratesFrom({}),
  );
  const lines = out.split('\n');
  assert.match(lines[0]!, /^SERVICE\s+TASKS\s+BILLED s\s+vCPU-h\s+GB-h\s+EXTRA STORAGE GB-h\s+ON-DEMAND\s+SPOT\s+TOTAL$/);
  assert.match(lines[1]!, /^api\s+2\s+122\s+0\.008472\s+0\.016944\s+0\s+\$0\.000418\s+\$0\.00\s+\$0\.000418$/);
  assert.match(lines[2]!, /^\(no service\) \*\s+1\s+61\s/);
  assert.match(lines[4]!, /^total \*\s+3\s+183\s/);
  // Columns line up: every table line is as long as the heading or shorter, numbers right-aligned under it.
  assert.equal(lines[1]!.length, lines[0]!.length);
  assert.match(out, /Window: 2026-12-03T11:50:00\.000Z to 2026-12-03T12:10:00\.000Z\./);
  assert.match(out, /Prices: AWS Fargate Linux\/x86 us-east-1 on-demand, 2026-12/);
  assert.match(out, /x86_64: \$0\.04048 per vCPU-hour, \$0\.004445 per GB-hour/);
  assert.match(out, /per second rounded up, with a one-minute minimum/);
  assert.match(out, /1 task is still running: metered until now\./);
  assert.match(out, /\* includes EC2 tasks, priced as if they had run on on-demand Fargate/);
});

test('overrides show in the footer; bad flags are errors naming them', () => {
  const out = formatUsage({ tasks: [], until: T0 }, 'task', ratesFrom({ vcpuHour: '0.05', spotDiscount: '0.6' }));
  assert.match(out, /^TASK\s+TASKS/);
  assert.match(out, /Window: every task berth has to /);
  assert.match(out, /No Fargate task ran in this window\./);
  assert.match(out, /with your overrides marked/);
  assert.match(out, /\$0\.05 per vCPU-hour \(--vcpu-hour\)/);
  assert.match(out, /on-demand less 60% \(--spot-discount\)/);
  assert.throws(() => ratesFrom({ gbHour: 'cheap' }), /--gb-hour cheap: give a number/);
  assert.throws(() => groupingOf('cluster'), /--by cluster: give one of service, task-family, task/);
});
