import type { Attribute, NetworkBinding, TaskOverride } from '@aws-sdk/client-ecs';
import { TASK_STATUSES } from '../agent/protocol.js';
import type { Reservation } from './instance-resources.js';

// A task as stored, and how an agent's reports move it. Pure: the caller
// passes the time. Reports are applied monotonically: a status never goes
// back in ECS's order, a repeated or stale report changes nothing, so the
// agent may resend freely.

export const CONTAINER_STATUSES = ['PENDING', 'RUNNING', 'STOPPED'] as const;
/** ENI attachment states, in order (FAILED can happen from any of them). */
export const ATTACHMENT_STATUSES = ['PRECREATED', 'CREATED', 'ATTACHING', 'ATTACHED', 'DETACHING', 'DETACHED', 'DELETED'] as const;

export type Health = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

export interface ContainerBody {
  name: string;
  containerArn: string;
  image: string;
  imageDigest?: string;
  runtimeId?: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  networkBindings: NetworkBinding[];
  healthStatus: Health;
  cpu: string;
  memory?: string;
  memoryReservation?: string;
}

export interface EniBody {
  attachmentId: string;
  status: string;
  subnetId: string;
  networkInterfaceId: string;
  macAddress: string;
  privateDnsName: string;
  privateIPv4Address: string;
}

/** Times are epoch milliseconds. */
export interface TaskBody {
  taskArn: string;
  clusterArn: string;
  clusterName: string;
  containerInstanceArn?: string;
  taskDefinitionArn: string;
  family: string;
  overrides: TaskOverride;
  lastStatus: string;
  desiredStatus: string;
  launchType: string;
  cpu: string;
  memory: string;
  group: string;
  startedBy?: string;
  referenceId?: string;
  serviceName?: string;
  enableExecuteCommand: boolean;
  availabilityZone?: string;
  attributes: Attribute[];
  healthStatus: Health;
  createdAt: number;
  connectivity?: string;
  connectivityAt?: number;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  stoppingAt?: number;
  /**
   * A service task behind a load balancer, desired STOPPED: its agent is not
   * told until its targets have drained (the deregistration delay), which
   * ends by this time at the latest. Shown as DEACTIVATING meanwhile.
   */
  deactivateUntil?: number;
  stoppedAt?: number;
  executionStoppedAt?: number;
  stopCode?: string;
  stoppedReason?: string;
  containers: ContainerBody[];
  eni?: EniBody;
  /** What the task holds on its instance until it is STOPPED. */
  reservation: Reservation;
  /** The capacity provider a capacity provider strategy placed the task with (FARGATE, FARGATE_SPOT or an EC2 one); unset for a launchType launch, as on AWS. */
  capacityProviderName?: string;
  /** Fargate: the platform version the task runs on (LATEST resolves to 1.4.0) and its family (Linux). */
  platformVersion?: string;
  platformFamily?: string;
  /** Fargate: the task's ephemeral storage in GiB (20 unless the task definition asks for more). */
  ephemeralStorageGiB?: number;
  /** FARGATE_SPOT: when berth sent the two-minute interruption warning; the task stops with SpotInterruption two minutes later. */
  spotInterruptedAt?: number;
}

export interface ContainerChange {
  containerName?: string;
  runtimeId?: string;
  imageDigest?: string;
  status?: string;
  exitCode?: number;
  reason?: string;
  networkBindings?: NetworkBinding[];
  healthStatus?: string;
}

export interface TaskChange {
  status?: string;
  reason?: string;
  stopCode?: string;
  healthStatus?: string;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  executionStoppedAt?: number;
  containers?: ContainerChange[];
  attachments?: { attachmentId: string; status: string }[];
}

const rank = (order: readonly string[], status: string) => order.indexOf(status);
const taskRank = (s: string) => rank(TASK_STATUSES, s);

/** The stoppedReason ECS writes for a stop code when nobody gave one. */
export function defaultStoppedReason(stopCode: string | undefined): string | undefined {
  switch (stopCode) {
    case 'EssentialContainerExited':
      return 'Essential container in task exited';
    case 'UserInitiated':
      return 'Task stopped by user';
    case 'TaskFailedToStart':
      return 'Task failed to start';
    default:
      return undefined;
  }
}

export function isTaskStatus(s: string): boolean {
  return taskRank(s) >= 0;
}

function isHealth(s: string | undefined): s is Health {
  return s === 'HEALTHY' || s === 'UNHEALTHY' || s === 'UNKNOWN';
}

function moveAttachment(eni: EniBody, status: string): void {
  if (status === 'FAILED') {
    if (eni.status !== 'DELETED') eni.status = 'FAILED';
    return;
  }
  if (eni.status === 'FAILED') return;
  if (rank(ATTACHMENT_STATUSES, status) > rank(ATTACHMENT_STATUSES, eni.status)) eni.status = status;
}

function applyContainer(c: ContainerBody, change: ContainerChange): void {
  if (c.lastStatus === 'STOPPED') return;
  const status = change.status;
  if (status && rank(CONTAINER_STATUSES, status) > rank(CONTAINER_STATUSES, c.lastStatus)) c.lastStatus = status;
  if (change.runtimeId) c.runtimeId = change.runtimeId;
  if (change.imageDigest) c.imageDigest = change.imageDigest;
  if (change.networkBindings) c.networkBindings = change.networkBindings;
  if (change.exitCode !== undefined && change.exitCode !== null) c.exitCode = change.exitCode;
  if (change.reason) c.reason = change.reason;
  if (isHealth(change.healthStatus)) c.healthStatus = change.healthStatus;
}

/** Marks the task STOPPED as ECS shows a stopped task; the caller returns its reservation. */
export function markStopped(task: TaskBody, now: number, executionStoppedAt?: number): void {
  task.lastStatus = 'STOPPED';
  task.desiredStatus = 'STOPPED';
  task.stoppingAt ??= now;
  task.stoppedAt ??= now;
  task.executionStoppedAt ??= executionStoppedAt ?? now;
  task.stoppedReason ??= defaultStoppedReason(task.stopCode);
  for (const c of task.containers) if (c.lastStatus !== 'STOPPED') c.lastStatus = 'STOPPED';
  if (task.eni) task.eni.status = 'DELETED';
}

/**
 * Applies one report to a copy of the task. `stopped` is true when this
 * report is the one that moved the task to STOPPED: its resources go back then,
 * exactly once.
 */
export function applyTaskChange(current: TaskBody, change: TaskChange, now: number): { task: TaskBody; changed: boolean; stopped: boolean } {
  const before = JSON.stringify(current);
  const task = JSON.parse(before) as TaskBody;
  if (task.lastStatus === 'STOPPED') return { task, changed: false, stopped: false };

  for (const c of change.containers ?? []) {
    const hit = task.containers.find((x) => x.name === c.containerName);
    if (hit) applyContainer(hit, c);
  }
  for (const a of change.attachments ?? []) {
    if (task.eni && task.eni.attachmentId === a.attachmentId) moveAttachment(task.eni, a.status);
  }
  if (change.pullStartedAt !== undefined) task.pullStartedAt ??= change.pullStartedAt;
  if (change.pullStoppedAt !== undefined) task.pullStoppedAt ??= change.pullStoppedAt;
  if (change.executionStoppedAt !== undefined) task.executionStoppedAt ??= change.executionStoppedAt;
  if (isHealth(change.healthStatus)) task.healthStatus = change.healthStatus;

  // A stop code means the task is on its way down, whatever its status says yet.
  if (change.stopCode && !task.stopCode) {
    task.stopCode = change.stopCode;
    task.stoppedReason ??= change.reason || defaultStoppedReason(change.stopCode);
    task.desiredStatus = 'STOPPED';
    task.stoppingAt ??= now;
  }

  let stopped = false;
  const status = change.status;
  // The agent has the task in hand from its first report on.
  if (status && taskRank(status) >= taskRank('PENDING') && !task.connectivity) {
    task.connectivity = 'CONNECTED';
    task.connectivityAt = now;
  }
  if (status && taskRank(status) > taskRank(task.lastStatus)) {
    task.lastStatus = status;
    if (status === 'RUNNING') {
      task.startedAt ??= now;
      if (task.eni) moveAttachment(task.eni, 'ATTACHED');
    }
    if (taskRank(status) >= taskRank('DEACTIVATING')) {
      task.stoppingAt ??= now;
      task.desiredStatus = 'STOPPED';
      if (change.reason) task.stoppedReason ??= change.reason;
    }
    if (status === 'STOPPED') {
      markStopped(task, now, change.executionStoppedAt);
      stopped = true;
    }
  }
  const changed = JSON.stringify(task) !== before;
  return { task, changed, stopped };
}
