import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  capacityProviderReservation,
  instancesNeeded,
  planScaling,
  type Demand,
  type InstanceRoom,
  type ScalingInput,
} from '../../src/fleet/managed-scaling.js';

// Managed scaling's arithmetic against the figures of the ECS documentation
// ("Deep dive on Amazon ECS cluster auto scaling") and berth's bounds.

const SIZE = { cpu: 1024, memory: 2048, ports: [22, 2375, 2376, 51678, 51679] };
const task = (cpu: number, memory = 256, ports: number[] = []): Demand => ({ cpu, memory, ports, portsUdp: [] });
const room = (id: string, cpu: number, memory: number, busy: boolean, ports: number[] = []): InstanceRoom => ({
  id,
  cpu,
  memory,
  ports: new Set([...SIZE.ports, ...ports]),
  portsUdp: new Set(),
  busy,
});
const settings = { targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 10000, instanceWarmupPeriod: 300 };
const plan = (over: Partial<ScalingInput>) => planScaling({ settings, needed: 0, inGroup: 0, idle: [], maxInstances: 10, now: 1_000_000, ...over });

test('CapacityProviderReservation is M / N × 100; 200 with no instance and tasks to run; 100 with neither', () => {
  assert.equal(capacityProviderReservation(0, 0), 100);
  assert.equal(capacityProviderReservation(3, 0), 200);
  assert.equal(capacityProviderReservation(2, 4), 50);
  assert.equal(capacityProviderReservation(4, 4), 100);
  assert.equal(capacityProviderReservation(5, 4), 125);
  assert.equal(capacityProviderReservation(0, 3), 0);
});

test('M binpacks the waiting tasks on the instance size, PROVISIONING ones counted', () => {
  // Three tasks of 512 CPU units on 1024-unit instances: two instances.
  assert.deepEqual(instancesNeeded([], [task(512), task(512), task(512)], SIZE), { needed: 2, added: 2, receiving: [], unplaceable: 0 });
  // Memory binds first: 3 × 1000 MiB on 2048 MiB instances.
  assert.equal(instancesNeeded([], [task(100, 1000), task(100, 1000), task(100, 1000)], SIZE).needed, 2);
  // The same static host port cannot be bound twice on one instance.
  assert.equal(instancesNeeded([], [task(128, 128, [80]), task(128, 128, [80]), task(128, 128, [80])], SIZE).needed, 3);
  // Largest first: 768 + 256 share, 768 + 256 share.
  assert.equal(instancesNeeded([], [task(256), task(768), task(256), task(768)], SIZE).needed, 2);
});

test('M counts the instances in use; waiting tasks go where there is room first; idle instances are not needed', () => {
  const instances = [room('a', 512, 1024, true), room('b', 1024, 2048, false), room('c', 1024, 2048, false)];
  // a runs a task and has room for one more; b and c are idle.
  assert.deepEqual(instancesNeeded(instances, [], SIZE), { needed: 1, added: 0, receiving: [], unplaceable: 0 });
  assert.deepEqual(instancesNeeded(instances, [task(512)], SIZE), { needed: 1, added: 0, receiving: ['a'], unplaceable: 0 });
  assert.deepEqual(instancesNeeded(instances, [task(512), task(1024)], SIZE), { needed: 2, added: 0, receiving: ['b', 'a'], unplaceable: 0 });
  const full = [room('a', 0, 0, true)];
  assert.deepEqual(instancesNeeded(full, [task(512), task(512), task(512)], SIZE), { needed: 3, added: 2, receiving: [], unplaceable: 0 });
});

test('a task larger than an instance is unplaceable and not in M', () => {
  assert.deepEqual(instancesNeeded([], [task(2048), task(512)], SIZE), { needed: 1, added: 1, receiving: [], unplaceable: 1 });
  assert.equal(instancesNeeded([], [task(128, 128, [22])], SIZE).unplaceable, 1, 'a port every instance reserves');
});

test('scale-out: desired = ceil(M × 100 / targetCapacity), within the step sizes and the pool maximum', () => {
  assert.deepEqual(plan({ needed: 2, inGroup: 0 }), { reservation: 200, desired: 2, action: { kind: 'out', count: 2 } });
  // Target 50: twice the instances needed.
  assert.deepEqual(plan({ settings: { ...settings, targetCapacity: 50 }, needed: 2, inGroup: 2 }).action, { kind: 'out', count: 2 });
  // Target 75: ceil(3 × 100 / 75) = 4.
  assert.equal(plan({ settings: { ...settings, targetCapacity: 75 }, needed: 3, inGroup: 3 }).desired, 4);
  // The maximum step bounds one scale-out; the next pass adds the rest.
  assert.deepEqual(plan({ settings: { ...settings, maximumScalingStepSize: 2 }, needed: 7, inGroup: 1 }).action, { kind: 'out', count: 2 });
  // The minimum step adds more than the gap, up to the pool maximum.
  assert.deepEqual(plan({ settings: { ...settings, minimumScalingStepSize: 3 }, needed: 1, inGroup: 0 }).action, { kind: 'out', count: 3 });
  assert.deepEqual(plan({ settings: { ...settings, minimumScalingStepSize: 3 }, needed: 1, inGroup: 0, maxInstances: 2 }).action, { kind: 'out', count: 2 });
  // At the maximum: nothing more, whatever waits.
  assert.deepEqual(plan({ needed: 6, inGroup: 4, maxInstances: 4 }), { reservation: 150, desired: 4, action: { kind: 'none', reason: 'at-max' } });
  assert.deepEqual(plan({ needed: 2, inGroup: 2, idle: [] }).action, { kind: 'none', reason: 'at-target' });
});

test('scale-in: idle instances only, at most the maximum step, never below the target', () => {
  assert.deepEqual(plan({ needed: 1, inGroup: 3, idle: ['c', 'b'] }), { reservation: (1 / 3) * 100, desired: 1, action: { kind: 'in', instances: ['c', 'b'] } });
  // One idle instance only: one goes now.
  assert.deepEqual(plan({ needed: 0, inGroup: 3, idle: ['c'] }).action, { kind: 'in', instances: ['c'] });
  // Busy instances stay, whatever the figure.
  assert.deepEqual(plan({ needed: 0, inGroup: 2, idle: [] }).action, { kind: 'none', reason: 'no-idle-instance' });
  // One step at a time.
  assert.deepEqual(plan({ settings: { ...settings, maximumScalingStepSize: 1 }, needed: 0, inGroup: 3, idle: ['c', 'b', 'a'] }).action, { kind: 'in', instances: ['c'] });
  // The minimum step does not take more than is above the target.
  assert.deepEqual(plan({ settings: { ...settings, minimumScalingStepSize: 3 }, needed: 2, inGroup: 3, idle: ['c', 'b', 'a'] }).action, { kind: 'in', instances: ['c'] });
  // Spare capacity of a target below 100 is kept.
  assert.deepEqual(plan({ settings: { ...settings, targetCapacity: 50 }, needed: 1, inGroup: 2, idle: ['b'] }).action, { kind: 'none', reason: 'at-target' });
});

test('no scale-in before instanceWarmupPeriod has passed since the last scale-out', () => {
  const warm = { ...settings, instanceWarmupPeriod: 10 };
  const now = 1_000_000;
  assert.deepEqual(plan({ settings: warm, needed: 0, inGroup: 2, idle: ['b', 'a'], now, lastScaleOutAt: now - 9_999 }).action, { kind: 'none', reason: 'warming-up' });
  assert.deepEqual(plan({ settings: warm, needed: 0, inGroup: 2, idle: ['b', 'a'], now, lastScaleOutAt: now - 10_000 }).action, { kind: 'in', instances: ['b', 'a'] });
  // Warm-up does not hold back a scale-out.
  assert.deepEqual(plan({ settings: warm, needed: 3, inGroup: 2, now, lastScaleOutAt: now - 1 }).action, { kind: 'out', count: 1 });
});
