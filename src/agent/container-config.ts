import type {
  ContainerDefinition,
  ContainerOverride,
  LogConfiguration,
  NetworkBinding,
  TaskDefinition,
  TaskOverride,
  Volume,
} from '@aws-sdk/client-ecs';
import { METADATA_MOUNT } from './metadata/layout.js';
import { HOLDER_RESPONDER_COMMAND } from './metadata/responder.js';
import type { ContainerSpec, HostSpec, PortBindingSpec } from './runtime/runtime.js';

// A task definition (plus overrides and what the engine decided: names,
// ports, volumes) → the Docker create body of each container, for every
// field of a container definition. Pure: files are read through the given
// `readTextFile`, nothing else touches the world. Whatever berth cannot
// apply is thrown as an Error whose message becomes the task's stoppedReason;
// nothing is dropped silently.

export const ECS_LABELS = {
  taskArn: 'com.amazonaws.ecs.task-arn',
  containerName: 'com.amazonaws.ecs.container-name',
  family: 'com.amazonaws.ecs.task-definition-family',
  version: 'com.amazonaws.ecs.task-definition-version',
  cluster: 'com.amazonaws.ecs.cluster',
} as const;

/** The ECS agent's name for its pause container; berth's namespace holder goes by it too. */
export const HOLDER_CONTAINER_NAME = '~internal~ecs~pause';

/** The holder's process: sleeps forever, reaps orphans of a shared pid namespace, exits at once on SIGTERM. */
export const HOLDER_COMMAND = ['/bin/sh', '-c', "trap 'exit 0' TERM INT; while :; do sleep 2147483647 & wait $!; done"];

export const MIB = 1024 * 1024;
/** Docker refuses smaller memory limits. */
const DOCKER_MIN_MEMORY_MIB = 6;
const NANO = 1e9;
/** ECS's healthCheck defaults (seconds / count). */
const HEALTH_DEFAULTS = { interval: 30, timeout: 5, retries: 3 };

export type NetworkMode = 'bridge' | 'host' | 'awsvpc' | 'none';
export type Protocol = 'tcp' | 'udp';

/** One published port (or a containerPortRange) a container asks for. */
export interface PortRequest {
  protocol: Protocol;
  /** The first container port. */
  containerPort: number;
  /** 1, or the length of a containerPortRange. */
  count: number;
  /** A fixed host port (first of the block); absent → the engine allots one from the ephemeral range. */
  hostPort?: number;
  /** Came from `containerPortRange`. */
  range: boolean;
}

/** A port request with its host port(s) decided: `hostPort … hostPort+count-1`. */
export interface PortAllotment extends PortRequest {
  hostPort: number;
}

export interface TaskVolume {
  name: string;
  /** bind: a host path; task: created for the task and removed with it; shared: outlives tasks. */
  kind: 'bind' | 'task' | 'shared';
  sourcePath?: string;
  driver: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
  autoprovision: boolean;
}

export interface ConfigContext {
  taskArn: string;
  clusterName: string;
  taskDefinition: TaskDefinition;
  overrides: TaskOverride;
  /** Task-level cpu units and MiB, after overrides. */
  taskCpu?: string;
  taskMemory?: string;
  /** awsvpc: the task's own address. */
  taskAddress?: string;
  /** bridge: where container ports are published (the instance's address). */
  hostAddress: string;
  /** Docker name of every container of the task, the holder under HOLDER_CONTAINER_NAME. */
  dockerNames: Readonly<Record<string, string>>;
  /** Docker volume names of the task-scoped volumes, by task volume name. */
  volumeNames: Readonly<Record<string, string>>;
  /** bridge: the host ports allotted to each container. */
  ports: Readonly<Record<string, PortAllotment[]>>;
  /** Extra labels on everything the engine creates. */
  labels?: Readonly<Record<string, string>>;
  /** Extra environment the agent injects (metadata endpoint, …); it wins over the definition's. */
  environment?: (containerName: string) => Record<string, string>;
  readTextFile: (path: string) => string;
  defaultStopTimeoutSeconds: number;
  /** The instance's CPU architecture as ECS names it (X86_64, ARM64); checked against runtimePlatform. */
  cpuArchitecture?: string;
  /** Turns a logConfiguration into Docker's LogConfig when berth can serve it (awslogs, once logs exist). */
  mapLogConfiguration?: (lc: LogConfiguration) => HostSpec['LogConfig'] | undefined;
  /** The task's metadata directory on the host: the holder mounts it and runs the metadata responder. */
  metadataDir?: string;
}

export function networkModeOf(td: TaskDefinition): NetworkMode {
  const m = td.networkMode ?? 'bridge';
  if (m === 'bridge' || m === 'host' || m === 'awsvpc' || m === 'none') return m;
  throw new Error(`networkMode ${m} is not supported on Linux container instances`);
}

/** A task needs a namespace holder for awsvpc (network) and for pidMode/ipcMode `task`. */
export function needsNamespaceHolder(td: TaskDefinition): boolean {
  return networkModeOf(td) === 'awsvpc' || td.pidMode === 'task' || td.ipcMode === 'task';
}

/** `ecs-<family>-<revision>-<name>-<hex>`, as the ECS agent names containers (only [A-Za-z0-9-] of the name kept). */
export function dockerContainerName(family: string, revision: number, containerName: string, hex: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9-]/g, '');
  return `ecs-${clean(family)}-${revision}-${clean(containerName)}-${hex}`;
}

export function containerDefinition(td: TaskDefinition, name: string): ContainerDefinition {
  const def = (td.containerDefinitions ?? []).find((c) => c.name === name);
  if (!def) throw new Error(`container ${name} is not in task definition ${td.family}:${td.revision}`);
  return def;
}

function containerOverride(overrides: TaskOverride, name: string): ContainerOverride | undefined {
  return overrides.containerOverrides?.find((o) => o.name === name);
}

// ---------------------------------------------------------------- ports

export function portRequests(def: ContainerDefinition, mode: NetworkMode): PortRequest[] {
  const out: PortRequest[] = [];
  for (const pm of def.portMappings ?? []) {
    const protocol = (pm.protocol ?? 'tcp') as Protocol;
    if (protocol !== 'tcp' && protocol !== 'udp') throw new Error(`portMappings of container ${def.name}: protocol ${protocol} is not tcp or udp`);
    if (mode === 'none') throw new Error(`container ${def.name} has portMappings, but the task's networkMode is none`);
    if (pm.containerPortRange) {
      if (mode !== 'bridge' && mode !== 'awsvpc') throw new Error(`containerPortRange of container ${def.name} needs networkMode bridge or awsvpc`);
      const m = /^(\d+)-(\d+)$/.exec(pm.containerPortRange);
      const from = m ? Number(m[1]) : NaN;
      const to = m ? Number(m[2]) : NaN;
      if (!m || !validPort(from) || !validPort(to) || to <= from) {
        throw new Error(`containerPortRange ${pm.containerPortRange} of container ${def.name} is not a range like 8000-8010`);
      }
      if (pm.hostPort) throw new Error(`container ${def.name}: a portMapping with containerPortRange cannot set hostPort`);
      out.push({ protocol, containerPort: from, count: to - from + 1, range: true });
      continue;
    }
    const containerPort = pm.containerPort;
    if (containerPort === undefined || !validPort(containerPort)) {
      throw new Error(`portMappings of container ${def.name}: containerPort ${String(containerPort)} is not a port number`);
    }
    const hostPort = pm.hostPort || undefined;
    if (hostPort !== undefined && !validPort(hostPort)) throw new Error(`portMappings of container ${def.name}: hostPort ${hostPort} is not a port number`);
    if ((mode === 'host' || mode === 'awsvpc') && hostPort !== undefined && hostPort !== containerPort) {
      throw new Error(`container ${def.name}: in networkMode ${mode} hostPort must equal containerPort (${hostPort} ≠ ${containerPort})`);
    }
    out.push({ protocol, containerPort, count: 1, hostPort: mode === 'bridge' ? hostPort : containerPort, range: false });
  }
  const seen = new Set<string>();
  for (const r of out) {
    for (let i = 0; i < r.count; i++) {
      const key = `${r.containerPort + i}/${r.protocol}`;
      if (seen.has(key)) throw new Error(`container ${def.name} maps container port ${key} twice`);
      seen.add(key);
    }
  }
  return out;
}

function validPort(p: number): boolean {
  return Number.isInteger(p) && p >= 1 && p <= 65535;
}

/** What ECS reports as a container's networkBindings. */
export function networkBindings(allotted: readonly PortAllotment[], bindIP: string): NetworkBinding[] {
  return allotted.map((a) =>
    a.range
      ? {
          bindIP,
          protocol: a.protocol,
          containerPortRange: `${a.containerPort}-${a.containerPort + a.count - 1}`,
          hostPortRange: `${a.hostPort}-${a.hostPort + a.count - 1}`,
        }
      : { bindIP, containerPort: a.containerPort, hostPort: a.hostPort, protocol: a.protocol },
  );
}

function publish(allotted: readonly PortAllotment[], hostIp: string, into: { ports: Record<string, PortBindingSpec[]>; exposed: Record<string, Record<string, never>> }, owner: string): void {
  for (const a of allotted) {
    for (let i = 0; i < a.count; i++) {
      const key = `${a.containerPort + i}/${a.protocol}`;
      if (into.ports[key]) throw new Error(`container port ${key} is published twice in the task (again by container ${owner})`);
      into.ports[key] = [{ HostIp: hostIp, HostPort: String(a.hostPort + i) }];
      into.exposed[key] = {};
    }
  }
}

/** awsvpc: every container port, published by the holder on the task's address with hostPort = containerPort. */
export function awsvpcAllotments(def: ContainerDefinition): PortAllotment[] {
  return portRequests(def, 'awsvpc').map((r) => ({ ...r, hostPort: r.containerPort }));
}

// ---------------------------------------------------------------- volumes

export function taskVolumes(td: TaskDefinition): TaskVolume[] {
  return (td.volumes ?? []).map((v) => taskVolume(v));
}

function taskVolume(v: Volume): TaskVolume {
  const name = v.name;
  if (!name) throw new Error('a volume of the task definition has no name');
  if (v.efsVolumeConfiguration) throw new Error(`volume ${name}: EFS volumes need Amazon EFS, which berth does not have`);
  if (v.fsxWindowsFileServerVolumeConfiguration) throw new Error(`volume ${name}: FSx for Windows File Server volumes are not supported on Linux container instances`);
  if (v.configuredAtLaunch) throw new Error(`volume ${name}: volumes configured at launch need Amazon EBS, which berth does not have`);
  const dvc = v.dockerVolumeConfiguration;
  if (dvc && v.host?.sourcePath) throw new Error(`volume ${name} sets both host and dockerVolumeConfiguration`);
  if (v.host?.sourcePath) {
    if (!v.host.sourcePath.startsWith('/')) throw new Error(`volume ${name}: host.sourcePath ${v.host.sourcePath} is not an absolute path`);
    return { name, kind: 'bind', sourcePath: v.host.sourcePath, driver: 'local', driverOpts: {}, labels: {}, autoprovision: false };
  }
  if (!dvc) return { name, kind: 'task', driver: 'local', driverOpts: {}, labels: {}, autoprovision: true };
  const scope = dvc.scope ?? 'task';
  if (scope !== 'task' && scope !== 'shared') throw new Error(`volume ${name}: scope ${String(scope)} is not task or shared`);
  if (scope === 'task' && dvc.autoprovision) throw new Error(`volume ${name}: autoprovision applies only to shared volumes`);
  return {
    name,
    kind: scope,
    driver: dvc.driver ?? 'local',
    driverOpts: dvc.driverOpts ?? {},
    labels: dvc.labels ?? {},
    autoprovision: scope === 'task' || Boolean(dvc.autoprovision),
  };
}

/** Why an existing shared volume does not fit its definition, if it does not. */
export function sharedVolumeMismatch(v: TaskVolume, existing: { driver: string; labels: Record<string, string> }): string | undefined {
  if (existing.driver !== v.driver) return `shared volume ${v.name} exists with driver ${existing.driver}, not ${v.driver}`;
  for (const [k, val] of Object.entries(v.labels)) {
    if (existing.labels[k] !== val) return `shared volume ${v.name} exists without label ${k}=${val}`;
  }
  return undefined;
}

// ---------------------------------------------------------------- limits

export interface ContainerLimits {
  memoryBytes?: number;
  nanoCpus?: number;
}

/**
 * Task-level cpu/memory as per-container limits whose sum never exceeds the
 * task's: ECS puts a task cgroup around the containers; berth, without one,
 * splits the task's budget. Containers with their own hard `memory` keep it;
 * the rest of the task memory is shared by the others, each getting at least
 * its memoryReservation. CPU is capped with NanoCpus in proportion to each
 * container's `cpu` (containers without one share what the others leave).
 */
export function taskLimits(td: TaskDefinition, overrides: TaskOverride, taskCpu?: string, taskMemory?: string): Record<string, ContainerLimits> {
  const defs = td.containerDefinitions ?? [];
  const out: Record<string, ContainerLimits> = Object.fromEntries(defs.map((d) => [d.name ?? '', {}]));
  const eff = defs.map((d) => {
    const ov = containerOverride(overrides, d.name ?? '');
    return { name: d.name ?? '', cpu: ov?.cpu ?? d.cpu ?? 0, memory: ov?.memory ?? d.memory, reservation: ov?.memoryReservation ?? d.memoryReservation };
  });
  const mem = parseTaskSize(taskMemory, 'memory');
  if (mem !== undefined) {
    const hard = eff.reduce((s, c) => s + (c.memory ?? 0), 0);
    if (hard > mem) throw new Error(`the containers' memory (${hard} MiB) exceeds the task's memory (${mem} MiB)`);
    const open = eff.filter((c) => c.memory === undefined);
    const reserved = open.reduce((s, c) => s + (c.reservation ?? 0), 0);
    const free = mem - hard;
    if (open.length && reserved > free) {
      throw new Error(`the task's memory (${mem} MiB) cannot hold the memoryReservation of its containers (${reserved} MiB beyond ${hard} MiB of hard limits)`);
    }
    const leftoverBytes = (free - reserved) * MIB;
    for (const c of eff) {
      if (c.memory !== undefined) {
        out[c.name]!.memoryBytes = c.memory * MIB;
        continue;
      }
      const bytes = (c.reservation ?? 0) * MIB + Math.floor(leftoverBytes / open.length);
      if (bytes < DOCKER_MIN_MEMORY_MIB * MIB) {
        throw new Error(`the task's memory (${mem} MiB) leaves container ${c.name} less than ${DOCKER_MIN_MEMORY_MIB} MiB; give it a memory value`);
      }
      out[c.name]!.memoryBytes = bytes;
    }
  }
  const cpu = parseTaskSize(taskCpu, 'cpu');
  if (cpu !== undefined) {
    const given = eff.reduce((s, c) => s + c.cpu, 0);
    if (given > cpu) throw new Error(`the containers' cpu (${given} units) exceeds the task's cpu (${cpu} units)`);
    const zero = eff.filter((c) => !c.cpu).length;
    const zeroWeight = zero ? Math.max((cpu - given) / zero, 2) : 0;
    const weights = eff.map((c) => (c.cpu ? c.cpu : zeroWeight));
    const total = weights.reduce((s, w) => s + w, 0);
    eff.forEach((c, i) => {
      // Docker's floor is 0.01 CPU.
      out[c.name]!.nanoCpus = Math.max(1e7, Math.floor(((cpu / 1024) * NANO * weights[i]!) / total));
    });
  }
  return out;
}

function parseTaskSize(v: string | undefined, what: 'cpu' | 'memory'): number | undefined {
  if (v === undefined || v === '') return undefined;
  const s = v.trim();
  let n: number;
  if (/^\d+$/.test(s)) n = Number(s);
  else if (what === 'cpu' && /^\d+(\.\d+)?\s*vcpu$/i.test(s)) n = Math.round(parseFloat(s) * 1024);
  else if (what === 'memory' && /^\d+(\.\d+)?\s*gb$/i.test(s)) n = Math.round(parseFloat(s) * 1024);
  else throw new Error(`task ${what} ${v} is not a number`);
  if (n <= 0) throw new Error(`task ${what} ${v} must be positive`);
  return n;
}

// ---------------------------------------------------------------- environment

export function environmentOf(ctx: ConfigContext, def: ContainerDefinition, ov: ContainerOverride | undefined): string[] {
  const env = new Map<string, string>();
  for (const f of ov?.environmentFiles ?? def.environmentFiles ?? []) {
    for (const [k, v] of readEnvironmentFile(f.value ?? '', f.type, ctx.readTextFile)) env.set(k, v);
  }
  for (const kv of def.environment ?? []) if (kv.name) env.set(kv.name, kv.value ?? '');
  for (const kv of ov?.environment ?? []) if (kv.name) env.set(kv.name, kv.value ?? '');
  for (const [k, v] of Object.entries(ctx.environment?.(def.name ?? '') ?? {})) env.set(k, v);
  return [...env].map(([k, v]) => `${k}=${v}`);
}

function readEnvironmentFile(value: string, type: string | undefined, read: (p: string) => string): Array<[string, string]> {
  if (value.startsWith('arn:')) {
    if (/^arn:[^:]+:s3:::/.test(value)) throw new Error(`environmentFiles from S3 need the S3 service, which berth does not have yet (${value})`);
    throw new Error(`environmentFiles: ${value} is not an S3 object ARN`);
  }
  if (type !== undefined && type !== 's3') throw new Error(`environmentFiles: type ${type} is not s3`);
  if (!value.startsWith('/')) throw new Error(`environmentFiles: ${value} is neither an S3 object ARN nor an absolute path on the container instance`);
  let text: string;
  try {
    text = read(value);
  } catch (e) {
    throw new Error(`environmentFiles: cannot read ${value}: ${(e as Error).message}`);
  }
  const out: Array<[string, string]> = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || line.trimStart().startsWith('#')) return;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`environmentFiles: ${value} line ${i + 1} is not VARIABLE=VALUE`);
    out.push([line.slice(0, eq), line.slice(eq + 1)]);
  });
  return out;
}

// ---------------------------------------------------------------- the create bodies

const IPC_SYSCTL = /^(kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)|fs\.mqueue\.)/;

function ecsLabels(ctx: ConfigContext, containerName: string): Record<string, string> {
  return {
    [ECS_LABELS.taskArn]: ctx.taskArn,
    [ECS_LABELS.containerName]: containerName,
    [ECS_LABELS.family]: ctx.taskDefinition.family ?? '',
    [ECS_LABELS.version]: String(ctx.taskDefinition.revision ?? ''),
    [ECS_LABELS.cluster]: ctx.clusterName,
  };
}

/** Checks the task-wide settings berth cannot honour. */
export function checkTaskDefinition(ctx: ConfigContext): void {
  const td = ctx.taskDefinition;
  const mode = networkModeOf(td);
  if (!td.containerDefinitions?.length) throw new Error('the task definition has no containers');
  if (td.proxyConfiguration) throw new Error('proxyConfiguration (App Mesh) is not supported by berth');
  if (td.inferenceAccelerators?.length) throw new Error('inferenceAccelerators (Elastic Inference) are not supported by berth');
  if (td.pidMode && td.pidMode !== 'host' && td.pidMode !== 'task') throw new Error(`pidMode ${td.pidMode} is not host or task`);
  if (td.ipcMode && !['host', 'task', 'none'].includes(td.ipcMode)) throw new Error(`ipcMode ${td.ipcMode} is not host, task or none`);
  const rp = td.runtimePlatform;
  if (rp?.operatingSystemFamily && rp.operatingSystemFamily !== 'LINUX') {
    throw new Error(`runtimePlatform.operatingSystemFamily ${rp.operatingSystemFamily} cannot run on a Linux container instance`);
  }
  if (rp?.cpuArchitecture && ctx.cpuArchitecture && rp.cpuArchitecture !== ctx.cpuArchitecture) {
    throw new Error(`runtimePlatform.cpuArchitecture ${rp.cpuArchitecture} does not match this container instance (${ctx.cpuArchitecture})`);
  }
  if (mode === 'awsvpc' && !ctx.taskAddress) throw new Error('an awsvpc task needs its own address, and none was assigned');
  const names = new Set<string>();
  for (const d of td.containerDefinitions) {
    if (!d.name) throw new Error('a container definition has no name');
    if (names.has(d.name)) throw new Error(`container name ${d.name} appears twice`);
    names.add(d.name);
  }
  if (!td.containerDefinitions.some((d) => d.essential !== false)) throw new Error('the task definition has no essential container');
  for (const ov of ctx.overrides.containerOverrides ?? []) {
    if (ov.name && !names.has(ov.name)) throw new Error(`containerOverrides names container ${ov.name}, which is not in the task definition`);
  }
  taskVolumes(td);
  taskLimits(td, ctx.overrides, ctx.taskCpu, ctx.taskMemory);
}

export function containerSpec(ctx: ConfigContext, containerName: string): ContainerSpec {
  const td = ctx.taskDefinition;
  const mode = networkModeOf(td);
  const def = containerDefinition(td, containerName);
  const ov = containerOverride(ctx.overrides, containerName);
  const name = def.name!;
  const holder = ctx.dockerNames[HOLDER_CONTAINER_NAME];
  const dockerName = ctx.dockerNames[name];
  if (!dockerName) throw new Error(`container ${name} has no Docker name`);
  if (!def.image) throw new Error(`container ${name} has no image`);

  unsupported(def);

  const host: HostSpec = {};
  const spec: ContainerSpec = { name: dockerName, Image: def.image, Labels: {}, HostConfig: host };

  // Process.
  if (def.entryPoint) spec.Entrypoint = def.entryPoint;
  const command = ov?.command ?? def.command;
  if (command) spec.Cmd = command;
  if (def.workingDirectory) spec.WorkingDir = def.workingDirectory;
  if (def.user) spec.User = def.user;
  spec.Env = environmentOf(ctx, def, ov);
  if (def.interactive) spec.OpenStdin = true;
  if (def.pseudoTerminal) spec.Tty = true;
  spec.StopTimeout = def.stopTimeout ?? ctx.defaultStopTimeoutSeconds;
  spec.Labels = { ...(def.dockerLabels ?? {}), ...(ctx.labels ?? {}), ...ecsLabels(ctx, name) };

  // Resources.
  const cpu = ov?.cpu ?? def.cpu ?? 0;
  host.CpuShares = cpu <= 1 ? 2 : cpu;
  const limits = taskLimits(td, ctx.overrides, ctx.taskCpu, ctx.taskMemory)[name] ?? {};
  const memory = ov?.memory ?? def.memory;
  const reservation = ov?.memoryReservation ?? def.memoryReservation;
  if (memory !== undefined) host.Memory = memory * MIB;
  else if (limits.memoryBytes !== undefined) host.Memory = limits.memoryBytes;
  if (reservation !== undefined) {
    if (host.Memory !== undefined && reservation * MIB > host.Memory) {
      throw new Error(`container ${name}: memoryReservation (${reservation} MiB) is above its memory limit (${Math.floor(host.Memory / MIB)} MiB)`);
    }
    host.MemoryReservation = reservation * MIB;
  }
  if (limits.nanoCpus !== undefined) host.NanoCpus = limits.nanoCpus;
  for (const u of def.ulimits ?? []) {
    if (!u.name) throw new Error(`container ${name}: an ulimit has no name`);
    (host.Ulimits ??= []).push({ Name: u.name, Soft: u.softLimit ?? 0, Hard: u.hardLimit ?? 0 });
  }

  // Linux parameters.
  const lp = def.linuxParameters;
  if (lp?.capabilities?.add?.length) host.CapAdd = lp.capabilities.add;
  if (lp?.capabilities?.drop?.length) host.CapDrop = lp.capabilities.drop;
  if (lp?.initProcessEnabled) host.Init = true;
  if (lp?.sharedMemorySize !== undefined) host.ShmSize = lp.sharedMemorySize * MIB;
  for (const t of lp?.tmpfs ?? []) {
    if (!t.containerPath?.startsWith('/')) throw new Error(`container ${name}: tmpfs containerPath ${String(t.containerPath)} is not an absolute path`);
    if (!t.size || t.size <= 0) throw new Error(`container ${name}: tmpfs ${t.containerPath} needs a size in MiB`);
    (host.Tmpfs ??= {})[t.containerPath] = [`size=${t.size}m`, ...(t.mountOptions ?? [])].join(',');
  }
  for (const d of lp?.devices ?? []) {
    if (!d.hostPath) throw new Error(`container ${name}: a device has no hostPath`);
    const perms = d.permissions?.length ? d.permissions.map((p) => ({ read: 'r', write: 'w', mknod: 'm' })[p] ?? '').join('') : 'rwm';
    (host.Devices ??= []).push({ PathOnHost: d.hostPath, PathInContainer: d.containerPath ?? d.hostPath, CgroupPermissions: perms });
  }
  if (lp?.maxSwap !== undefined) {
    if (host.Memory === undefined) throw new Error(`container ${name}: linuxParameters.maxSwap needs a memory limit (memory, or the task's memory)`);
    host.MemorySwap = host.Memory + Math.max(0, lp.maxSwap) * MIB;
    host.MemorySwappiness = lp.swappiness ?? 60;
  } else if (lp?.swappiness !== undefined) {
    throw new Error(`container ${name}: linuxParameters.swappiness applies only together with maxSwap`);
  }

  // Security and filesystem.
  if (def.privileged) host.Privileged = true;
  if (def.readonlyRootFilesystem) host.ReadonlyRootfs = true;
  if (def.dockerSecurityOptions?.length) host.SecurityOpt = def.dockerSecurityOptions;
  for (const mp of def.mountPoints ?? []) (host.Binds ??= []).push(bindOf(ctx, name, mp.sourceVolume, mp.containerPath, mp.readOnly));
  for (const vf of def.volumesFrom ?? []) {
    const source = vf.sourceContainer ? ctx.dockerNames[vf.sourceContainer] : undefined;
    if (!source || vf.sourceContainer === HOLDER_CONTAINER_NAME) {
      throw new Error(`container ${name}: volumesFrom names container ${String(vf.sourceContainer)}, which is not in the task`);
    }
    (host.VolumesFrom ??= []).push(`${source}:${vf.readOnly ? 'ro' : 'rw'}`);
  }

  // Sysctls: network ones belong to whoever owns the network namespace, IPC ones to the IPC namespace's owner.
  for (const sc of def.systemControls ?? []) {
    if (!sc.namespace || sc.value === undefined) throw new Error(`container ${name}: a systemControl needs namespace and value`);
    const net = sc.namespace.startsWith('net.');
    const ipc = IPC_SYSCTL.test(sc.namespace);
    if (net && mode === 'host') throw new Error(`container ${name}: systemControl ${sc.namespace} cannot be set in networkMode host`);
    if (ipc && td.ipcMode === 'host') throw new Error(`container ${name}: systemControl ${sc.namespace} cannot be set with ipcMode host`);
    if ((net && mode === 'awsvpc') || (ipc && td.ipcMode === 'task')) continue; // on the holder
    (host.Sysctls ??= {})[sc.namespace] = sc.value;
  }

  // Namespaces.
  if (td.pidMode === 'host') host.PidMode = 'host';
  else if (td.pidMode === 'task') host.PidMode = `container:${required(holder)}`;
  if (td.ipcMode === 'host' || td.ipcMode === 'none') host.IpcMode = td.ipcMode;
  else if (td.ipcMode === 'task') host.IpcMode = `container:${required(holder)}`;

  // Network.
  if (def.disableNetworking) spec.NetworkDisabled = true;
  const requests = portRequests(def, mode);
  if (mode === 'awsvpc') {
    if (def.hostname) throw new Error(`container ${name}: hostname is not supported in networkMode awsvpc`);
    if (def.links?.length) throw new Error(`container ${name}: links are supported only in networkMode bridge`);
    if (def.dnsServers?.length) throw new Error(`container ${name}: dnsServers are not supported in networkMode awsvpc`);
    if (def.dnsSearchDomains?.length) throw new Error(`container ${name}: dnsSearchDomains are not supported in networkMode awsvpc`);
    if (def.extraHosts?.length) throw new Error(`container ${name}: extraHosts are not supported in networkMode awsvpc`);
    host.NetworkMode = `container:${required(holder)}`;
  } else {
    host.NetworkMode = mode;
    if (def.hostname) spec.Hostname = def.hostname;
    if (def.dnsServers?.length) host.Dns = def.dnsServers;
    if (def.dnsSearchDomains?.length) host.DnsSearch = def.dnsSearchDomains;
    for (const h of def.extraHosts ?? []) {
      if (!h.hostname || !h.ipAddress) throw new Error(`container ${name}: an extraHosts entry needs hostname and ipAddress`);
      (host.ExtraHosts ??= []).push(`${h.hostname}:${h.ipAddress}`);
    }
    if (def.links?.length && mode !== 'bridge') throw new Error(`container ${name}: links are supported only in networkMode bridge`);
    for (const link of def.links ?? []) {
      const [target, alias] = link.split(':');
      const targetName = target ? ctx.dockerNames[target] : undefined;
      if (!targetName || target === HOLDER_CONTAINER_NAME || target === name) {
        throw new Error(`container ${name}: link ${link} names no other container of the task`);
      }
      (host.Links ??= []).push(`${targetName}:${alias || target}`);
    }
    if (mode === 'bridge' && requests.length) {
      const allotted = ctx.ports[name] ?? [];
      if (allotted.length !== requests.length) throw new Error(`container ${name}: host ports were not allotted`);
      const into = { ports: {} as Record<string, PortBindingSpec[]>, exposed: {} as Record<string, Record<string, never>> };
      publish(allotted, ctx.hostAddress, into, name);
      host.PortBindings = into.ports;
      spec.ExposedPorts = into.exposed;
    }
  }

  // Health check.
  const hc = def.healthCheck;
  if (hc) {
    const cmd = hc.command ?? [];
    if (cmd[0] !== 'CMD' && cmd[0] !== 'CMD-SHELL') throw new Error(`container ${name}: healthCheck.command must start with CMD or CMD-SHELL`);
    if (cmd.length < 2) throw new Error(`container ${name}: healthCheck.command has nothing to run`);
    spec.Healthcheck = {
      Test: cmd,
      Interval: (hc.interval ?? HEALTH_DEFAULTS.interval) * NANO,
      Timeout: (hc.timeout ?? HEALTH_DEFAULTS.timeout) * NANO,
      Retries: hc.retries ?? HEALTH_DEFAULTS.retries,
      StartPeriod: (hc.startPeriod ?? 0) * NANO,
    };
  }

  // Logging.
  const lc = def.logConfiguration;
  if (lc) host.LogConfig = logConfig(ctx, name, lc);
  return spec;
}

/**
 * The holder: owns the task's network namespace (awsvpc: publishes every
 * container port on the task's address) and the pid/ipc namespaces of `task`
 * modes; with a metadata directory it also runs the metadata responder on
 * the namespace's 127.0.0.1, up before any container of the task starts.
 */
export function holderSpec(ctx: ConfigContext, image: string): ContainerSpec {
  const td = ctx.taskDefinition;
  const mode = networkModeOf(td);
  const dockerName = required(ctx.dockerNames[HOLDER_CONTAINER_NAME]);
  const host: HostSpec = { NetworkMode: mode === 'awsvpc' ? 'bridge' : 'none' };
  const spec: ContainerSpec = {
    name: dockerName,
    Image: image,
    Cmd: ctx.metadataDir ? HOLDER_RESPONDER_COMMAND : HOLDER_COMMAND,
    Labels: { ...(ctx.labels ?? {}), ...ecsLabels(ctx, HOLDER_CONTAINER_NAME) },
    StopTimeout: 10,
    HostConfig: host,
  };
  if (ctx.metadataDir) host.Binds = [`${ctx.metadataDir}:${METADATA_MOUNT}:ro`];
  if (td.ipcMode === 'task') host.IpcMode = 'shareable';
  if (mode === 'awsvpc') {
    const into = { ports: {} as Record<string, PortBindingSpec[]>, exposed: {} as Record<string, Record<string, never>> };
    for (const def of td.containerDefinitions ?? []) publish(awsvpcAllotments(def), required(ctx.taskAddress), into, def.name ?? '');
    if (Object.keys(into.ports).length) {
      host.PortBindings = into.ports;
      spec.ExposedPorts = into.exposed;
    }
  }
  // ECS: in a shared namespace, the systemControls of the container listed last win.
  for (const def of td.containerDefinitions ?? []) {
    for (const sc of def.systemControls ?? []) {
      if (!sc.namespace || sc.value === undefined) continue;
      if ((sc.namespace.startsWith('net.') && mode === 'awsvpc') || (IPC_SYSCTL.test(sc.namespace) && td.ipcMode === 'task')) {
        (host.Sysctls ??= {})[sc.namespace] = sc.value;
      }
    }
  }
  return spec;
}

function bindOf(ctx: ConfigContext, container: string, sourceVolume: string | undefined, containerPath: string | undefined, readOnly: boolean | undefined): string {
  const vol = (ctx.taskDefinition.volumes ?? []).find((v) => v.name === sourceVolume);
  if (!vol) throw new Error(`container ${container}: mountPoint names volume ${String(sourceVolume)}, which the task definition does not declare`);
  if (!containerPath?.startsWith('/')) throw new Error(`container ${container}: mountPoint containerPath ${String(containerPath)} is not an absolute path`);
  const tv = taskVolume(vol);
  let source: string;
  if (tv.kind === 'bind') source = tv.sourcePath!;
  else if (tv.kind === 'shared') source = tv.name;
  else {
    const n = ctx.volumeNames[tv.name];
    if (!n) throw new Error(`volume ${tv.name} has no Docker volume`);
    source = n;
  }
  return `${source}:${containerPath}${readOnly ? ':ro' : ''}`;
}

function logConfig(ctx: ConfigContext, container: string, lc: LogConfiguration): HostSpec['LogConfig'] {
  if (lc.secretOptions?.length) throw new Error(`container ${container}: logConfiguration.secretOptions need Secrets Manager or SSM Parameter Store, which berth does not have yet`);
  // The engine maps what it serves itself (awslogs: json-file, which its log shipper follows); bad options throw Docker's text.
  let mapped: HostSpec['LogConfig'] | undefined;
  try {
    mapped = ctx.mapLogConfiguration?.(lc);
  } catch (e) {
    throw new Error(`container ${container}: logConfiguration ${String(lc.logDriver)}: ${(e as Error).message}`);
  }
  if (mapped) return mapped;
  switch (lc.logDriver) {
    case 'awslogs':
      throw new Error(`container ${container}: the awslogs log driver needs CloudWatch Logs, which this agent runs without`);
    case 'awsfirelens':
      throw new Error(`container ${container}: the awsfirelens log driver (FireLens) is not supported by berth`);
    case undefined:
      throw new Error(`container ${container}: logConfiguration has no logDriver`);
    default:
      return { Type: lc.logDriver, Config: lc.options ?? {} };
  }
}

/** Container definition fields berth has no way to honour yet. */
function unsupported(def: ContainerDefinition): void {
  const name = def.name;
  if (def.secrets?.length) throw new Error(`container ${name}: secrets need Secrets Manager or SSM Parameter Store, which berth does not have yet`);
  if (def.repositoryCredentials?.credentialsParameter) {
    throw new Error(`container ${name}: repositoryCredentials need Secrets Manager, which berth does not have yet`);
  }
  for (const r of def.resourceRequirements ?? []) {
    throw new Error(`container ${name}: resourceRequirements of type ${String(r.type)} (accelerators) are not supported by berth`);
  }
  if (def.firelensConfiguration) throw new Error(`container ${name}: firelensConfiguration is not supported by berth`);
  if (def.credentialSpecs?.length) throw new Error(`container ${name}: credentialSpecs (Active Directory) are not supported on Linux container instances by berth`);
  if (def.restartPolicy?.enabled) throw new Error(`container ${name}: restartPolicy is not supported by berth yet`);
}

function required(v: string | undefined): string {
  if (!v) throw new Error('the task has no namespace holder, yet its settings need one');
  return v;
}
