import type { Failure } from '@aws-sdk/client-ecs';
import { AwsError } from '../../gateway/errors.js';
import type { Store, Tx } from '../../store/store.js';
import type { Scope } from '../arns.js';
import { VersionConflict } from '../optimistic.js';
import { REASONS } from '../placement/index.js';
import { addServiceEvents, EVENT } from '../service-events.js';
import { lastCompletedDeployment, readService, saveDeployment, saveService, type DeploymentRecord, type ServiceBody } from '../service-record.js';
import { listTags } from '../tags.js';
import type { TaskLaunch, Tasks } from '../tasks.js';
import type { Observation } from './observe.js';
import { ROLLOUT_REASON, type ServicePlan } from './plan-service.js';

// The one applier: commits a service plan in one transaction. It first checks
// that the service row is still the version the plan was made from (a second
// planner, on this control plane or another, that got there first makes this
// one start over on fresh reads), then launches through Tasks' own path
// (placement on a snapshot read in the transaction, instance rows written
// only if unchanged, so nothing is overcommitted), stops, moves the
// deployments, writes the events, and bumps the service's version. Agents
// hear of the changes only after the commit.

export interface ApplyResult {
  /** Whether anything was written. */
  committed: boolean;
  started: number;
  stopped: number;
}

/** Nothing to write: no task to start or stop, no state to change, no message. */
export function isEmptyPlan(plan: ServicePlan, o: Observation): boolean {
  return (
    !plan.place.length &&
    !plan.stop.length &&
    !plan.deployments.length &&
    !plan.rollback &&
    !plan.inactive &&
    plan.desiredCount === undefined &&
    !plan.events.length &&
    plan.steady === o.service.body.steady
  );
}

export async function applyServicePlan(store: Store, tasks: Tasks, o: Observation, plan: ServicePlan, now: number): Promise<ApplyResult> {
  if (isEmptyPlan(plan, o)) return { committed: false, started: 0, stopped: 0 };
  const s = o.service;
  const scope: Scope = { accountId: s.accountId, region: s.region };
  const byId = new Map(o.deployments.map((d) => [d.id, d]));

  // What the launches need is read before the transaction (the store has one writer at a time).
  const launches: { launch?: TaskLaunch; count: number; instances?: string[]; error?: string }[] = [];
  for (const p of plan.place) {
    const d = byId.get(p.deploymentId);
    if (!d) continue;
    try {
      launches.push({ launch: await tasks.serviceLaunch(scope, await launchInput(store, s.arn, s.body, d)), count: p.count, instances: p.instances });
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      launches.push({ count: p.count, error: e.message });
    }
  }

  const notes: (() => void)[] = [];
  let started = 0;
  await store.transaction(async (tx) => {
    notes.length = 0;
    started = 0;
    const current = await readService(tx, s.arn);
    if (!current || current.version !== s.version) throw new VersionConflict(`service ${s.arn}`);
    const events: string[] = [];

    for (const l of launches) {
      if (!l.launch) {
        events.push(`(service ${s.name}) was unable to place a task. Reason: ${l.error}`);
        continue;
      }
      const r = l.instances ? await tasks.launchOnIn(tx, scope, l.launch, l.instances, now) : await tasks.launchIn(tx, scope, l.launch, l.count, now);
      notes.push(r.notify);
      started += r.tasks.length;
      if (r.tasks.length) events.push(EVENT.started(s.name, r.tasks.map((t) => taskId(t.taskArn))));
      if (r.tasks.length < l.count) events.push(EVENT.unplaceable(s.name, closestMatch(r.failures)));
    }

    if (plan.stop.length) {
      for (const st of plan.stop) notes.push(await tasks.stopIn(tx, st.arn, st.reason, now));
      events.push(EVENT.stopped(s.name, plan.stop.map((st) => taskId(st.arn))));
      if (s.body.loadBalancers.length) events.push(EVENT.drainingConnections(s.name, plan.stop.length));
    }

    const body: ServiceBody = { ...s.body, steady: plan.steady };
    if (plan.desiredCount !== undefined) body.desiredCount = plan.desiredCount;
    const rolledBack: string[] = [];
    for (const c of plan.deployments) {
      const d = byId.get(c.id);
      if (!d) continue;
      const next: DeploymentRecord = { ...d, body: { ...d.body, updatedAt: now } };
      if (c.status) next.status = c.status;
      if (c.failedTasks !== undefined) next.body.failedTasks = c.failedTasks;
      if (c.succeeded !== undefined) next.body.succeeded = c.succeeded;
      if (c.rolloutState) {
        next.body.rolloutState = c.rolloutState;
        next.body.rolloutStateReason = c.rolloutStateReason ?? next.body.rolloutStateReason;
        if (c.rolloutState === 'COMPLETED') {
          next.body.finishedAt = now;
          if (next.body.serviceDeploymentStatus === 'IN_PROGRESS') next.body.serviceDeploymentStatus = 'SUCCESSFUL';
          if (next.body.rollbackOf) rolledBack.push(next.body.rollbackOf);
        }
        if (c.rolloutState === 'FAILED') {
          next.body.finishedAt = now;
          next.body.serviceDeploymentStatus = plan.rollback ? 'ROLLBACK_IN_PROGRESS' : 'STOPPED';
          next.body.statusReason = next.body.rolloutStateReason;
        }
      }
      await saveDeployment(tx, next);
      byId.set(next.id, next);
    }
    // After the loop: the failed deployment may have been written above (INACTIVE) from an older read.
    for (const arn of rolledBack) await finishRollback(tx, arn, now);

    if (plan.rollback) {
      const failed = byId.get(plan.rollback.from)!;
      const target = byId.get(plan.rollback.to) ?? (await lastCompletedDeployment(tx, s.arn, failed.id));
      if (target && target.id === plan.rollback.to) {
        await saveDeployment(tx, {
          ...failed,
          status: 'ACTIVE',
          body: {
            ...failed.body,
            updatedAt: now,
            rollback: { reason: 'Service deployment rolled back because the circuit breaker threshold was exceeded.', startedAt: now, serviceRevisionArn: target.body.revisionArn },
          },
        });
        // "When the rollback starts, the deployment changes from a COMPLETED to IN_PROGRESS."
        await saveDeployment(tx, {
          ...target,
          status: 'PRIMARY',
          body: {
            ...target.body,
            rolloutState: 'IN_PROGRESS',
            rolloutStateReason: ROLLOUT_REASON.rollingBack(target.id),
            startedAt: now,
            updatedAt: now,
            finishedAt: undefined,
            succeeded: false,
            failedTasks: 0,
            rollbackOf: failed.arn,
          },
        });
        body.taskDefinition = target.body.taskDefinition;
        body.networkConfiguration = target.body.networkConfiguration;
        body.placementConstraints = target.body.placementConstraints;
        body.placementStrategy = target.body.placementStrategy;
        body.steady = false;
      }
    }

    events.push(...plan.events);
    await addServiceEvents(tx, s.arn, events, now);
    await saveService(tx, current, { status: plan.inactive ? 'INACTIVE' : current.status, body });
  });
  for (const n of notes) n();
  return { committed: true, started, stopped: plan.stop.length };
}

/** The failed deployment a completed rollback replaced: ROLLBACK_SUCCESSFUL. */
async function finishRollback(tx: Tx, failedArn: string, now: number): Promise<void> {
  const row = await tx.selectFrom('service_deployments').selectAll().where('arn', '=', failedArn).executeTakeFirst();
  if (!row) return;
  const body = JSON.parse(row.body) as DeploymentRecord['body'];
  if (body.serviceDeploymentStatus !== 'ROLLBACK_IN_PROGRESS') return;
  await tx
    .updateTable('service_deployments')
    .set({ body: JSON.stringify({ ...body, serviceDeploymentStatus: 'ROLLBACK_SUCCESSFUL', updatedAt: now }) })
    .where('arn', '=', failedArn)
    .execute();
}

/** What the deployment's tasks are launched with; their tags follow propagateTags. */
async function launchInput(store: Store, serviceArn: string, b: ServiceBody, d: DeploymentRecord) {
  const tags =
    b.propagateTags === 'SERVICE'
      ? await listTags(store.db, serviceArn)
      : b.propagateTags === 'TASK_DEFINITION'
        ? await listTags(store.db, d.body.taskDefinition)
        : [];
  return {
    cluster: d.clusterArn,
    serviceName: b.serviceName,
    taskDefinition: d.body.taskDefinition,
    deploymentId: d.id,
    networkConfiguration: d.body.networkConfiguration,
    placementConstraints: d.body.placementConstraints,
    placementStrategy: d.body.placementStrategy,
    tags,
    enableECSManagedTags: b.enableECSManagedTags,
    enableExecuteCommand: b.enableExecuteCommand,
    launchType: b.capacityProviderStrategy ? undefined : b.launchType,
    capacityProviderStrategy: b.capacityProviderStrategy,
    platformVersion: b.platformVersion,
  };
}

const taskId = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

const ORDER: string[] = Object.values(REASONS);

/** ECS's "The closest matching (container-instance …) …": the instance that got furthest through the filters. */
export function closestMatch(failures: readonly Failure[]): string {
  if (!failures.length) return 'Reason: No Container Instances were found in your cluster.';
  const best = [...failures].sort((a, b) => ORDER.indexOf(b.reason ?? '') - ORDER.indexOf(a.reason ?? ''))[0]!;
  const who = `The closest matching (container-instance ${taskId(best.arn ?? '')})`;
  switch (best.reason) {
    case REASONS.cpu:
      return `${who} has insufficient CPU units available.`;
    case REASONS.memory:
      return `${who} has insufficient memory available.`;
    case REASONS.ports:
    case REASONS.portsUdp:
      return `${who} is already using a port required by your task.`;
    case REASONS.agent:
      return `${who} encountered error "AGENT".`;
    case REASONS.attribute:
      return `${who} is missing an attribute required by your task.`;
    case REASONS.eni:
      return `${who} has no free network interface (ENI) attachment available.`;
    case REASONS.gpu:
      return `${who} has insufficient GPU available.`;
    default:
      return `${who} does not meet the task's placement constraints (${best.reason}).`;
  }
}
