import type { Duplex } from 'node:stream';
import type { TargetConfig, TargetGroupConfig, TargetState } from './config.js';
import { targetKey } from './health-checker.js';
import type { HealthMemory } from './health-state.js';
import { eligible, pickByHash, pickTarget, poolKind, type PickContext, type PickCursor } from './target-picker.js';
import { UpstreamPool } from './upstream-pool.js';

// One target group as the listeners see it: its targets with their live
// routing state (effective health, requests in flight, slow-start clock),
// the upstream connection pool of each target, and the picker's cursor.
// apply() updates it in place (same object, same target objects for targets
// that stay), so requests in flight keep their targets and counters.

export interface RuntimeTarget {
  readonly key: string;
  readonly id: string;
  readonly port: number;
  address: string;
  /** What routing uses: the health checker's state, else the control plane's. */
  state: TargetState;
  healthySince: number;
  outstanding: number;
  drainUntil: number | undefined;
  registeredAt: number;
  /** Keep-alive connections to the target (HTTP target groups), created on first use. */
  pool: UpstreamPool | undefined;
  /** Long-lived connections (WebSocket tunnels) to close when the target finishes draining. */
  tunnels: Set<Duplex> | undefined;
  drainTimer: NodeJS.Timeout | undefined;
}

export type HealthLookup = (targetGroupArn: string, key: string) => HealthMemory | undefined;

export class TargetGroupRuntime {
  readonly arn: string;
  config: TargetGroupConfig;
  targets: RuntimeTarget[] = [];
  /** TLS towards targets (HTTPS / TLS target groups). */
  tls = false;
  stickyLbCookie = false;
  stickySourceIp = false;
  stickyDurationMs = 0;
  readonly cursor: PickCursor = { next: 0 };
  readonly #ctx: PickContext;
  #byKey = new Map<string, RuntimeTarget>();

  constructor(config: TargetGroupConfig, now: number, health: HealthLookup, random: () => number) {
    this.arn = config.arn;
    this.config = config;
    this.#ctx = { algorithm: config.algorithm, now, slowStartMs: config.slowStartMs, random };
    this.update(config, now, health);
  }

  update(config: TargetGroupConfig, now: number, health: HealthLookup): void {
    this.config = config;
    this.tls = config.protocol === 'HTTPS' || config.protocol === 'TLS';
    const st = config.stickiness;
    this.stickyLbCookie = st.enabled && (st.type === 'lb_cookie' || st.type === 'app_cookie');
    this.stickySourceIp = st.enabled && st.type === 'source_ip';
    this.stickyDurationMs = st.durationMs;
    this.#ctx.algorithm = config.algorithm;
    this.#ctx.slowStartMs = config.slowStartMs;
    const next = new Map<string, RuntimeTarget>();
    const list: RuntimeTarget[] = [];
    for (const tc of config.targets) {
      const key = targetKey(tc);
      let t = this.#byKey.get(key);
      if (t && (t.address !== tc.address || t.registeredAt !== tc.registeredAt)) {
        retire(t, now);
        t = undefined;
      }
      const state = this.#effectiveState(tc, health);
      if (!t) {
        t = {
          key,
          id: tc.id,
          port: tc.port,
          address: tc.address,
          state,
          healthySince: tc.registeredAt,
          outstanding: 0,
          drainUntil: undefined,
          registeredAt: tc.registeredAt,
          pool: undefined,
          tunnels: undefined,
          drainTimer: undefined,
        };
      } else {
        if (t.state !== 'healthy' && state === 'healthy') t.healthySince = now;
        t.state = state;
      }
      this.#setDraining(t, tc.state === 'draining' ? (tc.drainUntil ?? now) : undefined, now);
      next.set(key, t);
      list.push(t);
    }
    for (const [key, t] of this.#byKey) if (!next.has(key)) retire(t, now);
    this.#byKey = next;
    this.targets = list;
  }

  /** A health change from the checker. */
  setHealth(key: string, state: 'initial' | 'healthy' | 'unhealthy', now: number): void {
    const t = this.#byKey.get(key);
    if (!t || t.state === 'draining' || !this.config.healthCheck.enabled) return;
    if (t.state !== 'healthy' && state === 'healthy') t.healthySince = now;
    t.state = state;
  }

  pick(now: number): RuntimeTarget | undefined {
    this.#ctx.now = now;
    return pickTarget(this.targets, this.#ctx, this.cursor);
  }

  /** A target for a retry: one not in `tried` if the picker offers one within a few picks, else undefined. */
  pickOther(tried: readonly RuntimeTarget[], now: number): RuntimeTarget | undefined {
    for (let i = 0; i < this.targets.length; i++) {
      const t = this.pick(now);
      if (!t) return undefined;
      if (!tried.includes(t)) return t;
    }
    return undefined;
  }

  /** The target a stickiness cookie or flow hash names, if it may still get traffic. */
  stickyTarget(key: string | undefined): RuntimeTarget | undefined {
    if (key === undefined) return undefined;
    const t = this.#byKey.get(key);
    if (!t) return undefined;
    return eligible(t, poolKind(this.targets)) ? t : undefined;
  }

  pickByHash(hash: number): RuntimeTarget | undefined {
    return pickByHash(this.targets, hash);
  }

  /** The keep-alive pool to a target, created on first use. */
  poolOf(t: RuntimeTarget): UpstreamPool {
    return (t.pool ??= new UpstreamPool(t.address, t.port, this.tls));
  }

  /** The group is gone: every target finishes as if deregistered now (draining ones at their drain deadline). */
  close(now: number): void {
    for (const t of this.targets) retire(t, now);
    this.targets = [];
    this.#byKey.clear();
  }

  /** Shutdown: every connection to every target closes now. */
  destroy(): void {
    for (const t of this.targets) {
      if (t.drainTimer) clearTimeout(t.drainTimer);
      endDrain(t);
    }
    this.targets = [];
    this.#byKey.clear();
  }

  #effectiveState(tc: TargetConfig, health: HealthLookup): TargetState {
    if (tc.state === 'draining') return 'draining';
    // Health checks disabled: ELB routes to every registered target (state `unavailable`).
    if (!this.config.healthCheck.enabled) return 'unavailable';
    return health(this.arn, targetKey(tc))?.state ?? tc.state;
  }

  #setDraining(t: RuntimeTarget, until: number | undefined, now: number): void {
    if (until === t.drainUntil) return;
    if (t.drainTimer) clearTimeout(t.drainTimer);
    t.drainTimer = undefined;
    t.drainUntil = until;
    if (until === undefined) return;
    // When the deregistration delay ends, requests still in flight fail (ALB answers 502) and tunnels close.
    t.drainTimer = setTimeout(() => endDrain(t), Math.max(0, until - now));
    t.drainTimer.unref();
  }
}

function endDrain(t: RuntimeTarget): void {
  t.drainTimer = undefined;
  const pool = t.pool;
  t.pool = undefined;
  pool?.destroy();
  if (t.tunnels) for (const s of t.tunnels) s.destroy();
  t.tunnels = undefined;
}

/** The target left the group: idle connections close now; requests in flight get until its drain deadline. */
function retire(t: RuntimeTarget, now: number): void {
  if (t.drainTimer) clearTimeout(t.drainTimer);
  t.drainTimer = undefined;
  t.state = 'draining';
  const wait = (t.drainUntil ?? now) - now;
  // close() lets requests in flight finish; nothing picks a retired target for new ones.
  t.pool?.close();
  if (wait > 0) setTimeout(() => endDrain(t), wait).unref();
  else endDrain(t);
}
