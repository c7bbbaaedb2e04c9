import type { EngineFactory } from './agent.js';
import { DockerRuntime } from './runtime/docker.js';
import { TaskEngine, type ImagePullBehavior } from './task-engine.js';

// The engine a real agent runs: the task engine on the local Docker engine
// (DOCKER_HOST or the default socket; Podman's Docker-compatible socket too).

export const IMAGE_PULL_BEHAVIORS = ['default', 'always', 'once', 'prefer-cached'] as const;
export type { ImagePullBehavior };

export function dockerEngineFactory(opts: { imagePullBehavior: ImagePullBehavior; cleanupDelayMs: number }): EngineFactory {
  return (ctx) =>
    new TaskEngine({
      runtime: new DockerRuntime(),
      hostAddress: ctx.hostAddress,
      clusterName: ctx.clusterName,
      imagePullBehavior: opts.imagePullBehavior,
      cleanupDelayMs: opts.cleanupDelayMs,
      stateDir: ctx.stateDir,
      report: ctx.report,
      log: ctx.log,
    });
}
