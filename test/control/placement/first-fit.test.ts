import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { placeFirstFit, type Candidate, type TaskDemand } from '../../../src/control/placement/first-fit.js';

// First-fit placement is pure: properties over random fleets and demands.

const candidate = fc.record({
  arn: fc.uuid(),
  agentConnected: fc.boolean(),
  cpu: fc.integer({ min: 0, max: 4096 }),
  memory: fc.integer({ min: 0, max: 4096 }),
  ports: fc.uniqueArray(fc.integer({ min: 1, max: 40 }).map(String), { maxLength: 5 }),
  portsUdp: fc.uniqueArray(fc.integer({ min: 1, max: 40 }).map(String), { maxLength: 5 }),
});
const demand = fc.record({
  cpu: fc.integer({ min: 0, max: 2048 }),
  memory: fc.integer({ min: 0, max: 2048 }),
  ports: fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 2 }),
  portsUdp: fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 2 }),
});

test('a plan never exceeds an instance, never double-books a port and never uses a disconnected agent', () => {
  fc.assert(
    fc.property(fc.uniqueArray(candidate, { selector: (c) => c.arn, maxLength: 6 }), demand, fc.integer({ min: 1, max: 10 }), (fleet: Candidate[], d: TaskDemand, count) => {
      const plan = placeFirstFit(fleet, d, count);
      assert.ok(plan.placements.length <= count);
      for (const c of fleet) {
        const n = plan.placements.filter((p) => p === c.arn).length;
        if (!n) continue;
        assert.ok(c.agentConnected);
        assert.ok(n * d.cpu <= c.cpu && n * d.memory <= c.memory);
        // A task with static ports fits once per instance at most.
        if (d.ports.length || d.portsUdp.length) assert.equal(n, 1);
        for (const p of d.ports) assert.ok(!c.ports.includes(String(p)));
        const after = plan.changed.get(c.arn)!;
        assert.equal(after.cpu, c.cpu - n * d.cpu);
        assert.equal(after.memory, c.memory - n * d.memory);
      }
      if (plan.placements.length < count) {
        assert.ok(plan.failures.length > 0 || fleet.length === 0);
        for (const f of plan.failures) assert.match(f.reason, /^(AGENT|RESOURCE:(CPU|MEMORY|PORTS|PORTS_UDP))$/);
      } else {
        assert.deepEqual(plan.failures, []);
      }
    }),
  );
});

test('failures name the first reason per instance, once', () => {
  const fleet: Candidate[] = [
    { arn: 'a', agentConnected: false, cpu: 0, memory: 0, ports: [], portsUdp: [] },
    { arn: 'b', agentConnected: true, cpu: 10, memory: 0, ports: [], portsUdp: [] },
    { arn: 'c', agentConnected: true, cpu: 1024, memory: 1024, ports: ['80'], portsUdp: [] },
  ];
  const plan = placeFirstFit(fleet, { cpu: 100, memory: 100, ports: [80], portsUdp: [] }, 3);
  assert.deepEqual(plan.placements, []);
  assert.deepEqual(plan.failures, [
    { arn: 'a', reason: 'AGENT' },
    { arn: 'b', reason: 'RESOURCE:CPU' },
    { arn: 'c', reason: 'RESOURCE:PORTS' },
  ]);
});
