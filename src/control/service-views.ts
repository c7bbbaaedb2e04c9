import type { Deployment, Service, ServiceDeployment, ServiceRevision, ServiceRevisionSummary, Tag } from '@aws-sdk/client-ecs';
import type { Tx } from '../store/store.js';
import { failureThreshold } from './reconcile/plan-service.js';
import { listServiceEvents } from './service-events.js';
import type { DeploymentRecord, RevisionBody, ServiceRecord } from './service-record.js';

// Services, deployments and revisions on the wire, as DescribeServices,
// DescribeServiceDeployments and DescribeServiceRevisions show them. The
// counts come from the tasks at the time of the read.

export interface DeploymentCounts {
  /** lastStatus RUNNING (and, behind a load balancer, every target healthy or draining). */
  running: number;
  /** lastStatus PROVISIONING, PENDING or ACTIVATING, or RUNNING with a target not yet healthy. */
  pending: number;
  /** Not STOPPED and desired RUNNING. */
  live: number;
}

const PENDING = ['PROVISIONING', 'PENDING', 'ACTIVATING'];
const zero = (): DeploymentCounts => ({ running: 0, pending: 0, live: 0 });

/** The service's tasks that are not STOPPED, counted by deployment (startedBy). */
export async function deploymentCounts(tx: Tx, clusterArn: string, serviceName: string): Promise<Map<string, DeploymentCounts>> {
  const rows = await tx
    .selectFrom('tasks')
    .select(['started_by', 'last_status', 'desired_status'])
    .select((eb) =>
      eb
        .exists(eb.selectFrom('elb_targets').select('elb_targets.task_arn').whereRef('elb_targets.task_arn', '=', 'tasks.arn').where('elb_targets.state', 'in', ['initial', 'unhealthy']))
        .as('unproven'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('cluster_arn', '=', clusterArn)
    .where('service_name', '=', serviceName)
    .where('last_status', '<>', 'STOPPED')
    .groupBy(['started_by', 'last_status', 'desired_status', 'unproven'])
    .execute();
  const out = new Map<string, DeploymentCounts>();
  for (const r of rows) {
    const c = out.get(r.started_by ?? '') ?? zero();
    const n = Number(r.n);
    // A task behind a load balancer counts as running once its targets pass their health checks
    // (until then it is pending), so `aws ecs wait services-stable` waits for target health.
    if (r.last_status === 'RUNNING' && Number(r.unproven)) c.pending += n;
    else if (r.last_status === 'RUNNING') c.running += n;
    else if (PENDING.includes(r.last_status)) c.pending += n;
    if (r.desired_status === 'RUNNING') c.live += n;
    out.set(r.started_by ?? '', c);
  }
  return out;
}

/** What a deployment is asked to run: the PRIMARY the service's desired count, the others what they still keep. */
function requested(s: ServiceRecord, d: DeploymentRecord, c: DeploymentCounts): number {
  if (d.status === 'PRIMARY') return s.status === 'ACTIVE' ? s.body.desiredCount : 0;
  return d.status === 'INACTIVE' ? 0 : c.live;
}

export function toDeployment(s: ServiceRecord, d: DeploymentRecord, c: DeploymentCounts = zero()): Deployment {
  const b = d.body;
  const out: Deployment = {
    id: d.id,
    status: d.status,
    taskDefinition: b.taskDefinition,
    desiredCount: requested(s, d, c),
    pendingCount: c.pending,
    runningCount: c.running,
    failedTasks: b.failedTasks,
    createdAt: new Date(b.createdAt),
    updatedAt: new Date(b.updatedAt),
    rolloutState: b.rolloutState,
    rolloutStateReason: b.rolloutStateReason,
  };
  if (b.networkConfiguration) out.networkConfiguration = b.networkConfiguration;
  Object.assign(out, capacityView(s.body));
  return out;
}

/** How a service's tasks are launched, as AWS shows it: a launch type or a capacity provider strategy; Fargate's platform. */
function capacityView(b: Pick<RevisionBody, 'launchType' | 'capacityProviderStrategy' | 'platformVersion'>): Pick<Service, 'launchType' | 'capacityProviderStrategy' | 'platformVersion' | 'platformFamily'> {
  const out: Pick<Service, 'launchType' | 'capacityProviderStrategy' | 'platformVersion' | 'platformFamily'> = {};
  if (b.capacityProviderStrategy?.length) out.capacityProviderStrategy = b.capacityProviderStrategy;
  else out.launchType = b.launchType;
  if (b.launchType === 'FARGATE') {
    out.platformVersion = b.platformVersion ?? 'LATEST';
    out.platformFamily = 'Linux';
  }
  return out;
}

/** A service on the wire; `deployments` are the PRIMARY and ACTIVE ones, PRIMARY first. */
export async function toService(tx: Tx, s: ServiceRecord, deployments: DeploymentRecord[], opts: { tags?: Tag[] } = {}): Promise<Service> {
  const counts = await deploymentCounts(tx, s.clusterArn, s.name);
  const shown = deployments
    .filter((d) => d.status !== 'INACTIVE')
    .sort((a, b) => (a.status === 'PRIMARY' ? -1 : b.status === 'PRIMARY' ? 1 : b.body.createdAt - a.body.createdAt));
  const known = new Set(deployments.map((d) => d.id));
  let running = 0;
  let pending = 0;
  for (const [id, c] of counts) {
    if (!known.has(id)) continue;
    running += c.running;
    pending += c.pending;
  }
  const b = s.body;
  const primary = shown.find((d) => d.status === 'PRIMARY');
  const out: Service = {
    serviceArn: s.arn,
    serviceName: s.name,
    clusterArn: s.clusterArn,
    loadBalancers: b.loadBalancers,
    serviceRegistries: b.serviceRegistries,
    status: s.status,
    desiredCount: s.status === 'ACTIVE' ? b.desiredCount : 0,
    runningCount: running,
    pendingCount: pending,
    ...capacityView(b),
    taskDefinition: b.taskDefinition,
    deploymentConfiguration: b.deploymentConfiguration,
    deployments: shown.map((d) => toDeployment(s, d, counts.get(d.id))),
    events: await listServiceEvents(tx, s.arn),
    createdAt: new Date(b.createdAt),
    placementConstraints: b.placementConstraints,
    placementStrategy: b.placementStrategy,
    schedulingStrategy: b.schedulingStrategy,
    deploymentController: { type: 'ECS' },
    createdBy: b.createdBy,
    enableECSManagedTags: b.enableECSManagedTags,
    propagateTags: b.propagateTags,
    enableExecuteCommand: b.enableExecuteCommand,
    availabilityZoneRebalancing: 'DISABLED',
  };
  if (b.networkConfiguration) out.networkConfiguration = b.networkConfiguration;
  if (b.healthCheckGracePeriodSeconds !== undefined) out.healthCheckGracePeriodSeconds = b.healthCheckGracePeriodSeconds;
  if (primary) {
    out.currentServiceDeployment = primary.arn;
    out.currentServiceRevisions = shown.map((d) => {
      const c = counts.get(d.id) ?? zero();
      return { arn: d.body.revisionArn, requestedTaskCount: requested(s, d, c), runningTaskCount: c.running, pendingTaskCount: c.pending };
    });
  }
  if (opts.tags) out.tags = opts.tags;
  return out;
}

/** A deployment as DescribeServiceDeployments shows it. */
export function toServiceDeployment(s: ServiceRecord, d: DeploymentRecord, all: DeploymentRecord[], counts: Map<string, DeploymentCounts>): ServiceDeployment {
  const b = d.body;
  const summary = (revisionArn: string, target: boolean): ServiceRevisionSummary => {
    const mine = all.filter((x) => x.body.revisionArn === revisionArn && x.status !== 'INACTIVE');
    const c = mine.reduce((sum, x) => {
      const k = counts.get(x.id) ?? zero();
      return { running: sum.running + k.running, pending: sum.pending + k.pending, live: sum.live + k.live };
    }, zero());
    return {
      arn: revisionArn,
      requestedTaskCount: target && d.status === 'PRIMARY' ? requested(s, d, c) : c.live,
      runningTaskCount: c.running,
      pendingTaskCount: c.pending,
    };
  };
  const cb = b.deploymentConfiguration.deploymentCircuitBreaker;
  const out: ServiceDeployment = {
    serviceDeploymentArn: d.arn,
    serviceArn: s.arn,
    clusterArn: s.clusterArn,
    createdAt: new Date(b.createdAt),
    startedAt: new Date(b.startedAt),
    updatedAt: new Date(b.updatedAt),
    sourceServiceRevisions: b.sourceRevisionArns.map((arn) => summary(arn, false)),
    targetServiceRevision: summary(b.revisionArn, true),
    status: b.serviceDeploymentStatus,
    deploymentConfiguration: b.deploymentConfiguration,
    deploymentCircuitBreaker: cb.enable
      ? {
          status: b.rolloutState === 'FAILED' ? 'TRIGGERED' : b.rolloutState === 'COMPLETED' ? 'MONITORING_COMPLETE' : 'MONITORING',
          failureCount: b.failedTasks,
          threshold: failureThreshold(s.body.desiredCount),
        }
      : { status: 'DISABLED', failureCount: 0, threshold: failureThreshold(s.body.desiredCount) },
    alarms: b.deploymentConfiguration.alarms?.enable
      ? { status: b.rolloutState === 'IN_PROGRESS' ? 'MONITORING' : 'MONITORING_COMPLETE', alarmNames: b.deploymentConfiguration.alarms.alarmNames ?? [], triggeredAlarmNames: [] }
      : { status: 'DISABLED' },
  };
  if (b.finishedAt !== undefined) out.finishedAt = new Date(b.finishedAt);
  if (b.statusReason) out.statusReason = b.statusReason;
  if (b.rollback) out.rollback = { reason: b.rollback.reason, startedAt: new Date(b.rollback.startedAt), serviceRevisionArn: b.rollback.serviceRevisionArn };
  return out;
}

export function toServiceRevision(r: RevisionBody): ServiceRevision {
  const out: ServiceRevision = {
    serviceRevisionArn: r.serviceRevisionArn,
    serviceArn: r.serviceArn,
    clusterArn: r.clusterArn,
    taskDefinition: r.taskDefinition,
    ...capacityView(r),
    loadBalancers: r.loadBalancers,
    serviceRegistries: r.serviceRegistries,
    containerImages: r.containerImages,
    guardDutyEnabled: r.guardDutyEnabled,
    createdAt: new Date(r.createdAt),
  };
  if (r.networkConfiguration) out.networkConfiguration = r.networkConfiguration;
  return out;
}
