import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHealthy, maxTasks, minHealthyTasks } from '../../../src/control/reconcile/plan-service.js';
import { seeded } from '../placement/snapshot.js';
import { ServiceModel } from './model.js';

// Invariants of the replica planner across random sequences of task events:
// a plan never takes the service above maximumPercent nor below
// minimumHealthyPercent healthy, and once the cluster has room and the tasks
// behave, the service converges to desiredCount tasks of its PRIMARY (unless
// its minimum and maximum leave no room to move, which ECS also reports
// instead of doing).

type Op =
  | { kind: 'reconcile' }
  | { kind: 'start'; i: number; healthy: boolean }
  | { kind: 'stop'; i: number; code: string }
  | { kind: 'health'; i: number; health: 'HEALTHY' | 'UNHEALTHY' }
  | { kind: 'deploy'; checks: boolean }
  | { kind: 'scale'; n: number }
  | { kind: 'tick'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ kind: 'reconcile' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('start' as const), i: fc.nat(), healthy: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('stop' as const), i: fc.nat(), code: fc.constantFrom('EssentialContainerExited', 'TaskFailedToStart') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('health' as const), i: fc.nat(), health: fc.constantFrom('HEALTHY' as const, 'UNHEALTHY' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deploy' as const), checks: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('scale' as const), n: fc.nat({ max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 100, max: 120_000 }) }) },
);

const settingsArb = fc.record({
  desiredCount: fc.nat({ max: 8 }),
  minimumHealthyPercent: fc.integer({ min: 0, max: 100 }),
  maximumPercent: fc.integer({ min: 100, max: 200 }),
  capacity: fc.integer({ min: 1, max: 20 }),
  healthChecks: fc.boolean(),
  circuitBreaker: fc.record({ enable: fc.boolean(), rollback: fc.boolean() }),
});

/** Whether the settings let a deployment make progress at all: room above desired, or tasks it may stop. */
const canMove = (m: ServiceModel) =>
  m.desiredCount === 0 || maxTasks(m.desiredCount, m.maximumPercent) > m.desiredCount || minHealthyTasks(m.desiredCount, m.minimumHealthyPercent) < m.desiredCount;

const STUCK = '(service web) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.';

/** Passes with a cluster that has room and tasks that behave, until a pass finds the service steady. */
function settle(m: ServiceModel, seen: { places: number; stops: number }): void {
  m.steady = false;
  for (let round = 0; round < 40 && !m.steady; round++) {
    step(m, { kind: 'reconcile' }, seen);
    m.settleAgents();
    m.now += 30 * 60 * 1000;
  }
}

/** Runs one op; on a reconcile, checks the plan against the bounds before applying it. */
function step(m: ServiceModel, op: Op, seen: { places: number; stops: number }): void {
  const live = () => m.notStopped();
  const pick = (i: number) => {
    const l = live();
    return l.length ? l[i % l.length] : undefined;
  };
  switch (op.kind) {
    case 'reconcile': {
      const plan = m.plan();
      const D = m.desiredCount;
      const placing = plan.place.reduce((n, p) => n + p.count, 0);
      if (placing > 0) {
        assert.ok(live().length + placing <= maxTasks(D, m.maximumPercent), `places ${placing} on ${live().length} not stopped: above ${m.maximumPercent}% of ${D}`);
      }
      const healthyBefore = m.healthyCount();
      const stopped = new Set(plan.stop.map((s) => s.arn));
      const healthyAfter = m.tasks.filter((t) => !stopped.has(t.arn) && isHealthy(t, m.checks(t))).length;
      const floor = Math.min(healthyBefore, minHealthyTasks(D, m.minimumHealthyPercent));
      assert.ok(healthyAfter >= floor, `stops leave ${healthyAfter} healthy, below ${floor} (min ${m.minimumHealthyPercent}% of ${D}, ${healthyBefore} before)`);
      seen.places += placing;
      seen.stops += plan.stop.length;
      m.apply(plan);
      break;
    }
    case 'start': {
      const t = pick(op.i);
      if (t) m.start(t, m.checks(t) ? (op.healthy ? 'HEALTHY' : 'UNKNOWN') : 'UNKNOWN');
      break;
    }
    case 'stop': {
      const t = pick(op.i);
      if (t) m.stop(t, op.code);
      break;
    }
    case 'health': {
      const t = pick(op.i);
      if (t) m.health(t, op.health);
      break;
    }
    case 'deploy':
      m.deploy(op.checks);
      break;
    case 'scale':
      m.desiredCount = op.n;
      m.steady = false;
      break;
    case 'tick':
      m.now += op.ms;
      break;
  }
}

test('no plan exceeds maximumPercent or leaves fewer than minimumHealthyPercent healthy, whatever the tasks do', () => {
  const seen = { places: 0, stops: 0 };
  fc.assert(
    fc.property(settingsArb, fc.array(opArb, { maxLength: 120 }), fc.integer(), (settings, ops, seed) => {
      const m = new ServiceModel(settings, seeded(seed));
      for (const op of ops) step(m, op, seen);
    }),
    { numRuns: 400 },
  );
  assert.ok(seen.places > 100 && seen.stops > 10, `the runs exercised the planner (${seen.places} places, ${seen.stops} stops)`);
});

test('with room in the cluster and tasks that behave, the service converges to desiredCount tasks of its PRIMARY', () => {
  fc.assert(
    fc.property(settingsArb, fc.array(opArb, { maxLength: 80 }), fc.integer(), (settings, ops, seed) => {
      const m = new ServiceModel({ ...settings, circuitBreaker: { enable: false, rollback: false } }, seeded(seed));
      const seen = { places: 0, stops: 0 };
      for (const op of ops) step(m, op, seen);
      // From here on the cluster has room and every task starts, becomes healthy and stops when asked.
      m.capacity = 1000;
      settle(m, seen);
      if (!m.steady && !canMove(m)) {
        assert.ok(m.events.includes(STUCK), 'a deployment that cannot move says so');
        return;
      }
      assert.ok(m.steady, `not steady: ${m.notStopped().length} tasks for desired ${m.desiredCount}`);
      const live = m.notStopped();
      assert.equal(live.length, m.desiredCount);
      assert.ok(live.every((t) => t.deploymentId === m.primary.id && t.desiredStatus === 'RUNNING'));
      assert.equal(m.primary.rolloutState, 'COMPLETED');
      assert.deepEqual(
        m.deployments.filter((d) => d.status !== 'INACTIVE').map((d) => d.id),
        [m.primary.id],
      );
    }),
    { numRuns: 300 },
  );
});

test('with the circuit breaker on, a service either converges or stops on a FAILED deployment with nothing to roll back to', () => {
  fc.assert(
    fc.property(settingsArb, fc.array(opArb, { maxLength: 80 }), fc.integer(), (settings, ops, seed) => {
      const m = new ServiceModel({ ...settings, circuitBreaker: { enable: true, rollback: true } }, seeded(seed));
      const seen = { places: 0, stops: 0 };
      for (const op of ops) step(m, op, seen);
      m.capacity = 1000;
      settle(m, seen);
      if (!m.steady && !canMove(m)) return;
      if (!m.steady) {
        assert.equal(m.primary.rolloutState, 'FAILED', 'only a failed deployment with no COMPLETED one to return to may stall');
        assert.ok(!m.deployments.some((d) => d.rolloutState === 'COMPLETED' && d !== m.primary));
      }
    }),
    { numRuns: 200 },
  );
});
