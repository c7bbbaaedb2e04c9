import type {
  Attribute,
  ContainerInstance,
  ContainerInstanceHealthStatus,
  Failure,
  RegisterContainerInstanceCommandInput,
} from '@aws-sdk/client-ecs';
import { randomBytes } from 'node:crypto';
import { AwsError } from '../gateway/errors.js';
import type { Store, Tx } from '../store/store.js';
import { containerInstanceArn, type Scope } from './arns.js';
import { CAPACITY_PROVIDER_ATTRIBUTE, capacityProviderArn } from './capacity-providers.js';
import type { ClusterRecord, Clusters } from './clusters.js';
import { FARGATE_POOL_CLUSTER, fargatePool } from './fargate-pool.js';
import {
  instanceArnOf,
  instanceNotFound,
  readInstance,
  saveInstance,
  toInstanceRecord,
  type InstanceBody,
  type InstanceRecord,
} from './instance-record.js';
import { registeredResources, reserve, toResourceList, type Reservation } from './instance-resources.js';
import { retryOnConflict, VersionConflict } from './optimistic.js';
import { decodeToken, encodeToken, pageSize } from './pagination.js';
import { compileQuery, PlacementInputError, type InstanceSnapshot, type Query } from './placement/index.js';
import { addTags, checkTags, listTags } from './tags.js';

// ECS container instances: the hosts whose agents run tasks. An agent
// registers (again after a restart, keeping its ARN), keeps a connection open
// (`markConnected`), and is drained or deregistered by the user. What the
// instance has left is kept in its row and changes only in transactions that
// check the row's version, together with the tasks that take or return it.

/** What ContainerInstances needs from Tasks when an instance is force-deregistered. */
export interface InstanceTaskStopper {
  /** Sets desiredStatus STOPPED on the instance's live tasks inside `tx`; the returned function notifies agents after commit. */
  stopAllOn(tx: Tx, instanceArn: string, reason: string, now: number): Promise<() => void>;
}

const invalid = (message: string) => new AwsError('InvalidParameterException', message);

/** Attribute prefixes of the agent's and ECS's own attributes; the rest are custom and count against the limit. */
const BUILT_IN_PREFIXES = ['ecs.', 'com.amazonaws.ecs.'];
export const MAX_CUSTOM_ATTRIBUTES = 10;
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_\-/\\.]{1,128}$/;
const ATTRIBUTE_VALUE = /^[a-zA-Z0-9_\-.@/\\: ]{1,128}$/;

export const isCustomAttribute = (name: string) => !BUILT_IN_PREFIXES.some((p) => name.startsWith(p));

const PENDING_STATUSES = ['PROVISIONING', 'PENDING', 'ACTIVATING'];

export function checkAttribute(a: Attribute): void {
  if (!a.name || !ATTRIBUTE_NAME.test(a.name)) {
    throw invalid(
      `Attribute name '${a.name ?? ''}' is not valid. The name must contain between 1 and 128 characters: letters (uppercase and lowercase), numbers, hyphens (-), underscores (_), forward slashes (/), back slashes (\\), or periods (.).`,
    );
  }
  if (a.value !== undefined && (!ATTRIBUTE_VALUE.test(a.value) || a.value.startsWith(' ') || a.value.endsWith(' '))) {
    throw invalid(
      `Attribute value '${a.value}' of '${a.name}' is not valid. The value must contain between 1 and 128 characters: letters (uppercase and lowercase), numbers, hyphens (-), underscores (_), periods (.), at signs (@), forward slashes (/), back slashes (\\), colons (:), or spaces, and can't start or end with a space.`,
    );
  }
  if (a.targetType !== undefined && a.targetType !== 'container-instance') {
    throw invalid(`Attribute targetType '${a.targetType}' is not valid. Use container-instance.`);
  }
}

/** berth's agents send a made-up identity document, or none; ECS takes the instance id, AZ and type from it. */
interface IdentityDocument {
  instanceId?: string;
  availabilityZone?: string;
  instanceType?: string;
  imageId?: string;
}

function parseIdentityDocument(doc: string | undefined): IdentityDocument {
  if (!doc) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    throw invalid('instanceIdentityDocument is not a valid instance identity document: it is not JSON.');
  }
  if (!parsed || typeof parsed !== 'object') throw invalid('instanceIdentityDocument is not a valid instance identity document.');
  const d = parsed as Record<string, unknown>;
  const str = (k: string) => (typeof d[k] === 'string' && d[k] ? (d[k] as string) : undefined);
  const instanceId = str('instanceId');
  if (instanceId !== undefined && !/^i-[0-9a-f]{8,17}$/.test(instanceId)) throw invalid(`instanceIdentityDocument has instanceId '${instanceId}', which is not an EC2 instance id.`);
  return { instanceId, availabilityZone: str('availabilityZone'), instanceType: str('instanceType'), imageId: str('imageId') };
}

const newEc2InstanceId = () => `i-${randomBytes(9).toString('hex').slice(0, 17)}`;

function mergeAttributes(base: Attribute[], changes: Attribute[]): Attribute[] {
  const out = base.map((a) => ({ ...a }));
  for (const c of changes) {
    const clean: Attribute = c.value === undefined ? { name: c.name } : { name: c.name, value: c.value };
    const i = out.findIndex((a) => a.name === c.name);
    if (i >= 0) out[i] = clean;
    else out.push(clean);
  }
  return out;
}

function totalReservation(reservations: Reservation[]): Reservation {
  return reservations.reduce<Reservation>(
    (sum, r) => ({ cpu: sum.cpu + r.cpu, memory: sum.memory + r.memory, ports: [...sum.ports, ...r.ports], portsUdp: [...sum.portsUdp, ...r.portsUdp] }),
    { cpu: 0, memory: 0, ports: [], portsUdp: [] },
  );
}

export interface TaskCounts {
  running: number;
  pending: number;
}

/** runningTasksCount / pendingTasksCount of each instance, as ECS counts them (by lastStatus). */
export async function taskCounts(tx: Tx, arns: string[]): Promise<Map<string, TaskCounts>> {
  const out = new Map<string, TaskCounts>(arns.map((a) => [a, { running: 0, pending: 0 }]));
  if (!arns.length) return out;
  for (let i = 0; i < arns.length; i += 500) {
    const rows = await tx
      .selectFrom('tasks')
      .select(['container_instance_arn', 'last_status'])
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('container_instance_arn', 'in', arns.slice(i, i + 500))
      .where('last_status', '<>', 'STOPPED')
      .groupBy(['container_instance_arn', 'last_status'])
      .execute();
    for (const r of rows) {
      const c = out.get(r.container_instance_arn!)!;
      if (r.last_status === 'RUNNING') c.running += Number(r.n);
      else if (PENDING_STATUSES.includes(r.last_status)) c.pending += Number(r.n);
    }
  }
  return out;
}

/**
 * Instances as placement and the cluster query language see them (read inside
 * `tx`): runningTasksCount as ECS counts it, and the live tasks (desired
 * RUNNING, not yet STOPPED) by task group, which distinctInstance, spread and
 * task:group look at. One pass over the instances' unstopped tasks.
 */
export async function instanceSnapshots(tx: Tx, recs: InstanceRecord[]): Promise<InstanceSnapshot[]> {
  const arns = recs.map((r) => r.arn);
  const running = new Map<string, number>(arns.map((a) => [a, 0]));
  const groups = new Map<string, Map<string, number>>(arns.map((a) => [a, new Map()]));
  for (let i = 0; i < arns.length; i += 500) {
    const rows = await tx
      .selectFrom('tasks')
      .select(['container_instance_arn', 'last_status', 'desired_status', 'group_name'])
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('container_instance_arn', 'in', arns.slice(i, i + 500))
      .where('last_status', '<>', 'STOPPED')
      .groupBy(['container_instance_arn', 'last_status', 'desired_status', 'group_name'])
      .execute();
    for (const r of rows) {
      const arn = r.container_instance_arn!;
      if (r.last_status === 'RUNNING') running.set(arn, running.get(arn)! + Number(r.n));
      if (r.desired_status === 'RUNNING') {
        const g = groups.get(arn)!;
        g.set(r.group_name, (g.get(r.group_name) ?? 0) + Number(r.n));
      }
    }
  }
  return recs.map((rec) => {
    const r = rec.body.remaining;
    return {
      arn: rec.arn,
      ec2InstanceId: rec.ec2InstanceId,
      status: rec.status,
      agentConnected: rec.agentConnected,
      agentVersion: rec.body.versionInfo?.agentVersion,
      registeredAt: rec.registeredAt,
      runningTasksCount: running.get(rec.arn)!,
      attributes: new Map(rec.body.attributes.map((a) => [a.name!, a.value])),
      taskGroups: groups.get(rec.arn)!,
      cpu: r.cpu,
      memory: r.memory,
      ports: new Set(r.ports.map(Number)),
      portsUdp: new Set(r.portsUdp.map(Number)),
    };
  });
}

/**
 * The EC2 capacity provider an instance registers for: its berth.capacity-provider
 * attribute (berth's instance pool sets it), when that names an ACTIVE provider
 * associated with the instance's cluster.
 */
async function providerOfInstance(tx: Tx, scope: Scope, clusterArn: string, attributes: Attribute[]): Promise<string | undefined> {
  const name = attributes.find((a) => a.name === CAPACITY_PROVIDER_ATTRIBUTE)?.value;
  if (!name) return undefined;
  const row = await tx.selectFrom('capacity_providers').select(['status', 'cluster_arn']).where('arn', '=', capacityProviderArn(scope, name)).executeTakeFirst();
  return row?.status === 'ACTIVE' && row.cluster_arn === clusterArn ? name : undefined;
}

export class ContainerInstances {
  constructor(
    readonly store: Store,
    readonly clusters: Clusters,
    readonly tasks: InstanceTaskStopper,
  ) {}

  #arnOf(scope: Scope, cluster: ClusterRecord, ref: string): string {
    return instanceArnOf(scope, cluster.body.clusterName, ref);
  }

  /** The instance a reference names in the cluster, or undefined when it is not there (or in another scope). */
  async #find(tx: Tx, scope: Scope, cluster: ClusterRecord, ref: string): Promise<InstanceRecord | undefined> {
    const rec = await readInstance(tx, this.#arnOf(scope, cluster, ref));
    if (!rec || rec.clusterArn !== cluster.arn || rec.accountId !== scope.accountId || rec.region !== scope.region) return undefined;
    return rec;
  }

  async register(scope: Scope, input: RegisterContainerInstanceCommandInput, now: number): Promise<ContainerInstance> {
    // `berth agent --fargate` joins the account's Fargate pool rather than a cluster.
    const cluster = input.cluster === FARGATE_POOL_CLUSTER ? fargatePool(scope) : await this.clusters.resolve(scope, input.cluster);
    const registered = registeredResources(input.totalResources);
    for (const a of input.attributes ?? []) checkAttribute(a);
    checkTags(input.tags);
    const doc = parseIdentityDocument(input.instanceIdentityDocument);
    const fromDoc: Attribute[] = [];
    if (doc.availabilityZone) fromDoc.push({ name: 'ecs.availability-zone', value: doc.availabilityZone });
    if (doc.instanceType) fromDoc.push({ name: 'ecs.instance-type', value: doc.instanceType });
    if (doc.imageId) fromDoc.push({ name: 'ecs.ami-id', value: doc.imageId });
    const given = mergeAttributes(fromDoc, input.attributes ?? []);

    return retryOnConflict(() =>
      this.store.transaction(async (tx) => {
        const capacityProviderName = await providerOfInstance(tx, scope, cluster.arn, given);
        const previous = input.containerInstanceArn ? await this.#find(tx, scope, cluster, input.containerInstanceArn) : undefined;
        if (previous && previous.status !== 'INACTIVE') {
          // The agent restarted: same ARN. What its live tasks hold stays taken; custom attributes stay.
          const live = await tx
            .selectFrom('tasks')
            .select('body')
            .where('container_instance_arn', '=', previous.arn)
            .where('last_status', '<>', 'STOPPED')
            .execute();
          const held = totalReservation(live.map((r) => (JSON.parse(r.body) as { reservation: Reservation }).reservation));
          const custom = previous.body.attributes.filter((a) => isCustomAttribute(a.name!));
          const body: InstanceBody = {
            ...previous.body,
            versionInfo: input.versionInfo ?? previous.body.versionInfo,
            attributes: mergeAttributes(custom, given),
            registered,
            remaining: reserve(registered, held),
            platformDevices: input.platformDevices ?? previous.body.platformDevices,
            capacityProviderName,
          };
          const version = await saveInstance(tx, previous, { body });
          if (doc.instanceId && doc.instanceId !== previous.ec2InstanceId) {
            await tx.updateTable('container_instances').set({ ec2_instance_id: doc.instanceId }).where('arn', '=', previous.arn).execute();
          }
          await addTags(tx, previous.arn, input.tags);
          return this.#describe(tx, { ...previous, ec2InstanceId: doc.instanceId ?? previous.ec2InstanceId, version, body }, ['TAGS']);
        }
        // A new instance; also when the ARN it names was deregistered or is unknown here (its data was lost).
        const arn = containerInstanceArn(scope, cluster.body.clusterName, randomBytes(16).toString('hex'));
        const body: InstanceBody = {
          clusterName: cluster.body.clusterName,
          versionInfo: input.versionInfo,
          attributes: given,
          registered,
          remaining: { ...registered, ports: [...registered.ports], portsUdp: [...registered.portsUdp] },
          platformDevices: input.platformDevices,
          connectionChangedAt: now,
          capacityProviderName,
        };
        const ec2InstanceId = doc.instanceId ?? newEc2InstanceId();
        await tx
          .insertInto('container_instances')
          .values({
            arn,
            account_id: scope.accountId,
            region: scope.region,
            cluster_arn: cluster.arn,
            ec2_instance_id: ec2InstanceId,
            status: 'ACTIVE',
            agent_connected: 0,
            last_heartbeat_at: null,
            version: 1,
            registered_at: now,
            body: JSON.stringify(body),
          })
          .execute();
        await addTags(tx, arn, input.tags);
        const rec: InstanceRecord = {
          arn,
          accountId: scope.accountId,
          region: scope.region,
          clusterArn: cluster.arn,
          ec2InstanceId,
          status: 'ACTIVE',
          agentConnected: false,
          version: 1,
          registeredAt: now,
          body,
        };
        return this.#describe(tx, rec, ['TAGS']);
      }),
    );
  }

  async deregister(scope: Scope, input: { cluster?: string; containerInstance?: string; force?: boolean }, now: number): Promise<ContainerInstance> {
    const cluster = await this.clusters.resolve(scope, input.cluster);
    let notify: (() => void) | undefined;
    const out = await retryOnConflict(() =>
      this.store.transaction(async (tx) => {
        notify = undefined;
        const rec = await this.#find(tx, scope, cluster, input.containerInstance ?? '');
        if (!rec) throw instanceNotFound();
        if (rec.status === 'INACTIVE') return this.#describe(tx, rec, []);
        const live = await tx
          .selectFrom('tasks')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('container_instance_arn', '=', rec.arn)
          .where('last_status', '<>', 'STOPPED')
          .executeTakeFirstOrThrow();
        if (Number(live.n) > 0) {
          if (!input.force) throw invalid('Found running tasks on the instance.');
          notify = await this.tasks.stopAllOn(tx, rec.arn, 'Container instance deregistered', now);
        }
        const version = await saveInstance(tx, rec, { status: 'INACTIVE', body: rec.body });
        return this.#describe(tx, { ...rec, status: 'INACTIVE', version }, []);
      }),
    );
    notify?.();
    return out;
  }

  async #describe(tx: Tx, rec: InstanceRecord, include: string[], counts?: TaskCounts): Promise<ContainerInstance> {
    const c = counts ?? (await taskCounts(tx, [rec.arn])).get(rec.arn)!;
    const out: ContainerInstance = {
      containerInstanceArn: rec.arn,
      ec2InstanceId: rec.ec2InstanceId,
      version: rec.version,
      versionInfo: rec.body.versionInfo ?? {},
      remainingResources: toResourceList(rec.body.remaining),
      registeredResources: toResourceList(rec.body.registered),
      status: rec.status,
      agentConnected: rec.agentConnected,
      runningTasksCount: c.running,
      pendingTasksCount: c.pending,
      attributes: rec.body.attributes,
      registeredAt: new Date(rec.registeredAt),
      attachments: [],
    };
    if (rec.body.capacityProviderName) out.capacityProviderName = rec.body.capacityProviderName;
    if (rec.body.platformDevices?.length) (out as ContainerInstance & { platformDevices?: unknown }).platformDevices = rec.body.platformDevices;
    if (include.includes('TAGS')) out.tags = await listTags(tx, rec.arn);
    if (include.includes('CONTAINER_INSTANCE_HEALTH')) out.healthStatus = health(rec);
    return out;
  }

  async describe(
    scope: Scope,
    input: { cluster?: string; containerInstances?: string[]; include?: string[] },
  ): Promise<{ containerInstances: ContainerInstance[]; failures: Failure[] }> {
    const refs = input.containerInstances ?? [];
    if (refs.length > 100) throw invalid('containerInstances can have at most 100 items.');
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const found: InstanceRecord[] = [];
    const failures: Failure[] = [];
    for (const ref of refs) {
      const rec = await this.#find(this.store.db, scope, cluster, ref);
      if (rec) found.push(rec);
      else failures.push({ arn: this.#arnOf(scope, cluster, ref), reason: 'MISSING' });
    }
    const counts = await taskCounts(this.store.db, found.map((r) => r.arn));
    const containerInstances: ContainerInstance[] = [];
    for (const rec of found) containerInstances.push(await this.#describe(this.store.db, rec, input.include ?? [], counts.get(rec.arn)));
    return { containerInstances, failures };
  }

  async list(
    scope: Scope,
    input: { cluster?: string; status?: string; filter?: string; nextToken?: string; maxResults?: number },
  ): Promise<{ containerInstanceArns: string[]; nextToken?: string }> {
    const limit = pageSize(input.maxResults, 100);
    const after = decodeToken(input.nextToken, ['string'])?.[0];
    let query: Query | undefined;
    if (input.filter !== undefined) {
      try {
        query = compileQuery(input.filter);
      } catch (e) {
        if (e instanceof PlacementInputError) throw invalid(e.message);
        throw e;
      }
    }
    const cluster = await this.clusters.resolve(scope, input.cluster);
    let q = this.store.db.selectFrom('container_instances').selectAll().where('cluster_arn', '=', cluster.arn).orderBy('arn');
    q = input.status ? q.where('status', '=', input.status) : q.where('status', '<>', 'INACTIVE');
    if (after !== undefined) q = q.where('arn', '>', after);
    if (!query) q = q.limit(limit + 1);
    let rows = (await q.execute()).map(toInstanceRecord);
    if (query) {
      const snapshots = await instanceSnapshots(this.store.db, rows);
      rows = rows.filter((_, i) => query!.matches(snapshots[i]!));
    }
    const page = rows.slice(0, limit).map((r) => r.arn);
    return { containerInstanceArns: page, nextToken: rows.length > limit ? encodeToken([page.at(-1)!]) : undefined };
  }

  async updateState(
    scope: Scope,
    input: { cluster?: string; containerInstances?: string[]; status?: string },
  ): Promise<{ containerInstances: ContainerInstance[]; failures: Failure[] }> {
    const status = input.status ?? '';
    if (status !== 'ACTIVE' && status !== 'DRAINING') throw invalid('Container instance status should be one of [ACTIVE, DRAINING]');
    const refs = input.containerInstances ?? [];
    if (refs.length > 10) throw invalid('containerInstances can have at most 10 items.');
    const cluster = await this.clusters.resolve(scope, input.cluster);
    return retryOnConflict(() =>
      this.store.transaction(async (tx) => {
        const containerInstances: ContainerInstance[] = [];
        const failures: Failure[] = [];
        for (const ref of refs) {
          const rec = await this.#find(tx, scope, cluster, ref);
          if (!rec) {
            failures.push({ arn: this.#arnOf(scope, cluster, ref), reason: 'MISSING' });
            continue;
          }
          if (rec.status === 'INACTIVE') {
            failures.push({ arn: rec.arn, reason: 'INACTIVE' });
            continue;
          }
          let version = rec.version;
          if (rec.status !== status) version = await saveInstance(tx, rec, { status, body: rec.body });
          containerInstances.push(await this.#describe(tx, { ...rec, status, version }, []));
        }
        return { containerInstances, failures };
      }),
    );
  }

  /** berth's agents are updated with berth itself: ECS's answer for an agent it cannot update. */
  async updateAgent(scope: Scope, input: { cluster?: string; containerInstance?: string }): Promise<never> {
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const rec = await this.#find(this.store.db, scope, cluster, input.containerInstance ?? '');
    if (!rec || rec.status === 'INACTIVE') throw instanceNotFound();
    if (!rec.body.versionInfo?.agentVersion) {
      throw new AwsError(
        'MissingVersionException',
        "Amazon ECS can't determine the current version of the Amazon ECS container agent on the container instance and doesn't have enough information to proceed with an update. This could be because the agent running on the container instance is a previous or custom version that doesn't use our version information.",
      );
    }
    throw new AwsError(
      'NoUpdateAvailableException',
      "There's no update available for this Amazon ECS container agent. This might be because the agent is already running the latest version or because it's so old that there's no update path to the current version.",
    );
  }

  // ── attributes ───────────────────────────────────────────────────────────

  /** Groups attributes by the instance they name; each must name one. */
  #targets(scope: Scope, cluster: ClusterRecord, attributes: Attribute[]): Map<string, Attribute[]> {
    const byTarget = new Map<string, Attribute[]>();
    for (const a of attributes) {
      checkAttribute(a);
      if (!a.targetId) throw invalid(`Attribute '${a.name}' needs a targetId: the ID or ARN of a container instance.`);
      const arn = this.#arnOf(scope, cluster, a.targetId);
      byTarget.set(arn, [...(byTarget.get(arn) ?? []), a]);
    }
    return byTarget;
  }

  async #changeAttributes(
    scope: Scope,
    input: { cluster?: string; attributes?: Attribute[] },
    change: (current: Attribute[], given: Attribute[]) => Attribute[],
  ): Promise<{ attributes: Attribute[] }> {
    const attributes = input.attributes ?? [];
    if (attributes.length > MAX_CUSTOM_ATTRIBUTES) {
      throw new AwsError('AttributeLimitExceededException', `You can specify up to ${MAX_CUSTOM_ATTRIBUTES} attributes in a single call.`);
    }
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const byTarget = this.#targets(scope, cluster, attributes);
    await retryOnConflict(() =>
      this.store.transaction(async (tx) => {
        for (const [arn, given] of byTarget) {
          const rec = await readInstance(tx, arn);
          if (!rec || rec.clusterArn !== cluster.arn || rec.status === 'INACTIVE' || rec.accountId !== scope.accountId || rec.region !== scope.region) {
            throw new AwsError(
              'TargetNotFoundException',
              `Could not find ${given[0]!.targetId}. The specified target wasn't found. You can view your available container instances with ListContainerInstances. Amazon ECS container instances are cluster-specific and Region-specific.`,
            );
          }
          const next = change(rec.body.attributes, given);
          if (next.filter((a) => isCustomAttribute(a.name!)).length > MAX_CUSTOM_ATTRIBUTES) {
            throw new AwsError(
              'AttributeLimitExceededException',
              `You can apply up to ${MAX_CUSTOM_ATTRIBUTES} custom attributes for each resource. You can view the attributes of a resource with ListAttributes. You can remove existing attributes on a resource with DeleteAttributes.`,
            );
          }
          await saveInstance(tx, rec, { body: { ...rec.body, attributes: next } });
        }
      }),
    );
    return { attributes };
  }

  putAttributes(scope: Scope, input: { cluster?: string; attributes?: Attribute[] }): Promise<{ attributes: Attribute[] }> {
    return this.#changeAttributes(scope, input, (current, given) => mergeAttributes(current, given));
  }

  deleteAttributes(scope: Scope, input: { cluster?: string; attributes?: Attribute[] }): Promise<{ attributes: Attribute[] }> {
    return this.#changeAttributes(scope, input, (current, given) => current.filter((a) => !given.some((g) => g.name === a.name)));
  }

  async listAttributes(
    scope: Scope,
    input: { cluster?: string; targetType?: string; attributeName?: string; attributeValue?: string; nextToken?: string; maxResults?: number },
  ): Promise<{ attributes: Attribute[]; nextToken?: string }> {
    if (input.targetType !== 'container-instance') throw invalid(`targetType '${input.targetType ?? ''}' is not valid. Use container-instance.`);
    if (input.attributeValue !== undefined && input.attributeName === undefined) {
      throw invalid('attributeValue can only be used together with attributeName.');
    }
    const limit = pageSize(input.maxResults, 100);
    const after = decodeToken(input.nextToken, ['string', 'string']);
    const cluster = await this.clusters.resolve(scope, input.cluster);
    let q = this.store.db.selectFrom('container_instances').selectAll().where('cluster_arn', '=', cluster.arn).where('status', '<>', 'INACTIVE').orderBy('arn');
    if (after) q = q.where('arn', '>=', after[0]);
    const out: { arn: string; attribute: Attribute }[] = [];
    for (const rec of (await q.execute()).map(toInstanceRecord)) {
      const sorted = [...rec.body.attributes].sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0));
      for (const a of sorted) {
        if (after && (rec.arn < after[0] || (rec.arn === after[0] && a.name! <= after[1]))) continue;
        if (input.attributeName !== undefined && a.name !== input.attributeName) continue;
        if (input.attributeValue !== undefined && a.value !== input.attributeValue) continue;
        out.push({ arn: rec.arn, attribute: a });
        if (out.length > limit) break;
      }
      if (out.length > limit) break;
    }
    const page = out.slice(0, limit);
    const last = page.at(-1);
    return {
      attributes: page.map(({ arn, attribute }) => ({ name: attribute.name, value: attribute.value, targetId: arn })),
      nextToken: out.length > limit && last ? encodeToken([last.arn, last.attribute.name!]) : undefined,
    };
  }

  // ── the agent's connection ───────────────────────────────────────────────

  /** Called by the agent hub on connect, on disconnect (or missed heartbeats), and on heartbeats. */
  async markConnected(instanceArn: string, connected: boolean, now: number): Promise<void> {
    await retryOnConflict(() =>
      this.store.transaction(async (tx) => {
        const rec = await readInstance(tx, instanceArn);
        if (!rec) return;
        if (rec.agentConnected === connected) {
          await tx.updateTable('container_instances').set({ last_heartbeat_at: now }).where('arn', '=', instanceArn).execute();
          return;
        }
        // A change of agentConnected is an instance state change: its version grows.
        const updated = await tx
          .updateTable('container_instances')
          .set({
            agent_connected: connected ? 1 : 0,
            last_heartbeat_at: now,
            version: rec.version + 1,
            body: JSON.stringify({ ...rec.body, connectionChangedAt: now }),
          })
          .where('arn', '=', instanceArn)
          .where('version', '=', rec.version)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) throw new VersionConflict(`container instance ${instanceArn}`);
      }),
    );
  }

  /**
   * At the start of a single control plane no agent is connected yet, whatever
   * the store remembers from before a crash; agents reconnect and say so.
   */
  async markAllDisconnected(now: number): Promise<void> {
    const rows = await this.store.db.selectFrom('container_instances').select('arn').where('agent_connected', '=', 1).execute();
    for (const r of rows) await this.markConnected(r.arn, false, now);
  }

  /** The account and region of a registered (not deregistered) instance, for the agent hub. */
  async instanceScope(instanceArn: string): Promise<Scope | undefined> {
    const row = await this.store.db.selectFrom('container_instances').select(['account_id', 'region', 'status']).where('arn', '=', instanceArn).executeTakeFirst();
    return row && row.status !== 'INACTIVE' ? { accountId: row.account_id, region: row.region } : undefined;
  }

  /** Whether an ARN names a registered instance of the caller's scope (for tagging). */
  async exists(scope: Scope, arn: string): Promise<boolean> {
    const rec = await readInstance(this.store.db, arn);
    return !!rec && rec.status !== 'INACTIVE' && rec.accountId === scope.accountId && rec.region === scope.region;
  }
}

function health(rec: InstanceRecord): ContainerInstanceHealthStatus {
  // The agent's connection is what berth knows of the container runtime's health.
  const status = rec.agentConnected ? 'OK' : 'INSUFFICIENT_DATA';
  return {
    overallStatus: status,
    details: [
      {
        type: 'CONTAINER_RUNTIME',
        status,
        lastUpdated: new Date(rec.lastHeartbeatAt ?? rec.registeredAt),
        lastStatusChange: new Date(rec.body.connectionChangedAt ?? rec.registeredAt),
      },
    ],
  };
}
