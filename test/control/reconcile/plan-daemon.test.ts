import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConstraints, type InstanceSnapshot } from '../../../src/control/placement/index.js';
import { planService, RUNNING_SETTLE_MS, STOP_REASON, type ServiceDesired } from '../../../src/control/reconcile/plan-service.js';
import { TaskSet, type ServiceTask } from '../../../src/control/reconcile/task-set.js';
import { instance, seeded } from '../placement/snapshot.js';

// The DAEMON planner: one task per qualifying ACTIVE instance.

const NOW = 1_000_000;
const D1 = 'ecs-svc/1000000000000000001';
const D2 = 'ecs-svc/1000000000000000002';

function desired(extra: Partial<ServiceDesired> = {}): ServiceDesired {
  return {
    name: 'agent',
    status: 'ACTIVE',
    desiredCount: 0,
    minimumHealthyPercent: 0,
    maximumPercent: 100,
    circuitBreaker: { enable: false, rollback: false },
    healthCheckGracePeriodMs: 0,
    strategy: [],
    deployments: [{ id: D1, status: 'PRIMARY', rolloutState: 'IN_PROGRESS', createdAt: 0, monitorSince: 0, succeeded: false, failedTasks: 0, hasHealthChecks: false }],
    steady: false,
    daemon: {
      request: {
        demand: { cpu: 0, memory: 0, ports: [], portsUdp: [], eni: false, gpus: 0 },
        group: 'service:agent',
        constraints: parseConstraints(undefined, [{ type: 'memberOf', expression: 'attribute:role != batch' }]),
      },
    },
    ...extra,
  };
}

/** An instance the daemon's constraint accepts. */
const web = (spec: Parameters<typeof instance>[0] = {}) => instance({ ...spec, attributes: { role: 'web', ...spec.attributes } });

const task = (arn: string, on: InstanceSnapshot, extra: Partial<ServiceTask> = {}): ServiceTask => ({
  arn,
  deploymentId: D1,
  containerInstanceArn: on.arn,
  instanceStatus: on.status,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  health: 'UNKNOWN',
  createdAt: 0,
  startedAt: NOW - RUNNING_SETTLE_MS,
  cpu: 0,
  memory: 0,
  ...extra,
});

test('one task on each ACTIVE instance that meets the constraints; the desired count is their number', () => {
  const a = instance({ attributes: { role: 'web' } });
  const b = instance({ attributes: { role: 'web' } });
  const batch = instance({ attributes: { role: 'batch' } });
  const draining = instance({ status: 'DRAINING' });
  const plan = planService(desired(), { tasks: TaskSet.empty, instances: [a, b, batch, draining] }, { now: NOW, random: seeded(1) });
  assert.equal(plan.desiredCount, 2);
  assert.deepEqual(plan.place, [{ deploymentId: D1, count: 2, instances: [a.arn, b.arn] }]);
});

test('an instance that joins later gets the daemon; a steady daemon reports it once', () => {
  const a = web();
  const b = web();
  const tasks = TaskSet.of([task('t-a', a), task('t-b', b)]);
  const steady = planService(desired({ desiredCount: 2 }), { tasks, instances: [a, b] }, { now: NOW, random: seeded(2) });
  assert.deepEqual(steady.place, []);
  assert.equal(steady.steady, true);
  assert.ok(steady.events.includes('(service agent) has reached a steady state.'));
  const c = web();
  const joined = planService(desired({ desiredCount: 2, steady: true, deployments: [{ ...desired().deployments[0]!, rolloutState: 'COMPLETED' }] }), { tasks, instances: [a, b, c] }, { now: NOW, random: seeded(2) });
  assert.equal(joined.desiredCount, 3);
  assert.deepEqual(joined.place, [{ deploymentId: D1, count: 1, instances: [c.arn] }]);
  assert.equal(joined.steady, false);
});

test('a new deployment replaces each instance\'s task: the old one stops first, the new one starts once it has STOPPED', () => {
  const a = web();
  const deployments: ServiceDesired['deployments'] = [
    { id: D2, status: 'PRIMARY', rolloutState: 'IN_PROGRESS', createdAt: 1, monitorSince: 1, succeeded: false, failedTasks: 0, hasHealthChecks: false },
    { id: D1, status: 'ACTIVE', rolloutState: 'COMPLETED', createdAt: 0, monitorSince: 0, succeeded: true, failedTasks: 0, hasHealthChecks: false },
  ];
  const first = planService(desired({ desiredCount: 1, deployments }), { tasks: TaskSet.of([task('old', a)]), instances: [a] }, { now: NOW, random: seeded(3) });
  assert.deepEqual(first.stop, [{ arn: 'old', reason: STOP_REASON.scaling(D2) }]);
  assert.deepEqual(first.place, [], 'never two daemon tasks on one instance');
  const stopping = planService(desired({ desiredCount: 1, deployments }), { tasks: TaskSet.of([task('old', a, { desiredStatus: 'STOPPED' })]), instances: [a] }, { now: NOW, random: seeded(3) });
  assert.deepEqual([stopping.place, stopping.stop], [[], []]);
  const gone = planService(desired({ desiredCount: 1, deployments }), { tasks: TaskSet.of([task('old', a, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED' })]), instances: [a] }, { now: NOW, random: seeded(3) });
  assert.deepEqual(gone.place, [{ deploymentId: D2, count: 1, instances: [a.arn] }]);
});

test('minimumHealthyPercent holds across instances during a daemon deployment', () => {
  const fleet = [web(), web(), web(), web()];
  const deployments: ServiceDesired['deployments'] = [
    { id: D2, status: 'PRIMARY', rolloutState: 'IN_PROGRESS', createdAt: 1, monitorSince: 1, succeeded: false, failedTasks: 0, hasHealthChecks: false },
    { id: D1, status: 'ACTIVE', rolloutState: 'COMPLETED', createdAt: 0, monitorSince: 0, succeeded: true, failedTasks: 0, hasHealthChecks: false },
  ];
  const tasks = TaskSet.of(fleet.map((i, n) => task(`old-${n}`, i)));
  const plan = planService(desired({ desiredCount: 4, deployments, minimumHealthyPercent: 50 }), { tasks, instances: fleet }, { now: NOW, random: seeded(4) });
  assert.equal(plan.stop.length, 2, 'half of 4 may go at once');
});

test('on a DRAINING instance the daemon task is stopped last: only once nothing else runs there', () => {
  const busy = web({ status: 'DRAINING', taskGroups: { 'service:agent': 1, 'service:web': 2 } });
  const empty = web({ status: 'DRAINING', taskGroups: { 'service:agent': 1 } });
  const tasks = TaskSet.of([task('on-busy', busy), task('on-empty', empty)]);
  const plan = planService(desired({ desiredCount: 0 }), { tasks, instances: [busy, empty] }, { now: NOW, random: seeded(5) });
  assert.deepEqual(plan.stop, [{ arn: 'on-empty', reason: STOP_REASON.draining }]);
});
