import type { HealthCheckConfig, TargetConfig, TargetGroupConfig } from './config.js';
import { compileMatcher, type StatusMatcher } from './health-matcher.js';
import { probe as realProbe, type ProbeSpec } from './health-probe.js';
import { nextHealth, resumeHealth, type CheckResult, type HealthMemory } from './health-state.js';
import { hashString } from './target-picker.js';

// Runs the health checks of every target group that a listener uses and has
// health checks enabled, one timer per target, and keeps each target's
// health memory (see health-state.ts). It reports every change of a
// target's memory state (and of an unhealthy target's reason) to `onChange`;
// what to do with it is the data plane's business.
//
// - Checked: targets whose recorded state is initial, healthy or unhealthy.
//   Draining, unused and unavailable targets are not checked.
// - A target's memory starts from its recorded state (a healthy target stays
//   healthy until it fails unhealthyThreshold checks) and is kept across
//   apply() calls; a re-registration (a new registeredAt) starts afresh.
// - Checks run at a fixed rate (every intervalMs from the previous start,
//   whatever the previous one took, as ELB does); a check still running when
//   the next is due makes that round skip.
// - First checks are staggered: the targets a call to update() adds to a
//   group spread over the first interval (initial targets over at most the
//   first second, so a new target is checked soon), with a per-group phase.

export interface HealthChange {
  targetGroupArn: string;
  /** `${id}:${port}`, as the data plane keys targets. */
  key: string;
  target: TargetConfig;
  previous: HealthMemory;
  memory: HealthMemory;
}

export interface HealthCheckerOptions {
  onChange: (change: HealthChange) => void;
  /** Replaceable for tests. */
  probe?: (spec: ProbeSpec) => Promise<CheckResult>;
}

interface GroupSpec {
  arn: string;
  hc: HealthCheckConfig;
  matcher: StatusMatcher;
}

interface Entry {
  group: GroupSpec;
  target: TargetConfig;
  identity: string;
  memory: HealthMemory;
  timer: NodeJS.Timeout | undefined;
  running: boolean;
  stopped: boolean;
}

export function targetKey(t: { id: string; port: number }): string {
  return `${t.id}:${t.port}`;
}

/** Whether a target group's targets are health-checked at all. */
export function isChecked(tg: TargetGroupConfig): boolean {
  return tg.inUse && tg.healthCheck.enabled && (tg.targetType === 'instance' || tg.targetType === 'ip');
}

function checksTarget(t: TargetConfig): boolean {
  return t.state === 'initial' || t.state === 'healthy' || t.state === 'unhealthy';
}

const FIRST_CHECK_WINDOW_MS = 1_000;

export class HealthChecker {
  readonly #onChange: (change: HealthChange) => void;
  readonly #probe: (spec: ProbeSpec) => Promise<CheckResult>;
  /** Target group ARN → target key → entry. */
  #entries = new Map<string, Map<string, Entry>>();
  #closed = false;

  constructor(opts: HealthCheckerOptions) {
    this.#onChange = opts.onChange;
    this.#probe = opts.probe ?? realProbe;
  }

  /** The checker's memory of a target, if it checks it. */
  memoryOf(targetGroupArn: string, key: string): HealthMemory | undefined {
    return this.#entries.get(targetGroupArn)?.get(key)?.memory;
  }

  /** Starts, keeps or stops checks so that they match `groups`. */
  update(groups: readonly TargetGroupConfig[]): void {
    if (this.#closed) return;
    const next = new Map<string, Map<string, Entry>>();
    for (const tg of groups) {
      if (!isChecked(tg)) continue;
      const spec: GroupSpec = { arn: tg.arn, hc: tg.healthCheck, matcher: compileMatcher(tg.healthCheck.matcher) };
      const old = this.#entries.get(tg.arn);
      const entries = new Map<string, Entry>();
      const added: Entry[] = [];
      for (const t of tg.targets) {
        if (!checksTarget(t)) continue;
        const key = targetKey(t);
        const identity = `${t.address}|${t.registeredAt}`;
        const prev = old?.get(key);
        if (prev && prev.identity === identity) {
          prev.group = spec;
          prev.target = t;
          entries.set(key, prev);
          old!.delete(key);
          continue;
        }
        const e: Entry = { group: spec, target: t, identity, memory: resumeHealth(t.state), timer: undefined, running: false, stopped: false };
        entries.set(key, e);
        added.push(e);
      }
      this.#schedule(spec, added);
      if (entries.size) next.set(tg.arn, entries);
    }
    // What is left in the old maps is no longer checked (kept entries were moved out).
    for (const old of this.#entries.values()) for (const e of old.values()) stop(e);
    this.#entries = next;
  }

  close(): void {
    this.#closed = true;
    for (const m of this.#entries.values()) for (const e of m.values()) stop(e);
    this.#entries.clear();
  }

  #schedule(spec: GroupSpec, added: Entry[]): void {
    if (!added.length) return;
    const n = added.length;
    const phase = (hashString(spec.arn) % 1000) / 1000;
    added.forEach((e, i) => {
      const window = e.memory.state === 'initial' ? Math.min(spec.hc.intervalMs, FIRST_CHECK_WINDOW_MS) : spec.hc.intervalMs;
      const delay = Math.floor(((i + phase) * window) / n);
      e.timer = setTimeout(() => this.#fire(e), delay);
      e.timer.unref();
    });
  }

  #fire(e: Entry): void {
    if (e.stopped) return;
    const hc = e.group.hc;
    e.timer = setTimeout(() => this.#fire(e), Math.max(1, hc.intervalMs));
    e.timer.unref();
    if (e.running) return;
    e.running = true;
    const t = e.target;
    const spec: ProbeSpec = {
      protocol: hc.protocol,
      address: t.address,
      port: hc.port === 'traffic-port' ? t.port : hc.port,
      path: hc.path,
      timeoutMs: hc.timeoutMs,
      matcher: e.group.matcher,
    };
    this.#probe(spec).then(
      (result) => this.#record(e, result),
      () => this.#record(e, { ok: false, reason: 'Target.FailedHealthChecks', description: 'Health checks failed' }),
    );
  }

  #record(e: Entry, result: CheckResult): void {
    e.running = false;
    if (e.stopped) return;
    const previous = e.memory;
    const memory = nextHealth(previous, result, e.group.hc);
    e.memory = memory;
    if (previous.state !== memory.state || previous.reason !== memory.reason || previous.description !== memory.description) {
      this.#onChange({ targetGroupArn: e.group.arn, key: targetKey(e.target), target: e.target, previous, memory });
    }
  }
}

function stop(e: Entry): void {
  e.stopped = true;
  if (e.timer) clearTimeout(e.timer);
  e.timer = undefined;
}
