import type {
  Attachment,
  Attribute,
  Container,
  Failure,
  NetworkConfiguration,
  PlacementConstraint,
  PlacementStrategy,
  RunTaskCommandInput,
  StartTaskCommandInput,
  Tag,
  Task,
  TaskDefinition,
  TaskOverride,
} from '@aws-sdk/client-ecs';
import { randomBytes, randomUUID } from 'node:crypto';
import type { TaskAssignment } from '../agent/protocol.js';
import { AwsError } from '../gateway/errors.js';
import type { TaskRow } from '../store/schema.js';
import type { Store, Tx } from '../store/store.js';
import { silentNotifier, type AgentNotifier } from './agent-notifier.js';
import { containerArn, parseArn, taskArn, type Scope } from './arns.js';
import type { ClusterRecord, Clusters } from './clusters.js';
import { instanceSnapshots, type InstanceTaskStopper } from './container-instances.js';
import { instanceArnOf, readInstance, saveInstance, toInstanceRecord, type InstanceRecord } from './instance-record.js';
import { release, reserve, type Reservation } from './instance-resources.js';
import { retryOnConflict, VersionConflict } from './optimistic.js';
import { decodeToken, encodeToken, pageSize } from './pagination.js';
import {
  parseConstraints,
  parseStrategies,
  placeOnInstances,
  placeTasks,
  PlacementInputError,
  RUN_TASK_DEFAULT_STRATEGY,
  SERVICE_DEFAULT_STRATEGY,
  type Constraint,
  type PlacementRequest,
  type Strategy,
} from './placement/index.js';
import { addManagedTags, addTags, checkTags, listTags } from './tags.js';
import { checkFargateLaunch, type FargateLaunch } from './fargate-rules.js';
import { choosePoolInstances, NO_FARGATE_CAPACITY } from './fargate-pool.js';
import { chooseCapacity, type CapacityChoice, type LaunchKind } from './launch-capacity.js';
import { assignProviders, type StrategyItem } from './placement/capacity-provider-strategy.js';
import { parseTaskCpu, parseTaskMemory } from './task-definition-rules.js';
import { readTaskDefinition, type TaskDefinitions } from './task-definitions.js';
import { containerSizes, normaliseOverrides, reservationOf, taskSize } from './task-overrides.js';
import { applyTaskChange, isTaskStatus, type ContainerChange, type TaskBody, type TaskChange } from './task-state.js';

export type { AgentNotifier } from './agent-notifier.js';

// ECS tasks: RunTask and StartTask place them (placement/: ECS's filters,
// strategies and constraints over a snapshot read in the transaction) and
// commit the placement together with the instances' resources, checking each
// instance row's version, so concurrent launches never overcommit; StopTask
// and forced deregistrations change their desired status; the agents' reports
// (Submit*StateChange) move their last status forward, and the report that
// makes a task STOPPED gives its resources back in the same transaction.
// Every change of desired state reaches the instance's agent through the
// AgentNotifier after commit.

const invalid = (message: string) => new AwsError('InvalidParameterException', message);
const taskNotFound = () => invalid('The referenced task was not found.');

export const MAX_RUN_COUNT = 10;
/** The stoppedReason of a FARGATE_SPOT task whose capacity was reclaimed, as ECS words it. */
export const SPOT_INTERRUPTED = 'Your Spot Task was interrupted.';

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
const STARTED_BY = /^[a-zA-Z0-9_/-]*$/;

export interface TaskRecord {
  row: TaskRow;
  body: TaskBody;
}

/** What RunTask and StartTask share once the request is checked. */
interface Launch {
  cluster: ClusterRecord;
  td: TaskDefinition;
  overrides: TaskOverride;
  reservation: Reservation;
  group: string;
  startedBy?: string;
  referenceId?: string;
  tags: Tag[];
  managedTags: Tag[];
  enableExecuteCommand: boolean;
  /** awsvpc tasks: the subnet their ENI is reported in. */
  subnetId?: string;
  /** The task definition's and the request's placement constraints, compiled. */
  constraints: Constraint[];
  /** RunTask's strategies (ECS's default when the request names none). */
  strategy: Strategy[];
  /** Set when a service's scheduler launches the task. */
  serviceName?: string;
  /** EC2: the cluster's instances (or its EC2 capacity providers'); FARGATE: berth's Fargate pool. */
  launchType: LaunchKind;
  /** What checkFargateLaunch settled (FARGATE only). */
  fargate?: FargateLaunch;
  /** The capacity provider strategy that places the tasks (the request's or the cluster's default). */
  capacity?: StrategyItem[];
}

/** What a service's scheduler launches for one of its deployments. */
export interface ServiceLaunchInput {
  cluster: string;
  serviceName: string;
  taskDefinition: string;
  /** The deployment's id: the tasks' startedBy. */
  deploymentId: string;
  networkConfiguration?: NetworkConfiguration;
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  /** The tags the tasks get (the service's or the task definition's, when propagateTags says so). */
  tags: Tag[];
  enableECSManagedTags: boolean;
  enableExecuteCommand: boolean;
  /** The service's launch type or capacity provider strategy, and platform version (Fargate). */
  launchType?: string;
  capacityProviderStrategy?: StrategyItem[];
  platformVersion?: string;
}

export type { Launch as TaskLaunch };

/** Drains a stopping task's load balancer targets (in the caller's transaction); when they will have drained, or undefined without targets. */
export type StopDrain = (tx: Tx, taskArn: string, now: number) => Promise<number | undefined>;

interface LaunchInput {
  cluster?: string;
  taskDefinition?: string;
  overrides?: TaskOverride;
  group?: string;
  startedBy?: string;
  referenceId?: string;
  tags?: Tag[];
  propagateTags?: string;
  enableECSManagedTags?: boolean;
  enableExecuteCommand?: boolean;
  networkConfiguration?: NetworkConfiguration;
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  volumeConfigurations?: unknown[];
  platformVersion?: string;
}

/** A task reference (ARN, old-format ARN or id) → the task's ARN in the cluster's long format. */
export function taskArnOf(scope: Scope, clusterName: string, ref: string): string {
  if (ref.startsWith('arn:')) {
    const arn = parseArn(ref);
    if (!arn || arn.service !== 'ecs' || arn.resourceType !== 'task') throw invalid(`'${ref}' is not a valid task ARN.`);
    return arn.resource.includes('/') ? ref : taskArn({ accountId: arn.accountId, region: arn.region }, clusterName, arn.resource);
  }
  return taskArn(scope, clusterName, ref);
}

const ms = (t: number | undefined) => (t === undefined ? undefined : new Date(t));

function dnsName(region: string, address: string): string {
  const host = `ip-${address.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

function macAddress(): string {
  const b = randomBytes(5);
  // 0a: a locally administered unicast address, as EC2 hands out.
  return ['0a', ...[...b].map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

/** The task on the wire, as DescribeTasks shows it. */
export function toTask(b: TaskBody, version: number, tags?: Tag[]): Task {
  const attachments: Attachment[] = b.eni
    ? [
        {
          id: b.eni.attachmentId,
          type: 'ElasticNetworkInterface',
          status: b.eni.status,
          details: [
            { name: 'subnetId', value: b.eni.subnetId },
            { name: 'networkInterfaceId', value: b.eni.networkInterfaceId },
            { name: 'macAddress', value: b.eni.macAddress },
            { name: 'privateDnsName', value: b.eni.privateDnsName },
            { name: 'privateIPv4Address', value: b.eni.privateIPv4Address },
          ],
        },
      ]
    : [];
  const containers: Container[] = b.containers.map((c) => ({
    containerArn: c.containerArn,
    taskArn: b.taskArn,
    name: c.name,
    image: c.image,
    imageDigest: c.imageDigest,
    runtimeId: c.runtimeId,
    lastStatus: c.lastStatus,
    exitCode: c.exitCode,
    reason: c.reason,
    networkBindings: c.networkBindings,
    networkInterfaces: b.eni ? [{ attachmentId: b.eni.attachmentId, privateIpv4Address: b.eni.privateIPv4Address }] : [],
    healthStatus: c.healthStatus,
    cpu: c.cpu,
    memory: c.memory,
    memoryReservation: c.memoryReservation,
  }));
  const task: Task = {
    attachments,
    attributes: b.attributes,
    availabilityZone: b.availabilityZone,
    clusterArn: b.clusterArn,
    connectivity: b.connectivity as Task['connectivity'],
    connectivityAt: ms(b.connectivityAt),
    // A Fargate task runs on capacity nobody addresses: AWS shows no container instance.
    containerInstanceArn: b.launchType === 'FARGATE' ? undefined : b.containerInstanceArn,
    capacityProviderName: b.capacityProviderName,
    platformVersion: b.platformVersion,
    platformFamily: b.platformFamily,
    ephemeralStorage: b.ephemeralStorageGiB === undefined ? undefined : { sizeInGiB: b.ephemeralStorageGiB },
    containers,
    cpu: b.cpu,
    createdAt: new Date(b.createdAt),
    desiredStatus: b.desiredStatus,
    enableExecuteCommand: b.enableExecuteCommand,
    executionStoppedAt: ms(b.executionStoppedAt),
    group: b.group,
    healthStatus: b.healthStatus,
    // ECS's DEACTIVATING: desired STOPPED, draining out of its load balancers, still running.
    lastStatus: b.deactivateUntil !== undefined && b.lastStatus === 'RUNNING' ? 'DEACTIVATING' : b.lastStatus,
    launchType: b.launchType as Task['launchType'],
    memory: b.memory,
    overrides: b.overrides,
    pullStartedAt: ms(b.pullStartedAt),
    pullStoppedAt: ms(b.pullStoppedAt),
    startedAt: ms(b.startedAt),
    startedBy: b.startedBy,
    stopCode: b.stopCode as Task['stopCode'],
    stoppedAt: ms(b.stoppedAt),
    stoppedReason: b.stoppedReason,
    stoppingAt: ms(b.stoppingAt),
    taskArn: b.taskArn,
    taskDefinitionArn: b.taskDefinitionArn,
    version,
  };
  if (tags) task.tags = tags;
  return task;
}

/** The desired state an agent works from. */
export function toAssignment(b: TaskBody, version: number, td: TaskDefinition): TaskAssignment {
  const cpu = parseTaskCpu(b.overrides.cpu ?? td.cpu);
  const memory = parseTaskMemory(b.overrides.memory ?? td.memory);
  const a: TaskAssignment = {
    taskArn: b.taskArn,
    clusterArn: b.clusterArn,
    containerInstanceArn: b.containerInstanceArn!,
    version,
    // A task still draining out of its load balancers keeps running until its targets have drained.
    desiredStatus: b.desiredStatus === 'STOPPED' && b.deactivateUntil === undefined ? 'STOPPED' : 'RUNNING',
    launchType: b.launchType as TaskAssignment['launchType'],
    taskDefinition: td,
    overrides: b.overrides,
    createdAt: b.createdAt,
    group: b.group,
    containerArns: Object.fromEntries(b.containers.map((c) => [c.name, c.containerArn])),
  };
  if (cpu !== undefined) a.cpu = String(cpu);
  if (memory !== undefined) a.memory = String(memory);
  if (b.eni) {
    a.privateIPv4Address = b.eni.privateIPv4Address;
    a.attachmentId = b.eni.attachmentId;
  }
  if (b.stopCode) a.stopCode = b.stopCode;
  if (b.stoppedReason) a.stoppedReason = b.stoppedReason;
  if (b.startedBy) a.startedBy = b.startedBy;
  return a;
}

/** A cluster's registered instances (ACTIVE and DRAINING: draining ones take nothing new but count when spreading), oldest first. */
async function clusterInstances(tx: Tx, clusterArn: string) {
  const rows = await tx
    .selectFrom('container_instances')
    .selectAll()
    .where('cluster_arn', '=', clusterArn)
    .where('status', '<>', 'INACTIVE')
    .orderBy('registered_at')
    .orderBy('arn')
    .execute();
  return rows.map(toInstanceRecord);
}

/** What placement is asked for one task: its reservation, ENI, group, the task definition's required attributes and the constraints. */
function placementRequestOf(td: TaskDefinition, reservation: Reservation, eni: boolean, group: string, constraints: Constraint[]): PlacementRequest {
  return {
    // berth does not account for GPUs yet (instance-resources keeps them as registered): no GPU demand.
    demand: { cpu: reservation.cpu, memory: reservation.memory, ports: reservation.ports, portsUdp: reservation.portsUdp, eni, gpus: 0 },
    group,
    requiresAttributes: (td.requiresAttributes ?? []).map((a) => ({ name: a.name!, value: a.value })),
    constraints,
  };
}

/** One task of a launch: where it runs (none: it waits for its capacity provider) and the provider that placed it. */
interface Placed {
  instance?: InstanceRecord;
  provider?: string;
}

interface Placement {
  placed: Placed[];
  failures: Failure[];
}

async function insertTask(tx: Tx, scope: Scope, body: TaskBody, now: number): Promise<void> {
  await tx
    .insertInto('tasks')
    .values({
      arn: body.taskArn,
      account_id: scope.accountId,
      region: scope.region,
      cluster_arn: body.clusterArn,
      container_instance_arn: body.containerInstanceArn ?? null,
      family: body.family,
      task_definition_arn: body.taskDefinitionArn,
      started_by: body.startedBy ?? null,
      group_name: body.group,
      service_name: body.serviceName ?? null,
      desired_status: body.desiredStatus,
      last_status: body.lastStatus,
      launch_type: body.launchType,
      private_ipv4_address: body.eni?.privateIPv4Address ?? null,
      attachment_id: body.eni?.attachmentId ?? null,
      created_at: now,
      version: 1,
      body: JSON.stringify(body),
    })
    .execute();
}

/** FARGATE_SPOT tasks desired RUNNING that have not stopped (with `running`, only those RUNNING), of one cluster or of all, in ARN order. */
async function spotTasks(tx: Tx, opts: { clusterArn?: string; running?: boolean }): Promise<TaskRecord[]> {
  let q = tx.selectFrom('tasks').selectAll().where('launch_type', '=', 'FARGATE').where('desired_status', '=', 'RUNNING');
  if (opts.clusterArn !== undefined) q = q.where('cluster_arn', '=', opts.clusterArn);
  q = opts.running ? q.where('last_status', '=', 'RUNNING') : q.where('last_status', '<>', 'STOPPED');
  const rows = await q.orderBy('arn').execute();
  return rows.map((row) => ({ row, body: JSON.parse(row.body) as TaskBody })).filter((t) => t.body.capacityProviderName === 'FARGATE_SPOT');
}

/** A service's live tasks (desired RUNNING) per capacity provider: what its strategy's split counts from. */
async function serviceProviderCounts(tx: Tx, clusterArn: string, serviceName: string): Promise<Map<string, number>> {
  const rows = await tx
    .selectFrom('tasks')
    .select('body')
    .where('cluster_arn', '=', clusterArn)
    .where('service_name', '=', serviceName)
    .where('desired_status', '=', 'RUNNING')
    .execute();
  const out = new Map<string, number>();
  for (const r of rows) {
    const provider = (JSON.parse(r.body) as TaskBody).capacityProviderName;
    if (provider) out.set(provider, (out.get(provider) ?? 0) + 1);
  }
  return out;
}

async function readTask(tx: Tx, arn: string): Promise<TaskRecord | undefined> {
  const row = await tx.selectFrom('tasks').selectAll().where('arn', '=', arn).executeTakeFirst();
  return row && { row, body: JSON.parse(row.body) as TaskBody };
}

/** Writes a task back (its instance too: a waiting task gets one when placed) if nobody changed it since it was read; returns its new version. */
async function saveTask(tx: Tx, read: TaskRecord, body: TaskBody): Promise<number> {
  const version = read.row.version + 1;
  const result = await tx
    .updateTable('tasks')
    .set({ container_instance_arn: body.containerInstanceArn ?? null, desired_status: body.desiredStatus, last_status: body.lastStatus, body: JSON.stringify(body), version })
    .where('arn', '=', read.row.arn)
    .where('version', '=', read.row.version)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new VersionConflict(`task ${read.row.arn}`);
  return version;
}

/** The lowest 127.1.x.y address no live task holds (inside the launching transaction). */
async function freeAddresses(tx: Tx): Promise<() => string> {
  const rows = await tx
    .selectFrom('tasks')
    .select('private_ipv4_address')
    .where('private_ipv4_address', 'is not', null)
    .where('last_status', '<>', 'STOPPED')
    .execute();
  const used = new Set(rows.map((r) => r.private_ipv4_address!));
  let x = 0;
  let y = 1;
  return () => {
    for (; x < 256; x++, y = 1) {
      for (; y < 255; y++) {
        const address = `127.1.${x}.${y}`;
        if (!used.has(address)) {
          used.add(address);
          return address;
        }
      }
    }
    throw new AwsError('ServerException', 'Every task address (127.1.0.1 – 127.1.255.254) is held by a task that has not stopped.', { status: 500 });
  };
}

export class Tasks implements InstanceTaskStopper {
  #notifier: AgentNotifier = silentNotifier;
  #serviceTaskListener: (change: { clusterArn: string; serviceName: string }) => void = () => {};
  #drainTargets: StopDrain = async () => undefined;

  constructor(
    readonly store: Store,
    readonly clusters: Clusters,
    readonly taskDefinitions: TaskDefinitions,
  ) {}

  /** The load balancers' part in a stop: drains the task's targets and says until when (undefined: no target). */
  setStopDrain(drain: StopDrain): void {
    this.#drainTargets = drain;
  }

  /**
   * Sets a task's desired status to STOPPED in `body`. A task with load
   * balancer targets keeps running while they drain (deactivateUntil); the
   * agent is told only when they have (release).
   */
  async #desireStopped(tx: Tx, body: TaskBody, now: number): Promise<TaskBody> {
    // A task still waiting for capacity has no agent to stop it: it is stopped here and now.
    if (!body.containerInstanceArn) return { ...body, lastStatus: 'STOPPED', stoppedAt: now, executionStoppedAt: now };
    const until = body.lastStatus === 'RUNNING' ? await this.#drainTargets(tx, body.taskArn, now) : undefined;
    return until !== undefined && until > now ? { ...body, deactivateUntil: until } : body;
  }

  /** A draining task's targets have drained (or its time is up): its agent may stop it now. */
  async release(arn: string): Promise<void> {
    let assignment: TaskAssignment | undefined;
    await retryOnConflict(() =>
      this.store.transaction(async (tx) => {
        assignment = undefined;
        const t = await readTask(tx, arn);
        if (!t || t.body.deactivateUntil === undefined) return;
        const { deactivateUntil: _, ...body } = t.body;
        const version = await saveTask(tx, t, body);
        const td = await readTaskDefinition(tx, body.taskDefinitionArn);
        if (td && body.containerInstanceArn) assignment = toAssignment(body, version, td);
      }),
    );
    if (assignment) this.#notify([assignment]);
  }

  /** Draining tasks whose time is up (their targets went with a deleted target group, or berth was down): released. */
  async releaseOverdue(now: number): Promise<number> {
    const rows = await this.store.db
      .selectFrom('tasks')
      .select(['arn', 'body'])
      .where('desired_status', '=', 'STOPPED')
      .where('last_status', '<>', 'STOPPED')
      .where('body', 'like', '%"deactivateUntil"%')
      .execute();
    let n = 0;
    for (const r of rows) {
      const until = (JSON.parse(r.body) as TaskBody).deactivateUntil;
      if (until !== undefined && until <= now) {
        await this.release(r.arn);
        n++;
      }
    }
    return n;
  }

  /** The agent hub, once it exists (it needs Tasks itself, so it comes second). */
  setNotifier(notifier: AgentNotifier): void {
    this.#notifier = notifier;
  }

  /** Tells each assignment's agent, one message per instance. */
  #notify(assignments: TaskAssignment[]): void {
    const byInstance = new Map<string, TaskAssignment[]>();
    for (const a of assignments) byInstance.set(a.containerInstanceArn, [...(byInstance.get(a.containerInstanceArn) ?? []), a]);
    for (const [instance, tasks] of byInstance) {
      try {
        this.#notifier.tasksChanged(instance, tasks);
      } catch {
        // Best effort: the agent gets its full state when it reconnects.
      }
    }
  }

  // ── launching ────────────────────────────────────────────────────────────

  async #prepare(scope: Scope, cluster: ClusterRecord, input: LaunchInput, opts: { startedByMax: number; inactiveTaskDefinition?: boolean; capacity: CapacityChoice; caller?: 'RunTask' | 'CreateService' }): Promise<Launch> {
    if (input.startedBy !== undefined && (input.startedBy.length > opts.startedByMax || !STARTED_BY.test(input.startedBy))) {
      throw invalid(`startedBy can have up to ${opts.startedByMax} letters (uppercase and lowercase), numbers, hyphens (-), forward slashes (/), and underscores (_).`);
    }
    if (input.group !== undefined && (input.group.length < 1 || input.group.length > 255)) throw invalid('group must have between 1 and 255 characters.');
    if (input.volumeConfigurations?.length) throw invalid('berth does not attach Amazon EBS volumes (volumeConfigurations) to tasks.');
    checkTags(input.tags);
    const td = await this.taskDefinitions.get(scope, input.taskDefinition ?? '');
    // A service keeps running (and replacing) tasks of a revision deregistered after it was deployed.
    if (td.status !== 'ACTIVE' && !opts.inactiveTaskDefinition) throw invalid('TaskDefinition is inactive');
    const launchType = opts.capacity.launchType;
    const overrides = normaliseOverrides(td, input.overrides);
    let fargate: FargateLaunch | undefined;
    if (launchType === 'FARGATE') {
      fargate = checkFargateLaunch({
        td,
        overrides,
        platformVersion: input.platformVersion,
        networkConfiguration: input.networkConfiguration,
        placementConstraints: input.placementConstraints,
        placementStrategy: input.placementStrategy,
        caller: opts.caller,
      });
    } else {
      if (td.requiresCompatibilities?.length && !td.requiresCompatibilities.includes('EC2')) throw invalid('Task definition does not support launch_type EC2.');
      if (input.platformVersion !== undefined) throw invalid('The platform version must be null when specifying an EC2 launch type.');
    }

    const awsvpc = td.networkMode === 'awsvpc';
    const net = input.networkConfiguration?.awsvpcConfiguration;
    if (awsvpc && !net) throw invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    if (!awsvpc && input.networkConfiguration) throw invalid('Network Configuration is not valid for the given networkMode of this task definition.');
    if (awsvpc && !net!.subnets?.length) throw invalid('subnets can not be empty.');

    let strategy: Strategy[];
    let constraints: Constraint[];
    try {
      strategy = parseStrategies(input.placementStrategy, RUN_TASK_DEFAULT_STRATEGY);
      constraints = parseConstraints(td.placementConstraints, input.placementConstraints);
    } catch (e) {
      if (e instanceof PlacementInputError) throw invalid(e.message);
      throw e;
    }

    let tags = input.tags ?? [];
    if (input.propagateTags === 'SERVICE') throw invalid('The SERVICE option of propagateTags is only valid for tasks that a service starts.');
    if (input.propagateTags === 'TASK_DEFINITION') {
      const fromTd = (await listTags(this.store.db, td.taskDefinitionArn!)).filter((t) => !tags.some((x) => x.key === t.key));
      tags = [...fromTd, ...tags];
      if (tags.length > 50) throw invalid(`A task can have at most 50 tags; with the task definition's it would have ${tags.length}.`);
    }
    return {
      cluster,
      td,
      overrides,
      // A Fargate task takes nothing from the pool instance it runs on: its size is its own limit.
      reservation: fargate ? { cpu: 0, memory: 0, ports: [], portsUdp: [] } : reservationOf(td, overrides),
      launchType,
      fargate,
      capacity: opts.capacity.strategy,
      group: input.group ?? `family:${td.family}`,
      startedBy: input.startedBy,
      referenceId: input.referenceId,
      tags,
      managedTags: input.enableECSManagedTags ? [{ key: 'aws:ecs:clusterName', value: cluster.body.clusterName }] : [],
      enableExecuteCommand: input.enableExecuteCommand ?? false,
      subnetId: awsvpc ? net!.subnets![0] : undefined,
      constraints,
      strategy,
    };
  }

  /** A new task; without an instance it waits (PROVISIONING) for its capacity provider to add one. */
  #newTask(scope: Scope, l: Launch, instance: InstanceRecord | undefined, provider: string | undefined, address: string | undefined, now: number): TaskBody {
    const id = randomBytes(16).toString('hex');
    const arn = taskArn(scope, l.cluster.body.clusterName, id);
    const size = l.fargate ? { cpu: l.fargate.cpu, memory: l.fargate.memory } : taskSize(l.td, l.overrides);
    const attr = (name: string) => instance?.body.attributes.find((a) => a.name === name)?.value;
    const arch = attr('ecs.cpu-architecture');
    const attributes: Attribute[] = arch ? [{ name: 'ecs.cpu-architecture', value: arch }] : [];
    const body: TaskBody = {
      taskArn: arn,
      clusterArn: l.cluster.arn,
      clusterName: l.cluster.body.clusterName,
      containerInstanceArn: instance?.arn,
      taskDefinitionArn: l.td.taskDefinitionArn!,
      family: l.td.family!,
      overrides: l.overrides,
      // An awsvpc task waits for its network interface first, as on ECS.
      lastStatus: address || !instance ? 'PROVISIONING' : 'PENDING',
      desiredStatus: 'RUNNING',
      launchType: l.launchType,
      cpu: String(size.cpu),
      memory: String(size.memory),
      group: l.group,
      startedBy: l.startedBy,
      referenceId: l.referenceId,
      serviceName: l.serviceName,
      enableExecuteCommand: l.enableExecuteCommand,
      availabilityZone: attr('ecs.availability-zone') ?? (instance ? undefined : `${scope.region}a`),
      attributes,
      healthStatus: 'UNKNOWN',
      createdAt: now,
      containers: containerSizes(l.td, l.overrides).map((c) => ({
        name: c.name,
        containerArn: containerArn(scope, l.cluster.body.clusterName, id, randomUUID()),
        image: c.image,
        lastStatus: 'PENDING',
        networkBindings: [],
        healthStatus: 'UNKNOWN',
        cpu: String(c.cpu),
        memory: c.memory === undefined ? undefined : String(c.memory),
        memoryReservation: c.memoryReservation === undefined ? undefined : String(c.memoryReservation),
      })),
      reservation: l.reservation,
    };
    if (provider) body.capacityProviderName = provider;
    if (l.fargate) {
      body.platformVersion = l.fargate.platformVersion;
      body.platformFamily = l.fargate.platformFamily;
      body.ephemeralStorageGiB = l.fargate.ephemeralStorageGiB;
      body.attributes = [{ name: 'ecs.cpu-architecture', value: l.fargate.cpuArchitecture === 'ARM64' ? 'arm64' : 'x86_64' }];
    }
    if (address) {
      body.eni = {
        attachmentId: randomUUID(),
        status: 'PRECREATED',
        subnetId: l.subnetId!,
        networkInterfaceId: `eni-${randomBytes(9).toString('hex').slice(0, 17)}`,
        macAddress: macAddress(),
        privateDnsName: dnsName(scope.region, address),
        privateIPv4Address: address,
      };
    }
    return body;
  }

  /** What placement is asked for each task of the launch. */
  #placementRequest(l: Launch): PlacementRequest {
    return placementRequestOf(l.td, l.reservation, l.subnetId !== undefined, l.group, l.constraints);
  }

  /**
   * Places and commits, as one transaction: `choose` reads what it considers
   * and decides where each task goes; every instance that receives tasks is
   * written back only if its version is still the one read, else the whole
   * attempt runs again on fresh reads.
   */
  async #launch(scope: Scope, l: Launch, now: number, choose: (tx: Tx) => Promise<Placement>): Promise<{ tasks: Task[]; failures: Failure[] }> {
    const { bodies, failures } = await retryOnConflict(() =>
      this.store.transaction(async (tx) => {
        const { placed, failures } = await choose(tx);
        return { bodies: await this.#commit(tx, scope, l, placed, now), failures };
      }),
    );
    this.#notifyLaunched(l, bodies);
    const tags = [...l.tags, ...l.managedTags];
    return { tasks: bodies.map((b) => toTask(b, 1, tags)), failures };
  }

  /**
   * Where `count` tasks of a launch go, inside `tx`: FARGATE → the Fargate
   * pool; EC2 without a strategy → placement over the cluster's instances;
   * EC2 capacity providers → each provider's tasks over its own instances,
   * and what none of them can take waits (PROVISIONING) for it to scale out.
   */
  async #place(tx: Tx, scope: Scope, l: Launch, count: number, providers: string[] | undefined): Promise<Placement> {
    if (l.launchType === 'FARGATE') {
      const instances = await choosePoolInstances(tx, scope, count);
      if (!instances.length) return { placed: [], failures: Array.from({ length: count }, () => ({ reason: NO_FARGATE_CAPACITY })) };
      return { placed: instances.map((instance, i) => ({ instance, provider: providers?.[i] })), failures: [] };
    }
    // DRAINING instances take nothing new, but their tasks still count when spreading.
    const recs = await clusterInstances(tx, l.cluster.arn);
    const byArn = new Map(recs.map((r) => [r.arn, r]));
    const request = { ...this.#placementRequest(l), strategy: l.strategy };
    if (!providers) {
      const plan = placeTasks(await instanceSnapshots(tx, recs), { ...request, count }, { random: Math.random });
      return { placed: plan.placements.map((arn) => ({ instance: byArn.get(arn)! })), failures: plan.failures };
    }
    const placed: Placed[] = [];
    const wanted = new Map<string, number>();
    for (const p of providers) wanted.set(p, (wanted.get(p) ?? 0) + 1);
    for (const [provider, n] of wanted) {
      const own = recs.filter((r) => r.body.capacityProviderName === provider);
      const plan = placeTasks(await instanceSnapshots(tx, own), { ...request, count: n }, { random: Math.random });
      placed.push(...plan.placements.map((arn) => ({ instance: byArn.get(arn)!, provider })));
      for (let k = plan.placements.length; k < n; k++) placed.push({ provider });
    }
    return { placed, failures: [] };
  }

  /** Reserves what the placed tasks take on each instance (version-checked) and inserts the tasks, inside `tx`. */
  async #commit(tx: Tx, scope: Scope, l: Launch, placed: Placed[], now: number): Promise<TaskBody[]> {
    if (l.launchType === 'EC2') {
      const taken = new Map<string, { rec: InstanceRecord; n: number }>();
      for (const p of placed) {
        if (!p.instance) continue;
        const t = taken.get(p.instance.arn) ?? { rec: p.instance, n: 0 };
        t.n++;
        taken.set(p.instance.arn, t);
      }
      for (const { rec, n } of taken.values()) {
        let remaining = rec.body.remaining;
        for (let i = 0; i < n; i++) remaining = reserve(remaining, l.reservation);
        await saveInstance(tx, rec, { body: { ...rec.body, remaining } });
      }
    }
    const nextAddress = l.subnetId !== undefined ? await freeAddresses(tx) : undefined;
    const bodies: TaskBody[] = [];
    for (const p of placed) {
      const body = this.#newTask(scope, l, p.instance, p.provider, nextAddress?.(), now);
      await insertTask(tx, scope, body, now);
      await addTags(tx, body.taskArn, l.tags);
      await addManagedTags(tx, body.taskArn, l.managedTags);
      bodies.push(body);
    }
    return bodies;
  }

  /** Tells the agents of the placed tasks (a task waiting for capacity has none yet). */
  #notifyLaunched(l: Launch, bodies: TaskBody[]): void {
    this.#notify(bodies.filter((b) => b.containerInstanceArn).map((b) => toAssignment(b, 1, l.td)));
  }

  async run(scope: Scope, input: RunTaskCommandInput, now: number): Promise<{ tasks: Task[]; failures: Failure[] }> {
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > MAX_RUN_COUNT) throw invalid(`count must be between 1 and ${MAX_RUN_COUNT}.`);
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const capacity = chooseCapacity(cluster, input);
    const l = await this.#prepare(scope, cluster, input, { startedByMax: 128, capacity, caller: 'RunTask' });
    // RunTask splits its own count by the strategy's base and weights.
    const providers = capacity.strategy ? assignProviders(capacity.strategy, new Map(), count) : undefined;
    return this.#launch(scope, l, now, async (tx) => {
      if (l.launchType === 'EC2' && !providers) {
        const recs = await clusterInstances(tx, l.cluster.arn);
        if (!recs.some((r) => r.status === 'ACTIVE')) throw invalid('No Container Instances were found in your cluster.');
      }
      return this.#place(tx, scope, l, count, providers);
    });
  }

  async start(scope: Scope, input: StartTaskCommandInput, now: number): Promise<{ tasks: Task[]; failures: Failure[] }> {
    const refs = input.containerInstances ?? [];
    if (!refs.length) throw invalid('containerInstances can not be empty.');
    if (refs.length > 10) throw invalid('containerInstances can have at most 10 items.');
    const l = await this.#prepare(scope, await this.clusters.resolve(scope, input.cluster), input, { startedByMax: 128, capacity: { launchType: 'EC2' } });
    return this.#launch(scope, l, now, async (tx) => {
      const arns = refs.map((ref) => instanceArnOf(scope, l.cluster.body.clusterName, ref));
      // The named instances of this cluster, deregistered ones too (placement answers INACTIVE for them, MISSING for the rest).
      const records = new Map<string, InstanceRecord>();
      for (const arn of new Set(arns)) {
        const rec = await readInstance(tx, arn);
        if (rec && rec.clusterArn === l.cluster.arn && rec.accountId === scope.accountId && rec.region === scope.region) records.set(arn, rec);
      }
      const plan = placeOnInstances(await instanceSnapshots(tx, [...records.values()]), this.#placementRequest(l), arns, { random: Math.random });
      return { placed: plan.placements.map((arn) => ({ instance: records.get(arn)! })), failures: plan.failures };
    });
  }

  // ── a service's launches (the reconciler commits them in its own transaction) ──

  /** Checks and resolves what a service deployment's tasks are launched with (reads only; once per reconcile pass). */
  async serviceLaunch(scope: Scope, input: ServiceLaunchInput): Promise<Launch> {
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const capacity = chooseCapacity(cluster, { launchType: input.launchType, capacityProviderStrategy: input.capacityProviderStrategy });
    const l = await this.#prepare(
      scope,
      cluster,
      {
        taskDefinition: input.taskDefinition,
        group: `service:${input.serviceName}`,
        startedBy: input.deploymentId,
        tags: input.tags,
        enableECSManagedTags: input.enableECSManagedTags,
        enableExecuteCommand: input.enableExecuteCommand,
        networkConfiguration: input.networkConfiguration,
        placementConstraints: input.placementConstraints,
        placementStrategy: capacity.launchType === 'FARGATE' ? input.placementStrategy : undefined,
        platformVersion: input.platformVersion,
      },
      { startedByMax: 128, inactiveTaskDefinition: true, capacity, caller: 'CreateService' },
    );
    let strategy: Strategy[];
    try {
      strategy = parseStrategies(l.launchType === 'FARGATE' ? undefined : input.placementStrategy, SERVICE_DEFAULT_STRATEGY);
    } catch (e) {
      if (e instanceof PlacementInputError) throw invalid(e.message);
      throw e;
    }
    const managedTags = l.managedTags.length ? [...l.managedTags, { key: 'aws:ecs:serviceName', value: input.serviceName }] : [];
    return { ...l, strategy, managedTags, serviceName: input.serviceName };
  }

  /**
   * Places and inserts `count` tasks of a service inside the caller's
   * transaction, with the same version checks as RunTask; `notify` tells the
   * agents once that transaction has committed. A service with a capacity
   * provider strategy splits its tasks by base and weight over all of its
   * live tasks, as ECS does.
   */
  async launchIn(tx: Tx, scope: Scope, l: Launch, count: number, now: number): Promise<{ tasks: TaskBody[]; failures: Failure[]; notify: () => void }> {
    const providers = l.capacity ? assignProviders(l.capacity, await serviceProviderCounts(tx, l.cluster.arn, l.serviceName!), count) : undefined;
    const { placed, failures } = await this.#place(tx, scope, l, count, providers);
    const bodies = await this.#commit(tx, scope, l, placed, now);
    return { tasks: bodies, failures, notify: () => this.#notifyLaunched(l, bodies) };
  }

  /** A DAEMON service's launch: one task on each of the named instances (as StartTask places), inside the caller's transaction. */
  async launchOnIn(tx: Tx, scope: Scope, l: Launch, instanceArns: string[], now: number): Promise<{ tasks: TaskBody[]; failures: Failure[]; notify: () => void }> {
    const records = new Map<string, InstanceRecord>();
    for (const arn of new Set(instanceArns)) {
      const rec = await readInstance(tx, arn);
      if (rec && rec.clusterArn === l.cluster.arn) records.set(arn, rec);
    }
    const plan = placeOnInstances(await instanceSnapshots(tx, [...records.values()]), this.#placementRequest(l), instanceArns, { random: Math.random });
    const bodies = await this.#commit(tx, scope, l, plan.placements.map((arn) => ({ instance: records.get(arn)! })), now);
    return { tasks: bodies, failures: plan.failures, notify: () => this.#notifyLaunched(l, bodies) };
  }

  /** Sets a service task's desired status to STOPPED inside the caller's transaction; `notify` tells its agent after commit. */
  async stopIn(tx: Tx, arn: string, reason: string, now: number): Promise<() => void> {
    const t = await readTask(tx, arn);
    if (!t || t.body.desiredStatus === 'STOPPED' || t.body.lastStatus === 'STOPPED') return () => {};
    const body = await this.#desireStopped(
      tx,
      { ...t.body, desiredStatus: 'STOPPED', stopCode: t.body.stopCode ?? 'ServiceSchedulerInitiated', stoppedReason: t.body.stoppedReason ?? reason, stoppingAt: t.body.stoppingAt ?? now },
      now,
    );
    const version = await saveTask(tx, t, body);
    const td = await readTaskDefinition(tx, body.taskDefinitionArn);
    const assignment = td && body.containerInstanceArn && body.deactivateUntil === undefined ? toAssignment(body, version, td) : undefined;
    return () => {
      if (assignment) this.#notify([assignment]);
    };
  }

  /** Called after every committed report that changed a service's task (the reconciler looks again). */
  onServiceTaskChange(listener: (change: { clusterArn: string; serviceName: string }) => void): void {
    this.#serviceTaskListener = listener;
  }

  // ── stopping ─────────────────────────────────────────────────────────────

  async stop(scope: Scope, input: { cluster?: string; task?: string; reason?: string }, now: number): Promise<Task> {
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const arn = taskArnOf(scope, cluster.body.clusterName, input.task ?? '');
    if (input.reason !== undefined && input.reason.length > 1024) throw invalid('reason can have at most 1024 characters.');
    let assignment: TaskAssignment | undefined;
    const out = await retryOnConflict(() =>
      this.store.transaction(async (tx) => {
        assignment = undefined;
        const t = await readTask(tx, arn);
        if (!t || t.row.cluster_arn !== cluster.arn) throw taskNotFound();
        if (t.body.desiredStatus === 'STOPPED' || t.body.lastStatus === 'STOPPED') return toTask(t.body, t.row.version);
        const body = await this.#desireStopped(
          tx,
          {
            ...t.body,
            desiredStatus: 'STOPPED',
            stopCode: t.body.stopCode ?? 'UserInitiated',
            stoppedReason: t.body.stoppedReason ?? (input.reason || 'Task stopped by user'),
            stoppingAt: t.body.stoppingAt ?? now,
          },
          now,
        );
        const version = await saveTask(tx, t, body);
        const td = await readTaskDefinition(tx, body.taskDefinitionArn);
        if (td && body.containerInstanceArn && body.deactivateUntil === undefined) assignment = toAssignment(body, version, td);
        return toTask(body, version);
      }),
    );
    if (assignment) this.#notify([assignment]);
    return out;
  }

  /**
   * `berth fargate interrupt`: picks `count` (or `percent` %, rounded up) of the
   * cluster's running FARGATE_SPOT tasks at random and interrupts them as AWS
   * does: the two-minute warning now, SIGTERM, then STOPPED with stopCode
   * SpotInterruption. Returns the tasks it interrupted.
   */
  async interruptSpot(scope: Scope, input: { cluster?: string; count?: number; percent?: number }, now: number): Promise<Task[]> {
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const assignments: TaskAssignment[] = [];
    const services = new Set<string>();
    const out = await retryOnConflict(() =>
      this.store.transaction(async (tx) => {
        assignments.length = 0;
        services.clear();
        const spot = await spotTasks(tx, { clusterArn: cluster.arn });
        const n = Math.min(spot.length, input.count ?? Math.ceil(((input.percent ?? 0) * spot.length) / 100));
        const chosen = shuffled(spot).slice(0, n);
        const tasks: Task[] = [];
        for (const t of chosen) {
          // The two-minute warning: the task is told to stop now (SIGTERM, then SIGKILL after its stopTimeout, at most 120 s on Fargate).
          const body = await this.#desireStopped(
            tx,
            { ...t.body, desiredStatus: 'STOPPED', stopCode: 'SpotInterruption', stoppedReason: SPOT_INTERRUPTED, stoppingAt: now, spotInterruptedAt: now },
            now,
          );
          const version = await saveTask(tx, t, body);
          const td = await readTaskDefinition(tx, body.taskDefinitionArn);
          if (td && body.containerInstanceArn && body.deactivateUntil === undefined) assignments.push(toAssignment(body, version, td));
          if (body.serviceName) services.add(body.serviceName);
          tasks.push(toTask(body, version));
        }
        return tasks;
      }),
    );
    this.#notify(assignments);
    for (const serviceName of services) this.#serviceTaskListener({ clusterArn: cluster.arn, serviceName });
    return out;
  }

  /** The clusters with RUNNING FARGATE_SPOT tasks, and how many each has (what an interruption rate draws from). */
  async runningSpotTasks(): Promise<{ scope: Scope; clusterArn: string; count: number }[]> {
    const byCluster = new Map<string, { scope: Scope; clusterArn: string; count: number }>();
    for (const t of await spotTasks(this.store.db, { running: true })) {
      const c = byCluster.get(t.row.cluster_arn) ?? { scope: { accountId: t.row.account_id, region: t.row.region }, clusterArn: t.row.cluster_arn, count: 0 };
      c.count++;
      byCluster.set(t.row.cluster_arn, c);
    }
    return [...byCluster.values()];
  }

  /**
   * Tasks waiting (PROVISIONING, no instance) for an EC2 capacity provider's
   * instances: each is placed on one of its provider's instances that can now
   * take it, oldest first. Returns how many were placed. The instance pool
   * calls this after it adds capacity.
   */
  async placeWaiting(): Promise<number> {
    const waiting = await this.store.db
      .selectFrom('tasks')
      .select('arn')
      .where('last_status', '=', 'PROVISIONING')
      .where('desired_status', '=', 'RUNNING')
      .where('container_instance_arn', 'is', null)
      .orderBy('created_at')
      .orderBy('arn')
      .execute();
    let placed = 0;
    for (const { arn } of waiting) {
      const assignment = await retryOnConflict(() =>
        this.store.transaction(async (tx) => {
          const t = await readTask(tx, arn);
          if (!t || t.row.container_instance_arn || t.body.desiredStatus !== 'RUNNING' || !t.body.capacityProviderName) return undefined;
          const td = await readTaskDefinition(tx, t.body.taskDefinitionArn);
          if (!td) return undefined;
          const own = (await clusterInstances(tx, t.row.cluster_arn)).filter((r) => r.body.capacityProviderName === t.body.capacityProviderName);
          const plan = placeTasks(
            await instanceSnapshots(tx, own),
            {
              ...placementRequestOf(td, t.body.reservation, !!t.body.eni, t.body.group, parseConstraints(td.placementConstraints, undefined)),
              count: 1,
              strategy: t.body.serviceName ? SERVICE_DEFAULT_STRATEGY : RUN_TASK_DEFAULT_STRATEGY,
            },
            { random: Math.random },
          );
          const instance = own.find((r) => r.arn === plan.placements[0]);
          if (!instance) return undefined;
          await saveInstance(tx, instance, { body: { ...instance.body, remaining: reserve(instance.body.remaining, t.body.reservation) } });
          const attr = (name: string) => instance.body.attributes.find((a) => a.name === name)?.value;
          const arch = attr('ecs.cpu-architecture');
          const body: TaskBody = {
            ...t.body,
            containerInstanceArn: instance.arn,
            availabilityZone: attr('ecs.availability-zone') ?? t.body.availabilityZone,
            attributes: arch ? [{ name: 'ecs.cpu-architecture', value: arch }] : [],
            lastStatus: t.body.eni ? 'PROVISIONING' : 'PENDING',
          };
          return toAssignment(body, await saveTask(tx, t, body), td);
        }),
      );
      if (assignment) {
        placed++;
        this.#notify([assignment]);
      }
    }
    return placed;
  }

  /** A forced deregistration: the instance's live tasks are to stop. */
  async stopAllOn(tx: Tx, instanceArn: string, reason: string, now: number): Promise<() => void> {
    const rows = await tx
      .selectFrom('tasks')
      .selectAll()
      .where('container_instance_arn', '=', instanceArn)
      .where('last_status', '<>', 'STOPPED')
      .where('desired_status', '<>', 'STOPPED')
      .execute();
    const assignments: TaskAssignment[] = [];
    for (const row of rows) {
      const t: TaskRecord = { row, body: JSON.parse(row.body) as TaskBody };
      const body = await this.#desireStopped(tx, { ...t.body, desiredStatus: 'STOPPED', stoppedReason: t.body.stoppedReason ?? reason, stoppingAt: t.body.stoppingAt ?? now }, now);
      const version = await saveTask(tx, t, body);
      const td = await readTaskDefinition(tx, body.taskDefinitionArn);
      if (td && body.deactivateUntil === undefined) assignments.push(toAssignment(body, version, td));
    }
    return () => this.#notify(assignments);
  }

  // ── reading ──────────────────────────────────────────────────────────────

  async describe(scope: Scope, input: { cluster?: string; tasks?: string[]; include?: string[] }): Promise<{ tasks: Task[]; failures: Failure[] }> {
    const refs = input.tasks ?? [];
    if (refs.length > 100) throw invalid('tasks can have at most 100 items.');
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const tasks: Task[] = [];
    const failures: Failure[] = [];
    const arns = refs.map((ref) => taskArnOf(scope, cluster.body.clusterName, ref));
    // One read for the lot (pollers ask for up to 100 tasks several times a second).
    const rows = arns.length ? await this.store.db.selectFrom('tasks').selectAll().where('arn', 'in', [...new Set(arns)]).execute() : [];
    const byArn = new Map(rows.map((row) => [row.arn, row]));
    for (const arn of arns) {
      const row = byArn.get(arn);
      if (!row || row.cluster_arn !== cluster.arn) {
        failures.push({ arn, reason: 'MISSING' });
        continue;
      }
      tasks.push(toTask(JSON.parse(row.body) as TaskBody, row.version, input.include?.includes('TAGS') ? await listTags(this.store.db, arn) : undefined));
    }
    return { tasks, failures };
  }

  async list(
    scope: Scope,
    input: {
      cluster?: string;
      containerInstance?: string;
      family?: string;
      startedBy?: string;
      serviceName?: string;
      desiredStatus?: string;
      launchType?: string;
      daemonName?: string;
      nextToken?: string;
      maxResults?: number;
    },
  ): Promise<{ taskArns: string[]; nextToken?: string }> {
    const limit = pageSize(input.maxResults, 100);
    const after = decodeToken(input.nextToken, ['string'])?.[0];
    const cluster = await this.clusters.resolve(scope, input.cluster);
    // berth has no daemons: no task belongs to one.
    if (input.daemonName !== undefined) return { taskArns: [] };
    let q = this.store.db
      .selectFrom('tasks')
      .select('arn')
      .where('cluster_arn', '=', cluster.arn)
      .where('desired_status', '=', input.desiredStatus ?? 'RUNNING')
      .orderBy('arn')
      .limit(limit + 1);
    if (input.containerInstance !== undefined) q = q.where('container_instance_arn', '=', instanceArnOf(scope, cluster.body.clusterName, input.containerInstance));
    if (input.family !== undefined) q = q.where('family', '=', input.family);
    if (input.startedBy !== undefined) q = q.where('started_by', '=', input.startedBy);
    if (input.serviceName !== undefined) q = q.where('service_name', '=', input.serviceName);
    if (input.launchType !== undefined) q = q.where('launch_type', '=', input.launchType);
    if (after !== undefined) q = q.where('arn', '>', after);
    const rows = await q.execute();
    const page = rows.slice(0, limit).map((r) => r.arn);
    return { taskArns: page, nextToken: rows.length > limit ? encodeToken([page.at(-1)!]) : undefined };
  }

  /** Every task of the instance that is not STOPPED yet: the full desired state an agent gets when it connects. */
  async assignmentsFor(containerInstanceArn: string): Promise<TaskAssignment[]> {
    const rows = await this.store.db
      .selectFrom('tasks')
      .selectAll()
      .where('container_instance_arn', '=', containerInstanceArn)
      .where('last_status', '<>', 'STOPPED')
      .orderBy('created_at')
      .orderBy('arn')
      .execute();
    const tds = new Map<string, TaskDefinition | undefined>();
    const out: TaskAssignment[] = [];
    for (const row of rows) {
      if (!tds.has(row.task_definition_arn)) tds.set(row.task_definition_arn, await readTaskDefinition(this.store.db, row.task_definition_arn));
      const td = tds.get(row.task_definition_arn);
      if (td) out.push(toAssignment(JSON.parse(row.body) as TaskBody, row.version, td));
    }
    return out;
  }

  /** Whether an ARN names a task of the caller's scope (for tagging). */
  async exists(scope: Scope, arn: string): Promise<boolean> {
    const row = await this.store.db.selectFrom('tasks').select(['account_id', 'region']).where('arn', '=', arn).executeTakeFirst();
    return !!row && row.account_id === scope.accountId && row.region === scope.region;
  }

  // ── the agents' reports ──────────────────────────────────────────────────

  async #report(scope: Scope, clusterRef: string | undefined, find: (tx: Tx, cluster: ClusterRecord) => Promise<TaskRecord | undefined>, change: TaskChange, now: number) {
    const cluster = await this.clusters.resolve(scope, clusterRef);
    const serviceName = await retryOnConflict(() =>
      this.store.transaction(async (tx) => {
        const t = await find(tx, cluster);
        if (!t || t.row.cluster_arn !== cluster.arn) throw taskNotFound();
        const { task, changed, stopped } = applyTaskChange(t.body, change, now);
        if (!changed) return null;
        await saveTask(tx, t, task);
        // A Fargate task held nothing on its pool instance.
        if (stopped && task.containerInstanceArn && task.launchType !== 'FARGATE') {
          const rec = await readInstance(tx, task.containerInstanceArn);
          if (rec) await saveInstance(tx, rec, { body: { ...rec.body, remaining: release(rec.body.remaining, task.reservation, rec.body.registered) } });
        }
        return t.row.service_name;
      }),
    );
    if (serviceName) this.#serviceTaskListener({ clusterArn: cluster.arn, serviceName });
  }

  async submitTaskStateChange(
    scope: Scope,
    input: {
      cluster?: string;
      task?: string;
      status?: string;
      reason?: string;
      containers?: (ContainerChange & { healthStatus?: string })[];
      attachments?: { attachmentArn?: string; status?: string }[];
      pullStartedAt?: Date;
      pullStoppedAt?: Date;
      executionStoppedAt?: Date;
      stopCode?: string;
      healthStatus?: string;
    },
    now: number,
  ): Promise<{ acknowledgment: string }> {
    if (input.status !== undefined && !isTaskStatus(input.status)) throw invalid(`Invalid task status '${input.status}'.`);
    for (const c of input.containers ?? []) checkContainerStatus(c.status);
    const change: TaskChange = {
      status: input.status,
      reason: input.reason,
      stopCode: input.stopCode,
      healthStatus: input.healthStatus,
      pullStartedAt: input.pullStartedAt?.getTime(),
      pullStoppedAt: input.pullStoppedAt?.getTime(),
      executionStoppedAt: input.executionStoppedAt?.getTime(),
      containers: input.containers,
      attachments: (input.attachments ?? []).map((a) => ({ attachmentId: attachmentIdOf(a.attachmentArn ?? ''), status: a.status ?? '' })),
    };
    await this.#report(scope, input.cluster, (tx, cluster) => readTask(tx, taskArnOf(scope, cluster.body.clusterName, input.task ?? '')), change, now);
    return { acknowledgment: 'true' };
  }

  async submitContainerStateChange(
    scope: Scope,
    input: { cluster?: string; task?: string; containerName?: string; runtimeId?: string; status?: string; exitCode?: number; reason?: string; networkBindings?: ContainerChange['networkBindings'] },
    now: number,
  ): Promise<{ acknowledgment: string }> {
    checkContainerStatus(input.status);
    const change: TaskChange = {
      containers: [
        { containerName: input.containerName, runtimeId: input.runtimeId, status: input.status, exitCode: input.exitCode, reason: input.reason, networkBindings: input.networkBindings },
      ],
    };
    await this.#report(scope, input.cluster, (tx, cluster) => readTask(tx, taskArnOf(scope, cluster.body.clusterName, input.task ?? '')), change, now);
    return { acknowledgment: 'true' };
  }

  async submitAttachmentStateChanges(
    scope: Scope,
    input: { cluster?: string; attachments?: { attachmentArn?: string; status?: string }[] },
    now: number,
  ): Promise<{ acknowledgment: string }> {
    for (const a of input.attachments ?? []) {
      const id = attachmentIdOf(a.attachmentArn ?? '');
      const find = async (tx: Tx) => {
        const row = await tx.selectFrom('tasks').selectAll().where('attachment_id', '=', id).executeTakeFirst();
        if (!row) throw invalid(`The referenced attachment ${a.attachmentArn ?? ''} was not found.`);
        return { row, body: JSON.parse(row.body) as TaskBody };
      };
      await this.#report(scope, input.cluster, find, { attachments: [{ attachmentId: id, status: a.status ?? '' }] }, now);
    }
    return { acknowledgment: 'true' };
  }
}

/** `arn:aws:ecs:…:attachment/<id>` or the bare id. */
function attachmentIdOf(ref: string): string {
  return ref.includes('/') ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
}

function checkContainerStatus(status: string | undefined): void {
  if (status !== undefined && !['PENDING', 'RUNNING', 'STOPPED'].includes(status)) throw invalid(`Invalid container status '${status}'.`);
}
