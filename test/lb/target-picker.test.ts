import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { TargetState } from '../../src/lb/config.js';
import { inService, pickByHash, pickTarget, poolKind, slowStartWeight, SLOW_START_MIN_WEIGHT, type Algorithm, type PickCandidate } from '../../src/lb/target-picker.js';

// The picker's invariants, as properties over random target sets.

interface T extends PickCandidate {
  i: number;
  state: TargetState;
  healthySince: number;
  outstanding: number;
}

const states: TargetState[] = ['initial', 'healthy', 'unhealthy', 'unused', 'draining', 'unavailable'];
const arbTargets = fc.array(
  fc.record({ state: fc.constantFrom(...states), healthySince: fc.integer({ min: 0, max: 100_000 }), outstanding: fc.nat(50) }),
  { maxLength: 12 },
).map((ts) => ts.map((t, i): T => ({ ...t, i })));
const arbAlgorithm = fc.constantFrom<Algorithm>('round_robin', 'least_outstanding_requests', 'weighted_random');
const arbCtx = fc.record({
  algorithm: arbAlgorithm,
  now: fc.integer({ min: 0, max: 200_000 }),
  slowStartMs: fc.constantFrom(0, 30_000),
  seed: fc.double({ min: 0, max: 0.999999, noNaN: true }),
});

test('never picks a draining target, never a target out of service while one is in service; undefined only when nothing may get traffic', () => {
  fc.assert(
    fc.property(arbTargets, arbCtx, fc.nat(1000), (targets, c, cur) => {
      const picked = pickTarget(targets, { algorithm: c.algorithm, now: c.now, slowStartMs: c.slowStartMs, random: () => c.seed }, { next: cur });
      const anyInService = targets.some((t) => inService(t.state));
      const anyRoutable = targets.some((t) => t.state !== 'draining');
      if (!anyRoutable) return picked === undefined;
      assert.ok(picked, 'a target is picked when one is not draining');
      assert.notEqual(picked.state, 'draining');
      if (anyInService) assert.ok(inService(picked.state), `picked ${picked.state} while a target is in service`);
      return true;
    }),
  );
});

test('fail-open: with no target in service, initial, unhealthy and unused targets all get traffic', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom<TargetState>('initial', 'unhealthy', 'unused', 'draining'), { minLength: 1, maxLength: 8 }), (ss) => {
      const targets: T[] = ss.map((state, i) => ({ i, state, healthySince: 0, outstanding: 0 }));
      const cursor = { next: 0 };
      const seen = new Set<number>();
      for (let k = 0; k < targets.length * 2; k++) {
        const p = pickTarget(targets, { algorithm: 'round_robin', now: 0, slowStartMs: 0, random: Math.random }, cursor);
        if (p) seen.add(p.i);
      }
      const expected = targets.filter((t) => t.state !== 'draining').map((t) => t.i);
      assert.deepEqual([...seen].sort((a, b) => a - b), expected);
      assert.equal(poolKind(targets), expected.length ? 'fail-open' : 'none');
    }),
  );
});

test('round robin over n equal targets gives each exactly m of n·m picks', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 20 }), fc.nat(), (n, m, start) => {
      const targets: T[] = Array.from({ length: n }, (_, i) => ({ i, state: 'healthy', healthySince: 0, outstanding: 0 }));
      const cursor = { next: start };
      const hits = new Array<number>(n).fill(0);
      for (let k = 0; k < n * m; k++) hits[pickTarget(targets, { algorithm: 'round_robin', now: 1e9, slowStartMs: 30_000, random: Math.random }, cursor)!.i]!++;
      assert.deepEqual(hits, new Array<number>(n).fill(m));
    }),
  );
});

test('least outstanding requests picks a target with the fewest requests in flight (no slow start)', () => {
  fc.assert(
    fc.property(arbTargets, fc.nat(100), (targets, cur) => {
      const picked = pickTarget(targets, { algorithm: 'least_outstanding_requests', now: 0, slowStartMs: 0, random: Math.random }, { next: cur });
      if (!picked) return true;
      const pool = targets.filter((t) => (targets.some((x) => inService(x.state)) ? inService(t.state) : t.state !== 'draining'));
      assert.equal(picked.outstanding, Math.min(...pool.map((t) => t.outstanding)));
      return true;
    }),
  );
});

test('slow start: a share that grows linearly from the minimum to 1 over slowStartMs, never above 1', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 60_000 }), (since, dt, slow) => {
      const t: T = { i: 0, state: 'healthy', healthySince: since, outstanding: 0 };
      const w = slowStartWeight(t, since + dt, slow);
      const later = slowStartWeight(t, since + dt + 1000, slow);
      assert.ok(w >= SLOW_START_MIN_WEIGHT && w <= 1);
      assert.ok(later >= w);
      if (dt >= slow) assert.equal(w, 1);
      else assert.equal(w, Math.max(SLOW_START_MIN_WEIGHT, dt / slow));
    }),
  );
});

test('slow start: a target that just became healthy gets a small share next to an established one', () => {
  const targets: T[] = [
    { i: 0, state: 'healthy', healthySince: 0, outstanding: 0 },
    { i: 1, state: 'healthy', healthySince: 100_000, outstanding: 0 },
  ];
  let x = 0x12345;
  const random = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x / 2 ** 32);
  const cursor = { next: 0 };
  const count = (now: number) => {
    let newer = 0;
    for (let k = 0; k < 4000; k++) if (pickTarget(targets, { algorithm: 'round_robin', now, slowStartMs: 100_000, random }, cursor)!.i === 1) newer++;
    return newer / 4000;
  };
  const early = count(110_000); // 10% into slow start: share ≈ 0.1 / 1.1
  const mid = count(150_000); // 50%: ≈ 0.5 / 1.5
  const done = count(200_000); // over: plain round robin, exactly half
  assert.ok(early > 0.04 && early < 0.15, `early share ${early}`);
  assert.ok(mid > 0.27 && mid < 0.40, `mid share ${mid}`);
  assert.equal(done, 0.5);
});

test('pickByHash is stable for the same pool and hash, and only picks targets that may get traffic', () => {
  fc.assert(
    fc.property(arbTargets, fc.nat(), (targets, h) => {
      const a = pickByHash(targets, h);
      assert.equal(pickByHash(targets, h), a);
      if (a) assert.notEqual(a.state, 'draining');
      if (a && targets.some((t) => inService(t.state))) assert.ok(inService(a.state));
    }),
  );
});
