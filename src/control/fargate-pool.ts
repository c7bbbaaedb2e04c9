import { FARGATE_POOL_CLUSTER } from '../agent/protocol.js';
import type { Tx } from '../store/store.js';
import { clusterArn, type Scope } from './arns.js';
import type { ClusterRecord } from './clusters.js';
import { toInstanceRecord, type InstanceRecord } from './instance-record.js';

// berth's managed Fargate capacity: the agents that joined with
// `berth agent --fargate` (and `berth up`'s own, on the local engine) are
// container instances of a per-account, per-region pool that no cluster
// lists. FARGATE and FARGATE_SPOT tasks of every cluster run there, each on
// the connected instance that runs the fewest tasks; nothing is reserved on
// a pool instance (Fargate sizes are enforced by the task's own limits).

export { FARGATE_POOL_CLUSTER };

export const fargatePoolArn = (scope: Scope) => clusterArn(scope, FARGATE_POOL_CLUSTER);

/** The pool as the cluster its instances register in (never stored, never listed). */
export function fargatePool(scope: Scope): ClusterRecord {
  return {
    arn: fargatePoolArn(scope),
    status: 'ACTIVE',
    version: 0,
    body: { clusterName: FARGATE_POOL_CLUSTER, settings: [], capacityProviders: [], defaultCapacityProviderStrategy: [] },
  };
}

/** AWS's answer when Fargate has no capacity for a task. */
export const NO_FARGATE_CAPACITY = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';

/**
 * The pool instances `count` new tasks go to, least loaded first (connected
 * instances before disconnected ones), or [] when the pool has no ACTIVE
 * instance. Reads inside the launching transaction.
 */
export async function choosePoolInstances(tx: Tx, scope: Scope, count: number): Promise<InstanceRecord[]> {
  const rows = await tx
    .selectFrom('container_instances')
    .selectAll()
    .where('cluster_arn', '=', fargatePoolArn(scope))
    .where('status', '=', 'ACTIVE')
    .orderBy('registered_at')
    .orderBy('arn')
    .execute();
  if (!rows.length) return [];
  const live = await tx
    .selectFrom('tasks')
    .select(['container_instance_arn'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where(
      'container_instance_arn',
      'in',
      rows.map((r) => r.arn),
    )
    .where('last_status', '<>', 'STOPPED')
    .groupBy('container_instance_arn')
    .execute();
  const load = new Map(live.map((r) => [r.container_instance_arn!, Number(r.n)]));
  const instances = rows.map(toInstanceRecord);
  const out: InstanceRecord[] = [];
  for (let i = 0; i < count; i++) {
    let best = instances[0]!;
    for (const c of instances) {
      const better = Number(c.agentConnected) - Number(best.agentConnected) || (load.get(best.arn) ?? 0) - (load.get(c.arn) ?? 0);
      if (better > 0) best = c;
    }
    out.push(best);
    load.set(best.arn, (load.get(best.arn) ?? 0) + 1);
  }
  return out;
}
