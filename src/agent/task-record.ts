import { randomBytes } from 'node:crypto';
import {
  dockerContainerName,
  HOLDER_CONTAINER_NAME,
  needsNamespaceHolder,
  taskVolumes,
  type PortAllotment,
} from './container-config.js';
import type { TaskAssignment, TaskStatus } from './protocol.js';
import type { HealthState } from './runtime/runtime.js';
import type { Dependency, DependencyCondition, KnownStatus } from './transitions.js';

// What the engine owns of a task, exactly as it is persisted in the state
// directory: enough to find the task's containers again after a restart and
// carry on where the last agent left off.

export const RECORD_FORMAT = 1;

/** Why a container gave up before (or instead of) running. */
export type ContainerFailure = 'config' | 'pull' | 'create' | 'start' | 'dependency' | 'vanished';

export interface ContainerRecord {
  name: string;
  holder: boolean;
  essential: boolean;
  image: string;
  /** Chosen before the container is created, so that a restarted agent can find it by name. */
  dockerName: string;
  runtimeId?: string;
  imageDigest?: string;
  known: KnownStatus;
  desired: KnownStatus;
  exitCode?: number;
  reason?: string;
  failure?: ContainerFailure;
  health: HealthState;
  hasHealthCheck: boolean;
  /** Epoch ms, from Docker. */
  startedAt?: number;
  finishedAt?: number;
  oomKilled?: boolean;
  /** bridge: the host ports published for the container. */
  ports: PortAllotment[];
  stopTimeoutSeconds: number;
  startTimeoutMs?: number;
  dependsOn: Dependency[];
}

export interface VolumeRecord {
  name: string;
  dockerName: string;
  kind: 'task' | 'shared';
}

export interface TaskRecord {
  format: typeof RECORD_FORMAT;
  assignment: TaskAssignment;
  clusterName: string;
  desired: 'RUNNING' | 'STOPPED';
  /** The last status reported; it only moves forward. */
  status: TaskStatus;
  /** Set when the task stopped on its own (or was stopped by the agent); reported with the task. */
  stopCode?: string;
  reason?: string;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  volumes: VolumeRecord[];
  containers: ContainerRecord[];
}

export function randomHex(bytes = 10): string {
  return randomBytes(bytes).toString('hex');
}

export function clusterNameOf(clusterArn: string): string {
  return clusterArn.slice(clusterArn.lastIndexOf('/') + 1);
}

/** A fresh record for an assignment the engine has not seen: every Docker name chosen now. */
export function newTaskRecord(a: TaskAssignment, opts: { clusterName?: string; defaultStopTimeoutSeconds: number }): TaskRecord {
  const td = a.taskDefinition;
  const family = td.family ?? 'task';
  const revision = td.revision ?? 0;
  const containers: ContainerRecord[] = (td.containerDefinitions ?? []).map((def) => {
    const name = def.name ?? '';
    const dependsOn: Dependency[] = (def.dependsOn ?? []).map((d) => ({
      containerName: d.containerName ?? '',
      condition: (d.condition ?? 'START') as DependencyCondition,
    }));
    // The ECS agent orders links (START) and volumesFrom (CREATE) like dependsOn.
    for (const link of def.links ?? []) {
      const target = link.split(':')[0] ?? '';
      if (target && target !== name && !dependsOn.some((d) => d.containerName === target)) dependsOn.push({ containerName: target, condition: 'START' });
    }
    for (const vf of def.volumesFrom ?? []) {
      const source = vf.sourceContainer ?? '';
      if (source && source !== name && !dependsOn.some((d) => d.containerName === source)) dependsOn.push({ containerName: source, condition: 'CREATE' });
    }
    return {
      name,
      holder: false,
      essential: def.essential !== false,
      image: def.image ?? '',
      dockerName: dockerContainerName(family, revision, name, randomHex()),
      known: 'NONE',
      desired: 'RUNNING',
      health: 'UNKNOWN',
      hasHealthCheck: Boolean(def.healthCheck),
      ports: [],
      stopTimeoutSeconds: def.stopTimeout ?? opts.defaultStopTimeoutSeconds,
      startTimeoutMs: def.startTimeout ? def.startTimeout * 1000 : undefined,
      dependsOn,
    };
  });
  let holder = false;
  let volumes: VolumeRecord[] = [];
  try {
    holder = needsNamespaceHolder(td);
    volumes = taskVolumes(td)
      .filter((v) => v.kind !== 'bind')
      .map((v) => ({
        name: v.name,
        dockerName: v.kind === 'shared' ? v.name : dockerContainerName(family, revision, v.name, randomHex()),
        kind: v.kind as 'task' | 'shared',
      }));
  } catch {
    // An unusable definition: the actor's first check fails the task with the reason.
  }
  if (holder) {
    containers.unshift({
      name: HOLDER_CONTAINER_NAME,
      holder: true,
      essential: true,
      image: '',
      dockerName: dockerContainerName(family, revision, HOLDER_CONTAINER_NAME, randomHex()),
      known: 'NONE',
      desired: 'RESOURCES_PROVISIONED',
      health: 'UNKNOWN',
      hasHealthCheck: false,
      ports: [],
      stopTimeoutSeconds: 10,
      dependsOn: [],
    });
  }
  return {
    format: RECORD_FORMAT,
    assignment: a,
    clusterName: opts.clusterName ?? clusterNameOf(a.clusterArn),
    desired: a.desiredStatus,
    status: 'PROVISIONING',
    volumes,
    containers,
  };
}
