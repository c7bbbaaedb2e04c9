import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConstraints, parseStrategies, placeTasks, type InstanceSnapshot, type Strategy, type TaskDemand } from '../../../src/control/placement/index.js';
import { instance, seeded, tally } from './snapshot.js';

// Invariants of placement over random fleets, requests and strategies.

const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'];

const instanceArb = fc.record({
  status: fc.constantFrom('ACTIVE', 'ACTIVE', 'ACTIVE', 'DRAINING'),
  agentConnected: fc.boolean(),
  cpu: fc.integer({ min: 0, max: 4096 }),
  memory: fc.integer({ min: 0, max: 4096 }),
  ports: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 3 }),
  portsUdp: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 3 }),
  az: fc.constantFrom(...AZS),
  group: fc.nat({ max: 2 }),
});

const demandArb: fc.Arbitrary<TaskDemand> = fc.record({
  cpu: fc.integer({ min: 0, max: 1024 }),
  memory: fc.integer({ min: 1, max: 1024 }),
  ports: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 2 }),
  portsUdp: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 1 }),
  eni: fc.constant(false),
  gpus: fc.constant(0),
});

const strategyArb: fc.Arbitrary<Strategy[]> = fc
  .array(
    fc.constantFrom(
      { type: 'random' },
      { type: 'binpack', field: 'cpu' },
      { type: 'binpack', field: 'memory' },
      { type: 'spread', field: 'instanceId' },
      { type: 'spread', field: 'attribute:ecs.availability-zone' },
    ),
    { maxLength: 5 },
  )
  .map((s) => parseStrategies(s, []));

const fits = (i: { cpu: number; memory: number }, d: TaskDemand) => Math.min(d.cpu ? Math.floor(i.cpu / d.cpu) : Infinity, Math.floor(i.memory / d.memory));

test('no plan exceeds an instance: CPU, memory and ports hold, only ACTIVE connected instances take tasks, and a short plan means nothing else fits', () => {
  fc.assert(
    fc.property(
      fc.array(instanceArb, { maxLength: 12 }),
      demandArb,
      fc.integer({ min: 1, max: 25 }),
      strategyArb,
      fc.boolean(),
      fc.integer(),
      (specs, d, count, strategy, distinct, seed) => {
        const fleet = specs.map((s) =>
          instance({ ...s, attributes: { 'ecs.availability-zone': s.az }, taskGroups: s.group ? { 'family:app': s.group } : {} }),
        );
        const plan = placeTasks(fleet, { count, demand: d, group: 'family:app', strategy, constraints: distinct ? parseConstraints([], [{ type: 'distinctInstance' }]) : [] }, { random: seeded(seed) });
        assert.ok(plan.placements.length <= count);
        const t = tally(plan.placements);
        for (const i of fleet) {
          const n = t.get(i.arn) ?? 0;
          if (!n) continue;
          assert.equal(i.status, 'ACTIVE');
          assert.ok(i.agentConnected);
          assert.ok(n * d.cpu <= i.cpu, 'cpu');
          assert.ok(n * d.memory <= i.memory, 'memory');
          if (d.ports.length || d.portsUdp.length) assert.equal(n, 1, 'a static host port fits once');
          for (const p of d.ports) assert.ok(!i.ports.has(p), 'tcp port free');
          for (const p of d.portsUdp) assert.ok(!i.portsUdp.has(p), 'udp port free');
          if (distinct) assert.ok(n === 1 && !i.taskGroups.get('family:app'), 'distinctInstance');
        }
        const active = fleet.filter((i) => i.status === 'ACTIVE');
        if (plan.placements.length === count) {
          assert.deepEqual(plan.failures, []);
          return;
        }
        // Short: every ACTIVE instance says why, once, and indeed none could take another task.
        assert.deepEqual(
          plan.failures.map((f) => f.arn),
          active.map((i) => i.arn),
        );
        for (const i of active) {
          const n = t.get(i.arn) ?? 0;
          const left = { cpu: i.cpu - n * d.cpu, memory: i.memory - n * d.memory };
          const portFree = n === 0 && d.ports.every((p) => !i.ports.has(p)) && d.portsUdp.every((p) => !i.portsUdp.has(p));
          const couldTake =
            i.agentConnected && fits(left, d) >= 1 && (portFree || (!d.ports.length && !d.portsUdp.length)) && !(distinct && (n > 0 || i.taskGroups.get('family:app')));
          assert.ok(!couldTake, `${i.arn} could take another task but the plan stopped`);
        }
      },
    ),
    { numRuns: 1500 },
  );
});

test('spread over AZs keeps max − min ≤ 1 whenever every AZ has room for its share', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 4 }),
      fc.array(fc.record({ az: fc.nat({ max: 3 }), cpu: fc.integer({ min: 0, max: 4096 }), memory: fc.integer({ min: 0, max: 4096 }) }), { minLength: 2, maxLength: 16 }),
      fc.record({ cpu: fc.integer({ min: 0, max: 512 }), memory: fc.integer({ min: 16, max: 512 }) }),
      fc.integer({ min: 1, max: 60 }),
      fc.constantFrom<{ type: string; field?: string }[]>([], [{ type: 'binpack', field: 'memory' }], [{ type: 'spread', field: 'instanceId' }], [{ type: 'random' }], [{ type: 'binpack', field: 'cpu' }]),
      fc.integer(),
      (zones, specs, dm, count, then, seed) => {
        const d: TaskDemand = { ...dm, ports: [], portsUdp: [], eni: false, gpus: 0 };
        const fleet = specs.map((s) => instance({ cpu: s.cpu, memory: s.memory, attributes: { 'ecs.availability-zone': AZS[s.az % zones]! } }));
        const azs = [...new Set(fleet.map((i) => i.attributes.get('ecs.availability-zone')!))];
        const capacity = (az: string) => fleet.filter((i) => i.attributes.get('ecs.availability-zone') === az).reduce((sum, i) => sum + fits(i, d), 0);
        fc.pre(azs.every((az) => capacity(az) >= Math.ceil(count / azs.length)));
        const plan = placeTasks(fleet, { count, demand: d, group: 'g', strategy: parseStrategies([{ type: 'spread', field: 'attribute:ecs.availability-zone' }, ...then], []) }, { random: seeded(seed) });
        assert.equal(plan.placements.length, count);
        const perAz = azs.map((az) => plan.placements.filter((p) => fleet.find((i) => i.arn === p)!.attributes.get('ecs.availability-zone') === az).length);
        assert.ok(Math.max(...perAz) - Math.min(...perAz) <= 1, `per AZ ${perAz.join('/')}`);
      },
    ),
    { numRuns: 1500 },
  );
});

test('binpack never uses an extra instance when the tasks fit on fewer: on a fleet of one size it opens an empty instance only when no used one can take the task', () => {
  fc.assert(
    fc.property(
      fc.record({ cpu: fc.integer({ min: 256, max: 8192 }), memory: fc.integer({ min: 256, max: 8192 }) }),
      fc.array(fc.option(fc.record({ cpu: fc.integer({ min: 0, max: 8192 }), memory: fc.integer({ min: 1, max: 8192 }) }), { nil: undefined }), { minLength: 1, maxLength: 12 }),
      fc.record({ cpu: fc.integer({ min: 0, max: 1024 }), memory: fc.integer({ min: 1, max: 1024 }) }),
      fc.integer({ min: 1, max: 60 }),
      fc.constantFrom('memory', 'cpu'),
      fc.integer(),
      (size, loads, dm, count, field, seed) => {
        const d: TaskDemand = { ...dm, ports: [], portsUdp: [], eni: false, gpus: 0 };
        // Binpacking on a resource the task does not use cannot pack anything.
        fc.pre(d[field] > 0);
        // An instance is empty (undefined load) or holds tasks that use some of the binpacked resource.
        const fleet: InstanceSnapshot[] = loads.map((load) => {
          if (!load) return instance({ cpu: size.cpu, memory: size.memory });
          const usedCpu = Math.min(load.cpu, size.cpu);
          const usedMem = Math.min(load.memory, size.memory);
          return instance({ cpu: size.cpu - (field === 'cpu' ? Math.max(usedCpu, 1) : usedCpu), memory: size.memory - usedMem, taskGroups: { other: 1 } });
        });
        const plan = placeTasks(fleet, { count, demand: d, group: 'g', strategy: parseStrategies([{ type: 'binpack', field }], []) }, { random: seeded(seed) });
        const used = fleet.filter((_, n) => loads[n]);
        const empty = fleet.filter((_, n) => !loads[n]);
        const onUsed = used.reduce((s, i) => s + fits(i, d), 0);
        const perEmpty = fits({ cpu: size.cpu, memory: size.memory }, d);
        const total = Math.min(count, onUsed + perEmpty * empty.length);
        assert.equal(plan.placements.length, total);
        const rest = Math.max(0, total - onUsed);
        const needed = rest === 0 ? 0 : Math.ceil(rest / perEmpty);
        const opened = new Set(plan.placements.filter((p) => empty.some((i) => i.arn === p))).size;
        assert.equal(opened, needed, `opened ${opened} empty instances, ${needed} were needed`);
      },
    ),
    { numRuns: 1500 },
  );
});
