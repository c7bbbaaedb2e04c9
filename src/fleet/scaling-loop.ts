import type { Logger } from 'pino';
import type { CapacityProviderRecord, CapacityProviders } from '../control/capacity-providers.js';
import { DEFAULT_RESERVED_PORTS, type InstanceResources, type Reservation } from '../control/instance-resources.js';
import type { InstanceBody } from '../control/instance-record.js';
import type { Store } from '../store/store.js';
import type { InstancePool, PoolProvider } from './instance-pool.js';
import { daemonServices } from './instance-pool.js';
import { FLEET_LOG } from './log-fields.js';
import { instancesNeeded, planScaling, type Demand, type InstanceRoom, type ScalingDecision } from './managed-scaling.js';

// Managed scaling, every interval: for each EC2 capacity provider associated
// with a cluster, read what its instances hold and which of its tasks wait
// (PROVISIONING on no instance), plan (managed-scaling.ts), record the
// CapacityProviderReservation figure, and have the pool start or stop
// instances. Instances of a provider no longer associated with their cluster
// go as soon as they are idle.
//
//   every interval ─► providers (ACTIVE, associated, this account)
//        └─► snapshot (instances + their live tasks, waiting tasks, starting members)
//            ─► instancesNeeded ─► planScaling ─► store the figure, log
//            ─► pool.launch (then tasks.placeWaiting) | pool.stop (idle only)

/** CloudWatch keeps one-minute data for 15 days. */
const RESERVATION_RETENTION_MS = 15 * 24 * 3600_000;

/** What the loop needs of the control core's Tasks (src/control/tasks.ts). */
export interface WaitingTasks {
  /** Places the tasks waiting (PROVISIONING) for an EC2 capacity provider's instances; how many were placed. */
  placeWaiting(): Promise<number>;
}

export interface ScalingLoopOptions {
  store: Store;
  capacityProviders: CapacityProviders;
  pool: InstancePool;
  /** The account whose providers the pool serves. */
  accountId: string;
  /** The most instances one provider may have. */
  maxInstances: number;
  instanceCpu: number;
  instanceMemory: number;
  intervalMs: number;
  /** The control core's tasks: told to place the tasks that wait for capacity when capacity appears. */
  tasks?: WaitingTasks;
  log: Logger;
}

interface Snapshot {
  rooms: InstanceRoom[];
  inGroup: number;
  waiting: Demand[];
  /** Pool instances that run no task (beyond daemon ones where allowed), newest first. */
  idle: string[];
}

export class ScalingLoop {
  readonly #opts: ScalingLoopOptions;
  readonly #lastScaleOut = new Map<string, number>();
  readonly #unplaceableLogged = new Map<string, number>();
  #timer?: NodeJS.Timeout;
  #pass?: Promise<unknown>;
  #stopped = false;
  #lastPrune = 0;

  constructor(opts: ScalingLoopOptions) {
    this.#opts = opts;
  }

  start(): void {
    this.#stopped = false;
    const tick = () => {
      if (this.#stopped) return;
      this.#pass = this.runOnce(Date.now())
        .catch((e: unknown) => this.#opts.log.error({ err: e }, 'managed scaling pass failed'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#opts.intervalMs);
        });
    };
    this.#timer = setTimeout(tick, this.#opts.intervalMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#pass;
  }

  /** A pool instance connected: a waiting task may be placed on it. */
  instanceConnected(): void {
    void this.placeWaiting();
  }

  /** Asks Tasks to place the tasks waiting for capacity. */
  async placeWaiting(): Promise<void> {
    const tasks = this.#opts.tasks;
    if (!tasks) return;
    try {
      const placed = await tasks.placeWaiting();
      if (placed > 0) this.#opts.log.info({ [FLEET_LOG.count]: placed }, 'placed tasks that waited for capacity');
    } catch (e) {
      this.#opts.log.warn({ err: e }, 'placing the waiting tasks failed');
    }
  }

  /** One pass over every provider; returns the decisions made (for tests and logs). */
  async runOnce(now: number): Promise<Map<string, ScalingDecision>> {
    const o = this.#opts;
    const decisions = new Map<string, ScalingDecision>();
    const providers = (await o.capacityProviders.associated()).filter((p) => p.accountId === o.accountId);
    const clusterOf = new Map<string, string>();
    for (const p of providers) {
      const cluster = await o.store.db.selectFrom('clusters').select(['name', 'status']).where('arn', '=', p.clusterArn!).executeTakeFirst();
      if (cluster?.status !== 'ACTIVE') continue;
      clusterOf.set(p.arn, cluster.name);
      const decision = await this.#scale(p, cluster.name, now);
      if (decision) decisions.set(p.arn, decision);
    }
    // Instances deregistered by someone else go at once; those of providers that were deleted or
    // taken from their cluster go once idle.
    for (const m of o.pool.members()) {
      if (m.state !== 'running' || !m.instanceArn) continue;
      const row = await o.store.db.selectFrom('container_instances').select('status').where('arn', '=', m.instanceArn).executeTakeFirst();
      const deregistered = !row || row.status === 'INACTIVE';
      if (!deregistered && clusterOf.get(m.providerArn) === m.clusterName) continue;
      if (!deregistered && (await this.#snapshotIdle(m.instanceArn)) !== 'idle') continue;
      o.log.info(
        { [FLEET_LOG.capacityProvider]: m.providerName, [FLEET_LOG.containerInstance]: m.instanceArn },
        deregistered ? 'stopping a pool instance that was deregistered' : 'stopping an idle instance of a provider no longer associated with its cluster',
      );
      await o.pool.stop(m.instanceArn, true, now);
    }
    if (now - this.#lastPrune > 3600_000) {
      this.#lastPrune = now;
      await o.capacityProviders.pruneReservations(now - RESERVATION_RETENTION_MS);
    }
    return decisions;
  }

  async #snapshotIdle(instanceArn: string): Promise<'idle' | 'busy'> {
    const n = await this.#opts.store.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('container_instance_arn', '=', instanceArn)
      .where('last_status', '<>', 'STOPPED')
      .executeTakeFirstOrThrow();
    return Number(n.n) === 0 ? 'idle' : 'busy';
  }

  async #scale(p: CapacityProviderRecord, clusterName: string, now: number): Promise<ScalingDecision | undefined> {
    const o = this.#opts;
    const asg = p.body.autoScalingGroupProvider;
    const settings = asg.managedScaling;
    if (settings.status !== 'ENABLED') return undefined;
    const daemonTasksAllowed = asg.managedTerminationProtection === 'ENABLED';
    const snap = await this.#snapshot(p, clusterName, daemonTasksAllowed);
    const size = { cpu: o.instanceCpu, memory: o.instanceMemory, ports: DEFAULT_RESERVED_PORTS.map(Number) };
    const need = instancesNeeded(snap.rooms, snap.waiting, size);
    const receiving = new Set(need.receiving);
    const idle = snap.idle.filter((id) => !receiving.has(id));
    const decision = planScaling({
      settings,
      needed: need.needed,
      inGroup: snap.inGroup,
      idle,
      maxInstances: o.maxInstances,
      now,
      lastScaleOutAt: this.#lastScaleOut.get(p.arn),
    });
    await o.capacityProviders.recordReservation(p.arn, clusterName, decision.reservation, now);
    const figures = {
      [FLEET_LOG.capacityProvider]: p.name,
      [FLEET_LOG.cluster]: clusterName,
      [FLEET_LOG.reservation]: Math.round(decision.reservation * 100) / 100,
      [FLEET_LOG.needed]: need.needed,
      [FLEET_LOG.inGroup]: snap.inGroup,
      [FLEET_LOG.desired]: decision.desired,
      [FLEET_LOG.waiting]: snap.waiting.length,
      [FLEET_LOG.action]: decision.action.kind,
    };
    if (need.unplaceable > 0 && (this.#unplaceableLogged.get(p.arn) ?? 0) !== need.unplaceable) {
      o.log.warn({ ...figures, [FLEET_LOG.unplaceable]: need.unplaceable, instanceCpu: o.instanceCpu, instanceMemory: o.instanceMemory }, 'waiting tasks are larger than a pool instance: no instance of this size can run them');
    }
    this.#unplaceableLogged.set(p.arn, need.unplaceable);
    const provider: PoolProvider = { arn: p.arn, name: p.name, accountId: p.accountId, region: p.region, clusterName };
    const action = decision.action;
    if (action.kind === 'out') {
      const blockedUntil = o.pool.launchBlockedUntil(p.arn);
      if (now < blockedUntil) {
        o.log.info({ ...figures, retryInMs: blockedUntil - now }, 'managed scaling: scale-out waits after a failed launch');
        return decision;
      }
      o.log.info({ ...figures, [FLEET_LOG.count]: action.count }, 'managed scaling: scale out');
      this.#lastScaleOut.set(p.arn, now);
      void o.pool.launch(provider, action.count, now);
      await this.placeWaiting();
    } else if (action.kind === 'in') {
      o.log.info({ ...figures, [FLEET_LOG.count]: action.instances.length }, 'managed scaling: scale in');
      await Promise.all(action.instances.map((arn) => o.pool.stop(arn, daemonTasksAllowed, now)));
    } else {
      o.log.debug({ ...figures, [FLEET_LOG.reason]: action.reason }, 'managed scaling: no change');
    }
    // Waiting tasks that fit where there is room already: placement may have missed the moment the room appeared.
    if (action.kind !== 'out' && receiving.size > 0) await this.placeWaiting();
    return decision;
  }

  async #snapshot(p: CapacityProviderRecord, clusterName: string, daemonTasksAllowed: boolean): Promise<Snapshot> {
    const o = this.#opts;
    const db = o.store.db;
    const clusterArn = p.clusterArn!;
    const rows = await db
      .selectFrom('container_instances')
      .select(['arn', 'status', 'body'])
      .where('cluster_arn', '=', clusterArn)
      .where('status', '<>', 'INACTIVE')
      .where('body', 'like', `%"capacityProviderName":"${p.name}"%`)
      .execute();
    const instances = rows
      .map((r) => ({ arn: r.arn, status: r.status, body: JSON.parse(r.body) as InstanceBody }))
      .filter((r) => r.body.capacityProviderName === p.name);
    const arns = instances.map((i) => i.arn);
    const daemons = await daemonServices(o.store, clusterArn);
    const busy = new Map<string, { daemon: number; other: number }>(arns.map((a) => [a, { daemon: 0, other: 0 }]));
    for (let i = 0; i < arns.length; i += 500) {
      const live = await db
        .selectFrom('tasks')
        .select(['container_instance_arn', 'service_name'])
        .where('container_instance_arn', 'in', arns.slice(i, i + 500))
        .where('last_status', '<>', 'STOPPED')
        .execute();
      for (const t of live) {
        const c = busy.get(t.container_instance_arn!)!;
        if (t.service_name !== null && daemons.has(t.service_name)) c.daemon++;
        else c.other++;
      }
    }
    const rooms: InstanceRoom[] = instances.map((i) => {
      const r: InstanceResources = i.body.remaining;
      const open = i.status === 'ACTIVE';
      return {
        id: i.arn,
        cpu: open ? r.cpu : 0,
        memory: open ? r.memory : 0,
        ports: new Set(r.ports.map(Number)),
        portsUdp: new Set(r.portsUdp.map(Number)),
        busy: busy.get(i.arn)!.other > 0,
      };
    });
    // Pool instances still starting that have not registered yet: empty instances of the pool's size.
    const members = o.pool.members(p.arn).filter((m) => m.clusterName === clusterName);
    const registered = new Set(arns);
    const starting = members.filter((m) => m.state === 'starting' && (!m.instanceArn || !registered.has(m.instanceArn)));
    for (const m of starting) {
      rooms.push({ id: `starting:${m.n}`, cpu: o.instanceCpu, memory: o.instanceMemory, ports: new Set(DEFAULT_RESERVED_PORTS.map(Number)), portsUdp: new Set(), busy: false });
    }
    const waitingRows = await db
      .selectFrom('tasks')
      .select('body')
      .where('cluster_arn', '=', clusterArn)
      .where('last_status', '=', 'PROVISIONING')
      .where('container_instance_arn', 'is', null)
      .where('desired_status', '=', 'RUNNING')
      .where('body', 'like', `%"capacityProviderName":"${p.name}"%`)
      .execute();
    const waiting: Demand[] = [];
    for (const w of waitingRows) {
      const body = JSON.parse(w.body) as { capacityProviderName?: string; reservation?: Reservation };
      if (body.capacityProviderName !== p.name || !body.reservation) continue;
      waiting.push({ cpu: body.reservation.cpu, memory: body.reservation.memory, ports: body.reservation.ports, portsUdp: body.reservation.portsUdp });
    }
    const idle = members
      .filter((m) => m.state === 'running' && m.instanceArn && registered.has(m.instanceArn))
      .filter((m) => {
        const c = busy.get(m.instanceArn!)!;
        return c.other === 0 && (c.daemon === 0 || daemonTasksAllowed);
      })
      .sort((a, b) => b.n - a.n)
      .map((m) => m.instanceArn!);
    return { rooms, inGroup: instances.length + starting.length, waiting, idle };
  }
}
