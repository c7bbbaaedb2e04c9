import type { TaskDefinition } from '@aws-sdk/client-ecs';
import type { TaskRow } from '../../store/schema.js';
import type { Tx } from '../../store/store.js';
import { toInstanceRecord } from '../instance-record.js';
import { parseStrategies, SERVICE_DEFAULT_STRATEGY, type InstanceSnapshot, type Strategy } from '../placement/index.js';
import { lastCompletedDeployment, readDeployments, type DeploymentRecord, type ServiceRecord } from '../service-record.js';
import { readTaskDefinition } from '../task-definitions.js';
import type { TaskBody } from '../task-state.js';
import type { ServiceDesired, ServiceObserved } from './plan-service.js';
import { TaskSet, type ServiceTask } from './task-set.js';

// The planner's inputs, read from the store: the service's deployments (what
// it should run) and its tasks (what it runs). Reads only. A pass over many
// services shares one PassCache: the clusters' instances and the task
// definitions are read once per pass.

/** How many of the PRIMARY's STOPPED tasks the circuit breaker and the throttle look at (the breaker's threshold is at most 200). */
const STOPPED_LOOKBACK = 250;

export interface Observation {
  service: ServiceRecord;
  /** The deployments that are not INACTIVE, newest first. */
  deployments: DeploymentRecord[];
  desired: ServiceDesired;
  observed: ServiceObserved;
}

export class PassCache {
  readonly #instances = new Map<string, Map<string, InstanceSnapshot>>();
  readonly #healthChecks = new Map<string, boolean>();

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

  /** Whether the revision's essential containers have health checks (then a task is healthy only once HEALTHY). */
  async hasHealthChecks(tx: Tx, taskDefinitionArn: string): Promise<boolean> {
    let known = this.#healthChecks.get(taskDefinitionArn);
    if (known === undefined) {
      known = healthChecked(await readTaskDefinition(tx, taskDefinitionArn));
      this.#healthChecks.set(taskDefinitionArn, known);
    }
    return known;
  }
}

export function healthChecked(td: TaskDefinition | undefined): boolean {
  return (td?.containerDefinitions ?? []).some((c) => (c.essential ?? true) && !!c.healthCheck?.command?.length);
}

function toServiceTask(row: TaskRow, instances: Map<string, InstanceSnapshot>): ServiceTask {
  const b = JSON.parse(row.body) as TaskBody;
  return {
    arn: row.arn,
    deploymentId: row.started_by ?? '',
    containerInstanceArn: row.container_instance_arn ?? '',
    instanceStatus: (row.container_instance_arn && instances.get(row.container_instance_arn)?.status) || 'INACTIVE',
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
  };
}

export async function observeService(tx: Tx, service: ServiceRecord, cache: PassCache): Promise<Observation> {
  const deployments = await readDeployments(tx, service.arn);
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const b = service.body;
  const instances = await cache.instances(tx, service.clusterArn);
  const rows = await tx
    .selectFrom('tasks')
    .selectAll()
    .where('cluster_arn', '=', service.clusterArn)
    .where('service_name', '=', service.name)
    .where('last_status', '<>', 'STOPPED')
    .execute();
  const watching = primary && primary.body.rolloutState === 'IN_PROGRESS';
  if (primary && (watching || b.desiredCount > 0)) {
    // The PRIMARY's recent STOPPED tasks: the circuit breaker's failures and the throttle's start failures.
    rows.push(
      ...(await tx
        .selectFrom('tasks')
        .selectAll()
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
    strategy,
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
  return {
    service,
    deployments,
    desired,
    observed: { tasks: TaskSet.of(rows.map((r) => toServiceTask(r, instances))), instances: [...instances.values()] },
  };
}
