import type { InstanceSnapshot, TaskDemand } from '../../../src/control/placement/index.js';

// Building snapshots for the placement tests, and a seeded random source so
// a failing case replays.

export interface InstanceSpec {
  arn?: string;
  ec2InstanceId?: string;
  status?: string;
  agentConnected?: boolean;
  agentVersion?: string;
  registeredAt?: number;
  runningTasksCount?: number;
  attributes?: Record<string, string | undefined>;
  taskGroups?: Record<string, number>;
  cpu?: number;
  memory?: number;
  ports?: number[];
  portsUdp?: number[];
  enis?: number;
  gpus?: number;
}

let next = 0;

export function instance(spec: InstanceSpec = {}): InstanceSnapshot {
  const n = next++;
  return {
    arn: spec.arn ?? `arn:aws:ecs:us-east-1:000000000000:container-instance/test/${String(n).padStart(32, '0')}`,
    ec2InstanceId: spec.ec2InstanceId ?? `i-${n.toString(16).padStart(17, '0')}`,
    status: spec.status ?? 'ACTIVE',
    agentConnected: spec.agentConnected ?? true,
    agentVersion: spec.agentVersion ?? '1.80.0',
    registeredAt: spec.registeredAt ?? Date.UTC(2024, 0, 1),
    runningTasksCount: spec.runningTasksCount ?? 0,
    attributes: new Map(Object.entries(spec.attributes ?? {})),
    taskGroups: new Map(Object.entries(spec.taskGroups ?? {})),
    cpu: spec.cpu ?? 2048,
    memory: spec.memory ?? 4096,
    ports: new Set(spec.ports ?? [22, 2375, 2376, 51678, 51679]),
    portsUdp: new Set(spec.portsUdp ?? []),
    enis: spec.enis,
    gpus: spec.gpus,
  };
}

export function demand(d: Partial<TaskDemand> = {}): TaskDemand {
  return { cpu: d.cpu ?? 0, memory: d.memory ?? 128, ports: d.ports ?? [], portsUdp: d.portsUdp ?? [], eni: d.eni ?? false, gpus: d.gpus ?? 0 };
}

/** mulberry32: a small seeded uniform source. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many placements went to each instance ARN. */
export function tally(placements: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of placements) m.set(p, (m.get(p) ?? 0) + 1);
  return m;
}
