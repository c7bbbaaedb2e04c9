import type { ContainerDefinition, ContainerOverride, TaskDefinition, TaskOverride } from '@aws-sdk/client-ecs';
import { AwsError } from '../gateway/errors.js';
import type { Reservation } from './instance-resources.js';
import { parseTaskCpu, parseTaskMemory } from './task-definition-rules.js';

// What a task asks for once RunTask/StartTask's overrides are applied to its
// task definition: the overrides as ECS echoes them, each container's size,
// and what the task reserves on its instance. Pure.

const invalid = (message: string) => new AwsError('InvalidParameterException', message);

/** ECS's limit on the JSON of `overrides`. */
export const MAX_OVERRIDES_LENGTH = 8192;

/**
 * Checks the overrides against the task definition and returns them as ECS
 * shows them on the task: one containerOverride per container, in the task
 * definition's order, carrying the request's members.
 */
export function normaliseOverrides(td: TaskDefinition, overrides: TaskOverride | undefined): TaskOverride {
  if (overrides && JSON.stringify(overrides).length > MAX_OVERRIDES_LENGTH) {
    throw invalid(`Container Overrides length must be at most ${MAX_OVERRIDES_LENGTH}`);
  }
  const containers = td.containerDefinitions ?? [];
  const given = new Map<string, ContainerOverride>();
  for (const o of overrides?.containerOverrides ?? []) {
    if (!o.name) throw invalid('Every container override must name a container.');
    if (!containers.some((c) => c.name === o.name)) throw invalid(`Override for container named ${o.name} is not a container in the TaskDefinition.`);
    if (given.has(o.name)) throw invalid(`Container ${o.name} is overridden more than once.`);
    for (const field of ['cpu', 'memory', 'memoryReservation'] as const) {
      const v = o[field];
      if (v !== undefined && v < 0) throw invalid(`Invalid '${field}' override for container ${o.name}: it must not be negative.`);
    }
    if (o.memory !== undefined && o.memory < 6) throw invalid(`Invalid 'memory' setting for container '${o.name}'. The container memory must be at least 6 MiB.`);
    for (const f of o.environmentFiles ?? []) {
      if (f.type !== 's3') throw invalid(`Invalid environmentFiles type '${String(f.type)}' for container ${o.name}; ECS supports 's3'.`);
    }
    given.set(o.name, o);
  }
  // Refuse unusable task sizes now, not when the task fails to start.
  parseTaskCpu(overrides?.cpu);
  parseTaskMemory(overrides?.memory);
  const out: TaskOverride = {
    containerOverrides: containers.map((c) => ({ ...(given.get(c.name!) ?? {}), name: c.name! })),
    inferenceAcceleratorOverrides: overrides?.inferenceAcceleratorOverrides ?? [],
  };
  if (overrides?.cpu !== undefined) out.cpu = overrides.cpu;
  if (overrides?.memory !== undefined) out.memory = overrides.memory;
  if (overrides?.taskRoleArn !== undefined) out.taskRoleArn = overrides.taskRoleArn;
  if (overrides?.executionRoleArn !== undefined) out.executionRoleArn = overrides.executionRoleArn;
  if (overrides?.ephemeralStorage !== undefined) out.ephemeralStorage = overrides.ephemeralStorage;
  return out;
}

export interface ContainerSize {
  name: string;
  image: string;
  cpu: number;
  memory?: number;
  memoryReservation?: number;
}

export function containerSizes(td: TaskDefinition, overrides: TaskOverride): ContainerSize[] {
  return (td.containerDefinitions ?? []).map((c: ContainerDefinition) => {
    const o = overrides.containerOverrides?.find((x) => x.name === c.name);
    return {
      name: c.name!,
      image: c.image!,
      cpu: o?.cpu ?? c.cpu ?? 0,
      memory: o?.memory ?? c.memory,
      memoryReservation: o?.memoryReservation ?? c.memoryReservation,
    };
  });
}

/** Task-level cpu units and MiB: the overrides', else the task definition's, else the containers' sum. */
export function taskSize(td: TaskDefinition, overrides: TaskOverride): { cpu: number; memory: number } {
  const sizes = containerSizes(td, overrides);
  const cpu = parseTaskCpu(overrides.cpu ?? td.cpu) ?? sizes.reduce((s, c) => s + c.cpu, 0);
  const memory = parseTaskMemory(overrides.memory ?? td.memory) ?? sizes.reduce((s, c) => s + (c.memory ?? c.memoryReservation ?? 0), 0);
  return { cpu, memory };
}

/**
 * The static host ports a task binds. awsvpc tasks bind on their own address,
 * and bridge mappings without a host port get a dynamic one from the agent:
 * neither takes a port from the instance's PORTS.
 */
export function hostPorts(td: TaskDefinition): { ports: number[]; portsUdp: number[] } {
  const ports: number[] = [];
  const portsUdp: number[] = [];
  const mode = td.networkMode ?? 'bridge';
  if (mode === 'awsvpc' || mode === 'none') return { ports, portsUdp };
  for (const c of td.containerDefinitions ?? []) {
    for (const p of c.portMappings ?? []) {
      const host = mode === 'host' ? (p.hostPort ?? p.containerPort) : p.hostPort;
      if (!host) continue;
      const list = p.protocol === 'udp' ? portsUdp : ports;
      if (!list.includes(host)) list.push(host);
    }
  }
  return { ports, portsUdp };
}

export function reservationOf(td: TaskDefinition, overrides: TaskOverride): Reservation {
  return { ...taskSize(td, overrides), ...hostPorts(td) };
}
