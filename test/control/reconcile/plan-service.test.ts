import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureThreshold, maxTasks, minHealthyTasks, RUNNING_SETTLE_MS, STEADY_AFTER_MS, STOP_REASON, throttleDelay } from '../../../src/control/reconcile/plan-service.js';
import { TaskSet, type ServiceTask } from '../../../src/control/reconcile/task-set.js';
import { seeded } from '../placement/snapshot.js';
import { ServiceModel } from './model.js';

// The replica planner, step by step, against ECS's documented behaviour.

/** Plans and applies until nothing changes (the agents settle every task between passes). */
function converge(m: ServiceModel, rounds = 30): void {
  for (let i = 0; i < rounds; i++) {
    const plan = m.plan();
    m.apply(plan);
    m.settleAgents();
    m.now += RUNNING_SETTLE_MS;
    if (m.steady) return;
  }
}

test('ECS rounding: maximum rounds down, minimum healthy rounds up; the circuit breaker threshold is 0.5 × desired in [3, 200]', () => {
  assert.equal(maxTasks(3, 150), 4);
  assert.equal(minHealthyTasks(3, 50), 2);
  assert.equal(minHealthyTasks(1, 50), 1);
  assert.equal(failureThreshold(1), 3);
  assert.equal(failureThreshold(10), 5);
  assert.equal(failureThreshold(11), 6);
  assert.equal(failureThreshold(1000), 200);
  assert.equal(throttleDelay(2), 0);
  assert.ok(throttleDelay(3) > 0);
  assert.equal(throttleDelay(100), 27 * 60 * 1000);
});

test('a new service places desiredCount tasks, completes its deployment and reports one steady state', () => {
  const m = new ServiceModel({ desiredCount: 3 }, seeded(1));
  const first = m.plan();
  assert.deepEqual(first.place, [{ deploymentId: m.primary.id, count: 3 }]);
  converge(m);
  assert.equal(m.primary.rolloutState, 'COMPLETED');
  assert.equal(m.notStopped().length, 3);
  assert.ok(m.steady);
  assert.deepEqual(
    m.events.filter((e) => /steady|completed/.test(e)),
    [`(service web) (deployment ${m.primary.id}) deployment completed.`, '(service web) has reached a steady state.'],
  );
  // Steady: the next pass plans nothing and says nothing.
  const again = m.plan();
  assert.deepEqual([again.place, again.stop, again.events, again.deployments], [[], [], [], []]);
});

test('a task that stops is replaced; the replacement is one task, not two, however often the planner runs', () => {
  const m = new ServiceModel({ desiredCount: 3 }, seeded(2));
  converge(m);
  m.stop(m.notStopped()[0]!);
  const p1 = m.plan();
  const p2 = m.plan();
  assert.deepEqual(p1.place, [{ deploymentId: m.primary.id, count: 1 }]);
  assert.deepEqual(p2.place, p1.place, 'the same state plans the same launch');
  m.apply(p1);
  assert.deepEqual(m.plan().place, [], 'once applied, nothing more is placed');
  assert.equal(m.plan().steady, false);
});

test('rolling update with min 50 / max 200 on 3 tasks: 3 new placed, 1 old stopped at once, never fewer than 2 healthy', () => {
  const m = new ServiceModel({ desiredCount: 3, minimumHealthyPercent: 50, maximumPercent: 200 }, seeded(3));
  converge(m);
  const old = m.primary.id;
  const next = m.deploy();
  const p = m.plan();
  assert.deepEqual(p.place, [{ deploymentId: next, count: 3 }]);
  assert.equal(p.stop.length, 1);
  assert.equal(p.stop[0]!.reason, STOP_REASON.scaling(next));
  m.apply(p);
  for (let i = 0; i < 20 && !m.steady; i++) {
    assert.ok(m.healthyCount() >= 2, `healthy ${m.healthyCount()}`);
    m.apply(m.plan());
    assert.ok(m.healthyCount() >= 2, `healthy ${m.healthyCount()} after a plan`);
    m.settleAgents();
    m.now += RUNNING_SETTLE_MS;
  }
  assert.ok(m.steady);
  assert.ok(m.notStopped().every((t) => t.deploymentId === next));
  assert.equal(m.deployments.find((d) => d.id === old)!.status, 'INACTIVE');
});

test('min 100 / max 100 cannot move: the planner says so in ECS words', () => {
  const m = new ServiceModel({ desiredCount: 2, minimumHealthyPercent: 100, maximumPercent: 100 }, seeded(4));
  converge(m);
  m.deploy();
  const p = m.plan();
  assert.deepEqual([p.place, p.stop], [[], []]);
  assert.ok(p.events.includes('(service web) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.'));
});

test('health checks: a task counts as healthy only once HEALTHY; an UNHEALTHY one is stopped and replaced', () => {
  const m = new ServiceModel({ desiredCount: 2, healthChecks: true }, seeded(5));
  m.apply(m.plan());
  for (const t of m.notStopped()) m.start(t, 'UNKNOWN');
  assert.equal(m.healthyCount(), 0);
  assert.equal(m.plan().steady, false);
  const [a, b] = m.notStopped();
  m.health(a!, 'HEALTHY');
  m.health(b!, 'UNHEALTHY');
  const p = m.plan();
  assert.deepEqual(p.stop, [{ arn: b!.arn, reason: STOP_REASON.unhealthy }]);
  assert.deepEqual(p.place, [{ deploymentId: m.primary.id, count: 1 }], 'its replacement starts in the same pass (max 200%)');
  m.apply(p);
  assert.deepEqual(m.plan().place, []);
});

test('behind a load balancer: old tasks stop only once new tasks\' targets are healthy', () => {
  const m = new ServiceModel({ desiredCount: 2, minimumHealthyPercent: 100, maximumPercent: 200, loadBalanced: true }, seeded(11));
  m.apply(m.plan());
  for (const t of m.notStopped()) m.start(t);
  m.now += RUNNING_SETTLE_MS;
  assert.equal(m.plan().steady, false, 'RUNNING without a registered target is not healthy yet');
  for (const t of m.notStopped()) m.targets(t, { healthy: true });
  converge(m);
  assert.ok(m.steady);
  const old = new Set(m.notStopped().map((t) => t.arn));
  m.deploy();
  m.apply(m.plan());
  const fresh = m.notStopped().filter((t) => !old.has(t.arn));
  assert.equal(fresh.length, 2);
  for (const t of fresh) m.start(t);
  m.now += 60_000;
  for (const t of fresh) m.targets(m.tasks.find((x) => x.arn === t.arn)!, { healthy: false });
  assert.deepEqual(m.plan().stop, [], 'targets still in initial: no old task may stop');
  for (const t of fresh) m.targets(m.tasks.find((x) => x.arn === t.arn)!, { healthy: true });
  const p = m.plan();
  assert.deepEqual(new Set(p.stop.map((s) => s.arn)), old);
});

test('behind a load balancer: a task whose target turns unhealthy is stopped after the grace period, in ECS words', () => {
  const m = new ServiceModel({ desiredCount: 1, loadBalanced: true, healthCheckGracePeriodMs: 30_000 }, seeded(12));
  m.apply(m.plan());
  const [t] = m.notStopped();
  m.start(t!);
  const tg = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef';
  m.targets(m.notStopped()[0]!, { healthy: false, unhealthy: { targetGroupArn: tg, port: 32768, reason: 'Health checks failed with these codes: [500]' } });
  m.now += 10_000;
  assert.deepEqual(m.plan().stop, [], 'within healthCheckGracePeriodSeconds');
  m.now += 25_000;
  const p = m.plan();
  assert.deepEqual(p.stop, [{ arn: t!.arn, reason: `Task failed ELB health checks in (target-group ${tg})` }]);
  assert.ok(p.events.includes(`(service web) (port 32768) is unhealthy in (target-group ${tg}) due to (reason Health checks failed with these codes: [500]).`));
});

test('scale-in stops the excess, spread over the zones', () => {
  const m = new ServiceModel({ desiredCount: 6 }, seeded(6));
  converge(m);
  m.desiredCount = 3;
  const p = m.plan();
  assert.equal(p.stop.length, 3);
  const left = TaskSet.of(m.notStopped()).difference(p.stop.map((s) => s.arn));
  assert.equal(new Set(left.toArray().map((t) => t.containerInstanceArn)).size, 3, 'one task left per zone');
});

test('circuit breaker: failures reach max(3, ceil(desired / 2)) → FAILED, rolled back to the last COMPLETED deployment', () => {
  const m = new ServiceModel({ desiredCount: 4, circuitBreaker: { enable: true, rollback: true } }, seeded(7));
  converge(m);
  const good = m.primary.id;
  const bad = m.deploy();
  for (let round = 0; round < 10 && m.primary.id === bad; round++) {
    m.apply(m.plan());
    // Every task of the bad revision dies before it runs.
    for (const t of m.notStopped()) if (t.deploymentId === bad) m.stop(t, 'TaskFailedToStart');
    m.now += 60_000;
  }
  const failed = m.deployments.find((d) => d.id === bad)!;
  assert.equal(failed.rolloutState, 'FAILED');
  assert.equal(failed.failedTasks >= failureThreshold(4), true);
  assert.equal(m.primary.id, good);
  assert.equal(m.primary.rolloutState, 'IN_PROGRESS');
  assert.ok(m.events.includes(`(service web) (deployment ${bad}) deployment failed: tasks failed to start.`));
  converge(m);
  assert.equal(m.primary.rolloutState, 'COMPLETED');
  assert.equal(failed.status, 'INACTIVE');
  assert.equal(m.notStopped().length, 4);
});

test('circuit breaker without rollback: the failed deployment stalls and keeps the old tasks', () => {
  const m = new ServiceModel({ desiredCount: 2, circuitBreaker: { enable: true, rollback: false } }, seeded(8));
  converge(m);
  const bad = m.deploy();
  for (let round = 0; round < 10; round++) {
    m.apply(m.plan());
    for (const t of m.notStopped()) if (t.deploymentId === bad) m.stop(t, 'EssentialContainerExited');
    m.now += 60_000;
  }
  assert.equal(m.primary.rolloutState, 'FAILED');
  const p = m.plan();
  assert.deepEqual([p.place, p.stop], [[], []]);
  assert.equal(m.notStopped().length, 2, 'the old deployment keeps running');
});

test('a deployment whose task has run steadily stops counting failures (ECS resets failedTasks)', () => {
  const m = new ServiceModel({ desiredCount: 3, circuitBreaker: { enable: true, rollback: true } }, seeded(9));
  m.apply(m.plan());
  const [a, b] = m.notStopped();
  m.start(a!);
  m.stop(b!, 'EssentialContainerExited');
  assert.equal(m.plan().deployments.find((c) => c.id === m.primary.id)?.failedTasks, 1);
  m.apply(m.plan());
  m.now += STEADY_AFTER_MS;
  const p = m.plan();
  const c = p.deployments.find((x) => x.id === m.primary.id)!;
  assert.equal(c.succeeded, true);
  assert.equal(c.failedTasks, 0);
});

test('tasks that keep failing to start are throttled, and the event says so', () => {
  const m = new ServiceModel({ desiredCount: 1 }, seeded(10));
  for (let i = 0; i < 3; i++) {
    m.apply(m.plan());
    for (const t of m.notStopped()) m.stop(t, 'TaskFailedToStart');
    m.now += 100;
  }
  const p = m.plan();
  assert.deepEqual(p.place, []);
  assert.ok(p.events.includes('(service web) is unable to consistently start tasks successfully.'));
  m.now += throttleDelay(3);
  assert.deepEqual(m.plan().place, [{ deploymentId: m.primary.id, count: 1 }]);
  // A new deployment is not throttled.
  m.deploy();
  assert.equal(m.plan().place[0]!.count, 1);
});

test('tasks on a DRAINING instance are replaced elsewhere within minimumHealthyPercent', () => {
  const m = new ServiceModel({ desiredCount: 3, minimumHealthyPercent: 100, maximumPercent: 200 }, seeded(11));
  converge(m);
  const draining = m.notStopped()[0]!;
  m.tasks = m.tasks.map((t) => (t.arn === draining.arn ? { ...t, instanceStatus: 'DRAINING' } : t));
  const p = m.plan();
  assert.deepEqual(p.place, [{ deploymentId: m.primary.id, count: 1 }]);
  assert.deepEqual(p.stop, [], 'the draining task stays until its replacement is healthy');
  m.apply(p);
  m.settleAgents();
  assert.deepEqual(m.plan().stop, [], 'a replacement that has only just started does not count yet');
  m.now += RUNNING_SETTLE_MS;
  const p2 = m.plan();
  assert.deepEqual(p2.stop, [{ arn: draining.arn, reason: STOP_REASON.draining }]);
});

test('a deleted service (DRAINING) stops every task and becomes INACTIVE', () => {
  const m = new ServiceModel({ desiredCount: 3, minimumHealthyPercent: 100 }, seeded(12));
  converge(m);
  m.status = 'DRAINING';
  const p = m.plan();
  assert.equal(p.stop.length, 3);
  m.apply(p);
  m.settleAgents();
  const done = m.plan();
  assert.equal(done.inactive, true);
});

test('TaskSet helpers return new sets and never change the one they were called on', () => {
  const t = (arn: string, extra: Partial<ServiceTask> = {}): ServiceTask => ({
    arn,
    deploymentId: 'd1',
    containerInstanceArn: 'i',
    instanceStatus: 'ACTIVE',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    health: 'UNKNOWN',
    createdAt: 1,
    cpu: 1,
    memory: 1,
    ...extra,
  });
  const set = TaskSet.of([t('a'), t('b', { lastStatus: 'STOPPED' }), t('c', { deploymentId: 'd2', desiredStatus: 'STOPPED' }), t('a')]);
  assert.equal(set.size, 3, 'duplicates collapse');
  assert.deepEqual(set.live().arns(), ['a']);
  assert.deepEqual(set.stopping().arns(), ['c']);
  assert.deepEqual(set.ofDeployment('d2').arns(), ['c']);
  assert.deepEqual(set.difference(['a']).arns(), ['b', 'c']);
  assert.deepEqual(set.live().union(set.stopping()).arns(), ['a', 'c']);
  assert.equal(set.size, 3);
});
