import type { LogConfiguration } from '@aws-sdk/client-ecs';
import type { Logger } from 'pino';
import { AGENT_LOG } from '../log-fields.js';
import { AWSLOGS_LOG } from './log-fields.js';
import type { HostSpec } from '../runtime/runtime.js';
import { ContainerLogShipper } from './container-shipper.js';
import { CursorStore } from './cursor-store.js';
import { DOCKER_LOG_CONFIG, parseAwslogsOptions, streamName } from './options.js';
import type { LogSink } from './sink.js';
import type { ContainerLogSource } from './source.js';
import { ensureLogStream } from './stream-setup.js';

// The agent's awslogs driver: what the task engine calls. A container whose
// logConfiguration is awslogs logs to json-file (dockerLogConfig); its log
// stream is made before it starts (prepare: a failure fails the start, as
// Docker's driver does in blocking mode); once started, one
// ContainerLogShipper per container ships its log (ship) until it ends
// (drained); a task's cursor files go when the task is cleaned up (forget).

export interface AwslogsShipperOptions {
  source: ContainerLogSource;
  /** CloudWatch Logs of a region, reached with the agent's endpoint and credentials. */
  sink: (region: string) => LogSink;
  /** The region of awslogs options without awslogs-region: the agent's. */
  region: string;
  /** Where the cursor files live. */
  dir: string;
  log: Logger;
  /** The longest a log line waits before it is sent (default 250 ms). */
  flushDelayMs?: number;
  retryFirstMs?: number;
  retryMaxMs?: number;
}

export interface AwslogsContainer {
  taskArn: string;
  containerName: string;
  /** The Docker container's full id. */
  containerId: string;
  dockerName: string;
  image: string;
  logConfiguration: LogConfiguration;
}

export const DEFAULT_FLUSH_DELAY_MS = 250;

export class AwslogsShipper {
  readonly #opts: AwslogsShipperOptions;
  readonly #store: CursorStore;
  readonly #log: Logger;
  /** taskArn → container name → its shipper. */
  readonly #tasks = new Map<string, Map<string, ContainerLogShipper>>();
  #closed = false;

  constructor(opts: AwslogsShipperOptions) {
    this.#opts = opts;
    this.#store = new CursorStore(opts.dir);
    this.#log = opts.log;
  }

  /** Docker's LogConfig for an awslogs container (json-file, which the agent follows); bad options throw with Docker's text. */
  dockerLogConfig(lc: LogConfiguration): NonNullable<HostSpec['LogConfig']> {
    parseAwslogsOptions(lc.options);
    return { Type: DOCKER_LOG_CONFIG.Type, Config: { ...DOCKER_LOG_CONFIG.Config } };
  }

  /**
   * Before the container starts: its log stream (and group, with
   * awslogs-create-group). Throws as Docker's driver does in blocking mode.
   * From here on the task's logs count as not yet shipped.
   */
  async prepare(c: AwslogsContainer): Promise<void> {
    const shipper = this.#shipper(c);
    const o = shipper.spec.options;
    if (o.ignored.length) {
      this.#log.warn({ [AGENT_LOG.taskArn]: c.taskArn, [AGENT_LOG.container]: c.containerName, [AWSLOGS_LOG.options]: o.ignored }, 'awslogs options ignored: the agent ships to its own control plane with its own credentials');
    }
    try {
      await ensureLogStream(this.#opts.sink(shipper.spec.region), { group: o.group, stream: shipper.spec.stream, createGroup: o.createGroup, createStream: o.createStream });
    } catch (e) {
      if (o.mode === 'blocking') {
        this.#drop(c.taskArn, c.containerName, shipper);
        throw e;
      }
      // Docker's non-blocking driver starts the container and keeps trying; so does the shipper (on its first PutLogEvents).
      this.#log.warn({ [AGENT_LOG.taskArn]: c.taskArn, [AGENT_LOG.container]: c.containerName, [AGENT_LOG.error]: (e as Error).message }, 'awslogs: cannot make the log stream yet; the container starts anyway (non-blocking mode)');
    }
  }

  /** Ship the container's log (from its cursor file, after a restart); again for the same container is a no-op. */
  ship(c: AwslogsContainer): void {
    if (this.#closed) return;
    try {
      this.#shipper(c).start();
    } catch (e) {
      this.#log.error({ [AGENT_LOG.taskArn]: c.taskArn, [AGENT_LOG.container]: c.containerName, [AGENT_LOG.error]: (e as Error).message }, 'awslogs options unusable; not shipping');
    }
  }

  #shipper(c: AwslogsContainer): ContainerLogShipper {
    let task = this.#tasks.get(c.taskArn);
    const existing = task?.get(c.containerName);
    if (existing) return existing;
    const options = parseAwslogsOptions(c.logConfiguration.options);
    const region = options.region ?? this.#opts.region;
    const shipper = new ContainerLogShipper(
      { taskArn: c.taskArn, containerName: c.containerName, containerId: c.containerId, region, group: options.group, stream: streamName(options, c), options },
      {
        source: this.#opts.source,
        sink: this.#opts.sink(region),
        store: this.#store,
        log: this.#log,
        flushDelayMs: this.#opts.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS,
        retryFirstMs: this.#opts.retryFirstMs ?? 250,
        retryMaxMs: this.#opts.retryMaxMs ?? 10_000,
      },
    );
    if (!task) this.#tasks.set(c.taskArn, (task = new Map()));
    task.set(c.containerName, shipper);
    return shipper;
  }

  #drop(taskArn: string, containerName: string, shipper: ContainerLogShipper): void {
    const task = this.#tasks.get(taskArn);
    if (task?.get(containerName) !== shipper) return;
    task.delete(containerName);
    if (!task.size) this.#tasks.delete(taskArn);
  }

  /** Every log of the task shipped to its end (a task with none is drained). */
  drained(taskArn: string): boolean {
    for (const s of this.#tasks.get(taskArn)?.values() ?? []) if (!s.isDrained) return false;
    return true;
  }

  whenDrained(taskArn: string): Promise<void> {
    return Promise.all([...(this.#tasks.get(taskArn)?.values() ?? [])].map((s) => s.drained)).then(() => undefined);
  }

  /** The task is cleaned up: stop its shippers and remove their cursor files. */
  async forget(taskArn: string, containerNames: readonly string[]): Promise<void> {
    const task = this.#tasks.get(taskArn);
    this.#tasks.delete(taskArn);
    for (const s of task?.values() ?? []) {
      if (!s.isDrained) this.#log.warn({ [AGENT_LOG.taskArn]: taskArn, [AGENT_LOG.container]: s.spec.containerName, ...s.stats() }, 'container removed before its whole log was shipped');
      await s.close();
    }
    for (const name of containerNames) await this.#store.remove(taskArn, name);
  }

  /** Cursor files of tasks the engine no longer has (its state was lost or removed). */
  async sweep(keep: ReadonlySet<string>): Promise<void> {
    for (const s of this.#store.list()) if (!keep.has(s.taskArn)) await this.#store.remove(s.taskArn, s.containerName);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#tasks.values()].flatMap((t) => [...t.values()]);
    this.#tasks.clear();
    await Promise.all(all.map((s) => s.close()));
  }
}
