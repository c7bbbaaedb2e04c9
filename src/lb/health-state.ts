import type { TargetState } from './config.js';

// The health of one target as one transition function: (memory, result of a
// check, thresholds) → next memory. No I/O, no clock.
//
// ELB's rules (ALB user guide, "Health checks for Application Load Balancer
// target groups"):
// - a newly registered target (`initial`) "must pass one health check to be
//   considered healthy": its first success makes it healthy;
// - an `initial` target that fails `unhealthyThreshold` consecutive checks
//   becomes `unhealthy` (until then it stays `initial`, reason
//   Elb.InitialHealthChecking);
// - a healthy target becomes unhealthy after `unhealthyThreshold`
//   consecutive failures; an unhealthy one healthy again after
//   `healthyThreshold` consecutive successes.

export type HealthState = 'initial' | 'healthy' | 'unhealthy';

export type FailureReason = 'Target.ResponseCodeMismatch' | 'Target.Timeout' | 'Target.FailedHealthChecks';

export type CheckResult = { ok: true } | { ok: false; reason: FailureReason; description: string };

export interface Thresholds {
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface HealthMemory {
  readonly state: HealthState;
  /** Consecutive successful checks (0 after any failure). */
  readonly successes: number;
  /** Consecutive failed checks (0 after any success). */
  readonly failures: number;
  /** ELB's reason code; absent when healthy. */
  readonly reason?: string;
  readonly description?: string;
}

export const REASON = {
  registrationInProgress: 'Elb.RegistrationInProgress',
  initialHealthChecking: 'Elb.InitialHealthChecking',
  responseCodeMismatch: 'Target.ResponseCodeMismatch',
  timeout: 'Target.Timeout',
  failedHealthChecks: 'Target.FailedHealthChecks',
} as const;

const DESCRIPTION: Record<string, string> = {
  [REASON.registrationInProgress]: 'Target registration is in progress',
  [REASON.initialHealthChecking]: 'Initial health checks in progress',
};

// Counters stop growing here: nothing needs more than the largest threshold (10 on ELB).
const COUNT_CAP = 1_000;

/** Where the checker starts for a target the control plane last recorded in `state`. */
export function resumeHealth(state: TargetState): HealthMemory {
  if (state === 'healthy') return { state: 'healthy', successes: 0, failures: 0 };
  if (state === 'unhealthy') return { state: 'unhealthy', successes: 0, failures: 0, reason: REASON.failedHealthChecks, description: 'Health checks failed' };
  return { state: 'initial', successes: 0, failures: 0, reason: REASON.registrationInProgress, description: DESCRIPTION[REASON.registrationInProgress] };
}

export function nextHealth(m: HealthMemory, r: CheckResult, t: Thresholds): HealthMemory {
  if (r.ok) {
    const successes = Math.min(m.successes + 1, COUNT_CAP);
    if (m.state === 'initial' || m.state === 'healthy' || successes >= t.healthyThreshold) return { state: 'healthy', successes, failures: 0 };
    return { state: 'unhealthy', successes, failures: 0, reason: m.reason, description: m.description };
  }
  const failures = Math.min(m.failures + 1, COUNT_CAP);
  if (m.state === 'unhealthy' || failures >= t.unhealthyThreshold) return { state: 'unhealthy', successes: 0, failures, reason: r.reason, description: r.description };
  if (m.state === 'initial') return { state: 'initial', successes: 0, failures, reason: REASON.initialHealthChecking, description: DESCRIPTION[REASON.initialHealthChecking] };
  return { state: 'healthy', successes: 0, failures };
}

/**
 * Whether going from `a` to `b` is worth a report: the state became healthy
 * or unhealthy, or an unhealthy target's reason changed (what
 * DescribeTargetHealth shows). Staying `initial` is never reported.
 */
export function isReportable(a: HealthMemory, b: HealthMemory): boolean {
  if (b.state === 'initial') return false;
  if (a.state !== b.state) return true;
  return b.state === 'unhealthy' && (a.reason !== b.reason || a.description !== b.description);
}
