import type { Attribute, PlatformDevice, VersionInfo } from '@aws-sdk/client-ecs';
import { AwsError } from '../gateway/errors.js';
import type { ContainerInstanceRow } from '../store/schema.js';
import type { Tx } from '../store/store.js';
import { containerInstanceArn, parseArn, type Scope } from './arns.js';
import type { InstanceResources } from './instance-resources.js';
import { VersionConflict } from './optimistic.js';

// A container instance as stored, and the few reads and versioned writes that
// both ContainerInstances and Tasks (placement, returning resources) need.

export interface InstanceBody {
  clusterName: string;
  versionInfo?: VersionInfo;
  attributes: Attribute[];
  registered: InstanceResources;
  remaining: InstanceResources;
  platformDevices?: PlatformDevice[];
  /** When `agent_connected` last changed (CONTAINER_INSTANCE_HEALTH's lastStatusChange). */
  connectionChangedAt?: number;
  /** The EC2 capacity provider whose instance pool started this instance. */
  capacityProviderName?: string;
}

export interface InstanceRecord {
  arn: string;
  accountId: string;
  region: string;
  clusterArn: string;
  ec2InstanceId: string;
  status: string;
  agentConnected: boolean;
  lastHeartbeatAt?: number;
  version: number;
  registeredAt: number;
  body: InstanceBody;
}

export function toInstanceRecord(row: ContainerInstanceRow): InstanceRecord {
  return {
    arn: row.arn,
    accountId: row.account_id,
    region: row.region,
    clusterArn: row.cluster_arn,
    ec2InstanceId: row.ec2_instance_id,
    status: row.status,
    agentConnected: row.agent_connected === 1,
    lastHeartbeatAt: row.last_heartbeat_at ?? undefined,
    version: row.version,
    registeredAt: Number(row.registered_at),
    body: JSON.parse(row.body) as InstanceBody,
  };
}

/**
 * The ARN a container instance reference names inside a cluster: a long ARN
 * as is, an old-format ARN (`container-instance/<id>`) or a bare id in the
 * cluster's long format.
 */
export function instanceArnOf(scope: Scope, clusterName: string, ref: string): string {
  if (ref.startsWith('arn:')) {
    const arn = parseArn(ref);
    if (!arn || arn.service !== 'ecs' || arn.resourceType !== 'container-instance') {
      throw new AwsError('InvalidParameterException', `'${ref}' is not a valid container instance ARN.`);
    }
    const parts = arn.resource.split('/');
    return parts.length === 1 ? containerInstanceArn({ accountId: arn.accountId, region: arn.region }, clusterName, parts[0]!) : ref;
  }
  return containerInstanceArn(scope, clusterName, ref);
}

export async function readInstance(tx: Tx, arn: string): Promise<InstanceRecord | undefined> {
  const row = await tx.selectFrom('container_instances').selectAll().where('arn', '=', arn).executeTakeFirst();
  return row && toInstanceRecord(row);
}

/** Writes an instance's status and body back, if nobody changed it since it was read. */
export async function saveInstance(tx: Tx, read: InstanceRecord, change: { status?: string; body: InstanceBody }): Promise<number> {
  const version = read.version + 1;
  const result = await tx
    .updateTable('container_instances')
    .set({ status: change.status ?? read.status, body: JSON.stringify(change.body), version })
    .where('arn', '=', read.arn)
    .where('version', '=', read.version)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new VersionConflict(`container instance ${read.arn}`);
  return version;
}

export const instanceNotFound = () => new AwsError('InvalidParameterException', 'The referenced container instance was not found.');
