import type { Logger } from 'pino';
import type { DataPlaneConfig, HealthReport, ListenerConfig, RequestCount, RuleConfig, TargetGroupConfig, TargetState } from '../../lb/config.js';
import type { Store } from '../../store/store.js';
import { addServiceEvents, EVENT } from '../service-events.js';
import type { ServiceRecord } from '../service-record.js';
import type { Tasks } from '../tasks.js';
import { certificateFiles, forwardedTargetGroups, type ListenerBody, type LoadBalancerBody, type RuleBody, type TargetGroupBody } from './records.js';
import { registerServiceTasks } from './service-targets.js';
import type { Targets } from './targets.js';

// Keeps the data plane in step with the store, and the store with what the
// data plane sees. After every ELBv2 change (and every few seconds, in case a
// change was missed) the whole configuration is read and handed to the data
// plane, which applies the difference. Health transitions come back and are
// stored; the service of a task whose target changed is looked at again.
// Once a second, deregistration delays that are over end (and the tasks
// that were draining may stop). ECS services register their RUNNING tasks
// through `registerServiceTasks`, which the service scheduler calls.
//
//   API change ─► changed() ─► read store ─► DataPlane.apply(config)
//   DataPlane ─► onHealth ─► elb_targets ─► scheduler.kick(service)
//   timer (1 s) ─► Targets.sweep ─► Tasks.release ─► agent stops the task

export interface DataPlaneLike {
  apply(config: DataPlaneConfig): Promise<unknown>;
}

const SWEEP_MS = 1_000;
const FULL_APPLY_MS = 5_000;
const DEBOUNCE_MS = 5;
/** Idle timeout when the load balancer's attribute is missing (ALB's default). */
const DEFAULT_IDLE_S = 60;

export class LoadBalancerSync {
  readonly #store: Store;
  readonly #targets: Targets;
  readonly #tasks: Tasks;
  readonly #log: Logger;
  readonly #kick: (serviceArn: string) => void;
  readonly #now: () => number;
  readonly #certificatesDir: string;
  #plane: DataPlaneLike | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #full: NodeJS.Timeout | undefined;
  #applying: Promise<void> | undefined;
  #again = false;
  #ticks = 0;
  #closed = false;

  constructor(store: Store, targets: Targets, tasks: Tasks, opts: { log: Logger; kickService: (serviceArn: string) => void; certificatesDir: string; now?: () => number }) {
    this.#certificatesDir = opts.certificatesDir;
    this.#store = store;
    this.#targets = targets;
    this.#tasks = tasks;
    this.#log = opts.log;
    this.#kick = opts.kickService;
    this.#now = opts.now ?? Date.now;
  }

  /** Starts driving a data plane: applies the stored configuration now and keeps it applied. */
  async start(plane: DataPlaneLike): Promise<void> {
    this.#plane = plane;
    await this.#apply();
    this.#sweeper = setInterval(() => void this.#sweep(), SWEEP_MS);
    this.#sweeper.unref();
    this.#full = setInterval(() => this.changed(), FULL_APPLY_MS);
    this.#full.unref();
  }

  async stop(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    clearInterval(this.#full);
    clearTimeout(this.#timer);
    await this.#applying;
  }

  /** Something in the store changed: apply the configuration soon. */
  changed(): void {
    if (this.#closed || this.#timer || !this.#plane) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#apply();
    }, DEBOUNCE_MS);
  }

  async #apply(): Promise<void> {
    if (this.#applying) {
      this.#again = true;
      return this.#applying;
    }
    this.#applying = (async () => {
      do {
        this.#again = false;
        try {
          await this.#plane!.apply(await readDataPlaneConfig(this.#store, this.#certificatesDir));
        } catch (e) {
          this.#log.warn({ err: e }, 'could not apply the load balancer configuration');
        }
      } while (this.#again && !this.#closed);
    })();
    try {
      await this.#applying;
    } finally {
      this.#applying = undefined;
    }
  }

  /** A health transition from the data plane. */
  async health(report: HealthReport): Promise<void> {
    try {
      const taskArn = await this.#targets.recordHealth(report, this.#now());
      if (taskArn) await this.#kickTaskService(taskArn);
    } catch (e) {
      this.#log.warn({ err: e }, 'could not record a target health change');
    }
  }

  /** Request counts from the data plane, added to the minute rows. */
  async requests(counts: RequestCount[]): Promise<void> {
    if (!counts.length) return;
    try {
      await this.#store.transaction(async (tx) => {
        for (const c of counts) {
          await tx
            .insertInto('elb_request_counts')
            .values({ target_group_arn: c.targetGroupArn, load_balancer_arn: c.loadBalancerArn, minute: c.minute, requests: c.requests })
            .onConflict((oc) => oc.columns(['target_group_arn', 'load_balancer_arn', 'minute']).doUpdateSet((eb) => ({ requests: eb('elb_request_counts.requests', '+', c.requests) })))
            .execute();
        }
        // A day of minutes is kept (the metrics issue reads them).
        await tx.deleteFrom('elb_request_counts').where('minute', '<', this.#now() - 24 * 3600_000).execute();
      });
    } catch (e) {
      this.#log.warn({ err: e }, 'could not store request counts');
    }
  }

  /** Registers a load-balanced service's RUNNING tasks (called by the service scheduler before it plans). */
  async registerServiceTasks(s: ServiceRecord): Promise<void> {
    if (!s.body.loadBalancers.length) return;
    const now = this.#now();
    const added = await registerServiceTasks(this.#store, this.#targets, { clusterArn: s.clusterArn, name: s.name, loadBalancers: s.body.loadBalancers }, now);
    if (!added.size) return;
    await this.#store.transaction((tx) =>
      addServiceEvents(
        tx,
        s.arn,
        [...added].map(([tg, n]) => EVENT.registeredTargets(s.name, n, tg)),
        now,
      ),
    );
    this.changed();
  }

  async #sweep(): Promise<void> {
    if (this.#closed) return;
    try {
      const now = this.#now();
      const released = await this.#targets.sweep(now);
      if (released.length) this.changed();
      for (const arn of released) {
        await this.#tasks.release(arn);
        await this.#kickTaskService(arn);
      }
      // Tasks whose targets vanished with their group: released once their time is up.
      if (++this.#ticks % 10 === 0) await this.#tasks.releaseOverdue(now);
    } catch (e) {
      this.#log.warn({ err: e }, 'could not end deregistration delays');
    }
  }

  async #kickTaskService(taskArn: string): Promise<void> {
    const row = await this.#store.db.selectFrom('tasks').select(['cluster_arn', 'service_name']).where('arn', '=', taskArn).executeTakeFirst();
    if (row?.service_name) this.#kick(`${row.cluster_arn.replace(':cluster/', ':service/')}/${row.service_name}`);
  }
}

/** The data plane's whole configuration, read from the store. */
export async function readDataPlaneConfig(store: Store, certificatesDir: string): Promise<DataPlaneConfig> {
  const db = store.db;
  const [lbs, listeners, rules, groups, targets] = await Promise.all([
    db.selectFrom('elb_load_balancers').select(['arn', 'body']).execute(),
    db.selectFrom('elb_listeners').select(['arn', 'load_balancer_arn', 'port', 'body']).execute(),
    db.selectFrom('elb_rules').select(['arn', 'listener_arn', 'priority', 'body']).execute(),
    db.selectFrom('elb_target_groups').select(['arn', 'body']).execute(),
    db.selectFrom('elb_targets').selectAll().orderBy('registered_at').execute(),
  ]);
  const lbBodies = new Map(lbs.map((r) => [r.arn, JSON.parse(r.body) as LoadBalancerBody]));
  const rulesByListener = new Map<string, RuleConfig[]>();
  const used = new Set<string>();
  for (const r of rules) {
    const d = (JSON.parse(r.body) as RuleBody).description;
    const list = rulesByListener.get(r.listener_arn) ?? [];
    list.push({ arn: r.arn, priority: r.priority ?? 'default', conditions: d.Conditions ?? [], actions: [...(d.Actions ?? [])].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0)) });
    rulesByListener.set(r.listener_arn, list);
    for (const tg of forwardedTargetGroups(d.Actions)) used.add(tg);
  }
  const listenerConfigs: ListenerConfig[] = [];
  for (const l of listeners) {
    const lb = lbBodies.get(l.load_balancer_arn);
    if (!lb) continue;
    const d = (JSON.parse(l.body) as ListenerBody).description;
    const cert = d.Certificates?.[0]?.CertificateArn;
    listenerConfigs.push({
      arn: l.arn,
      loadBalancerArn: l.load_balancer_arn,
      loadBalancerType: lb.description.Type === 'network' ? 'network' : 'application',
      address: lb.address,
      port: l.port,
      protocol: d.Protocol as ListenerConfig['protocol'],
      certificate: cert ? certificateFiles(certificatesDir, cert) : undefined,
      idleTimeoutMs: Number(lb.attributes['idle_timeout.timeout_seconds'] ?? DEFAULT_IDLE_S) * 1000,
      rules: (rulesByListener.get(l.arn) ?? []).sort((a, b) => rank(a.priority) - rank(b.priority)),
    });
  }
  const targetsByGroup = new Map<string, TargetGroupConfig['targets']>();
  for (const t of targets) {
    const list = targetsByGroup.get(t.target_group_arn) ?? [];
    list.push({
      id: t.target_id,
      port: t.port,
      address: t.address,
      state: t.state as TargetState,
      registeredAt: Number(t.registered_at),
      drainUntil: t.drain_until === null ? undefined : Number(t.drain_until),
    });
    targetsByGroup.set(t.target_group_arn, list);
  }
  const groupConfigs: TargetGroupConfig[] = groups.map((g) => {
    const b = JSON.parse(g.body) as TargetGroupBody;
    const d = b.description;
    const a = b.attributes;
    const stickinessType = a['stickiness.type'] ?? 'lb_cookie';
    return {
      arn: g.arn,
      protocol: d.Protocol as TargetGroupConfig['protocol'],
      targetType: (d.TargetType ?? 'instance') as TargetGroupConfig['targetType'],
      healthCheck: {
        enabled: d.HealthCheckEnabled !== false,
        protocol: (d.HealthCheckProtocol ?? 'HTTP') as TargetGroupConfig['healthCheck']['protocol'],
        port: d.HealthCheckPort === 'traffic-port' || !d.HealthCheckPort ? 'traffic-port' : Number(d.HealthCheckPort),
        path: d.HealthCheckPath ?? '/',
        intervalMs: (d.HealthCheckIntervalSeconds ?? 30) * 1000,
        timeoutMs: (d.HealthCheckTimeoutSeconds ?? 5) * 1000,
        healthyThreshold: d.HealthyThresholdCount ?? 5,
        unhealthyThreshold: d.UnhealthyThresholdCount ?? 2,
        matcher: d.Matcher?.HttpCode ?? '200',
      },
      inUse: used.has(g.arn),
      deregistrationDelayMs: Number(a['deregistration_delay.timeout_seconds'] ?? 300) * 1000,
      slowStartMs: Number(a['slow_start.duration_seconds'] ?? 0) * 1000,
      algorithm: (a['load_balancing.algorithm.type'] ?? 'round_robin') as TargetGroupConfig['algorithm'],
      stickiness: {
        enabled: a['stickiness.enabled'] === 'true',
        type: stickinessType,
        durationMs: Number(a[stickinessType === 'app_cookie' ? 'stickiness.app_cookie.duration_seconds' : 'stickiness.lb_cookie.duration_seconds'] ?? 86400) * 1000,
        cookieName: a['stickiness.app_cookie.cookie_name'] || undefined,
      },
      targets: targetsByGroup.get(g.arn) ?? [],
    };
  });
  return { listeners: listenerConfigs, targetGroups: groupConfigs };
}

const rank = (p: number | 'default') => (p === 'default' ? Number.MAX_SAFE_INTEGER : p);
