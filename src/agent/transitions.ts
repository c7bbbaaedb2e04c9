import type { ContainerStatus as WireContainerStatus, TaskStatus } from './protocol.js';
import { TASK_STATUSES } from './protocol.js';
import type { HealthState } from './runtime/runtime.js';

// The task engine's state machine, after the amazon-ecs-agent's
// `agent/engine`: every container has a desired and a known status; the next
// status is "known + 1" unless the desired status is STOPPED; ONE table maps
// each status to the step that reaches it. The task's status is derived from
// its containers. All pure: the actor feeds in its state and the time.

/** Container statuses, in order. RESOURCES_PROVISIONED is the namespace holder's steady state. */
export const CONTAINER_STATUSES = ['NONE', 'PULLED', 'CREATED', 'RUNNING', 'RESOURCES_PROVISIONED', 'STOPPED'] as const;
export type KnownStatus = (typeof CONTAINER_STATUSES)[number];

export type Step = 'pull' | 'create' | 'start' | 'provision' | 'stop';

/** THE table: the step that takes a container to each status. */
export const TRANSITIONS: Readonly<Record<KnownStatus, Step | null>> = {
  NONE: null,
  PULLED: 'pull',
  CREATED: 'create',
  RUNNING: 'start',
  RESOURCES_PROVISIONED: 'provision',
  STOPPED: 'stop',
};

export type DependencyCondition = 'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY' | 'CREATE';

export interface Dependency {
  containerName: string;
  condition: DependencyCondition;
}

/** What the planner needs to know of a container. */
export interface ContainerView {
  name: string;
  /** The namespace holder: steady at RESOURCES_PROVISIONED, started first, stopped last. */
  holder: boolean;
  essential: boolean;
  known: KnownStatus;
  /** The container's steady status, or STOPPED. */
  desired: KnownStatus;
  /** The status a step in flight is taking the container to. */
  applied?: KnownStatus;
  exitCode?: number;
  health: HealthState;
  hasHealthCheck: boolean;
  /** Epoch ms. */
  startedAt?: number;
  /** The container's own startTimeout (ms): how long containers depending on it wait for it. */
  startTimeoutMs?: number;
  /** dependsOn, plus links (START) and volumesFrom (CREATE) as the ECS agent adds them. */
  dependsOn: readonly Dependency[];
}

export type Transition =
  /** At or past the desired status, or a step is already in flight. */
  | { kind: 'none' }
  /** Run `step` to reach `to`. */
  | { kind: 'step'; to: KnownStatus; step: Step }
  /** Nothing to do in the runtime: record the container as STOPPED (it never ran). */
  | { kind: 'mark'; to: 'STOPPED' }
  /** Blocked on another container; re-plan on its next change, or at `until` (a dependency timeout). */
  | { kind: 'wait'; on: string; until?: number }
  /** The container can never get there (a dependency timed out, failed, or vanished). */
  | { kind: 'fail'; reason: string };

export function rank(s: KnownStatus): number {
  return CONTAINER_STATUSES.indexOf(s);
}

export function laterOf(a: KnownStatus, b: KnownStatus): KnownStatus {
  return rank(a) >= rank(b) ? a : b;
}

export function steadyStatus(c: { holder: boolean }): KnownStatus {
  return c.holder ? 'RESOURCES_PROVISIONED' : 'RUNNING';
}

/** The status after `known` on the way to the container's steady state (only asked below it). */
export function nextStatus(c: { holder: boolean; known: KnownStatus }): KnownStatus {
  return CONTAINER_STATUSES[Math.min(rank(c.known) + 1, CONTAINER_STATUSES.length - 1)]!;
}

/**
 * A known status only moves forward: an observation older than what is
 * known is redundant (the ECS agent drops it the same way).
 */
export function recordKnown(current: KnownStatus, observed: KnownStatus): KnownStatus {
  return laterOf(current, observed);
}

export function isSteady(c: Pick<ContainerView, 'holder' | 'known'>): boolean {
  return c.known === steadyStatus(c);
}

/** Where the container goes next, and how. */
export function nextTransition(c: ContainerView, task: readonly ContainerView[], now: number): Transition {
  if (c.applied !== undefined || c.known === 'STOPPED') return { kind: 'none' };

  if (c.desired === 'STOPPED') {
    // Never started: nothing runs, so nothing to stop.
    if (rank(c.known) < rank('RUNNING')) return { kind: 'mark', to: 'STOPPED' };
    // Shutdown order: whoever depends on this container stops first; the holder stops last.
    const blocker = task.find(
      (o) => o !== c && o.known !== 'STOPPED' && (c.holder || o.dependsOn.some((d) => d.containerName === c.name)),
    );
    if (blocker) return { kind: 'wait', on: blocker.name };
    return { kind: 'step', to: 'STOPPED', step: 'stop' };
  }

  if (rank(c.known) >= rank(c.desired)) return { kind: 'none' };
  const to = nextStatus(c);

  for (const dep of c.dependsOn) {
    const d = task.find((o) => o.name === dep.containerName);
    if (!d || d.holder) {
      return { kind: 'fail', reason: `dependency graph: container ordering dependency [${dep.containerName}] for target [${c.name}] does not exist.` };
    }
    // A dependency can only time out while the target has not been created (ECS).
    if (rank(c.known) < rank('CREATED') && d.known !== 'STOPPED' && dependencyDeadline(d, dep.condition) !== undefined) {
      if (now > dependencyDeadline(d, dep.condition)!) {
        return { kind: 'fail', reason: `dependency graph: container ordering dependency [${d.name}] for target [${c.name}] has timed out.` };
      }
    }
    if (dep.condition === 'SUCCESS' && d.known === 'STOPPED' && d.exitCode !== undefined && d.exitCode !== 0) {
      return {
        kind: 'fail',
        reason: `dependency graph: failed to resolve container ordering dependency [${d.name}] for target [${c.name}] as dependency did not exit successfully.`,
      };
    }
    if (dep.condition === 'HEALTHY' && !d.hasHealthCheck) {
      return { kind: 'fail', reason: `dependency graph: container ordering dependency [${d.name}] for target [${c.name}] is HEALTHY, but ${d.name} has no health check.` };
    }
    if (!dependencyResolved(d, dep.condition)) {
      // Stopped without meeting the condition: it never will.
      if (d.known === 'STOPPED') {
        return {
          kind: 'fail',
          reason: `dependency graph: failed to resolve container ordering dependency [${d.name}] for target [${c.name}] as dependency stopped before reaching ${dep.condition}.`,
        };
      }
      return { kind: 'wait', on: d.name, until: dependencyDeadline(d, dep.condition) };
    }
  }

  // The task's containers are created in the holder's namespaces: it goes first.
  const holder = task.find((o) => o.holder);
  if (!c.holder && holder && rank(to) >= rank('CREATED') && holder.known !== 'RESOURCES_PROVISIONED') {
    if (holder.known === 'STOPPED') return { kind: 'fail', reason: 'the task\'s namespace holder stopped' };
    return { kind: 'wait', on: holder.name };
  }
  const step = TRANSITIONS[to];
  return step ? { kind: 'step', to, step } : { kind: 'none' };
}

export function dependencyResolved(d: ContainerView, condition: DependencyCondition): boolean {
  switch (condition) {
    case 'CREATE':
      return rank(d.known) >= rank('CREATED');
    case 'START':
      return isSteady(d);
    case 'COMPLETE':
      return d.known === 'STOPPED' && d.exitCode !== undefined;
    case 'SUCCESS':
      return d.known === 'STOPPED' && d.exitCode === 0;
    case 'HEALTHY':
      return d.hasHealthCheck && d.health === 'HEALTHY';
  }
}

/** When waiting on `d` for `condition` gives up: d's startedAt + d's startTimeout (COMPLETE, SUCCESS, HEALTHY only). */
export function dependencyDeadline(d: ContainerView, condition: DependencyCondition): number | undefined {
  if (condition !== 'COMPLETE' && condition !== 'SUCCESS' && condition !== 'HEALTHY') return undefined;
  if (d.startedAt === undefined || !d.startTimeoutMs) return undefined;
  return d.startedAt + d.startTimeoutMs;
}

export interface Plan {
  /** One entry per container that can move (step or mark) or must fail. */
  moves: Array<{ name: string; transition: Extract<Transition, { kind: 'step' | 'mark' | 'fail' }> }>;
  /** The earliest dependency deadline among waiting containers: plan again then. */
  wakeAt?: number;
}

export function planTask(task: readonly ContainerView[], now: number): Plan {
  const plan: Plan = { moves: [] };
  for (const c of task) {
    const t = nextTransition(c, task, now);
    if (t.kind === 'step' || t.kind === 'mark' || t.kind === 'fail') plan.moves.push({ name: c.name, transition: t });
    else if (t.kind === 'wait' && t.until !== undefined) plan.wakeAt = Math.min(plan.wakeAt ?? Infinity, t.until);
  }
  return plan;
}

// ---------------------------------------------------------------- what the task looks like from outside

export function taskStatusRank(s: TaskStatus): number {
  return TASK_STATUSES.indexOf(s);
}

export function laterTaskStatus(a: TaskStatus, b: TaskStatus): TaskStatus {
  return taskStatusRank(a) >= taskStatusRank(b) ? a : b;
}

/**
 * The task's wire status, from its containers: PROVISIONING while the holder
 * is being set up; PENDING while containers are pulled and created;
 * ACTIVATING while the last ones start; RUNNING once every container is at
 * its steady state (or has exited, or given up); once the task is on its way
 * down (desired STOPPED, or an essential container stopped or failed):
 * DEACTIVATING before anything is stopped, STOPPING while containers stop,
 * DEPROVISIONING while only the holder is left, then STOPPED.
 */
export function deriveTaskStatus(task: readonly ContainerView[], taskDesired: 'RUNNING' | 'STOPPED'): TaskStatus {
  if (task.every((c) => c.known === 'STOPPED')) return 'STOPPED';
  const holder = task.find((c) => c.holder);
  const apps = task.filter((c) => !c.holder);
  const goingDown =
    taskDesired === 'STOPPED' || task.some((c) => (c.essential || c.holder) && (c.known === 'STOPPED' || c.desired === 'STOPPED'));
  if (goingDown) {
    if (apps.every((c) => c.known === 'STOPPED')) return 'DEPROVISIONING';
    if (task.some((c) => c.known === 'STOPPED' || c.applied === 'STOPPED')) return 'STOPPING';
    return 'DEACTIVATING';
  }
  if (holder && holder.known !== 'RESOURCES_PROVISIONED') return 'PROVISIONING';
  let least: TaskStatus = 'RUNNING';
  for (const c of apps) {
    if (c.known === 'STOPPED' || c.desired === 'STOPPED') continue;
    const phase: TaskStatus = isSteady(c) ? 'RUNNING' : c.known === 'CREATED' && c.applied === 'RUNNING' ? 'ACTIVATING' : 'PENDING';
    if (taskStatusRank(phase) < taskStatusRank(least)) least = phase;
  }
  return least;
}

/** ECS: UNHEALTHY if an essential container is; HEALTHY if every essential container with a health check is; else UNKNOWN. */
export function deriveTaskHealth(task: readonly Pick<ContainerView, 'essential' | 'holder' | 'hasHealthCheck' | 'health'>[]): HealthState {
  const checked = task.filter((c) => c.essential && !c.holder && c.hasHealthCheck);
  if (!checked.length) return 'UNKNOWN';
  if (checked.some((c) => c.health === 'UNHEALTHY')) return 'UNHEALTHY';
  if (checked.every((c) => c.health === 'HEALTHY')) return 'HEALTHY';
  return 'UNKNOWN';
}

export function wireContainerStatus(known: KnownStatus): WireContainerStatus {
  if (known === 'STOPPED') return 'STOPPED';
  if (known === 'RUNNING' || known === 'RESOURCES_PROVISIONED') return 'RUNNING';
  return 'PENDING';
}
