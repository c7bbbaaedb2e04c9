import type { Scope } from './arns.js';
import { isManagedCapacityProvider } from './capacity-providers.js';
import { costOf, FREE_EPHEMERAL_STORAGE_GIB, type Architecture, type PriceRates } from './fargate-prices.js';
import type { TaskBody } from './task-state.js';
import type { Tx } from '../store/store.js';

// Fargate metering, as AWS bills it: from the moment the image pull starts
// (else the task's start) until the task stops, per second rounded up, with a
// one-minute minimum. `meterTask` and `summarise` are pure and take the time;
// `readUsage` is the one read of the store, behind BerthGetUsage.
//
//   tasks rows ─► readUsage (scope, cluster, Fargate or --include-ec2)
//                   └─► meterTask(body, {since, now}) per task ─► UsageRow[]
//   UsageRow[] ─► summarise(by, rates) ─► one line per group + total (berth usage)

/** What metering reads of a stored task. */
export type MeteredTask = Pick<
  TaskBody,
  'launchType' | 'capacityProviderName' | 'cpu' | 'memory' | 'ephemeralStorageGiB' | 'pullStartedAt' | 'startedAt' | 'stoppedAt' | 'executionStoppedAt' | 'attributes'
>;

/** Epoch milliseconds: metering covers [since, now]; no `since` means from the beginning. */
export interface UsageWindow {
  since?: number;
  now: number;
}

export interface TaskMeter {
  /** Resource-seconds within the window, from billedSeconds. */
  vcpuSeconds: number;
  gbSeconds: number;
  /** Ephemeral storage beyond the free 20 GB, in GB-seconds. */
  extraStorageGbSeconds: number;
  /** The time the task ran within the window, unrounded. */
  seconds: number;
  /** What is billed within the window: seconds rounded up, at least 60 when the whole run lies in it. */
  billedSeconds: number;
  spot: boolean;
  arch: Architecture;
  /** The billing start (pull start, else start) and end (stop, else `now`); undefined start: never started pulling. */
  start?: number;
  end?: number;
  running: boolean;
}

export const MINIMUM_BILLED_SECONDS = 60;

/** A Fargate task: launched with launchType FARGATE or placed by the FARGATE/FARGATE_SPOT capacity provider. */
export function isFargate(t: Pick<TaskBody, 'launchType' | 'capacityProviderName'>): boolean {
  return t.launchType === 'FARGATE' || isManagedCapacityProvider(t.capacityProviderName ?? '');
}

export function architectureOf(t: Pick<TaskBody, 'attributes'>): Architecture {
  return t.attributes?.find((a) => a.name === 'ecs.cpu-architecture')?.value === 'arm64' ? 'arm64' : 'x86_64';
}

const units = (s: string | undefined): number => {
  const n = Number(s);
  return Number.isFinite(n) && n > 0 ? n : 0;
};

export function meterTask(t: MeteredTask, w: UsageWindow): TaskMeter {
  const spot = t.capacityProviderName === 'FARGATE_SPOT';
  const arch = architectureOf(t);
  const start = t.pullStartedAt ?? t.startedAt;
  const stopped = t.executionStoppedAt ?? t.stoppedAt;
  const running = stopped === undefined;
  const none = { vcpuSeconds: 0, gbSeconds: 0, extraStorageGbSeconds: 0, seconds: 0, billedSeconds: 0, spot, arch, running };
  if (start === undefined) return { ...none, running: false };
  const end = Math.min(stopped ?? w.now, w.now);
  const from = Math.max(start, w.since ?? -Infinity);
  // A task that ran before the window only counts from its start; the minimum belongs to the run that began in it.
  const whole = w.since === undefined || start >= w.since;
  const ms = end - from;
  if (ms < 0 || (ms === 0 && !whole)) return { ...none, start, end: stopped ?? w.now };
  const billed = whole ? Math.max(MINIMUM_BILLED_SECONDS, Math.ceil(ms / 1000)) : Math.ceil(ms / 1000);
  const vcpu = units(t.cpu) / 1024;
  const gb = units(t.memory) / 1024;
  const extraGb = Math.max(0, (t.ephemeralStorageGiB ?? FREE_EPHEMERAL_STORAGE_GIB) - FREE_EPHEMERAL_STORAGE_GIB);
  return {
    vcpuSeconds: vcpu * billed,
    gbSeconds: gb * billed,
    extraStorageGbSeconds: extraGb * billed,
    seconds: ms / 1000,
    billedSeconds: billed,
    spot,
    arch,
    start,
    end: stopped ?? w.now,
    running,
  };
}

/** One metered task, as BerthGetUsage returns it (times in epoch ms here; Dates on the wire). */
export interface UsageRow {
  taskArn: string;
  clusterArn: string;
  serviceName?: string;
  family: string;
  group: string;
  launchType: string;
  capacityProviderName?: string;
  cpu: string;
  memory: string;
  ephemeralStorageGiB: number;
  architecture: Architecture;
  /** False for an EC2 task metered (with --include-ec2) as if it had run on on-demand Fargate. */
  fargate: boolean;
  spot: boolean;
  start: number;
  end: number;
  running: boolean;
  seconds: number;
  billedSeconds: number;
  vcpuSeconds: number;
  gbSeconds: number;
  extraStorageGbSeconds: number;
}

export interface UsageFilter extends UsageWindow {
  /** Only this cluster's tasks. */
  clusterArn?: string;
  /** Also EC2 tasks, priced as on-demand Fargate with their cpu and memory. */
  includeEc2?: boolean;
}

/** The metered tasks of a scope: those that started pulling and ran within the window, oldest first. */
export async function readUsage(db: Tx, scope: Scope, f: UsageFilter): Promise<UsageRow[]> {
  let q = db.selectFrom('tasks').select(['body']).where('account_id', '=', scope.accountId).where('region', '=', scope.region);
  if (f.clusterArn !== undefined) q = q.where('cluster_arn', '=', f.clusterArn);
  if (!f.includeEc2) q = q.where((eb) => eb.or([eb('launch_type', '=', 'FARGATE'), eb('body', 'like', '%"capacityProviderName":"FARGATE%')]));
  const rows = await q.orderBy('created_at').orderBy('arn').execute();
  const out: UsageRow[] = [];
  for (const r of rows) {
    const body = JSON.parse(r.body) as TaskBody;
    const fargate = isFargate(body);
    if (!fargate && !f.includeEc2) continue;
    const m = meterTask(body, f);
    if (m.start === undefined || m.billedSeconds === 0) continue;
    out.push({
      taskArn: body.taskArn,
      clusterArn: body.clusterArn,
      serviceName: body.serviceName,
      family: body.family,
      group: body.group,
      launchType: body.launchType,
      capacityProviderName: body.capacityProviderName,
      cpu: body.cpu,
      memory: body.memory,
      ephemeralStorageGiB: fargate ? (body.ephemeralStorageGiB ?? FREE_EPHEMERAL_STORAGE_GIB) : FREE_EPHEMERAL_STORAGE_GIB,
      architecture: m.arch,
      fargate,
      // An EC2 task is priced as on-demand Fargate, never as Spot.
      spot: fargate && m.spot,
      start: m.start,
      end: m.end!,
      running: m.running,
      seconds: m.seconds,
      billedSeconds: m.billedSeconds,
      vcpuSeconds: m.vcpuSeconds,
      gbSeconds: m.gbSeconds,
      extraStorageGbSeconds: m.extraStorageGbSeconds,
    });
  }
  return out;
}

/** A row on the wire: timestamps as Dates for the json protocol's serializer. */
export function usageRowOnWire(r: UsageRow): Omit<UsageRow, 'start' | 'end'> & { start: Date; end: Date } {
  return { ...r, start: new Date(r.start), end: new Date(r.end) };
}

// ── summaries ────────────────────────────────────────────────────────────

export type UsageGrouping = 'service' | 'task-family' | 'task';
export const USAGE_GROUPINGS: readonly UsageGrouping[] = ['service', 'task-family', 'task'];

export interface UsageLine {
  /** The group: a service, a family or a task id. */
  key: string;
  tasks: number;
  /** Of `tasks`, how many ran on FARGATE_SPOT, and how many are EC2 tasks priced as Fargate. */
  spotTasks: number;
  ec2Tasks: number;
  billedSeconds: number;
  vcpuHours: number;
  gbHours: number;
  extraStorageGbHours: number;
  /** USD of the tasks that ran on demand (and EC2 tasks priced as on-demand Fargate). */
  onDemandCost: number;
  /** USD of the FARGATE_SPOT tasks, at the Spot discount. */
  spotCost: number;
  cost: number;
}

export type SummarisedRow = Pick<
  UsageRow,
  'taskArn' | 'clusterArn' | 'serviceName' | 'family' | 'fargate' | 'spot' | 'architecture' | 'billedSeconds' | 'vcpuSeconds' | 'gbSeconds' | 'extraStorageGbSeconds'
>;

export const NO_SERVICE = '(no service)';

const lastPart = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** One line per group, the costliest first, and the total. */
export function summarise(rows: readonly SummarisedRow[], by: UsageGrouping, rates: PriceRates): { lines: UsageLine[]; total: UsageLine } {
  // A service is named within its cluster: with several clusters in the report, the cluster names it too.
  const clusters = new Set(rows.map((r) => r.clusterArn));
  const keyOf = (r: SummarisedRow): string => {
    if (by === 'task') return lastPart(r.taskArn);
    if (by === 'task-family') return r.family;
    const service = r.serviceName ?? NO_SERVICE;
    return clusters.size > 1 ? `${lastPart(r.clusterArn)}/${service}` : service;
  };
  const empty = (key: string): UsageLine => ({
    key,
    tasks: 0,
    spotTasks: 0,
    ec2Tasks: 0,
    billedSeconds: 0,
    vcpuHours: 0,
    gbHours: 0,
    extraStorageGbHours: 0,
    onDemandCost: 0,
    spotCost: 0,
    cost: 0,
  });
  const add = (l: UsageLine, r: SummarisedRow): void => {
    const cost = costOf(rates, { vcpuSeconds: r.vcpuSeconds, gbSeconds: r.gbSeconds, extraStorageGbSeconds: r.extraStorageGbSeconds, arch: r.architecture, spot: r.spot });
    l.tasks++;
    if (r.spot) l.spotTasks++;
    if (!r.fargate) l.ec2Tasks++;
    l.billedSeconds += r.billedSeconds;
    l.vcpuHours += r.vcpuSeconds / 3600;
    l.gbHours += r.gbSeconds / 3600;
    l.extraStorageGbHours += r.extraStorageGbSeconds / 3600;
    if (r.spot) l.spotCost += cost;
    else l.onDemandCost += cost;
    l.cost += cost;
  };
  const groups = new Map<string, UsageLine>();
  const total = empty('total');
  for (const r of rows) {
    const key = keyOf(r);
    if (!groups.has(key)) groups.set(key, empty(key));
    add(groups.get(key)!, r);
    add(total, r);
  }
  const lines = [...groups.values()].sort((a, b) => b.cost - a.cost || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { lines, total };
}
