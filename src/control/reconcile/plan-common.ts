import { chooseTasksToStop, type InstanceSnapshot, type PlacementRequest, type RunningTask, type Strategy } from '../placement/index.js';
import { providersToShrink, type StrategyItem } from '../placement/capacity-provider-strategy.js';
import { EVENT } from '../service-events.js';
import type { RolloutState } from '../service-record.js';
import type { ServiceTask, TaskSet } from './task-set.js';

// What the service planners share: ECS's rules (rounding, the circuit
// breaker's threshold, the throttle, what counts as failed and healthy), the
// planners' inputs and output, and the phases both run: the circuit breaker,
// the throttle and the replacement of unhealthy tasks before they place and
// stop, and settling (COMPLETED, INACTIVE, steady) after. Pure.

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
  elbUnhealthy: (targetGroupArn: string) => `Task failed ELB health checks in (target-group ${targetGroupArn})`,
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
  /** The service registers its tasks in target groups: a task is healthy only once its targets are. */
  loadBalanced?: boolean;
  strategy: readonly Strategy[];
  /** The service's capacity provider strategy: scale-in keeps its base and weights. */
  capacityProviderStrategy?: readonly StrategyItem[];
  /** The PRIMARY first, then the ACTIVE ones, newest first. */
  deployments: readonly DeploymentView[];
  /** The most recent COMPLETED deployment other than the PRIMARY: where the circuit breaker rolls back to. */
  rollbackTarget?: string;
  /** DAEMON services: what their tasks ask of an instance (its constraints and required attributes decide which instances get one). */
  daemon?: { request: PlacementRequest };
  /** What the last pass concluded. */
  steady: boolean;
}

export interface ServiceObserved {
  /** The service's tasks that are not STOPPED, and the PRIMARY's recently STOPPED ones. */
  tasks: TaskSet;
  /** The cluster's instances (for choosing which tasks to stop; a DAEMON service's: where its tasks go). */
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
  /** `instances`: a DAEMON service's tasks go one to each of these. */
  place: { deploymentId: string; count: number; instances?: string[] }[];
  stop: { arn: string; reason: string }[];
  deployments: DeploymentChange[];
  /** The circuit breaker rolls the failed PRIMARY back to a COMPLETED deployment. */
  rollback?: { from: string; to: string };
  /** The service was deleted and its last task has stopped. */
  inactive?: boolean;
  events: string[];
  steady: boolean;
  /** A DAEMON service's desired count: the instances that should run its task. */
  desiredCount?: number;
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
  return (
    t.lastStatus === 'STOPPED' &&
    (t.stopCode === 'EssentialContainerExited' ||
      t.stopCode === 'TaskFailedToStart' ||
      t.stoppedReason === STOP_REASON.unhealthy ||
      !!t.stoppedReason?.startsWith('Task failed ELB health checks'))
  );
}

/** RUNNING, meant to run, and HEALTHY when its task definition has health checks. */
export function isHealthy(t: ServiceTask, hasHealthChecks: boolean): boolean {
  return t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && (!hasHealthChecks || t.health === 'HEALTHY');
}


/** One planning pass in progress: the inputs, the plan being built, and the predicates every phase uses. */
export class PlanContext {
  readonly plan: ServicePlan;
  readonly primary: DeploymentView;
  readonly tasks: TaskSet;
  readonly notStopped: TaskSet;
  readonly draining: boolean;
  /** Live tasks not yet chosen to stop. */
  pool: TaskSet;
  rollout: RolloutState;
  /** FAILED with nothing to roll back to: no new tasks, nothing stopped for the deployment. */
  stalled = false;
  throttled = false;
  /** Healthy tasks above the minimum: what may still be stopped while healthy. */
  budget = 0;
  readonly #byId: Map<string, DeploymentView>;

  constructor(
    readonly desired: ServiceDesired,
    readonly observed: ServiceObserved,
    readonly opts: PlanOptions,
    /** The desired count this pass works to (0 while the service is deleted). */
    readonly D: number,
    primary: DeploymentView,
  ) {
    this.plan = { place: [], stop: [], deployments: [], events: [], steady: false };
    this.primary = primary;
    this.#byId = new Map(desired.deployments.map((d) => [d.id, d]));
    this.tasks = observed.tasks.filter((t) => this.#byId.has(t.deploymentId));
    this.notStopped = this.tasks.notStopped();
    this.pool = this.notStopped.live();
    this.draining = desired.status === 'DRAINING';
    this.rollout = primary.rolloutState;
  }

  get now(): number {
    return this.opts.now;
  }

  checks(t: ServiceTask): boolean {
    return this.#byId.get(t.deploymentId)?.hasHealthChecks ?? false;
  }

  /** Healthy by ECS's definition: never stopped for free, only within the budget. */
  healthy(t: ServiceTask): boolean {
    return isHealthy(t, this.checks(t)) && (!this.desired.loadBalanced || t.targets?.healthy === true);
  }

  /** Healthy and settled: what counts toward the minimum and toward completing a deployment. */
  proven(t: ServiceTask): boolean {
    return this.healthy(t) && (this.checks(t) || (t.startedAt !== undefined && this.now - t.startedAt >= RUNNING_SETTLE_MS));
  }

  change(id: string): DeploymentChange {
    let c = this.plan.deployments.find((x) => x.id === id);
    if (!c) this.plan.deployments.push((c = { id }));
    return c;
  }

  stop(t: ServiceTask, reason: string): void {
    if (this.plan.stop.some((s) => s.arn === t.arn)) return;
    this.plan.stop.push({ arn: t.arn, reason });
    this.pool = this.pool.difference([t.arn]);
  }

  /** Stops up to the budget of `group`'s healthy tasks, chosen as ECS scales in. */
  stopHealthy(group: TaskSet, reason: (t: ServiceTask) => string): void {
    const n = Math.min(group.size, Math.max(0, this.budget));
    if (n <= 0) return;
    const byArn = new Map(group.toArray().map((t) => [t.arn, t]));
    for (const arn of this.#chooseStops(group.toArray(), n)) {
      const t = byArn.get(arn)!;
      this.stop(t, reason(t));
      this.budget--;
    }
  }

  /**
   * `n` of `tasks` to stop as ECS scales in: with a capacity provider
   * strategy, first which providers give tasks up (keeping its base and
   * weights), then within each provider by the placement strategy.
   */
  #chooseStops(tasks: ServiceTask[], n: number): string[] {
    const choose = (from: ServiceTask[], k: number) =>
      chooseTasksToStop(from.map(toRunning), this.observed.instances, k, this.desired.strategy, { random: this.opts.random });
    const split = this.desired.capacityProviderStrategy;
    if (!split?.length) return choose(tasks, n);
    const running = new Map<string, number>();
    for (const t of tasks) if (t.capacityProviderName) running.set(t.capacityProviderName, (running.get(t.capacityProviderName) ?? 0) + 1);
    const per = new Map<string, number>();
    for (const p of providersToShrink(split, running, n)) per.set(p, (per.get(p) ?? 0) + 1);
    const out: string[] = [];
    for (const [provider, k] of per) out.push(...choose(tasks.filter((t) => t.capacityProviderName === provider), k));
    // Tasks of providers the strategy no longer names go after (they are not part of its split).
    if (out.length < n) out.push(...choose(tasks.filter((t) => !out.includes(t.arn)), n - out.length));
    return out;
  }

  scaling(): string {
    return STOP_REASON.scaling(this.primary.id);
  }
}

/**
 * The phases before placing: the circuit breaker, the throttle, unhealthy
 * tasks. Answers the finished plan when there is nothing more to do this pass
 * (no PRIMARY, or a rollback starting), else the context to go on with.
 */
export function begin(desired: ServiceDesired, observed: ServiceObserved, opts: PlanOptions, desiredCount: number): PlanContext | ServicePlan {
  const primary = desired.deployments[0];
  if (!primary) {
    // Nothing to deploy: only stop what still runs.
    const plan: ServicePlan = { place: [], stop: [], deployments: [], events: [], steady: false };
    const notStopped = observed.tasks.notStopped();
    for (const t of notStopped.live()) plan.stop.push({ arn: t.arn, reason: 'Service deleted' });
    if (desired.status === 'DRAINING' && notStopped.size === 0) plan.inactive = true;
    return plan;
  }
  const c = new PlanContext(desired, observed, opts, desired.status === 'DRAINING' ? 0 : desiredCount, primary);
  const { now, plan } = c;
  const mine = c.tasks.ofDeployment(primary.id);

  // ── circuit breaker ──────────────────────────────────────────────────────
  if (c.rollout === 'IN_PROGRESS' && !c.draining) {
    let succeeded = primary.succeeded;
    if (!succeeded && mine.live().some((t) => c.healthy(t) && t.startedAt !== undefined && now - t.startedAt >= STEADY_AFTER_MS)) succeeded = true;
    const failed = succeeded ? 0 : mine.count((t) => isFailedTask(t) && (t.stoppedAt ?? now) >= primary.monitorSince);
    if (succeeded !== primary.succeeded) c.change(primary.id).succeeded = succeeded;
    if (failed !== primary.failedTasks) c.change(primary.id).failedTasks = failed;
    if (desired.circuitBreaker.enable && !succeeded && failed >= failureThreshold(c.D)) {
      c.rollout = 'FAILED';
      Object.assign(c.change(primary.id), { rolloutState: 'FAILED', rolloutStateReason: ROLLOUT_REASON.circuitBreaker });
      plan.events.push(EVENT.deploymentFailed(desired.name, primary.id));
      if (desired.circuitBreaker.rollback && desired.rollbackTarget) {
        plan.rollback = { from: primary.id, to: desired.rollbackTarget };
        plan.events.push(EVENT.rollingBack(desired.name, desired.rollbackTarget));
        // The next pass works from the deployment rolled back to.
        return plan;
      }
    }
  }
  c.stalled = c.rollout === 'FAILED';

  // ── throttle: launches slow down while tasks keep failing to start ───────
  if (!c.stalled) {
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
      c.throttled = true;
      plan.events.push(EVENT.throttled(desired.name));
    }
  }

  // ── unhealthy tasks are replaced ─────────────────────────────────────────
  for (const t of c.pool) {
    if (t.lastStatus !== 'RUNNING' || now - (t.startedAt ?? t.createdAt) < desired.healthCheckGracePeriodMs) continue;
    if (c.checks(t) && t.health === 'UNHEALTHY') c.stop(t, STOP_REASON.unhealthy);
    else if (desired.loadBalanced && t.targets?.unhealthy) {
      const u = t.targets.unhealthy;
      plan.events.push(EVENT.elbUnhealthy(desired.name, u.port, u.targetGroupArn, u.reason));
      c.stop(t, STOP_REASON.elbUnhealthy(u.targetGroupArn));
    }
  }
  return c;
}

/**
 * After placing and stopping: the PRIMARY is COMPLETED once `settled` (it
 * alone runs what it should, all proven, nothing to do); old deployments
 * without tasks become INACTIVE (a FAILED one stays in view until its
 * rollback completes); the steady state is announced when it begins.
 */
export function finish(c: PlanContext, settled: boolean): ServicePlan {
  const { plan, primary, desired } = c;
  if (c.rollout === 'IN_PROGRESS' && settled) {
    c.rollout = 'COMPLETED';
    Object.assign(c.change(primary.id), { rolloutState: 'COMPLETED', rolloutStateReason: ROLLOUT_REASON.completed(primary.id) });
    plan.events.push(EVENT.deploymentCompleted(desired.name, primary.id));
  }
  for (const d of desired.deployments) {
    if (d.id === primary.id || c.notStopped.ofDeployment(d.id).size > 0) continue;
    if (d.rolloutState !== 'FAILED' || c.rollout === 'COMPLETED') c.change(d.id).status = 'INACTIVE';
  }
  const retiring = new Set(plan.deployments.filter((x) => x.status === 'INACTIVE').map((x) => x.id));
  const others = desired.deployments.filter((d) => d.id !== primary.id && !retiring.has(d.id));
  plan.steady = settled && c.rollout === 'COMPLETED' && others.length === 0 && !c.draining;
  if (plan.steady && !desired.steady) plan.events.push(EVENT.steady(desired.name));
  if (c.draining && c.notStopped.size === 0) plan.inactive = true;
  return plan;
}

function toRunning(t: ServiceTask): RunningTask {
  return { arn: t.arn, containerInstanceArn: t.containerInstanceArn, cpu: t.cpu, memory: t.memory };
}
