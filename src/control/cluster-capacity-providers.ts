import { AwsError } from '../gateway/errors.js';
import type { Tx } from '../store/store.js';
import type { Scope } from './arns.js';
import { capacityProviderArn, isManagedCapacityProvider, toCapacityProviderRecord } from './capacity-providers.js';

// Which capacity providers a cluster may have, checked inside the transaction
// that changes the cluster (CreateCluster, PutClusterCapacityProviders,
// DeleteCluster), and the association kept on the provider's row.
//
//   next providers ─► FARGATE / FARGATE_SPOT ─────────────────► ok
//                  └► EC2: ACTIVE in the scope? ── no ─► InvalidParameterException (not found)
//                        associated elsewhere? ── yes ─► InvalidParameterException
//   removed providers ─► a live task or a service strategy uses it? ─► ResourceInUseException
//   then: removed EC2 providers → cluster_arn NULL; added ones → this cluster
//
// Messages: "not found" and "in use" are ECS's (terraform-aws-modules/terraform-aws-ecs#53;
// AWS re:Post "ecs-capacity-provider-error", aws/containers-roadmap#631), as is
// the limit's (cloudformation-coverage-roadmap#1086). The one for a provider
// of another cluster is berth's: an Auto Scaling group capacity provider belongs
// to one cluster (ECS developer guide), and no captured ECS text was found.

export const PROVIDER_NOT_FOUND_MESSAGE = 'The specified capacity provider was not found. Specify a valid capacity provider and try again.';
export const PROVIDER_IN_USE_MESSAGE = 'The specified capacity provider is in use and cannot be removed.';
/** "Capacity providers per cluster" (ECS service quotas). */
export const MAX_PROVIDERS_PER_CLUSTER = 20;
export const TOO_MANY_PROVIDERS_MESSAGE = 'The maximum number of capacity providers per cluster has been exceeded.';

const invalid = (message: string) => new AwsError('InvalidParameterException', message);

/** Checks a cluster's next providers and moves the EC2 ones' association from `previous` to `next`. */
export async function associateCapacityProviders(
  tx: Tx,
  scope: Scope,
  cluster: { arn: string; name: string },
  previous: readonly string[],
  next: readonly string[],
): Promise<void> {
  if (next.length > MAX_PROVIDERS_PER_CLUSTER) throw invalid(TOO_MANY_PROVIDERS_MESSAGE);
  const added: string[] = [];
  for (const name of next) {
    if (isManagedCapacityProvider(name)) continue;
    const row = await tx.selectFrom('capacity_providers').selectAll().where('arn', '=', capacityProviderArn(scope, name)).executeTakeFirst();
    const rec = row && toCapacityProviderRecord(row);
    if (!rec || rec.status !== 'ACTIVE') throw invalid(PROVIDER_NOT_FOUND_MESSAGE);
    if (rec.clusterArn && rec.clusterArn !== cluster.arn) {
      const other = await tx.selectFrom('clusters').select('name').where('arn', '=', rec.clusterArn).executeTakeFirst();
      throw invalid(
        `The capacity provider '${name}' is already associated with the cluster '${other?.name ?? rec.clusterArn}'. An Auto Scaling group capacity provider can be associated with one cluster only; remove it from that cluster first.`,
      );
    }
    if (!rec.clusterArn) added.push(name);
  }
  const removed = previous.filter((p) => !next.includes(p));
  for (const name of removed) {
    if (await capacityProviderInUse(tx, cluster.arn, name)) throw new AwsError('ResourceInUseException', PROVIDER_IN_USE_MESSAGE);
  }
  for (const name of removed) {
    if (isManagedCapacityProvider(name)) continue;
    await tx
      .updateTable('capacity_providers')
      .set((eb) => ({ cluster_arn: null, version: eb('version', '+', 1) }))
      .where('arn', '=', capacityProviderArn(scope, name))
      .where('cluster_arn', '=', cluster.arn)
      .execute();
  }
  for (const name of added) {
    const result = await tx
      .updateTable('capacity_providers')
      .set((eb) => ({ cluster_arn: cluster.arn, version: eb('version', '+', 1) }))
      .where('arn', '=', capacityProviderArn(scope, name))
      .where('status', '=', 'ACTIVE')
      .where('cluster_arn', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new AwsError('UpdateInProgressException', `The capacity provider '${name}' was changed by another request at the same time. Retry the request.`);
    }
  }
}

/** DeleteCluster: the cluster's EC2 providers are no longer associated with any cluster. */
export async function releaseCapacityProviders(tx: Tx, clusterArn: string): Promise<void> {
  await tx
    .updateTable('capacity_providers')
    .set((eb) => ({ cluster_arn: null, version: eb('version', '+', 1) }))
    .where('cluster_arn', '=', clusterArn)
    .execute();
}

/** Whether a task of the cluster that is not STOPPED runs with the provider, or a service's strategy names it. */
export async function capacityProviderInUse(tx: Tx, clusterArn: string, name: string): Promise<boolean> {
  const tasks = await tx
    .selectFrom('tasks')
    .select('body')
    .where('cluster_arn', '=', clusterArn)
    .where('last_status', '<>', 'STOPPED')
    .where('body', 'like', `%"capacityProviderName":"${name}"%`)
    .execute();
  if (tasks.some((t) => (JSON.parse(t.body) as { capacityProviderName?: string }).capacityProviderName === name)) return true;
  const named = (body: string) =>
    ((JSON.parse(body) as { capacityProviderStrategy?: { capacityProvider?: string }[] }).capacityProviderStrategy ?? []).some((i) => i.capacityProvider === name);
  const services = await tx.selectFrom('services').select('body').where('cluster_arn', '=', clusterArn).where('status', '<>', 'INACTIVE').execute();
  if (services.some((s) => named(s.body))) return true;
  const deployments = await tx.selectFrom('service_deployments').select('body').where('cluster_arn', '=', clusterArn).where('status', '<>', 'INACTIVE').execute();
  return deployments.some((d) => named(d.body));
}
