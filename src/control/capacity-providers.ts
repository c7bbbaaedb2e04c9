import type {
  AutoScalingGroupProvider,
  AutoScalingGroupProviderUpdate,
  CapacityProvider,
  Failure,
  ManagedScaling,
  Tag,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../gateway/errors.js';
import type { CapacityProviderRow } from '../store/schema.js';
import type { Store, Tx } from '../store/store.js';
import { parseArn, type Scope } from './arns.js';
import { decodeToken, encodeToken, pageSize } from './pagination.js';
import { addTags, checkTags, dropTags, listTags } from './tags.js';

// Capacity providers as ECS has them. Every account and region has AWS's two
// managed ones, FARGATE and FARGATE_SPOT, which are not stored. EC2 capacity
// providers (an Auto Scaling group each) are rows of `capacity_providers`:
// CreateCapacityProvider, UpdateCapacityProvider, DeleteCapacityProvider,
// DescribeCapacityProviders, their tags. berth has no Auto Scaling groups:
// the group's ARN is a name, and a provider's instances come from berth's
// instance pool (src/fleet) once the provider is associated with a cluster
// (cluster-capacity-providers.ts) and its managed scaling asks for them.
//
// Messages. ECS's own, as clients have reported them: the invalid name, "already
// exists", the Auto Scaling group used twice (containers-roadmap#632),
// "The specified minimum scaling step size is invalid." (aws-cli#4781, with
// client-side validation off), and DeleteCapacityProvider's DELETE_FAILED
// reason (AWS re:Post "ecs-capacity-provider-error"; terraform-provider-aws#48156:
// the call succeeds, updateStatus DELETE_FAILED, status stays ACTIVE). The
// other managedScaling messages follow the minimum step size one; the
// not-found, reserved-provider and unsupported ones are berth's words.

export const MANAGED_CAPACITY_PROVIDERS = ['FARGATE', 'FARGATE_SPOT'] as const;

export const capacityProviderArn = (scope: Scope, name: string) => `arn:aws:ecs:${scope.region}:${scope.accountId}:capacity-provider/${name}`;

export const isManagedCapacityProvider = (name: string) => (MANAGED_CAPACITY_PROVIDERS as readonly string[]).includes(name);

/** The attribute a pool instance registers with, naming its capacity provider (ContainerInstances reads it). */
export const CAPACITY_PROVIDER_ATTRIBUTE = 'berth.capacity-provider';

const NAME = /^[a-zA-Z0-9_-]{1,255}$/;
const RESERVED_PREFIX = /^(aws|ecs|fargate)/i;
const ASG_ARN = /^arn:aws[a-z-]*:autoscaling:[a-z0-9-]+:\d{12}:autoScalingGroup:[0-9a-fA-F-]+:autoScalingGroupName\/\S{1,255}$/;
const ASG_NAME = /^[^\s:][^:]{0,254}$/;

export const NAME_MESSAGE =
  'The specified capacity provider name is invalid. Up to 255 characters are allowed, including letters (upper and lowercase), numbers, underscores, and hyphens. The name cannot be prefixed with "aws", "ecs", or "fargate". Specify a valid name and try again.';
export const EXISTS_MESSAGE = 'The specified capacity provider already exists. To change the configuration of an existing capacity provider, update the capacity provider.';
export const ASG_IN_USE_MESSAGE = 'The specified Auto Scaling group ARN is already being used by another capacity provider. Specify a unique Auto Scaling group ARN and try again.';
export const NOT_FOUND_MESSAGE = 'The specified capacity provider does not exist. Specify a valid name or ARN and try again.';
export const deleteFailedReason = (clusterName: string) =>
  `The capacity provider cannot be deleted because it is associated with cluster: ${clusterName}. Remove the capacity provider from the cluster and try again.`;

const client = (message: string) => new AwsError('ClientException', message);

/** The defaults ECS fills in (API reference, ManagedScaling): a step of 1 to 10000 instances, 300 s of warm-up. */
export const MANAGED_SCALING_DEFAULTS = { status: 'DISABLED', targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 10000, instanceWarmupPeriod: 300 } as const;

export interface ManagedScalingSettings {
  status: 'ENABLED' | 'DISABLED';
  targetCapacity: number;
  minimumScalingStepSize: number;
  maximumScalingStepSize: number;
  instanceWarmupPeriod: number;
}

export interface AutoScalingGroupSettings {
  autoScalingGroupArn: string;
  managedScaling: ManagedScalingSettings;
  managedTerminationProtection: 'ENABLED' | 'DISABLED';
  managedDraining: 'ENABLED' | 'DISABLED';
}

/** What is stored of an EC2 capacity provider beside its columns. */
export interface CapacityProviderBody {
  autoScalingGroupProvider: AutoScalingGroupSettings;
  updateStatus?: string;
  updateStatusReason?: string;
}

export interface CapacityProviderRecord {
  arn: string;
  accountId: string;
  region: string;
  name: string;
  status: string;
  clusterArn: string | null;
  version: number;
  createdAt: number;
  body: CapacityProviderBody;
}

export function toCapacityProviderRecord(row: CapacityProviderRow): CapacityProviderRecord {
  return {
    arn: row.arn,
    accountId: row.account_id,
    region: row.region,
    name: row.name,
    status: row.status,
    clusterArn: row.cluster_arn,
    version: row.version,
    createdAt: Number(row.created_at),
    body: JSON.parse(row.body) as CapacityProviderBody,
  };
}

function checkName(name: string): void {
  if (!NAME.test(name) || RESERVED_PREFIX.test(name)) throw client(NAME_MESSAGE);
}

const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** managedScaling as given over what there was (defaults for a new provider), checked as ECS checks it. */
export function resolveManagedScaling(current: ManagedScalingSettings | undefined, given: ManagedScaling | undefined): ManagedScalingSettings {
  const base: ManagedScalingSettings = current ?? { ...MANAGED_SCALING_DEFAULTS };
  const out: ManagedScalingSettings = {
    status: (given?.status as ManagedScalingSettings['status'] | undefined) ?? base.status,
    targetCapacity: given?.targetCapacity ?? base.targetCapacity,
    minimumScalingStepSize: given?.minimumScalingStepSize ?? base.minimumScalingStepSize,
    maximumScalingStepSize: given?.maximumScalingStepSize ?? base.maximumScalingStepSize,
    instanceWarmupPeriod: given?.instanceWarmupPeriod ?? base.instanceWarmupPeriod,
  };
  if (out.status !== 'ENABLED' && out.status !== 'DISABLED') throw client('The specified managed scaling status is invalid. Use ENABLED or DISABLED.');
  if (!isInteger(out.targetCapacity) || out.targetCapacity < 1 || out.targetCapacity > 100) throw client('The specified target capacity is invalid.');
  const stepOk = (n: number) => isInteger(n) && n >= 1 && n <= 10000;
  if (!stepOk(out.minimumScalingStepSize)) throw client('The specified minimum scaling step size is invalid.');
  if (!stepOk(out.maximumScalingStepSize)) throw client('The specified maximum scaling step size is invalid.');
  if (out.minimumScalingStepSize > out.maximumScalingStepSize) {
    throw client('The specified minimum scaling step size is invalid. The minimum scaling step size must be less than or equal to the maximum scaling step size.');
  }
  if (!isInteger(out.instanceWarmupPeriod) || out.instanceWarmupPeriod < 0 || out.instanceWarmupPeriod > 10000) {
    throw client('The specified instance warmup period is invalid.');
  }
  return out;
}

function onOff(value: string | undefined, fallback: 'ENABLED' | 'DISABLED', member: string): 'ENABLED' | 'DISABLED' {
  const v = value ?? fallback;
  if (v !== 'ENABLED' && v !== 'DISABLED') throw client(`The specified ${member} setting is invalid. Use ENABLED or DISABLED.`);
  return v;
}

function checkAutoScalingGroup(ref: string | undefined): string {
  const v = ref ?? '';
  if (v.startsWith('arn:') ? !ASG_ARN.test(v) : !ASG_NAME.test(v)) {
    throw client('The specified Auto Scaling group ARN is invalid. Specify the ARN or the name of an Auto Scaling group and try again.');
  }
  return v;
}

function unsupported(input: { managedInstancesProvider?: unknown; cluster?: string }): void {
  if (input.managedInstancesProvider !== undefined) {
    throw new AwsError(
      'UnsupportedFeatureException',
      'berth does not run Amazon ECS Managed Instances capacity providers (managedInstancesProvider). Create an Auto Scaling group capacity provider (autoScalingGroupProvider): berth starts its instances from its own instance pool.',
    );
  }
  if (input.cluster !== undefined) {
    throw new AwsError('InvalidParameterException', 'The cluster parameter applies to Amazon ECS Managed Instances capacity providers only. Associate an Auto Scaling group capacity provider with a cluster with PutClusterCapacityProviders.');
  }
}

function managedWire(scope: Scope, name: string): CapacityProvider {
  return { capacityProviderArn: capacityProviderArn(scope, name), name, status: 'ACTIVE', tags: [] };
}

export class CapacityProviders {
  constructor(readonly store: Store) {}

  /** The provider a name or ARN of the caller's scope names: `{ managed }` for FARGATE/FARGATE_SPOT, the stored record, or undefined. */
  async #lookup(tx: Tx, scope: Scope, ref: string): Promise<{ managed: string } | { record: CapacityProviderRecord } | undefined> {
    let name = ref;
    if (ref.startsWith('arn:')) {
      const arn = parseArn(ref);
      if (!arn || arn.service !== 'ecs' || arn.resourceType !== 'capacity-provider') return undefined;
      if (arn.region !== scope.region || arn.accountId !== scope.accountId) return undefined;
      name = arn.resource;
    }
    if (isManagedCapacityProvider(name)) return { managed: name };
    const row = await tx.selectFrom('capacity_providers').selectAll().where('arn', '=', capacityProviderArn(scope, name)).executeTakeFirst();
    return row ? { record: toCapacityProviderRecord(row) } : undefined;
  }

  async #wire(tx: Tx, rec: CapacityProviderRecord, withTags: boolean): Promise<CapacityProvider> {
    const asg = rec.body.autoScalingGroupProvider;
    const out: CapacityProvider = {
      capacityProviderArn: rec.arn,
      name: rec.name,
      status: rec.status as CapacityProvider['status'],
      autoScalingGroupProvider: {
        autoScalingGroupArn: asg.autoScalingGroupArn,
        managedScaling: { ...asg.managedScaling },
        managedTerminationProtection: asg.managedTerminationProtection,
        managedDraining: asg.managedDraining,
      } satisfies AutoScalingGroupProvider,
      type: 'EC2_AUTOSCALING',
    };
    if (rec.body.updateStatus) out.updateStatus = rec.body.updateStatus as CapacityProvider['updateStatus'];
    if (rec.body.updateStatusReason) out.updateStatusReason = rec.body.updateStatusReason;
    if (withTags) out.tags = await listTags(tx, rec.arn);
    return out;
  }

  async create(
    scope: Scope,
    input: { name?: string; cluster?: string; autoScalingGroupProvider?: AutoScalingGroupProvider; managedInstancesProvider?: unknown; tags?: Tag[] },
    now: number,
  ): Promise<CapacityProvider> {
    const name = input.name ?? '';
    checkName(name);
    unsupported(input);
    const given = input.autoScalingGroupProvider;
    if (!given) throw new AwsError('InvalidParameterException', 'autoScalingGroupProvider is required: berth creates Auto Scaling group capacity providers.');
    checkTags(input.tags);
    const settings: AutoScalingGroupSettings = {
      autoScalingGroupArn: checkAutoScalingGroup(given.autoScalingGroupArn),
      managedScaling: resolveManagedScaling(undefined, given.managedScaling),
      managedTerminationProtection: onOff(given.managedTerminationProtection, 'DISABLED', 'managed termination protection'),
      managedDraining: onOff(given.managedDraining, 'ENABLED', 'managed draining'),
    };
    const arn = capacityProviderArn(scope, name);
    const body: CapacityProviderBody = { autoScalingGroupProvider: settings };
    return this.store.transaction(async (tx) => {
      const existing = await tx.selectFrom('capacity_providers').select(['status']).where('arn', '=', arn).executeTakeFirst();
      if (existing?.status === 'ACTIVE') throw client(EXISTS_MESSAGE);
      const sameGroup = await tx
        .selectFrom('capacity_providers')
        .select('arn')
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('auto_scaling_group_arn', '=', settings.autoScalingGroupArn)
        .where('status', '=', 'ACTIVE')
        .executeTakeFirst();
      if (sameGroup) throw client(ASG_IN_USE_MESSAGE);
      if (existing) {
        // A deleted provider of the same name is replaced: a new provider, without the old one's tags.
        await tx.deleteFrom('capacity_providers').where('arn', '=', arn).execute();
        await dropTags(tx, arn);
      }
      await tx
        .insertInto('capacity_providers')
        .values({
          arn,
          account_id: scope.accountId,
          region: scope.region,
          name,
          status: 'ACTIVE',
          auto_scaling_group_arn: settings.autoScalingGroupArn,
          cluster_arn: null,
          version: 1,
          created_at: now,
          body: JSON.stringify(body),
        })
        .execute();
      await addTags(tx, arn, input.tags);
      return this.#wire(tx, { arn, accountId: scope.accountId, region: scope.region, name, status: 'ACTIVE', clusterArn: null, version: 1, createdAt: now, body }, true);
    });
  }

  async update(
    scope: Scope,
    input: { name?: string; cluster?: string; autoScalingGroupProvider?: AutoScalingGroupProviderUpdate; managedInstancesProvider?: unknown },
  ): Promise<CapacityProvider> {
    const ref = input.name ?? '';
    if (isManagedCapacityProvider(ref)) throw client(`The ${ref} capacity provider is reserved and can't be updated.`);
    unsupported(input);
    const given = input.autoScalingGroupProvider ?? {};
    return this.store.transaction(async (tx) => {
      const found = await this.#lookup(tx, scope, ref);
      if (found && 'managed' in found) throw client(`The ${found.managed} capacity provider is reserved and can't be updated.`);
      const rec = found?.record;
      if (!rec || rec.status !== 'ACTIVE') throw client(NOT_FOUND_MESSAGE);
      const current = rec.body.autoScalingGroupProvider;
      const body: CapacityProviderBody = {
        autoScalingGroupProvider: {
          autoScalingGroupArn: current.autoScalingGroupArn,
          managedScaling: resolveManagedScaling(current.managedScaling, given.managedScaling),
          managedTerminationProtection: onOff(given.managedTerminationProtection, current.managedTerminationProtection, 'managed termination protection'),
          managedDraining: onOff(given.managedDraining, current.managedDraining, 'managed draining'),
        },
        updateStatus: 'UPDATE_COMPLETE',
      };
      const version = await this.#save(tx, rec, { body });
      return this.#wire(tx, { ...rec, version, body }, true);
    });
  }

  /**
   * DeleteCapacityProvider. As on AWS, a provider still associated with a
   * cluster is not deleted and the call does not fail: the provider stays
   * ACTIVE with updateStatus DELETE_FAILED and the reason.
   */
  async delete(scope: Scope, input: { capacityProvider?: string; cluster?: string }): Promise<CapacityProvider> {
    const ref = input.capacityProvider ?? '';
    unsupported({ cluster: input.cluster });
    return this.store.transaction(async (tx) => {
      const found = await this.#lookup(tx, scope, ref);
      if (found && 'managed' in found) throw client(`The ${found.managed} capacity provider is reserved and can't be deleted. Remove it from a cluster with PutClusterCapacityProviders.`);
      const rec = found?.record;
      if (!rec) throw client(NOT_FOUND_MESSAGE);
      if (rec.status !== 'ACTIVE') return this.#wire(tx, rec, true);
      if (rec.clusterArn) {
        const cluster = await tx.selectFrom('clusters').select('name').where('arn', '=', rec.clusterArn).executeTakeFirst();
        const body: CapacityProviderBody = { ...rec.body, updateStatus: 'DELETE_FAILED', updateStatusReason: deleteFailedReason(cluster?.name ?? rec.clusterArn) };
        const version = await this.#save(tx, rec, { body });
        return this.#wire(tx, { ...rec, version, body }, true);
      }
      const body: CapacityProviderBody = { autoScalingGroupProvider: rec.body.autoScalingGroupProvider, updateStatus: 'DELETE_COMPLETE' };
      const version = await this.#save(tx, rec, { status: 'INACTIVE', body });
      return this.#wire(tx, { ...rec, status: 'INACTIVE', version, body }, true);
    });
  }

  async #save(tx: Tx, rec: CapacityProviderRecord, change: { status?: string; body: CapacityProviderBody }): Promise<number> {
    const version = rec.version + 1;
    const result = await tx
      .updateTable('capacity_providers')
      .set({ status: change.status ?? rec.status, body: JSON.stringify(change.body), version })
      .where('arn', '=', rec.arn)
      .where('version', '=', rec.version)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      throw new AwsError('UpdateInProgressException', 'The capacity provider was changed by another request at the same time. Retry the request.');
    }
    return version;
  }

  /** DescribeCapacityProviders: by name or ARN (at most 100), or all of them (FARGATE, FARGATE_SPOT and the EC2 ones, by name) a page at a time. */
  async describe(
    scope: Scope,
    input: { capacityProviders?: string[]; cluster?: string; include?: string[]; maxResults?: number; nextToken?: string },
  ): Promise<{ capacityProviders: CapacityProvider[]; failures: Failure[]; nextToken?: string }> {
    const withTags = input.include?.includes('TAGS') ?? false;
    const db = this.store.db;
    if (input.capacityProviders?.length) {
      if (input.capacityProviders.length > 100) throw new AwsError('InvalidParameterException', 'capacityProviders can have at most 100 items.');
      if (input.maxResults !== undefined || input.nextToken !== undefined) {
        throw new AwsError('InvalidParameterException', 'maxResults and nextToken can be used only when no capacityProviders are named.');
      }
      const found: CapacityProvider[] = [];
      const failures: Failure[] = [];
      for (const ref of input.capacityProviders) {
        const hit = await this.#lookup(db, scope, ref);
        if (hit && 'managed' in hit) found.push(managedWire(scope, hit.managed));
        else if (hit) found.push(await this.#wire(db, hit.record, withTags));
        else failures.push({ arn: ref.startsWith('arn:') ? ref : capacityProviderArn(scope, ref), reason: 'MISSING' });
      }
      return { capacityProviders: found, failures };
    }
    const limit = pageSize(input.maxResults, 10);
    const after = decodeToken(input.nextToken, ['string'])?.[0];
    let q = db.selectFrom('capacity_providers').selectAll().where('account_id', '=', scope.accountId).where('region', '=', scope.region).orderBy('name').limit(limit + 1);
    if (after !== undefined) q = q.where('name', '>', after);
    const stored = (await q.execute()).map(toCapacityProviderRecord);
    const entries: { name: string; rec?: CapacityProviderRecord }[] = [
      ...MANAGED_CAPACITY_PROVIDERS.filter((n) => after === undefined || n > after).map((name) => ({ name })),
      ...stored.map((rec) => ({ name: rec.name, rec })),
    ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const page = entries.slice(0, limit);
    const capacityProviders: CapacityProvider[] = [];
    for (const e of page) capacityProviders.push(e.rec ? await this.#wire(db, e.rec, withTags) : managedWire(scope, e.name));
    return { capacityProviders, failures: [], nextToken: entries.length > limit ? encodeToken([page.at(-1)!.name]) : undefined };
  }

  /** Whether an ARN names an ACTIVE EC2 capacity provider of the caller's scope (for tagging). */
  async exists(scope: Scope, arn: string): Promise<boolean> {
    const hit = await this.#lookup(this.store.db, scope, arn);
    return !!hit && 'record' in hit && hit.record.status === 'ACTIVE';
  }

  /** The ACTIVE EC2 providers associated with a cluster, of every account and region (the instance pool's work list). */
  async associated(): Promise<CapacityProviderRecord[]> {
    const rows = await this.store.db.selectFrom('capacity_providers').selectAll().where('status', '=', 'ACTIVE').where('cluster_arn', 'is not', null).orderBy('arn').execute();
    return rows.map(toCapacityProviderRecord);
  }

  async read(arn: string): Promise<CapacityProviderRecord | undefined> {
    const row = await this.store.db.selectFrom('capacity_providers').selectAll().where('arn', '=', arn).executeTakeFirst();
    return row && toCapacityProviderRecord(row);
  }

  /**
   * Adds one CapacityProviderReservation sample to the provider's minute (a
   * CloudWatch statistic set: samples, sum, minimum, maximum), for
   * AWS/ECS/ManagedScaling with the CapacityProviderName and ClusterName dimensions.
   */
  async recordReservation(providerArn: string, clusterName: string, value: number, now: number): Promise<void> {
    const minute = Math.floor(now / 60_000) * 60_000;
    await this.store.transaction(async (tx) => {
      const row = await tx
        .selectFrom('capacity_provider_reservations')
        .selectAll()
        .where('capacity_provider_arn', '=', providerArn)
        .where('minute', '=', minute)
        .executeTakeFirst();
      if (!row) {
        await tx
          .insertInto('capacity_provider_reservations')
          .values({ capacity_provider_arn: providerArn, cluster_name: clusterName, minute, samples: 1, sum: value, minimum: value, maximum: value })
          .execute();
        return;
      }
      await tx
        .updateTable('capacity_provider_reservations')
        .set({ samples: row.samples + 1, sum: row.sum + value, minimum: Math.min(row.minimum, value), maximum: Math.max(row.maximum, value), cluster_name: clusterName })
        .where('capacity_provider_arn', '=', providerArn)
        .where('minute', '=', minute)
        .execute();
    });
  }

  /** CapacityProviderReservation minutes of a provider in [from, to), oldest first. */
  async reservations(providerArn: string, from: number, to: number): Promise<{ minute: number; clusterName: string; samples: number; sum: number; minimum: number; maximum: number }[]> {
    const rows = await this.store.db
      .selectFrom('capacity_provider_reservations')
      .selectAll()
      .where('capacity_provider_arn', '=', providerArn)
      .where('minute', '>=', from)
      .where('minute', '<', to)
      .orderBy('minute')
      .execute();
    return rows.map((r) => ({ minute: Number(r.minute), clusterName: r.cluster_name, samples: r.samples, sum: r.sum, minimum: r.minimum, maximum: r.maximum }));
  }

  /** Drops reservation minutes older than `before` (CloudWatch keeps one-minute data for 15 days). */
  async pruneReservations(before: number): Promise<void> {
    await this.store.db.deleteFrom('capacity_provider_reservations').where('minute', '<', before).execute();
  }
}
