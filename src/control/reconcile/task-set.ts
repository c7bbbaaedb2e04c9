// An immutable set of a service's tasks, with the helpers the planners read
// like the ECS docs ("stop the tasks of old deployments while keeping
// minimumHealthyPercent healthy"). Every helper returns a new set; nothing
// here does I/O.

export type Health = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

/** A task as the service scheduler sees it. Times are epoch milliseconds. */
export interface ServiceTask {
  arn: string;
  /** The deployment that started it (the task's startedBy). */
  deploymentId: string;
  containerInstanceArn: string;
  /** The instance's status: tasks on an instance that is not ACTIVE (DRAINING) are replaced elsewhere. */
  instanceStatus: string;
  lastStatus: string;
  desiredStatus: string;
  health: Health;
  createdAt: number;
  startedAt?: number;
  stoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  /** Behind a load balancer: how its targets stand (absent while none is registered). */
  targets?: TargetStanding;
  /** What the task holds on its instance (scale-in by binpack looks at it). */
  cpu: number;
  memory: number;
  /** The capacity provider that placed it (a service with a capacity provider strategy scales in by its split). */
  capacityProviderName?: string;
}

export interface TargetStanding {
  /** Every target of the task is healthy in its target group. */
  healthy: boolean;
  /** The first target the load balancer found unhealthy, if any. */
  unhealthy?: { targetGroupArn: string; port: number; reason: string };
}

const PENDING = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);

export class TaskSet implements Iterable<ServiceTask> {
  readonly #tasks: readonly ServiceTask[];

  private constructor(tasks: readonly ServiceTask[]) {
    this.#tasks = tasks;
  }

  static of(tasks: Iterable<ServiceTask>): TaskSet {
    const seen = new Set<string>();
    const out: ServiceTask[] = [];
    for (const t of tasks) {
      if (seen.has(t.arn)) continue;
      seen.add(t.arn);
      out.push(t);
    }
    return new TaskSet(out);
  }

  static readonly empty = new TaskSet([]);

  get size(): number {
    return this.#tasks.length;
  }

  [Symbol.iterator](): Iterator<ServiceTask> {
    return this.#tasks[Symbol.iterator]();
  }

  toArray(): ServiceTask[] {
    return [...this.#tasks];
  }

  arns(): string[] {
    return this.#tasks.map((t) => t.arn);
  }

  has(arn: string): boolean {
    return this.#tasks.some((t) => t.arn === arn);
  }

  filter(keep: (t: ServiceTask) => boolean): TaskSet {
    return new TaskSet(this.#tasks.filter(keep));
  }

  count(pred: (t: ServiceTask) => boolean): number {
    let n = 0;
    for (const t of this.#tasks) if (pred(t)) n++;
    return n;
  }

  some(pred: (t: ServiceTask) => boolean): boolean {
    return this.#tasks.some(pred);
  }

  every(pred: (t: ServiceTask) => boolean): boolean {
    return this.#tasks.every(pred);
  }

  /** lastStatus STOPPED. */
  stopped(): TaskSet {
    return this.filter((t) => t.lastStatus === 'STOPPED');
  }

  /** Not STOPPED yet, whatever their desired status: what maximumPercent counts. */
  notStopped(): TaskSet {
    return this.filter((t) => t.lastStatus !== 'STOPPED');
  }

  /** Not STOPPED and meant to keep running. */
  live(): TaskSet {
    return this.filter((t) => t.lastStatus !== 'STOPPED' && t.desiredStatus === 'RUNNING');
  }

  /** On their way down: desired STOPPED, not STOPPED yet. */
  stopping(): TaskSet {
    return this.filter((t) => t.lastStatus !== 'STOPPED' && t.desiredStatus === 'STOPPED');
  }

  running(): TaskSet {
    return this.filter((t) => t.lastStatus === 'RUNNING');
  }

  pending(): TaskSet {
    return this.filter((t) => PENDING.has(t.lastStatus));
  }

  ofDeployment(id: string): TaskSet {
    return this.filter((t) => t.deploymentId === id);
  }

  notOfDeployment(id: string): TaskSet {
    return this.filter((t) => t.deploymentId !== id);
  }

  onInstance(arn: string): TaskSet {
    return this.filter((t) => t.containerInstanceArn === arn);
  }

  /** On instances that take no new tasks (DRAINING): to be replaced elsewhere. */
  onDrainingInstances(): TaskSet {
    return this.filter((t) => t.instanceStatus !== 'ACTIVE');
  }

  onActiveInstances(): TaskSet {
    return this.filter((t) => t.instanceStatus === 'ACTIVE');
  }

  union(other: TaskSet): TaskSet {
    return TaskSet.of([...this.#tasks, ...other.#tasks]);
  }

  difference(other: TaskSet | Iterable<string>): TaskSet {
    const drop = new Set(other instanceof TaskSet ? other.arns() : other);
    return this.filter((t) => !drop.has(t.arn));
  }

  /** Newest first (createdAt, then ARN for a stable order). */
  newestFirst(): ServiceTask[] {
    return [...this.#tasks].sort((a, b) => b.createdAt - a.createdAt || (a.arn < b.arn ? 1 : a.arn > b.arn ? -1 : 0));
  }
}
