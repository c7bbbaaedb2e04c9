import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { awsvpcAllotments, containerDefinition, ECS_LABELS, networkModeOf, portRequests, type NetworkMode, type PortAllotment } from '../container-config.js';
import type { TaskAssignment, TaskStatus } from '../protocol.js';
import type { ContainerStats } from '../runtime/runtime.js';
import type { ContainerRecord, TaskRecord } from '../task-record.js';
import { rank } from '../transitions.js';
import type { MetadataVersion } from './layout.js';

// The task metadata endpoint's JSON, in the shapes AWS documents for v4 (and
// v3, its subset) and the amazon-ecs-agent writes: a container, a task, a
// container's stats, a task's stats. Pure: everything comes in as arguments
// (the task record, what Docker said of each container, the time of nothing).

/** What Docker says of a created container, beyond the task record. */
export interface ContainerDetails {
  /** `sha256:…` of the local image. */
  imageId?: string;
  /** Epoch ms. */
  createdAt?: number;
  /** Docker networks and their addresses (bridge and host modes). */
  networks?: Array<{ name: string; ipv4Address?: string }>;
  mounts?: Array<{ name?: string; source: string; destination: string }>;
}

export interface MetadataContext {
  version: MetadataVersion;
  availabilityZone?: string;
  /** bridge: the address ports are published on. */
  hostAddress: string;
  /** The namespace holder's image. */
  holderImage: string;
  /** By container name. */
  details: Readonly<Record<string, ContainerDetails>>;
}

export interface PortJson {
  ContainerPort: number;
  Protocol: string;
  HostPort: number;
  HostIp?: string;
}

export interface NetworkJson {
  NetworkMode: string;
  IPv4Addresses?: string[];
  AttachmentIndex?: number;
  IPv4SubnetCIDRBlock?: string;
}

export interface VolumeJson {
  DockerName?: string;
  Source: string;
  Destination: string;
}

export interface ContainerJson {
  DockerId: string;
  Name: string;
  DockerName: string;
  Image: string;
  ImageID: string;
  Ports?: PortJson[];
  Labels?: Record<string, string>;
  DesiredStatus: string;
  KnownStatus: string;
  ExitCode?: number;
  Limits: { CPU: number; Memory: number };
  CreatedAt?: string;
  StartedAt?: string;
  FinishedAt?: string;
  Type: string;
  Networks?: NetworkJson[];
  Health?: { status: string };
  Volumes?: VolumeJson[];
  LogDriver?: string;
  LogOptions?: Record<string, string>;
  ContainerARN?: string;
}

export interface TaskJson {
  Cluster: string;
  TaskARN: string;
  Family: string;
  Revision: string;
  DesiredStatus: string;
  KnownStatus: string;
  Containers?: ContainerJson[];
  Limits?: { CPU?: number; Memory?: number };
  PullStartedAt?: string;
  PullStoppedAt?: string;
  ExecutionStoppedAt?: string;
  AvailabilityZone?: string;
  LaunchType?: string;
  ServiceName?: string;
  FaultInjectionEnabled?: boolean;
}

/** The ECS agent passes null, 0 and 1 CPU units to Docker as 2 shares, and reports them so. */
const MINIMUM_CPU_UNITS = 2;
/** On one machine every task address is a loopback address. */
const AWSVPC_SUBNET = '127.0.0.0/8';

/**
 * The container statuses the metadata shows are the ECS agent's own (NONE,
 * PULLED, CREATED, RUNNING, RESOURCES_PROVISIONED, STOPPED), as berth's are.
 * Its task statuses are fewer than the API's; this maps the API's onto them.
 */
export function agentTaskStatus(s: TaskStatus): string {
  switch (s) {
    case 'PROVISIONING':
    case 'PENDING':
      return 'NONE';
    case 'ACTIVATING':
      return 'CREATED';
    case 'RUNNING':
    case 'DEACTIVATING':
    case 'STOPPING':
      return 'RUNNING';
    case 'DEPROVISIONING':
    case 'STOPPED':
      return 'STOPPED';
  }
}

/** Metadata of one container of the task (by name); undefined until it exists in Docker. */
export function containerMetadata(rec: TaskRecord, name: string, ctx: MetadataContext): ContainerJson | undefined {
  const c = rec.containers.find((x) => x.name === name);
  if (!c?.runtimeId) return undefined;
  const a = rec.assignment;
  const td = a.taskDefinition;
  const v4 = ctx.version === 'v4';
  const mode = safeNetworkMode(rec);
  const details = ctx.details[name] ?? {};
  const def = c.holder ? undefined : findDefinition(rec, name);
  const ov = a.overrides?.containerOverrides?.find((o) => o.name === name);
  const cpu = c.holder ? 0 : (ov?.cpu ?? def?.cpu ?? 0);
  const ports = portsOf(rec, c, def, mode, ctx);
  const networks = networksOf(rec, c, mode, details, v4);
  const lc = v4 ? def?.logConfiguration : undefined;
  const arn = v4 ? containerArnOf(a, name) : undefined;
  return compact<ContainerJson>({
    DockerId: c.runtimeId,
    Name: c.name,
    DockerName: c.dockerName,
    Image: c.holder ? ctx.holderImage : c.image,
    ImageID: details.imageId ?? '',
    Ports: ports.length ? ports : undefined,
    Labels: {
      ...(def?.dockerLabels ?? {}),
      [ECS_LABELS.cluster]: rec.clusterName,
      [ECS_LABELS.containerName]: c.name,
      [ECS_LABELS.taskArn]: a.taskArn,
      [ECS_LABELS.family]: td.family ?? '',
      [ECS_LABELS.version]: String(td.revision ?? ''),
    },
    DesiredStatus: c.desired,
    KnownStatus: c.known,
    ExitCode: c.known === 'STOPPED' ? c.exitCode : undefined,
    Limits: { CPU: Math.max(cpu, MINIMUM_CPU_UNITS), Memory: c.holder ? 0 : (ov?.memory ?? def?.memory ?? 0) },
    CreatedAt: iso(details.createdAt),
    StartedAt: iso(c.startedAt),
    FinishedAt: c.known === 'STOPPED' ? iso(c.finishedAt) : undefined,
    Type: c.holder ? (mode === 'awsvpc' ? 'CNI_PAUSE' : 'NAMESPACE_PAUSE') : 'NORMAL',
    Networks: networks.length ? networks : undefined,
    Health: c.hasHealthCheck ? { status: c.health } : undefined,
    Volumes: details.mounts?.length
      ? details.mounts.map((m) => compact<VolumeJson>({ DockerName: m.name, Source: m.source, Destination: m.destination }))
      : undefined,
    LogDriver: lc?.logDriver,
    LogOptions: lc?.options && Object.keys(lc.options).length ? { ...lc.options } : undefined,
    ContainerARN: arn,
  });
}

/** The task's metadata: every container that exists in Docker (the namespace holder too, as ECS shows its pause container). */
export function taskMetadata(rec: TaskRecord, ctx: MetadataContext): TaskJson {
  const a = rec.assignment;
  const td = a.taskDefinition;
  const v4 = ctx.version === 'v4';
  const containers = rec.containers.flatMap((c) => containerMetadata(rec, c.name, ctx) ?? []);
  return compact<TaskJson>({
    // The EC2 agent names the cluster as it was configured; Fargate gives the ARN.
    Cluster: a.launchType === 'FARGATE' ? a.clusterArn : rec.clusterName,
    TaskARN: a.taskArn,
    Family: td.family ?? '',
    Revision: String(td.revision ?? ''),
    DesiredStatus: rec.desired,
    KnownStatus: agentTaskStatus(rec.status),
    Containers: containers.length ? containers : undefined,
    Limits: taskLimits(a.cpu ?? td.cpu, a.memory ?? td.memory),
    PullStartedAt: iso(rec.pullStartedAt),
    PullStoppedAt: iso(rec.pullStoppedAt),
    ExecutionStoppedAt: iso(rec.executionStoppedAt),
    AvailabilityZone: ctx.availabilityZone || undefined,
    LaunchType: v4 ? a.launchType : undefined,
    ServiceName: v4 ? /^service:(.+)$/.exec(a.group ?? '')?.[1] : undefined,
    FaultInjectionEnabled: v4 ? false : undefined,
  });
}

/**
 * One stats response: Docker's one-shot sample, with `precpu_stats` and
 * `preread` taken from the previous sample (a one-shot sample has none), the
 * network of the namespace it shares when it has none of its own (awsvpc:
 * the holder's), and for v4 `network_rate_stats` between the two samples.
 */
export function statsResponse(sample: ContainerStats, previous: ContainerStats | undefined, sharedNetwork?: ContainerStats): ContainerStats {
  const out: ContainerStats = { ...sample };
  if (!out.networks && sharedNetwork?.networks) out.networks = sharedNetwork.networks;
  if (previous) {
    if (previous.cpu_stats) out.precpu_stats = previous.cpu_stats;
    if (typeof previous.read === 'string') out.preread = previous.read;
    const rate = networkRate(out, previous);
    if (rate) out.network_rate_stats = rate;
  }
  return out;
}

/** A v4 stats response as v3 answers it (no network rates). */
export function v3Stats(stats: ContainerStats): ContainerStats {
  const { network_rate_stats: _omit, ...rest } = stats;
  return rest;
}

function networkRate(now: ContainerStats, before: ContainerStats): { rx_bytes_per_sec: number; tx_bytes_per_sec: number } | undefined {
  const seconds = (Date.parse(String(now.read)) - Date.parse(String(before.read))) / 1000;
  const a = networkTotals(now);
  const b = networkTotals(before);
  if (!a || !b || !(seconds > 0)) return undefined;
  return { rx_bytes_per_sec: Math.max(0, (a.rx - b.rx) / seconds), tx_bytes_per_sec: Math.max(0, (a.tx - b.tx) / seconds) };
}

function networkTotals(s: ContainerStats): { rx: number; tx: number } | undefined {
  const nets = s.networks as Record<string, { rx_bytes?: number; tx_bytes?: number }> | undefined;
  if (!nets || typeof nets !== 'object') return undefined;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(nets)) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  return { rx, tx };
}

function portsOf(rec: TaskRecord, c: ContainerRecord, def: ContainerDefinition | undefined, mode: NetworkMode | undefined, ctx: MetadataContext): PortJson[] {
  if (!def || (c.startedAt === undefined && rank(c.known) < rank('RUNNING'))) return [];
  let allotted: PortAllotment[];
  let hostIp: string | undefined;
  try {
    if (mode === 'bridge') {
      allotted = c.ports;
      hostIp = ctx.hostAddress;
    } else if (mode === 'awsvpc') {
      allotted = awsvpcAllotments(def);
      hostIp = rec.assignment.privateIPv4Address;
    } else if (mode === 'host') {
      allotted = portRequests(def, 'host').map((r) => ({ ...r, hostPort: r.containerPort }));
    } else {
      return [];
    }
  } catch {
    return [];
  }
  const out: PortJson[] = [];
  for (const p of allotted) {
    for (let i = 0; i < p.count; i++) {
      const port: PortJson = { ContainerPort: p.containerPort + i, Protocol: p.protocol, HostPort: p.hostPort + i };
      if (hostIp && ctx.version === 'v4') port.HostIp = hostIp;
      out.push(port);
    }
  }
  return out;
}

function networksOf(rec: TaskRecord, c: ContainerRecord, mode: NetworkMode | undefined, details: ContainerDetails, v4: boolean): NetworkJson[] {
  const address = rec.assignment.privateIPv4Address;
  if (mode === 'awsvpc') {
    const n: NetworkJson = { NetworkMode: 'awsvpc' };
    if (address) n.IPv4Addresses = [address];
    if (v4) {
      n.AttachmentIndex = 0;
      n.IPv4SubnetCIDRBlock = AWSVPC_SUBNET;
    }
    return [n];
  }
  if (c.holder) return [{ NetworkMode: 'none' }];
  if (!mode) return [];
  const known = details.networks ?? [];
  if (!known.length) return [{ NetworkMode: mode }];
  return known.map((n) => (n.ipv4Address ? { NetworkMode: n.name, IPv4Addresses: [n.ipv4Address] } : { NetworkMode: n.name }));
}

function taskLimits(cpu: string | undefined, memory: string | undefined): { CPU?: number; Memory?: number } | undefined {
  const units = taskSize(cpu, /^(\d+(?:\.\d+)?)\s*vcpu$/i);
  const mib = taskSize(memory, /^(\d+(?:\.\d+)?)\s*gb$/i);
  if (units === undefined && mib === undefined) return undefined;
  const out: { CPU?: number; Memory?: number } = {};
  // The task's CPU is reported in vCPUs, its memory in MiB.
  if (units !== undefined) out.CPU = units / 1024;
  if (mib !== undefined) out.Memory = mib;
  return out;
}

/** A task size in units (cpu units or MiB): a plain number, or vCPU/GB (× 1024). */
function taskSize(v: string | undefined, scaled: RegExp): number | undefined {
  const s = v?.trim();
  if (!s) return undefined;
  if (/^\d+$/.test(s)) return Number(s) || undefined;
  const m = scaled.exec(s);
  return m ? Math.round(parseFloat(m[1]!) * 1024) || undefined : undefined;
}

/**
 * A container's ARN is chosen by the control plane; the assignment carries
 * it once the protocol has `containerArns` (by container name). Until then
 * ContainerARN is left out, as the ECS agent leaves out what it lacks.
 */
function containerArnOf(a: TaskAssignment, name: string): string | undefined {
  return (a as TaskAssignment & { containerArns?: Record<string, string> }).containerArns?.[name];
}

function findDefinition(rec: TaskRecord, name: string): ContainerDefinition | undefined {
  try {
    return containerDefinition(rec.assignment.taskDefinition, name);
  } catch {
    return undefined;
  }
}

function safeNetworkMode(rec: TaskRecord): NetworkMode | undefined {
  try {
    return networkModeOf(rec.assignment.taskDefinition);
  } catch {
    return undefined;
  }
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/** The object without its undefined members (as Go's omitempty leaves them out). */
function compact<T extends object>(o: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
