// First-fit placement: each task goes to the first candidate, in the order
// given, that passes every filter. Pure: no I/O, no clock. The placement
// issue replaces this with ECS's strategies and constraints; the shape (a
// snapshot in, a plan with ECS failure reasons out) stays.

export interface TaskDemand {
  /** CPU units. */
  cpu: number;
  /** MiB. */
  memory: number;
  /** Static host ports the task binds, TCP and UDP. */
  ports: number[];
  portsUdp: number[];
}

export interface Candidate {
  arn: string;
  agentConnected: boolean;
  cpu: number;
  memory: number;
  /** Host ports already taken (ECS's remaining PORTS set). */
  ports: readonly string[];
  portsUdp: readonly string[];
}

/** A filter answers undefined when the candidate can take the task, else ECS's failure reason. */
export type Filter = (c: Candidate, demand: TaskDemand) => string | undefined;

export interface Failure {
  arn: string;
  reason: string;
}

export interface Plan {
  /** The instance of each placed task, in order; shorter than `count` when some did not fit. */
  placements: string[];
  /** One per (instance, reason) that kept a task off an instance; empty when every task was placed. */
  failures: Failure[];
  /** The candidates that received tasks, with their resources after the plan. */
  changed: Map<string, Candidate>;
}

export const agentConnected: Filter = (c) => (c.agentConnected ? undefined : 'AGENT');
export const enoughCpu: Filter = (c, d) => (c.cpu >= d.cpu ? undefined : 'RESOURCE:CPU');
export const enoughMemory: Filter = (c, d) => (c.memory >= d.memory ? undefined : 'RESOURCE:MEMORY');
export const freePorts: Filter = (c, d) => (d.ports.some((p) => c.ports.includes(String(p))) ? 'RESOURCE:PORTS' : undefined);
export const freeUdpPorts: Filter = (c, d) => (d.portsUdp.some((p) => c.portsUdp.includes(String(p))) ? 'RESOURCE:PORTS_UDP' : undefined);

/** The filters in the order ECS reports them; extra filters (constraints) run after the agent check. */
export function defaultFilters(extra: Filter[] = []): Filter[] {
  return [agentConnected, ...extra, enoughCpu, enoughMemory, freePorts, freeUdpPorts];
}

function take(c: Candidate, d: TaskDemand): Candidate {
  return {
    ...c,
    cpu: c.cpu - d.cpu,
    memory: c.memory - d.memory,
    ports: [...c.ports, ...d.ports.map(String)],
    portsUdp: [...c.portsUdp, ...d.portsUdp.map(String)],
  };
}

export function placeFirstFit(candidates: readonly Candidate[], demand: TaskDemand, count: number, filters: Filter[] = defaultFilters()): Plan {
  const current = candidates.map((c) => ({ ...c }));
  const changed = new Map<string, Candidate>();
  const placements: string[] = [];
  const failures: Failure[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    let placed = false;
    const reasons: Failure[] = [];
    for (const [index, c] of current.entries()) {
      const reason = filters.map((f) => f(c, demand)).find((r) => r !== undefined);
      if (reason === undefined) {
        const after = take(c, demand);
        current[index] = after;
        changed.set(after.arn, after);
        placements.push(after.arn);
        placed = true;
        break;
      }
      reasons.push({ arn: c.arn, reason });
    }
    if (placed) continue;
    for (const f of reasons) {
      const key = `${f.arn} ${f.reason}`;
      if (!seen.has(key)) {
        seen.add(key);
        failures.push(f);
      }
    }
    // Every later task has the same demand and finds the same instances full.
    break;
  }
  return { placements, failures, changed };
}
