import type {
  DeploymentAlarms,
  LoadBalancer,
  NetworkConfiguration,
  PlacementConstraint,
  PlacementStrategy,
  ServiceRegistry,
} from '@aws-sdk/client-ecs';
import { randomBytes, randomInt } from 'node:crypto';
import { AwsError } from '../gateway/errors.js';
import type { ServiceDeploymentRow, ServiceRow } from '../store/schema.js';
import type { Tx } from '../store/store.js';
import { VersionConflict } from './optimistic.js';
import type { StrategyItem } from './placement/capacity-provider-strategy.js';

// A service, its deployments and revisions as stored, and the few reads and
// versioned writes the Services API and the reconciler share. The columns
// beside each JSON body are what queries filter on or race on.

export const serviceNotFound = () => new AwsError('ServiceNotFoundException', 'Service not found.');
export const serviceNotActive = () => new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');

export type SchedulingStrategy = 'REPLICA' | 'DAEMON';

/** ECS's rolling-update knobs, with its defaults filled in. */
export interface DeploymentSettings {
  maximumPercent: number;
  minimumHealthyPercent: number;
  deploymentCircuitBreaker: { enable: boolean; rollback: boolean };
  /** Accepted and stored; berth has no CloudWatch alarms to watch yet. */
  alarms?: DeploymentAlarms;
}

export interface ServiceBody {
  serviceName: string;
  clusterName: string;
  /** The PRIMARY deployment's task definition. */
  taskDefinition: string;
  desiredCount: number;
  /** EC2 or FARGATE; with a capacity provider strategy, what its providers are (AWS then shows no launchType). */
  launchType: 'EC2' | 'FARGATE';
  capacityProviderStrategy?: StrategyItem[];
  /** Fargate: the platform version asked for (LATEST unless given). */
  platformVersion?: string;
  schedulingStrategy: SchedulingStrategy;
  deploymentConfiguration: DeploymentSettings;
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  networkConfiguration?: NetworkConfiguration;
  healthCheckGracePeriodSeconds?: number;
  loadBalancers: LoadBalancer[];
  serviceRegistries: ServiceRegistry[];
  enableECSManagedTags: boolean;
  propagateTags: 'NONE' | 'SERVICE' | 'TASK_DEFINITION';
  enableExecuteCommand: boolean;
  createdAt: number;
  createdBy: string;
  clientToken?: string;
  /** What CreateService was asked, to tell an idempotent retry from a conflicting create. */
  createRequest: string;
  /** Whether the last reconcile found the service steady: the steady-state event is written on the change. */
  steady: boolean;
}

export interface ServiceRecord {
  arn: string;
  accountId: string;
  region: string;
  clusterArn: string;
  name: string;
  status: string;
  version: number;
  body: ServiceBody;
}

export type DeploymentStatus = 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
/** ServiceDeployment.status (DescribeServiceDeployments). */
export type ServiceDeploymentStatus =
  | 'PENDING'
  | 'IN_PROGRESS'
  | 'SUCCESSFUL'
  | 'STOPPED'
  | 'STOP_REQUESTED'
  | 'ROLLBACK_REQUESTED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_SUCCESSFUL'
  | 'ROLLBACK_FAILED';

/** One deployment of a service: a revision being rolled out (ECS's Deployment and ServiceDeployment in one row). */
export interface DeploymentBody {
  id: string;
  serviceDeploymentArn: string;
  revisionArn: string;
  taskDefinition: string;
  networkConfiguration?: NetworkConfiguration;
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  createdAt: number;
  updatedAt: number;
  startedAt: number;
  finishedAt?: number;
  rolloutState: RolloutState;
  rolloutStateReason: string;
  /** The circuit breaker's count, as last computed (it resets once the deployment has a task running steadily). */
  failedTasks: number;
  /** A task of this deployment ran steadily: failures are no longer counted. */
  succeeded: boolean;
  deploymentConfiguration: DeploymentSettings;
  /** The revisions running when this deployment started. */
  sourceRevisionArns: string[];
  serviceDeploymentStatus: ServiceDeploymentStatus;
  statusReason?: string;
  /** On a deployment the circuit breaker rolled back. */
  rollback?: { reason: string; startedAt: number; serviceRevisionArn: string };
  /** On the deployment that rolls back: the failed one it replaces (ListServiceDeployments shows the failed one only). */
  rollbackOf?: string;
}

export interface DeploymentRecord {
  arn: string;
  id: string;
  serviceArn: string;
  clusterArn: string;
  status: DeploymentStatus;
  body: DeploymentBody;
}

export interface RevisionBody {
  serviceRevisionArn: string;
  serviceArn: string;
  clusterArn: string;
  taskDefinition: string;
  launchType: 'EC2' | 'FARGATE';
  capacityProviderStrategy?: StrategyItem[];
  platformVersion?: string;
  loadBalancers: LoadBalancer[];
  serviceRegistries: ServiceRegistry[];
  networkConfiguration?: NetworkConfiguration;
  containerImages: { containerName: string; image: string }[];
  guardDutyEnabled: boolean;
  createdAt: number;
}

export function toServiceRecord(row: ServiceRow): ServiceRecord {
  return {
    arn: row.arn,
    accountId: row.account_id,
    region: row.region,
    clusterArn: row.cluster_arn,
    name: row.name,
    status: row.status,
    version: row.version,
    body: JSON.parse(row.body) as ServiceBody,
  };
}

export function toDeploymentRecord(row: ServiceDeploymentRow): DeploymentRecord {
  return {
    arn: row.arn,
    id: row.id,
    serviceArn: row.service_arn,
    clusterArn: row.cluster_arn,
    status: row.status as DeploymentStatus,
    body: JSON.parse(row.body) as DeploymentBody,
  };
}

export async function readService(tx: Tx, arn: string): Promise<ServiceRecord | undefined> {
  const row = await tx.selectFrom('services').selectAll().where('arn', '=', arn).executeTakeFirst();
  return row && toServiceRecord(row);
}

/** Writes a service back if nobody changed it since it was read; returns its new version. */
export async function saveService(tx: Tx, read: ServiceRecord, change: { status?: string; body: ServiceBody }): Promise<number> {
  const version = read.version + 1;
  const result = await tx
    .updateTable('services')
    .set({ status: change.status ?? read.status, body: JSON.stringify(change.body), version })
    .where('arn', '=', read.arn)
    .where('version', '=', read.version)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new VersionConflict(`service ${read.arn}`);
  return version;
}

/** The service's deployments, newest first; INACTIVE ones only when `all`. */
export async function readDeployments(tx: Tx, serviceArn: string, opts: { all?: boolean } = {}): Promise<DeploymentRecord[]> {
  let q = tx.selectFrom('service_deployments').selectAll().where('service_arn', '=', serviceArn);
  if (!opts.all) q = q.where('status', '<>', 'INACTIVE');
  const rows = await q.orderBy('created_at', 'desc').orderBy('arn', 'desc').execute();
  return rows.map(toDeploymentRecord);
}

/** The most recent deployment that completed (the circuit breaker's rollback target), whatever its status now. */
export async function lastCompletedDeployment(tx: Tx, serviceArn: string, except: string): Promise<DeploymentRecord | undefined> {
  const row = await tx
    .selectFrom('service_deployments')
    .selectAll()
    .where('service_arn', '=', serviceArn)
    .where('rollout_state', '=', 'COMPLETED')
    .where('id', '<>', except)
    .orderBy('created_at', 'desc')
    .orderBy('arn', 'desc')
    .executeTakeFirst();
  return row && toDeploymentRecord(row);
}

export async function insertDeployment(tx: Tx, d: DeploymentRecord): Promise<void> {
  await tx
    .insertInto('service_deployments')
    .values({
      arn: d.arn,
      id: d.id,
      service_arn: d.serviceArn,
      cluster_arn: d.clusterArn,
      status: d.status,
      rollout_state: d.body.rolloutState,
      created_at: d.body.createdAt,
      body: JSON.stringify(d.body),
    })
    .execute();
}

export async function saveDeployment(tx: Tx, d: DeploymentRecord): Promise<void> {
  await tx
    .updateTable('service_deployments')
    .set({ status: d.status, rollout_state: d.body.rolloutState, body: JSON.stringify(d.body) })
    .where('arn', '=', d.arn)
    .execute();
}

/** `ecs-svc/` and 19 digits, as ECS numbers deployments. */
export function newDeploymentId(): string {
  return `ecs-svc/${nineteenDigits()}`;
}

/** A service revision's id: 19 digits. */
export function newRevisionId(): string {
  return nineteenDigits();
}

/** A service deployment's id in its ARN: 21 letters and digits. */
export function newServiceDeploymentId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(21)].map((b) => alphabet[b % alphabet.length]).join('');
}

function nineteenDigits(): string {
  let s = String(randomInt(1, 10));
  while (s.length < 19) s += String(randomInt(0, 10));
  return s;
}
