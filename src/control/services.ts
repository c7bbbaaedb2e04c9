import type {
  CreateServiceCommandInput,
  DeploymentConfiguration,
  Failure,
  NetworkConfiguration,
  PlacementConstraint,
  PlacementStrategy,
  Service,
  ServiceDeployment,
  ServiceDeploymentBrief,
  ServiceRevision,
  TaskDefinition,
  UpdateServiceCommandInput,
} from '@aws-sdk/client-ecs';
import { checkServiceLoadBalancers } from './elb/service-targets.js';
import { AwsError } from '../gateway/errors.js';
import type { Store, Tx } from '../store/store.js';
import { parseArn, rootPrincipalArn, serviceArn, serviceDeploymentArn, serviceRevisionArn, type Scope } from './arns.js';
import type { ClusterRecord, Clusters } from './clusters.js';
import { retryOnConflict, VersionConflict } from './optimistic.js';
import { decodeToken, encodeToken, pageSize } from './pagination.js';
import { parseConstraints, parseStrategies, PlacementInputError, SERVICE_DEFAULT_STRATEGY } from './placement/index.js';
import { ROLLOUT_REASON } from './reconcile/plan-service.js';
import { dropServiceEvents } from './service-events.js';
import {
  insertDeployment,
  newDeploymentId,
  newRevisionId,
  newServiceDeploymentId,
  readDeployments,
  readService,
  saveDeployment,
  saveService,
  serviceNotActive,
  serviceNotFound,
  toDeploymentRecord,
  type DeploymentRecord,
  type DeploymentSettings,
  type RevisionBody,
  type SchedulingStrategy,
  type ServiceBody,
  type ServiceRecord,
} from './service-record.js';
import { deploymentCounts, toService, toServiceDeployment, toServiceRevision } from './service-views.js';
import { addTags, checkTags, dropTags, listTags } from './tags.js';
import type { TaskDefinitions } from './task-definitions.js';
import type { Tasks } from './tasks.js';
import { chooseCapacity } from './launch-capacity.js';
import type { StrategyItem } from './placement/capacity-provider-strategy.js';

// ECS services: the desired state the service scheduler (reconcile/) keeps
// true. CreateService and UpdateService write the service and, when what runs
// changes, a new deployment (PRIMARY) of a new revision; the previous PRIMARY
// becomes ACTIVE and is scaled in as the new one comes up. DeleteService sets
// the service DRAINING; the scheduler stops its tasks and marks it INACTIVE.
// Every change is one transaction, version-checked against the reconciler's
// writes, and wakes the reconciler after commit. A DAEMON service has no
// desired count of its own: the scheduler keeps it at the number of
// instances that should run it.

const invalid = (message: string) => new AwsError('InvalidParameterException', message);
const NAME = /^[a-zA-Z0-9_-]{1,255}$/;
export const MAX_DESCRIBE_SERVICES = 10;
const MAX_DESCRIBE_DEPLOYMENTS = 20;

/** What a service tells its scheduler: which service of which cluster changed. */
export type ServiceKick = (serviceArn: string) => void;

interface Checked {
  td: TaskDefinition;
  /** The launch type or capacity provider strategy, and the Fargate platform version. */
  capacity: { launchType: 'EC2' | 'FARGATE'; strategy?: StrategyItem[]; platformVersion?: string };
  networkConfiguration?: NetworkConfiguration;
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
}

export class Services {
  #kick: ServiceKick = () => {};

  constructor(
    readonly store: Store,
    readonly clusters: Clusters,
    readonly taskDefinitions: TaskDefinitions,
    readonly tasks: Tasks,
  ) {}

  /** The scheduler to wake after every committed change. */
  onChange(kick: ServiceKick): void {
    this.#kick = kick;
  }

  /** A service name or ARN (long, or old `service/<name>`) → the service's ARN in the cluster. */
  arnOf(scope: Scope, cluster: ClusterRecord, ref: string): string {
    if (ref.startsWith('arn:')) {
      const arn = parseArn(ref);
      if (!arn || arn.service !== 'ecs' || arn.resourceType !== 'service') throw invalid(`'${ref}' is not a valid service ARN.`);
      const parts = arn.resource.split('/');
      return parts.length === 1 ? serviceArn({ accountId: arn.accountId, region: arn.region }, cluster.body.clusterName, parts[0]!) : ref;
    }
    return serviceArn(scope, cluster.body.clusterName, ref);
  }

  /** The service a request names in its cluster (any status), or undefined. */
  async #find(tx: Tx, scope: Scope, cluster: ClusterRecord, ref: string): Promise<ServiceRecord | undefined> {
    const s = await readService(tx, this.arnOf(scope, cluster, ref));
    if (!s || s.clusterArn !== cluster.arn || s.accountId !== scope.accountId || s.region !== scope.region) return undefined;
    return s;
  }

  // ── checks shared by create and update ───────────────────────────────────

  async #taskDefinition(scope: Scope, ref: string): Promise<TaskDefinition> {
    let td: TaskDefinition;
    try {
      td = await this.taskDefinitions.get(scope, ref);
    } catch (e) {
      if (e instanceof AwsError && e.code === 'ClientException') throw invalid('TaskDefinition not found.');
      throw e;
    }
    if (td.status !== 'ACTIVE') throw invalid('TaskDefinition is inactive');
    // Whether it suits the launch type is checked with the launch (#checkLaunch).
    return td;
  }

  /** Checks what the deployment's tasks would be launched with, as RunTask would (network mode, placement, task definition). */
  async #checkLaunch(scope: Scope, cluster: ClusterRecord, name: string, c: Checked): Promise<void> {
    await this.tasks.serviceLaunch(scope, {
      cluster: cluster.arn,
      serviceName: name,
      taskDefinition: c.td.taskDefinitionArn!,
      deploymentId: 'ecs-svc/0',
      networkConfiguration: c.networkConfiguration,
      placementConstraints: c.placementConstraints,
      placementStrategy: c.placementStrategy,
      tags: [],
      enableECSManagedTags: false,
      enableExecuteCommand: false,
      launchType: c.capacity.strategy ? undefined : c.capacity.launchType,
      capacityProviderStrategy: c.capacity.strategy,
      platformVersion: c.capacity.platformVersion,
    });
  }

  // ── CreateService ────────────────────────────────────────────────────────

  async create(scope: Scope, input: CreateServiceCommandInput, now: number): Promise<Service> {
    const name = input.serviceName ?? '';
    if (!NAME.test(name)) {
      throw invalid('Service name can have up to 255 characters. Valid characters are letters (uppercase and lowercase), numbers, underscores, and hyphens.');
    }
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const capacity = chooseCapacity(cluster, input);
    checkUnsupported(input);
    const scheduling = (input.schedulingStrategy ?? 'REPLICA') as SchedulingStrategy;
    const daemon = scheduling === 'DAEMON';
    if (daemon && capacity.launchType === 'FARGATE') throw invalid('The DAEMON scheduling strategy is not supported with the FARGATE launch type or Fargate capacity providers.');
    if (daemon && capacity.strategy) throw invalid('The DAEMON scheduling strategy does not support capacity provider strategies; use the EC2 launch type.');
    if (input.deploymentController && input.deploymentController.type !== 'ECS') {
      throw invalid(`berth deploys services with the rolling update (ECS) deployment controller only, not ${input.deploymentController.type}.`);
    }
    if (!input.taskDefinition) throw invalid('A task definition must be specified for a service that uses the ECS deployment controller.');
    if (daemon) {
      if (input.desiredCount !== undefined && input.desiredCount !== null) throw invalid(DAEMON_DESIRED_COUNT);
      if (input.placementStrategy?.length) throw invalid(DAEMON_STRATEGY);
    } else {
      if (input.desiredCount === undefined || input.desiredCount === null) throw invalid('The desired count must be specified for a service that uses the REPLICA scheduling strategy.');
      checkDesiredCount(input.desiredCount);
    }
    checkGracePeriod(input.healthCheckGracePeriodSeconds);
    checkTags(input.tags);
    const propagateTags = input.propagateTags ?? 'NONE';
    const deploymentConfiguration = deploymentSettings(undefined, input.deploymentConfiguration, scheduling);
    const checked: Checked = {
      td: await this.#taskDefinition(scope, input.taskDefinition),
      capacity: { launchType: capacity.launchType, strategy: capacity.strategy, platformVersion: input.platformVersion },
      networkConfiguration: input.networkConfiguration,
      placementConstraints: checkConstraints(input.placementConstraints),
      placementStrategy: checkStrategies(input.placementStrategy),
    };
    await this.#checkLaunch(scope, cluster, name, checked);
    const loadBalancers = await checkServiceLoadBalancers(this.store.db, scope, input.loadBalancers, checked.td);

    const arn = serviceArn(scope, cluster.body.clusterName, name);
    const { clientToken, ...rest } = input;
    const request = canonical({ ...rest, cluster: cluster.arn });
    const body: ServiceBody = {
      serviceName: name,
      clusterName: cluster.body.clusterName,
      taskDefinition: checked.td.taskDefinitionArn!,
      // A DAEMON's desired count is the scheduler's: the instances that should run it.
      desiredCount: daemon ? 0 : input.desiredCount!,
      launchType: capacity.launchType,
      capacityProviderStrategy: capacity.strategy,
      platformVersion: input.platformVersion,
      schedulingStrategy: scheduling,
      deploymentConfiguration,
      placementConstraints: checked.placementConstraints,
      placementStrategy: checked.placementStrategy,
      networkConfiguration: checked.networkConfiguration,
      healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds,
      loadBalancers,
      serviceRegistries: [],
      enableECSManagedTags: input.enableECSManagedTags ?? false,
      propagateTags,
      enableExecuteCommand: input.enableExecuteCommand ?? false,
      createdAt: now,
      createdBy: rootPrincipalArn(scope.accountId),
      clientToken,
      createRequest: request,
      steady: false,
    };
    const out = await retryOnConflict(() =>
      this.store.transaction(async (tx) => {
        const existing = await readService(tx, arn);
        if (existing && existing.status !== 'INACTIVE') {
          // A retried CreateService (same token, or the very same request) answers the service as it is.
          if (existing.status === 'ACTIVE' && ((clientToken && existing.body.clientToken === clientToken) || existing.body.createRequest === request)) {
            return { service: await this.#describe(tx, existing, ['TAGS']), created: false };
          }
          throw invalid('Creation of service was not idempotent.');
        }
        if (existing) {
          // The name of a deleted (INACTIVE) service is free again: the new service starts from nothing.
          await tx.deleteFrom('service_deployments').where('service_arn', '=', arn).execute();
          await tx.deleteFrom('service_revisions').where('service_arn', '=', arn).execute();
          await dropServiceEvents(tx, arn);
          await dropTags(tx, arn);
          await tx
            .updateTable('services')
            .set({ status: 'ACTIVE', version: existing.version + 1, created_at: now, body: JSON.stringify(body), cluster_arn: cluster.arn, scheduling_strategy: scheduling })
            .where('arn', '=', arn)
            .execute();
        } else {
          await tx
            .insertInto('services')
            .values({
              arn,
              account_id: scope.accountId,
              region: scope.region,
              cluster_arn: cluster.arn,
              name,
              status: 'ACTIVE',
              scheduling_strategy: scheduling,
              launch_type: capacity.launchType,
              version: 1,
              created_at: now,
              body: JSON.stringify(body),
            })
            .execute();
        }
        await addTags(tx, arn, input.tags);
        const rec: ServiceRecord = { arn, accountId: scope.accountId, region: scope.region, clusterArn: cluster.arn, name, status: 'ACTIVE', version: 1, body };
        await this.#newDeployment(tx, scope, rec, checked, [], now);
        return { service: await this.#describe(tx, (await readService(tx, arn))!, ['TAGS']), created: true };
      }),
    );
    if (out.created) this.#kick(arn);
    return out.service;
  }

  /** Writes a new revision and its deployment (PRIMARY, IN_PROGRESS); `previous` are the service's deployments that are not INACTIVE. */
  async #newDeployment(tx: Tx, scope: Scope, s: ServiceRecord, c: Checked, previous: DeploymentRecord[], now: number): Promise<DeploymentRecord> {
    const clusterName = s.body.clusterName;
    const revision: RevisionBody = {
      serviceRevisionArn: serviceRevisionArn(scope, clusterName, s.name, newRevisionId()),
      serviceArn: s.arn,
      clusterArn: s.clusterArn,
      taskDefinition: c.td.taskDefinitionArn!,
      launchType: c.capacity.launchType,
      capacityProviderStrategy: c.capacity.strategy,
      platformVersion: c.capacity.platformVersion,
      loadBalancers: s.body.loadBalancers,
      serviceRegistries: [],
      networkConfiguration: c.networkConfiguration,
      containerImages: (c.td.containerDefinitions ?? []).map((cd) => ({ containerName: cd.name!, image: cd.image! })),
      guardDutyEnabled: false,
      createdAt: now,
    };
    await tx.insertInto('service_revisions').values({ arn: revision.serviceRevisionArn, service_arn: s.arn, created_at: now, body: JSON.stringify(revision) }).execute();
    for (const p of previous) {
      const body = { ...p.body, updatedAt: now };
      if (p.body.serviceDeploymentStatus === 'IN_PROGRESS' || p.body.serviceDeploymentStatus === 'PENDING') {
        body.serviceDeploymentStatus = 'STOPPED';
        body.statusReason = 'Service deployment stopped because a newer service deployment started.';
        body.finishedAt = now;
      }
      await saveDeployment(tx, { ...p, status: p.status === 'PRIMARY' ? 'ACTIVE' : p.status, body });
    }
    const id = newDeploymentId();
    const d: DeploymentRecord = {
      arn: serviceDeploymentArn(scope, clusterName, s.name, newServiceDeploymentId()),
      id,
      serviceArn: s.arn,
      clusterArn: s.clusterArn,
      status: 'PRIMARY',
      body: {
        id,
        serviceDeploymentArn: '',
        revisionArn: revision.serviceRevisionArn,
        taskDefinition: revision.taskDefinition,
        networkConfiguration: c.networkConfiguration,
        placementConstraints: c.placementConstraints,
        placementStrategy: c.placementStrategy,
        createdAt: now,
        updatedAt: now,
        startedAt: now,
        rolloutState: 'IN_PROGRESS',
        rolloutStateReason: ROLLOUT_REASON.inProgress(id),
        failedTasks: 0,
        succeeded: false,
        deploymentConfiguration: s.body.deploymentConfiguration,
        sourceRevisionArns: [...new Set(previous.map((p) => p.body.revisionArn))],
        serviceDeploymentStatus: 'IN_PROGRESS',
      },
    };
    d.body.serviceDeploymentArn = d.arn;
    await insertDeployment(tx, d);
    return d;
  }

  // ── UpdateService ────────────────────────────────────────────────────────

  async update(scope: Scope, input: UpdateServiceCommandInput, now: number): Promise<Service> {
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const ref = input.service ?? '';
    // A new strategy is checked against the cluster as CreateService checks one.
    const newCapacity = input.capacityProviderStrategy?.length ? chooseCapacity(cluster, { capacityProviderStrategy: input.capacityProviderStrategy }) : undefined;
    checkUnsupported(input);
    if (input.deploymentController && input.deploymentController.type !== 'ECS') {
      throw invalid(`berth deploys services with the rolling update (ECS) deployment controller only, not ${input.deploymentController.type}.`);
    }
    if (input.desiredCount !== undefined) checkDesiredCount(input.desiredCount);
    checkGracePeriod(input.healthCheckGracePeriodSeconds);
    const td = input.taskDefinition ? await this.#taskDefinition(scope, input.taskDefinition) : undefined;
    const constraints = input.placementConstraints ? checkConstraints(input.placementConstraints) : undefined;
    const strategies = input.placementStrategy ? checkStrategies(input.placementStrategy) : undefined;

    // What the update changes is worked out (and checked, as RunTask would) on a read outside the
    // transaction; the transaction commits it only if the service is still the version read.
    const out = await retryOnConflict(async () => {
      const s = await this.#find(this.store.db, scope, cluster, ref);
      if (!s || s.status === 'INACTIVE') throw serviceNotFound();
      if (s.status !== 'ACTIVE') throw serviceNotActive();
      const daemon = s.body.schedulingStrategy === 'DAEMON';
      if (daemon && input.desiredCount !== undefined) throw invalid(DAEMON_DESIRED_COUNT);
      if (daemon && strategies?.length) throw invalid(DAEMON_STRATEGY);
      const body: ServiceBody = { ...s.body };
      if (input.desiredCount !== undefined) body.desiredCount = input.desiredCount;
      if (input.deploymentConfiguration) body.deploymentConfiguration = deploymentSettings(body.deploymentConfiguration, input.deploymentConfiguration, s.body.schedulingStrategy);
      if (input.healthCheckGracePeriodSeconds !== undefined) body.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
      if (input.enableECSManagedTags !== undefined) body.enableECSManagedTags = input.enableECSManagedTags;
      if (input.propagateTags !== undefined) body.propagateTags = input.propagateTags as ServiceBody['propagateTags'];
      if (input.enableExecuteCommand !== undefined) body.enableExecuteCommand = input.enableExecuteCommand;
      const next: Checked = {
        td: td ?? (await this.taskDefinitions.get(scope, body.taskDefinition)),
        capacity: {
          launchType: newCapacity?.launchType ?? body.launchType,
          strategy: newCapacity?.strategy ?? body.capacityProviderStrategy,
          platformVersion: input.platformVersion ?? body.platformVersion,
        },
        networkConfiguration: input.networkConfiguration ?? body.networkConfiguration,
        placementConstraints: constraints ?? body.placementConstraints,
        placementStrategy: strategies ?? body.placementStrategy,
      };
      const loadBalancers = input.loadBalancers !== undefined || next.td.taskDefinitionArn !== body.taskDefinition ? await checkServiceLoadBalancers(this.store.db, scope, input.loadBalancers ?? body.loadBalancers, next.td) : body.loadBalancers;
      const changed =
        input.forceNewDeployment === true ||
        canonical(loadBalancers) !== canonical(body.loadBalancers) ||
        next.td.taskDefinitionArn !== body.taskDefinition ||
        canonical(next.networkConfiguration) !== canonical(body.networkConfiguration) ||
        canonical(next.placementConstraints) !== canonical(body.placementConstraints) ||
        canonical(next.placementStrategy) !== canonical(body.placementStrategy) ||
        canonical(next.capacity) !== canonical({ launchType: body.launchType, strategy: body.capacityProviderStrategy, platformVersion: body.platformVersion });
      if (changed) {
        if (newCapacity && !body.capacityProviderStrategy && input.forceNewDeployment !== true) {
          throw invalid('Updating a service from a launch type to a capacity provider strategy requires a new deployment: set forceNewDeployment.');
        }
        await this.#checkLaunch(scope, cluster, s.name, next);
        body.launchType = next.capacity.launchType;
        body.capacityProviderStrategy = next.capacity.strategy;
        body.platformVersion = next.capacity.platformVersion;
        body.taskDefinition = next.td.taskDefinitionArn!;
        body.networkConfiguration = next.networkConfiguration;
        body.placementConstraints = next.placementConstraints;
        body.placementStrategy = next.placementStrategy;
        body.loadBalancers = loadBalancers;
      }
      body.steady = body.steady && !changed && input.desiredCount === undefined;
      return this.store.transaction(async (tx) => {
        const current = await readService(tx, s.arn);
        if (!current || current.version !== s.version) throw new VersionConflict(`service ${s.arn}`);
        const deployments = await readDeployments(tx, s.arn);
        const version = await saveService(tx, s, { body });
        const saved: ServiceRecord = { ...s, version, body };
        if (changed) await this.#newDeployment(tx, scope, saved, next, deployments, now);
        return this.#describe(tx, saved, []);
      });
    });
    this.#kick(out.serviceArn!);
    return out;
  }

  // ── DeleteService ────────────────────────────────────────────────────────

  async delete(scope: Scope, input: { cluster?: string; service?: string; force?: boolean }, now: number): Promise<Service> {
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const out = await retryOnConflict(() =>
      this.store.transaction(async (tx) => {
        const s = await this.#find(tx, scope, cluster, input.service ?? '');
        if (!s || s.status === 'INACTIVE') throw serviceNotFound();
        if (s.status === 'DRAINING') return this.#describe(tx, s, []);
        // A DAEMON's count is the scheduler's to keep: it needs no scaling down first.
        if (s.body.schedulingStrategy === 'REPLICA' && s.body.desiredCount > 0 && !input.force) throw invalid('The service cannot be stopped while it is scaled above 0.');
        const body: ServiceBody = { ...s.body, desiredCount: 0, steady: false };
        const version = await saveService(tx, s, { status: 'DRAINING', body });
        return this.#describe(tx, { ...s, status: 'DRAINING', version, body }, []);
      }),
    );
    this.#kick(out.serviceArn!);
    return out;
  }

  // ── reading ──────────────────────────────────────────────────────────────

  async #describe(tx: Tx, s: ServiceRecord, include: string[]): Promise<Service> {
    return toService(tx, s, await readDeployments(tx, s.arn), { tags: include.includes('TAGS') ? await listTags(tx, s.arn) : undefined });
  }

  async describe(scope: Scope, input: { cluster?: string; services?: string[]; include?: string[] }): Promise<{ services: Service[]; failures: Failure[] }> {
    const refs = input.services ?? [];
    if (!refs.length) throw invalid('services can not be empty.');
    if (refs.length > MAX_DESCRIBE_SERVICES) throw invalid(`services can have at most ${MAX_DESCRIBE_SERVICES} items.`);
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const services: Service[] = [];
    const failures: Failure[] = [];
    for (const ref of refs) {
      const s = await this.#find(this.store.db, scope, cluster, ref);
      if (!s) failures.push({ arn: this.arnOf(scope, cluster, ref), reason: 'MISSING' });
      else services.push(await this.#describe(this.store.db, s, input.include ?? []));
    }
    return { services, failures };
  }

  async list(
    scope: Scope,
    input: { cluster?: string; nextToken?: string; maxResults?: number; launchType?: string; schedulingStrategy?: string },
  ): Promise<{ serviceArns: string[]; nextToken?: string }> {
    // ECS answers 10 services a page unless asked for more (at most 100).
    const limit = input.maxResults === undefined ? 10 : pageSize(input.maxResults, 100);
    const after = decodeToken(input.nextToken, ['string'])?.[0];
    const cluster = await this.clusters.resolve(scope, input.cluster);
    let q = this.store.db
      .selectFrom('services')
      .select('arn')
      .where('cluster_arn', '=', cluster.arn)
      .where('status', 'in', ['ACTIVE', 'DRAINING'])
      .orderBy('arn')
      .limit(limit + 1);
    if (input.launchType !== undefined) q = q.where('launch_type', '=', input.launchType);
    if (input.schedulingStrategy !== undefined) q = q.where('scheduling_strategy', '=', input.schedulingStrategy);
    if (after !== undefined) q = q.where('arn', '>', after);
    const rows = await q.execute();
    const page = rows.slice(0, limit).map((r) => r.arn);
    return { serviceArns: page, nextToken: rows.length > limit ? encodeToken([page.at(-1)!]) : undefined };
  }

  /** ListServicesByNamespace: berth has no Cloud Map namespaces yet, so none can be found. */
  async listByNamespace(_scope: Scope, input: { namespace?: string; maxResults?: number; nextToken?: string }): Promise<never> {
    pageSize(input.maxResults, 100);
    throw new AwsError('NamespaceNotFoundException', "The specified namespace wasn't found.");
  }

  /** For ListTasks --service-name: the service must exist in the cluster (any status). */
  async requireExists(scope: Scope, clusterRef: string | undefined, name: string): Promise<void> {
    const cluster = await this.clusters.resolve(scope, clusterRef);
    if (!(await this.#find(this.store.db, scope, cluster, name))) throw serviceNotFound();
  }

  /** Whether an ARN names a service of the caller's scope that is not INACTIVE (for tagging). */
  async exists(scope: Scope, arn: string): Promise<boolean> {
    const s = await readService(this.store.db, arn);
    return !!s && s.status !== 'INACTIVE' && s.accountId === scope.accountId && s.region === scope.region;
  }

  // ── service deployments and revisions ────────────────────────────────────

  async listDeployments(
    scope: Scope,
    input: { cluster?: string; service?: string; status?: string[]; createdAt?: { before?: Date; after?: Date }; nextToken?: string; maxResults?: number },
  ): Promise<{ serviceDeployments: ServiceDeploymentBrief[]; nextToken?: string }> {
    // ECS answers 20 service deployments a page unless asked for more (at most 100).
    const limit = input.maxResults === undefined ? 20 : pageSize(input.maxResults, 100);
    const after = decodeToken(input.nextToken, ['number', 'string']);
    const cluster = await this.clusters.resolve(scope, input.cluster);
    const s = await this.#find(this.store.db, scope, cluster, input.service ?? '');
    if (!s) throw serviceNotFound();
    let rows = (await readDeployments(this.store.db, s.arn, { all: true })).filter((d) => !input.status?.length || input.status.includes(d.body.serviceDeploymentStatus));
    if (input.createdAt?.before) rows = rows.filter((d) => d.body.createdAt < input.createdAt!.before!.getTime());
    if (input.createdAt?.after) rows = rows.filter((d) => d.body.createdAt > input.createdAt!.after!.getTime());
    if (after) rows = rows.filter((d) => d.body.createdAt < after[0] || (d.body.createdAt === after[0] && d.arn < after[1]));
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      serviceDeployments: page.map((d) => {
        const brief: ServiceDeploymentBrief = {
          serviceDeploymentArn: d.arn,
          serviceArn: s.arn,
          clusterArn: s.clusterArn,
          startedAt: new Date(d.body.startedAt),
          createdAt: new Date(d.body.createdAt),
          targetServiceRevisionArn: d.body.revisionArn,
          status: d.body.serviceDeploymentStatus,
        };
        if (d.body.finishedAt !== undefined) brief.finishedAt = new Date(d.body.finishedAt);
        if (d.body.statusReason) brief.statusReason = d.body.statusReason;
        return brief;
      }),
      nextToken: rows.length > limit && last ? encodeToken([last.body.createdAt, last.arn]) : undefined,
    };
  }

  async describeDeployments(scope: Scope, arns: string[]): Promise<{ serviceDeployments: ServiceDeployment[]; failures: Failure[] }> {
    if (!arns.length) throw invalid('serviceDeploymentArns can not be empty.');
    if (arns.length > MAX_DESCRIBE_DEPLOYMENTS) throw invalid(`serviceDeploymentArns can have at most ${MAX_DESCRIBE_DEPLOYMENTS} items.`);
    const serviceDeployments: ServiceDeployment[] = [];
    const failures: Failure[] = [];
    for (const arn of arns) {
      const parsed = parseArn(arn);
      if (!parsed || parsed.service !== 'ecs' || parsed.resourceType !== 'service-deployment') throw invalid(`'${arn}' is not a valid service deployment ARN.`);
      const row = await this.store.db.selectFrom('service_deployments').selectAll().where('arn', '=', arn).executeTakeFirst();
      const s = row && (await readService(this.store.db, row.service_arn));
      if (!row || !s || s.accountId !== scope.accountId || s.region !== scope.region) {
        failures.push({ arn, reason: 'MISSING' });
        continue;
      }
      const all = await readDeployments(this.store.db, s.arn, { all: true });
      const counts = await deploymentCounts(this.store.db, s.clusterArn, s.name);
      serviceDeployments.push(toServiceDeployment(s, toDeploymentRecord(row), all, counts));
    }
    return { serviceDeployments, failures };
  }

  async describeRevisions(scope: Scope, arns: string[]): Promise<{ serviceRevisions: ServiceRevision[]; failures: Failure[] }> {
    if (!arns.length) throw invalid('serviceRevisionArns can not be empty.');
    if (arns.length > MAX_DESCRIBE_DEPLOYMENTS) throw invalid(`serviceRevisionArns can have at most ${MAX_DESCRIBE_DEPLOYMENTS} items.`);
    const serviceRevisions: ServiceRevision[] = [];
    const failures: Failure[] = [];
    for (const arn of arns) {
      const parsed = parseArn(arn);
      if (!parsed || parsed.service !== 'ecs' || parsed.resourceType !== 'service-revision') throw invalid(`'${arn}' is not a valid service revision ARN.`);
      const row = await this.store.db.selectFrom('service_revisions').select('body').where('arn', '=', arn).executeTakeFirst();
      if (!row || parsed.accountId !== scope.accountId || parsed.region !== scope.region) {
        failures.push({ arn, reason: 'MISSING' });
        continue;
      }
      serviceRevisions.push(toServiceRevision(JSON.parse(row.body) as RevisionBody));
    }
    return { serviceRevisions, failures };
  }
}

// ── pure checks ─────────────────────────────────────────────────────────────

/** What berth does not have yet answers with an error, never a silent success. */
function checkUnsupported(input: CreateServiceCommandInput | UpdateServiceCommandInput): void {
  if (input.serviceRegistries?.length) throw invalid('berth has no service discovery (Cloud Map) yet: serviceRegistries must be empty.');
  if (input.serviceConnectConfiguration?.enabled) throw new AwsError('NamespaceNotFoundException', "The specified namespace wasn't found.");
  if (input.volumeConfigurations?.length) throw invalid('berth does not attach Amazon EBS volumes (volumeConfigurations) to tasks.');
  if (input.vpcLatticeConfigurations?.length) throw invalid('berth has no VPC Lattice: vpcLatticeConfigurations must be empty.');
}

function checkDesiredCount(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw invalid('The desired count must be a whole number of 0 or more.');
}

function checkGracePeriod(n: number | undefined): void {
  if (n !== undefined && (!Number.isInteger(n) || n < 0 || n > 2_147_483_647)) throw invalid('healthCheckGracePeriodSeconds must be between 0 and 2147483647.');
}

function checkConstraints(c: PlacementConstraint[] | undefined): PlacementConstraint[] {
  try {
    parseConstraints(undefined, c);
  } catch (e) {
    if (e instanceof PlacementInputError) throw invalid(e.message);
    throw e;
  }
  return c ?? [];
}

function checkStrategies(s: PlacementStrategy[] | undefined): PlacementStrategy[] {
  try {
    parseStrategies(s, SERVICE_DEFAULT_STRATEGY);
  } catch (e) {
    if (e instanceof PlacementInputError) throw invalid(e.message);
    throw e;
  }
  return s ?? [];
}

const DAEMON_DESIRED_COUNT = 'The daemon scheduling strategy does not support a desired count for services.';
const DAEMON_STRATEGY = 'Placement strategies are not supported with the DAEMON scheduling strategy.';

/**
 * The deployment configuration with ECS's defaults (REPLICA: maximumPercent
 * 200, minimumHealthyPercent 100; DAEMON: 100 and 0, a daemon never running
 * twice on one instance), `change` merged over `base`.
 */
export function deploymentSettings(base: DeploymentSettings | undefined, change: DeploymentConfiguration | undefined, scheduling: SchedulingStrategy = 'REPLICA'): DeploymentSettings {
  const daemon = scheduling === 'DAEMON';
  const c = change ?? {};
  if (c.strategy !== undefined && c.strategy !== 'ROLLING') throw invalid(`berth deploys services with rolling updates only, not ${c.strategy}.`);
  if (c.lifecycleHooks?.length) throw invalid('Deployment lifecycle hooks apply to blue/green deployments, which berth does not run.');
  const out: DeploymentSettings = {
    maximumPercent: c.maximumPercent ?? base?.maximumPercent ?? (daemon ? 100 : 200),
    minimumHealthyPercent: c.minimumHealthyPercent ?? base?.minimumHealthyPercent ?? (daemon ? 0 : 100),
    deploymentCircuitBreaker: {
      enable: c.deploymentCircuitBreaker?.enable ?? base?.deploymentCircuitBreaker.enable ?? false,
      rollback: c.deploymentCircuitBreaker?.rollback ?? base?.deploymentCircuitBreaker.rollback ?? false,
    },
  };
  const alarms = c.alarms ?? base?.alarms;
  if (alarms) out.alarms = { alarmNames: alarms.alarmNames ?? [], enable: alarms.enable ?? false, rollback: alarms.rollback ?? false };
  if (daemon && out.maximumPercent !== 100) throw invalid('The maximumPercent of a service that uses the DAEMON scheduling strategy must be 100.');
  if (!Number.isInteger(out.maximumPercent) || out.maximumPercent < 100 || out.maximumPercent > 2000) {
    throw invalid('maximumPercent must be between 100 and 2000 for a service that uses the REPLICA scheduling strategy.');
  }
  if (!Number.isInteger(out.minimumHealthyPercent) || out.minimumHealthyPercent < 0 || out.minimumHealthyPercent > 100) {
    throw invalid('minimumHealthyPercent must be between 0 and 100.');
  }
  return out;
}

/** A stable JSON text for comparing requests and settings. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x as Record<string, unknown>).filter(([, y]) => y !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );
}
