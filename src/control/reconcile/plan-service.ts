import { chooseTasksToStop, type InstanceSnapshot, type RunningTask, type Strategy } from '../placement/index.js';
import { EVENT } from '../service-events.js';
import type { RolloutState } from '../service-record.js';
import type { ServiceTask, TaskSet } from './task-set.js';

// The replica service scheduler, pure: what the service should run (its
// deployments and settings) and what it runs (its tasks) in, a plan out. No
// I/O; the time and the random source are arguments. The applier commits the
// plan; the next pass sees the result.
//
//   circuit breaker ─ count the PRIMARY's failed tasks; FAILED at ECS's threshold,
//                     and roll back to the last COMPLETED deployment
//   throttle ──────── tasks that keep failing to start wait longer and longer
//   unhealthy ─────── RUNNING tasks failing their health checks are stopped
//   place ─────────── the PRIMARY up to desiredCount, never above maximumPercent
//   stop ──────────── scale-in excess, tasks of old deployments and of DRAINING
//                     instances, never below minimumHealthyPercent healthy
//   settle ────────── COMPLETED, old deployments INACTIVE, steady state
//
// Every count is derived from the tasks in the store, never kept as a running
// tally, so a pass after a restart (or a second pass over the same state)
// plans the same thing: nothing is started twice.

/** A task that has run this long and is healthy means the deployment works: the circuit breaker stops counting. */
export const STEADY_AFTER_MS = 10_000;
/**
 * A task without health checks counts as healthy (for what may be stopped, and
 * for completing a deployment) once it has been RUNNING this long: a
 * container that exits at once must not let the scheduler stop a working task
 * in the instant it was reported RUNNING. Counting fewer tasks healthy than
 * ECS's definition never takes a service below its minimum.
 */
export const RUNNING_SETTLE_MS = 3_000;
/** ECS's throttle: "incrementally increased up to a maximum of 27 minutes". */
export const MAX_THROTTLE_MS = 27 * 60 * 1000;
const THROTTLE_BASE_MS = 5_000;
/** Consecutive start failures before launches slow down. */
export const THROTTLE_AFTER = 3;

export const STOP_REASON = {
  scaling: (deploymentId: string) => `Scaling activity initiated by (deployment ${deploymentId})`,
  unhealthy: 'Task failed container health checks',
  draining: 'Service instance draining',
} as const;

export const ROLLOUT_REASON = {
  inProgress: (id: string) => `ECS deployment ${id} in progress.`,
  completed: (id: string) => `ECS deployment ${id} completed.`,
  circuitBreaker: 'ECS deployment circuit breaker: tasks failed to start.',
  rollingBack: (id: string) => `ECS deployment circuit breaker: rolling back to deploymentId ${id}.`,
} as const;

export interface DeploymentView {
  id: string;
  status: 'PRIMARY' | 'ACTIVE';
  rolloutState: RolloutState;
  createdAt: number;
  /** When the circuit breaker started watching it (its creation, or a rollback to it). */
  monitorSince: number;
  succeeded: boolean;
  failedTasks: number;
  /** Its task definition has container health checks: a task is healthy only once HEALTHY. */
  hasHealthChecks: boolean;
}

export interface ServiceDesired {
  name: string;
  status: 'ACTIVE' | 'DRAINING';
  desiredCount: number;
  minimumHealthyPercent: number;
  maximumPercent: number;
  circuitBreaker: { enable: boolean; rollback: boolean };
  healthCheckGracePeriodMs: number;
  strategy: readonly Strategy[];
  /** The PRIMARY first, then the ACTIVE ones, newest first. */
  deployments: readonly DeploymentView[];
  /** The most recent COMPLETED deployment other than the PRIMARY: where the circuit breaker rolls back to. */
  rollbackTarget?: string;
  /** What the last pass concluded. */
  steady: boolean;
}

export interface ServiceObserved {
  /** The service's tasks that are not STOPPED, and the PRIMARY's recently STOPPED ones. */
  tasks: TaskSet;
  /** The cluster's instances (for choosing which tasks to stop). */
  instances: readonly InstanceSnapshot[];
}

export interface DeploymentChange {
  id: string;
  status?: 'ACTIVE' | 'INACTIVE';
  rolloutState?: RolloutState;
  rolloutStateReason?: string;
  failedTasks?: number;
  succeeded?: boolean;
}

export interface ServicePlan {
  place: { deploymentId: string; count: number }[];
  stop: { arn: string; reason: string }[];
  deployments: DeploymentChange[];
  /** The circuit breaker rolls the failed PRIMARY back to a COMPLETED deployment. */
  rollback?: { from: string; to: string };
  /** The service was deleted and its last task has stopped. */
  inactive?: boolean;
  events: string[];
  steady: boolean;
}

export interface PlanOptions {
  now: number;
  /** A uniform [0, 1) source for the scale-in choice. */
  random: () => number;
}

/** ECS's circuit breaker threshold: 0.5 × desired count, at least 3 and at most 200. */
export function failureThreshold(desiredCount: number): number {
  return Math.max(3, Math.min(200, Math.ceil(0.5 * desiredCount)));
}

/** The wait before the next launch after `n` consecutive start failures. */
export function throttleDelay(n: number): number {
  if (n < THROTTLE_AFTER) return 0;
  return Math.min(MAX_THROTTLE_MS, THROTTLE_BASE_MS * 2 ** (n - THROTTLE_AFTER));
}

/** At most this many tasks, not STOPPED, of every deployment (ECS rounds down). */
export const maxTasks = (desiredCount: number, maximumPercent: number) => Math.floor((desiredCount * maximumPercent) / 100);
/** At least this many healthy (ECS rounds up). */
export const minHealthyTasks = (desiredCount: number, minimumHealthyPercent: number) => Math.ceil((desiredCount * minimumHealthyPercent) / 100);

/** A task stopped by its own failure: an essential container exited, it failed to start, or it failed its health checks. */
export function isFailedTask(t: ServiceTask): boolean {
  return t.lastStatus === 'STOPPED' && (t.stopCode === 'EssentialContainerExited' || t.stopCode === 'TaskFailedToStart' || t.stoppedReason === STOP_REASON.unhealthy);
}

/** RUNNING, meant to run, and HEALTHY when its task definition has health checks. */
export function isHealthy(t: ServiceTask, hasHealthChecks: boolean): boolean {
  return t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && (!hasHealthChecks || t.health === 'HEALTHY');
}

export function planService(desired: ServiceDesired, observed: ServiceObserved, opts: PlanOptions): ServicePlan {
  const { now } = opts;
  const plan: ServicePlan = { place: [], stop: [], deployments: [], events: [], steady: false };
  const primary = desired.deployments[0];
  const byId = new Map(desired.deployments.map((d) => [d.id, d]));
  const checks = (t: ServiceTask) => byId.get(t.deploymentId)?.hasHealthChecks ?? false;
  // Healthy by ECS's definition: never stopped for free, only within the budget below.
  const healthy = (t: ServiceTask) => isHealthy(t, checks(t));
  // Healthy and settled: what counts toward the minimum and toward completing a deployment.
  const proven = (t: ServiceTask) => healthy(t) && (checks(t) || (t.startedAt !== undefined && now - t.startedAt >= RUNNING_SETTLE_MS));
  const tasks = observed.tasks.filter((t) => byId.has(t.deploymentId));
  const notStopped = tasks.notStopped();
  const draining = desired.status === 'DRAINING';
  const D = draining ? 0 : desired.desiredCount;

  if (!primary) {
    // Nothing to deploy: only stop what still runs.
    for (const t of notStopped.live()) plan.stop.push({ arn: t.arn, reason: 'Service deleted' });
    if (draining && notStopped.size === 0) plan.inactive = true;
    return plan;
  }

  const change = (id: string): DeploymentChange => {
    let c = plan.deployments.find((x) => x.id === id);
    if (!c) plan.deployments.push((c = { id }));
    return c;
  };

  // ── circuit breaker ──────────────────────────────────────────────────────
  let rollout = primary.rolloutState;
  const mine = tasks.ofDeployment(primary.id);
  if (rollout === 'IN_PROGRESS' && !draining) {
    let succeeded = primary.succeeded;
    if (!succeeded && mine.live().some((t) => healthy(t) && t.startedAt !== undefined && now - t.startedAt >= STEADY_AFTER_MS)) succeeded = true;
    const failed = succeeded ? 0 : mine.count((t) => isFailedTask(t) && (t.stoppedAt ?? now) >= primary.monitorSince);
    if (succeeded !== primary.succeeded) change(primary.id).succeeded = succeeded;
    if (failed !== primary.failedTasks) change(primary.id).failedTasks = failed;
    if (desired.circuitBreaker.enable && !succeeded && failed >= failureThreshold(D)) {
      rollout = 'FAILED';
      Object.assign(change(primary.id), { rolloutState: 'FAILED', rolloutStateReason: ROLLOUT_REASON.circuitBreaker });
      plan.events.push(EVENT.deploymentFailed(desired.name, primary.id));
      if (desired.circuitBreaker.rollback && desired.rollbackTarget) {
        plan.rollback = { from: primary.id, to: desired.rollbackTarget };
        plan.events.push(EVENT.rollingBack(desired.name, desired.rollbackTarget));
        // The next pass works from the deployment rolled back to.
        return plan;
      }
    }
  }
  // A FAILED deployment with nothing to roll back to is stalled: no new tasks, nothing stopped for it.
  const stalled = rollout === 'FAILED';

  // ── throttle: launches slow down while tasks keep failing to start ───────
  let throttled = false;
  if (!stalled) {
    let n = 0;
    let last = 0;
    for (const t of mine.newestFirst()) {
      if (t.lastStatus !== 'STOPPED') continue;
      if (t.createdAt < primary.monitorSince) break;
      if (!isFailedTask(t) || t.startedAt !== undefined) break;
      n++;
      last = Math.max(last, t.stoppedAt ?? t.createdAt);
    }
    if (n >= THROTTLE_AFTER && now < last + throttleDelay(n)) {
      throttled = true;
      plan.events.push(EVENT.throttled(desired.name));
    }
  }

  // ── unhealthy tasks are replaced ─────────────────────────────────────────
  let pool = notStopped.live();
  const stop = (t: ServiceTask, reason: string) => {
    plan.stop.push({ arn: t.arn, reason });
    pool = pool.difference([t.arn]);
  };
  for (const t of pool) {
    if (t.lastStatus === 'RUNNING' && checks(t) && t.health === 'UNHEALTHY' && now - (t.startedAt ?? t.createdAt) >= desired.healthCheckGracePeriodMs) {
      stop(t, STOP_REASON.unhealthy);
    }
  }

  // ── place the PRIMARY up to desiredCount, within maximumPercent ──────────
  const maxTotal = maxTasks(D, desired.maximumPercent);
  const minHealthy = minHealthyTasks(D, desired.minimumHealthyPercent);
  const keep = () => pool.ofDeployment(primary.id).onActiveInstances();
  const wanted = Math.max(0, D - keep().size);
  const room = Math.max(0, maxTotal - notStopped.size);
  const placing = stalled || throttled ? 0 : Math.min(wanted, room);
  if (placing > 0) plan.place.push({ deploymentId: primary.id, count: placing });

  // ── stop, never below minimumHealthyPercent healthy ──────────────────────
  let budget = pool.count(proven) - minHealthy;
  const stopHealthy = (group: TaskSet, reason: (t: ServiceTask) => string) => {
    const n = Math.min(group.size, Math.max(0, budget));
    if (n <= 0) return;
    for (const arn of chooseTasksToStop(group.toArray().map(toRunning), observed.instances, n, desired.strategy, { random: opts.random })) {
      const t = [...group].find((x) => x.arn === arn)!;
      stop(t, reason(t));
      budget--;
    }
  };
  const scaling = () => STOP_REASON.scaling(primary.id);
  if (!stalled) {
    // Tasks that do not count as healthy go first and cost nothing: old deployments' and DRAINING instances'.
    for (const t of pool.notOfDeployment(primary.id).union(pool.onDrainingInstances())) {
      if (!healthy(t)) stop(t, t.instanceStatus === 'ACTIVE' ? scaling() : STOP_REASON.draining);
    }
  }
  // Scale-in: the PRIMARY's excess, the ones that are not healthy first.
  let excess = keep().size - D;
  if (excess > 0) {
    for (const t of keep().newestFirst()) {
      if (excess <= 0) break;
      if (!healthy(t)) {
        stop(t, scaling());
        excess--;
      }
    }
    if (excess > 0) stopHealthy(keep().filter(healthy), scaling);
  }
  if (!stalled) {
    stopHealthy(pool.onDrainingInstances().filter(healthy), () => STOP_REASON.draining);
    // Old deployments, oldest first.
    for (const d of [...desired.deployments].reverse()) {
      if (d.id === primary.id) continue;
      stopHealthy(pool.ofDeployment(d.id).filter(healthy), scaling);
    }
  }

  // ── settle ───────────────────────────────────────────────────────────────
  const quiet = plan.place.length === 0 && plan.stop.length === 0;
  const settled =
    quiet && notStopped.size === D && notStopped.every((t) => t.deploymentId === primary.id && t.instanceStatus === 'ACTIVE' && proven(t));
  if (rollout === 'IN_PROGRESS' && settled) {
    rollout = 'COMPLETED';
    Object.assign(change(primary.id), { rolloutState: 'COMPLETED', rolloutStateReason: ROLLOUT_REASON.completed(primary.id) });
    plan.events.push(EVENT.deploymentCompleted(desired.name, primary.id));
  }
  if (rollout === 'IN_PROGRESS' && !stalled && quiet && wanted > 0 && room === 0 && notStopped.every((t) => t.desiredStatus === 'RUNNING' && proven(t))) {
    plan.events.push(EVENT.stuck(desired.name));
  }
  // Old deployments leave the list once their last task has stopped; a FAILED one stays in view until the rollback completes.
  for (const d of desired.deployments) {
    if (d.id === primary.id || notStopped.ofDeployment(d.id).size > 0) continue;
    if (d.rolloutState !== 'FAILED' || rollout === 'COMPLETED') change(d.id).status = 'INACTIVE';
  }
  const retiring = new Set(plan.deployments.filter((c) => c.status === 'INACTIVE').map((c) => c.id));
  const others = desired.deployments.filter((d) => d.id !== primary.id && !retiring.has(d.id));
  plan.steady = settled && rollout === 'COMPLETED' && others.length === 0 && !draining;
  if (plan.steady && !desired.steady) plan.events.push(EVENT.steady(desired.name));
  if (draining && notStopped.size === 0) plan.inactive = true;
  return plan;
}

function toRunning(t: ServiceTask): RunningTask {
  return { arn: t.arn, containerInstanceArn: t.containerInstanceArn, cpu: t.cpu, memory: t.memory };
}
