import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TASK_STATUSES, type TaskStatus } from '../../src/agent/protocol.js';
import {
  CONTAINER_STATUSES,
  deriveTaskHealth,
  deriveTaskStatus,
  dependencyResolved,
  nextTransition,
  planTask,
  rank,
  recordKnown,
  steadyStatus,
  TRANSITIONS,
  wireContainerStatus,
  type ContainerView,
  type Dependency,
  type DependencyCondition,
  type KnownStatus,
} from '../../src/agent/transitions.js';

function c(name: string, more: Partial<ContainerView> = {}): ContainerView {
  const holder = more.holder ?? false;
  return {
    name,
    holder,
    essential: true,
    known: 'NONE',
    desired: holder ? 'RESOURCES_PROVISIONED' : 'RUNNING',
    health: 'UNKNOWN',
    hasHealthCheck: false,
    dependsOn: [],
    ...more,
  };
}

test('the one table: each status is reached by one step, in pull → create → start → (provision) → stop order', () => {
  assert.deepEqual(CONTAINER_STATUSES, ['NONE', 'PULLED', 'CREATED', 'RUNNING', 'RESOURCES_PROVISIONED', 'STOPPED']);
  assert.deepEqual(TRANSITIONS, { NONE: null, PULLED: 'pull', CREATED: 'create', RUNNING: 'start', RESOURCES_PROVISIONED: 'provision', STOPPED: 'stop' });
});

test('the next step is known + 1 until the steady state', () => {
  const steps = (x: ContainerView) => {
    const out: string[] = [];
    let cur = x;
    for (;;) {
      const t = nextTransition(cur, [cur], 0);
      if (t.kind !== 'step') return out;
      out.push(t.step);
      cur = { ...cur, known: t.to };
    }
  };
  assert.deepEqual(steps(c('app')), ['pull', 'create', 'start']);
  assert.deepEqual(steps(c('holder', { holder: true })), ['pull', 'create', 'start', 'provision']);
  assert.equal(steadyStatus({ holder: false }), 'RUNNING');
  assert.equal(steadyStatus({ holder: true }), 'RESOURCES_PROVISIONED');
  assert.deepEqual(nextTransition(c('a', { known: 'CREATED', applied: 'RUNNING' }), [], 0), { kind: 'none' });
});

test('stopping: never-started containers are just marked; dependents stop first; the holder stops last', () => {
  const stop = { desired: 'STOPPED' as KnownStatus };
  assert.deepEqual(nextTransition(c('a', { ...stop, known: 'CREATED' }), [], 0), { kind: 'mark', to: 'STOPPED' });
  const db = c('db', { ...stop, known: 'RUNNING' });
  const app = c('app', { ...stop, known: 'RUNNING', dependsOn: [{ containerName: 'db', condition: 'START' }] });
  const holder = c('pause', { ...stop, holder: true, known: 'RESOURCES_PROVISIONED' });
  const task = [holder, db, app];
  assert.deepEqual(nextTransition(app, task, 0), { kind: 'step', to: 'STOPPED', step: 'stop' });
  assert.deepEqual(nextTransition(db, task, 0), { kind: 'wait', on: 'app' });
  assert.equal(nextTransition(holder, task, 0).kind, 'wait');
  const later = [holder, { ...db, known: 'STOPPED' as KnownStatus }, { ...app, known: 'STOPPED' as KnownStatus }];
  assert.deepEqual(nextTransition(later[0]!, later, 0), { kind: 'step', to: 'STOPPED', step: 'stop' });
  // A container that exited on its own is past any desire: no action.
  assert.deepEqual(nextTransition(c('x', { known: 'STOPPED' }), [], 0), { kind: 'none' });
});

test('dependsOn: START, COMPLETE, SUCCESS, HEALTHY (and CREATE for volumesFrom)', () => {
  const dep = (condition: DependencyCondition): Dependency[] => [{ containerName: 'side', condition }];
  const cases: Array<[DependencyCondition, Partial<ContainerView>, boolean]> = [
    ['START', { known: 'CREATED' }, false],
    ['START', { known: 'RUNNING' }, true],
    ['CREATE', { known: 'CREATED' }, true],
    ['COMPLETE', { known: 'RUNNING' }, false],
    ['COMPLETE', { known: 'STOPPED', exitCode: 3 }, true],
    ['SUCCESS', { known: 'STOPPED', exitCode: 0 }, true],
    ['HEALTHY', { known: 'RUNNING', hasHealthCheck: true, health: 'UNKNOWN' }, false],
    ['HEALTHY', { known: 'RUNNING', hasHealthCheck: true, health: 'HEALTHY' }, true],
  ];
  for (const [condition, side, ok] of cases) {
    const s = c('side', side);
    assert.equal(dependencyResolved(s, condition), ok, `${condition} with ${JSON.stringify(side)}`);
    const app = c('app', { dependsOn: dep(condition) });
    const t = nextTransition(app, [s, app], 0);
    assert.equal(t.kind, ok ? 'step' : 'wait', `${condition}: ${JSON.stringify(t)}`);
  }
  const failing = (side: Partial<ContainerView>, condition: DependencyCondition) => {
    const app = c('app', { dependsOn: dep(condition) });
    return nextTransition(app, [c('side', side), app], 0);
  };
  assert.match(JSON.stringify(failing({ known: 'STOPPED', exitCode: 1 }, 'SUCCESS')), /did not exit successfully/);
  assert.match(JSON.stringify(failing({ known: 'RUNNING' }, 'HEALTHY')), /has no health check/);
  assert.match(JSON.stringify(failing({ known: 'STOPPED', exitCode: 0 }, 'START')), /stopped before reaching START/);
  const app = c('app', { dependsOn: [{ containerName: 'ghost', condition: 'START' }] });
  assert.match(JSON.stringify(nextTransition(app, [app], 0)), /does not exist/);
});

test('startTimeout: waiting on a dependency ends at its startedAt + startTimeout, then the dependent fails', () => {
  const side = c('side', { known: 'RUNNING', hasHealthCheck: true, startedAt: 1000, startTimeoutMs: 5000 });
  const app = c('app', { dependsOn: [{ containerName: 'side', condition: 'HEALTHY' }] });
  assert.deepEqual(nextTransition(app, [side, app], 3000), { kind: 'wait', on: 'side', until: 6000 });
  assert.equal(planTask([side, app], 3000).wakeAt, 6000);
  assert.deepEqual(nextTransition(app, [side, app], 6001), {
    kind: 'fail',
    reason: 'dependency graph: container ordering dependency [side] for target [app] has timed out.',
  });
  // START has no timeout.
  const starting = c('side', { known: 'CREATED', startedAt: 1000, startTimeoutMs: 1 });
  const app2 = c('app', { dependsOn: [{ containerName: 'side', condition: 'START' }] });
  assert.equal(nextTransition(app2, [starting, app2], 1e9).kind, 'wait');
});

test('awsvpc: containers may pull while the holder is set up, but are created only once it is provisioned', () => {
  const holder = c('pause', { holder: true, known: 'RUNNING' });
  assert.deepEqual(nextTransition(c('app'), [holder], 0), { kind: 'step', to: 'PULLED', step: 'pull' });
  assert.deepEqual(nextTransition(c('app', { known: 'PULLED' }), [holder], 0), { kind: 'wait', on: 'pause' });
  const ready = { ...holder, known: 'RESOURCES_PROVISIONED' as KnownStatus };
  assert.deepEqual(nextTransition(c('app', { known: 'PULLED' }), [ready], 0), { kind: 'step', to: 'CREATED', step: 'create' });
});

test('the task status, from its containers', () => {
  const cases: Array<[ContainerView[], 'RUNNING' | 'STOPPED', TaskStatus]> = [
    [[c('pause', { holder: true, known: 'CREATED' }), c('app')], 'RUNNING', 'PROVISIONING'],
    [[c('app', { known: 'PULLED' })], 'RUNNING', 'PENDING'],
    [[c('app', { known: 'CREATED', applied: 'RUNNING' })], 'RUNNING', 'ACTIVATING'],
    [[c('app', { known: 'RUNNING' }), c('side', { known: 'CREATED' })], 'RUNNING', 'PENDING'],
    [[c('app', { known: 'RUNNING' }), c('init', { essential: false, known: 'STOPPED', exitCode: 0 })], 'RUNNING', 'RUNNING'],
    [[c('app', { known: 'RUNNING', desired: 'STOPPED' })], 'STOPPED', 'DEACTIVATING'],
    [[c('app', { known: 'RUNNING', desired: 'STOPPED', applied: 'STOPPED' })], 'STOPPED', 'STOPPING'],
    [[c('app', { known: 'STOPPED' }), c('side', { essential: false, known: 'RUNNING' })], 'RUNNING', 'STOPPING'],
    [[c('pause', { holder: true, known: 'RESOURCES_PROVISIONED' }), c('app', { known: 'STOPPED' })], 'STOPPED', 'DEPROVISIONING'],
    [[c('pause', { holder: true, known: 'STOPPED' }), c('app', { known: 'STOPPED' })], 'STOPPED', 'STOPPED'],
  ];
  for (const [task, desired, want] of cases) assert.equal(deriveTaskStatus(task, desired), want, JSON.stringify(task));
  assert.equal(wireContainerStatus('CREATED'), 'PENDING');
  assert.equal(wireContainerStatus('RESOURCES_PROVISIONED'), 'RUNNING');
});

test('the task health, from its essential containers', () => {
  const h = (health: ContainerView['health'], more: Partial<ContainerView> = {}) => c('x', { hasHealthCheck: true, health, ...more });
  assert.equal(deriveTaskHealth([c('a')]), 'UNKNOWN');
  assert.equal(deriveTaskHealth([h('HEALTHY'), h('HEALTHY')]), 'HEALTHY');
  assert.equal(deriveTaskHealth([h('HEALTHY'), h('UNKNOWN')]), 'UNKNOWN');
  assert.equal(deriveTaskHealth([h('HEALTHY'), h('UNHEALTHY')]), 'UNHEALTHY');
  assert.equal(deriveTaskHealth([h('HEALTHY'), h('UNHEALTHY', { essential: false }), c('no-check')]), 'HEALTHY');
});

// ---------------------------------------------------------------- a simulated engine over the pure planner

interface Shape {
  holder: boolean;
  containers: Array<{ essential: boolean; hasHealthCheck: boolean; startTimeoutMs?: number; deps: Array<{ on: number; condition: DependencyCondition }> }>;
}

const shape: fc.Arbitrary<Shape> = fc
  .record({
    holder: fc.boolean(),
    containers: fc.array(
      fc.record({
        essential: fc.boolean(),
        hasHealthCheck: fc.boolean(),
        startTimeoutMs: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
        deps: fc.array(fc.record({ on: fc.nat(), condition: fc.constantFrom<DependencyCondition>('START', 'COMPLETE', 'SUCCESS', 'HEALTHY') }), { maxLength: 2 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map((s) => {
    // Dependencies point only at earlier containers (no cycles); one container at least is essential.
    s.containers.forEach((c, i) => (c.deps = i === 0 ? [] : c.deps.map((d) => ({ ...d, on: d.on % i }))));
    s.containers[0]!.essential = true;
    return s;
  });

type Action = { kind: 'finish'; pick: number; ok: boolean } | { kind: 'exit'; pick: number; code: 0 | 1 } | { kind: 'health'; pick: number; healthy: boolean } | { kind: 'stop' } | { kind: 'time'; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('finish' as const), pick: fc.nat(), ok: fc.integer({ min: 0, max: 9 }).map((n) => n < 8) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('exit' as const), pick: fc.nat(), code: fc.constantFrom<0 | 1>(0, 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('health' as const), pick: fc.nat(), healthy: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stop' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 1, max: 40 }) }) },
);

test('property: known statuses never go back, the task status only moves forward, and dependencies hold when a container starts', () => {
  let dependentStarts = 0;
  let reachedRunning = 0;
  let orderedStops = 0;
  fc.assert(
    fc.property(shape, fc.array(action, { maxLength: 80 }), (s, actions) => {
      const names = s.containers.map((_, i) => `c${i}`);
      let task: ContainerView[] = s.containers.map((x, i) =>
        c(names[i]!, {
          essential: x.essential,
          hasHealthCheck: x.hasHealthCheck,
          startTimeoutMs: x.startTimeoutMs,
          dependsOn: x.deps.map((d) => ({ containerName: names[d.on]!, condition: d.condition })),
        }),
      );
      if (s.holder) task.unshift(c('pause', { holder: true }));
      let desired: 'RUNNING' | 'STOPPED' = 'RUNNING';
      let now = 0;
      let status = deriveTaskStatus(task, desired);
      const set = (name: string, patch: Partial<ContainerView>) => {
        task = task.map((x) => {
          if (x.name !== name) return x;
          const next = { ...x, ...patch };
          if (patch.known) {
            assert.ok(rank(patch.known) >= rank(x.known), `${name}: ${x.known} → ${patch.known}`);
            next.known = recordKnown(x.known, patch.known);
          }
          return next;
        });
      };
      const settle = () => {
        // The actor's task rules, then one planning round (marks and failures applied at once, steps put in flight).
        for (let round = 0; round < 20; round++) {
          if (desired === 'RUNNING' && task.some((x) => (x.essential || x.holder) && (x.known === 'STOPPED' || x.desired === 'STOPPED'))) desired = 'STOPPED';
          if (desired === 'STOPPED') task = task.map((x) => ({ ...x, desired: 'STOPPED' }));
          let changed = false;
          for (const { name, transition: t } of planTask(task, now).moves) {
            const x = task.find((y) => y.name === name)!;
            if (t.kind === 'step') {
              if (t.step === 'start') {
                for (const d of x.dependsOn) {
                  const dep = task.find((y) => y.name === d.containerName)!;
                  assert.ok(dependencyResolved(dep, d.condition), `${name} started before ${d.containerName} met ${d.condition}`);
                  dependentStarts++;
                }
                const holder = task.find((y) => y.holder);
                if (holder && !x.holder) assert.equal(holder.known, 'RESOURCES_PROVISIONED');
              }
              if (t.step === 'stop') {
                for (const o of task) {
                  if (o.dependsOn.some((d) => d.containerName === name)) {
                    assert.equal(o.known, 'STOPPED', `${name} stopped before its dependent ${o.name}`);
                    orderedStops++;
                  }
                }
              }
              set(name, { applied: t.to });
            } else if (t.kind === 'mark') {
              set(name, { known: 'STOPPED' });
              changed = true;
            } else {
              set(name, { known: 'STOPPED', desired: 'STOPPED', exitCode: 143 });
              changed = true;
            }
          }
          if (!changed) break;
        }
        const next = deriveTaskStatus(task, desired);
        assert.ok(TASK_STATUSES.indexOf(next) >= TASK_STATUSES.indexOf(status), `task status went back: ${status} → ${next}`);
        if (next === 'RUNNING' && status !== 'RUNNING') reachedRunning++;
        status = next;
      };
      settle();
      for (const a of actions) {
        if (a.kind === 'finish') {
          const busy = task.filter((x) => x.applied);
          const x = busy[a.pick % Math.max(busy.length, 1)];
          if (x) {
            if (a.ok || x.applied === 'STOPPED') {
              set(x.name, { applied: undefined, known: x.applied!, ...(x.applied === 'RUNNING' ? { startedAt: now } : {}), ...(x.applied === 'STOPPED' ? { exitCode: 137 } : {}) });
            } else {
              set(x.name, { applied: undefined, desired: 'STOPPED' });
            }
          }
        } else if (a.kind === 'exit') {
          const live = task.filter((x) => !x.holder && x.known === 'RUNNING');
          const x = live[a.pick % Math.max(live.length, 1)];
          if (x) set(x.name, { known: 'STOPPED', exitCode: a.code });
        } else if (a.kind === 'health') {
          const live = task.filter((x) => x.hasHealthCheck && x.known === 'RUNNING');
          const x = live[a.pick % Math.max(live.length, 1)];
          if (x) set(x.name, { health: a.healthy ? 'HEALTHY' : 'UNHEALTHY' });
        } else if (a.kind === 'stop') {
          desired = 'STOPPED';
        } else {
          now += a.ms;
        }
        settle();
      }
      // Let every step in flight succeed, health checks pass, and time run out: the task must come to rest.
      for (let i = 0; i < 100; i++) {
        const busy = task.find((x) => x.applied);
        if (busy) {
          set(busy.name, { applied: undefined, known: busy.applied!, ...(busy.applied === 'RUNNING' ? { startedAt: now } : {}), ...(busy.applied === 'STOPPED' ? { exitCode: 137 } : {}) });
        } else {
          const waiting = task.find((x) => x.hasHealthCheck && x.known === 'RUNNING' && x.health === 'UNKNOWN');
          if (waiting) set(waiting.name, { health: 'HEALTHY' });
          else now += 100;
        }
        settle();
      }
      assert.equal(task.filter((x) => x.applied).length, 0);
      assert.equal(planTask(task, now).moves.length, 0, 'the task did not come to rest');
      if (desired === 'STOPPED') assert.equal(status, 'STOPPED', JSON.stringify(task));
    }),
    { numRuns: 500 },
  );
  assert.ok(dependentStarts > 30 && reachedRunning > 50 && orderedStops > 10, `too few interesting runs: ${dependentStarts} dependent starts, ${reachedRunning} reached RUNNING, ${orderedStops} ordered stops`);
});
