import type Docker from 'dockerode';
import { ContainerGoneError, type ContainerLogSource, type ContainerRunState, type FollowedLog } from './source.js';

// A container's log through the Docker Engine API (dockerode): the json-file
// log berth gives every awslogs container, with Docker's timestamps.

export class DockerLogSource implements ContainerLogSource {
  readonly #docker: Docker;

  constructor(docker: Docker) {
    this.#docker = docker;
  }

  async follow(containerId: string, since: string, signal: AbortSignal): Promise<FollowedLog> {
    const container = this.#docker.getContainer(containerId);
    try {
      const info = await container.inspect({ abortSignal: signal } as {});
      const body = await container.logs({ follow: true, stdout: true, stderr: true, timestamps: true, since, abortSignal: signal });
      return { tty: Boolean(info.Config?.Tty), body: body as unknown as AsyncIterable<Buffer> };
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) throw new ContainerGoneError(containerId);
      throw e;
    }
  }

  async state(containerId: string): Promise<ContainerRunState> {
    try {
      const info = await this.#docker.getContainer(containerId).inspect();
      return info.State?.Running || info.State?.Restarting ? 'running' : 'stopped';
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return 'gone';
      throw e;
    }
  }
}
