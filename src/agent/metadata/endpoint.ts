import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { networkModeOf, type NetworkMode } from '../container-config.js';
import { AGENT_LOG } from '../log-fields.js';
import type { TaskAssignment } from '../protocol.js';
import { RuntimeError, type ContainerRuntime, type ContainerStats } from '../runtime/runtime.js';
import { findStaticBusybox } from '../runtime/scratch-image.js';
import type { ContainerRecord, TaskRecord } from '../task-record.js';
import { MetadataHostServer } from './host-server.js';
import {
  containerFile,
  containerStatsFile,
  METADATA_MOUNT,
  METADATA_VERSIONS,
  metadataEnvironment,
  RESPONDER_BASE_URI,
  taskFile,
  taskStatsFile,
} from './layout.js';
import { helperImageEntries, helperImageRef, RESPONDER_LABEL, responderSpec } from './responder.js';
import { containerMetadata, statsResponse, taskMetadata, v3Stats, type ContainerDetails, type MetadataContext } from './task-json.js';

// The task metadata endpoint of one engine. For every task it keeps a
// directory of JSON files (layout.ts), rewritten whenever the task's actor
// publishes a changed record and, for running tasks, whenever fresh stats
// come in; responders inside each task's network namespace serve them:
//
//   awsvpc   the holder, which owns the task's namespace, runs the responder
//   bridge   one responder per app container, joined to its network (and pid)
//            namespace once it runs
//   host     the agent's own server on 127.0.0.1:<port>
//   none     no endpoint
//
// Nothing here writes a task's record: the actor publishes, the endpoint
// only reads what it is given and what Docker says.

export const DEFAULT_STATS_INTERVAL_MS = 5000;
/** A Docker call the endpoint makes may take this long; a hung daemon must not stall a task's files for good. */
const DOCKER_TIMEOUT_MS = 10_000;
/** How long a container's start waits for its metadata file. */
const WRITTEN_WAIT_MS = 2000;

export interface MetadataEndpointOptions {
  runtime: ContainerRuntime;
  /** The directory holding one directory per task (and the host server's port file). */
  dir: string;
  /** bridge: the address ports are published on. */
  hostAddress: string;
  /** The container instance's Availability Zone; default `<region of the task>a`. */
  availabilityZone?: string;
  /** Labels on every responder (the engine's own). */
  labels: Record<string, string>;
  /** Off: no files, no responders, no environment; the holder still runs from the helper image. */
  enabled: boolean;
  statsIntervalMs?: number;
  log: Logger;
}

interface TaskEntry {
  arn: string;
  dir: string;
  mode: NetworkMode;
  rec?: TaskRecord;
  json?: string;
  dirty: boolean;
  flushing?: Promise<void>;
  forgotten: boolean;
  /** Relative path → the content last written. */
  written: Map<string, string>;
  /** By container name: what Docker said, and of which runtime id and status. */
  details: Map<string, { stamp: string; details: ContainerDetails }>;
  /** By runtime id: the last stats response. */
  stats: Map<string, ContainerStats>;
  sampling: boolean;
  /** By runtime id of the app container. */
  responders: Map<string, Promise<void>>;
}

export class TaskMetadataEndpoint {
  readonly #opts: MetadataEndpointOptions;
  readonly #runtime: ContainerRuntime;
  readonly #log: Logger;
  readonly #tasks = new Map<string, TaskEntry>();
  /** Container key (Docker name) → its task's directory: what the host server answers from. */
  readonly #keys = new Map<string, string>();
  readonly #server: MetadataHostServer;
  readonly #statsTimer?: NodeJS.Timeout;
  #imageRef?: string;
  #image?: Promise<string>;
  #closed = false;

  constructor(opts: MetadataEndpointOptions) {
    this.#opts = opts;
    this.#runtime = opts.runtime;
    this.#log = opts.log;
    this.#server = new MetadataHostServer({ portFile: join(opts.dir, 'host-server.json'), lookup: (key) => this.#keys.get(key), log: opts.log });
    if (opts.enabled) {
      this.#statsTimer = setInterval(() => {
        for (const t of this.#tasks.values()) if (t.rec && t.rec.status !== 'STOPPED') void this.#sample(t);
      }, opts.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS);
      this.#statsTimer.unref();
    }
  }

  /** The port of the agent's server for host-mode tasks, once it listens. */
  get hostServerPort(): number | undefined {
    return this.#server.port;
  }

  /** berth's helper image (holder and responder), built on first use. */
  helperImage(): Promise<string> {
    this.#image ??= (async () => {
      const ref = this.#helperRef();
      await this.#runtime.ensureScratchImage(ref, helperImageEntries());
      return ref;
    })().catch((e: unknown) => {
      this.#image = undefined;
      throw e;
    });
    return this.#image;
  }

  /** The host directory mounted at /meta in the task's responders; undefined when the task has no endpoint. */
  taskDir(a: TaskAssignment): string | undefined {
    const mode = this.#mode(a);
    return mode && mode !== 'none' ? this.#dirOf(a.taskArn) : undefined;
  }

  /** Before a container of the task is created: its directory exists, and for host mode the server listens. */
  async prepare(a: TaskAssignment): Promise<void> {
    const mode = this.#mode(a);
    if (!mode || mode === 'none') return;
    await makeDirs(this.#dirOf(a.taskArn));
    if (mode === 'host') await this.#server.start();
  }

  /** The metadata URIs of a container, by its Docker name (none for networkMode none). */
  environment(a: TaskAssignment, dockerName: string): Record<string, string> {
    const mode = this.#mode(a);
    if (!mode || mode === 'none' || !dockerName) return {};
    const base = mode === 'host' ? this.#server.baseUri : RESPONDER_BASE_URI;
    return base ? metadataEnvironment(base, dockerName) : {};
  }

  /** The task's record changed: rewrite its files (in order, the latest wins), start responders, take stats of new containers. */
  publish(rec: TaskRecord): void {
    if (this.#closed) return;
    const mode = this.#mode(rec.assignment);
    if (!mode || mode === 'none') return;
    const arn = rec.assignment.taskArn;
    let t = this.#tasks.get(arn);
    if (!t) {
      t = {
        arn,
        dir: this.#dirOf(arn),
        mode,
        dirty: false,
        forgotten: false,
        written: new Map(),
        details: new Map(),
        stats: new Map(),
        sampling: false,
        responders: new Map(),
      };
      this.#tasks.set(arn, t);
    }
    const json = JSON.stringify(rec);
    if (json === t.json) return;
    t.json = json;
    t.rec = JSON.parse(json) as TaskRecord;
    t.dirty = true;
    if (!t.flushing) t.flushing = this.#flush(t);
  }

  /**
   * Resolves once what the task's actor has published so far is on disk (at
   * most `ms` later). Called from a step the actor launched just before it
   * publishes: the wait starts after the actor's current turn.
   */
  async written(taskArn: string, ms = WRITTEN_WAIT_MS): Promise<void> {
    await new Promise((r) => setImmediate(r));
    const flushing = this.#tasks.get(taskArn)?.flushing;
    if (flushing) await withTimeout(flushing, ms).catch(() => undefined);
  }

  /** The task is cleaned up: its responders and its directory go. */
  async forget(taskArn: string): Promise<void> {
    const t = this.#tasks.get(taskArn);
    if (t) {
      t.forgotten = true;
      await t.flushing;
      await Promise.allSettled(t.responders.values());
      this.#tasks.delete(taskArn);
      for (const [key, dir] of this.#keys) if (dir === t.dir) this.#keys.delete(key);
    }
    try {
      for (const r of await this.#runtime.listContainers({ [RESPONDER_LABEL]: taskArn })) await this.#runtime.removeContainer(r.id);
    } catch (e) {
      this.#log.warn({ [AGENT_LOG.taskArn]: taskArn, [AGENT_LOG.error]: errorText(e) }, 'could not remove metadata responders');
    }
    await rm(this.#dirOf(taskArn), { recursive: true, force: true });
  }

  /** Stop writing and serving; files and responders stay for a restarted engine. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#statsTimer);
    await Promise.allSettled([...this.#tasks.values()].map((t) => t.flushing));
    await this.#server.close();
  }

  // ------------------------------------------------------------ files

  async #flush(t: TaskEntry): Promise<void> {
    try {
      while (t.dirty && !t.forgotten && !this.#closed) {
        t.dirty = false;
        const rec = t.rec!;
        try {
          for (const c of rec.containers) if (c.runtimeId) this.#keys.set(c.dockerName, t.dir);
          // Docker first (a few ms): a new container's file then appears complete, image id and address included.
          await this.#refreshDetails(t, rec);
          await this.#writeMetadata(t, rec);
          if (t.mode === 'bridge') this.#ensureResponders(t, rec);
          // A restarted agent serves its adopted host-mode tasks where they were told to ask.
          if (t.mode === 'host') await this.#server.start();
          if (rec.status !== 'STOPPED' && rec.containers.some((c) => isRunningApp(c) && !t.stats.has(c.runtimeId!))) void this.#sample(t);
        } catch (e) {
          this.#log.warn({ [AGENT_LOG.taskArn]: t.arn, [AGENT_LOG.error]: errorText(e) }, 'could not write task metadata');
        }
      }
    } finally {
      t.flushing = undefined;
    }
  }

  async #writeMetadata(t: TaskEntry, rec: TaskRecord): Promise<void> {
    const details = Object.fromEntries([...t.details].map(([name, d]) => [name, d.details]));
    const files: Record<string, unknown> = {};
    for (const version of METADATA_VERSIONS) {
      const ctx: MetadataContext = {
        version,
        availabilityZone: this.#opts.availabilityZone ?? defaultZone(t.arn),
        hostAddress: this.#opts.hostAddress,
        holderImage: this.#helperRefOrEmpty(),
        details,
      };
      for (const c of rec.containers) {
        const json = containerMetadata(rec, c.name, ctx);
        if (json) files[containerFile(version, c.dockerName)] = json;
      }
      files[taskFile(version)] = taskMetadata(rec, ctx);
    }
    await this.#write(t, files);
  }

  /** Files whose content changed, each written to a temporary file and renamed over the old one. */
  async #write(t: TaskEntry, files: Record<string, unknown>): Promise<void> {
    await makeDirs(t.dir);
    for (const [path, value] of Object.entries(files)) {
      const text = JSON.stringify(value);
      if (t.written.get(path) === text) continue;
      const file = join(t.dir, path);
      const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(tmp, text, { mode: 0o644 });
      await rename(tmp, file);
      t.written.set(path, text);
    }
  }

  /** Inspect containers that are new or changed status (a bridge address exists once running). */
  async #refreshDetails(t: TaskEntry, rec: TaskRecord): Promise<void> {
    await Promise.all(
      rec.containers.map(async (c) => {
        if (!c.runtimeId) return;
        const stamp = `${c.runtimeId}:${c.known}`;
        const had = t.details.get(c.name);
        if (had?.stamp === stamp) return;
        // A stopped container has lost its address; keep what it had while it ran.
        if (c.known === 'STOPPED' && had?.stamp.startsWith(`${c.runtimeId}:`)) {
          had.stamp = stamp;
          return;
        }
        const info = await withTimeout(this.#runtime.inspectContainer(c.runtimeId), DOCKER_TIMEOUT_MS).catch(() => undefined);
        if (!info) return;
        t.details.set(c.name, {
          stamp,
          details: {
            imageId: info.imageId,
            createdAt: info.createdAt,
            networks: info.networks,
            mounts: info.mounts.filter((m) => !(c.holder && m.destination === METADATA_MOUNT)),
          },
        });
      }),
    );
  }

  // ------------------------------------------------------------ bridge responders

  #ensureResponders(t: TaskEntry, rec: TaskRecord): void {
    for (const c of rec.containers) {
      if (!isRunningApp(c) || t.responders.has(c.runtimeId!)) continue;
      t.responders.set(
        c.runtimeId!,
        this.#startResponder(t, rec, c).catch((e: unknown) => {
          // The app may have exited already; then nobody is left to ask.
          this.#log.debug({ [AGENT_LOG.taskArn]: t.arn, [AGENT_LOG.container]: c.name, [AGENT_LOG.error]: errorText(e) }, 'no metadata responder');
        }),
      );
    }
  }

  async #startResponder(t: TaskEntry, rec: TaskRecord, c: ContainerRecord): Promise<void> {
    const spec = responderSpec({
      name: `${c.dockerName}-metadata`,
      target: c.runtimeId!,
      image: await this.helperImage(),
      metadataDir: t.dir,
      labels: { ...this.#opts.labels, [RESPONDER_LABEL]: t.arn },
      sharePid: rec.assignment.taskDefinition.pidMode !== 'host',
    });
    let id: string;
    try {
      id = await this.#runtime.createContainer(spec);
    } catch (e) {
      // A restarted agent finds the responder it started before.
      if (!(e instanceof RuntimeError && e.kind === 'conflict')) throw e;
      const existing = await this.#runtime.inspectContainer(spec.name);
      if (!existing) throw e;
      if (existing.state === 'running') return;
      id = existing.id;
    }
    if (t.forgotten || this.#closed) return;
    await this.#runtime.startContainer(id);
  }

  // ------------------------------------------------------------ stats

  async #sample(t: TaskEntry): Promise<void> {
    if (t.sampling || t.forgotten || this.#closed || !t.rec) return;
    t.sampling = true;
    try {
      const rec = t.rec;
      const running = rec.containers.filter(isRunningApp);
      // awsvpc: the task's network is the holder's; its containers report none of their own.
      const holder = t.mode === 'awsvpc' ? rec.containers.find((c) => c.holder && c.runtimeId && c.known !== 'STOPPED') : undefined;
      const sample = (id: string) => withTimeout(this.#runtime.containerStats(id), DOCKER_TIMEOUT_MS).catch(() => undefined);
      const [shared, ...samples] = await Promise.all([holder ? sample(holder.runtimeId!) : undefined, ...running.map((c) => sample(c.runtimeId!))]);
      if (t.forgotten || this.#closed) return;
      const files: Record<string, unknown> = {};
      const byId: Record<string, Record<string, ContainerStats>> = { v3: {}, v4: {} };
      const live = new Set<string>();
      running.forEach((c, i) => {
        const s = samples[i];
        const id = c.runtimeId!;
        if (!s) return;
        const v4 = statsResponse(s, t.stats.get(id), shared);
        t.stats.set(id, v4);
        live.add(id);
        files[containerStatsFile('v4', c.dockerName)] = v4;
        files[containerStatsFile('v3', c.dockerName)] = v3Stats(v4);
        byId.v4![id] = v4;
        byId.v3![id] = v3Stats(v4);
      });
      for (const id of t.stats.keys()) if (!live.has(id)) t.stats.delete(id);
      for (const version of METADATA_VERSIONS) files[taskStatsFile(version)] = byId[version];
      await this.#write(t, files);
    } catch (e) {
      this.#log.debug({ [AGENT_LOG.taskArn]: t.arn, [AGENT_LOG.error]: errorText(e) }, 'could not refresh task stats');
    } finally {
      t.sampling = false;
    }
  }

  // ------------------------------------------------------------ helpers

  #mode(a: TaskAssignment): NetworkMode | undefined {
    if (!this.#opts.enabled) return undefined;
    try {
      return networkModeOf(a.taskDefinition);
    } catch {
      return undefined;
    }
  }

  #dirOf(taskArn: string): string {
    const id = taskArn.slice(taskArn.lastIndexOf('/') + 1);
    return join(this.#opts.dir, /^[A-Za-z0-9-]{1,64}$/.test(id) ? id : createHash('sha256').update(taskArn).digest('hex').slice(0, 32));
  }

  #helperRef(): string {
    this.#imageRef ??= helperImageRef(findStaticBusybox());
    return this.#imageRef;
  }

  #helperRefOrEmpty(): string {
    try {
      return this.#helperRef();
    } catch {
      return '';
    }
  }
}

function isRunningApp(c: ContainerRecord): boolean {
  return !c.holder && c.runtimeId !== undefined && c.known === 'RUNNING';
}

async function makeDirs(dir: string): Promise<void> {
  for (const v of METADATA_VERSIONS) await mkdir(join(dir, v, 'containers'), { recursive: true, mode: 0o755 });
}

/** The Availability Zone the agent registers by default: the first of the task's region. */
function defaultZone(taskArn: string): string | undefined {
  const region = taskArn.split(':')[3];
  return region ? `${region}a` : undefined;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Docker did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
