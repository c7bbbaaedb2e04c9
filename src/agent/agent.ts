import {
  ECSClient,
  RegisterContainerInstanceCommand,
  SubmitTaskStateChangeCommand,
  type Attribute,
  type Resource,
} from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogsSink } from './logs/cloudwatch-sink.js';
import type { LogSink } from './logs/sink.js';
import { registryAuthFor } from './registry-auth.js';
import type { RegistryAuth } from './runtime/runtime.js';
import { SignatureV4 } from '@smithy/signature-v4';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import {
  AGENT_CONNECT_PATH,
  HEARTBEAT_INTERVAL_MS,
  type ControlMessage,
  type TaskAssignment,
  type TaskReport,
} from './protocol.js';
import { NodeSha256 } from './sha256.js';
import { FARGATE_POOL_CLUSTER } from './protocol.js';

// The agent of one container instance: registers it (RegisterContainerInstance
// semantics), keeps one WebSocket to the control plane for its task
// assignments, hands them to the task engine, and reports every state change
// back through SubmitTaskStateChange, retrying until the control plane has it.
//
//   control plane ──ws: tasks──► Agent ──apply/reconcile──► TaskEngine ──► Docker
//        ▲                                                      │
//        └──────────── SubmitTaskStateChange ◄── report queue ◄─┘

export const AGENT_VERSION = '1.0.0-berth';

export interface AgentOptions {
  endpoint: string;
  region: string;
  cluster: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  dataDir: string;
  /** CPU units to register (default cores × 1024). */
  cpu?: number;
  /** MiB to register (default the host's memory). */
  memory?: number;
  attributes?: Record<string, string>;
  availabilityZone?: string;
  instanceType?: string;
  /** The address published ports bind to (default 127.0.0.1). */
  hostAddress?: string;
  /**
   * Join berth's managed Fargate capacity instead of a cluster: the instance
   * is registered in the account's Fargate pool (FARGATE_POOL_CLUSTER), runs
   * FARGATE and FARGATE_SPOT tasks of every cluster and is never listed in one.
   */
  fargate?: boolean;
  log: Logger;
}

/** What the agent needs of a task engine. */
export interface Engine {
  apply(a: TaskAssignment): void;
  reconcile(full: TaskAssignment[]): void;
  adopt(): Promise<void>;
  close(): Promise<void>;
}

export type EngineFactory = (ctx: {
  report: (r: TaskReport) => void;
  /** The com.amazonaws.ecs.cluster label; undefined: each task's own cluster (a Fargate instance). */
  clusterName?: string;
  hostAddress: string;
  availabilityZone: string;
  stateDir: string;
  log: Logger;
  /** Credentials for pulls from berth's registry. */
  registryAuth: (image: string) => Promise<RegistryAuth | undefined>;
  /** The agent's region: awslogs options without awslogs-region ship there. */
  region: string;
  /** CloudWatch Logs of a region, at the control plane's endpoint, with the agent's credentials (the awslogs driver's). */
  logSink: (region: string) => LogSink;
}) => Engine;

interface AgentState {
  containerInstanceArn: string;
  endpoint: string;
  cluster: string;
}

const RESERVED_PORTS = ['22', '2375', '2376', '51678', '51679'];

export class Agent {
  readonly ecs: ECSClient;
  #engine?: Engine;
  #socket?: WebSocket;
  #closed = false;
  #backoffMs = 500;
  #heartbeat?: NodeJS.Timeout;
  #reconnectTimer?: NodeJS.Timeout;
  #pending = new Map<string, TaskReport>();
  #sending = false;
  #connectedOnce?: () => void;
  readonly #logClients = new Map<string, CloudWatchLogsClient>();
  containerInstanceArn?: string;

  constructor(
    readonly opts: AgentOptions,
    readonly createEngine: EngineFactory,
  ) {
    this.ecs = new ECSClient({ endpoint: opts.endpoint, region: opts.region, credentials: opts.credentials, maxAttempts: 3 });
    // berth's extension members (health, stop codes) ride along in the JSON body of SubmitTaskStateChange.
    this.ecs.middlewareStack.add(
      (next, _ctx) => async (args) => {
        const extras = (args.input as { berthExtras?: Record<string, unknown> }).berthExtras;
        const request = args.request as { body?: unknown; headers?: Record<string, string> };
        if (extras && request.body !== undefined) {
          // The SDK's body is a string-like adapter: read it as text and write a plain string back.
          const body = JSON.parse(String(request.body)) as Record<string, unknown>;
          const containers = extras.containers as Record<string, unknown>[] | undefined;
          if (containers && Array.isArray(body.containers)) {
            body.containers = (body.containers as Record<string, unknown>[]).map((c, i) => ({ ...c, ...containers[i] }));
          }
          for (const [k, v] of Object.entries(extras)) if (k !== 'containers' && v !== undefined) body[k] = v;
          request.body = JSON.stringify(body);
          if (request.headers) {
            for (const h of Object.keys(request.headers)) if (h.toLowerCase() === 'content-length') delete request.headers[h];
            request.headers['content-length'] = String(Buffer.byteLength(request.body as string));
          }
        }
        return next(args);
      },
      { step: 'build', name: 'berthExtras' },
    );
  }

  /** The cluster the instance registers in: the one named, or the Fargate pool. */
  get cluster(): string {
    return this.opts.fargate ? FARGATE_POOL_CLUSTER : this.opts.cluster;
  }

  get #stateFile() {
    return join(this.opts.dataDir, 'agent.json');
  }

  #readState(): AgentState | undefined {
    if (!existsSync(this.#stateFile)) return undefined;
    const s = JSON.parse(readFileSync(this.#stateFile, 'utf8')) as AgentState;
    // The same cluster keeps the same instance even if the control plane moved to another address;
    // a control plane that does not know the ARN registers a new instance.
    return s.cluster === this.cluster ? s : undefined;
  }

  attributes(): Attribute[] {
    const az = this.opts.availabilityZone ?? `${this.opts.region}a`;
    const base: Record<string, string | undefined> = {
      'ecs.os-type': 'linux',
      'ecs.os-family': 'LINUX',
      'ecs.cpu-architecture': arch() === 'arm64' ? 'arm64' : 'x86_64',
      'ecs.instance-type': this.opts.instanceType ?? 'berth.host',
      'ecs.availability-zone': az,
      'ecs.capability.task-eni': undefined,
      'ecs.capability.container-health-check': undefined,
      'ecs.capability.container-ordering': undefined,
      'ecs.capability.docker-plugin.local': undefined,
      'ecs.capability.task-cpu-mem-limit': undefined,
      'com.amazonaws.ecs.capability.privileged-container': undefined,
      'com.amazonaws.ecs.capability.logging-driver.json-file': undefined,
      'com.amazonaws.ecs.capability.logging-driver.none': undefined,
      'com.amazonaws.ecs.capability.logging-driver.syslog': undefined,
      'com.amazonaws.ecs.capability.logging-driver.journald': undefined,
      // awslogs: the agent follows each container's json-file log and ships it to the control plane's CloudWatch Logs.
      'com.amazonaws.ecs.capability.logging-driver.awslogs': undefined,
      'ecs.capability.execution-role-awslogs': undefined,
    };
    for (const v of ['1.17', '1.18', '1.19', '1.20', '1.21', '1.22', '1.23', '1.24', '1.25', '1.26', '1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.38', '1.39', '1.40', '1.41']) {
      base[`com.amazonaws.ecs.capability.docker-remote-api.${v}`] = undefined;
    }
    const out: Attribute[] = Object.entries(base).map(([name, value]) => (value === undefined ? { name } : { name, value }));
    for (const [name, value] of Object.entries(this.opts.attributes ?? {})) {
      const hit = out.find((a) => a.name === name);
      if (hit) hit.value = value;
      else out.push({ name, value });
    }
    return out;
  }

  resources(): Resource[] {
    const cpu = this.opts.cpu ?? cpus().length * 1024;
    const memory = this.opts.memory ?? Math.floor(totalmem() / (1024 * 1024));
    return [
      { name: 'CPU', type: 'INTEGER', integerValue: cpu },
      { name: 'MEMORY', type: 'INTEGER', integerValue: memory },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: RESERVED_PORTS },
      { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
    ];
  }

  /** Registers (or re-registers) the instance, adopts running containers and connects. Resolves once connected. */
  async start(): Promise<void> {
    mkdirSync(this.opts.dataDir, { recursive: true });
    const previous = this.#readState();
    const registered = await this.ecs.send(
      new RegisterContainerInstanceCommand({
        cluster: this.cluster,
        containerInstanceArn: previous?.containerInstanceArn,
        totalResources: this.resources(),
        attributes: this.attributes(),
        versionInfo: { agentVersion: AGENT_VERSION, agentHash: 'berth', dockerVersion: 'DockerVersion: unknown' },
      }),
    );
    const arn = registered.containerInstance!.containerInstanceArn!;
    this.containerInstanceArn = arn;
    writeFileSync(this.#stateFile, JSON.stringify({ containerInstanceArn: arn, endpoint: this.opts.endpoint, cluster: this.cluster } satisfies AgentState, null, 2));
    this.opts.log.info({ containerInstance: arn, cluster: this.cluster }, this.opts.fargate ? 'joined the Fargate capacity pool' : 'registered container instance');

    this.#engine = this.createEngine({
      report: (r) => this.#enqueue(r),
      // A Fargate instance serves every cluster: each task's containers are labelled with its own.
      clusterName: this.opts.fargate ? undefined : this.opts.cluster,
      hostAddress: this.opts.hostAddress ?? '127.0.0.1',
      availabilityZone: this.opts.availabilityZone ?? `${this.opts.region}a`,
      stateDir: join(this.opts.dataDir, 'tasks'),
      log: this.opts.log,
      registryAuth: registryAuthFor({ endpoint: this.opts.endpoint, region: this.opts.region, credentials: this.opts.credentials, log: this.opts.log }),
      region: this.opts.region,
      logSink: (region) => new CloudWatchLogsSink(this.#logClient(region)),
    });
    await this.#engine.adopt();
    const connected = new Promise<void>((resolve) => (this.#connectedOnce = resolve));
    this.#connect();
    await connected;
  }

  /** One CloudWatch Logs client per region (awslogs-region), signed with the agent's credentials. */
  #logClient(region: string): CloudWatchLogsClient {
    let c = this.#logClients.get(region);
    if (!c) {
      // As Docker's driver: the SDK's few retries; beyond them the shipper retries by itself, with backoff, without losing its place.
      c = new CloudWatchLogsClient({ endpoint: this.opts.endpoint, region, credentials: this.opts.credentials, maxAttempts: 3 });
      this.#logClients.set(region, c);
    }
    return c;
  }

  async #connectUrl(): Promise<string> {
    const url = new URL(this.opts.endpoint);
    const signer = new SignatureV4({ service: 'ecs', region: this.opts.region, credentials: this.opts.credentials, sha256: NodeSha256 });
    const presigned = await signer.presign(
      {
        method: 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: AGENT_CONNECT_PATH,
        query: { containerInstance: this.containerInstanceArn! },
        headers: { host: url.host },
      },
      { expiresIn: 300 },
    );
    const query = Object.entries(presigned.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
      .join('&');
    return `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}${AGENT_CONNECT_PATH}?${query}`;
  }

  #connect() {
    if (this.#closed) return;
    void this.#connectUrl().then((url) => {
      if (this.#closed) return;
      const ws = new WebSocket(url, { handshakeTimeout: 10_000 });
      this.#socket = ws;
      ws.on('open', () => {
        this.#backoffMs = 500;
        this.#heartbeat = setInterval(() => ws.readyState === ws.OPEN && ws.send(JSON.stringify({ type: 'heartbeat', at: Date.now() })), HEARTBEAT_INTERVAL_MS);
      });
      ws.on('message', (data) => this.#onMessage(String(data)));
      ws.on('unexpected-response', (_req, res) => {
        this.opts.log.warn({ status: res.statusCode }, 'the control plane refused the agent connection');
      });
      ws.on('error', (e) => this.opts.log.debug({ err: e }, 'agent connection error'));
      ws.on('close', () => {
        clearInterval(this.#heartbeat);
        if (this.#closed) return;
        const delay = this.#backoffMs * (0.8 + Math.random() * 0.4);
        this.#backoffMs = Math.min(this.#backoffMs * 2, 15_000);
        this.opts.log.info({ retryInMs: Math.round(delay) }, 'agent connection lost; reconnecting');
        this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
      });
    });
  }

  #onMessage(text: string) {
    let msg: ControlMessage;
    try {
      msg = JSON.parse(text) as ControlMessage;
    } catch {
      return;
    }
    if (msg.type === 'tasks') {
      if (msg.full) {
        this.#engine!.reconcile(msg.tasks);
        this.#connectedOnce?.();
        this.#connectedOnce = undefined;
      } else {
        for (const t of msg.tasks) this.#engine!.apply(t);
      }
    }
  }

  #enqueue(r: TaskReport) {
    this.#pending.set(r.taskArn, r);
    void this.#drain();
  }

  /** Sends reports one at a time, newest per task; keeps them until the control plane has taken them. */
  async #drain() {
    if (this.#sending) return;
    this.#sending = true;
    let failures = 0;
    try {
      while (this.#pending.size && !this.#closed) {
        const [taskArn, report] = this.#pending.entries().next().value as [string, TaskReport];
        try {
          await this.#submit(report);
          if (this.#pending.get(taskArn) === report) this.#pending.delete(taskArn);
          failures = 0;
        } catch (e) {
          const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
          const status = err.$metadata?.httpStatusCode;
          if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
            // The control plane will never take this one (e.g. the task is gone): drop it.
            this.opts.log.warn({ err: e, task: taskArn }, 'the control plane rejected a task state change');
            if (this.#pending.get(taskArn) === report) this.#pending.delete(taskArn);
            continue;
          }
          failures++;
          const delay = Math.min(500 * 2 ** failures, 15_000);
          this.opts.log.debug({ err: e, retryInMs: delay }, 'could not report task state; will retry');
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    } finally {
      this.#sending = false;
    }
  }

  #submit(r: TaskReport) {
    const input = {
      // The task's own cluster (the name in its ARN): a Fargate instance serves many.
      cluster: clusterOfTask(r.taskArn) ?? this.opts.cluster,
      task: r.taskArn,
      status: r.status,
      reason: r.reason,
      containers: r.containers.map((c) => ({
        containerName: c.containerName,
        runtimeId: c.runtimeId,
        imageDigest: c.imageDigest,
        status: c.status,
        exitCode: c.exitCode,
        reason: c.reason,
        networkBindings: c.networkBindings,
      })),
      attachments: r.attachments?.map((a) => ({ attachmentArn: a.id!, status: a.status! })),
      pullStartedAt: r.pullStartedAt === undefined ? undefined : new Date(r.pullStartedAt),
      pullStoppedAt: r.pullStoppedAt === undefined ? undefined : new Date(r.pullStoppedAt),
      executionStoppedAt: r.executionStoppedAt === undefined ? undefined : new Date(r.executionStoppedAt),
      berthExtras: { stopCode: r.stopCode, healthStatus: r.healthStatus, containers: r.containers.map((c) => ({ healthStatus: c.healthStatus })) },
    };
    return this.ecs.send(new SubmitTaskStateChangeCommand(input));
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#heartbeat);
    this.#socket?.close();
    await this.#engine?.close();
    this.ecs.destroy();
    for (const c of this.#logClients.values()) c.destroy();
  }
}

/** The cluster name in a long task ARN (`arn:aws:ecs:r:a:task/<cluster>/<id>`). */
function clusterOfTask(taskArn: string): string | undefined {
  const parts = taskArn.slice(taskArn.indexOf(':task/') + 6).split('/');
  return taskArn.includes(':task/') && parts.length === 2 ? parts[0] : undefined;
}
