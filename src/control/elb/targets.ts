import { isIP } from 'node:net';
import type { TargetDescription, TargetHealth, TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsError } from '../../gateway/errors.js';
import type { HealthReport, TargetState } from '../../lb/config.js';
import type { ElbTargetRow } from '../../store/schema.js';
import type { Store, Tx } from '../../store/store.js';
import type { Scope } from '../arns.js';
import { inScope, readTargetGroup, targetGroupNotFound, targetGroupUsers, type TargetGroupRecord } from './records.js';

// The targets registered in target groups and their health. A target's row
// holds the state the health checker last reported (initial, healthy,
// unhealthy) or `draining` with the end of its deregistration delay; what
// DescribeTargetHealth shows is derived from that and from the group (a
// group no load balancer uses shows its targets `unused`, one with health
// checks off `unavailable`). Targets an ECS service registered name their
// task, so the service scheduler can read their health and drain them.

export const MAX_TARGETS_PER_GROUP = 1000;
/** How long a new target shows Elb.RegistrationInProgress before Elb.InitialHealthChecking. */
const REGISTRATION_MS = 1_000;

const invalidTarget = (message: string) => new AwsError('InvalidTarget', message);

export interface TaskTarget {
  targetGroupArn: string;
  id: string;
  port: number;
  address: string;
  availabilityZone?: string;
}

/** A task's standing in its target groups, for the service scheduler. */
export interface TaskTargetHealth {
  targetGroupArn: string;
  port: number;
  state: TargetState;
  description?: string;
}

const DESCRIPTIONS: Record<string, string> = {
  'Elb.RegistrationInProgress': 'Target registration is in progress',
  'Elb.InitialHealthChecking': 'Initial health checks in progress',
  'Target.NotRegistered': 'Target is not registered to the target group',
  'Target.NotInUse': 'Target group is not configured to receive traffic from the load balancer',
  'Target.DeregistrationInProgress': 'Target deregistration is in progress',
  'Target.HealthCheckDisabled': 'Health checks are disabled',
};

export class Targets {
  readonly #store: Store;
  readonly #changed: () => void;

  constructor(store: Store, opts: { changed: () => void }) {
    this.#store = store;
    this.#changed = opts.changed;
  }

  async register(scope: Scope, targetGroupArn: string, targets: TargetDescription[], now: number): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const tg = await requireGroup(tx, scope, targetGroupArn);
      const resolved: TaskTarget[] = [];
      for (const t of targets) resolved.push(await this.#resolve(tx, scope, tg, t));
      for (const t of resolved) await upsertTarget(tx, t, undefined, now);
      const n = await tx.selectFrom('elb_targets').select((eb) => eb.fn.countAll<number>().as('n')).where('target_group_arn', '=', targetGroupArn).executeTakeFirstOrThrow();
      if (Number(n.n) > MAX_TARGETS_PER_GROUP) throw new AwsError('TooManyTargets', `You have reached the limit of ${MAX_TARGETS_PER_GROUP} targets per target group`);
    });
    this.#changed();
  }

  async deregister(scope: Scope, targetGroupArn: string, targets: TargetDescription[], now: number): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const tg = await requireGroup(tx, scope, targetGroupArn);
      const delay = deregistrationDelayMs(tg);
      const missing: string[] = [];
      for (const t of targets) {
        const port = t.Port ?? tg.body.description.Port!;
        const row = await tx.selectFrom('elb_targets').selectAll().where('target_group_arn', '=', targetGroupArn).where('target_id', '=', t.Id ?? '').where('port', '=', port).executeTakeFirst();
        if (!row) {
          missing.push(t.Id ?? '');
          continue;
        }
        if (row.state !== 'draining') await drain(tx, row, now + delay, now);
      }
      if (missing.length) throw invalidTarget(`The following targets are not registered in target group '${targetGroupArn}': '${missing.join("', '")}'`);
    });
    this.#changed();
  }

  async describeHealth(scope: Scope, targetGroupArn: string, targets: TargetDescription[] | undefined, now: number): Promise<TargetHealthDescription[]> {
    const db = this.#store.db;
    const tg = await requireGroup(db, scope, targetGroupArn);
    const inUse = !!(await targetGroupUsers(db, scope.accountId, scope.region)).get(targetGroupArn)?.size;
    const rows = await db.selectFrom('elb_targets').selectAll().where('target_group_arn', '=', targetGroupArn).orderBy('registered_at').orderBy('target_id').orderBy('port').execute();
    const d = tg.body.description;
    const describe = (row: ElbTargetRow): TargetHealthDescription => ({
      Target: { Id: row.target_id, Port: row.port, AvailabilityZone: row.availability_zone ?? undefined },
      HealthCheckPort: d.HealthCheckPort === 'traffic-port' ? String(row.port) : d.HealthCheckPort,
      TargetHealth: presentHealth(row, { inUse, checks: d.HealthCheckEnabled !== false, now }),
    });
    if (!targets?.length) return rows.map(describe);
    const out: TargetHealthDescription[] = [];
    for (const t of targets) {
      if (d.TargetType === 'instance' && !(await instanceExists(db, scope, t.Id ?? ''))) {
        throw invalidTarget(`The following targets are not valid: '${t.Id}'`);
      }
      const matching = rows.filter((r) => r.target_id === t.Id && (t.Port === undefined || r.port === t.Port));
      if (matching.length) out.push(...matching.map(describe));
      else
        out.push({
          Target: { Id: t.Id, Port: t.Port ?? d.Port },
          HealthCheckPort: d.HealthCheckPort === 'traffic-port' ? String(t.Port ?? d.Port) : d.HealthCheckPort,
          TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered', Description: DESCRIPTIONS['Target.NotRegistered'] },
        });
    }
    return out;
  }

  /** A health transition from the data plane. Returns the task that registered the target, if any (its service looks again). */
  async recordHealth(report: HealthReport, now: number): Promise<string | undefined> {
    return this.#store.transaction(async (tx) => {
      const row = await tx
        .selectFrom('elb_targets')
        .selectAll()
        .where('target_group_arn', '=', report.targetGroupArn)
        .where('target_id', '=', report.id)
        .where('port', '=', report.port)
        .executeTakeFirst();
      if (!row || row.state === 'draining' || row.state === report.state) return undefined;
      await tx
        .updateTable('elb_targets')
        .set({ state: report.state, reason: report.reason ?? null, description: report.description ?? null, changed_at: now })
        .where('target_group_arn', '=', row.target_group_arn)
        .where('target_id', '=', row.target_id)
        .where('port', '=', row.port)
        .execute();
      return row.task_arn ?? undefined;
    });
  }

  /**
   * Ends the deregistration delays that are over: their targets are removed.
   * Returns the tasks that have no target left draining (they may now stop).
   */
  async sweep(now: number): Promise<string[]> {
    const released = await this.#store.transaction(async (tx) => {
      const done = await tx.selectFrom('elb_targets').selectAll().where('state', '=', 'draining').where('drain_until', '<=', now).execute();
      if (!done.length) return [];
      for (const row of done) {
        await tx.deleteFrom('elb_targets').where('target_group_arn', '=', row.target_group_arn).where('target_id', '=', row.target_id).where('port', '=', row.port).execute();
      }
      const tasks = [...new Set(done.map((r) => r.task_arn).filter((a): a is string => !!a))];
      const out: string[] = [];
      for (const arn of tasks) {
        const left = await tx.selectFrom('elb_targets').select('task_arn').where('task_arn', '=', arn).where('state', '=', 'draining').executeTakeFirst();
        if (!left) out.push(arn);
      }
      return out;
    });
    return released;
  }

  // ── ECS services ───────────────────────────────────────────────────────────

  /** Registers a service task's targets inside the caller's transaction; returns how many were new, by target group. */
  async registerTaskIn(tx: Tx, taskArn: string, targets: TaskTarget[], now: number): Promise<Map<string, number>> {
    const added = new Map<string, number>();
    for (const t of targets) {
      if (await upsertTarget(tx, t, taskArn, now)) added.set(t.targetGroupArn, (added.get(t.targetGroupArn) ?? 0) + 1);
    }
    return added;
  }

  /**
   * Starts draining a task's targets inside the caller's transaction. Returns
   * when the last deregistration delay ends, or undefined when the task has
   * no target (it may stop at once), and the groups it left.
   */
  async deregisterTaskIn(tx: Tx, taskArn: string, now: number): Promise<{ until?: number; groups: string[] }> {
    const rows = await tx.selectFrom('elb_targets').selectAll().where('task_arn', '=', taskArn).execute();
    let until: number | undefined;
    const groups: string[] = [];
    for (const row of rows) {
      let end = row.drain_until ?? now;
      if (row.state !== 'draining') {
        const tg = await readTargetGroup(tx, row.target_group_arn);
        end = now + (tg ? deregistrationDelayMs(tg) : 0);
        await drain(tx, row, end, now);
        groups.push(row.target_group_arn);
      }
      until = Math.max(until ?? 0, end);
    }
    return { until, groups };
  }

  async #resolve(tx: Tx, scope: Scope, tg: TargetGroupRecord, t: TargetDescription): Promise<TaskTarget> {
    const d = tg.body.description;
    const id = t.Id ?? '';
    const port = t.Port ?? d.Port;
    if (port === undefined || port < 1 || port > 65535) throw invalidTarget(`The port of target '${id}' must be between 1 and 65535`);
    if (d.TargetType === 'ip') {
      if (!isIP(id)) throw invalidTarget(`The IP address '${id}' is not a valid IPv4 or IPv6 address`);
      if ((isIP(id) === 6) !== (d.IpAddressType === 'ipv6')) throw invalidTarget(`The IP address '${id}' does not match the target group's IP address type '${d.IpAddressType ?? 'ipv4'}'`);
      return { targetGroupArn: d.TargetGroupArn!, id, port, address: id, availabilityZone: t.AvailabilityZone };
    }
    if (!(await instanceExists(tx, scope, id))) throw invalidTarget(`The following targets are not in a running state and cannot be registered: '${id}'`);
    if (t.AvailabilityZone !== undefined) throw invalidTarget('An Availability Zone cannot be specified for instance targets');
    // One machine: an instance is reached on loopback, where its tasks publish their ports.
    return { targetGroupArn: d.TargetGroupArn!, id, port, address: '127.0.0.1' };
  }
}

/** The target health of each of these tasks (tasks without targets are absent). */
export async function taskTargetHealth(tx: Tx, taskArns: readonly string[]): Promise<Map<string, TaskTargetHealth[]>> {
  const out = new Map<string, TaskTargetHealth[]>();
  for (let i = 0; i < taskArns.length; i += 500) {
    const rows = await tx.selectFrom('elb_targets').selectAll().where('task_arn', 'in', taskArns.slice(i, i + 500)).execute();
    for (const r of rows) {
      const list = out.get(r.task_arn!) ?? [];
      list.push({ targetGroupArn: r.target_group_arn, port: r.port, state: r.state as TargetState, description: r.description ?? undefined });
      out.set(r.task_arn!, list);
    }
  }
  return out;
}

async function requireGroup(tx: Tx, scope: Scope, arn: string): Promise<TargetGroupRecord> {
  const tg = await readTargetGroup(tx, arn);
  if (!tg || !inScope(scope, arn)) throw targetGroupNotFound(`Target groups '${arn}' not found`);
  return tg;
}

async function instanceExists(tx: Tx, scope: Scope, id: string): Promise<boolean> {
  const row = await tx
    .selectFrom('container_instances')
    .select('arn')
    .where('ec2_instance_id', '=', id)
    .where('account_id', '=', scope.accountId)
    .where('region', '=', scope.region)
    .where('status', '<>', 'INACTIVE')
    .executeTakeFirst();
  return !!row;
}

export function deregistrationDelayMs(tg: TargetGroupRecord): number {
  return Number(tg.body.attributes['deregistration_delay.timeout_seconds'] ?? '300') * 1000;
}

/**
 * Inserts a target, or brings a draining one back; true when it was not
 * registered before. It starts `initial`, or `healthy` in a group whose
 * health checks are off (it gets traffic; DescribeTargetHealth shows it
 * `unavailable`).
 */
async function upsertTarget(tx: Tx, t: TaskTarget, taskArn: string | undefined, now: number): Promise<boolean> {
  const row = await tx.selectFrom('elb_targets').selectAll().where('target_group_arn', '=', t.targetGroupArn).where('target_id', '=', t.id).where('port', '=', t.port).executeTakeFirst();
  if (row && row.state !== 'draining') return false;
  const state = (await readTargetGroup(tx, t.targetGroupArn))?.body.description.HealthCheckEnabled === false ? 'healthy' : 'initial';
  if (row) {
    await tx
      .updateTable('elb_targets')
      .set({ state, reason: null, description: null, drain_until: null, registered_at: now, changed_at: now, address: t.address, task_arn: taskArn ?? row.task_arn })
      .where('target_group_arn', '=', t.targetGroupArn)
      .where('target_id', '=', t.id)
      .where('port', '=', t.port)
      .execute();
    return true;
  }
  await tx
    .insertInto('elb_targets')
    .values({
      target_group_arn: t.targetGroupArn,
      target_id: t.id,
      port: t.port,
      address: t.address,
      availability_zone: t.availabilityZone ?? null,
      state,
      reason: null,
      description: null,
      registered_at: now,
      changed_at: now,
      drain_until: null,
      task_arn: taskArn ?? null,
    })
    .execute();
  return true;
}

async function drain(tx: Tx, row: ElbTargetRow, until: number, now: number): Promise<void> {
  await tx
    .updateTable('elb_targets')
    .set({ state: 'draining', reason: 'Target.DeregistrationInProgress', description: DESCRIPTIONS['Target.DeregistrationInProgress']!, drain_until: until, changed_at: now })
    .where('target_group_arn', '=', row.target_group_arn)
    .where('target_id', '=', row.target_id)
    .where('port', '=', row.port)
    .execute();
}

/** DescribeTargetHealth's TargetHealth for a stored target. */
export function presentHealth(row: Pick<ElbTargetRow, 'state' | 'reason' | 'description' | 'registered_at'>, ctx: { inUse: boolean; checks: boolean; now: number }): TargetHealth {
  if (row.state === 'draining') return { State: 'draining' as const, Reason: 'Target.DeregistrationInProgress' as const, Description: DESCRIPTIONS['Target.DeregistrationInProgress'] };
  if (!ctx.inUse) return { State: 'unused' as const, Reason: 'Target.NotInUse' as const, Description: DESCRIPTIONS['Target.NotInUse'] };
  if (!ctx.checks) return { State: 'unavailable' as const, Reason: 'Target.HealthCheckDisabled' as const, Description: DESCRIPTIONS['Target.HealthCheckDisabled'] };
  if (row.state === 'initial') {
    const reason = ctx.now - Number(row.registered_at) < REGISTRATION_MS ? 'Elb.RegistrationInProgress' : 'Elb.InitialHealthChecking';
    return { State: 'initial', Reason: reason, Description: DESCRIPTIONS[reason] };
  }
  if (row.state === 'healthy') return { State: 'healthy' as const };
  return { State: 'unhealthy', Reason: (row.reason ?? 'Target.FailedHealthChecks') as TargetHealth['Reason'], Description: row.description ?? 'Health checks failed' };
}
