import { arch } from 'node:os';
import { join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { ECS_LABELS } from './container-config.js';
import { EPHEMERAL_PORT_RANGE, HostPortAllocator } from './host-ports.js';
import { AGENT_LOG } from './log-fields.js';
import { AwslogsShipper } from './logs/awslogs-shipper.js';
import type { LogSink } from './logs/sink.js';
import type { ContainerLogSource } from './logs/source.js';
import { TaskMetadataEndpoint } from './metadata/endpoint.js';
import { TASK_STATUSES, type TaskAssignment, type TaskReport, type TaskStatus } from './protocol.js';
import type { ContainerRuntime, RuntimeEvent } from './runtime/runtime.js';
import { TaskActor, type ActorContext, type EngineSettings, type ImagePullBehavior } from './task-actor.js';
import { newTaskRecord, type TaskRecord } from './task-record.js';
import { TaskStateStore } from './task-state-store.js';

export type { ImagePullBehavior } from './task-actor.js';
export { CONTAINER_VANISHED, ESSENTIAL_CONTAINER_EXITED, OUT_OF_MEMORY } from './task-actor.js';

// The agent's task engine: turns TaskAssignments into containers through a
// ContainerRuntime and reports TaskReports. One TaskActor per task owns that
// task's state; the engine only routes assignments and runtime events to the
// actors, and keeps what is shared between them (host ports, the state
// directory, images pulled once).

/** ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION's default. */
export const DEFAULT_CLEANUP_DELAY_MS = 3 * 60 * 60 * 1000;
/** ECS_CONTAINER_STOP_TIMEOUT's default. */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 30;
/** How often live containers are re-inspected in case an event was missed (the ECS agent's steady-state check). */
export const DEFAULT_STEADY_STATE_CHECK_MS = 5 * 60 * 1000;
/** Names the engine (by its state directory) on everything it creates, so that its orphans can be told from another agent's. */
export const STATE_DIR_LABEL = 'berth.agent.state-dir';
/** The stoppedReason of a task stopped because the control plane's full desired state no longer has it. */
export const UNLISTED_TASK_REASON = 'Task stopped by the control plane while the agent was disconnected';
const CLEANED_UP_REASON = 'Task already stopped and cleaned up on this container instance';
/** How many cleaned-up task ARNs the engine remembers (oldest forgotten first). */
const FORGOTTEN_LIMIT = 10_000;

export interface TaskEngineOptions {
  runtime: ContainerRuntime;
  /** Where bridge-mode ports are published: the instance's address (127.0.0.1 on a single machine). */
  hostAddress: string;
  /** Value of the com.amazonaws.ecs.cluster label; default: the name in each task's clusterArn. */
  clusterName?: string;
  /** As the ECS agent's ECS_IMAGE_PULL_BEHAVIOR. */
  imagePullBehavior?: ImagePullBehavior;
  /** Stopped tasks' containers are removed after this long. */
  cleanupDelayMs?: number;
  /** stopTimeout of containers that set none (SIGTERM → SIGKILL). */
  containerStopTimeoutSeconds?: number;
  /** Where the engine persists what it owns, to adopt it after a restart. */
  stateDir: string;
  report(r: TaskReport): void;
  log?: Logger;
  /** Extra labels on every container and task volume. */
  labels?: Record<string, string>;
  /** Extra environment for a container (the metadata endpoint's URIs, credentials, …). */
  containerEnvironment?: EngineSettings['containerEnvironment'];
  registryAuth?: EngineSettings['registryAuth'];
  onPullProgress?: EngineSettings['onPullProgress'];
  mapLogConfiguration?: EngineSettings['mapLogConfiguration'];
  portRange?: readonly [number, number];
  steadyStateCheckMs?: number;
  /** The container instance's Availability Zone, shown in the task metadata; default `<the task's region>a`, as the agent registers. */
  availabilityZone?: string;
  /** The task metadata endpoint (ECS_CONTAINER_METADATA_URI_V4 in every container); default on. */
  metadataEndpoint?: boolean;
  /** How often running tasks' stats are refreshed for the metadata endpoint. */
  metadataStatsIntervalMs?: number;
  /** The awslogs log driver: containers' logs read from `source`, shipped to CloudWatch Logs (`sink` of a region). Without it awslogs fails the task. */
  awslogs?: {
    source: ContainerLogSource;
    sink: (region: string) => LogSink;
    /** The region of awslogs options without awslogs-region. */
    region: string;
    /** The longest a log line waits before it is sent (default 250 ms). */
    flushDelayMs?: number;
    retryFirstMs?: number;
    retryMaxMs?: number;
  };
}

export interface EngineStats {
  tasks: number;
  byStatus: Partial<Record<TaskStatus, number>>;
  containers: { pending: number; running: number; stopped: number };
  hostPortsInUse: number;
  orphanTasks: number;
}

export class TaskEngine {
  readonly #runtime: ContainerRuntime;
  readonly #log: Logger;
  readonly #store: TaskStateStore;
  readonly #ports: HostPortAllocator;
  readonly #settings: EngineSettings;
  readonly #report: (r: TaskReport) => void;
  readonly #stateDir: string;
  readonly #actors = new Map<string, TaskActor>();
  /** Tasks cleaned up since this engine started: never started again. */
  readonly #forgotten = new Set<string>();
  /** Tasks whose containers carry this engine's label but of which no state survives: task ARN → container ids. */
  readonly #orphans = new Map<string, string[]>();
  readonly #pulledOnce: Set<string>;
  readonly #metadata: TaskMetadataEndpoint;
  readonly #awslogs: AwslogsShipper | undefined;
  readonly #unsubscribe: () => void;
  readonly #steadyTimer: NodeJS.Timeout;
  #closed = false;

  constructor(opts: TaskEngineOptions) {
    this.#runtime = opts.runtime;
    this.#log = opts.log ?? pino({ level: 'silent' });
    this.#stateDir = resolve(opts.stateDir);
    this.#store = new TaskStateStore(this.#stateDir);
    this.#ports = new HostPortAllocator(opts.hostAddress, opts.portRange ?? EPHEMERAL_PORT_RANGE);
    this.#report = opts.report;
    const awslogs = (this.#awslogs = opts.awslogs && new AwslogsShipper({ ...opts.awslogs, dir: join(this.#stateDir, 'logs'), log: this.#log }));
    this.#settings = {
      hostAddress: opts.hostAddress,
      clusterName: opts.clusterName,
      imagePullBehavior: opts.imagePullBehavior ?? 'default',
      cleanupDelayMs: opts.cleanupDelayMs ?? DEFAULT_CLEANUP_DELAY_MS,
      defaultStopTimeoutSeconds: opts.containerStopTimeoutSeconds ?? DEFAULT_STOP_TIMEOUT_SECONDS,
      labels: { ...(opts.labels ?? {}), [STATE_DIR_LABEL]: this.#stateDir },
      containerEnvironment: opts.containerEnvironment,
      registryAuth: opts.registryAuth,
      onPullProgress: opts.onPullProgress,
      mapLogConfiguration: opts.mapLogConfiguration ?? (awslogs && ((lc) => (lc.logDriver === 'awslogs' ? awslogs.dockerLogConfig(lc) : undefined))),
      cpuArchitecture: arch() === 'arm64' ? 'ARM64' : arch() === 'x64' ? 'X86_64' : undefined,
    };
    this.#pulledOnce = this.#store.loadPulledImages();
    this.#metadata = new TaskMetadataEndpoint({
      runtime: this.#runtime,
      dir: join(this.#stateDir, 'metadata'),
      hostAddress: opts.hostAddress,
      availabilityZone: opts.availabilityZone,
      labels: this.#settings.labels,
      enabled: opts.metadataEndpoint ?? true,
      statsIntervalMs: opts.metadataStatsIntervalMs,
      log: this.#log,
    });
    this.#unsubscribe = this.#runtime.subscribe((e) => this.#route(e));
    this.#steadyTimer = setInterval(() => {
      for (const a of this.#actors.values()) a.post({ type: 'resync' });
    }, opts.steadyStateCheckMs ?? DEFAULT_STEADY_STATE_CHECK_MS);
    this.#steadyTimer.unref();
  }

  /** A new or changed desired state for one task; an assignment older than what the engine has is ignored. */
  apply(a: TaskAssignment): void {
    if (this.#closed) return;
    const actor = this.#actors.get(a.taskArn);
    if (actor) {
      actor.post({ type: 'assignment', assignment: a });
      return;
    }
    if (this.#forgotten.has(a.taskArn)) {
      this.#reportUnknownStopped(a, CLEANED_UP_REASON);
      return;
    }
    // Never started here, and wanted stopped: nothing to do but say so (unless its containers exist after all).
    if (a.desiredStatus === 'STOPPED' && !this.#orphans.has(a.taskArn)) {
      this.#reportUnknownStopped(a, a.stoppedReason);
      return;
    }
    this.#orphans.delete(a.taskArn);
    const rec = newTaskRecord(a, { clusterName: this.#settings.clusterName, defaultStopTimeoutSeconds: this.#settings.defaultStopTimeoutSeconds });
    const created = this.#spawn(rec);
    void created.start(true);
  }

  /**
   * The control plane's complete desired state after a (re)connect: every
   * task in it is applied; a task the engine runs that is not in it is
   * stopped; containers left by a lost state that nobody claims are removed.
   */
  reconcile(full: TaskAssignment[]): void {
    if (this.#closed) return;
    const listed = new Set(full.map((a) => a.taskArn));
    for (const a of full) this.apply(a);
    for (const [arn, actor] of this.#actors) if (!listed.has(arn)) actor.post({ type: 'stopUnlisted', reason: UNLISTED_TASK_REASON });
    for (const [arn, ids] of this.#orphans) {
      if (listed.has(arn)) continue;
      this.#orphans.delete(arn);
      void this.#removeOrphan(arn, ids);
    }
  }

  /**
   * After an agent restart: rebuild an actor for every task in the state
   * directory, each taking its containers' real state from the runtime (a
   * vanished container is STOPPED with a reason, a running one is never
   * started again); remember unclaimed containers that carry this engine's
   * label until the next reconcile. Call before apply/reconcile.
   */
  async adopt(): Promise<void> {
    if (this.#closed) return;
    const records = this.#store.loadAll((file, error) => this.#log.error({ file, [AGENT_LOG.error]: error }, 'unreadable task state set aside'));
    const started: Promise<void>[] = [];
    for (const rec of records) {
      if (this.#actors.has(rec.assignment.taskArn)) continue;
      started.push(this.#spawn(rec).start(false));
    }
    try {
      const ours = await this.#runtime.listContainers({ [STATE_DIR_LABEL]: this.#stateDir });
      for (const c of ours) {
        const arn = c.labels[ECS_LABELS.taskArn];
        if (!arn || records.some((r) => r.assignment.taskArn === arn)) continue;
        this.#orphans.set(arn, [...(this.#orphans.get(arn) ?? []), c.id]);
      }
    } catch (e) {
      this.#log.warn({ [AGENT_LOG.error]: String(e) }, 'could not list containers to find orphans');
    }
    await Promise.all(started);
    // Log cursors of tasks whose state is gone have nobody to resume them.
    await this.#awslogs?.sweep(new Set(records.map((r) => r.assignment.taskArn))).catch((e: unknown) => this.#log.warn({ [AGENT_LOG.error]: String(e) }, 'could not sweep log cursors'));
    this.#log.info({ [AGENT_LOG.count]: records.length, orphans: this.#orphans.size }, 'adopted tasks');
  }

  /** The last report of a task the engine holds. */
  task(taskArn: string): TaskReport | undefined {
    const r = this.#actors.get(taskArn)?.lastReport;
    return r && structuredClone(r);
  }

  tasks(): TaskReport[] {
    return [...this.#actors.values()].flatMap((a) => (a.lastReport ? [structuredClone(a.lastReport)] : []));
  }

  /** Everything the engine knows of a task (Docker names, ids, timestamps): for the metadata endpoint. */
  describe(taskArn: string): TaskRecord | undefined {
    return this.#actors.get(taskArn)?.snapshot();
  }

  stats(): EngineStats {
    const byStatus: Partial<Record<TaskStatus, number>> = {};
    const containers = { pending: 0, running: 0, stopped: 0 };
    for (const a of this.#actors.values()) {
      byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
      for (const c of a.lastReport?.containers ?? []) {
        if (c.status === 'RUNNING') containers.running++;
        else if (c.status === 'STOPPED') containers.stopped++;
        else containers.pending++;
      }
    }
    const ordered = Object.fromEntries(TASK_STATUSES.filter((s) => byStatus[s]).map((s) => [s, byStatus[s]]));
    return { tasks: this.#actors.size, byStatus: ordered, containers, hostPortsInUse: this.#ports.size, orphanTasks: this.#orphans.size };
  }

  /** Stop listening and persist; the containers keep running (a restarted engine adopts them). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#steadyTimer);
    this.#unsubscribe();
    await Promise.all([...this.#actors.values()].map((a) => a.close()));
    this.#actors.clear();
    await this.#awslogs?.close();
    await this.#metadata.close();
  }

  #spawn(rec: TaskRecord): TaskActor {
    const ctx: ActorContext = {
      runtime: this.#runtime,
      ports: this.#ports,
      store: this.#store,
      settings: this.#settings,
      log: this.#log,
      report: this.#report,
      metadata: this.#metadata,
      awslogs: this.#awslogs,
      pulledOnce: {
        has: (image) => this.#pulledOnce.has(image),
        add: (image) => {
          if (this.#pulledOnce.has(image)) return;
          this.#pulledOnce.add(image);
          try {
            this.#store.savePulledImages(this.#pulledOnce);
          } catch (e) {
            this.#log.warn({ [AGENT_LOG.error]: String(e) }, 'could not save pulled images');
          }
        },
      },
      onCleanedUp: (arn) => {
        this.#actors.delete(arn);
        this.#forgotten.add(arn);
        if (this.#forgotten.size > FORGOTTEN_LIMIT) this.#forgotten.delete(this.#forgotten.values().next().value!);
      },
    };
    const actor = new TaskActor(rec, ctx);
    this.#actors.set(rec.assignment.taskArn, actor);
    return actor;
  }

  #route(e: RuntimeEvent): void {
    if (this.#closed) return;
    if (e.type === 'resync') {
      for (const a of this.#actors.values()) a.post({ type: 'resync' });
      return;
    }
    const arn = e.labels[ECS_LABELS.taskArn];
    if (arn) this.#actors.get(arn)?.post({ type: 'runtime', event: e });
  }

  #reportUnknownStopped(a: TaskAssignment, reason: string | undefined): void {
    const r: TaskReport = {
      taskArn: a.taskArn,
      status: 'STOPPED',
      containers: (a.taskDefinition.containerDefinitions ?? []).map((d) => ({ containerName: d.name ?? '', status: 'STOPPED' as const })),
    };
    if (reason) r.reason = reason;
    try {
      this.#report(r);
    } catch (e) {
      this.#log.error({ [AGENT_LOG.error]: String(e) }, 'report callback failed');
    }
  }

  async #removeOrphan(arn: string, ids: string[]): Promise<void> {
    this.#log.warn({ [AGENT_LOG.taskArn]: arn, [AGENT_LOG.count]: ids.length }, 'removing containers of a task nobody wants');
    for (const id of ids) {
      try {
        await this.#runtime.stopContainer(id, this.#settings.defaultStopTimeoutSeconds);
        await this.#runtime.removeContainer(id);
      } catch (e) {
        this.#log.warn({ [AGENT_LOG.runtimeId]: id, [AGENT_LOG.error]: String(e) }, 'could not remove orphan container');
      }
    }
    await this.#metadata.forget(arn).catch((e: unknown) => this.#log.warn({ [AGENT_LOG.taskArn]: arn, [AGENT_LOG.error]: String(e) }, 'could not remove orphan task metadata'));
  }
}
