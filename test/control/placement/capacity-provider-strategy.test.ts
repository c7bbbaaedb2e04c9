import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assignProviders,
  checkPlacesTasks,
  checkStrategy,
  NO_WEIGHT_DEFAULT_MESSAGE,
  NO_WEIGHT_MESSAGE,
  ONE_BASE_MESSAGE,
  providersToShrink,
  StrategyError,
  targetCounts,
  TOO_MANY_MESSAGE,
  type StrategyItem,
} from '../../../src/control/placement/capacity-provider-strategy.js';

// Capacity provider strategies: ECS's checks, the base-then-weight split, and
// incremental scale-out / scale-in decisions that move toward that split.

const item = (capacityProvider: string, weight: number, base = 0): StrategyItem => ({ capacityProvider, base, weight });
const asObject = (m: Map<string, number>) => Object.fromEntries(m);
const tally = (names: string[]) => {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
};
const throwsStrategy = (fn: () => unknown, message: string | RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof StrategyError && (typeof message === 'string' ? e.message === message : message.test(e.message)));

// The issue's example: FARGATE base 2 weight 1, FARGATE_SPOT weight 3.
const ISSUE = [item('FARGATE', 1, 2), item('FARGATE_SPOT', 3)];

// ---------------------------------------------------------------- the split

const TARGETS: { name: string; strategy: StrategyItem[]; total: number; want: Record<string, number> }[] = [
  { name: 'issue: 2 base + 8 split 1:3 = 4 and 6', strategy: ISSUE, total: 10, want: { FARGATE: 4, FARGATE_SPOT: 6 } },
  { name: 'issue strategy below its base: everything on the base provider', strategy: ISSUE, total: 1, want: { FARGATE: 1, FARGATE_SPOT: 0 } },
  { name: 'issue strategy at exactly its base', strategy: ISSUE, total: 2, want: { FARGATE: 2, FARGATE_SPOT: 0 } },
  { name: 'issue strategy, 2 base + 4 split 1:3', strategy: ISSUE, total: 6, want: { FARGATE: 3, FARGATE_SPOT: 3 } },
  // Developer guide: "both have a weight of 1 … the tasks are split evenly".
  { name: 'docs: weights 1 and 1 split evenly', strategy: [item('A', 1), item('B', 1)], total: 10, want: { A: 5, B: 5 } },
  { name: 'docs: weights 1 and 1, odd total: the earlier item takes the extra task', strategy: [item('A', 1), item('B', 1)], total: 5, want: { A: 3, B: 2 } },
  // "weight of 1 for capacityProviderA and 4 for capacityProviderB … for every one task on A, four on B".
  { name: 'docs: weights 1 and 4', strategy: [item('capacityProviderA', 1), item('capacityProviderB', 4)], total: 10, want: { capacityProviderA: 2, capacityProviderB: 8 } },
  { name: 'docs: weights 1 and 4, one round', strategy: [item('capacityProviderA', 1), item('capacityProviderB', 4)], total: 5, want: { capacityProviderA: 1, capacityProviderB: 4 } },
  // Fargate docs' run-task example: FARGATE weight 1, FARGATE_SPOT weight 1.
  { name: 'docs run-task example: FARGATE 1, FARGATE_SPOT 1', strategy: [item('FARGATE', 1), item('FARGATE_SPOT', 1)], total: 4, want: { FARGATE: 2, FARGATE_SPOT: 2 } },
  // ECS workshop: FARGATE base 1 weight 1, FARGATE_SPOT weight 4.
  { name: 'workshop: base 1, then 1:4', strategy: [item('FARGATE', 1, 1), item('FARGATE_SPOT', 4)], total: 11, want: { FARGATE: 3, FARGATE_SPOT: 8 } },
  { name: 'a base on a weight-0 provider is placed, nothing more', strategy: [item('FARGATE', 0, 2), item('FARGATE_SPOT', 1)], total: 10, want: { FARGATE: 2, FARGATE_SPOT: 8 } },
  { name: 'a weight-0 provider without a base gets nothing', strategy: [item('FARGATE', 0), item('FARGATE_SPOT', 1)], total: 7, want: { FARGATE: 0, FARGATE_SPOT: 7 } },
  { name: 'the base can sit on a later item', strategy: [item('FARGATE_SPOT', 3), item('FARGATE', 1, 2)], total: 10, want: { FARGATE_SPOT: 6, FARGATE: 4 } },
  { name: 'three providers 1:2:3 at 12', strategy: [item('a', 1), item('b', 2), item('c', 3)], total: 12, want: { a: 2, b: 4, c: 6 } },
  { name: 'no tasks', strategy: ISSUE, total: 0, want: { FARGATE: 0, FARGATE_SPOT: 0 } },
];

for (const c of TARGETS) {
  test(`targetCounts — ${c.name}`, () => {
    assert.deepEqual(asObject(targetCounts(c.strategy, c.total)), c.want);
    // The same tasks placed one by one from nothing land the same way.
    const placed = tally(assignProviders(c.strategy, new Map(), c.total));
    for (const [name, n] of Object.entries(c.want)) assert.equal(placed[name] ?? 0, n, name);
  });
}

test('targetCounts lists every provider of the strategy, in strategy order', () => {
  assert.deepEqual([...targetCounts([item('z', 1), item('a', 0), item('m', 2)], 3).keys()], ['z', 'a', 'm']);
});

// ------------------------------------------------------ incremental scale-out

const ASSIGN: { name: string; strategy: StrategyItem[]; running: Record<string, number>; count: number; want: string[] }[] = [
  { name: 'scale 10 → 11: the 11th task goes where the split for 11 wants it (4/7)', strategy: ISSUE, running: { FARGATE: 4, FARGATE_SPOT: 6 }, count: 1, want: ['FARGATE_SPOT'] },
  { name: 'replacing two stopped FARGATE tasks puts them back on FARGATE', strategy: ISSUE, running: { FARGATE: 2, FARGATE_SPOT: 6 }, count: 2, want: ['FARGATE', 'FARGATE'] },
  { name: 'replacing three stopped spot tasks puts them back on FARGATE_SPOT', strategy: ISSUE, running: { FARGATE: 4, FARGATE_SPOT: 3 }, count: 3, want: ['FARGATE_SPOT', 'FARGATE_SPOT', 'FARGATE_SPOT'] },
  { name: 'an unmet base is filled first, however far spot is ahead', strategy: ISSUE, running: { FARGATE: 0, FARGATE_SPOT: 10 }, count: 2, want: ['FARGATE', 'FARGATE'] },
  { name: 'tasks on providers outside the strategy do not count', strategy: ISSUE, running: { EC2: 5 }, count: 3, want: ['FARGATE', 'FARGATE', 'FARGATE_SPOT'] },
  { name: 'equal gaps (A and B one short of 1/1/1): the earlier item wins', strategy: [item('A', 1), item('B', 1), item('C', 1)], running: { A: 0, B: 0, C: 2 }, count: 1, want: ['A'] },
  { name: 'nothing asked, nothing placed', strategy: ISSUE, running: {}, count: 0, want: [] },
];

for (const c of ASSIGN) {
  test(`assignProviders — ${c.name}`, () => {
    assert.deepEqual(assignProviders(c.strategy, new Map(Object.entries(c.running)), c.count), c.want);
  });
}

// --------------------------------------------------------------- scale-in

const SHRINK: { name: string; strategy: StrategyItem[]; running: Record<string, number>; count: number; want: string[] }[] = [
  { name: 'scale 10 → 9 takes a spot task (target 4/5)', strategy: ISSUE, running: { FARGATE: 4, FARGATE_SPOT: 6 }, count: 1, want: ['FARGATE_SPOT'] },
  { name: 'scale 10 → 2 keeps exactly the base', strategy: ISSUE, running: { FARGATE: 4, FARGATE_SPOT: 6 }, count: 8, want: ['FARGATE_SPOT', 'FARGATE', 'FARGATE_SPOT', 'FARGATE_SPOT', 'FARGATE_SPOT', 'FARGATE', 'FARGATE_SPOT', 'FARGATE_SPOT'] },
  { name: 'the base provider gives up tasks only above its target', strategy: [item('FARGATE', 0, 2), item('FARGATE_SPOT', 1)], running: { FARGATE: 2, FARGATE_SPOT: 1 }, count: 2, want: ['FARGATE_SPOT', 'FARGATE'] },
  { name: 'providers the strategy no longer names go first, the fullest first', strategy: ISSUE, running: { EC2: 1, FARGATE: 4, OLD: 2, FARGATE_SPOT: 6 }, count: 4, want: ['OLD', 'EC2', 'OLD', 'FARGATE_SPOT'] },
  { name: 'a weight-0 provider holding tasks beyond its base loses them first', strategy: [item('FARGATE', 0), item('FARGATE_SPOT', 1)], running: { FARGATE: 2, FARGATE_SPOT: 2 }, count: 2, want: ['FARGATE', 'FARGATE'] },
  { name: 'equal surpluses (A and B one over 1/1/1): the later item gives', strategy: [item('A', 1), item('B', 1), item('C', 1)], running: { A: 2, B: 2, C: 0 }, count: 1, want: ['B'] },
  { name: 'asking for more than runs removes what runs', strategy: ISSUE, running: { FARGATE: 1, FARGATE_SPOT: 1 }, count: 5, want: ['FARGATE_SPOT', 'FARGATE'] },
];

for (const c of SHRINK) {
  test(`providersToShrink — ${c.name}`, () => {
    assert.deepEqual(providersToShrink(c.strategy, new Map(Object.entries(c.running)), c.count), c.want);
  });
}

// -------------------------------------------------------------- validation

test('checkStrategy fills in ECS defaults: base 0, weight 0', () => {
  assert.deepEqual(checkStrategy([{ capacityProvider: 'FARGATE', weight: 1 }, { capacityProvider: 'FARGATE_SPOT' }]), [item('FARGATE', 1), item('FARGATE_SPOT', 0)]);
  assert.deepEqual(checkStrategy([]), []);
});

test('only one item may have a base; explicit zero bases are fine', () => {
  throwsStrategy(() => checkStrategy([item('FARGATE', 1, 1), item('FARGATE_SPOT', 1, 2)]), ONE_BASE_MESSAGE);
  throwsStrategy(() => checkStrategy([item('FARGATE', 1, 1), item('FARGATE_SPOT', 1, 2)], 'defaultCapacityProviderStrategy'), ONE_BASE_MESSAGE);
  assert.equal(checkStrategy([{ capacityProvider: 'A', base: 0, weight: 1 }, { capacityProvider: 'B', base: 0, weight: 1 }, { capacityProvider: 'C', base: 5, weight: 1 }]).length, 3);
});

test('at most 20 items', () => {
  const names = Array.from({ length: 21 }, (_, i) => item(`cp-${i}`, 1));
  throwsStrategy(() => checkStrategy(names), TOO_MANY_MESSAGE);
  assert.equal(checkStrategy(names.slice(0, 20)).length, 20);
});

test('weight 0..1000 and base 0..100000, named by their place in the request', () => {
  throwsStrategy(
    () => checkStrategy([item('A', 1), item('B', 1001)]),
    "1 validation error detected: Value '1001' at 'capacityProviderStrategy.2.member.weight' failed to satisfy constraint: Member must have value less than or equal to 1000",
  );
  throwsStrategy(
    () => checkStrategy([item('A', 1, 100_001)], 'defaultCapacityProviderStrategy'),
    "1 validation error detected: Value '100001' at 'defaultCapacityProviderStrategy.1.member.base' failed to satisfy constraint: Member must have value less than or equal to 100000",
  );
  throwsStrategy(
    () => checkStrategy([item('A', -1, -2)]),
    "2 validation errors detected: Value '-2' at 'capacityProviderStrategy.1.member.base' failed to satisfy constraint: Member must have value greater than or equal to 0; Value '-1' at 'capacityProviderStrategy.1.member.weight' failed to satisfy constraint: Member must have value greater than or equal to 0",
  );
  throwsStrategy(() => checkStrategy([item('A', 1.5)]), /Member must be an integer/);
  assert.equal(checkStrategy([item('A', 1000, 100_000)])[0]!.base, 100_000);
});

test('every item names its capacity provider, once', () => {
  throwsStrategy(
    () => checkStrategy([{ weight: 1 }]),
    "1 validation error detected: Value null at 'capacityProviderStrategy.1.member.capacityProvider' failed to satisfy constraint: Member must not be null",
  );
  throwsStrategy(() => checkStrategy([item('FARGATE', 1), item('FARGATE', 2)]), /'FARGATE' appears more than once/);
});

test('a strategy that places tasks needs a weight above zero, even with one provider', () => {
  throwsStrategy(() => checkStrategy([item('FARGATE', 0), item('FARGATE_SPOT', 0)]), NO_WEIGHT_MESSAGE);
  throwsStrategy(() => checkStrategy([{ capacityProvider: 'FARGATE_SPOT' }]), NO_WEIGHT_MESSAGE);
  throwsStrategy(() => checkStrategy([item('FARGATE', 0, 3)]), NO_WEIGHT_MESSAGE);
  // A cluster's default strategy is stored as given; using it fails with ECS's words.
  const stored = checkStrategy([{ capacityProvider: 'FARGATE_SPOT' }], 'defaultCapacityProviderStrategy');
  assert.deepEqual(stored, [item('FARGATE_SPOT', 0)]);
  throwsStrategy(() => checkPlacesTasks(stored, 'clusterDefault'), NO_WEIGHT_DEFAULT_MESSAGE);
  assert.match(NO_WEIGHT_DEFAULT_MESSAGE, /^There are no capacity providers with a weight value greater than zero defined in the default capacity provider strategy\./);
  checkPlacesTasks([item('FARGATE', 1)], 'clusterDefault');
  // The arithmetic refuses such strategies too.
  throwsStrategy(() => targetCounts(stored, 3), NO_WEIGHT_MESSAGE);
  throwsStrategy(() => assignProviders([], new Map(), 1), NO_WEIGHT_MESSAGE);
});

// -------------------------------------------------------------- properties

const strategyArb: fc.Arbitrary<StrategyItem[]> = fc
  .record({
    names: fc.uniqueArray(fc.constantFrom('FARGATE', 'FARGATE_SPOT', 'cp-a', 'cp-b', 'cp-c', 'cp-d'), { minLength: 1, maxLength: 6 }),
    weights: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 1000 })), { minLength: 6, maxLength: 6 }),
    baseAt: fc.nat({ max: 7 }),
    base: fc.integer({ min: 1, max: 40 }),
  })
  .map(({ names, weights, baseAt, base }) => {
    const items = names.map((name, i) => item(name, weights[i]!, i === baseAt ? base : 0));
    if (!items.some((i) => i.weight > 0)) items[items.length - 1]!.weight = 1;
    return items;
  });

const runningArb = (strategy: StrategyItem[]) =>
  fc
    .tuple(fc.array(fc.nat({ max: 30 }), { minLength: strategy.length, maxLength: strategy.length }), fc.nat({ max: 3 }))
    .map(([counts, elsewhere]) => {
      const m = new Map(strategy.map((s, i) => [s.capacityProvider, counts[i]!]));
      if (elsewhere) m.set('EC2', elsewhere);
      return m;
    });

const withRunning = strategyArb.chain((s) => fc.tuple(fc.constant(s), runningArb(s)));

const countsOf = (strategy: StrategyItem[], running: ReadonlyMap<string, number>) => strategy.map((s) => running.get(s.capacityProvider) ?? 0);
const distance = (strategy: StrategyItem[], running: ReadonlyMap<string, number>) => {
  const n = countsOf(strategy, running).reduce((a, b) => a + b, 0);
  const target = targetCounts(strategy, n);
  return strategy.reduce((d, s) => d + Math.abs((running.get(s.capacityProvider) ?? 0) - target.get(s.capacityProvider)!), 0);
};
const add = (running: ReadonlyMap<string, number>, names: string[], sign: 1 | -1) => {
  const m = new Map(running);
  for (const n of names) m.set(n, (m.get(n) ?? 0) + sign);
  return m;
};

test('property: targetCounts sums to the total and names every provider', () => {
  fc.assert(
    fc.property(strategyArb, fc.nat({ max: 300 }), (strategy, total) => {
      const t = targetCounts(strategy, total);
      assert.deepEqual([...t.keys()], strategy.map((s) => s.capacityProvider));
      assert.equal([...t.values()].reduce((a, b) => a + b, 0), total);
    }),
  );
});

test('property: the base comes first, weight-0 providers get only their base, the rest is within one task of its weight share', () => {
  fc.assert(
    fc.property(strategyArb, fc.nat({ max: 300 }), (strategy, total) => {
      const t = targetCounts(strategy, total);
      const baseOf = (s: StrategyItem) => Math.min(s.base, total);
      const rest = total - strategy.reduce((sum, s) => sum + baseOf(s), 0);
      const W = strategy.reduce((sum, s) => sum + s.weight, 0);
      for (const s of strategy) {
        const got = t.get(s.capacityProvider)!;
        assert.ok(got >= baseOf(s), `${s.capacityProvider} below its base`);
        if (s.weight === 0) assert.equal(got, baseOf(s));
        const share = (s.weight * rest) / W;
        const byWeight = got - baseOf(s);
        assert.ok(byWeight >= Math.floor(share) && byWeight <= Math.ceil(share), `${s.capacityProvider}: ${byWeight} for a share of ${share}`);
      }
    }),
  );
});

test('property: one more task never takes a task from any provider (targets only grow)', () => {
  fc.assert(
    fc.property(strategyArb, fc.nat({ max: 200 }), (strategy, total) => {
      const before = targetCounts(strategy, total);
      const after = targetCounts(strategy, total + 1);
      let grew = 0;
      for (const s of strategy) {
        const d = after.get(s.capacityProvider)! - before.get(s.capacityProvider)!;
        assert.ok(d === 0 || d === 1);
        grew += d;
      }
      assert.equal(grew, 1);
    }),
  );
});

test('property: assigning n tasks one call at a time equals assigning them at once', () => {
  fc.assert(
    fc.property(withRunning, fc.array(fc.nat({ max: 6 }), { maxLength: 6 }), ([strategy, running], chunks) => {
      const total = chunks.reduce((a, b) => a + b, 0);
      const atOnce = assignProviders(strategy, running, total);
      let now = running;
      const byChunks: string[] = [];
      for (const k of chunks) {
        const got = assignProviders(strategy, now, k);
        assert.equal(got.length, k);
        byChunks.push(...got);
        now = add(now, got, 1);
      }
      assert.deepEqual(byChunks, atOnce);
    }),
  );
});

test('property: from nothing, assignProviders lands exactly on targetCounts', () => {
  fc.assert(
    fc.property(strategyArb, fc.nat({ max: 200 }), (strategy, total) => {
      const placed = tally(assignProviders(strategy, new Map(), total));
      for (const [name, n] of targetCounts(strategy, total)) assert.equal(placed[name] ?? 0, n);
    }),
  );
});

test('property: from any distribution, each new task moves toward (never away from) the target', () => {
  fc.assert(
    fc.property(withRunning, fc.integer({ min: 1, max: 40 }), ([strategy, running], count) => {
      const weightless = new Set(strategy.filter((s) => s.weight === 0).map((s) => s.capacityProvider));
      let now = running;
      let d = distance(strategy, now);
      for (const name of assignProviders(strategy, running, count)) {
        // A weight-0 provider only ever receives tasks toward its base.
        if (weightless.has(name)) {
          const s = strategy.find((x) => x.capacityProvider === name)!;
          assert.ok((now.get(name) ?? 0) < s.base, `${name} got a task beyond its base`);
        }
        now = add(now, [name], 1);
        const next = distance(strategy, now);
        assert.ok(next <= d, `distance grew from ${d} to ${next}`);
        d = next;
      }
    }),
  );
});

test('property: the base is filled before any other provider gets a task', () => {
  fc.assert(
    fc.property(withRunning, fc.integer({ min: 1, max: 40 }), ([strategy, running], count) => {
      const b = strategy.find((s) => s.base > 0);
      if (!b) return;
      const missing = Math.max(0, b.base - (running.get(b.capacityProvider) ?? 0));
      const got = assignProviders(strategy, running, count);
      assert.deepEqual(got.slice(0, missing), Array(Math.min(missing, count)).fill(b.capacityProvider));
    }),
  );
});

test('property: scale-in from any distribution never moves away from the target', () => {
  fc.assert(
    fc.property(withRunning, fc.integer({ min: 1, max: 60 }), ([strategy, running], count) => {
      const before = [...running.values()].reduce((a, b) => a + b, 0);
      const taken = providersToShrink(strategy, running, count);
      assert.equal(taken.length, Math.min(count, before));
      let now = running;
      let d = distance(strategy, now);
      for (const name of taken) {
        assert.ok((now.get(name) ?? 0) > 0, `took from empty ${name}`);
        now = add(now, [name], -1);
        const next = distance(strategy, now);
        assert.ok(next <= d, `distance grew from ${d} to ${next}`);
        d = next;
      }
    }),
  );
});

test('property: scaling in from a target lands on the smaller target; scaling out again restores it', () => {
  fc.assert(
    fc.property(strategyArb, fc.nat({ max: 150 }), fc.nat({ max: 150 }), (strategy, total, k) => {
      const remove = Math.min(k, total);
      const start = targetCounts(strategy, total);
      const after = add(start, providersToShrink(strategy, start, remove), -1);
      assert.deepEqual(asObject(after), asObject(targetCounts(strategy, total - remove)));
      const back = add(after, assignProviders(strategy, after, remove), 1);
      assert.deepEqual(asObject(back), asObject(start));
    }),
  );
});

test('property: checkStrategy throws nothing but StrategyError, and what it returns is usable', () => {
  const itemArb = fc.record(
    {
      capacityProvider: fc.oneof(fc.constantFrom('FARGATE', 'FARGATE_SPOT', ''), fc.string({ maxLength: 4 })),
      base: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constant(100_001), fc.double()),
      weight: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constant(1001), fc.double()),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.array(itemArb, { maxLength: 22 }), fc.constantFrom('capacityProviderStrategy', 'defaultCapacityProviderStrategy'), (items, member) => {
      let checked: StrategyItem[];
      try {
        checked = checkStrategy(items, member);
      } catch (e) {
        assert.ok(e instanceof StrategyError, String(e));
        return;
      }
      if (checked.some((s) => s.weight > 0)) assert.equal([...targetCounts(checked, 7).values()].reduce((a, b) => a + b, 0), 7);
    }),
  );
});
