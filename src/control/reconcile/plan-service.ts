import { EVENT } from '../service-events.js';
import { begin, finish, maxTasks, minHealthyTasks, STOP_REASON, type PlanOptions, type ServiceDesired, type ServiceObserved, type ServicePlan } from './plan-common.js';
import { planDaemon } from './plan-daemon.js';

export * from './plan-common.js';

// The service scheduler, pure: what the service should run (its deployments
// and settings) and what it runs (its tasks) in, a plan out. No I/O; the
// time and the random source are arguments. The applier commits the plan;
// the next pass sees the result.
//
//   circuit breaker ─ count the PRIMARY's failed tasks; FAILED at ECS's threshold,
//                     and roll back to the last COMPLETED deployment
//   throttle ──────── tasks that keep failing to start wait longer and longer
//   unhealthy ─────── RUNNING tasks failing their health checks are stopped
//   place ─────────── REPLICA: the PRIMARY up to desiredCount, never above
//                     maximumPercent (DAEMON: one task per eligible instance,
//                     plan-daemon.ts)
//   stop ──────────── scale-in excess, tasks of old deployments and of DRAINING
//                     instances, never below minimumHealthyPercent healthy
//   settle ────────── COMPLETED, old deployments INACTIVE, steady state
//
// Every count is derived from the tasks in the store, never kept as a running
// tally, so a pass after a restart (or a second pass over the same state)
// plans the same thing: nothing is started twice.

export function planService(desired: ServiceDesired, observed: ServiceObserved, opts: PlanOptions): ServicePlan {
  if (desired.daemon) return planDaemon(desired, observed, opts);
  const c = begin(desired, observed, opts, desired.desiredCount);
  if (!('pool' in c)) return c;
  const { plan, primary, D, notStopped } = c;

  // ── place the PRIMARY up to desiredCount, within maximumPercent ──────────
  const maxTotal = maxTasks(D, desired.maximumPercent);
  const keep = () => c.pool.ofDeployment(primary.id).onActiveInstances();
  const wanted = Math.max(0, D - keep().size);
  const room = Math.max(0, maxTotal - notStopped.size);
  const placing = c.stalled || c.throttled ? 0 : Math.min(wanted, room);
  if (placing > 0) plan.place.push({ deploymentId: primary.id, count: placing });

  // ── stop, never below minimumHealthyPercent healthy ──────────────────────
  c.budget = c.pool.count((t) => c.proven(t)) - minHealthyTasks(D, desired.minimumHealthyPercent);
  if (!c.stalled) {
    // Tasks that do not count as healthy go first and cost nothing: old deployments' and DRAINING instances'.
    for (const t of c.pool.notOfDeployment(primary.id).union(c.pool.onDrainingInstances())) {
      if (!c.healthy(t)) c.stop(t, t.instanceStatus === 'ACTIVE' ? c.scaling() : STOP_REASON.draining);
    }
  }
  // Scale-in: the PRIMARY's excess, the ones that are not healthy first.
  let excess = keep().size - D;
  if (excess > 0) {
    for (const t of keep().newestFirst()) {
      if (excess <= 0) break;
      if (!c.healthy(t)) {
        c.stop(t, c.scaling());
        excess--;
      }
    }
    if (excess > 0) c.stopHealthy(keep().filter((t) => c.healthy(t)), () => c.scaling());
  }
  if (!c.stalled) {
    c.stopHealthy(c.pool.onDrainingInstances().filter((t) => c.healthy(t)), () => STOP_REASON.draining);
    // Old deployments, oldest first.
    for (const d of [...desired.deployments].reverse()) {
      if (d.id === primary.id) continue;
      c.stopHealthy(c.pool.ofDeployment(d.id).filter((t) => c.healthy(t)), () => c.scaling());
    }
  }

  // ── settle ───────────────────────────────────────────────────────────────
  const quiet = plan.place.length === 0 && plan.stop.length === 0;
  const settled = quiet && notStopped.size === D && notStopped.every((t) => t.deploymentId === primary.id && t.instanceStatus === 'ACTIVE' && c.proven(t));
  if (c.rollout === 'IN_PROGRESS' && !c.stalled && quiet && wanted > 0 && room === 0 && notStopped.every((t) => t.desiredStatus === 'RUNNING' && c.proven(t))) {
    plan.events.push(EVENT.stuck(desired.name));
  }
  return finish(c, settled);
}
