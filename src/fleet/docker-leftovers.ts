import { resolve } from 'node:path';
import { DockerRuntime } from '../agent/runtime/docker.js';
import { STATE_DIR_LABEL } from '../agent/task-engine.js';

// What a pool instance's task engine left in Docker once the instance is gone
// (the containers of its stopped tasks, kept for the cleanup delay, and their
// task volumes): found by the engine's state-dir label, which no other agent
// shares, and removed, as terminating an EC2 instance removes its containers.

export function dockerLeftoversRemover(): (stateDir: string) => Promise<void> {
  const runtime = new DockerRuntime();
  return async (stateDir: string) => {
    const label = `${STATE_DIR_LABEL}=${resolve(stateDir)}`;
    const containers = await runtime.docker.listContainers({ all: true, filters: { label: [label] } });
    for (const c of containers) await runtime.docker.getContainer(c.Id).remove({ force: true, v: true });
    const { Volumes } = await runtime.docker.listVolumes({ filters: { label: [label] } });
    for (const v of Volumes ?? []) await runtime.docker.getVolume(v.Name).remove().catch(() => undefined);
  };
}
