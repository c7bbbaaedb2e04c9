import { selectsImage } from './match.js';
import type { LifecyclePolicy, LifecycleRule } from './policy.js';

// What a lifecycle policy expires, as ECR's lifecycle policy evaluator decides
// it (ECR User Guide, "How lifecycle policies work"): every rule marks images
// among those it selects as if nothing had been expired yet; then, from the
// lowest rulePriority number up, a rule's marks are applied except on images
// that a rule before it selected ("An image that matches the tagging
// requirements of a rule cannot be expired by a rule with a lower priority").
// So an image is expired by at most one rule, and a rule's count still
// includes images an earlier rule claimed. Pure: the clock is an argument.

export interface LifecycleImage {
  digest: string;
  tags: string[];
  /** Milliseconds since the epoch. */
  pushedAt: number;
  /** Not read yet: only `sinceImagePulled` uses it, and berth refuses that count type (it needs `transition`). */
  lastPulledAt?: number;
}

export interface LifecycleResult {
  digest: string;
  tags: string[];
  pushedAt: number;
  action: 'EXPIRE';
  appliedRulePriority: number;
}

const DAY_MS = 86_400_000;

/**
 * Oldest first. Equal push times are ordered by digest, so the result does not
 * depend on the order images are listed in and a preview matches the real run.
 */
function oldestFirst(a: { pushedAt: number; digest: string }, b: { pushedAt: number; digest: string }): number {
  return a.pushedAt - b.pushedAt || (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0);
}

/** The images `rule` would expire if it were the only rule. */
function marks(rule: LifecycleRule, selected: readonly LifecycleImage[], now: number): LifecycleImage[] {
  const s = rule.selection;
  // "images are sorted from youngest to oldest based on pushed_at_time and then
  // all images greater than the specified count are expired"
  if (s.countType === 'imageCountMoreThan') return [...selected].sort((a, b) => oldestFirst(b, a)).slice(s.countNumber);
  // "older than the specified number of days": exactly N days old is kept.
  return selected.filter((img) => now - img.pushedAt > s.countNumber * DAY_MS);
}

/** The images to expire, oldest first ("always expires older images before newer ones"). */
export function evaluateLifecyclePolicy(policy: LifecyclePolicy, images: LifecycleImage[], now: number): LifecycleResult[] {
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  const claimed = new Set<string>();
  const expired = new Map<string, LifecycleResult>();
  for (const rule of rules) {
    const selected = images.filter((img) => selectsImage(rule.selection, img.tags));
    for (const img of marks(rule, selected, now)) {
      if (claimed.has(img.digest) || expired.has(img.digest)) continue;
      expired.set(img.digest, { digest: img.digest, tags: [...img.tags], pushedAt: img.pushedAt, action: 'EXPIRE', appliedRulePriority: rule.rulePriority });
    }
    for (const img of selected) claimed.add(img.digest);
  }
  return [...expired.values()].sort(oldestFirst);
}
