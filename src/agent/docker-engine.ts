import type { EngineFactory } from './agent.js';
import { DockerLogSource } from './logs/docker-source.js';
import { DockerRuntime } from './runtime/docker.js';
import { TaskEngine, type ImagePullBehavior } from './task-engine.js';

// The engine a real agent runs: the task engine on the local Docker engine
// (DOCKER_HOST or the default socket; Podman's Docker-compatible socket too).

export const IMAGE_PULL_BEHAVIORS = ['default', 'always', 'once', 'prefer-cached'] as const;
export type { ImagePullBehavior };

export function dockerEngineFactory(opts: { imagePullBehavior: ImagePullBehavior; cleanupDelayMs: number }): EngineFactory {
  return (ctx) => {
    const runtime = new DockerRuntime();
    return new TaskEngine({
      runtime,
      hostAddress: ctx.hostAddress,
      clusterName: ctx.clusterName,
      imagePullBehavior: opts.imagePullBehavior,
      cleanupDelayMs: opts.cleanupDelayMs,
      stateDir: ctx.stateDir,
      report: ctx.report,
      log: ctx.log,
      // The instance's Availability Zone, for the task metadata.
      availabilityZone: ctx.availabilityZone,
      registryAuth: ctx.registryAuth,
      // Pulls can take minutes: their progress goes to the agent's log, at most one line a second per container.
      onPullProgress: throttled((taskArn, containerName, line) => ctx.log.info({ task: taskArn, container: containerName }, `pull: ${line}`)),
      // awslogs: containers log to json-file; the agent follows those logs and ships them to CloudWatch Logs.
      awslogs: { source: new DockerLogSource(runtime.docker), sink: ctx.logSink, region: ctx.region },
    });
  };
}

function throttled(fn: (taskArn: string, containerName: string, line: string) => void) {
  const last = new Map<string, number>();
  return (taskArn: string, containerName: string, line: string) => {
    const key = `${taskArn}/${containerName}`;
    const now = Date.now();
    const done = /complete|downloaded newer image|up to date/i.test(line);
    if (!done && now - (last.get(key) ?? 0) < 1000) return;
    last.set(key, now);
    if (done) last.delete(key);
    fn(taskArn, containerName, line);
  };
}
