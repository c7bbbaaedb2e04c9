import type { TaskDefinition } from '@aws-sdk/client-ecs';
import type { TaskRow } from '../../store/schema.js';

/** The task columns the scheduler reads first; a body is read only for a task (or a version of it) not parsed before. */
type TaskHead = Pick<TaskRow, 'arn' | 'version' | 'started_by' | 'container_instance_arn' | 'last_status' | 'desired_status' | 'created_at' | 'service_name' | 'launch_type'>;
const HEAD = ['arn', 'version', 'started_by', 'container_instance_arn', 'last_status', 'desired_status', 'created_at', 'service_name', 'launch_type'] as const;
import type { Tx } from '../../store/store.js';
import { toInstanceRecord } from '../instance-record.js';
import { instanceSnapshots } from '../container-instances.js';
import { parseConstraints, parseStrategies, SERVICE_DEFAULT_STRATEGY, type InstanceSnapshot, type PlacementRequest, type Strategy } from '../placement/index.js';
import { lastCompletedDeployment, readDeployments, toDeploymentRecord, type DeploymentRecord, type ServiceRecord } from '../service-record.js';
import { readTaskDefinition } from '../task-definitions.js';
import type { TaskBody } from '../task-state.js';
import type { ServiceDesired, ServiceObserved } from './plan-service.js';
import { TaskSet, type ServiceTask, type TargetStanding } from './task-set.js';
import { taskTargetHealth, type TaskTargetHealth } from '../elb/targets.js';

// The planner's inputs, read from the store: the service's deployments (what
// it should run) and its tasks (what it runs). Reads only. A pass over many
// services shares one PassCache: the clusters' instances, their services'
// deployments and live tasks, and the task definitions are read once per
// pass (`prefetched`). The scheduler plans on that snapshot first; only a
// service whose plan is not empty is read again, fresh, and planned again
// before anything is written, so a pass over a steady fleet costs a few
// queries per cluster, and nothing is ever done on a stale read.

/** How many of the PRIMARY's STOPPED tasks the circuit breaker and the throttle look at (the breaker's threshold is at most 200). */
const STOPPED_LOOKBACK = 250;

export interface Observation {
  service: ServiceRecord;
  /** The deployments that are not INACTIVE, newest first. */
  deployments: DeploymentRecord[];
  desired: ServiceDesired;
  observed: ServiceObserved;
}

interface ClusterSnapshot {
  deployments: Map<string, DeploymentRecord[]>;
  tasks: Map<string, TaskHead[]>;
}

/**
 * Parsed tasks, kept across passes by ARN and row version (a task's row
 * changes version with every change): a pass over a steady fleet parses no
 * task body. Entries not seen for a few passes are dropped.
 */
export class TaskMemo {
  readonly #byArn = new Map<string, { version: number; task: Omit<ServiceTask, 'instanceStatus'>; pass: number }>();
  #pass = 0;

  /** Parses the bodies of the heads not seen at their version yet (one read for all of them). */
  async load(tx: Tx, heads: readonly TaskHead[]): Promise<void> {
    const missing = heads.filter((h) => this.#byArn.get(h.arn)?.version !== h.version).map((h) => h.arn);
    for (let i = 0; i < missing.length; i += 500) {
      const rows = await tx.selectFrom('tasks').selectAll().where('arn', 'in', missing.slice(i, i + 500)).execute();
      for (const row of rows) this.#byArn.set(row.arn, { version: row.version, task: parseTask(row), pass: this.#pass });
    }
  }

  /** A task loaded before (see load). */
  get(head: TaskHead): Omit<ServiceTask, 'instanceStatus'> {
    const hit = this.#byArn.get(head.arn)!;
    hit.pass = this.#pass;
    return hit.task;
  }

  /** Called at the end of a full pass. */
  endPass(): void {
    this.#pass++;
    for (const [arn, e] of this.#byArn) if (this.#pass - e.pass > 3) this.#byArn.delete(arn);
  }

  get size(): number {
    return this.#byArn.size;
  }
}

export class PassCache {
  constructor(readonly memo: TaskMemo = new TaskMemo()) {}

  readonly #instances = new Map<string, Map<string, InstanceSnapshot>>();
  readonly #healthChecks = new Map<string, boolean>();
  readonly #taskDefinitions = new Map<string, TaskDefinition | undefined>();
  readonly #fullInstances = new Map<string, InstanceSnapshot[]>();
  readonly #clusters = new Map<string, ClusterSnapshot>();

  /** The cluster's deployments (not INACTIVE, newest first) and service tasks (not STOPPED), by service, read at once. */
  async cluster(tx: Tx, clusterArn: string): Promise<ClusterSnapshot> {
    let found = this.#clusters.get(clusterArn);
    if (!found) {
      const deployments = new Map<string, DeploymentRecord[]>();
      const rows = await tx
        .selectFrom('service_deployments')
        .selectAll()
        .where('cluster_arn', '=', clusterArn)
        .where('status', '<>', 'INACTIVE')
        .orderBy('created_at', 'desc')
        .orderBy('arn', 'desc')
        .execute();
      for (const r of rows) {
        const list = deployments.get(r.service_arn) ?? [];
        list.push(toDeploymentRecord(r));
        deployments.set(r.service_arn, list);
      }
      const tasks = new Map<string, TaskHead[]>();
      const taskRows = await tx
        .selectFrom('tasks')
        .select(HEAD)
        .where('cluster_arn', '=', clusterArn)
        .where('last_status', '<>', 'STOPPED')
        .where('service_name', 'is not', null)
        .execute();
      for (const r of taskRows) {
        const list = tasks.get(r.service_name!) ?? [];
        list.push(r);
        tasks.set(r.service_name!, list);
      }
      this.#clusters.set(clusterArn, (found = { deployments, tasks }));
    }
    return found;
  }

  /** The cluster's instances that are not INACTIVE, as scale-in sees them (attributes and what is left), by ARN. */
  async instances(tx: Tx, clusterArn: string): Promise<Map<string, InstanceSnapshot>> {
    let found = this.#instances.get(clusterArn);
    if (!found) {
      const rows = await tx.selectFrom('container_instances').selectAll().where('cluster_arn', '=', clusterArn).where('status', '<>', 'INACTIVE').execute();
      found = new Map(
        rows.map(toInstanceRecord).map((rec) => [
          rec.arn,
          {
            arn: rec.arn,
            ec2InstanceId: rec.ec2InstanceId,
            status: rec.status,
            agentConnected: rec.agentConnected,
            registeredAt: rec.registeredAt,
            runningTasksCount: 0,
            attributes: new Map(rec.body.attributes.map((a) => [a.name!, a.value])),
            taskGroups: new Map(),
            cpu: rec.body.remaining.cpu,
            memory: rec.body.remaining.memory,
            ports: new Set<number>(),
            portsUdp: new Set<number>(),
          } satisfies InstanceSnapshot,
        ]),
      );
      this.#instances.set(clusterArn, found);
    }
    return found;
  }

  /** The cluster's instances that are not INACTIVE as placement sees them (live tasks by group): where a DAEMON's tasks go. */
  async fullInstances(tx: Tx, clusterArn: string): Promise<InstanceSnapshot[]> {
    let found = this.#fullInstances.get(clusterArn);
    if (!found) {
      const rows = await tx.selectFrom('container_instances').selectAll().where('cluster_arn', '=', clusterArn).where('status', '<>', 'INACTIVE').orderBy('registered_at').orderBy('arn').execute();
      found = await instanceSnapshots(tx, rows.map(toInstanceRecord));
      this.#fullInstances.set(clusterArn, found);
    }
    return found;
  }

  async taskDefinition(tx: Tx, arn: string): Promise<TaskDefinition | undefined> {
    if (!this.#taskDefinitions.has(arn)) this.#taskDefinitions.set(arn, await readTaskDefinition(tx, arn));
    return this.#taskDefinitions.get(arn);
  }

  /** Whether the revision's essential containers have health checks (then a task is healthy only once HEALTHY). */
  async hasHealthChecks(tx: Tx, taskDefinitionArn: string): Promise<boolean> {
    let known = this.#healthChecks.get(taskDefinitionArn);
    if (known === undefined) {
      known = healthChecked(await this.taskDefinition(tx, taskDefinitionArn));
      this.#healthChecks.set(taskDefinitionArn, known);
    }
    return known;
  }
}

export function healthChecked(td: TaskDefinition | undefined): boolean {
  return (td?.containerDefinitions ?? []).some((c) => (c.essential ?? true) && !!c.healthCheck?.command?.length);
}

function parseTask(row: TaskRow): Omit<ServiceTask, 'instanceStatus'> {
  const b = JSON.parse(row.body) as TaskBody;
  return {
    arn: row.arn,
    deploymentId: row.started_by ?? '',
    containerInstanceArn: row.container_instance_arn ?? '',
    lastStatus: row.last_status,
    desiredStatus: row.desired_status,
    health: b.healthStatus,
    createdAt: Number(row.created_at),
    startedAt: b.startedAt,
    stoppedAt: b.stoppedAt,
    stopCode: b.stopCode,
    stoppedReason: b.stoppedReason,
    cpu: b.reservation.cpu,
    memory: b.reservation.memory,
    capacityProviderName: b.capacityProviderName,
  };
}

/**
 * What the planner needs of one service. With `prefetched`, the deployments
 * and live tasks come from the pass's cluster snapshot; otherwise they are
 * read now.
 */
export async function observeService(tx: Tx, service: ServiceRecord, cache: PassCache, opts: { prefetched?: boolean } = {}): Promise<Observation> {
  const snapshot = opts.prefetched ? await cache.cluster(tx, service.clusterArn) : undefined;
  const deployments = snapshot ? (snapshot.deployments.get(service.arn) ?? []) : await readDeployments(tx, service.arn);
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const b = service.body;
  const instances = await cache.instances(tx, service.clusterArn);
  const rows = snapshot
    ? [...(snapshot.tasks.get(service.name) ?? [])]
    : await tx
        .selectFrom('tasks')
        .select(HEAD)
        .where('cluster_arn', '=', service.clusterArn)
        .where('service_name', '=', service.name)
        .where('last_status', '<>', 'STOPPED')
        .execute();
  const watching = primary && primary.body.rolloutState === 'IN_PROGRESS';
  // The PRIMARY's STOPPED tasks matter to the circuit breaker (while it is in progress) and to the throttle (when a task is to be placed).
  const daemon = b.schedulingStrategy === 'DAEMON';
  // (A DAEMON's desired count moves with the instances: its STOPPED tasks are always looked at.)
  const short = primary && (daemon || rows.filter((r) => r.started_by === primary.id && r.desired_status === 'RUNNING').length < b.desiredCount);
  if (primary && (watching || short)) {
    // The PRIMARY's recent STOPPED tasks: the circuit breaker's failures and the throttle's start failures.
    rows.push(
      ...(await tx
        .selectFrom('tasks')
        .select(HEAD)
        .where('cluster_arn', '=', service.clusterArn)
        .where('started_by', '=', primary.id)
        .where('last_status', '=', 'STOPPED')
        .where('created_at', '>=', primary.body.startedAt)
        .orderBy('created_at', 'desc')
        .limit(STOPPED_LOOKBACK)
        .execute()),
    );
  }
  const rollbackTarget =
    primary && watching && b.deploymentConfiguration.deploymentCircuitBreaker.rollback ? (await lastCompletedDeployment(tx, service.arn, primary.id))?.id : undefined;
  let strategy: Strategy[];
  try {
    strategy = parseStrategies(b.placementStrategy, SERVICE_DEFAULT_STRATEGY);
  } catch {
    strategy = [...SERVICE_DEFAULT_STRATEGY];
  }
  const ordered = primary ? [primary, ...deployments.filter((d) => d !== primary)] : deployments;
  const desired: ServiceDesired = {
    name: service.name,
    status: service.status === 'DRAINING' ? 'DRAINING' : 'ACTIVE',
    desiredCount: b.desiredCount,
    minimumHealthyPercent: b.deploymentConfiguration.minimumHealthyPercent,
    maximumPercent: b.deploymentConfiguration.maximumPercent,
    circuitBreaker: b.deploymentConfiguration.deploymentCircuitBreaker,
    healthCheckGracePeriodMs: (b.healthCheckGracePeriodSeconds ?? 0) * 1000,
    loadBalanced: b.loadBalancers.length > 0,
    strategy,
    capacityProviderStrategy: b.capacityProviderStrategy,
    deployments: await Promise.all(
      ordered.map(async (d) => ({
        id: d.id,
        status: d.status === 'PRIMARY' ? ('PRIMARY' as const) : ('ACTIVE' as const),
        rolloutState: d.body.rolloutState,
        createdAt: d.body.createdAt,
        monitorSince: d.body.startedAt,
        succeeded: d.body.succeeded,
        failedTasks: d.body.failedTasks,
        hasHealthChecks: await cache.hasHealthChecks(tx, d.body.taskDefinition),
      })),
    ),
    rollbackTarget,
    steady: b.steady,
  };
  if (daemon && primary) desired.daemon = { request: await daemonRequest(tx, cache, service, primary) };
  await cache.memo.load(tx, rows);
  // Target health changes without the task's row changing: read fresh every time.
  const standing = b.loadBalancers.length ? targetStandings(await taskTargetHealth(tx, rows.map((r) => r.arn))) : undefined;
  return {
    service,
    deployments,
    desired,
    observed: {
      tasks: TaskSet.of(
        rows.map((r) => ({
          ...cache.memo.get(r),
          instanceStatus: instanceStatusOf(r, instances),
          targets: standing?.get(r.arn),
        })),
      ),
      instances: daemon ? await cache.fullInstances(tx, service.clusterArn) : [...instances.values()],
    },
  };
}

/**
 * The status of the capacity a task runs on, as scale-in and draining see it:
 * its instance's; a Fargate task's capacity and a task still waiting for an
 * EC2 capacity provider's instance never drain (ACTIVE); a task whose
 * instance is gone, INACTIVE.
 */
function instanceStatusOf(r: TaskHead, instances: Map<string, InstanceSnapshot>): string {
  if (r.launch_type === 'FARGATE' || !r.container_instance_arn) return 'ACTIVE';
  return instances.get(r.container_instance_arn)?.status ?? 'INACTIVE';
}

/** How each task's targets stand, from their rows. */
function targetStandings(health: Map<string, TaskTargetHealth[]>): Map<string, TargetStanding> {
  const out = new Map<string, TargetStanding>();
  for (const [arn, list] of health) {
    const bad = list.find((h) => h.state === 'unhealthy');
    out.set(arn, {
      healthy: list.every((h) => h.state === 'healthy'),
      unhealthy: bad && { targetGroupArn: bad.targetGroupArn, port: bad.port, reason: bad.description ?? 'Health checks failed' },
    });
  }
  return out;
}

/** What a DAEMON's task asks of an instance: its revision's required attributes and placement constraints (resources are placement's business). */
async function daemonRequest(tx: Tx, cache: PassCache, service: ServiceRecord, primary: DeploymentRecord): Promise<PlacementRequest> {
  const td = await cache.taskDefinition(tx, primary.body.taskDefinition);
  let constraints: PlacementRequest['constraints'] = [];
  try {
    constraints = parseConstraints(td?.placementConstraints, primary.body.placementConstraints);
  } catch {
    // Checked when the service was created or updated; a revision changed since places nowhere new.
  }
  return {
    demand: { cpu: 0, memory: 0, ports: [], portsUdp: [], eni: false, gpus: 0 },
    group: `service:${service.name}`,
    requiresAttributes: (td?.requiresAttributes ?? []).map((a) => ({ name: a.name!, value: a.value })),
    constraints,
  };
}
