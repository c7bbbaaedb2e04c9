import { placeOnInstances, REASONS, type InstanceSnapshot, type PlacementRequest } from '../placement/index.js';
import { begin, finish, minHealthyTasks, STOP_REASON, type PlanOptions, type ServiceDesired, type ServiceObserved, type ServicePlan } from './plan-common.js';
import type { ServiceTask } from './task-set.js';

// The DAEMON scheduler, pure: one task of the service on every ACTIVE
// container instance that meets its placement constraints and required
// attributes, including instances that join later. Its desired count is the
// number of such instances. A new deployment replaces the task of each
// instance in turn (the old task stops first, within minimumHealthyPercent;
// the new one starts once the old one has STOPPED, as a daemon never runs
// twice on one instance). On a DRAINING instance the daemon task is stopped
// last: once nothing else runs there. Tasks on instances that no longer
// qualify are stopped.

/** Whether the instance should run the daemon: ACTIVE, and its constraints and attributes fit (resources and the agent's connection aside). */
export function runsDaemon(instance: InstanceSnapshot, request: PlacementRequest, random: () => number): boolean {
  if (instance.status !== 'ACTIVE') return false;
  const probe: PlacementRequest = {
    ...request,
    demand: { cpu: 0, memory: 0, ports: [], portsUdp: [], eni: false, gpus: 0 },
    constraints: (request.constraints ?? []).filter((c) => c.type !== 'distinctInstance'),
  };
  const failure = placeOnInstances([instance], probe, [instance.arn], { random }).failures[0];
  return !failure || failure.reason === REASONS.agent;
}

export function planDaemon(desired: ServiceDesired, observed: ServiceObserved, opts: PlanOptions): ServicePlan {
  const request = desired.daemon!.request;
  const eligible = observed.instances.filter((i) => runsDaemon(i, request, opts.random));
  const c = begin(desired, observed, opts, eligible.length);
  const D = desired.status === 'DRAINING' ? 0 : eligible.length;
  const withCount = (plan: ServicePlan) => {
    if (D !== desired.desiredCount) plan.desiredCount = D;
    return plan;
  };
  if (!('pool' in c)) return withCount(c);
  const { plan, primary } = c;
  const instances = new Map(observed.instances.map((i) => [i.arn, i]));
  const eligibleArns = new Set(eligible.map((i) => i.arn));

  if (c.draining) {
    for (const t of c.pool) c.stop(t, 'Service deleted');
    return withCount(finish(c, false));
  }

  // Tasks where the daemon should not be: instances gone, DRAINING (stopped last) or no longer qualifying.
  for (const t of c.pool) {
    const instance = instances.get(t.containerInstanceArn);
    if (!instance) c.stop(t, c.scaling());
    else if (instance.status !== 'ACTIVE') {
      const others = [...instance.taskGroups].reduce((n, [group, count]) => (group === request.group ? n : n + count), 0);
      if (others === 0) c.stop(t, STOP_REASON.draining);
    } else if (!eligibleArns.has(t.containerInstanceArn)) c.stop(t, c.scaling());
  }

  c.budget = c.pool.count((t) => eligibleArns.has(t.containerInstanceArn) && c.proven(t)) - minHealthyTasks(D, desired.minimumHealthyPercent);
  const stopWithin = (t: ServiceTask) => {
    if (!c.healthy(t)) c.stop(t, c.scaling());
    else if (c.budget > 0) {
      c.stop(t, c.scaling());
      c.budget--;
    }
  };
  const targets: string[] = [];
  if (!c.stalled) {
    for (const instance of eligible) {
      const mine = c.pool.ofDeployment(primary.id).onInstance(instance.arn).newestFirst();
      const old = c.pool.onInstance(instance.arn).notOfDeployment(primary.id);
      // One daemon task per instance: extra ones go (the not healthy first).
      for (const extra of mine.sort((a, b) => Number(c.healthy(a)) - Number(c.healthy(b))).slice(0, Math.max(0, mine.length - 1))) stopWithin(extra);
      if (mine.length) {
        for (const t of old) stopWithin(t);
      } else if (c.notStopped.onInstance(instance.arn).size === 0) {
        if (!c.throttled) targets.push(instance.arn);
      } else {
        for (const t of old) stopWithin(t);
      }
    }
  }
  if (targets.length) plan.place.push({ deploymentId: primary.id, count: targets.length, instances: targets });

  const quiet = plan.place.length === 0 && plan.stop.length === 0;
  const settled =
    quiet &&
    c.notStopped.size === D &&
    eligible.every((i) => {
      const on = c.notStopped.onInstance(i.arn);
      return on.size === 1 && on.every((t) => t.deploymentId === primary.id && c.proven(t));
    });
  return withCount(finish(c, settled));
}
