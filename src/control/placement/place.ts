import type { Constraint } from './constraints.js';
import {
  active,
  agentConnected,
  distinctInstance,
  enoughCpu,
  enoughMemory,
  freeEni,
  freeGpu,
  freePorts,
  freeUdpPorts,
  memberOf,
  requiredAttributes,
  type Filter,
  type PlacementContext,
  type Slot,
} from './filters.js';
import { exponential, NO_ATTRIBUTE, scorerFor, type Scorer } from './scorers.js';
import { Heap } from './slot-heap.js';
import type { Strategy } from './strategy.js';
import type { AttributeRequirement, Failure, InstanceSnapshot, Plan, TaskDemand } from './types.js';

// Placement: a snapshot of the cluster's instances and a request in, a plan
// out. No I/O and no clock; randomness comes from the caller.
//
//   instances ──► filters (the chain below, in ECS's order) ──► candidates
//   candidates ─► scorers (the strategies, in the order given) ─► best one
//   place one task there, update what it has left, repeat `count` times
//
// ECS's process: instances that meet the task's CPU, memory and port needs,
// then those that meet the constraints, then the strategies choose. A filter
// that fails names the reason ECS reports for that instance.
//
// Cost: every instance passes the whole chain once. Afterwards only the
// filters whose answer a placement can change are asked again, and only of
// the instance that is about to win. Candidates sit in one heap per
// combination of spread-attribute buckets (e.g. one per AZ), ordered by the
// per-instance scorers; choosing a task's instance compares the tops of those
// heaps, so a placement costs O(buckets + log instances). Answers only ever go
// from "fits" to "does not fit" within a plan (every task of a request is the
// same, and resources only shrink), so an instance that fails is dropped for
// the rest of the plan.

interface Stage {
  filter: Filter;
  /** Whether the filter can refuse anything for this request (a request without ports never fails on ports). */
  applies: (ctx: PlacementContext) => boolean;
  /** Whether placing tasks of this request can change the filter's answer for an instance. */
  changes: (ctx: PlacementContext) => boolean;
}

const always = () => true;
const never = () => false;

/** The filter chain, once, in the order ECS checks and reports. */
const CHAIN: readonly Stage[] = [
  { filter: active, applies: always, changes: never },
  { filter: agentConnected, applies: always, changes: never },
  { filter: requiredAttributes, applies: (c) => c.requires.length > 0, changes: never },
  { filter: enoughCpu, applies: always, changes: (c) => c.demand.cpu > 0 },
  { filter: enoughMemory, applies: always, changes: (c) => c.demand.memory > 0 },
  { filter: freePorts, applies: (c) => c.demand.ports.length > 0, changes: always },
  { filter: freeUdpPorts, applies: (c) => c.demand.portsUdp.length > 0, changes: always },
  { filter: freeEni, applies: (c) => c.demand.eni, changes: always },
  { filter: freeGpu, applies: (c) => c.demand.gpus > 0, changes: always },
  { filter: memberOf, applies: (c) => c.memberOf.length > 0, changes: (c) => c.memberOf.some((q) => q.usesTaskGroup) },
  { filter: distinctInstance, applies: (c) => c.distinctInstance, changes: always },
];

export interface PlacementRequest {
  demand: TaskDemand;
  /** The task group (`family:NAME`, `service:NAME`, or the caller's own). */
  group: string;
  /** The task definition's requiresAttributes. */
  requiresAttributes?: readonly AttributeRequirement[];
  constraints?: readonly Constraint[];
}

export interface PlacementOptions {
  /** A uniform [0, 1) source: Math.random, or a seeded one in tests. */
  random: () => number;
}

function contextOf(r: PlacementRequest): PlacementContext {
  const constraints = r.constraints ?? [];
  return {
    demand: r.demand,
    group: r.group,
    requires: r.requiresAttributes ?? [],
    memberOf: constraints.flatMap((c) => (c.type === 'memberOf' ? [c.query] : [])),
    distinctInstance: constraints.some((c) => c.type === 'distinctInstance'),
  };
}

function slotOf(snap: InstanceSnapshot, index: number, ctx: PlacementContext, random: () => number): Slot {
  return {
    snap,
    index,
    cpu: snap.cpu,
    memory: snap.memory,
    ports: snap.ports,
    portsUdp: snap.portsUdp,
    enis: snap.enis,
    gpus: snap.gpus ?? 0,
    groupTasks: snap.taskGroups.get(ctx.group) ?? 0,
    placed: 0,
    clock: exponential(random),
    buckets: [],
    rejected: undefined,
  };
}

/** The reason of the first of `stages` (indexes into CHAIN) the slot fails; undefined when it passes them all. */
function firstFailing(ctx: PlacementContext, slot: Slot, stages: readonly number[]): string | undefined {
  for (const i of stages) {
    const reason = CHAIN[i]!.filter(ctx, slot);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/** The stages that can refuse anything for this request, in chain order. */
const stagesFor = (ctx: PlacementContext) => CHAIN.flatMap((stage, i) => (stage.applies(ctx) ? [i] : []));

/** Takes one task's demand from the slot. */
function take(ctx: PlacementContext, slot: Slot): void {
  const d = ctx.demand;
  slot.cpu -= d.cpu;
  slot.memory -= d.memory;
  if (d.ports.length) slot.ports = new Set([...slot.ports, ...d.ports]);
  if (d.portsUdp.length) slot.portsUdp = new Set([...slot.portsUdp, ...d.portsUdp]);
  if (d.eni && slot.enis !== undefined) slot.enis -= 1;
  slot.gpus -= d.gpus;
  slot.groupTasks += 1;
  slot.placed += 1;
}

/** The strategies as scorers: everything after `random` is moot (it breaks every tie), and a final random breaks the ties the others leave. */
function scorersOf(strategy: readonly Strategy[]): Scorer[] {
  const chain: Strategy[] = [];
  for (const s of strategy) {
    chain.push(s);
    if (s.type === 'random') break;
  }
  if (chain.at(-1)?.type !== 'random') chain.push({ type: 'random' });
  let buckets = 0;
  return chain.map((s) => scorerFor(s, () => buckets++));
}

/**
 * Places `count` tasks of the request on the instances, choosing by the
 * strategies in order (an empty list means random). When some do not fit,
 * `failures` gives, for every ACTIVE instance, the reason it could not take
 * the next one; instances that are not ACTIVE are never candidates and are
 * not listed (they still count for spread).
 */
export function placeTasks(instances: readonly InstanceSnapshot[], request: PlacementRequest & { count: number; strategy?: readonly Strategy[] }, options: PlacementOptions): Plan {
  const ctx = contextOf(request);
  const scorers = scorersOf(request.strategy ?? []);
  const bucketScorers = scorers.filter((s) => s.bucket);
  const instanceScorers = scorers.filter((s) => !s.bucket);
  const stages = stagesFor(ctx);
  const dynamic = stages.filter((i) => CHAIN[i]!.changes(ctx));

  const slots = instances.map((snap, i) => slotOf(snap, i, ctx, options.random));
  // Spread counts the group's tasks on every instance, candidates or not.
  for (const slot of slots) {
    for (const { bucket } of bucketScorers) {
      const key = slot.snap.attributes.get(bucket!.attribute) ?? NO_ATTRIBUTE;
      slot.buckets[bucket!.position] = key;
      if (slot.groupTasks) bucket!.counts.set(key, (bucket!.counts.get(key) ?? 0) + slot.groupTasks);
    }
  }

  const less = (a: Slot, b: Slot) => {
    for (const s of instanceScorers) {
      const d = s.score(a) - s.score(b);
      if (d) return d < 0;
    }
    return a.index < b.index;
  };
  const candidates = new Map<string, Slot[]>();
  for (const slot of slots) {
    slot.rejected = firstFailing(ctx, slot, stages);
    if (slot.rejected !== undefined) continue;
    const key = slot.buckets.length === 1 ? slot.buckets[0]! : slot.buckets.join('\u0001');
    const list = candidates.get(key);
    if (list) list.push(slot);
    else candidates.set(key, [slot]);
  }
  const partitions = [...candidates.values()].map((list) => Heap.of(list, less));

  /** The scorers in strategy order decide; the snapshot order breaks exact ties. */
  const better = (a: Slot, b: Slot) => {
    for (const s of scorers) {
      const d = s.score(a) - s.score(b);
      if (d) return d < 0;
    }
    return a.index < b.index;
  };

  const placements: string[] = [];
  for (let n = 0; n < request.count; n++) {
    let best: Slot | undefined;
    let bestHeap: Heap<Slot> | undefined;
    for (const heap of partitions) {
      let top = heap.peek();
      while (top) {
        top.rejected = firstFailing(ctx, top, dynamic);
        if (top.rejected === undefined) break;
        heap.pop();
        top = heap.peek();
      }
      if (top && (!best || better(top, best))) {
        best = top;
        bestHeap = heap;
      }
    }
    if (!best) break;
    take(ctx, best);
    best.clock += exponential(options.random);
    for (const { bucket } of bucketScorers) {
      const key = best.buckets[bucket!.position]!;
      bucket!.counts.set(key, (bucket!.counts.get(key) ?? 0) + 1);
    }
    bestHeap!.topChanged();
    placements.push(best.snap.arn);
  }

  const failures: Failure[] = [];
  if (placements.length < request.count) {
    for (const slot of slots) if (slot.rejected !== undefined && slot.snap.status === 'ACTIVE') failures.push({ arn: slot.snap.arn, reason: slot.rejected });
  }
  return { placements, failures };
}

/**
 * StartTask: one task on each named instance, in order (an instance named
 * twice takes two, from what the first left). No strategy; every filter
 * applies, the task definition's constraints included. A target missing
 * from `instances` fails as MISSING; a deregistered one as INACTIVE (its
 * status), as ECS reports them.
 */
export function placeOnInstances(instances: readonly InstanceSnapshot[], request: PlacementRequest, targets: readonly string[], options: PlacementOptions): Plan {
  const ctx = contextOf(request);
  const stages = stagesFor(ctx);
  const slots = new Map(instances.map((snap, i) => [snap.arn, slotOf(snap, i, ctx, options.random)]));
  const placements: string[] = [];
  const failures: Failure[] = [];
  for (const arn of targets) {
    const slot = slots.get(arn);
    if (!slot) {
      failures.push({ arn, reason: 'MISSING' });
      continue;
    }
    const reason = firstFailing(ctx, slot, stages);
    if (reason !== undefined) failures.push({ arn, reason });
    else {
      take(ctx, slot);
      placements.push(arn);
    }
  }
  return { placements, failures };
}
