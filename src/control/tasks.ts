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
  type Plan,
  type PlacementRequest,
  type Strategy,
} from './placement/index.js';
import { addManagedTags, addTags, checkTags, listTags } from './tags.js';
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
    containerInstanceArn: b.containerInstanceArn,
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

async function readTask(tx: Tx, arn: string): Promise<TaskRecord | undefined> {
  const row = await tx.selectFrom('tasks').selectAll().where('arn', '=', arn).executeTakeFirst();
  return row && { row, body: JSON.parse(row.body) as TaskBody };
}

/** Writes a task back if nobody changed it since it was read; returns its new version. */
async function saveTask(tx: Tx, read: TaskRecord, body: TaskBody): Promise<number> {
  const version = read.row.version + 1;
  const result = await tx
    .updateTable('tasks')
    .set({ desired_status: body.desiredStatus, last_status: body.lastStatus, body: JSON.stringify(body), version })
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
    if (assignment) this.#notify(new Map([[assignment.containerInstanceArn, [assignment]]]));
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

  #notify(byInstance: Map<string, TaskAssignment[]>): void {
    for (const [instance, tasks] of byInstance) {
      try {
        this.#notifier.tasksChanged(instance, tasks);
      } catch {
        // Best effort: the agent gets its full state when it reconnects.
      }
    }
  }

  // ── launching ────────────────────────────────────────────────────────────

  async #prepare(scope: Scope, input: LaunchInput, opts: { startedByMax: number; inactiveTaskDefinition?: boolean }): Promise<Launch> {
    if (input.startedBy !== undefined && (input.startedBy.length > opts.startedByMax || !STARTED_BY.test(input.startedBy))) {
      throw invalid(`startedBy can have up to ${opts.startedByMax} letters (uppercase and lowercase), numbers, hyphens (-), forward slashes (/), and underscores (_).`);
    }
    if (input.group !== undefined && (input.group.length < 1 || input.group.length > 255)) throw invalid('group must have between 1 and 255 characters.');
    if (input.volumeConfigurations?.length) throw invalid('berth does not attach Amazon EBS volumes (volumeConfigurations) to tasks.');
    checkTags(input.tags);
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const td = await this.taskDefinitions.get(scope, input.taskDefinition ?? '');
    // A service keeps running (and replacing) tasks of a revision deregistered after it was deployed.
    if (td.status !== 'ACTIVE' && !opts.inactiveTaskDefinition) throw invalid('TaskDefinition is inactive');
    if (td.requiresCompatibilities?.length && !td.requiresCompatibilities.includes('EC2')) throw invalid('Task definition does not support launch_type EC2.');
    const overrides = normaliseOverrides(td, input.overrides);

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
      reservation: reservationOf(td, overrides),
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

  #newTask(scope: Scope, l: Launch, instance: InstanceRecord, address: string | undefined, now: number): TaskBody {
    const id = randomBytes(16).toString('hex');
    const arn = taskArn(scope, l.cluster.body.clusterName, id);
    const size = taskSize(l.td, l.overrides);
    const attr = (name: string) => instance.body.attributes.find((a) => a.name === name)?.value;
    const arch = attr('ecs.cpu-architecture');
    const attributes: Attribute[] = arch ? [{ name: 'ecs.cpu-architecture', value: arch }] : [];
    const body: TaskBody = {
      taskArn: arn,
      clusterArn: l.cluster.arn,
      clusterName: l.cluster.body.clusterName,
      containerInstanceArn: instance.arn,
      taskDefinitionArn: l.td.taskDefinitionArn!,
      family: l.td.family!,
      overrides: l.overrides,
      // An awsvpc task waits for its network interface first, as on ECS.
      lastStatus: address ? 'PROVISIONING' : 'PENDING',
      desiredStatus: 'RUNNING',
      launchType: 'EC2',
      cpu: String(size.cpu),
      memory: String(size.memory),
      group: l.group,
      startedBy: l.startedBy,
      referenceId: l.referenceId,
      serviceName: l.serviceName,
      enableExecuteCommand: l.enableExecuteCommand,
      availabilityZone: attr('ecs.availability-zone'),
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
    return {
      // berth does not account for GPUs yet (instance-resources keeps them as registered): no GPU demand.
      demand: { cpu: l.reservation.cpu, memory: l.reservation.memory, ports: l.reservation.ports, portsUdp: l.reservation.portsUdp, eni: l.subnetId !== undefined, gpus: 0 },
      group: l.group,
      requiresAttributes: (l.td.requiresAttributes ?? []).map((a) => ({ name: a.name!, value: a.value })),
      constraints: l.constraints,
    };
  }

  /**
   * Places and commits, as one transaction: `choose` reads the instances it
   * considers and plans; every instance that receives tasks is written back
   * only if its version is still the one read, else the whole attempt runs
   * again on fresh reads.
   */
  async #launch(
    scope: Scope,
    l: Launch,
    now: number,
    choose: (tx: Tx) => Promise<{ plan: Plan; records: Map<string, InstanceRecord> }>,
  ): Promise<{ tasks: Task[]; failures: Failure[] }> {
    const { bodies, failures } = await retryOnConflict(() =>
      this.store.transaction(async (tx) => {
        const { plan, records } = await choose(tx);
        return { bodies: await this.#commit(tx, scope, l, plan, records, now), failures: plan.failures };
      }),
    );
    this.#notifyLaunched(l, bodies);
    const tags = [...l.tags, ...l.managedTags];
    return { tasks: bodies.map((b) => toTask(b, 1, tags)), failures };
  }

  /** Reserves what the plan takes on each instance (version-checked) and inserts its tasks, inside `tx`. */
  async #commit(tx: Tx, scope: Scope, l: Launch, plan: Plan, records: Map<string, InstanceRecord>, now: number): Promise<TaskBody[]> {
    const taken = new Map<string, number>();
    for (const arn of plan.placements) taken.set(arn, (taken.get(arn) ?? 0) + 1);
    for (const [arn, n] of taken) {
      const rec = records.get(arn)!;
      let remaining = rec.body.remaining;
      for (let i = 0; i < n; i++) remaining = reserve(remaining, l.reservation);
      await saveInstance(tx, rec, { body: { ...rec.body, remaining } });
    }
    const nextAddress = l.subnetId !== undefined ? await freeAddresses(tx) : undefined;
    const bodies: TaskBody[] = [];
    for (const arn of plan.placements) {
      const instance = records.get(arn)!;
      const body = this.#newTask(scope, l, instance, nextAddress?.(), now);
      await tx
        .insertInto('tasks')
        .values({
          arn: body.taskArn,
          account_id: scope.accountId,
          region: scope.region,
          cluster_arn: body.clusterArn,
          container_instance_arn: instance.arn,
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
      await addTags(tx, body.taskArn, l.tags);
      await addManagedTags(tx, body.taskArn, l.managedTags);
      bodies.push(body);
    }
    return bodies;
  }

  #notifyLaunched(l: Launch, bodies: TaskBody[]): void {
    const byInstance = new Map<string, TaskAssignment[]>();
    for (const b of bodies) {
      const list = byInstance.get(b.containerInstanceArn!) ?? [];
      list.push(toAssignment(b, 1, l.td));
      byInstance.set(b.containerInstanceArn!, list);
    }
    this.#notify(byInstance);
  }

  async run(scope: Scope, input: RunTaskCommandInput, now: number): Promise<{ tasks: Task[]; failures: Failure[] }> {
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > MAX_RUN_COUNT) throw invalid(`count must be between 1 and ${MAX_RUN_COUNT}.`);
    if (input.launchType && input.capacityProviderStrategy?.length) {
      throw invalid('Specifying both a launch type and capacity provider strategy is not supported.');
    }
    if (input.capacityProviderStrategy?.length) {
      throw invalid(`berth has no capacity providers to run tasks on (${input.capacityProviderStrategy.map((s) => s.capacityProvider).join(', ')}); use launchType EC2.`);
    }
    const launchType = input.launchType ?? 'EC2';
    if (launchType !== 'EC2') throw invalid(`berth runs tasks on its registered container instances only (launchType EC2), not ${launchType}.`);
    if (input.platformVersion !== undefined) throw invalid('The platform version must be null when specifying an EC2 launch type.');
    const l = await this.#prepare(scope, input, { startedByMax: 128 });
    const request = { ...this.#placementRequest(l), count, strategy: l.strategy };
    return this.#launch(scope, l, now, async (tx) => {
      // DRAINING instances take nothing new, but their tasks still count when spreading.
      const recs = await clusterInstances(tx, l.cluster.arn);
      if (!recs.some((r) => r.status === 'ACTIVE')) throw invalid('No Container Instances were found in your cluster.');
      const plan = placeTasks(await instanceSnapshots(tx, recs), request, { random: Math.random });
      return { plan, records: new Map(recs.map((r) => [r.arn, r])) };
    });
  }

  async start(scope: Scope, input: StartTaskCommandInput, now: number): Promise<{ tasks: Task[]; failures: Failure[] }> {
    const refs = input.containerInstances ?? [];
    if (!refs.length) throw invalid('containerInstances can not be empty.');
    if (refs.length > 10) throw invalid('containerInstances can have at most 10 items.');
    const l = await this.#prepare(scope, input, { startedByMax: 128 });
    return this.#launch(scope, l, now, async (tx) => {
      const arns = refs.map((ref) => instanceArnOf(scope, l.cluster.body.clusterName, ref));
      // The named instances of this cluster, deregistered ones too (placement answers INACTIVE for them, MISSING for the rest).
      const records = new Map<string, InstanceRecord>();
      for (const arn of new Set(arns)) {
        const rec = await readInstance(tx, arn);
        if (rec && rec.clusterArn === l.cluster.arn && rec.accountId === scope.accountId && rec.region === scope.region) records.set(arn, rec);
      }
      const plan = placeOnInstances(await instanceSnapshots(tx, [...records.values()]), this.#placementRequest(l), arns, { random: Math.random });
      return { plan, records };
    });
  }

  // ── a service's launches (the reconciler commits them in its own transaction) ──

  /** Checks and resolves what a service deployment's tasks are launched with (reads only; once per reconcile pass). */
  async serviceLaunch(scope: Scope, input: ServiceLaunchInput): Promise<Launch> {
    const l = await this.#prepare(
      scope,
      {
        cluster: input.cluster,
        taskDefinition: input.taskDefinition,
        group: `service:${input.serviceName}`,
        startedBy: input.deploymentId,
        tags: input.tags,
        enableECSManagedTags: input.enableECSManagedTags,
        enableExecuteCommand: input.enableExecuteCommand,
        networkConfiguration: input.networkConfiguration,
        placementConstraints: input.placementConstraints,
      },
      { startedByMax: 128, inactiveTaskDefinition: true },
    );
    let strategy: Strategy[];
    try {
      strategy = parseStrategies(input.placementStrategy, SERVICE_DEFAULT_STRATEGY);
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
   * agents once that transaction has committed.
   */
  async launchIn(tx: Tx, scope: Scope, l: Launch, count: number, now: number): Promise<{ tasks: TaskBody[]; failures: Failure[]; notify: () => void }> {
    const recs = await clusterInstances(tx, l.cluster.arn);
    const plan = placeTasks(await instanceSnapshots(tx, recs), { ...this.#placementRequest(l), count, strategy: l.strategy }, { random: Math.random });
    const bodies = await this.#commit(tx, scope, l, plan, new Map(recs.map((r) => [r.arn, r])), now);
    return { tasks: bodies, failures: plan.failures, notify: () => this.#notifyLaunched(l, bodies) };
  }

  /** A DAEMON service's launch: one task on each of the named instances (as StartTask places), inside the caller's transaction. */
  async launchOnIn(tx: Tx, scope: Scope, l: Launch, instanceArns: string[], now: number): Promise<{ tasks: TaskBody[]; failures: Failure[]; notify: () => void }> {
    const records = new Map<string, InstanceRecord>();
    for (const arn of new Set(instanceArns)) {
      const rec = await readInstance(tx, arn);
      if (rec && rec.clusterArn === l.cluster.arn) records.set(arn, rec);
    }
    const plan = placeOnInstances(await instanceSnapshots(tx, [...records.values()]), this.#placementRequest(l), instanceArns, { random: Math.random });
    const bodies = await this.#commit(tx, scope, l, plan, records, now);
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
      if (assignment) this.#notify(new Map([[assignment.containerInstanceArn, [assignment]]]));
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
    if (assignment) this.#notify(new Map([[assignment.containerInstanceArn, [assignment]]]));
    return out;
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
    return () => this.#notify(new Map([[instanceArn, assignments]]));
  }

  // ── reading ──────────────────────────────────────────────────────────────

  async describe(scope: Scope, input: { cluster?: string; tasks?: string[]; include?: string[] }): Promise<{ tasks: Task[]; failures: Failure[] }> {
    const refs = input.tasks ?? [];
    if (refs.length > 100) throw invalid('tasks can have at most 100 items.');
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const tasks: Task[] = [];
    const failures: Failure[] = [];
    for (const ref of refs) {
      const arn = taskArnOf(scope, cluster.body.clusterName, ref);
      const t = await readTask(this.store.db, arn);
      if (!t || t.row.cluster_arn !== cluster.arn) {
        failures.push({ arn, reason: 'MISSING' });
        continue;
      }
      tasks.push(toTask(t.body, t.row.version, input.include?.includes('TAGS') ? await listTags(this.store.db, arn) : undefined));
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
        if (stopped && task.containerInstanceArn) {
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
