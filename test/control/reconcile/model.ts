import { SERVICE_DEFAULT_STRATEGY, type InstanceSnapshot } from '../../../src/control/placement/index.js';
import {
  planService,
  type DeploymentView,
  type ServiceDesired,
  type ServicePlan,
} from '../../../src/control/reconcile/plan-service.js';
import { TaskSet, type Health, type ServiceTask } from '../../../src/control/reconcile/task-set.js';

// A service in memory, for the planner's tests: deployments, tasks, a fleet
// with a fixed number of task slots, and a hand-driven agent. apply() does
// what the real applier does with a plan (launch into free slots, stop,
// move deployments, roll back); the agent steps are what agents report.

export const INSTANCES = ['i-a', 'i-b', 'i-c'].map(
  (id, n): InstanceSnapshot => ({
    arn: `arn:aws:ecs:us-east-1:000000000000:container-instance/c/${id}`,
    ec2InstanceId: id,
    status: 'ACTIVE',
    agentConnected: true,
    registeredAt: 0,
    runningTasksCount: 0,
    attributes: new Map([['ecs.availability-zone', `us-east-1${'abc'[n]}`]]),
    taskGroups: new Map(),
    cpu: 4096,
    memory: 8192,
    ports: new Set(),
    portsUdp: new Set(),
  }),
);

export interface ModelOptions {
  desiredCount: number;
  minimumHealthyPercent?: number;
  maximumPercent?: number;
  circuitBreaker?: { enable: boolean; rollback: boolean };
  healthChecks?: boolean;
  /** Task slots in the whole fleet (tasks not STOPPED take one each). */
  capacity?: number;
  /** Behind a load balancer: a task is healthy once its targets are. */
  loadBalanced?: boolean;
  healthCheckGracePeriodMs?: number;
}

export class ServiceModel {
  now = 1_000_000;
  tasks: ServiceTask[] = [];
  deployments: (Omit<DeploymentView, 'status'> & { status: 'PRIMARY' | 'ACTIVE' | 'INACTIVE' })[] = [];
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE' = 'ACTIVE';
  steady = false;
  events: string[] = [];
  capacity: number;
  desiredCount: number;
  minimumHealthyPercent: number;
  maximumPercent: number;
  circuitBreaker: { enable: boolean; rollback: boolean };
  loadBalanced: boolean;
  healthCheckGracePeriodMs: number;
  #seq = 0;
  #random: () => number;

  constructor(opts: ModelOptions, random: () => number = Math.random) {
    this.desiredCount = opts.desiredCount;
    this.minimumHealthyPercent = opts.minimumHealthyPercent ?? 100;
    this.maximumPercent = opts.maximumPercent ?? 200;
    this.circuitBreaker = opts.circuitBreaker ?? { enable: false, rollback: false };
    this.capacity = opts.capacity ?? 1000;
    this.loadBalanced = opts.loadBalanced ?? false;
    this.healthCheckGracePeriodMs = opts.healthCheckGracePeriodMs ?? 0;
    this.#random = random;
    this.deploy(opts.healthChecks ?? false);
  }

  get primary() {
    return this.deployments.find((d) => d.status === 'PRIMARY')!;
  }

  /** A new deployment (UpdateService with a new task definition). */
  deploy(healthChecks = false): string {
    for (const d of this.deployments) if (d.status === 'PRIMARY') d.status = 'ACTIVE';
    const id = `ecs-svc/${String(++this.#seq).padStart(19, '0')}`;
    this.deployments.unshift({ id, status: 'PRIMARY', rolloutState: 'IN_PROGRESS', createdAt: this.now, monitorSince: this.now, succeeded: false, failedTasks: 0, hasHealthChecks: healthChecks });
    this.steady = false;
    return id;
  }

  desired(): ServiceDesired {
    const shown = this.deployments.filter((d) => d.status !== 'INACTIVE');
    const primary = shown.find((d) => d.status === 'PRIMARY');
    const completed = this.deployments.filter((d) => d.rolloutState === 'COMPLETED' && d !== primary).sort((a, b) => b.createdAt - a.createdAt)[0];
    return {
      name: 'web',
      status: this.status === 'DRAINING' ? 'DRAINING' : 'ACTIVE',
      desiredCount: this.desiredCount,
      minimumHealthyPercent: this.minimumHealthyPercent,
      maximumPercent: this.maximumPercent,
      circuitBreaker: this.circuitBreaker,
      healthCheckGracePeriodMs: this.healthCheckGracePeriodMs,
      loadBalanced: this.loadBalanced,
      strategy: SERVICE_DEFAULT_STRATEGY,
      deployments: (primary ? [primary, ...shown.filter((d) => d !== primary)] : shown).map((d) => ({ ...d, status: d.status as 'PRIMARY' | 'ACTIVE' })),
      rollbackTarget: completed?.id,
      steady: this.steady,
    };
  }

  taskSet(): TaskSet {
    return TaskSet.of(this.tasks);
  }

  plan(): ServicePlan {
    return planService(this.desired(), { tasks: this.taskSet(), instances: INSTANCES }, { now: this.now, random: this.#random });
  }

  notStopped(): ServiceTask[] {
    return this.tasks.filter((t) => t.lastStatus !== 'STOPPED');
  }

  /** What the applier does with a plan; returns how many tasks it could launch. */
  apply(plan: ServicePlan): number {
    let launched = 0;
    for (const p of plan.place) {
      for (let i = 0; i < p.count && this.notStopped().length < this.capacity; i++) {
        const n = this.tasks.length;
        this.tasks.push({
          arn: `arn:aws:ecs:us-east-1:000000000000:task/c/${String(n).padStart(32, '0')}`,
          deploymentId: p.deploymentId,
          containerInstanceArn: INSTANCES[n % INSTANCES.length]!.arn,
          instanceStatus: 'ACTIVE',
          lastStatus: 'PENDING',
          desiredStatus: 'RUNNING',
          health: 'UNKNOWN',
          createdAt: this.now,
          cpu: 10,
          memory: 10,
        });
        launched++;
      }
    }
    for (const s of plan.stop) {
      const t = this.tasks.find((x) => x.arn === s.arn)!;
      if (t.desiredStatus === 'RUNNING') this.#set(t, { desiredStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated', stoppedReason: s.reason });
    }
    for (const c of plan.deployments) {
      const d = this.deployments.find((x) => x.id === c.id)!;
      if (c.status) d.status = c.status;
      if (c.rolloutState) d.rolloutState = c.rolloutState;
      if (c.failedTasks !== undefined) d.failedTasks = c.failedTasks;
      if (c.succeeded !== undefined) d.succeeded = c.succeeded;
    }
    if (plan.rollback) {
      const from = this.deployments.find((x) => x.id === plan.rollback!.from)!;
      const to = this.deployments.find((x) => x.id === plan.rollback!.to)!;
      from.status = 'ACTIVE';
      Object.assign(to, { status: 'PRIMARY', rolloutState: 'IN_PROGRESS', monitorSince: this.now, succeeded: false, failedTasks: 0 });
    }
    if (plan.inactive) this.status = 'INACTIVE';
    this.steady = plan.steady;
    this.events.push(...plan.events);
    return launched;
  }

  #set(t: ServiceTask, change: Partial<ServiceTask>): void {
    const i = this.tasks.indexOf(t);
    this.tasks[i] = { ...t, ...change };
  }

  // ── the agent ─────────────────────────────────────────────────────────────

  start(t: ServiceTask, health: Health = 'UNKNOWN'): void {
    if (t.lastStatus === 'PENDING' && t.desiredStatus === 'RUNNING') this.#set(t, { lastStatus: 'RUNNING', startedAt: this.now, health });
  }

  /** A task on its way down reaches STOPPED; one that should run dies on its own (before RUNNING: a start failure). */
  stop(t: ServiceTask, stopCode = 'EssentialContainerExited'): void {
    if (t.lastStatus === 'STOPPED') return;
    this.#set(t, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stoppedAt: this.now, stopCode: t.stopCode ?? stopCode });
  }

  /** The load balancer's verdict on a task's targets. */
  targets(t: ServiceTask, targets: ServiceTask['targets']): void {
    this.#set(t, { targets });
  }

  health(t: ServiceTask, health: Health): void {
    if (t.lastStatus === 'RUNNING') this.#set(t, { health });
  }

  /** Every report a healthy fleet would send: pending tasks run (HEALTHY when checked), stopping tasks stop. */
  settleAgents(): void {
    for (const t of [...this.tasks]) {
      if (t.lastStatus === 'STOPPED') continue;
      if (t.desiredStatus === 'STOPPED') this.stop(t);
      else if (t.lastStatus === 'PENDING') this.start(t, this.checks(t) ? 'HEALTHY' : 'UNKNOWN');
      else if (this.checks(t) && t.health !== 'HEALTHY') this.health(t, 'HEALTHY');
    }
  }

  checks(t: ServiceTask): boolean {
    return this.deployments.find((d) => d.id === t.deploymentId)?.hasHealthChecks ?? false;
  }

  healthyCount(): number {
    return this.tasks.filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && (!this.checks(t) || t.health === 'HEALTHY')).length;
  }
}
