import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TargetState } from '../../src/lb/config.js';
import { backend, defaultRule, forwardTo, freePort, get, harness, healthCheck, listener, named, sleep, target, targetGroup, until, type Backend, type Harness } from './fixture.js';

// Health checks against real backends with short intervals: transitions are
// reported with ELB's reason codes, routing follows them, and only the
// targets ELB checks are checked.

let h: Harness;
let steady: Backend;
let status = 200;
let checks = 0;
let flaky: Backend;

before(async () => {
  h = harness();
  steady = await backend(named('steady'));
  flaky = await backend((req, res) => {
    if (req.url === '/health') {
      checks++;
      res.statusCode = status;
      res.end();
      return;
    }
    named('flaky')(req, res);
  });
});

after(async () => {
  await h.close();
  await Promise.all([steady.close(), flaky.close()]);
});

const fast = (over = {}) => healthCheck({ path: '/health', intervalMs: 60, timeoutMs: 200, healthyThreshold: 2, unhealthyThreshold: 2, ...over });

test('healthy → unhealthy after unhealthyThreshold failures (Target.ResponseCodeMismatch), routing follows, and back after healthyThreshold successes', async () => {
  status = 200;
  const port = await freePort();
  const tg = targetGroup('tg/flaky', [target(flaky.port), target(steady.port)], { healthCheck: fast() });
  await h.apply({ listeners: [listener('listener/flaky', port, [defaultRule(forwardTo(tg.arn))])], targetGroups: [tg] });
  const mine = () => h.health.filter((r) => r.targetGroupArn === tg.arn && r.port === flaky.port);

  await sleep(200);
  assert.deepEqual(mine(), [], 'a target that stays healthy is not reported');
  status = 500;
  assert.ok(await until(() => mine().length === 1, 3_000));
  assert.deepEqual(mine()[0], {
    targetGroupArn: tg.arn,
    id: '127.0.0.1',
    port: flaky.port,
    state: 'unhealthy',
    reason: 'Target.ResponseCodeMismatch',
    description: 'Health checks failed with these codes: [500]',
  });
  for (let i = 0; i < 4; i++) assert.equal((await get(port)).body, 'steady', 'the unhealthy target gets no traffic');

  status = 200;
  const checksAtRecovery = checks;
  assert.ok(await until(() => mine().length === 2, 3_000));
  assert.deepEqual(mine()[1], { targetGroupArn: tg.arn, id: '127.0.0.1', port: flaky.port, state: 'healthy' });
  assert.ok(checks - checksAtRecovery >= 2, 'healthy again only after healthyThreshold passing checks');
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) seen.add((await get(port)).body);
  assert.ok(seen.has('flaky'));
});

test('a new (initial) target is healthy after its first passing check', async () => {
  status = 200;
  const tg = targetGroup('tg/initial', [target(flaky.port, { state: 'initial', registeredAt: Date.now() })], { healthCheck: fast({ intervalMs: 5_000, healthyThreshold: 5 }) });
  await h.apply({ listeners: [], targetGroups: [tg] });
  assert.ok(await until(() => h.health.some((r) => r.targetGroupArn === tg.arn), 2_000), 'checked within the first second');
  assert.deepEqual(
    h.health.filter((r) => r.targetGroupArn === tg.arn),
    [{ targetGroupArn: tg.arn, id: '127.0.0.1', port: flaky.port, state: 'healthy' }],
  );
});

test('reason codes: Target.Timeout for a check that does not answer, Target.FailedHealthChecks for a refused connection or a TCP check', async () => {
  const hang = await backend(() => undefined);
  const down = await freePort();
  try {
    const tgs = [
      targetGroup('tg/hang', [target(hang.port)], { healthCheck: fast({ timeoutMs: 100, intervalMs: 150 }) }),
      targetGroup('tg/down', [target(down)], { healthCheck: fast() }),
      targetGroup('tg/tcp', [target(down)], { protocol: 'TCP', healthCheck: fast({ protocol: 'TCP' }) }),
    ];
    await h.apply({ listeners: [], targetGroups: tgs });
    const of = (arn: string) => h.health.find((r) => r.targetGroupArn === arn);
    assert.ok(await until(() => tgs.every((t) => of(t.arn)), 3_000));
    assert.deepEqual([of('tg/hang')?.reason, of('tg/hang')?.description], ['Target.Timeout', 'Request timed out']);
    assert.deepEqual([of('tg/down')?.reason, of('tg/down')?.description], ['Target.FailedHealthChecks', 'Health checks failed']);
    assert.deepEqual([of('tg/tcp')?.state, of('tg/tcp')?.reason], ['unhealthy', 'Target.FailedHealthChecks']);
  } finally {
    await h.apply({ listeners: [], targetGroups: [] });
    await hang.close();
  }
});

test('draining, unused and unavailable targets, unused groups and groups with checks disabled are not checked', async () => {
  let hits = 0;
  const counted = await backend((_req, res) => {
    hits++;
    res.end();
  });
  try {
    const states: TargetState[] = ['draining', 'unused', 'unavailable'];
    const tgs = [
      targetGroup('tg/states', states.map((state, i) => target(counted.port, { id: `i-${i}`, state, drainUntil: Date.now() + 60_000 })), { healthCheck: fast() }),
      targetGroup('tg/not-in-use', [target(counted.port)], { inUse: false, healthCheck: fast() }),
      targetGroup('tg/disabled', [target(counted.port)], { healthCheck: fast({ enabled: false }) }),
    ];
    await h.apply({ listeners: [], targetGroups: tgs });
    await sleep(300);
    assert.equal(hits, 0);
  } finally {
    await h.apply({ listeners: [], targetGroups: [] });
    await counted.close();
  }
});

test('checks of many targets are staggered over the interval, not fired at once', async () => {
  const arrivals: number[] = [];
  const clock = await backend((_req, res) => {
    arrivals.push(performance.now());
    res.end();
  });
  try {
    const targets = Array.from({ length: 100 }, (_, i) => target(clock.port, { id: `i-${i}` }));
    await h.apply({ listeners: [], targetGroups: [targetGroup('tg/many', targets, { healthCheck: fast({ intervalMs: 1_000, path: '/' }) })] });
    assert.ok(await until(() => arrivals.length >= 100, 3_000));
    const first = arrivals.slice(0, 100).sort((x, y) => x - y);
    assert.ok(first[99]! - first[0]! > 600, `spread ${first[99]! - first[0]!} ms`);
    const perMs = new Map<number, number>();
    for (const t of first) perMs.set(Math.floor(t), (perMs.get(Math.floor(t)) ?? 0) + 1);
    assert.ok(Math.max(...perMs.values()) <= 5, 'no burst in one millisecond');
  } finally {
    await h.apply({ listeners: [], targetGroups: [] });
    await clock.close();
  }
});

test('a target resumed as healthy stays healthy until it fails unhealthyThreshold checks', async () => {
  status = 500;
  try {
    const tg = targetGroup('tg/resume', [target(flaky.port, { state: 'healthy' })], { healthCheck: fast({ unhealthyThreshold: 3, intervalMs: 100 }) });
    const before = checks;
    await h.apply({ listeners: [], targetGroups: [tg] });
    assert.ok(await until(() => h.health.some((r) => r.targetGroupArn === tg.arn), 3_000));
    assert.ok(checks - before >= 3, `unhealthy after ${checks - before} failed checks`);
  } finally {
    status = 200;
    await h.apply({ listeners: [], targetGroups: [] });
  }
});
