import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileMatcher } from '../../src/lb/health-matcher.js';
import { isReportable, nextHealth, resumeHealth, type CheckResult, type HealthMemory } from '../../src/lb/health-state.js';

// The health state machine against ELB's documented rules, as properties over
// random sequences of check results.

const fail = (reason: 'Target.ResponseCodeMismatch' | 'Target.Timeout' | 'Target.FailedHealthChecks'): CheckResult => ({ ok: false, reason, description: reason });
const arbResult = fc.oneof(
  fc.constant<CheckResult>({ ok: true }),
  fc.constantFrom('Target.ResponseCodeMismatch', 'Target.Timeout', 'Target.FailedHealthChecks' as const).map(fail),
);
const arbThresholds = fc.record({ healthyThreshold: fc.integer({ min: 2, max: 10 }), unhealthyThreshold: fc.integer({ min: 2, max: 10 }) });

function run(start: HealthMemory, results: CheckResult[], t: { healthyThreshold: number; unhealthyThreshold: number }): HealthMemory[] {
  const out: HealthMemory[] = [start];
  for (const r of results) out.push(nextHealth(out[out.length - 1]!, r, t));
  return out;
}

test('unhealthy → healthy only after healthyThreshold consecutive successes since the last failure', () => {
  fc.assert(
    fc.property(fc.array(arbResult, { maxLength: 60 }), arbThresholds, (results, t) => {
      const states = run(resumeHealth('unhealthy'), results, t);
      for (let k = 1; k < states.length; k++) {
        if (states[k - 1]!.state === 'unhealthy' && states[k]!.state === 'healthy') {
          const tail = results.slice(Math.max(0, k - t.healthyThreshold), k);
          assert.equal(tail.length, t.healthyThreshold);
          assert.ok(tail.every((r) => r.ok), 'the last healthyThreshold checks all passed');
        }
      }
    }),
  );
});

test('healthy → unhealthy only after unhealthyThreshold consecutive failures, with the last failure as reason', () => {
  fc.assert(
    fc.property(fc.array(arbResult, { maxLength: 60 }), arbThresholds, (results, t) => {
      const states = run(resumeHealth('healthy'), results, t);
      for (let k = 1; k < states.length; k++) {
        if (states[k - 1]!.state === 'healthy' && states[k]!.state === 'unhealthy') {
          const tail = results.slice(Math.max(0, k - t.unhealthyThreshold), k);
          assert.equal(tail.length, t.unhealthyThreshold);
          assert.ok(tail.every((r) => !r.ok));
          const last = results[k - 1] as Extract<CheckResult, { ok: false }>;
          assert.equal(states[k]!.reason, last.reason);
        }
      }
    }),
  );
});

test('initial: the first passing check makes a target healthy ("must pass one health check"); unhealthyThreshold failures make it unhealthy', () => {
  fc.assert(
    fc.property(fc.array(arbResult, { minLength: 1, maxLength: 30 }), arbThresholds, (results, t) => {
      const states = run(resumeHealth('initial'), results, t);
      const firstOk = results.findIndex((r) => r.ok);
      const failuresBefore = firstOk < 0 ? results.length : firstOk;
      for (let k = 1; k < states.length; k++) {
        const s = states[k]!;
        if (k - 1 < failuresBefore) {
          // Only failures so far: initial until unhealthyThreshold, then unhealthy.
          assert.equal(s.state, k >= t.unhealthyThreshold ? 'unhealthy' : 'initial');
          if (s.state === 'initial') assert.equal(s.reason, 'Elb.InitialHealthChecking');
        }
      }
      if (firstOk >= 0 && firstOk < t.unhealthyThreshold) assert.equal(states[firstOk + 1]!.state, 'healthy');
    }),
  );
});

test('the state is always one of the three; healthy carries no reason, unhealthy always one', () => {
  fc.assert(
    fc.property(fc.constantFrom('initial', 'healthy', 'unhealthy' as const), fc.array(arbResult, { maxLength: 40 }), arbThresholds, (s0, results, t) => {
      for (const m of run(resumeHealth(s0), results, t)) {
        assert.ok(['initial', 'healthy', 'unhealthy'].includes(m.state));
        if (m.state === 'healthy') assert.equal(m.reason, undefined);
        if (m.state === 'unhealthy') assert.ok(m.reason?.startsWith('Target.'));
      }
    }),
  );
});

test('reports: state changes to healthy/unhealthy and reason changes while unhealthy; staying initial never', () => {
  const th = { healthyThreshold: 2, unhealthyThreshold: 2 };
  const h = resumeHealth('healthy');
  const f1 = nextHealth(h, fail('Target.Timeout'), th);
  assert.equal(f1.state, 'healthy');
  assert.equal(isReportable(h, f1), false);
  const u = nextHealth(f1, fail('Target.Timeout'), th);
  assert.equal(u.state, 'unhealthy');
  assert.equal(u.reason, 'Target.Timeout');
  assert.equal(isReportable(f1, u), true);
  const u2 = nextHealth(u, { ok: false, reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [500]' }, th);
  assert.equal(isReportable(u, u2), true);
  assert.equal(isReportable(u2, nextHealth(u2, { ok: false, reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [500]' }, th)), false);
  const i = resumeHealth('initial');
  assert.equal(isReportable(i, nextHealth(i, fail('Target.Timeout'), th)), false);
});

test('matcher: single codes, lists and ranges', () => {
  const m = compileMatcher('200');
  assert.ok(m(200) && !m(201));
  const list = compileMatcher('200,202');
  assert.ok(list(200) && list(202) && !list(201));
  const range = compileMatcher('200-299');
  assert.ok(range(200) && range(250) && range(299) && !range(300) && !range(199));
  const mixed = compileMatcher('200, 300-399');
  assert.ok(mixed(200) && mixed(302) && !mixed(404));
  assert.equal(compileMatcher('nonsense')(200), false);
});
