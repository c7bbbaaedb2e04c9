// ECS managed scaling for one EC2 capacity provider, as pure arithmetic: how
// many instances its tasks need (M), the CapacityProviderReservation metric,
// and the next scaling step. No I/O; the time comes in as an argument.
//
// What ECS documents ("Deep dive on Amazon ECS cluster auto scaling", AWS
// Containers blog; developer guide, "Amazon ECS capacity providers for EC2
// workloads" and "Managed scaling behavior"):
// - CapacityProviderReservation = M / N × 100, N the instances in the group,
//   M the instances needed to run every task of the provider, those still
//   PROVISIONING included. N = 0 and M > 0 gives 200; M = N = 0 gives 100.
// - The target tracking policy keeps the metric at targetCapacity: the
//   desired instances are ceil(M × 100 / targetCapacity); below 100 leaves
//   spare instances.
// - minimumScalingStepSize and maximumScalingStepSize bound the instances
//   added or removed at one time; instanceWarmupPeriod is how long a new
//   instance takes before it counts, so no scale-in before it has passed
//   since the last scale-out.
// - Only instances without running tasks (daemon tasks aside) are taken away.
//
// M. ECS estimates a lower bound per group of identical tasks. berth knows
// the instance size (every pool instance of a provider has the same cpu and
// memory) and each waiting task's reservation, so it binpacks: first fit, the
// largest tasks first, onto what the group's instances have left, then onto
// new, empty instances. M = instances with a (non-daemon) task or a waiting
// task packed on them + new instances. A task too big for an empty instance
// can never run there: it is counted apart (`unplaceable`), not in M.
// Placement constraints are not part of the estimate (as ECS's is not).
//
//   waiting tasks ─► pack onto instances' room ─► pack onto new instances ─► M
//   M, N ─► reservation; ceil(M·100/target) ─► desired ─► step bounds / warm-up /
//          pool max ─► { scale out n | scale in [idle ids] | none }

export interface Demand {
  cpu: number;
  memory: number;
  /** Static host ports it binds (TCP, UDP). */
  ports: readonly number[];
  portsUdp: readonly number[];
}

export interface InstanceRoom {
  id: string;
  cpu: number;
  memory: number;
  /** Host ports taken (TCP, UDP). */
  ports: ReadonlySet<number>;
  portsUdp: ReadonlySet<number>;
  /** Runs a task that is not a daemon task (such an instance is in use). */
  busy: boolean;
}

export interface InstanceSize {
  cpu: number;
  memory: number;
  /** Host ports every new instance reserves for itself. */
  ports: readonly number[];
}

export interface NeededInstances {
  /** M: instances needed to run every task of the provider. */
  needed: number;
  /** New instances among them. */
  added: number;
  /** Instances (ids) a waiting task is packed onto: not idle, whatever runs there now. */
  receiving: string[];
  /** Waiting tasks that no instance of this size can ever take. */
  unplaceable: number;
}

interface Bin {
  id?: string;
  cpu: number;
  memory: number;
  ports: Set<number>;
  portsUdp: Set<number>;
  used: boolean;
}

const fits = (b: Bin, t: Demand) =>
  b.cpu >= t.cpu && b.memory >= t.memory && t.ports.every((p) => !b.ports.has(p)) && t.portsUdp.every((p) => !b.portsUdp.has(p));

function take(b: Bin, t: Demand): void {
  b.cpu -= t.cpu;
  b.memory -= t.memory;
  for (const p of t.ports) b.ports.add(p);
  for (const p of t.portsUdp) b.portsUdp.add(p);
  b.used = true;
}

/** M for a provider: its instances (with what they have left), its waiting tasks and the size of a new instance. */
export function instancesNeeded(instances: readonly InstanceRoom[], waiting: readonly Demand[], size: InstanceSize): NeededInstances {
  const bins: Bin[] = instances.map((i) => ({ id: i.id, cpu: i.cpu, memory: i.memory, ports: new Set(i.ports), portsUdp: new Set(i.portsUdp), used: i.busy }));
  const empty = (): Bin => ({ cpu: size.cpu, memory: size.memory, ports: new Set(size.ports), portsUdp: new Set(), used: false });
  const sorted = [...waiting].sort((a, b) => b.cpu - a.cpu || b.memory - a.memory || b.ports.length - a.ports.length);
  const receiving = new Set<string>();
  let added = 0;
  let unplaceable = 0;
  for (const t of sorted) {
    if (!fits(empty(), t)) {
      unplaceable++;
      continue;
    }
    let bin = bins.find((b) => fits(b, t));
    if (!bin) {
      bin = empty();
      bins.push(bin);
      added++;
    }
    if (bin.id !== undefined) receiving.add(bin.id);
    take(bin, t);
  }
  return { needed: bins.filter((b) => b.used).length, added, receiving: [...receiving], unplaceable };
}

/** CapacityProviderReservation (percent) for M needed and N in the group. */
export function capacityProviderReservation(needed: number, inGroup: number): number {
  if (inGroup === 0) return needed > 0 ? 200 : 100;
  return (needed / inGroup) * 100;
}

export interface ScalingSettings {
  targetCapacity: number;
  minimumScalingStepSize: number;
  maximumScalingStepSize: number;
  /** Seconds. */
  instanceWarmupPeriod: number;
}

export interface ScalingInput {
  settings: ScalingSettings;
  /** M. */
  needed: number;
  /** N: the group's instances, those still starting included. */
  inGroup: number;
  /** Instances that may be taken away now, in the order to take them (no task but daemon ones, no waiting task packed on them). */
  idle: readonly string[];
  /** The most instances the group may have. */
  maxInstances: number;
  now: number;
  /** When the group last grew (ms), if ever. */
  lastScaleOutAt?: number;
}

export type ScalingAction =
  | { kind: 'out'; count: number }
  | { kind: 'in'; instances: string[] }
  | { kind: 'none'; reason: 'at-target' | 'at-max' | 'warming-up' | 'no-idle-instance' };

export interface ScalingDecision {
  reservation: number;
  desired: number;
  action: ScalingAction;
}

/** The next step for a provider with managed scaling ENABLED. */
export function planScaling(input: ScalingInput): ScalingDecision {
  const { settings: s, needed: M, inGroup: N } = input;
  const reservation = capacityProviderReservation(M, N);
  const wanted = Math.ceil((M * 100) / s.targetCapacity);
  const desired = Math.min(wanted, input.maxInstances);
  if (wanted > N && N >= input.maxInstances) return { reservation, desired, action: { kind: 'none', reason: 'at-max' } };
  if (desired > N) {
    const step = Math.min(Math.max(desired - N, s.minimumScalingStepSize), s.maximumScalingStepSize);
    return { reservation, desired, action: { kind: 'out', count: Math.min(step, input.maxInstances - N) } };
  }
  if (desired < N) {
    // Scale-in removes what is above the target, never more (the minimum step would overshoot and flap).
    if (input.lastScaleOutAt !== undefined && input.now < input.lastScaleOutAt + s.instanceWarmupPeriod * 1000) {
      return { reservation, desired, action: { kind: 'none', reason: 'warming-up' } };
    }
    const count = Math.min(N - desired, s.maximumScalingStepSize, input.idle.length);
    if (count === 0) return { reservation, desired, action: { kind: 'none', reason: 'no-idle-instance' } };
    return { reservation, desired, action: { kind: 'in', instances: input.idle.slice(0, count) } };
  }
  return { reservation, desired, action: { kind: 'none', reason: 'at-target' } };
}
