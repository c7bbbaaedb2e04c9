import { checkStrategy, StrategyError } from './placement/capacity-provider-strategy.js';
import type {
  CapacityProviderStrategyItem,
  Cluster,
  ClusterConfiguration,
  ClusterField,
  ClusterServiceConnectDefaultsRequest,
  ClusterSetting,
  Failure,
  Tag,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../gateway/errors.js';
import type { Store, Tx } from '../store/store.js';
import type { AccountSettings } from './account-settings.js';
import { clusterArn, parseArn, type Scope } from './arns.js';
import { associateCapacityProviders, releaseCapacityProviders } from './cluster-capacity-providers.js';
import { clusterUsage } from './cluster-usage.js';
import { decodeToken, encodeToken, pageSize } from './pagination.js';
import { addTags, checkTags, dropTags, listTags } from './tags.js';

// ECS clusters. A cluster is named by its name or ARN; the `default` cluster
// stands in whenever an operation names none, and comes into being on first use.

export const DEFAULT_CLUSTER = 'default';
const NAME = /^[a-zA-Z0-9_-]{1,255}$/;

/** What is stored of a cluster; the counts are computed when it is described. */
interface ClusterBody {
  clusterName: string;
  configuration?: ClusterConfiguration;
  settings: ClusterSetting[];
  capacityProviders: string[];
  defaultCapacityProviderStrategy: CapacityProviderStrategyItem[];
  serviceConnectDefaults?: { namespace: string };
}

export interface ClusterRecord {
  arn: string;
  status: string;
  version: number;
  body: ClusterBody;
}

export const clusterNotFound = () => new AwsError('ClusterNotFoundException', 'Cluster not found.');

export interface CreateClusterInput {
  clusterName?: string;
  tags?: Tag[];
  settings?: ClusterSetting[];
  configuration?: ClusterConfiguration;
  capacityProviders?: string[];
  defaultCapacityProviderStrategy?: CapacityProviderStrategyItem[];
  serviceConnectDefaults?: ClusterServiceConnectDefaultsRequest;
}

export class Clusters {
  constructor(
    readonly store: Store,
    readonly settings: AccountSettings,
  ) {}

  /** Resolves a name or ARN to the cluster's ARN. An ARN of another region or account names nothing the caller can see. */
  arnOf(scope: Scope, id: string | undefined): string {
    const ref = id ?? DEFAULT_CLUSTER;
    if (ref.startsWith('arn:')) {
      const arn = parseArn(ref);
      if (!arn || arn.service !== 'ecs' || arn.resourceType !== 'cluster') {
        throw new AwsError('InvalidParameterException', `'${ref}' is not a valid cluster ARN.`);
      }
      return ref;
    }
    return clusterArn(scope, ref);
  }

  /** Reads a cluster of the caller's scope; clusters of other regions and accounts are invisible. */
  async #read(tx: Tx, arn: string, scope?: Scope): Promise<ClusterRecord | undefined> {
    let q = tx.selectFrom('clusters').selectAll().where('arn', '=', arn);
    if (scope) q = q.where('account_id', '=', scope.accountId).where('region', '=', scope.region);
    const row = await q.executeTakeFirst();
    return row && { arn: row.arn, status: row.status, version: row.version, body: JSON.parse(row.body) as ClusterBody };
  }

  /** The ACTIVE cluster an operation names, creating `default` when none is named. */
  async resolve(scope: Scope, id: string | undefined, tx: Tx = this.store.db): Promise<ClusterRecord> {
    if (id === undefined || id === DEFAULT_CLUSTER || id === clusterArn(scope, DEFAULT_CLUSTER)) {
      const found = await this.#read(tx, clusterArn(scope, DEFAULT_CLUSTER));
      if (found?.status === 'ACTIVE') return found;
      if (id === undefined) return this.ensureDefault(scope);
    }
    const found = await this.#read(tx, this.arnOf(scope, id), scope);
    if (!found || found.status !== 'ACTIVE') throw clusterNotFound();
    return found;
  }

  async ensureDefault(scope: Scope): Promise<ClusterRecord> {
    await this.create(scope, { clusterName: DEFAULT_CLUSTER }, Date.now());
    return (await this.#read(this.store.db, clusterArn(scope, DEFAULT_CLUSTER)))!;
  }

  async create(scope: Scope, input: CreateClusterInput, now: number): Promise<Cluster> {
    const name = input.clusterName ?? DEFAULT_CLUSTER;
    if (!NAME.test(name)) {
      throw new AwsError('InvalidParameterException', 'Cluster name can have up to 255 characters. Valid characters are letters (uppercase and lowercase), numbers, underscores, and hyphens.');
    }
    checkTags(input.tags);
    checkSettings(input.settings);
    checkCapacityProviders(input.capacityProviders, input.defaultCapacityProviderStrategy);
    const insights = await this.settings.effective(scope, 'containerInsights');
    const arn = clusterArn(scope, name);
    const body: ClusterBody = {
      clusterName: name,
      configuration: input.configuration,
      settings: mergeSettings([{ name: 'containerInsights', value: insights }], input.settings),
      capacityProviders: input.capacityProviders ?? [],
      defaultCapacityProviderStrategy: input.defaultCapacityProviderStrategy ?? [],
      serviceConnectDefaults: input.serviceConnectDefaults?.namespace ? { namespace: input.serviceConnectDefaults.namespace } : undefined,
    };
    return this.store.transaction(async (tx) => {
      const existing = await this.#read(tx, arn);
      if (existing?.status === 'ACTIVE') {
        // CreateCluster is idempotent: an existing cluster is returned as it is.
        return this.#describe(tx, existing, ['SETTINGS', 'CONFIGURATIONS', 'TAGS']);
      }
      if (existing) {
        await tx.updateTable('clusters').set({ status: 'ACTIVE', version: existing.version + 1, created_at: now, body: JSON.stringify(body) }).where('arn', '=', arn).execute();
        await dropTags(tx, arn);
      } else {
        await tx
          .insertInto('clusters')
          .values({ arn, account_id: scope.accountId, region: scope.region, name, status: 'ACTIVE', version: 1, created_at: now, body: JSON.stringify(body) })
          .execute();
      }
      await associateCapacityProviders(tx, scope, { arn, name }, [], body.capacityProviders);
      await addTags(tx, arn, input.tags);
      return this.#describe(tx, { arn, status: 'ACTIVE', version: 1, body }, ['SETTINGS', 'CONFIGURATIONS', 'TAGS']);
    });
  }

  async #describe(tx: Tx, c: ClusterRecord, include: ClusterField[] | string[]): Promise<Cluster> {
    const usage = await clusterUsage(tx, c.arn);
    const out: Cluster = {
      clusterArn: c.arn,
      clusterName: c.body.clusterName,
      status: c.status,
      registeredContainerInstancesCount: usage.registeredContainerInstancesCount,
      runningTasksCount: usage.runningTasksCount,
      pendingTasksCount: usage.pendingTasksCount,
      activeServicesCount: usage.activeServicesCount,
      statistics: [],
      tags: [],
      settings: [],
      capacityProviders: c.body.capacityProviders,
      defaultCapacityProviderStrategy: c.body.defaultCapacityProviderStrategy,
    };
    if (c.body.serviceConnectDefaults) out.serviceConnectDefaults = c.body.serviceConnectDefaults;
    if (include.includes('SETTINGS')) out.settings = c.body.settings;
    if (include.includes('CONFIGURATIONS') && c.body.configuration) out.configuration = c.body.configuration;
    if (include.includes('TAGS')) out.tags = await listTags(tx, c.arn);
    if (include.includes('ATTACHMENTS')) {
      out.attachments = [];
      out.attachmentsStatus = 'UPDATE_COMPLETE';
    }
    if (include.includes('STATISTICS')) {
      out.statistics = [
        'runningEC2TasksCount', 'runningFargateTasksCount', 'pendingEC2TasksCount', 'pendingFargateTasksCount',
        'activeEC2ServiceCount', 'activeFargateServiceCount', 'drainingEC2ServiceCount', 'drainingFargateServiceCount',
      ].map((name) => ({ name, value: String(usage[name as keyof typeof usage]) }));
    }
    return out;
  }

  async describe(scope: Scope, ids: string[] | undefined, include: string[] = []): Promise<{ clusters: Cluster[]; failures: Failure[] }> {
    const refs = ids?.length ? ids : [DEFAULT_CLUSTER];
    if (refs.length > 100) throw new AwsError('InvalidParameterException', 'clusters can have at most 100 items.');
    const clusters: Cluster[] = [];
    const failures: Failure[] = [];
    for (const ref of refs) {
      const arn = this.arnOf(scope, ref);
      let found = await this.#read(this.store.db, arn, scope);
      if (!found && !ids?.length) found = await this.ensureDefault(scope);
      if (found) clusters.push(await this.#describe(this.store.db, found, include));
      else failures.push({ arn, reason: 'MISSING' });
    }
    return { clusters, failures };
  }

  async list(scope: Scope, nextToken: string | undefined, maxResults: number | undefined): Promise<{ clusterArns: string[]; nextToken?: string }> {
    const limit = pageSize(maxResults, 100);
    const after = decodeToken(nextToken, ['string'])?.[0];
    let q = this.store.db
      .selectFrom('clusters')
      .select('arn')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('status', '=', 'ACTIVE')
      .orderBy('arn')
      .limit(limit + 1);
    if (after !== undefined) q = q.where('arn', '>', after);
    const rows = await q.execute();
    const page = rows.slice(0, limit).map((r) => r.arn);
    return { clusterArns: page, nextToken: rows.length > limit ? encodeToken([page.at(-1)!]) : undefined };
  }

  async #change(scope: Scope, id: string, change: (body: ClusterBody, tx: Tx, cluster: ClusterRecord) => void | Promise<void>): Promise<Cluster> {
    return this.store.transaction(async (tx) => {
      const c = await this.resolve(scope, id, tx);
      await change(c.body, tx, c);
      const updated = await tx
        .updateTable('clusters')
        .set({ body: JSON.stringify(c.body), version: c.version + 1 })
        .where('arn', '=', c.arn)
        .where('version', '=', c.version)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) {
        throw new AwsError('UpdateInProgressException', 'The cluster was changed by another request at the same time. Retry the request.');
      }
      return this.#describe(tx, { ...c, version: c.version + 1 }, ['SETTINGS', 'CONFIGURATIONS']);
    });
  }

  update(
    scope: Scope,
    input: { cluster: string; settings?: ClusterSetting[]; configuration?: ClusterConfiguration; serviceConnectDefaults?: ClusterServiceConnectDefaultsRequest },
  ): Promise<Cluster> {
    checkSettings(input.settings);
    return this.#change(scope, input.cluster, (body) => {
      if (input.settings) body.settings = mergeSettings(body.settings, input.settings);
      if (input.configuration) body.configuration = { ...body.configuration, ...input.configuration };
      if (input.serviceConnectDefaults) {
        body.serviceConnectDefaults = input.serviceConnectDefaults.namespace ? { namespace: input.serviceConnectDefaults.namespace } : undefined;
      }
    });
  }

  /** PutClusterCapacityProviders: replaces the cluster's capacity providers and its default strategy (both required, [] clears). */
  putCapacityProviders(scope: Scope, input: { cluster: string; capacityProviders: string[]; defaultCapacityProviderStrategy: CapacityProviderStrategyItem[] }): Promise<Cluster> {
    checkCapacityProviders(input.capacityProviders, input.defaultCapacityProviderStrategy);
    return this.#change(scope, input.cluster, async (body, tx, c) => {
      // EC2 providers: ACTIVE, of no other cluster; a removed one must not be in use.
      await associateCapacityProviders(tx, scope, { arn: c.arn, name: body.clusterName }, body.capacityProviders, input.capacityProviders);
      body.capacityProviders = [...input.capacityProviders];
      body.defaultCapacityProviderStrategy = input.defaultCapacityProviderStrategy.map((i) => ({ capacityProvider: i.capacityProvider, weight: i.weight ?? 0, base: i.base ?? 0 }));
    });
  }

  updateSettings(scope: Scope, cluster: string, settings: ClusterSetting[]): Promise<Cluster> {
    checkSettings(settings);
    return this.#change(scope, cluster, (body) => {
      body.settings = mergeSettings(body.settings, settings);
    });
  }

  async delete(scope: Scope, id: string): Promise<Cluster> {
    return this.store.transaction(async (tx) => {
      const c = await this.resolve(scope, id, tx);
      const usage = await clusterUsage(tx, c.arn);
      if (usage.registeredContainerInstancesCount > 0) {
        throw new AwsError('ClusterContainsContainerInstancesException', 'The Cluster cannot be deleted while Container Instances are active or draining.');
      }
      if (usage.activeServicesCount + usage.drainingServicesCount > 0) {
        throw new AwsError('ClusterContainsServicesException', 'The Cluster cannot be deleted while Services are active.');
      }
      if (usage.activeTasksCount > 0) {
        throw new AwsError('ClusterContainsTasksException', 'The Cluster cannot be deleted while Tasks are active.');
      }
      await tx.updateTable('clusters').set({ status: 'INACTIVE', version: c.version + 1 }).where('arn', '=', c.arn).execute();
      // Deleting a cluster is the other way to take its capacity providers from it (ECS API reference, DeleteCapacityProvider).
      await releaseCapacityProviders(tx, c.arn);
      return this.#describe(tx, { ...c, status: 'INACTIVE' }, ['SETTINGS', 'CONFIGURATIONS']);
    });
  }

  /** Whether an ARN names an existing cluster (for tagging). */
  async exists(scope: Scope, arn: string): Promise<boolean> {
    const c = await this.#read(this.store.db, arn, scope);
    return c?.status === 'ACTIVE';
  }
}

function mergeSettings(current: ClusterSetting[], changes: ClusterSetting[] | undefined): ClusterSetting[] {
  const out = current.map((s) => ({ ...s }));
  for (const change of changes ?? []) {
    const hit = out.find((s) => s.name === change.name);
    if (hit) hit.value = change.value;
    else out.push({ name: change.name, value: change.value });
  }
  return out;
}

function checkSettings(settings: ClusterSetting[] | undefined) {
  for (const s of settings ?? []) {
    if (s.name !== 'containerInsights') throw new AwsError('InvalidParameterException', `Unsupported cluster setting name '${s.name}'. Use containerInsights.`);
    if (!['enabled', 'disabled', 'enhanced'].includes(s.value ?? '')) {
      throw new AwsError('InvalidParameterException', `Invalid value '${s.value ?? ''}' for the cluster setting containerInsights. Use enabled, disabled or enhanced.`);
    }
  }
}

/** The request's own checks; which providers exist and whose they are is checked in the transaction (cluster-capacity-providers.ts). */
function checkCapacityProviders(providers: string[] | undefined, strategy: CapacityProviderStrategyItem[] | undefined) {
  if (new Set(providers ?? []).size !== (providers ?? []).length) {
    throw new AwsError('InvalidParameterException', 'The capacity providers of a cluster must be unique; one is listed more than once.');
  }
  try {
    checkStrategy(strategy ?? [], 'defaultCapacityProviderStrategy');
  } catch (e) {
    if (e instanceof StrategyError) throw new AwsError('InvalidParameterException', e.message);
    throw e;
  }
  for (const item of strategy ?? []) {
    if (!(providers ?? []).includes(item.capacityProvider!)) {
      throw new AwsError(
        'InvalidParameterException',
        'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.',
      );
    }
  }
}
