import type { LifecycleImage } from '../../../src/registry/lifecycle/evaluate.js';

// The docs describe repositories as "Image A, Taglist: [...], Pushed: N days ago".

export const NOW = Date.UTC(2025, 0, 31, 12);
export const DAY = 86_400_000;

export function image(name: string, tags: string[], daysAgo: number): LifecycleImage {
  return { digest: `sha256:${name}`, tags, pushedAt: NOW - daysAgo * DAY };
}

/** A policy document with the given rules, as PutLifecyclePolicy receives it. */
export function policyText(...rules: object[]): string {
  return JSON.stringify({ rules });
}

export function rule(rulePriority: number, selection: object, extra: object = {}): object {
  return { rulePriority, description: `Rule ${rulePriority}`, selection, action: { type: 'expire' }, ...extra };
}
