import type { Logger } from 'pino';
import type { Store } from '../../store/store.js';
import { VersionConflict } from '../optimistic.js';
import { readService, toServiceRecord, type ServiceRecord } from '../service-record.js';
import type { Tasks } from '../tasks.js';
import { applyServicePlan, isEmptyPlan } from './apply.js';
import { observeService, PassCache, TaskMemo } from './observe.js';
import { planService } from './plan-service.js';

// The service scheduler's loop: a full pass over every ACTIVE or DRAINING
// service each interval, and a pass over one service soon after something
// kicks it (an API change, a task state change). One pass runs at a time.
// Each service is observed, planned (pure) and applied (one transaction); a
// plan that lost a race to another writer is dropped and made again from
// fresh reads. Nothing is remembered between passes: the store is the state,
// so a restarted control plane carries on where the last one stopped.

export const RECONCILE_INTERVAL_MS = 1_000;
const KICK_DELAY_MS = 10;
const ATTEMPTS = 5;

export interface SchedulerOptions {
  intervalMs?: number;
  now?: () => number;
  random?: () => number;
  log?: Logger;
  /** Runs before a service is planned (the load balancers register its RUNNING tasks). */
  beforeReconcile?: (s: ServiceRecord) => Promise<void>;
}

export interface PassStats {
  services: number;
  committed: number;
  started: number;
  stopped: number;
}

export class ServiceScheduler {
  readonly #store: Store;
  readonly #tasks: Tasks;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #log?: Logger;
  readonly #beforeReconcile?: (s: ServiceRecord) => Promise<void>;
  readonly #memo = new TaskMemo();
  #dirty = new Set<string>();
  #fullDue = false;
  #timer: NodeJS.Timeout | undefined;
  #interval: NodeJS.Timeout | undefined;
  #busy: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  /** stop() was called: a pass under way ends after the service in hand. */
  #closing = false;

  constructor(store: Store, tasks: Tasks, opts: SchedulerOptions = {}) {
    this.#store = store;
    this.#tasks = tasks;
    this.#intervalMs = opts.intervalMs ?? RECONCILE_INTERVAL_MS;
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? Math.random;
    this.#log = opts.log;
    this.#beforeReconcile = opts.beforeReconcile;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#closing = false;
    this.#fullDue = true;
    this.#wake(0);
    this.#interval = setInterval(() => {
      this.#fullDue = true;
      this.#wake(0);
    }, this.#intervalMs);
    this.#interval.unref();
  }

  /** Stops the loop and waits for the pass under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#closing = true;
    clearInterval(this.#interval);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#busy;
  }

  /** Something about this service changed: look at it soon. */
  kick(serviceArn: string): void {
    this.#dirty.add(serviceArn);
    this.#wake(KICK_DELAY_MS);
  }

  #wake(delay: number): void {
    if (this.#stopped || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#run();
    }, delay);
  }

  async #run(): Promise<void> {
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = (async () => {
      do {
        this.#again = false;
        const full = this.#fullDue;
        this.#fullDue = false;
        const dirty = [...this.#dirty];
        this.#dirty.clear();
        try {
          if (full) await this.pass();
          else for (const arn of dirty) await this.reconcileArn(arn);
        } catch (e) {
          this.#log?.warn({ err: e }, 'service scheduler pass failed');
        }
      } while (!this.#stopped && (this.#again || this.#dirty.size > 0 || this.#fullDue));
    })();
    try {
      await this.#busy;
    } finally {
      this.#busy = undefined;
    }
  }

  /** One pass over every service the scheduler looks after. */
  async pass(): Promise<PassStats> {
    const rows = await this.#store.db.selectFrom('services').selectAll().where('status', 'in', ['ACTIVE', 'DRAINING']).orderBy('arn').execute();
    const cache = new PassCache(this.#memo);
    const stats: PassStats = { services: rows.length, committed: 0, started: 0, stopped: 0 };
    for (const row of rows) {
      if (this.#closing) break;
      try {
        const r = await this.#reconcile(toServiceRecord(row), cache, { prefetched: true });
        if (r.committed) stats.committed++;
        stats.started += r.started;
        stats.stopped += r.stopped;
      } catch (e) {
        this.#log?.warn({ err: e, service: row.arn }, 'service reconcile failed');
      }
    }
    this.#memo.endPass();
    return stats;
  }

  async reconcileArn(serviceArn: string): Promise<void> {
    const s = await readService(this.#store.db, serviceArn);
    if (!s || s.status === 'INACTIVE') return;
    await this.#reconcile(s, new PassCache(this.#memo));
  }

  async #reconcile(first: ServiceRecord, cache: PassCache, opts: { prefetched?: boolean } = {}): Promise<{ committed: boolean; started: number; stopped: number }> {
    let s: ServiceRecord | undefined = first;
    await this.#beforeReconcile?.(s);
    if (opts.prefetched) {
      // On the pass's snapshot first: a service with nothing to do costs no query of its own.
      const o = await observeService(this.#store.db, s, cache, { prefetched: true });
      if (isEmptyPlan(planService(o.desired, o.observed, { now: this.#now(), random: this.#random }), o)) return { committed: false, started: 0, stopped: 0 };
    }
    for (let attempt = 1; ; attempt++) {
      // What is written is always planned on a fresh read.
      const o = await observeService(this.#store.db, s, cache);
      const now = this.#now();
      const plan = planService(o.desired, o.observed, { now, random: this.#random });
      try {
        return await applyServicePlan(this.#store, this.#tasks, o, plan, now);
      } catch (e) {
        if (!(e instanceof VersionConflict) || attempt >= ATTEMPTS) throw e;
        // Lost a race: plan again from what the winner left (fresh instances too).
        cache = new PassCache(this.#memo);
        s = await readService(this.#store.db, first.arn);
        if (!s || s.status === 'INACTIVE') return { committed: false, started: 0, stopped: 0 };
      }
    }
  }
}
