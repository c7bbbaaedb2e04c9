import { createServer } from 'node:net';
import type { Logger } from 'pino';
import type { DataPlaneConfig, HealthReport, ListenerConfig, RequestCount, TargetGroupConfig } from './config.js';
import { HealthChecker, type HealthChange } from './health-checker.js';
import { isReportable } from './health-state.js';
import { HttpListener } from './http-listener.js';
import { LB_LOG } from './log-fields.js';
import { RequestCounts } from './request-counter.js';
import { TargetGroupRuntime } from './target-group.js';
import { TcpListener } from './tcp-listener.js';
import { UdpListener } from './udp-listener.js';

// The load balancer data plane: runs what a DataPlaneConfig describes.
// apply() diffs the desired configuration against what runs (listeners by
// ARN, target groups by ARN, targets by id:port) and changes only what
// differs: rules, idle timeouts, certificates and target sets change in
// place, without dropping a connection; a listener whose protocol, address
// or port changed is closed and bound again; a listener that could not bind
// is reported and tried again on every later apply(). The health checker
// reports transitions through onHealth; request counts go to onRequests
// every ~10 s and on close().

export interface DataPlaneOptions {
  log: Logger;
  onHealth: (report: HealthReport) => void;
  onRequests: (counts: RequestCount[]) => void;
  now?: () => number;
  /** How often request counts are flushed; 10 s by default. */
  flushIntervalMs?: number;
  /** [0, 1), for weighted choices; Math.random by default. */
  random?: () => number;
}

export interface ListenerBindFailure {
  listenerArn: string;
  address: string;
  port: number;
  protocol: string;
  /** The system's code (EADDRINUSE, EACCES, EADDRNOTAVAIL, ENOENT for a certificate file…). */
  code: string;
  message: string;
}

export interface ApplyResult {
  /** Listeners that are bound after this apply. */
  listening: string[];
  /** Listeners that could not bind; apply() tries them again next time. */
  failed: ListenerBindFailure[];
}

type Part = HttpListener | TcpListener | UdpListener;

interface RunningListener {
  config: ListenerConfig;
  bindKey: string;
  parts: Part[];
}

const FLUSH_INTERVAL_MS = 10_000;

function bindKey(l: ListenerConfig): string {
  return `${l.loadBalancerType}|${l.protocol}|${l.address}|${l.port}`;
}

export class DataPlane {
  readonly #log: Logger;
  readonly #onHealth: (report: HealthReport) => void;
  readonly #onRequests: (counts: RequestCount[]) => void;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #counts = new RequestCounts();
  readonly #groups = new Map<string, TargetGroupRuntime>();
  readonly #listeners = new Map<string, RunningListener>();
  readonly #checker: HealthChecker;
  readonly #flushTimer: NodeJS.Timeout;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(opts: DataPlaneOptions) {
    this.#log = opts.log;
    this.#onHealth = opts.onHealth;
    this.#onRequests = opts.onRequests;
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
    this.#checker = new HealthChecker({ onChange: this.#onHealthChange });
    this.#flushTimer = setInterval(() => this.#flush(), opts.flushIntervalMs ?? FLUSH_INTERVAL_MS);
    this.#flushTimer.unref();
  }

  /** Whether `port` on `address` can be bound now (TCP): 'free', 'in-use', or the system's error code. */
  static probe(address: string, port: number): Promise<'free' | 'in-use' | string> {
    return new Promise((resolve) => {
      const s = createServer();
      s.unref();
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' ? 'in-use' : (err.code ?? err.message)));
      s.listen({ host: address, port, exclusive: true }, () => s.close(() => resolve('free')));
    });
  }

  /** Makes the running data plane match `config`. Calls are serialized. */
  apply(config: DataPlaneConfig): Promise<ApplyResult> {
    const run = this.#queue.then(() => this.#apply(config));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Closes every listener and upstream connection, stops health checks, flushes request counts. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    clearInterval(this.#flushTimer);
    this.#checker.close();
    await Promise.all([...this.#listeners.values()].map((l) => this.#closeListener(l)));
    this.#listeners.clear();
    for (const g of this.#groups.values()) g.destroy();
    this.#groups.clear();
    this.#flush();
  }

  async #apply(config: DataPlaneConfig): Promise<ApplyResult> {
    if (this.#closed) throw new Error('data plane is closed');
    const now = this.#now();
    // Health memory first: new runtime targets read their state from it.
    this.#checker.update(config.targetGroups);
    this.#applyGroups(config.targetGroups, now);

    const wanted = new Map(config.listeners.map((l) => [l.arn, l]));
    // Close what goes (or must rebind) before binding anything, so a port moving between listeners is free.
    const closing: Promise<void>[] = [];
    for (const [arn, running] of this.#listeners) {
      const next = wanted.get(arn);
      if (next && bindKey(next) === running.bindKey) continue;
      this.#listeners.delete(arn);
      closing.push(this.#closeListener(running));
    }
    await Promise.all(closing);

    const failed: ListenerBindFailure[] = [];
    for (const l of config.listeners) {
      const running = this.#listeners.get(l.arn);
      if (running) {
        running.config = l;
        for (const p of running.parts) p.update(l);
        continue;
      }
      const failure = await this.#open(l);
      if (failure) failed.push(failure);
    }
    return { listening: [...this.#listeners.keys()], failed };
  }

  #applyGroups(groups: readonly TargetGroupConfig[], now: number): void {
    const health = (tg: string, key: string) => this.#checker.memoryOf(tg, key);
    const seen = new Set<string>();
    for (const tg of groups) {
      seen.add(tg.arn);
      const g = this.#groups.get(tg.arn);
      if (g) g.update(tg, now, health);
      else this.#groups.set(tg.arn, new TargetGroupRuntime(tg, now, health, this.#random));
    }
    for (const [arn, g] of this.#groups) {
      if (seen.has(arn)) continue;
      g.close(now);
      this.#groups.delete(arn);
    }
  }

  async #open(l: ListenerConfig): Promise<ListenerBindFailure | undefined> {
    const deps = { group: (arn: string) => this.#groups.get(arn), counts: this.#counts, log: this.#log, now: this.#now, random: this.#random };
    const parts: Part[] = [];
    if (l.loadBalancerType === 'application' || l.protocol === 'HTTP' || l.protocol === 'HTTPS') parts.push(new HttpListener(l, deps));
    else {
      if (l.protocol !== 'UDP') parts.push(new TcpListener(l, deps));
      if (l.protocol === 'UDP' || l.protocol === 'TCP_UDP') parts.push(new UdpListener(l, deps));
    }
    const bound: Part[] = [];
    try {
      for (const p of parts) {
        await p.listen();
        bound.push(p);
      }
    } catch (e) {
      await Promise.all(bound.map((p) => p.close().catch(() => undefined)));
      const err = e as NodeJS.ErrnoException;
      const failure: ListenerBindFailure = {
        listenerArn: l.arn,
        address: l.address,
        port: l.port,
        protocol: l.protocol,
        code: err.code ?? 'Error',
        message: err.message,
      };
      this.#log.warn({ [LB_LOG.listener]: l.arn, [LB_LOG.address]: l.address, [LB_LOG.port]: l.port, [LB_LOG.code]: failure.code }, 'listener could not bind');
      return failure;
    }
    this.#listeners.set(l.arn, { config: l, bindKey: bindKey(l), parts });
    this.#log.info({ [LB_LOG.listener]: l.arn, [LB_LOG.address]: l.address, [LB_LOG.port]: l.port, [LB_LOG.protocol]: l.protocol }, 'listener bound');
    return undefined;
  }

  async #closeListener(l: RunningListener): Promise<void> {
    await Promise.all(l.parts.map((p) => p.close().catch(() => undefined)));
    this.#log.info({ [LB_LOG.listener]: l.config.arn, [LB_LOG.port]: l.config.port }, 'listener closed');
  }

  #onHealthChange = (c: HealthChange): void => {
    this.#groups.get(c.targetGroupArn)?.setHealth(c.key, c.memory.state, this.#now());
    if (!isReportable(c.previous, c.memory)) return;
    const state = c.memory.state as 'healthy' | 'unhealthy';
    const report: HealthReport = { targetGroupArn: c.targetGroupArn, id: c.target.id, port: c.target.port, state };
    if (state === 'unhealthy') {
      report.reason = c.memory.reason;
      report.description = c.memory.description;
    }
    this.#log.info({ [LB_LOG.targetGroup]: c.targetGroupArn, [LB_LOG.target]: c.key, [LB_LOG.state]: state, [LB_LOG.reason]: report.reason }, 'target health changed');
    try {
      this.#onHealth(report);
    } catch (err) {
      this.#log.error({ [LB_LOG.err]: err }, 'onHealth failed');
    }
  };

  #flush(): void {
    const counts = this.#counts.drain();
    if (!counts.length) return;
    try {
      this.#onRequests(counts);
    } catch (err) {
      this.#log.error({ [LB_LOG.err]: err }, 'onRequests failed');
    }
  }
}
