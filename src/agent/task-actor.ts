import type { Attachment, LogConfiguration, NetworkBinding } from '@aws-sdk/client-ecs';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import {
  awsvpcAllotments,
  checkTaskDefinition,
  containerDefinition,
  containerSpec,
  ECS_LABELS,
  holderSpec,
  networkBindings,
  networkModeOf,
  portRequests,
  sharedVolumeMismatch,
  taskVolumes,
  type ConfigContext,
  type NetworkMode,
  type PortAllotment,
} from './container-config.js';
import type { HostPortAllocator } from './host-ports.js';
import { AGENT_LOG } from './log-fields.js';
import type { AwslogsContainer, AwslogsShipper } from './logs/awslogs-shipper.js';
import { AWSLOGS_LOG } from './logs/log-fields.js';
import type { TaskMetadataEndpoint } from './metadata/endpoint.js';
import type { ContainerReport, TaskAssignment, TaskReport, TaskStatus } from './protocol.js';
import type { ContainerInfo, ContainerRuntime, HostSpec, PortBindingSpec, RegistryAuth, RuntimeEvent } from './runtime/runtime.js';
import { RuntimeError } from './runtime/runtime.js';
import type { ContainerFailure, ContainerRecord, TaskRecord } from './task-record.js';
import type { TaskStateStore } from './task-state-store.js';
import {
  deriveTaskHealth,
  deriveTaskStatus,
  laterTaskStatus,
  planTask,
  rank,
  recordKnown,
  wireContainerStatus,
  type ContainerView,
  type KnownStatus,
  type Step,
} from './transitions.js';

// One actor per task: the only writer of that task's state. Desired-state
// changes, runtime events and the results of its own steps reach it as
// messages in one mailbox, handled one at a time. After each message it plans
// with the transition table, launches the steps that may run now (they run
// concurrently and report back as messages), derives the task's status,
// reports any change and persists.

export type ImagePullBehavior = 'default' | 'always' | 'once' | 'prefer-cached';

export const ESSENTIAL_CONTAINER_EXITED = 'Essential container in task exited';
export const CONTAINER_VANISHED = 'ContainerVanishedError: No container matching saved ID found';
export const OUT_OF_MEMORY = 'OutOfMemoryError: Container killed due to memory usage';
/** ECS reports 143 (SIGTERM) for a container that gives up on its dependencies without running. */
const DEPENDENCY_FAILURE_EXIT_CODE = 143;
const STOP_RETRY_DELAY_MS = 2000;
const STOP_ATTEMPTS = 5;
const MAILBOX_CALL_TIMEOUT_MS = 30_000;
/** How long a stopped task waits for its awslogs containers' last lines to reach CloudWatch Logs before it reports STOPPED anyway. */
const LOG_DRAIN_WAIT_MS = 15_000;
/** How long cleanup waits for them before it removes the containers (and their Docker logs) anyway. */
const LOG_DRAIN_CLEANUP_WAIT_MS = 60_000;

export interface EngineSettings {
  hostAddress: string;
  clusterName?: string;
  imagePullBehavior: ImagePullBehavior;
  cleanupDelayMs: number;
  defaultStopTimeoutSeconds: number;
  /** Labels on every container and task volume the engine creates. */
  labels: Record<string, string>;
  containerEnvironment?: (c: { taskArn: string; containerName: string; dockerName: string }) => Record<string, string>;
  registryAuth?: (image: string) => Promise<RegistryAuth | undefined> | RegistryAuth | undefined;
  onPullProgress?: (taskArn: string, containerName: string, line: string) => void;
  mapLogConfiguration?: (lc: LogConfiguration) => HostSpec['LogConfig'] | undefined;
  cpuArchitecture?: string;
}

export interface ActorContext {
  runtime: ContainerRuntime;
  ports: HostPortAllocator;
  store: TaskStateStore;
  settings: EngineSettings;
  log: Logger;
  report(r: TaskReport): void;
  pulledOnce: { has(image: string): boolean; add(image: string): void };
  /** The task metadata endpoint: the actor publishes every change of its record to it. */
  metadata: TaskMetadataEndpoint;
  /** The awslogs log driver, when the engine has CloudWatch Logs to ship to. */
  awslogs?: AwslogsShipper;
  onCleanedUp(taskArn: string): void;
}

type StepResult =
  | {
      ok: true;
      runtimeId?: string;
      imageDigest?: string;
      ports?: PortAllotment[];
      info?: ContainerInfo;
      /** The container was no longer there. */
      gone?: boolean;
      pulled?: { startedAt: number; stoppedAt: number };
    }
  | { ok: false; error: string; info?: ContainerInfo; pulled?: { startedAt: number; stoppedAt: number } };

export type ActorMessage =
  | { type: 'init'; fresh: boolean; done: () => void }
  | { type: 'assignment'; assignment: TaskAssignment }
  | { type: 'runtime'; event: RuntimeEvent }
  | { type: 'stepDone'; container: string; to: KnownStatus; result: StepResult }
  | { type: 'retry'; container: string }
  | { type: 'tick' }
  | { type: 'resync' }
  | { type: 'stopUnlisted'; reason: string }
  | { type: 'cleanup' };

const STEP_ERROR: Record<Step, string> = {
  pull: 'CannotPullContainerError',
  create: 'CannotCreateContainerError',
  start: 'CannotStartContainerError',
  provision: 'CannotStartContainerError',
  stop: 'CannotStopContainerError',
};

export class TaskActor {
  readonly #rec: TaskRecord;
  readonly #ctx: ActorContext;
  readonly #log: Logger;
  readonly #queue: ActorMessage[] = [];
  /** Steps in flight: container → the status it is being taken to. */
  readonly #applied = new Map<string, KnownStatus>();
  readonly #stopAttempts = new Map<string, number>();
  #draining = false;
  #closed = false;
  #wakeTimer?: NodeJS.Timeout;
  #wakeAt?: number;
  #cleanupTimer?: NodeJS.Timeout;
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  #lastReportJson?: string;
  #lastReport?: TaskReport;
  #lastPersistJson?: string;
  #persistChain: Promise<void> = Promise.resolve();
  #volumesReady?: Promise<void>;
  /** Since when STOPPED waits for the task's logs to be shipped. */
  #logWaitSince?: number;
  #logWaitTimer?: NodeJS.Timeout;
  #cleanupWaitedForLogs = false;

  constructor(rec: TaskRecord, ctx: ActorContext) {
    this.#rec = rec;
    this.#ctx = ctx;
    this.#log = ctx.log.child({ [AGENT_LOG.taskArn]: rec.assignment.taskArn });
  }

  get taskArn(): string {
    return this.#rec.assignment.taskArn;
  }

  get status(): TaskStatus {
    return this.#rec.status;
  }

  /** The last report emitted (undefined before the first). */
  get lastReport(): TaskReport | undefined {
    return this.#lastReport;
  }

  /** A copy of everything the actor knows of its task. */
  snapshot(): TaskRecord {
    return structuredClone(this.#rec);
  }

  /** Restore from the runtime, check the definition, and start moving; resolves once that first round is done. */
  start(fresh: boolean): Promise<void> {
    return new Promise((resolve) => this.post({ type: 'init', fresh, done: resolve }));
  }

  post(m: ActorMessage): void {
    if (this.#closed) {
      if (m.type === 'init') m.done();
      return;
    }
    this.#queue.push(m);
    if (!this.#draining) void this.#drain();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const m of this.#queue.splice(0)) if (m.type === 'init') m.done();
    clearTimeout(this.#wakeTimer);
    clearTimeout(this.#cleanupTimer);
    clearTimeout(this.#logWaitTimer);
    for (const t of this.#retryTimers) clearTimeout(t);
    await this.#persistChain;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length && !this.#closed) {
        const m = this.#queue.shift()!;
        try {
          await this.#handle(m);
          if (!this.#closed) this.#afterChange();
        } catch (e) {
          this.#log.error({ [AGENT_LOG.error]: (e as Error).stack ?? String(e), type: m.type }, 'task actor failed to handle a message');
        } finally {
          if (m.type === 'init') m.done();
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  // ------------------------------------------------------------ messages

  async #handle(m: ActorMessage): Promise<void> {
    const rec = this.#rec;
    switch (m.type) {
      case 'init':
        await this.#persist();
        await this.#restore();
        this.#checkDefinition();
        this.#reservePorts();
        this.#shipAdoptedLogs();
        if (rec.status === 'STOPPED' && rec.stoppedAt !== undefined) this.#scheduleCleanup();
        return;
      case 'assignment': {
        const a = m.assignment;
        if (a.version <= rec.assignment.version) return;
        rec.assignment = a;
        if (a.desiredStatus === 'STOPPED' && rec.desired === 'RUNNING') {
          rec.desired = 'STOPPED';
          this.#log.info({ [AGENT_LOG.reason]: a.stoppedReason }, 'stop requested');
        }
        return;
      }
      case 'stopUnlisted':
        if (rec.desired === 'RUNNING') {
          rec.desired = 'STOPPED';
          rec.reason = m.reason;
          this.#log.warn({ [AGENT_LOG.reason]: m.reason }, 'stopping a task the control plane no longer lists');
        }
        return;
      case 'runtime':
        await this.#onRuntimeEvent(m.event);
        return;
      case 'stepDone':
        this.#onStepDone(m.container, m.to, m.result);
        return;
      case 'retry':
        this.#applied.delete(m.container);
        return;
      case 'tick':
        return;
      case 'resync':
        await this.#resync();
        return;
      case 'cleanup':
        await this.#cleanup();
        return;
    }
  }

  #container(name: string): ContainerRecord | undefined {
    return this.#rec.containers.find((c) => c.name === name);
  }

  async #onRuntimeEvent(e: RuntimeEvent): Promise<void> {
    if (e.type === 'resync') return;
    const c = this.#rec.containers.find((x) => x.runtimeId === e.id);
    if (!c) return;
    switch (e.type) {
      case 'die': {
        if (c.known === 'STOPPED') return;
        // Like the ECS agent, look at the container itself: whether it was OOM-killed, when it started and ended.
        const info = await bounded(this.#ctx.runtime.inspectContainer(e.id), 'docker inspect').catch(() => undefined);
        if (info && (info.state === 'exited' || info.state === 'dead')) this.#observe(c, info);
        else this.#exited(c, e.exitCode, e.at);
        return;
      }
      case 'oom':
        c.oomKilled = true;
        if (c.known === 'STOPPED') c.reason ??= OUT_OF_MEMORY;
        return;
      case 'health':
        if (c.hasHealthCheck && c.health !== e.health) {
          c.health = e.health;
          this.#log.info({ [AGENT_LOG.container]: c.name, health: e.health }, 'container health changed');
        }
        return;
      case 'destroy':
        this.#vanished(c);
        return;
    }
  }

  #onStepDone(name: string, to: KnownStatus, r: StepResult): void {
    const c = this.#container(name);
    if (!c) return;
    this.#applied.delete(name);
    const rec = this.#rec;
    if (r.pulled) {
      rec.pullStartedAt = Math.min(rec.pullStartedAt ?? Infinity, r.pulled.startedAt);
      rec.pullStoppedAt = Math.max(rec.pullStoppedAt ?? 0, r.pulled.stoppedAt);
    }
    switch (to) {
      case 'PULLED':
        if (!r.ok) return this.#giveUp(c, 'pull', r.error);
        c.known = recordKnown(c.known, 'PULLED');
        if (r.imageDigest) c.imageDigest = r.imageDigest;
        return;
      case 'CREATED':
        if (!r.ok) return this.#giveUp(c, 'create', r.error);
        if (r.ports) c.ports = r.ports;
        c.runtimeId = r.runtimeId;
        c.known = recordKnown(c.known, 'CREATED');
        this.#observe(c, r.info);
        return;
      case 'RUNNING':
        if (!r.ok) {
          this.#observe(c, r.info);
          return this.#giveUp(c, 'start', r.error);
        }
        c.known = recordKnown(c.known, 'RUNNING');
        this.#observe(c, r.info);
        return;
      case 'RESOURCES_PROVISIONED':
        if (!r.ok) return this.#giveUp(c, 'start', r.error);
        c.known = recordKnown(c.known, 'RESOURCES_PROVISIONED');
        return;
      case 'STOPPED': {
        if (r.ok && r.gone) return this.#vanished(c);
        this.#observe(c, r.info);
        if (c.known === 'STOPPED') return;
        const attempts = (this.#stopAttempts.get(name) ?? 0) + 1;
        this.#stopAttempts.set(name, attempts);
        if (attempts >= STOP_ATTEMPTS) {
          // The ECS agent does the same: after failing to stop, assume it stopped and get on with it.
          this.#log.error({ [AGENT_LOG.container]: c.name, [AGENT_LOG.error]: r.ok ? 'still running' : r.error }, 'could not stop container; marking it stopped');
          c.reason ??= r.ok ? undefined : r.error;
          this.#exited(c, undefined, Date.now());
          return;
        }
        // Keep the container marked as in flight until the retry timer frees it.
        this.#applied.set(name, 'STOPPED');
        const t = setTimeout(() => {
          this.#retryTimers.delete(t);
          this.post({ type: 'retry', container: name });
        }, STOP_RETRY_DELAY_MS);
        t.unref();
        this.#retryTimers.add(t);
        return;
      }
      default:
        return;
    }
  }

  #giveUp(c: ContainerRecord, failure: ContainerFailure, error: string): void {
    c.reason ??= error;
    c.failure ??= failure;
    c.desired = 'STOPPED';
    this.#log.warn({ [AGENT_LOG.container]: c.name, [AGENT_LOG.error]: error }, 'container gave up');
  }

  /** What the runtime says of a container, folded into its record (the known status only moves forward). */
  #observe(c: ContainerRecord, info: ContainerInfo | undefined): void {
    if (!info) return;
    if (info.startedAt !== undefined) c.startedAt ??= info.startedAt;
    if (c.hasHealthCheck && info.health) c.health = info.health;
    if (info.oomKilled) c.oomKilled = true;
    switch (info.state) {
      case 'created':
        c.known = recordKnown(c.known, 'CREATED');
        return;
      case 'running':
      case 'paused':
      case 'restarting':
        c.known = recordKnown(c.known, 'RUNNING');
        return;
      case 'exited':
      case 'dead':
      case 'removing':
        this.#exited(c, info.exitCode, info.finishedAt);
        return;
    }
  }

  #exited(c: ContainerRecord, exitCode: number | undefined, at: number | undefined): void {
    if (c.known === 'STOPPED') {
      if (c.exitCode === undefined && exitCode !== undefined && c.runtimeId && !c.failure) c.exitCode = exitCode;
      return;
    }
    c.known = 'STOPPED';
    c.exitCode = exitCode;
    c.finishedAt = at ?? Date.now();
    if (c.oomKilled) c.reason ??= OUT_OF_MEMORY;
    this.#log.info({ [AGENT_LOG.container]: c.name, exitCode }, 'container stopped');
  }

  #vanished(c: ContainerRecord): void {
    if (c.known === 'STOPPED') return;
    c.known = 'STOPPED';
    c.reason ??= CONTAINER_VANISHED;
    c.failure ??= 'vanished';
    c.finishedAt = Date.now();
    this.#log.warn({ [AGENT_LOG.container]: c.name, [AGENT_LOG.runtimeId]: c.runtimeId }, 'container vanished');
  }

  // ------------------------------------------------------------ planning

  #afterChange(): void {
    const now = Date.now();
    let wakeAt: number | undefined;
    // On the way down, say so (DEACTIVATING) before the first stop goes out, as ACTIVATING precedes RUNNING.
    this.#applyTaskRules(now);
    if (this.#rec.status !== 'DEACTIVATING' && deriveTaskStatus(this.#views(), this.#rec.desired) === 'DEACTIVATING') {
      this.#updateStatus(now);
      this.#emitReport();
    }
    for (let round = 0; round < 100; round++) {
      this.#applyTaskRules(now);
      const plan = planTask(this.#views(), now);
      wakeAt = plan.wakeAt;
      let recorded = false;
      for (const { name, transition: t } of plan.moves) {
        const c = this.#container(name)!;
        if (t.kind === 'step') {
          this.#launch(c, t.to, t.step);
        } else if (t.kind === 'mark') {
          c.known = 'STOPPED';
          recorded = true;
        } else {
          this.#log.warn({ [AGENT_LOG.container]: c.name, [AGENT_LOG.reason]: t.reason }, 'container dependency cannot be met');
          c.desired = 'STOPPED';
          c.known = 'STOPPED';
          c.failure ??= 'dependency';
          c.reason ??= `CannotStartContainerError: ${t.reason}`;
          c.exitCode ??= DEPENDENCY_FAILURE_EXIT_CODE;
          c.finishedAt ??= now;
          recorded = true;
        }
      }
      if (!recorded) break;
    }
    this.#scheduleWake(wakeAt);
    this.#updateStatus(now);
    this.#emitReport();
    void this.#persist();
    this.#ctx.metadata.publish(this.#rec);
  }

  /** The task-level rules: what stops the task, and that a stopping task stops every container. */
  #applyTaskRules(now: number): void {
    const rec = this.#rec;
    if (rec.desired === 'RUNNING') {
      const strict = this.#ctx.settings.imagePullBehavior === 'always' || this.#ctx.settings.imagePullBehavior === 'once';
      const culprit =
        rec.containers.find((c) => c.failure === 'pull' && (c.essential || strict)) ??
        rec.containers.find((c) => c.essential && (c.known === 'STOPPED' || c.desired === 'STOPPED'));
      if (culprit) {
        rec.desired = 'STOPPED';
        if (culprit.failure && culprit.failure !== 'vanished') {
          rec.stopCode = 'TaskFailedToStart';
          rec.reason = culprit.reason;
        } else {
          rec.stopCode = 'EssentialContainerExited';
          rec.reason = culprit.failure === 'vanished' ? culprit.reason : ESSENTIAL_CONTAINER_EXITED;
        }
        this.#log.info({ stopCode: rec.stopCode, [AGENT_LOG.reason]: rec.reason, [AGENT_LOG.container]: culprit.name }, 'task stopping');
      }
    }
    if (rec.executionStoppedAt === undefined && rec.containers.some((c) => c.essential && c.known === 'STOPPED')) rec.executionStoppedAt = now;
    if (rec.desired === 'STOPPED') for (const c of rec.containers) c.desired = 'STOPPED';
  }

  #views(): ContainerView[] {
    return this.#rec.containers.map((c) => ({
      name: c.name,
      holder: c.holder,
      essential: c.essential,
      known: c.known,
      desired: c.desired,
      applied: this.#applied.get(c.name),
      exitCode: c.exitCode,
      health: c.health,
      hasHealthCheck: c.hasHealthCheck,
      startedAt: c.startedAt,
      startTimeoutMs: c.startTimeoutMs,
      dependsOn: c.dependsOn,
    }));
  }

  #scheduleWake(at: number | undefined): void {
    if (at === this.#wakeAt) return;
    clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    if (at === undefined) return;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeAt = undefined;
      this.post({ type: 'tick' });
    }, Math.max(0, at - Date.now()) + 5);
    this.#wakeTimer.unref();
  }

  #updateStatus(now: number): void {
    const rec = this.#rec;
    let next = laterTaskStatus(rec.status, deriveTaskStatus(this.#views(), rec.desired));
    // The last lines reach CloudWatch Logs before the task says STOPPED (Docker's driver flushes as the container stops).
    if (next === 'STOPPED' && !this.#logsShipped(now)) next = laterTaskStatus(rec.status, 'STOPPING');
    if (next !== rec.status) {
      rec.status = next;
      this.#log.info({ [AGENT_LOG.status]: next }, 'task status');
    }
    if (next === 'STOPPED' && rec.stoppedAt === undefined) {
      rec.stoppedAt = now;
      for (const c of rec.containers) for (const p of c.ports) this.#ctx.ports.release(p.protocol, p.hostPort, p.count);
      this.#scheduleCleanup();
    }
  }

  /** Whether the task's awslogs containers are shipped to the end of their logs (or the wait for them is over). */
  #logsShipped(now: number): boolean {
    const logs = this.#ctx.awslogs;
    if (!logs || logs.drained(this.taskArn)) return true;
    if (this.#logWaitSince === undefined) {
      this.#logWaitSince = now;
      void logs.whenDrained(this.taskArn).then(() => this.post({ type: 'tick' }));
      this.#logWaitTimer = setTimeout(() => this.post({ type: 'tick' }), LOG_DRAIN_WAIT_MS + 5);
      this.#logWaitTimer.unref();
    }
    if (now - this.#logWaitSince < LOG_DRAIN_WAIT_MS) return false;
    this.#log.warn({ [AWSLOGS_LOG.waitedMs]: now - this.#logWaitSince }, 'the task\'s logs are not all shipped yet; reporting it STOPPED anyway (shipping goes on until cleanup)');
    return true;
  }

  /** After a restart: ship the logs of the awslogs containers that ran, from their cursors. */
  #shipAdoptedLogs(): void {
    const logs = this.#ctx.awslogs;
    if (!logs) return;
    for (const c of this.#rec.containers) {
      if (c.startedAt === undefined && rank(c.known) < rank('RUNNING')) continue;
      const target = this.#awslogsContainer(c);
      if (target) logs.ship(target);
    }
  }

  #awslogsContainer(c: ContainerRecord): AwslogsContainer | undefined {
    if (!this.#ctx.awslogs || c.holder || !c.runtimeId) return undefined;
    let lc;
    try {
      lc = containerDefinition(this.#rec.assignment.taskDefinition, c.name).logConfiguration;
    } catch {
      return undefined;
    }
    if (lc?.logDriver !== 'awslogs') return undefined;
    return { taskArn: this.taskArn, containerName: c.name, containerId: c.runtimeId, dockerName: c.dockerName, image: c.image, logConfiguration: lc };
  }

  #scheduleCleanup(): void {
    if (this.#cleanupTimer) return;
    const due = (this.#rec.stoppedAt ?? Date.now()) + this.#ctx.settings.cleanupDelayMs;
    this.#cleanupTimer = setTimeout(() => this.post({ type: 'cleanup' }), Math.max(0, due - Date.now()));
    this.#cleanupTimer.unref();
  }

  // ------------------------------------------------------------ reporting and persistence

  #emitReport(): void {
    const r = this.#buildReport();
    const json = JSON.stringify(r);
    if (json === this.#lastReportJson) return;
    this.#lastReportJson = json;
    this.#lastReport = r;
    try {
      this.#ctx.report(structuredClone(r));
    } catch (e) {
      this.#log.error({ [AGENT_LOG.error]: String(e) }, 'report callback failed');
    }
  }

  #buildReport(): TaskReport {
    const rec = this.#rec;
    const a = rec.assignment;
    const mode = this.#networkMode();
    const containers = rec.containers
      .filter((c) => !c.holder)
      .map((c): ContainerReport => {
        const r: ContainerReport = { containerName: c.name, status: wireContainerStatus(c.known), healthStatus: c.hasHealthCheck ? c.health : 'UNKNOWN' };
        if (c.runtimeId) r.runtimeId = c.runtimeId;
        if (c.imageDigest) r.imageDigest = c.imageDigest;
        if (c.exitCode !== undefined) r.exitCode = c.exitCode;
        if (c.reason) r.reason = c.reason;
        const nb = this.#bindings(c, mode);
        if (nb.length) r.networkBindings = nb;
        return r;
      });
    const r: TaskReport = { taskArn: a.taskArn, status: rec.status, containers, healthStatus: deriveTaskHealth(rec.containers) };
    if (rec.stopCode) r.stopCode = rec.stopCode;
    if (rec.reason) r.reason = rec.reason;
    if (rec.pullStartedAt !== undefined) r.pullStartedAt = rec.pullStartedAt;
    if (rec.pullStoppedAt !== undefined) r.pullStoppedAt = rec.pullStoppedAt;
    if (rec.executionStoppedAt !== undefined) r.executionStoppedAt = rec.executionStoppedAt;
    if (mode === 'awsvpc' && a.privateIPv4Address) {
      const attachment: Attachment = {
        type: 'ElasticNetworkInterface',
        status: attachmentStatus(rec.status),
        details: [{ name: 'privateIPv4Address', value: a.privateIPv4Address }],
      };
      if (a.attachmentId) attachment.id = a.attachmentId;
      r.attachments = [attachment];
    }
    return r;
  }

  #bindings(c: ContainerRecord, mode: NetworkMode | undefined): NetworkBinding[] {
    if (c.startedAt === undefined && rank(c.known) < rank('RUNNING')) return [];
    if (mode === 'bridge') return networkBindings(c.ports, this.#ctx.settings.hostAddress);
    if (mode === 'awsvpc' && this.#rec.assignment.privateIPv4Address) {
      try {
        return networkBindings(awsvpcAllotments(containerDefinition(this.#rec.assignment.taskDefinition, c.name)), this.#rec.assignment.privateIPv4Address);
      } catch {
        return [];
      }
    }
    return [];
  }

  #networkMode(): NetworkMode | undefined {
    try {
      return networkModeOf(this.#rec.assignment.taskDefinition);
    } catch {
      return undefined;
    }
  }

  #persist(): Promise<void> {
    const json = JSON.stringify(this.#rec);
    if (json === this.#lastPersistJson) return this.#persistChain;
    this.#lastPersistJson = json;
    this.#persistChain = this.#persistChain
      .then(() => this.#ctx.store.save(this.taskArn, json))
      .catch((e: unknown) => this.#log.error({ [AGENT_LOG.error]: String(e) }, 'could not persist task state'));
    return this.#persistChain;
  }

  // ------------------------------------------------------------ start-up

  /** Find the task's containers in the runtime (by label, id or name) and take their real state. */
  async #restore(): Promise<void> {
    const rec = this.#rec;
    let found;
    try {
      found = await bounded(this.#ctx.runtime.listContainers({ [ECS_LABELS.taskArn]: this.taskArn }), 'docker ps');
    } catch (e) {
      this.#log.warn({ [AGENT_LOG.error]: String(e) }, 'could not list the task\'s containers; carrying on from the saved state');
      return;
    }
    const claimed = new Set<string>();
    for (const c of rec.containers) {
      const free = found.filter((f) => !claimed.has(f.id));
      const mine = free.filter((f) => f.id === c.runtimeId || f.name === c.dockerName);
      const candidates = mine.length ? mine : free.filter((f) => f.labels[ECS_LABELS.containerName] === c.name);
      const pick = candidates.find((f) => f.state === 'running') ?? candidates[0];
      if (!pick) {
        if (c.known !== 'STOPPED' && (c.runtimeId || rank(c.known) >= rank('CREATED'))) this.#vanished(c);
        continue;
      }
      claimed.add(pick.id);
      if (candidates.length > 1) {
        this.#log.warn({ [AGENT_LOG.container]: c.name, [AGENT_LOG.count]: candidates.length }, 'several runtime containers for one task container; adopting one');
      }
      c.runtimeId = pick.id;
      c.dockerName = pick.name;
      let info: ContainerInfo | undefined;
      try {
        info = await bounded(this.#ctx.runtime.inspectContainer(pick.id), 'docker inspect');
      } catch (e) {
        this.#log.warn({ [AGENT_LOG.container]: c.name, [AGENT_LOG.error]: String(e) }, 'could not inspect an adopted container');
        continue;
      }
      if (!info) {
        this.#vanished(c);
        continue;
      }
      this.#observe(c, info);
      if (!c.ports.length && this.#networkMode() === 'bridge') c.ports = this.#portsFromRuntime(c, info.portBindings);
      this.#log.info({ [AGENT_LOG.container]: c.name, [AGENT_LOG.runtimeId]: pick.id, [AGENT_LOG.status]: c.known }, 'adopted container');
    }
  }

  #portsFromRuntime(c: ContainerRecord, bindings: Record<string, PortBindingSpec[]>): PortAllotment[] {
    try {
      const reqs = portRequests(containerDefinition(this.#rec.assignment.taskDefinition, c.name), 'bridge');
      const out: PortAllotment[] = [];
      for (const r of reqs) {
        const hostPort = Number(bindings[`${r.containerPort}/${r.protocol}`]?.[0]?.HostPort);
        if (!Number.isInteger(hostPort) || hostPort <= 0) return [];
        out.push({ ...r, hostPort });
      }
      return out;
    } catch {
      return [];
    }
  }

  /** Before anything is created: whatever berth cannot apply fails the task now, with the reason. */
  #checkDefinition(): void {
    const rec = this.#rec;
    if (rec.desired === 'STOPPED' || rec.containers.some((c) => c.runtimeId || rank(c.known) >= rank('CREATED'))) return;
    try {
      const mode = networkModeOf(rec.assignment.taskDefinition);
      const ports: Record<string, PortAllotment[]> = {};
      if (mode === 'bridge') {
        for (const c of rec.containers) {
          if (c.holder) continue;
          ports[c.name] = portRequests(containerDefinition(rec.assignment.taskDefinition, c.name), mode).map((r) => ({ ...r, hostPort: r.hostPort ?? 1 }));
        }
      }
      const ctx = this.#configContext(ports);
      checkTaskDefinition(ctx);
      for (const c of rec.containers) {
        if (c.holder) holderSpec(ctx, 'holder');
        else containerSpec(ctx, c.name);
      }
    } catch (e) {
      rec.desired = 'STOPPED';
      rec.stopCode = 'TaskFailedToStart';
      rec.reason = (e as Error).message;
      this.#log.warn({ [AGENT_LOG.reason]: rec.reason }, 'task definition cannot be applied');
    }
  }

  #reservePorts(): void {
    if (this.#rec.status === 'STOPPED') return;
    for (const c of this.#rec.containers) for (const p of c.ports) this.#ctx.ports.reserve(p.protocol, p.hostPort, p.count);
  }

  #configContext(ports: Record<string, PortAllotment[]>): ConfigContext {
    const rec = this.#rec;
    const a = rec.assignment;
    const s = this.#ctx.settings;
    const dockerNames = Object.fromEntries(rec.containers.map((c) => [c.name, c.dockerName]));
    return {
      taskArn: a.taskArn,
      clusterName: rec.clusterName,
      taskDefinition: a.taskDefinition,
      overrides: a.overrides ?? {},
      taskCpu: a.cpu,
      taskMemory: a.memory,
      taskAddress: a.privateIPv4Address,
      hostAddress: s.hostAddress,
      dockerNames,
      volumeNames: Object.fromEntries(rec.volumes.filter((v) => v.kind === 'task').map((v) => [v.name, v.dockerName])),
      ports,
      labels: s.labels,
      // The metadata endpoint's URIs, then whatever the agent adds (it wins).
      environment: (name) => ({
        ...this.#ctx.metadata.environment(a, dockerNames[name] ?? ''),
        ...(s.containerEnvironment?.({ taskArn: a.taskArn, containerName: name, dockerName: dockerNames[name] ?? '' }) ?? {}),
      }),
      metadataDir: this.#ctx.metadata.taskDir(a),
      readTextFile: (p) => readFileSync(p, 'utf8'),
      defaultStopTimeoutSeconds: s.defaultStopTimeoutSeconds,
      cpuArchitecture: s.cpuArchitecture,
      mapLogConfiguration: s.mapLogConfiguration,
    };
  }

  // ------------------------------------------------------------ steps (they run concurrently and never touch the record)

  #launch(c: ContainerRecord, to: KnownStatus, step: Step): void {
    this.#applied.set(c.name, to);
    const snapshot = structuredClone(c);
    this.#log.debug({ [AGENT_LOG.container]: c.name, [AGENT_LOG.step]: step }, 'step');
    let run: Promise<StepResult>;
    switch (step) {
      case 'pull':
        run = this.#pull(snapshot);
        break;
      case 'create':
        run = this.#create(snapshot);
        break;
      case 'start':
        run = this.#start(snapshot);
        break;
      case 'provision':
        run = this.#provision(snapshot);
        break;
      case 'stop':
        run = this.#stop(snapshot);
        break;
    }
    run.then(
      (result) => this.post({ type: 'stepDone', container: c.name, to, result }),
      (e: unknown) => this.post({ type: 'stepDone', container: c.name, to, result: { ok: false, error: `${STEP_ERROR[step]}: ${errorText(e)}` } }),
    );
  }

  async #pull(c: ContainerRecord): Promise<StepResult> {
    const { runtime, settings, pulledOnce } = this.#ctx;
    if (c.holder) {
      try {
        await this.#ctx.metadata.helperImage();
        return { ok: true };
      } catch (e) {
        return { ok: false, error: `${STEP_ERROR.pull}: ${errorText(e)}` };
      }
    }
    const image = c.image;
    let pulled: { startedAt: number; stoppedAt: number } | undefined;
    const pull = async () => {
      const startedAt = Date.now();
      try {
        const auth = await settings.registryAuth?.(image);
        await runtime.pullImage(
          image,
          (line) => {
            this.#log.debug({ [AGENT_LOG.container]: c.name, [AGENT_LOG.image]: image, [AGENT_LOG.line]: line }, 'pull');
            settings.onPullProgress?.(this.taskArn, c.name, line);
          },
          auth,
        );
      } finally {
        pulled = { startedAt, stoppedAt: Date.now() };
      }
    };
    try {
      switch (settings.imagePullBehavior) {
        case 'prefer-cached':
          if (!(await runtime.imageExists(image))) await pull();
          break;
        case 'once':
          if (!(pulledOnce.has(image) && (await runtime.imageExists(image)))) {
            await pull();
            pulledOnce.add(image);
          }
          break;
        case 'always':
          await pull();
          break;
        default:
          try {
            await pull();
          } catch (e) {
            if (!(await runtime.imageExists(image))) throw e;
            this.#log.info({ [AGENT_LOG.image]: image, [AGENT_LOG.error]: errorText(e) }, 'pull failed; using the cached image');
          }
      }
    } catch (e) {
      return { ok: false, error: `${STEP_ERROR.pull}: ${errorText(e)}`, pulled };
    }
    const imageDigest = await runtime.imageDigest(image).catch(() => undefined);
    return { ok: true, imageDigest, pulled };
  }

  async #create(c: ContainerRecord): Promise<StepResult> {
    const { runtime } = this.#ctx;
    let fresh: PortAllotment[] = [];
    try {
      await this.#ensureVolumes();
      // A previous life of the agent may have created it just before dying: adopt it rather than make another.
      const existing = await runtime.inspectContainer(c.dockerName);
      if (existing && existing.labels[ECS_LABELS.taskArn] === this.taskArn) {
        const ports = c.ports.length || this.#networkMode() !== 'bridge' ? c.ports : this.#portsFromRuntime(c, existing.portBindings);
        return { ok: true, runtimeId: existing.id, ports, info: existing };
      }
      let ports = c.ports;
      if (!c.holder && !ports.length && this.#networkMode() === 'bridge') {
        ports = fresh = await this.#allotPorts(c);
      }
      // The metadata directory (mounted by the holder) exists, and host mode's server listens, before anything names them.
      await this.#ctx.metadata.prepare(this.#rec.assignment);
      const ctx = this.#configContext({ [c.name]: ports });
      const spec = c.holder ? holderSpec(ctx, await this.#ctx.metadata.helperImage()) : containerSpec(ctx, c.name);
      const id = await runtime.createContainer(spec);
      return { ok: true, runtimeId: id, ports };
    } catch (e) {
      for (const p of fresh) this.#ctx.ports.release(p.protocol, p.hostPort, p.count);
      return { ok: false, error: `${STEP_ERROR.create}: ${errorText(e)}` };
    }
  }

  async #allotPorts(c: ContainerRecord): Promise<PortAllotment[]> {
    const reqs = portRequests(containerDefinition(this.#rec.assignment.taskDefinition, c.name), 'bridge');
    const out: PortAllotment[] = [];
    try {
      for (const r of reqs) {
        if (r.hostPort !== undefined) {
          this.#ctx.ports.reserve(r.protocol, r.hostPort, r.count);
          out.push({ ...r, hostPort: r.hostPort });
        } else {
          out.push({ ...r, hostPort: await this.#ctx.ports.allot(r.protocol, r.count) });
        }
      }
    } catch (e) {
      for (const p of out) this.#ctx.ports.release(p.protocol, p.hostPort, p.count);
      throw e;
    }
    return out;
  }

  /** The task's Docker volumes, once per actor: task-scoped ones created, shared ones checked or autoprovisioned. */
  #ensureVolumes(): Promise<void> {
    this.#volumesReady ??= this.#provisionVolumes().catch((e: unknown) => {
      this.#volumesReady = undefined;
      throw e;
    });
    return this.#volumesReady;
  }

  async #provisionVolumes(): Promise<void> {
    const { runtime, settings } = this.#ctx;
    const defs = taskVolumes(this.#rec.assignment.taskDefinition);
    for (const v of this.#rec.volumes) {
      const def = defs.find((d) => d.name === v.name);
      if (!def) continue;
      const existing = await runtime.inspectVolume(v.dockerName);
      if (v.kind === 'task') {
        if (!existing) {
          await runtime.createVolume({
            name: v.dockerName,
            driver: def.driver,
            driverOpts: def.driverOpts,
            labels: { ...def.labels, ...settings.labels, [ECS_LABELS.taskArn]: this.taskArn },
          });
        }
        continue;
      }
      if (existing) {
        const mismatch = def.autoprovision ? sharedVolumeMismatch(def, existing) : undefined;
        if (mismatch) throw new Error(mismatch);
      } else if (def.autoprovision) {
        await runtime.createVolume({ name: v.dockerName, driver: def.driver, driverOpts: def.driverOpts, labels: def.labels });
      } else {
        throw new Error(`shared volume ${v.name} does not exist and autoprovision is false`);
      }
    }
  }

  async #start(c: ContainerRecord): Promise<StepResult> {
    const { runtime } = this.#ctx;
    const id = c.runtimeId!;
    // The container's metadata file is written before its process can ask for it.
    await this.#ctx.metadata.written(this.taskArn);
    // awslogs: the log stream exists before the container runs, as Docker's driver makes it when it starts the container.
    const logs = this.#awslogsContainer(c);
    if (logs) {
      try {
        await this.#ctx.awslogs!.prepare(logs);
      } catch (e) {
        return { ok: false, error: `${STEP_ERROR.start}: Error response from daemon: failed to initialize logging driver: ${errorText(e)}` };
      }
    }
    try {
      await runtime.startContainer(id);
    } catch (e) {
      // Like the ECS agent: a failed start may still have started it; look before giving up.
      const info = await runtime.inspectContainer(id).catch(() => undefined);
      if (logs) this.#ctx.awslogs!.ship(logs);
      return { ok: false, error: `${STEP_ERROR.start}: ${errorText(e)}`, info };
    }
    if (logs) this.#ctx.awslogs!.ship(logs);
    const info = await runtime.inspectContainer(id).catch(() => undefined);
    return { ok: true, info };
  }

  async #provision(c: ContainerRecord): Promise<StepResult> {
    const info = await this.#ctx.runtime.inspectContainer(c.runtimeId!);
    if (info?.state !== 'running') return { ok: false, error: `${STEP_ERROR.provision}: the namespace holder is not running` };
    return { ok: true };
  }

  async #stop(c: ContainerRecord): Promise<StepResult> {
    const { runtime } = this.#ctx;
    const id = c.runtimeId ?? c.dockerName;
    try {
      await runtime.stopContainer(id, c.stopTimeoutSeconds);
    } catch (e) {
      if (e instanceof RuntimeError && e.kind === 'not-found') return { ok: true, gone: true };
      const info = await runtime.inspectContainer(id).catch(() => undefined);
      return { ok: false, error: `${STEP_ERROR.stop}: ${errorText(e)}`, info };
    }
    const info = await runtime.inspectContainer(id).catch(() => undefined);
    if (!info) return { ok: true, gone: true };
    return { ok: true, info };
  }

  // ------------------------------------------------------------ upkeep

  /** Re-inspect live containers: the event stream may have missed something. */
  async #resync(): Promise<void> {
    for (const c of this.#rec.containers) {
      if (!c.runtimeId || c.known === 'STOPPED' || this.#applied.has(c.name) || rank(c.known) < rank('CREATED')) continue;
      let info: ContainerInfo | undefined;
      try {
        info = await bounded(this.#ctx.runtime.inspectContainer(c.runtimeId), 'docker inspect');
      } catch {
        continue;
      }
      if (!info) this.#vanished(c);
      else this.#observe(c, info);
    }
  }

  async #cleanup(): Promise<void> {
    const { runtime, store, awslogs } = this.#ctx;
    // Removing a container removes its Docker log: let the shipper reach its end first (for a while).
    if (awslogs && !awslogs.drained(this.taskArn) && !this.#cleanupWaitedForLogs) {
      this.#cleanupWaitedForLogs = true;
      this.#log.info('cleanup waits for the task\'s logs to be shipped');
      const t = setTimeout(() => this.post({ type: 'cleanup' }), LOG_DRAIN_CLEANUP_WAIT_MS);
      t.unref();
      this.#retryTimers.add(t);
      void awslogs.whenDrained(this.taskArn).then(() => this.post({ type: 'cleanup' }));
      return;
    }
    const ordered = [...this.#rec.containers.filter((c) => !c.holder), ...this.#rec.containers.filter((c) => c.holder)];
    for (const c of ordered) {
      if (!c.runtimeId && rank(c.known) < rank('CREATED') && !c.failure) continue;
      try {
        await bounded(runtime.removeContainer(c.runtimeId ?? c.dockerName), 'docker rm');
      } catch (e) {
        this.#log.warn({ [AGENT_LOG.container]: c.name, [AGENT_LOG.error]: errorText(e) }, 'could not remove container');
      }
    }
    for (const v of this.#rec.volumes) {
      if (v.kind !== 'task') continue;
      try {
        await bounded(runtime.removeVolume(v.dockerName), 'docker volume rm');
      } catch (e) {
        this.#log.warn({ volume: v.dockerName, [AGENT_LOG.error]: errorText(e) }, 'could not remove task volume');
      }
    }
    try {
      await bounded(this.#ctx.metadata.forget(this.taskArn), 'metadata cleanup');
    } catch (e) {
      this.#log.warn({ [AGENT_LOG.error]: errorText(e) }, 'could not clean up task metadata');
    }
    await awslogs?.forget(this.taskArn, this.#rec.containers.map((c) => c.name)).catch((e: unknown) => this.#log.warn({ [AGENT_LOG.error]: errorText(e) }, 'could not remove the log cursors'));
    await this.#persistChain;
    await store.remove(this.taskArn);
    this.#log.info('task cleaned up');
    this.#closed = true;
    clearTimeout(this.#wakeTimer);
    this.#ctx.onCleanedUp(this.taskArn);
  }
}

function attachmentStatus(s: TaskStatus): string {
  switch (s) {
    case 'PROVISIONING':
      return 'ATTACHING';
    case 'DEPROVISIONING':
      return 'DETACHING';
    case 'STOPPED':
      return 'DETACHED';
    default:
      return 'ATTACHED';
  }
}

/** Runtime calls made while the mailbox waits are bounded: a hung daemon must not wedge the actor. */
function bounded<T>(p: Promise<T>, what: string, ms = MAILBOX_CALL_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
