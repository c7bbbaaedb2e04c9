import type { Attachment, NetworkBinding, TaskDefinition, TaskOverride } from '@aws-sdk/client-ecs';

// The contract between the control plane and an agent.
//
// Control → agent: one WebSocket per container instance, at
//   GET /agent/connect?containerInstance=<arn>&<SigV4 presigned query, service "ecs">
// carrying `ControlMessage`s. On every (re)connect the control plane first
// sends a `tasks` message with `full: true`: the complete desired state of
// every task on that instance that is not yet STOPPED. Later `tasks` messages
// carry only the tasks that changed. `version` of a task grows with every
// change of its desired state, so an agent ignores a stale assignment.
//
// Agent → control: state goes back through the ECS API itself
// (SubmitTaskStateChange, SubmitContainerStateChange,
// SubmitAttachmentStateChanges), SigV4-signed like any client; on the socket
// the agent only sends heartbeats.

export const AGENT_CONNECT_PATH = '/agent/connect';
/**
 * The cluster name a Fargate agent registers with: the control plane puts the
 * instance in the account's Fargate pool. No user cluster can have this name
 * (cluster names take letters, digits, hyphens and underscores only).
 */
export const FARGATE_POOL_CLUSTER = 'berth:fargate';
/** The control plane marks an instance `agentConnected: false` after this long without a heartbeat. */
export const AGENT_TIMEOUT_MS = 30_000;
export const HEARTBEAT_INTERVAL_MS = 10_000;

export type DesiredStatus = 'RUNNING' | 'STOPPED';

export interface TaskAssignment {
  taskArn: string;
  clusterArn: string;
  containerInstanceArn: string;
  /** Grows with every change of desiredStatus. */
  version: number;
  desiredStatus: DesiredStatus;
  launchType: 'EC2' | 'FARGATE' | 'EXTERNAL';
  taskDefinition: TaskDefinition;
  overrides: TaskOverride;
  /** Task-level cpu units / MiB after overrides, when the task has them. */
  cpu?: string;
  memory?: string;
  /** awsvpc only: the loopback address the control plane allotted to this task (127.x.y.z). */
  privateIPv4Address?: string;
  /** The ENI attachment id reported for awsvpc tasks. */
  attachmentId?: string;
  /** Set when desiredStatus is STOPPED by a user or scheduler. */
  stopCode?: string;
  stoppedReason?: string;
  startedBy?: string;
  group?: string;
  createdAt: number;
  /** Container name → container ARN, for the task metadata endpoint. */
  containerArns?: Record<string, string>;
}

export type ControlMessage =
  | { type: 'welcome'; containerInstanceArn: string; heartbeatIntervalMs: number }
  | { type: 'tasks'; full: boolean; tasks: TaskAssignment[] }
  | { type: 'heartbeat'; at: number };

export type AgentMessage = { type: 'heartbeat'; at: number };

/** ECS's task lifecycle, in order (lastStatus on the wire). */
export const TASK_STATUSES = ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Container lastStatus on the wire. */
export type ContainerStatus = 'PENDING' | 'RUNNING' | 'STOPPED';

export interface ContainerReport {
  containerName: string;
  runtimeId?: string;
  imageDigest?: string;
  status: ContainerStatus;
  exitCode?: number;
  reason?: string;
  healthStatus?: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  networkBindings?: NetworkBinding[];
}

/** What the agent's task engine reports for a task; the agent sends it as SubmitTaskStateChange. */
export interface TaskReport {
  taskArn: string;
  status: TaskStatus;
  /** ECS stop code when the task stopped on its own (EssentialContainerExited, TaskFailedToStart, …). */
  stopCode?: string;
  reason?: string;
  containers: ContainerReport[];
  attachments?: Attachment[];
  pullStartedAt?: number;
  pullStoppedAt?: number;
  executionStoppedAt?: number;
  healthStatus?: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
}
