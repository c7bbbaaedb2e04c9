// Where the shipper reads a container's log: Docker's json-file log through
// the Engine API (docker-source.ts) or, in tests, a fake.

export type ContainerRunState = 'running' | 'stopped' | 'gone';

export interface FollowedLog {
  /** TTY logs are not multiplexed. */
  tty: boolean;
  /** GET /containers/{id}/logs?follow&stdout&stderr&timestamps&since: ends when the container stops. */
  body: AsyncIterable<Buffer>;
}

export interface ContainerLogSource {
  /** Follow the log from `since` (the Engine API's "seconds.nanoseconds"); rejects with ContainerGoneError when there is no such container. */
  follow(containerId: string, since: string, signal: AbortSignal): Promise<FollowedLog>;
  /** Whether the container still runs (its log may still grow). */
  state(containerId: string): Promise<ContainerRunState>;
}

export class ContainerGoneError extends Error {
  constructor(containerId: string) {
    super(`No such container: ${containerId}`);
    this.name = 'ContainerGoneError';
  }
}
