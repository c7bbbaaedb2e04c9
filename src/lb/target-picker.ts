import type { TargetState } from './config.js';

// Which target of a target group gets the next request. Pure: the caller
// passes the targets' states, the time and a random source; the only state
// kept between picks is the round-robin cursor the caller owns.
//
// ELB semantics followed here:
// - only targets in service get traffic: `healthy`, and `unavailable`
//   (health checks disabled: ELB routes to them);
// - when none is in service the group fails open: every registered target
//   that is not draining (`initial`, `unhealthy`, `unused`) gets traffic;
// - `draining` targets never get a new request;
// - slow start: a target that became healthy less than `slowStartMs` ago
//   gets a share that grows linearly from almost nothing to a full share.

export interface PickCandidate {
  /** The target's effective state (the health checker's, else the control plane's). */
  readonly state: TargetState;
  /** Epoch ms when it last became healthy; slow start counts from it. */
  readonly healthySince: number;
  /** Requests in flight to it. */
  readonly outstanding: number;
}

export type Algorithm = 'round_robin' | 'least_outstanding_requests' | 'weighted_random';

export interface PickContext {
  algorithm: Algorithm;
  now: number;
  /** 0 disables slow start. */
  slowStartMs: number;
  /** [0, 1), as Math.random. */
  random: () => number;
}

/** The round-robin position of one target group; the picker advances it. */
export interface PickCursor {
  next: number;
}

/** Which targets may get traffic right now. */
export type PoolKind = 'in-service' | 'fail-open' | 'none';

/** The smallest share a target in slow start gets, so a brand-new target still sees a request now and then. */
export const SLOW_START_MIN_WEIGHT = 0.01;

export function inService(state: TargetState): boolean {
  return state === 'healthy' || state === 'unavailable';
}

function failOpenEligible(state: TargetState): boolean {
  return state === 'initial' || state === 'unhealthy' || state === 'unused';
}

export function poolKind(targets: readonly PickCandidate[]): PoolKind {
  let failOpen = false;
  for (let i = 0; i < targets.length; i++) {
    const s = targets[i]!.state;
    if (inService(s)) return 'in-service';
    if (failOpenEligible(s)) failOpen = true;
  }
  return failOpen ? 'fail-open' : 'none';
}

/** Whether a target belongs to the pool of that kind. */
export function eligible(t: PickCandidate, kind: PoolKind): boolean {
  if (kind === 'in-service') return inService(t.state);
  if (kind === 'fail-open') return failOpenEligible(t.state);
  return false;
}

/** The target's share in (0, 1]: below 1 only while it is in slow start. */
export function slowStartWeight(t: PickCandidate, now: number, slowStartMs: number): number {
  if (slowStartMs <= 0 || t.state !== 'healthy') return 1;
  const age = now - t.healthySince;
  if (age >= slowStartMs) return 1;
  return Math.max(SLOW_START_MIN_WEIGHT, age / slowStartMs);
}

/**
 * The target for the next request, or undefined when the group has no target
 * that may get traffic (ELB answers 503). Allocates nothing.
 */
export function pickTarget<T extends PickCandidate>(targets: readonly T[], ctx: PickContext, cursor: PickCursor): T | undefined {
  const kind = poolKind(targets);
  if (kind === 'none') return undefined;
  const slow = kind === 'in-service' && ctx.slowStartMs > 0;
  let count = 0;
  let total = 0;
  let weighted = false;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    if (!eligible(t, kind)) continue;
    count++;
    const w = slow ? slowStartWeight(t, ctx.now, ctx.slowStartMs) : 1;
    total += w;
    if (w < 1) weighted = true;
  }
  if (count === 1) return firstEligible(targets, kind);
  const start = cursor.next;
  cursor.next = start < Number.MAX_SAFE_INTEGER ? start + 1 : 0;

  if (ctx.algorithm === 'least_outstanding_requests') {
    // Fewest in flight per unit of share; ties go round the pool from the cursor.
    let best: T | undefined;
    let bestScore = Infinity;
    const offset = start % count;
    let seen = 0;
    for (let pass = 0; pass < 2; pass++) {
      seen = 0;
      for (let i = 0; i < targets.length; i++) {
        const t = targets[i]!;
        if (!eligible(t, kind)) continue;
        const rank = seen++;
        if (pass === 0 ? rank < offset : rank >= offset) continue;
        const w = slow ? slowStartWeight(t, ctx.now, ctx.slowStartMs) : 1;
        const score = (t.outstanding + 1) / w;
        if (score < bestScore) {
          bestScore = score;
          best = t;
        }
      }
    }
    return best;
  }

  if (ctx.algorithm === 'weighted_random' || weighted) {
    let r = ctx.random() * total;
    let last: T | undefined;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      if (!eligible(t, kind)) continue;
      last = t;
      r -= slow ? slowStartWeight(t, ctx.now, ctx.slowStartMs) : 1;
      if (r < 0) return t;
    }
    return last;
  }

  // round_robin: the (cursor mod n)-th eligible target.
  let want = start % count;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    if (!eligible(t, kind)) continue;
    if (want-- === 0) return t;
  }
  return undefined;
}

function firstEligible<T extends PickCandidate>(targets: readonly T[], kind: PoolKind): T | undefined {
  for (let i = 0; i < targets.length; i++) if (eligible(targets[i]!, kind)) return targets[i];
  return undefined;
}

/** A stable choice by a hash (NLB source_ip stickiness): the same hash and pool give the same target. */
export function pickByHash<T extends PickCandidate>(targets: readonly T[], hash: number): T | undefined {
  const kind = poolKind(targets);
  if (kind === 'none') return undefined;
  let count = 0;
  for (let i = 0; i < targets.length; i++) if (eligible(targets[i]!, kind)) count++;
  let want = (hash >>> 0) % count;
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!;
    if (eligible(t, kind) && want-- === 0) return t;
  }
  return undefined;
}

/** FNV-1a of a string, for pickByHash. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
