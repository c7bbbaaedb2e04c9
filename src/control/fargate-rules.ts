import type {
  ContainerDefinition,
  NetworkConfiguration,
  PlacementConstraint,
  PlacementStrategy,
  TaskDefinition,
  TaskOverride,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../gateway/errors.js';
import { isFargateTaskSize, parseTaskCpu, parseTaskMemory } from './task-definition-rules.js';

// What ECS checks when RunTask, CreateService or UpdateService asks for the
// Fargate launch type (launchType FARGATE, or a FARGATE/FARGATE_SPOT capacity
// provider), and what the task then gets: platform version, OS, architecture,
// task size after overrides, ephemeral storage. Pure: no I/O, first problem
// thrown as an AwsError.
//
//   task definition + overrides + request
//     ─► supports FARGATE ─► Linux ─► platform version ─► awsvpc + subnets
//     ─► no placement ─► task size (table) ─► ephemeral storage ─► containers
//     ─► FargateLaunch
//
// Register-time rules (task-definition-rules.ts) only run for task
// definitions that require FARGATE; a definition that is merely compatible
// reaches here unchecked, so the container rules are repeated at launch, with
// the register-time wording.
//
// Texts marked "ECS text" are ECS's own, from error reports against the real
// service; the rest are composed in ECS's style and name the field. ECS's
// RunTask and service calls answer these checks with the same texts, so
// `caller` changes none of them today.

export const FARGATE_PLATFORM_VERSION = '1.4.0';

export interface FargateLaunchInput {
  /** The registered task definition (requiresCompatibilities/compatibilities, networkMode, cpu, memory, ephemeralStorage, runtimePlatform, containerDefinitions, placementConstraints). */
  td: TaskDefinition;
  /** RunTask overrides (cpu, memory, ephemeralStorage, containerOverrides); may be {}. */
  overrides: TaskOverride;
  /** RunTask/CreateService platformVersion. */
  platformVersion?: string;
  networkConfiguration?: NetworkConfiguration;
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  /** Who asks: RunTask or a service (messages can differ slightly); default 'RunTask'. */
  caller?: 'RunTask' | 'CreateService' | 'UpdateService';
}

export interface FargateLaunch {
  platformVersion: string;
  platformFamily: 'Linux';
  cpu: number;
  memory: number;
  ephemeralStorageGiB: number;
  cpuArchitecture: 'X86_64' | 'ARM64';
}

/** What a Fargate task gets when it asks for no ephemeral storage. */
const DEFAULT_EPHEMERAL_STORAGE_GIB = 20;
const EPHEMERAL_STORAGE_GIB = { min: 21, max: 200 };
/** The only capability Fargate lets a container add (KernelCapabilities.add, API reference). */
const FARGATE_CAPABILITY = 'SYS_PTRACE';
/** linuxParameters the developer guide marks "not supported" for Fargate. */
const UNSUPPORTED_LINUX_PARAMETERS = ['devices', 'tmpfs', 'sharedMemorySize', 'maxSwap', 'swappiness'] as const;

function fail(message: string, code = 'InvalidParameterException'): never {
  throw new AwsError(code, message);
}

/** Throws AwsError with ECS's code and message. */
export function checkFargateLaunch(input: FargateLaunchInput): FargateLaunch {
  const { td, overrides } = input;
  checkSupportsFargate(td);
  checkLinux(td);
  const platformVersion = resolvePlatformVersion(input.platformVersion);
  checkNetworkMode(td);
  checkNetworkConfiguration(input.networkConfiguration);
  checkNoPlacement(input);
  const { cpu, memory } = taskSize(td, overrides);
  const ephemeralStorageGiB = ephemeralStorage(td, overrides);
  for (const c of td.containerDefinitions ?? []) checkContainer(c);
  return {
    platformVersion,
    platformFamily: 'Linux',
    cpu,
    memory,
    ephemeralStorageGiB,
    cpuArchitecture: td.runtimePlatform?.cpuArchitecture === 'ARM64' ? 'ARM64' : 'X86_64',
  };
}

// ── the task definition as a whole ──────────────────────────────────────────

function checkSupportsFargate(td: TaskDefinition): void {
  // `compatibilities` is what ECS found the definition valid for; a definition
  // registered without requiresCompatibilities can still be Fargate-compatible.
  const supports = td.requiresCompatibilities?.includes('FARGATE') || td.compatibilities?.includes('FARGATE');
  if (!supports) fail('Task definition does not support launch_type FARGATE.'); // ECS text.
}

function checkLinux(td: TaskDefinition): void {
  const os = td.runtimePlatform?.operatingSystemFamily;
  if (os === undefined || os === 'LINUX') return;
  // AWS would run Windows on platform version 1.0.0; berth has no Windows hosts.
  fail(
    `berth runs Fargate tasks on Linux only; the task definition's runtimePlatform.operatingSystemFamily is ${os}.`,
    'PlatformTaskDefinitionIncompatibilityException',
  );
}

function resolvePlatformVersion(requested: string | undefined): string {
  if (requested === undefined || requested === 'LATEST' || requested === FARGATE_PLATFORM_VERSION) return FARGATE_PLATFORM_VERSION;
  // ECS text (aws/containers-roadmap#2733, jenkinsci/amazon-ecs-plugin#218). 1.3.0 and
  // older exist on AWS, but berth offers only 1.4.0, so they are unknown here.
  fail('The specified platform does not exist.', 'PlatformUnknownException');
}

function checkNetworkMode(td: TaskDefinition): void {
  if (td.networkMode !== 'awsvpc') fail('Fargate only supports network mode ‘awsvpc’.'); // ECS text, typographic quotes and all.
}

function checkNetworkConfiguration(net: NetworkConfiguration | undefined): void {
  const vpc = net?.awsvpcConfiguration;
  if (!vpc) fail("Network Configuration must be provided when networkMode 'awsvpc' is specified."); // ECS text.
  if (!vpc.subnets?.length) fail('subnets can not be empty.'); // ECS text.
}

function checkNoPlacement(input: FargateLaunchInput): void {
  // Fargate places tasks itself. Tools often send empty lists for settings they leave alone.
  if (input.placementStrategy?.length) fail('Placement strategies are not supported with FARGATE launch type.'); // ECS text.
  if (input.placementConstraints?.length || input.td.placementConstraints?.length) {
    fail('Placement constraints are not supported with FARGATE launch type.'); // ECS text.
  }
}

// ── task size ───────────────────────────────────────────────────────────────

/** The overrides' cpu and memory replace the task definition's, each on its own. */
function taskSize(td: TaskDefinition, overrides: TaskOverride): { cpu: number; memory: number } {
  const cpu = parseTaskCpu(overrides.cpu ?? td.cpu);
  const memory = parseTaskMemory(overrides.memory ?? td.memory);
  if (cpu === undefined) fail("Fargate requires that 'cpu' be defined at the task level."); // ECS text.
  if (memory === undefined) fail("Fargate requires that 'memory' be defined at the task level."); // ECS text.
  if (!isFargateTaskSize(cpu, memory)) {
    // ECS text (RegisterTaskDefinition's; RunTask's own wording is not on record).
    fail(`No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`);
  }
  return { cpu, memory };
}

function ephemeralStorage(td: TaskDefinition, overrides: TaskOverride): number {
  const size = overrides.ephemeralStorage?.sizeInGiB ?? td.ephemeralStorage?.sizeInGiB;
  if (size === undefined) return DEFAULT_EPHEMERAL_STORAGE_GIB;
  // ECS texts: asking for the free 20 GiB explicitly is refused too.
  if (size < EPHEMERAL_STORAGE_GIB.min) fail(`EphemeralStorage size should be at least ${EPHEMERAL_STORAGE_GIB.min}`);
  if (size > EPHEMERAL_STORAGE_GIB.max) fail(`EphemeralStorage size should be at most ${EPHEMERAL_STORAGE_GIB.max}`);
  return size;
}

// ── containers ──────────────────────────────────────────────────────────────

function checkContainer(c: ContainerDefinition): void {
  const where = `Invalid setting for container '${c.name}'.`;
  if (c.privileged) fail(`${where} Tasks using the Fargate launch type do not support 'privileged'.`);
  checkLinuxParameters(c, where);
  checkPortMappings(c);
}

function checkLinuxParameters(c: ContainerDefinition, where: string): void {
  const lp = c.linuxParameters;
  if (!lp) return;
  for (const field of UNSUPPORTED_LINUX_PARAMETERS) {
    const v = lp[field];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) {
      fail(`${where} Tasks using the Fargate launch type do not support 'linuxParameters.${field}'.`);
    }
  }
  const added = (lp.capabilities?.add ?? []).filter((cap) => cap !== FARGATE_CAPABILITY);
  if (added.length) fail(`${where} Tasks using the Fargate launch type can only add the ${FARGATE_CAPABILITY} capability, not ${added.join(', ')}.`);
}

function checkPortMappings(c: ContainerDefinition): void {
  for (const p of c.portMappings ?? []) {
    // 0 or no host port means "the container port" in awsvpc mode.
    if (p.hostPort !== undefined && p.hostPort !== 0 && p.hostPort !== p.containerPort) {
      fail('When networkMode=awsvpc, the host ports and container ports in port mappings must match.'); // ECS text.
    }
  }
}
