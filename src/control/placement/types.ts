// The plain data placement reads and returns. Nothing here knows about the
// store, HTTP or the clock: callers build a snapshot, placement answers a plan.

/** What the cluster query language can ask about a container instance. */
export interface InstanceFacts {
  ec2InstanceId: string;
  agentConnected: boolean;
  agentVersion?: string;
  /** Milliseconds since the epoch. */
  registeredAt: number;
  /** Tasks whose lastStatus is RUNNING, as ECS counts runningTasksCount. */
  runningTasksCount: number;
  /** Attribute name → value (undefined for attributes without a value, such as capabilities). */
  attributes: ReadonlyMap<string, string | undefined>;
  /** Live tasks on the instance (desired RUNNING, not yet STOPPED), counted by task group. */
  taskGroups: ReadonlyMap<string, number>;
}

/** A container instance as placement sees it: its facts and what it has left. */
export interface InstanceSnapshot extends InstanceFacts {
  arn: string;
  /** ACTIVE, DRAINING, …: only ACTIVE instances receive tasks. */
  status: string;
  /** CPU units left. */
  cpu: number;
  /** MiB left. */
  memory: number;
  /** Host ports taken (TCP), including the host's own reserved ports. */
  ports: ReadonlySet<number>;
  portsUdp: ReadonlySet<number>;
  /** ENI attachment points left; undefined when the instance has no such limit (berth's loopback networking). */
  enis?: number;
  /** GPUs left; undefined counts as none. */
  gpus?: number;
}

/** What one task needs of its instance; every task of a request needs the same. */
export interface TaskDemand {
  cpu: number;
  memory: number;
  /** Static host ports (TCP / UDP). */
  ports: readonly number[];
  portsUdp: readonly number[];
  /** awsvpc: the task takes an ENI attachment point. */
  eni: boolean;
  gpus: number;
}

/** An attribute a task definition requires of its instance (`requiresAttributes`). */
export interface AttributeRequirement {
  name: string;
  value?: string;
}

/** ECS's failure reasons, in the order the filters check them. */
export const REASONS = {
  agent: 'AGENT',
  attribute: 'ATTRIBUTE',
  cpu: 'RESOURCE:CPU',
  memory: 'RESOURCE:MEMORY',
  ports: 'RESOURCE:PORTS',
  portsUdp: 'RESOURCE:PORTS_UDP',
  eni: 'RESOURCE:ENI',
  gpu: 'RESOURCE:GPU',
  memberOf: 'MemberOf',
  distinctInstance: 'DistinctInstance',
} as const;

export interface Failure {
  /** The container instance's ARN. */
  arn: string;
  reason: string;
}

export interface Plan {
  /** The instance of each placed task, in placement order; shorter than the count asked for when some did not fit. */
  placements: string[];
  /** Why the tasks that were not placed could go nowhere: one entry per instance, with the reason that instance gave. Empty when every task was placed. */
  failures: Failure[];
}

/**
 * A request placement cannot act on: a bad strategy, constraint or
 * expression. Callers answer it as ECS does, with InvalidParameterException
 * and this message.
 */
export class PlacementInputError extends Error {}
