import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseTasksToStop, parseStrategies, SERVICE_DEFAULT_STRATEGY, type RunningTask } from '../../../src/control/placement/index.js';
import { instance, seeded } from './snapshot.js';

// Which tasks a service stops when it shrinks, as ECS chooses them.

const az = (zone: string, memory = 4096, cpu = 2048) => instance({ memory, cpu, attributes: { 'ecs.availability-zone': zone } });

function tasksOn(instances: { arn: string }[], counts: number[], size = { cpu: 128, memory: 256 }): RunningTask[] {
  const out: RunningTask[] = [];
  instances.forEach((i, n) => {
    for (let k = 0; k < counts[n]!; k++) out.push({ arn: `${i.arn}#${k}`, containerInstanceArn: i.arn, ...size });
  });
  return out;
}

test('spread over AZs: stops from the AZ with the most tasks, keeping the zones balanced', () => {
  const [a, b, c] = [az('us-east-1a'), az('us-east-1b'), az('us-east-1c')];
  const tasks = tasksOn([a, b, c], [4, 2, 3]);
  const stop = chooseTasksToStop(tasks, [a, b, c], 3, parseStrategies([{ type: 'spread', field: 'attribute:ecs.availability-zone' }], []), { random: seeded(1) });
  const left = tasks.filter((t) => !stop.includes(t.arn));
  const per = [a, b, c].map((i) => left.filter((t) => t.containerInstanceArn === i.arn).length);
  assert.deepEqual(per, [2, 2, 2]);
});

test("a service's default (spread AZ, then instanceId) keeps zones and instances within a zone balanced", () => {
  const [a1, a2, b1] = [az('us-east-1a'), az('us-east-1a'), az('us-east-1b')];
  const tasks = tasksOn([a1, a2, b1], [3, 1, 2]);
  const stop = chooseTasksToStop(tasks, [a1, a2, b1], 2, SERVICE_DEFAULT_STRATEGY, { random: seeded(2) });
  // AZ a holds 4, b 2: both stops come from a, and from a1 (3) before a2 (1).
  assert.deepEqual(stop.map((s) => s.split('#')[0]), [a1.arn, a1.arn]);
});

test('binpack: stops on the instance that will have the most of the resource left afterwards', () => {
  const roomy = az('us-east-1a', 3000);
  const tight = az('us-east-1a', 100);
  const tasks = tasksOn([roomy, tight], [2, 2]);
  const stop = chooseTasksToStop(tasks, [roomy, tight], 3, parseStrategies([{ type: 'binpack', field: 'memory' }], []), { random: seeded(3) });
  // roomy has the most left after either of its tasks stops (3256, then 3512); tight's next (356) loses to it.
  assert.deepEqual(stop.map((s) => s.split('#')[0]), [roomy.arn, roomy.arn, tight.arn]);
  const byCpu = chooseTasksToStop(tasks, [az('x', 0, 0), az('x', 0, 0)], 1, parseStrategies([{ type: 'binpack', field: 'cpu' }], []), { random: seeded(3) });
  assert.equal(byCpu.length, 1);
});

test('random: any task, every task eventually', () => {
  const [a, b] = [az('us-east-1a'), az('us-east-1b')];
  const tasks = tasksOn([a, b], [3, 3]);
  const seen = new Set<string>();
  for (let s = 0; s < 50; s++) seen.add(chooseTasksToStop(tasks, [a, b], 1, parseStrategies([{ type: 'random' }], []), { random: seeded(s) })[0]!);
  assert.equal(seen.size, 6);
});

test('scale-in by spread never leaves the AZs further apart than they were, and never more than 1 apart when they started within 1', () => {
  fc.assert(
    fc.property(fc.array(fc.nat({ max: 6 }), { minLength: 2, maxLength: 4 }), fc.nat({ max: 20 }), fc.integer(), (counts, k, seed) => {
      const zones = counts.map((_, n) => az(`zone-${n}`));
      const tasks = tasksOn(zones, counts);
      const stop = new Set(chooseTasksToStop(tasks, zones, k, parseStrategies([{ type: 'spread', field: 'attribute:ecs.availability-zone' }], []), { random: seeded(seed) }));
      assert.equal(stop.size, Math.min(k, tasks.length));
      const after = zones.map((z) => tasks.filter((t) => t.containerInstanceArn === z.arn && !stop.has(t.arn)).length);
      const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
      assert.ok(spread(after) <= Math.max(1, spread(counts)), `${counts.join('/')} → ${after.join('/')}`);
    }),
  );
});
