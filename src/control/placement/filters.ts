import type { Query } from './query-evaluate.js';
import { REASONS, type AttributeRequirement, type InstanceSnapshot, type TaskDemand } from './types.js';

// The filters of the placement chain: each answers whether one instance can
// take one more task of the request, as undefined (it can) or the reason
// ECS reports when it cannot. place.ts chains them, in one list.

/** What every filter of a plan reads: the request, compiled once. */
export interface PlacementContext {
  demand: TaskDemand;
  group: string;
  /** The task definition's requiresAttributes, all checked. */
  requires: readonly AttributeRequirement[];
  memberOf: readonly Query[];
  distinctInstance: boolean;
}

/** An instance during a plan: its snapshot and what the plan has taken from it so far. */
export interface Slot {
  readonly snap: InstanceSnapshot;
  /** Position in the snapshot: the order failures are listed in, and the last tie-break. */
  readonly index: number;
  cpu: number;
  memory: number;
  ports: ReadonlySet<number>;
  portsUdp: ReadonlySet<number>;
  enis: number | undefined;
  gpus: number;
  /** Tasks of the request's group here: the live ones and those this plan placed. */
  groupTasks: number;
  /** Tasks this plan placed here. */
  placed: number;
  /** The random strategy's clock (see scorers.ts). */
  clock: number;
  /** For spread over attributes: this instance's bucket for each such scorer. */
  buckets: string[];
  /** Why the instance can take no more of this plan's tasks, once it cannot. */
  rejected: string | undefined;
}

export type Filter = (ctx: PlacementContext, slot: Slot) => string | undefined;

/** Only ACTIVE instances take tasks; a DRAINING one answers with its status (StartTask reports it). */
export const active: Filter = (_, s) => (s.snap.status === 'ACTIVE' ? undefined : s.snap.status);

export const agentConnected: Filter = (_, s) => (s.snap.agentConnected ? undefined : REASONS.agent);

export const requiredAttributes: Filter = (ctx, s) => {
  for (const r of ctx.requires) {
    if (!s.snap.attributes.has(r.name)) return REASONS.attribute;
    if (r.value !== undefined && s.snap.attributes.get(r.name) !== r.value) return REASONS.attribute;
  }
  return undefined;
};

export const enoughCpu: Filter = (ctx, s) => (s.cpu >= ctx.demand.cpu ? undefined : REASONS.cpu);

export const enoughMemory: Filter = (ctx, s) => (s.memory >= ctx.demand.memory ? undefined : REASONS.memory);

export const freePorts: Filter = (ctx, s) => {
  for (const p of ctx.demand.ports) if (s.ports.has(p)) return REASONS.ports;
  return undefined;
};

export const freeUdpPorts: Filter = (ctx, s) => {
  for (const p of ctx.demand.portsUdp) if (s.portsUdp.has(p)) return REASONS.portsUdp;
  return undefined;
};

/** An instance without an ENI limit (undefined) takes any number of awsvpc tasks. */
export const freeEni: Filter = (ctx, s) => (!ctx.demand.eni || s.enis === undefined || s.enis >= 1 ? undefined : REASONS.eni);

export const freeGpu: Filter = (ctx, s) => (s.gpus >= ctx.demand.gpus ? undefined : REASONS.gpu);

/** Every memberOf expression holds; tasks this plan placed here count for task:group. */
export const memberOf: Filter = (ctx, s) => {
  const extra = s.placed > 0 ? ctx.group : undefined;
  for (const q of ctx.memberOf) if (!q.matches(s.snap, extra)) return REASONS.memberOf;
  return undefined;
};

/** No other active task of the group on the instance (ECS looks at desired status: a task on its way to STOPPED does not count). */
export const distinctInstance: Filter = (ctx, s) => (ctx.distinctInstance && s.groupTasks > 0 ? REASONS.distinctInstance : undefined);
