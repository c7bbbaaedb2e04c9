// Capacity provider strategies (CapacityProviderStrategyItem: capacityProvider,
// base, weight): how ECS checks them and how many of a service's tasks each
// provider gets. Pure arithmetic: the caller says what already runs where.
//
// What ECS documents (API reference, CapacityProviderStrategyItem; developer
// guide, "Amazon ECS capacity providers"):
// - base 0..100,000 and weight 0..1,000, both 0 when omitted; at most 20 items.
// - "Only one capacity provider in a capacity provider strategy can have a base
//   defined." An explicit base of 0 is the default, the same as none, so the
//   rule counts items with base > 0.
// - "Base requirements are satisfied first before weight distribution"; then
//   "for every one task that's run using capacityProviderA [weight 1], four
//   tasks would use capacityProviderB [weight 4]".
// - "any capacity providers with a weight of 0 can't be used to place tasks"
//   (beyond their base: the base is placed whatever the weight); with no weight
//   above zero, "any RunTask or CreateService actions using the capacity
//   provider strategy will fail". The docs say "when multiple capacity providers
//   are specified", but ECS also refuses a single provider with weight 0
//   (terraform-aws-modules/terraform-aws-ecs#27, aws/containers-roadmap#631).
//   CreateCluster and PutClusterCapacityProviders store such a default
//   strategy; the RunTask or CreateService that uses it fails
//   (`checkPlacesTasks(…, 'clusterDefault')`).
//
// The split. targetCounts(n): the base provider takes min(base, n); the rest,
// r, goes to the providers with weight > 0 by the Balinski–Young quota method,
// one task at a time: among the providers still below their upper share
// (a·W < w·(r+1)), the one with the largest w / (a + 1), ties to the earlier
// item of the strategy. So every provider's count stays within one task of its
// exact share w·r/W (the docs' 2 base + 8 at 1:3 = 4 and 6 comes out exact),
// and growing the total never takes a task from a provider: target(n + 1) is
// target(n) plus one task. ECS does not publish its rounding; this is the
// rounding that makes incremental decisions consistent.
//
// Incremental decisions from any running distribution (scale-out, replacing
// stopped tasks): an unmet base is filled first; otherwise the task goes to the
// provider furthest below its target for the new total, ties to the earlier
// item. Scale-in takes first from providers the strategy no longer names, then
// from the provider furthest above its target for the smaller total, ties to
// the later item (the first items, where bases usually sit, keep theirs). Each
// step lowers, or keeps, the distance (sum of |count − target|) to the target,
// and from the target it lands exactly on the next target; so tasks placed one
// call at a time or all at once land the same way.
//
//   running counts ──► base unmet? ── yes ──► base provider
//                          │ no
//                          ▼
//        targetCounts(n + 1) − running ──► largest gap (strategy order on ties)

export interface StrategyItem {
  capacityProvider: string;
  base: number;
  weight: number;
}

/** A strategy ECS refuses; the message is the InvalidParameterException text. */
export class StrategyError extends Error {
  override name = 'StrategyError';
}

/** "A capacity provider strategy can contain a maximum of 20 capacity providers." */
export const MAX_STRATEGY_ITEMS = 20;
export const MAX_WEIGHT = 1000;
export const MAX_BASE = 100_000;

export const ONE_BASE_MESSAGE = 'Only one capacity provider in a capacity provider strategy can have a base defined.';
export const TOO_MANY_MESSAGE = `A capacity provider strategy can contain a maximum of ${MAX_STRATEGY_ITEMS} capacity providers.`;
/** ECS's words when the cluster's default strategy is used (terraform-aws-modules/terraform-aws-ecs#27). */
export const NO_WEIGHT_DEFAULT_MESSAGE =
  "There are no capacity providers with a weight value greater than zero defined in the default capacity provider strategy. At least one capacity provider must have a weight value greater than zero specified. Update the cluster's default capacity provider strategy or specify a valid capacity provider strategy and try again.";
/** The same for a strategy given in the request (adapted from the default-strategy message). */
export const NO_WEIGHT_MESSAGE =
  'There are no capacity providers with a weight value greater than zero defined in the capacity provider strategy. At least one capacity provider must have a weight value greater than zero specified. Specify a valid capacity provider strategy and try again.';

// Messages: ONE_BASE_MESSAGE and TOO_MANY_MESSAGE are the documentation's
// sentences (no captured ECS error text was found for them); the range and
// null ones follow AWS's model-validation wording, as src/gateway/validate.ts
// does; the duplicate-provider and not-an-integer ones are berth's words.

const DEFAULT_MEMBER = 'defaultCapacityProviderStrategy';

/**
 * The request's strategy with ECS's defaults (base 0, weight 0), checked as ECS
 * checks it. `member` names the request member in messages
 * (`capacityProviderStrategy` for RunTask, CreateService, UpdateService,
 * CreateTaskSet; `defaultCapacityProviderStrategy` for CreateCluster and
 * PutClusterCapacityProviders, which accept a strategy without weights).
 * Throws StrategyError.
 */
export function checkStrategy(
  items: ReadonlyArray<{ capacityProvider?: string; base?: number; weight?: number }>,
  member: string = 'capacityProviderStrategy',
): StrategyItem[] {
  if (items.length > MAX_STRATEGY_ITEMS) throw new StrategyError(TOO_MANY_MESSAGE);
  const errors: string[] = [];
  const out = items.map((item, i) => {
    const at = (field: string) => `${member}.${i + 1}.member.${field}`;
    if (item.capacityProvider === undefined || item.capacityProvider === null || item.capacityProvider === '') {
      errors.push(`Value null at '${at('capacityProvider')}' failed to satisfy constraint: Member must not be null`);
    }
    const base = item.base ?? 0;
    const weight = item.weight ?? 0;
    checkRange(base, MAX_BASE, at('base'), errors);
    checkRange(weight, MAX_WEIGHT, at('weight'), errors);
    return { capacityProvider: item.capacityProvider ?? '', base, weight };
  });
  if (errors.length) {
    throw new StrategyError(`${errors.length} validation error${errors.length === 1 ? '' : 's'} detected: ${errors.join('; ')}`);
  }
  const seen = new Set<string>();
  for (const item of out) {
    if (seen.has(item.capacityProvider)) {
      throw new StrategyError(`The capacity provider '${item.capacityProvider}' appears more than once in the capacity provider strategy. Specify each capacity provider once.`);
    }
    seen.add(item.capacityProvider);
  }
  if (out.filter((item) => item.base > 0).length > 1) throw new StrategyError(ONE_BASE_MESSAGE);
  if (member !== DEFAULT_MEMBER && out.length > 0) checkPlacesTasks(out, 'request');
  return out;
}

function checkRange(value: number, max: number, at: string, errors: string[]) {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    errors.push(`Value '${String(value)}' at '${at}' failed to satisfy constraint: Member must be an integer`);
  } else if (value < 0) {
    errors.push(`Value '${value}' at '${at}' failed to satisfy constraint: Member must have value greater than or equal to 0`);
  } else if (value > max) {
    errors.push(`Value '${value}' at '${at}' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  }
}

/**
 * A strategy about to place tasks needs a provider with weight > 0. RunTask and
 * CreateService call this with 'clusterDefault' when they fall back to the
 * cluster's default strategy (stored unchecked for weights). Throws StrategyError.
 */
export function checkPlacesTasks(strategy: readonly StrategyItem[], source: 'request' | 'clusterDefault' = 'request'): void {
  if (!strategy.some((item) => item.weight > 0)) {
    throw new StrategyError(source === 'clusterDefault' ? NO_WEIGHT_DEFAULT_MESSAGE : NO_WEIGHT_MESSAGE);
  }
}

/** The target count per provider for `total` tasks, in strategy order. */
export function targetCounts(strategy: readonly StrategyItem[], total: number): Map<string, number> {
  const items = checkStrategy(strategy);
  const path = new TargetPath(items);
  const n = wholeCount(total);
  for (let k = 0; k < n; k++) path.step();
  return new Map(items.map((item, i) => [item.capacityProvider, path.counts[i]!]));
}

/** Which provider each of `count` new tasks goes to, given the tasks already counted per provider. */
export function assignProviders(strategy: readonly StrategyItem[], running: ReadonlyMap<string, number>, count: number): string[] {
  const items = checkStrategy(strategy);
  // Tasks on providers the strategy does not name are not part of its split.
  const have = items.map((item) => wholeCount(running.get(item.capacityProvider)));
  const path = new TargetPath(items);
  const n = have.reduce((a, b) => a + b, 0);
  for (let k = 0; k < n; k++) path.step();
  const baseAt = items.findIndex((item) => item.base > 0);
  const out: string[] = [];
  const wanted = wholeCount(count);
  for (let k = 0; k < wanted; k++) {
    path.step(); // path.counts is now the target for one task more
    let pick = -1;
    if (baseAt >= 0 && have[baseAt]! < items[baseAt]!.base) {
      pick = baseAt;
    } else {
      let gap = -Infinity;
      for (let i = 0; i < items.length; i++) {
        const g = path.counts[i]! - have[i]!;
        if (g > gap) [gap, pick] = [g, i];
      }
    }
    have[pick]!++;
    out.push(items[pick]!.capacityProvider);
  }
  return out;
}

/**
 * Which providers `count` tasks should be removed from (scale-in), given the
 * running counts; fewer than `count` when fewer tasks run.
 */
export function providersToShrink(strategy: readonly StrategyItem[], running: ReadonlyMap<string, number>, count: number): string[] {
  const items = checkStrategy(strategy);
  const named = new Set(items.map((item) => item.capacityProvider));
  const elsewhere = [...running].filter(([name]) => !named.has(name)).map(([name, n]) => ({ name, n: wholeCount(n) }));
  const have = items.map((item) => wholeCount(running.get(item.capacityProvider)));
  let n = have.reduce((a, b) => a + b, 0);
  // The order the path hands out tasks, so target(n − 1) is target(n) less its last step.
  const path = new TargetPath(items);
  const steps: number[] = [];
  for (let k = 0; k < n; k++) steps.push(path.step());
  const target = path.counts;
  const out: string[] = [];
  const wanted = wholeCount(count);
  while (out.length < wanted) {
    // Providers the strategy no longer names have a target of 0: they go first, the fullest first.
    let off: { name: string; n: number } | undefined;
    for (const e of elsewhere) if (e.n > 0 && (!off || e.n > off.n)) off = e;
    if (off) {
      off.n--;
      out.push(off.name);
      continue;
    }
    if (n === 0) break;
    target[steps[n - 1]!]!--;
    let pick = -1;
    let surplus = -Infinity;
    for (let i = items.length - 1; i >= 0; i--) {
      const s = have[i]! - target[i]!;
      if (s > surplus) [surplus, pick] = [s, i];
    }
    have[pick]!--;
    n--;
    out.push(items[pick]!.capacityProvider);
  }
  return out;
}

function wholeCount(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/**
 * The targets for 0, 1, 2, … tasks: each step says which provider task n + 1
 * goes to. The base first, then the quota method over the weights.
 */
class TargetPath {
  readonly counts: number[];
  readonly #items: readonly StrategyItem[];
  readonly #weighted: number[];
  readonly #totalWeight: number;
  readonly #baseAt: number;
  #placedByWeight = 0;

  constructor(items: readonly StrategyItem[]) {
    checkPlacesTasks(items);
    this.#items = items;
    this.counts = items.map(() => 0);
    this.#weighted = items.map(() => 0);
    this.#totalWeight = items.reduce((sum, item) => sum + item.weight, 0);
    this.#baseAt = items.findIndex((item) => item.base > 0);
  }

  /** The provider (index) of the next task. */
  step(): number {
    const b = this.#baseAt;
    if (b >= 0 && this.counts[b]! < this.#items[b]!.base) {
      this.counts[b]!++;
      return b;
    }
    const r = this.#placedByWeight + 1;
    const W = this.#totalWeight;
    let pick = -1;
    for (let i = 0; i < this.#items.length; i++) {
      const w = this.#items[i]!.weight;
      const a = this.#weighted[i]!;
      // Eligible while below its upper share: a < w·r/W.
      if (w === 0 || a * W >= w * r) continue;
      // Largest w / (a + 1); the earlier item keeps a tie.
      if (pick < 0 || w * (this.#weighted[pick]! + 1) > this.#items[pick]!.weight * (a + 1)) pick = i;
    }
    this.#weighted[pick]!++;
    this.counts[pick]!++;
    this.#placedByWeight = r;
    return pick;
  }
}
