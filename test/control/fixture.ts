import type { Attribute, RegisterTaskDefinitionCommandInput, Resource } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskAssignment } from '../../src/agent/protocol.js';
import { AccountSettings } from '../../src/control/account-settings.js';
import type { AgentNotifier } from '../../src/control/agent-notifier.js';
import { Clusters } from '../../src/control/clusters.js';
import { ContainerInstances } from '../../src/control/container-instances.js';
import { TaskDefinitions } from '../../src/control/task-definitions.js';
import { Tasks } from '../../src/control/tasks.js';
import { AwsError } from '../../src/gateway/errors.js';
import { SqliteStore } from '../../src/store/sqlite.js';

// The control core against a real SQLite store in a temp dir, as berth.ts
// wires it, with a notifier that records what agents would be told.

export const scope = { accountId: '000000000000', region: 'us-east-1' };

export class RecordingNotifier implements AgentNotifier {
  calls: { instance: string; tasks: TaskAssignment[] }[] = [];
  tasksChanged(containerInstanceArn: string, tasks: TaskAssignment[]): void {
    this.calls.push({ instance: containerInstanceArn, tasks });
  }
}

export interface Core {
  dir: string;
  store: SqliteStore;
  clusters: Clusters;
  taskDefinitions: TaskDefinitions;
  tasks: Tasks;
  instances: ContainerInstances;
  notifier: RecordingNotifier;
  close(): Promise<void>;
}

export async function openCore(): Promise<Core> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-control-'));
  const store = await SqliteStore.open(join(dir, 'berth.sqlite'));
  const clusters = new Clusters(store, new AccountSettings(store));
  const taskDefinitions = new TaskDefinitions(store);
  const tasks = new Tasks(store, clusters, taskDefinitions);
  const instances = new ContainerInstances(store, clusters, tasks);
  const notifier = new RecordingNotifier();
  tasks.setNotifier(notifier);
  return {
    dir,
    store,
    clusters,
    taskDefinitions,
    tasks,
    instances,
    notifier,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function resources(cpu: number, memory: number, extra: Resource[] = []): Resource[] {
  return [
    { name: 'CPU', type: 'INTEGER', integerValue: cpu },
    { name: 'MEMORY', type: 'INTEGER', integerValue: memory },
    { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '2375', '2376', '51678', '51679'] },
    { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
    ...extra,
  ];
}

export const AGENT_ATTRIBUTES: Attribute[] = [
  { name: 'ecs.os-type', value: 'linux' },
  { name: 'ecs.cpu-architecture', value: 'x86_64' },
  { name: 'ecs.availability-zone', value: 'us-east-1a' },
  { name: 'ecs.instance-type', value: 'berth.host' },
  { name: 'ecs.capability.task-eni' },
];

/** Registers an instance of `cluster` and marks its agent connected. */
export async function addInstance(
  core: Core,
  opts: { cluster?: string; cpu?: number; memory?: number; attributes?: Attribute[]; connected?: boolean; now?: number } = {},
): Promise<string> {
  const ci = await core.instances.register(
    scope,
    {
      cluster: opts.cluster,
      totalResources: resources(opts.cpu ?? 2048, opts.memory ?? 1024),
      attributes: opts.attributes ?? AGENT_ATTRIBUTES,
      versionInfo: { agentVersion: '0.1.0', agentHash: 'berth', dockerVersion: 'DockerVersion: 27.0' },
    },
    opts.now ?? 1_000,
  );
  if (opts.connected ?? true) await core.instances.markConnected(ci.containerInstanceArn!, true, opts.now ?? 1_000);
  return ci.containerInstanceArn!;
}

export async function registerTd(core: Core, input: RegisterTaskDefinitionCommandInput): Promise<string> {
  const r = await core.taskDefinitions.register(scope, input, 500);
  return r.taskDefinition.taskDefinitionArn!;
}

/** Asserts that `p` rejects with the AWS error `code` (and message, when given). */
export async function rejectsWith(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<AwsError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AwsError, `expected AwsError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

export const resource = (list: Resource[] | undefined, name: string) => list?.find((r) => r.name === name);
