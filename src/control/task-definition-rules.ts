import type {
  ContainerDefinition,
  HealthCheck,
  PortMapping,
  RegisterTaskDefinitionCommandInput,
  Volume,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../gateway/errors.js';
import { checkTags } from './tags.js';

// The semantic rules ECS applies to RegisterTaskDefinition after the request
// has passed the model's type, enum and length checks. Pure: one input in, the
// normalised input out (task cpu/memory as the plain unit strings ECS stores,
// health-check defaults filled in), or the first problem as an AwsError.
//
// Where ECS's own wording is known (from error reports against the real
// service) it is reproduced byte for byte, quirks included, because clients
// and people search for those strings; those messages are marked "ECS text".
// The rest follow the same style and always name the field and the container.

type Container = ContainerDefinition;
type NetworkMode = 'bridge' | 'host' | 'awsvpc' | 'none';

const NAME = /^[a-zA-Z0-9_-]+$/;
const MAX_NAME = 255;
const MAX_CONTAINERS = 10;
const MAX_TASK_DEFINITION_BYTES = 65536;
/** Docker 20.10+ refuses containers with less memory than this (it was 4 MiB before). */
const MIN_CONTAINER_MEMORY_MIB = 6;
const EC2_TASK_CPU = { min: 128, max: 196608 };
const FARGATE_MAX_STOP_TIMEOUT = 120;
const EPHEMERAL_STORAGE_GIB = { min: 21, max: 200 };
const MAX_PORT_RANGES_PER_CONTAINER = 100;

const HEALTH_CHECK_LIMITS = {
  interval: { min: 5, max: 300, fallback: 30, unit: ' seconds' },
  timeout: { min: 2, max: 120, fallback: 5, unit: ' seconds' },
  retries: { min: 1, max: 10, fallback: 3, unit: '' },
  startPeriod: { min: 0, max: 300, fallback: undefined, unit: ' seconds' },
} as const;

/** Docker's ulimit names (`man setrlimit` without the RLIMIT_ prefix). */
export const ULIMIT_NAMES: readonly string[] = [
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice',
  'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
];

export const LOG_DRIVERS: readonly string[] = [
  'json-file', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'awsfirelens',
];

/**
 * Fargate task sizes: CPU units → allowed memory in MiB, from the ECS
 * Developer Guide's task size table. Windows Fargate only offers 1, 2 and 4 vCPU.
 */
export const FARGATE_TASK_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, steps(1024, 4096, 1024)],
  [1024, steps(2048, 8192, 1024)],
  [2048, steps(4096, 16384, 1024)],
  [4096, steps(8192, 30720, 1024)],
  [8192, steps(16384, 61440, 4096)],
  [16384, steps(32768, 122880, 8192)],
]);
const FARGATE_WINDOWS_CPUS = new Set([1024, 2048, 4096]);

function steps(from: number, to: number, by: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += by) out.push(v);
  return out;
}

export function isFargateTaskSize(cpu: number, memory: number, windows = false): boolean {
  if (windows && !FARGATE_WINDOWS_CPUS.has(cpu)) return false;
  return FARGATE_TASK_SIZES.get(cpu)?.includes(memory) ?? false;
}

function fail(message: string, code = 'ClientException'): never {
  throw new AwsError(code, message);
}

/** What every rule needs to know about the task as a whole. */
interface TaskFacts {
  input: RegisterTaskDefinitionCommandInput;
  containers: Container[];
  byName: Map<string, Container>;
  networkMode: NetworkMode;
  fargate: boolean;
  external: boolean;
  cpu: number | undefined;
  memory: number | undefined;
}

export function checkTaskDefinition(input: RegisterTaskDefinitionCommandInput): RegisterTaskDefinitionCommandInput {
  checkSize(input);
  checkFamily(input.family);
  const containers = checkContainerList(input.containerDefinitions);
  const byName = checkContainerNames(containers);
  checkImages(containers);
  checkEssential(containers);
  const facts: TaskFacts = {
    input,
    containers,
    byName,
    networkMode: input.networkMode ?? 'bridge',
    fargate: input.requiresCompatibilities?.includes('FARGATE') ?? false,
    external: input.requiresCompatibilities?.includes('EXTERNAL') ?? false,
    cpu: parseTaskCpu(input.cpu),
    memory: parseTaskMemory(input.memory),
  };
  checkTaskCpuRange(facts);
  checkFargate(facts);
  checkExternal(facts);
  checkContainerMemory(facts);
  checkContainerCpu(facts);
  checkLinks(facts);
  checkHostnames(facts);
  checkPortMappings(facts);
  checkVolumes(facts);
  checkMountPoints(facts);
  checkVolumesFrom(facts);
  checkDependsOn(facts);
  checkHealthChecks(facts);
  checkUlimits(facts);
  checkLinuxParameters(facts);
  checkLogConfiguration(facts);
  checkFirelens(facts);
  checkTimeouts(facts);
  checkRestartPolicies(facts);
  checkEphemeralStorage(facts);
  checkProxyConfiguration(facts);
  // One catalogue of tag rules, shared with TagResource.
  checkTags(input.tags);
  return normalise(facts);
}

// ── the request as a whole ──────────────────────────────────────────────────

function checkSize(input: RegisterTaskDefinitionCommandInput): void {
  const bytes = Buffer.byteLength(JSON.stringify(input), 'utf8');
  // ECS text.
  if (bytes > MAX_TASK_DEFINITION_BYTES) fail(`Actual length: '${bytes}'. Max allowed length is '${MAX_TASK_DEFINITION_BYTES}' bytes.`);
}

function checkFamily(family: string | undefined): void {
  if (!family) fail('Family can not be blank.'); // ECS text.
  if (!NAME.test(family)) fail('Family contains invalid characters.'); // ECS text.
  if (family.length > MAX_NAME) fail(`Invalid 'family' setting. The family name can have at most ${MAX_NAME} characters; it has ${family.length}.`);
}

function checkContainerList(list: Container[] | undefined): Container[] {
  if (!list || list.length === 0) fail('Container list cannot be empty.'); // ECS text.
  if (list.length > MAX_CONTAINERS) fail('Too many containers.'); // ECS text.
  return list;
}

function checkContainerNames(containers: Container[]): Map<string, Container> {
  const byName = new Map<string, Container>();
  for (const c of containers) {
    const name = c.name;
    if (!name) fail('Container.name should not be null or empty.'); // ECS text.
    if (!NAME.test(name)) fail('Container.name contains invalid characters.'); // ECS text.
    if (name.length > MAX_NAME) fail(`Invalid setting for container '${name.slice(0, 40)}…'. 'name' can have at most ${MAX_NAME} characters.`);
    if (byName.has(name)) fail('Container names must be unique within a Task Definition.'); // ECS text.
    byName.set(name, c);
  }
  return byName;
}

function checkImages(containers: Container[]): void {
  for (const c of containers) {
    if (!c.image?.trim()) fail('Container.image should not be null or empty.'); // ECS text.
  }
}

function checkEssential(containers: Container[]): void {
  // `essential` defaults to true, so only an explicit false on every container fails.
  if (!containers.some((c) => c.essential !== false)) fail("Task definition doesn't have any essential container."); // ECS text.
}

// ── task size ───────────────────────────────────────────────────────────────

/** "1024", "1 vCPU", "0.25 vcpu" → CPU units; undefined when absent. */
export function parseTaskCpu(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const units = parseQuantity(value, { '': 1, vcpu: 1024 });
  // ECS text (the AWS troubleshooting guide quotes it for any unusable value).
  if (units === undefined || units <= 0) fail("Invalid 'cpu' setting for task.");
  return units;
}

/** "512", "2 GB", "1GB", "512 MiB" → MiB; undefined when absent. */
export function parseTaskMemory(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const mib = parseQuantity(value, { '': 1, mb: 1, mib: 1, gb: 1024, gib: 1024 });
  if (mib === undefined || mib <= 0) fail("Invalid 'memory' setting for task.");
  return mib;
}

/** A decimal number with an optional unit; undefined unless it comes to a whole number. */
function parseQuantity(value: string, units: Record<string, number>): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!m) return undefined;
  const factor = units[m[2]!.toLowerCase()];
  if (factor === undefined) return undefined;
  const result = Number(m[1]) * factor;
  // 0.3 vCPU would be 307.2 units: ECS stores whole units, so refuse rather than round.
  return Number.isInteger(result) ? result : undefined;
}

function checkTaskCpuRange(t: TaskFacts): void {
  // Fargate has its own table; the EC2/external range applies to everything else.
  if (t.fargate || t.cpu === undefined) return;
  if (t.cpu < EC2_TASK_CPU.min || t.cpu > EC2_TASK_CPU.max) fail("Invalid 'cpu' setting for task.");
}

// ── launch types ────────────────────────────────────────────────────────────

function checkFargate(t: TaskFacts): void {
  if (!t.fargate) return;
  const { input } = t;
  if (t.networkMode !== 'awsvpc') fail('Fargate only supports network mode ‘awsvpc’.'); // ECS text, typographic quotes and all.
  if (t.cpu === undefined) fail("Fargate requires that 'cpu' be defined at the task level."); // ECS text.
  if (t.memory === undefined) fail("Fargate requires that 'memory' be defined at the task level."); // ECS text.
  const windows = input.runtimePlatform?.operatingSystemFamily?.startsWith('WINDOWS') ?? false;
  if (!isFargateTaskSize(t.cpu, t.memory, windows)) {
    // ECS text.
    fail(`No Fargate configuration exists for given values: ${t.cpu} CPU, ${t.memory} memory. See the Amazon ECS documentation for the valid values.`);
  }
  if (input.pidMode === 'host') fail("Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'."); // ECS text.
  if (input.ipcMode !== undefined) fail('Tasks using the Fargate launch type do not support ipcMode.'); // ECS text.
  for (const v of input.volumes ?? []) {
    if (v.host?.sourcePath !== undefined) fail('Fargate compatible task definitions do not support sourcePath'); // ECS text.
    if (v.dockerVolumeConfiguration) fail('Fargate compatible task definitions do not support dockerVolumeConfiguration');
  }
  for (const c of t.containers) {
    const where = `Invalid setting for container '${c.name}'.`;
    if (c.privileged) fail(`${where} Tasks using the Fargate launch type do not support 'privileged'.`);
    if (c.dockerSecurityOptions?.length) fail(`${where} Tasks using the Fargate launch type do not support 'dockerSecurityOptions'.`);
    if (c.resourceRequirements?.some((r) => r.type === 'GPU')) fail(`${where} Tasks using the Fargate launch type do not support GPU resource requirements.`);
    const lp = c.linuxParameters;
    if (lp) {
      for (const field of ['devices', 'tmpfs', 'sharedMemorySize', 'maxSwap', 'swappiness'] as const) {
        const v = lp[field];
        // Tools often send empty lists for settings they leave alone.
        if (v !== undefined && !(Array.isArray(v) && v.length === 0)) fail(`${where} Tasks using the Fargate launch type do not support 'linuxParameters.${field}'.`);
      }
      const added = (lp.capabilities?.add ?? []).filter((cap) => cap !== 'SYS_PTRACE');
      if (added.length) fail(`${where} Tasks using the Fargate launch type can only add the SYS_PTRACE capability, not ${added.join(', ')}.`);
    }
    if (c.stopTimeout !== undefined && c.stopTimeout > FARGATE_MAX_STOP_TIMEOUT) {
      fail(`Invalid 'stopTimeout' setting for container '${c.name}'. Tasks using the Fargate launch type allow at most ${FARGATE_MAX_STOP_TIMEOUT} seconds.`);
    }
    if (c.logConfiguration?.logDriver === 'awslogs') {
      if (!c.logConfiguration.options?.['awslogs-stream-prefix']) {
        fail('Fargate requires log configuration options to include awslogs-stream-prefix to support log driver awslogs.'); // ECS text.
      }
      if (!input.executionRoleArn) fail('Fargate requires task definition to have execution role ARN to support log driver awslogs.'); // ECS text.
    }
  }
}

function checkExternal(t: TaskFacts): void {
  // ECS Anywhere instances have no ENI to give a task.
  if (t.external && t.networkMode === 'awsvpc') fail("Tasks using the EXTERNAL launch type do not support network mode 'awsvpc'. Use bridge, host or none.");
}

// ── container resources ─────────────────────────────────────────────────────

function checkContainerMemory(t: TaskFacts): void {
  for (const c of t.containers) {
    if (t.memory === undefined && c.memory === undefined && c.memoryReservation === undefined) {
      fail(`Invalid setting for container '${c.name}'. At least one of 'memory' or 'memoryReservation' must be specified.`); // ECS text.
    }
    for (const field of ['memory', 'memoryReservation'] as const) {
      const v = c[field];
      if (v !== undefined && v < MIN_CONTAINER_MEMORY_MIB) {
        fail(`Invalid '${field}' setting for container '${c.name}'. It must be at least ${MIN_CONTAINER_MEMORY_MIB} MiB, the least Docker can run a container in.`);
      }
    }
    // ECS accepts equal values (the hard limit may be the reservation).
    if (c.memory !== undefined && c.memoryReservation !== undefined && c.memoryReservation > c.memory) {
      fail(`Invalid setting for container '${c.name}'. 'memoryReservation' (${c.memoryReservation} MiB) must not be greater than 'memory' (${c.memory} MiB).`);
    }
    if (t.memory !== undefined && c.memory !== undefined && c.memory > t.memory) {
      fail(`The 'memory' setting for container '${c.name}' is greater than for the task.`); // ECS text.
    }
  }
  if (t.memory === undefined) return;
  // What a container reserves: its soft limit when it has one, else its hard limit.
  const reserved = t.containers.reduce((sum, c) => sum + (c.memoryReservation ?? c.memory ?? 0), 0);
  if (reserved > t.memory) {
    const field = t.containers.some((c) => c.memoryReservation !== undefined) ? 'memoryReservation' : 'memory';
    fail(`The sum of all container '${field}' values cannot be greater than the value of the task 'memory'.`); // ECS text (memoryReservation form).
  }
}

function checkContainerCpu(t: TaskFacts): void {
  for (const c of t.containers) {
    if (c.cpu !== undefined && c.cpu < 0) fail(`Invalid 'cpu' setting for container '${c.name}'. It must not be negative.`);
  }
  if (t.cpu === undefined) return;
  const total = t.containers.reduce((sum, c) => sum + (c.cpu ?? 0), 0);
  if (total > t.cpu) fail("The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'."); // ECS text.
}

// ── networking ──────────────────────────────────────────────────────────────

function checkLinks(t: TaskFacts): void {
  for (const c of t.containers) {
    if (!c.links?.length) continue;
    // Docker links need the default bridge; ECS refuses them anywhere else.
    if (t.networkMode !== 'bridge') fail(`Links are not supported when networkMode=${t.networkMode}.`); // ECS text (awsvpc form).
    for (const link of c.links) {
      const target = link.split(':')[0] ?? '';
      if (!t.byName.has(target)) fail(`Invalid 'links' setting for container '${c.name}'. Unknown container: '${target}'.`);
    }
  }
}

function checkHostnames(t: TaskFacts): void {
  // awsvpc containers share the task's network namespace, so there is one hostname for all.
  if (t.networkMode !== 'awsvpc') return;
  if (t.containers.some((c) => c.hostname !== undefined)) fail('hostname is not supported on container when networkMode=awsvpc.'); // ECS text.
}

function checkPortMappings(t: TaskFacts): void {
  // Host ports in use across the task, per protocol: two containers cannot bind the same one.
  const taken = { tcp: new Set<number>(), udp: new Set<number>() };
  const names = new Set<string>();
  for (const c of t.containers) {
    const mappings = c.portMappings ?? [];
    if (mappings.length && t.networkMode === 'none') {
      fail(`Invalid 'portMappings' setting for container '${c.name}'. Port mappings are not supported when networkMode=none.`);
    }
    const ranges = mappings.filter((p) => p.containerPortRange !== undefined).length;
    if (ranges > MAX_PORT_RANGES_PER_CONTAINER) {
      fail(`Invalid 'containerPortRange' setting for container '${c.name}'. A container can have at most ${MAX_PORT_RANGES_PER_CONTAINER} port ranges.`);
    }
    const containerPorts = new Set<number>();
    for (const p of mappings) {
      const protocol = p.protocol ?? 'tcp';
      for (const port of checkPortMapping(t, c, p, containerPorts)) {
        if (taken[protocol].has(port)) fail(`${protocol.toUpperCase()} host port '${port}' is mapped multiple times in task.`); // ECS text.
        taken[protocol].add(port);
      }
      if (p.name !== undefined) {
        // Service Connect refers to mappings by name, so a name must be unique in the task.
        if (!/^[a-z0-9_][a-z0-9_-]{0,63}$/.test(p.name)) {
          fail(`Invalid 'portMappings.name' setting for container '${c.name}'. '${p.name}' must be 1-64 lowercase letters, numbers, underscores and hyphens, not starting with a hyphen.`);
        }
        if (names.has(p.name)) fail(`Invalid 'portMappings.name' setting for container '${c.name}'. The name '${p.name}' is used by more than one port mapping in the task.`);
        names.add(p.name);
      }
    }
  }
}

/**
 * Checks one mapping and returns the host ports it binds statically (none for
 * bridge mode's dynamic ports). Records its container ports in `containerPorts`.
 */
function checkPortMapping(t: TaskFacts, c: Container, p: PortMapping, containerPorts: Set<number>): number[] {
  const claim = (port: number): void => {
    if (containerPorts.has(port)) {
      // Seen from ECS as InvalidParameterException; the same port for tcp and udp is refused too.
      fail(`Container port ${port} is used in more than one port mapping for container ${c.name}`, 'InvalidParameterException');
    }
    containerPorts.add(port);
  };
  if (p.containerPortRange !== undefined) {
    const m = /^(\d+)-(\d+)$/.exec(p.containerPortRange);
    const first = Number(m?.[1]);
    const last = Number(m?.[2]);
    const where = `Invalid 'containerPortRange' setting for container '${c.name}'.`;
    if (!m || first < 1 || last > 65535 || first >= last) {
      fail(`${where} '${p.containerPortRange}' must be two ports from 1 to 65535, the first lower than the last, like '8000-8010'.`);
    }
    if (t.networkMode !== 'awsvpc' && t.networkMode !== 'bridge') fail(`${where} Port ranges need network mode awsvpc or bridge, not ${t.networkMode}.`);
    if (p.containerPort !== undefined) fail(`${where} Specify either 'containerPort' or 'containerPortRange' in a port mapping, not both.`);
    if (p.hostPort !== undefined) fail(`Invalid 'hostPort' setting for container '${c.name}'. Leave 'hostPort' empty with 'containerPortRange': ECS assigns the host ports.`);
    for (let port = first; port <= last; port++) {
      if (containerPorts.has(port)) fail(`${where} Port ${port} is in more than one port mapping; ranges must not overlap.`);
      containerPorts.add(port);
    }
    // awsvpc maps a range onto the same host ports; bridge picks free ones.
    return t.networkMode === 'awsvpc' ? steps(first, last, 1) : [];
  }
  const cp = p.containerPort;
  // ECS text: also what ECS answers for a mapping with no containerPort at all.
  if (cp === undefined || !Number.isInteger(cp) || cp < 1 || cp > 65535) fail(`Invalid 'containerPort' setting for container '${c.name}'.`);
  claim(cp);
  const hp = p.hostPort;
  if (hp !== undefined && (!Number.isInteger(hp) || hp < 0 || hp > 65535)) fail(`Invalid 'hostPort' setting for container '${c.name}'.`);
  if (t.networkMode === 'awsvpc' || t.networkMode === 'host') {
    // 0 or no host port means "the container port" in these modes.
    if (hp !== undefined && hp !== 0 && hp !== cp) {
      fail(`When networkMode=${t.networkMode}, the host ports and container ports in port mappings must match.`); // ECS text (awsvpc form).
    }
    return [cp];
  }
  return hp ? [hp] : [];
}

// ── volumes ─────────────────────────────────────────────────────────────────

function checkVolumes(t: TaskFacts): void {
  const seen = new Set<string>();
  for (const v of t.input.volumes ?? []) {
    const name = v.name;
    if (!name) fail('volume.name should not be null or empty.');
    if (!NAME.test(name)) fail('volume.name contains invalid characters.'); // ECS text.
    if (name.length > MAX_NAME) fail(`Invalid 'volumes' setting. Volume name '${name.slice(0, 40)}…' has more than ${MAX_NAME} characters.`);
    if (seen.has(name)) fail(`Invalid 'volumes' setting. Duplicate volume name: '${name}'.`);
    seen.add(name);
    checkEfsVolume(v);
  }
}

function checkEfsVolume(v: Volume): void {
  const efs = v.efsVolumeConfiguration;
  if (!efs) return;
  const where = `Invalid 'efsVolumeConfiguration' setting for volume '${v.name}'.`;
  const encrypted = efs.transitEncryption === 'ENABLED';
  // Both are documented preconditions: IAM authorization and access points ride on TLS.
  if (efs.authorizationConfig?.iam === 'ENABLED' && !encrypted) fail(`${where} IAM authorization requires 'transitEncryption' ENABLED.`);
  if (efs.authorizationConfig?.accessPointId) {
    if (!encrypted) fail(`${where} An access point requires 'transitEncryption' ENABLED.`);
    if (efs.rootDirectory !== undefined && efs.rootDirectory !== '/') fail(`${where} With an access point, 'rootDirectory' must be omitted or '/'.`);
  }
}

function checkMountPoints(t: TaskFacts): void {
  const volumes = new Set((t.input.volumes ?? []).map((v) => v.name));
  for (const c of t.containers) {
    for (const mp of c.mountPoints ?? []) {
      // ECS text: a missing sourceVolume is reported as the volume 'null'.
      if (!mp.sourceVolume || !volumes.has(mp.sourceVolume)) fail(`Unknown volume '${mp.sourceVolume ?? 'null'}'.`);
      if (!mp.containerPath) fail(`Invalid 'mountPoints' setting for container '${c.name}'. 'containerPath' is required for volume '${mp.sourceVolume}'.`);
    }
  }
}

function checkVolumesFrom(t: TaskFacts): void {
  for (const c of t.containers) {
    for (const vf of c.volumesFrom ?? []) {
      const source = vf.sourceContainer ?? '';
      if (!t.byName.has(source)) fail(`Invalid 'volumesFrom' setting. Unknown container: '${source}'.`); // ECS text.
      if (source === c.name) fail(`Invalid 'volumesFrom' setting for container '${c.name}'. A container cannot mount volumes from itself.`);
    }
  }
}

// ── start order ─────────────────────────────────────────────────────────────

function checkDependsOn(t: TaskFacts): void {
  for (const c of t.containers) {
    for (const d of c.dependsOn ?? []) {
      const target = t.byName.get(d.containerName ?? '');
      // ECS text, with its stray "+ ".
      if (!target) fail(`Cannot depend on container + '${d.containerName}' because it does not exist`);
      if ((d.condition === 'SUCCESS' || d.condition === 'COMPLETE') && target.essential !== false) {
        // An essential container that exits stops the task, so nothing could wait for it to finish.
        fail('A dependency container with SUCCESS or COMPLETE condition cannot be an essential container'); // ECS text.
      }
      if (d.condition === 'HEALTHY' && !target.healthCheck) {
        fail(`Invalid 'dependsOn' setting for container '${c.name}'. Container '${target.name}' has no healthCheck, so it can never be HEALTHY.`);
      }
    }
  }
  const cycle = findDependencyCycle(t.containers);
  if (cycle) fail(`Invalid 'dependsOn' setting. The containers depend on each other in a cycle: ${cycle.join(' -> ')}.`);
}

/** The first dependsOn cycle as a path of container names that ends where it starts, if any. */
function findDependencyCycle(containers: Container[]): string[] | undefined {
  const edges = new Map(containers.map((c) => [c.name!, (c.dependsOn ?? []).map((d) => d.containerName!)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    path.push(name);
    for (const next of edges.get(name) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const c of containers) {
    const found = visit(c.name!);
    if (found) return found;
  }
  return undefined;
}

// ── per-container settings ──────────────────────────────────────────────────

function checkHealthChecks(t: TaskFacts): void {
  for (const c of t.containers) {
    const hc = c.healthCheck;
    if (!hc) continue;
    if (!hc.command?.length || hc.command.every((part) => !part.trim())) {
      fail(`Invalid 'healthCheck.command' setting for container '${c.name}'. The command must not be empty; start it with CMD or CMD-SHELL.`);
    }
    for (const [field, limit] of Object.entries(HEALTH_CHECK_LIMITS) as [keyof typeof HEALTH_CHECK_LIMITS, (typeof HEALTH_CHECK_LIMITS)[keyof typeof HEALTH_CHECK_LIMITS]][]) {
      const v = hc[field];
      if (v !== undefined && (!Number.isInteger(v) || v < limit.min || v > limit.max)) {
        fail(`Invalid 'healthCheck.${field}' setting for container '${c.name}'. It must be between ${limit.min} and ${limit.max}${limit.unit}; it is ${v}.`);
      }
    }
  }
}

function checkUlimits(t: TaskFacts): void {
  for (const c of t.containers) {
    const seen = new Set<string>();
    for (const u of c.ulimits ?? []) {
      const name = String(u.name);
      if (!ULIMIT_NAMES.includes(name)) fail(`Unrecognized ulimit name ${name}`); // ECS text.
      if (seen.has(name)) fail(`Invalid 'ulimits' setting for container '${c.name}'. The ulimit '${name}' is set more than once.`);
      seen.add(name);
    }
  }
}

function checkLinuxParameters(t: TaskFacts): void {
  for (const c of t.containers) {
    const lp = c.linuxParameters;
    if (!lp) continue;
    const where = (field: string) => `Invalid 'linuxParameters.${field}' setting for container '${c.name}'.`;
    if (lp.swappiness !== undefined && (lp.swappiness < 0 || lp.swappiness > 100)) fail(`${where('swappiness')} It must be between 0 and 100.`);
    if (lp.maxSwap !== undefined && lp.maxSwap < 0) fail(`${where('maxSwap')} It must not be negative.`);
    if (lp.sharedMemorySize !== undefined && lp.sharedMemorySize <= 0) fail(`${where('sharedMemorySize')} It must be a positive number of MiB.`);
    for (const fs of lp.tmpfs ?? []) {
      if (!fs.containerPath) fail(`${where('tmpfs')} 'containerPath' is required.`);
      if (fs.size === undefined || fs.size <= 0) fail(`${where('tmpfs')} 'size' must be a positive number of MiB.`);
    }
    for (const d of lp.devices ?? []) {
      if (!d.hostPath) fail(`${where('devices')} 'hostPath' is required.`);
    }
  }
}

function checkLogConfiguration(t: TaskFacts): void {
  for (const c of t.containers) {
    const log = c.logConfiguration;
    if (!log) continue;
    if (!log.logDriver || !LOG_DRIVERS.includes(log.logDriver)) {
      fail(`Invalid 'logConfiguration.logDriver' setting for container '${c.name}'. '${String(log.logDriver)}' is not one of ${LOG_DRIVERS.join(', ')}.`);
    }
    if (log.logDriver === 'awslogs') {
      const missing = ['awslogs-region', 'awslogs-group'].filter((o) => !log.options?.[o]);
      if (missing.length) fail(`Log driver awslogs requires options: ${missing.join(', ')}`); // ECS text.
    }
  }
}

function checkFirelens(t: TaskFacts): void {
  const router = t.containers.find((c) => c.firelensConfiguration);
  const routed = t.containers.find((c) => c.logConfiguration?.logDriver === 'awsfirelens');
  if (router && !routed) {
    fail('When a firelensConfiguration object is specified, at least one container has to be configured with the awsfirelens log driver.'); // ECS text.
  }
  if (routed && !router) {
    fail(`Invalid 'logConfiguration' setting for container '${routed.name}'. The awsfirelens log driver needs a container in the task with a firelensConfiguration to route its logs.`);
  }
  const routers = t.containers.filter((c) => c.firelensConfiguration);
  if (routers.length > 1) fail(`Invalid 'firelensConfiguration' setting for container '${routers[1]!.name}'. A task can have only one log router container.`);
}

function checkTimeouts(t: TaskFacts): void {
  for (const c of t.containers) {
    for (const field of ['startTimeout', 'stopTimeout'] as const) {
      const v = c[field];
      if (v !== undefined && v < 0) fail(`Invalid '${field}' setting for container '${c.name}'. It must not be negative.`);
    }
  }
}

function checkRestartPolicies(t: TaskFacts): void {
  for (const c of t.containers) {
    const rp = c.restartPolicy;
    if (!rp) continue;
    const period = rp.restartAttemptPeriod;
    if (period !== undefined && (period < 60 || period > 1800)) {
      fail(`Invalid 'restartPolicy.restartAttemptPeriod' setting for container '${c.name}'. It must be between 60 and 1800 seconds.`);
    }
    if ((rp.ignoredExitCodes?.length ?? 0) > 50) {
      fail(`Invalid 'restartPolicy.ignoredExitCodes' setting for container '${c.name}'. At most 50 exit codes can be ignored.`);
    }
  }
}

// ── task-level extras ───────────────────────────────────────────────────────

function checkEphemeralStorage(t: TaskFacts): void {
  const size = t.input.ephemeralStorage?.sizeInGiB;
  if (t.input.ephemeralStorage && (size === undefined || size < EPHEMERAL_STORAGE_GIB.min || size > EPHEMERAL_STORAGE_GIB.max)) {
    fail(`Invalid 'ephemeralStorage.sizeInGiB' setting for task. It must be between ${EPHEMERAL_STORAGE_GIB.min} and ${EPHEMERAL_STORAGE_GIB.max} GiB; it is ${String(size)}.`);
  }
}

function checkProxyConfiguration(t: TaskFacts): void {
  const proxy = t.input.proxyConfiguration;
  if (proxy && !t.byName.has(proxy.containerName ?? '')) {
    fail(`Invalid 'proxyConfiguration' setting. Unknown container: '${String(proxy.containerName)}'.`);
  }
}

// ── the stored form ─────────────────────────────────────────────────────────

function normalise(t: TaskFacts): RegisterTaskDefinitionCommandInput {
  return {
    ...t.input,
    ...(t.cpu !== undefined ? { cpu: String(t.cpu) } : {}),
    ...(t.memory !== undefined ? { memory: String(t.memory) } : {}),
    containerDefinitions: t.containers.map((c) => normaliseContainer(c, t.networkMode)),
  };
}

function normaliseContainer(c: Container, networkMode: NetworkMode): Container {
  const out: Container = { ...c };
  if (c.healthCheck) out.healthCheck = withHealthCheckDefaults(c.healthCheck);
  if (c.portMappings && (networkMode === 'awsvpc' || networkMode === 'host')) {
    // In these modes the host port is the container port; ECS stores it so.
    out.portMappings = c.portMappings.map((p) =>
      p.containerPort !== undefined && !p.hostPort ? { ...p, hostPort: p.containerPort } : p,
    );
  }
  return out;
}

function withHealthCheckDefaults(hc: HealthCheck): HealthCheck {
  // DescribeTaskDefinition shows these even when the request left them out.
  return {
    ...hc,
    interval: hc.interval ?? HEALTH_CHECK_LIMITS.interval.fallback,
    timeout: hc.timeout ?? HEALTH_CHECK_LIMITS.timeout.fallback,
    retries: hc.retries ?? HEALTH_CHECK_LIMITS.retries.fallback,
  };
}
