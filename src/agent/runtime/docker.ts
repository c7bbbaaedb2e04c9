import Docker from 'dockerode';
import { Readable } from 'node:stream';
import {
  RuntimeError,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerState,
  type ContainerStats,
  type ContainerSummary,
  type HealthState,
  type ImageEntry,
  type RegistryAuth,
  type RuntimeEvent,
  type VolumeInfo,
  type VolumeSpec,
} from './runtime.js';
import { busyboxRootfs, findStaticBusybox, tarArchive } from './scratch-image.js';

// The container runtime over the Docker Engine API (dockerode): the local
// socket, or DOCKER_HOST when it is set (docker-modem reads it).

const TASK_ARN_LABEL = 'com.amazonaws.ecs.task-arn';
const RECONNECT_DELAYS_MS = [100, 500, 1000, 2000, 5000];

export interface DockerRuntimeOptions {
  docker?: Docker;
  /** Where to find a static busybox for berth's own images (default: /usr/bin/busybox, /bin/busybox). */
  busyboxPaths?: string[];
}

export class DockerRuntime implements ContainerRuntime {
  readonly docker: Docker;
  readonly #busyboxPaths?: string[];
  /** Scratch images being made sure of, by reference: each is built at most once at a time. */
  readonly #images = new Map<string, Promise<void>>();
  readonly #listeners = new Set<(e: RuntimeEvent) => void>();
  #watching = false;
  #generation = 0;
  #stream?: NodeJS.ReadableStream;
  #closed = false;

  constructor(opts: DockerRuntimeOptions = {}) {
    this.docker = opts.docker ?? new Docker();
    this.#busyboxPaths = opts.busyboxPaths;
  }

  async pullImage(image: string, onProgress: (line: string) => void, auth?: RegistryAuth): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(withDefaultTag(image), auth ? { authconfig: auth } : {});
    } catch (e) {
      throw asRuntimeError(e);
    }
    let failure: string | undefined;
    await readJsonLines(stream, (line) => {
      const ev = line as { error?: string; status?: string; id?: string; progress?: string };
      if (ev.error) failure ??= ev.error;
      else if (ev.status) onProgress(`${ev.id ? `${ev.id}: ` : ''}${ev.status}${ev.progress ? ` ${ev.progress}` : ''}`);
    });
    if (failure) throw new RuntimeError(failure);
  }

  async imageExists(image: string): Promise<boolean> {
    return (await this.#inspectImage(image)) !== undefined;
  }

  async imageDigest(image: string): Promise<string | undefined> {
    const info = await this.#inspectImage(image);
    const repoDigest = info?.RepoDigests?.[0];
    return repoDigest?.includes('@') ? repoDigest.slice(repoDigest.indexOf('@') + 1) : undefined;
  }

  async #inspectImage(image: string): Promise<Docker.ImageInspectInfo | undefined> {
    try {
      return await this.docker.getImage(withDefaultTag(image)).inspect();
    } catch (e) {
      const err = asRuntimeError(e);
      if (err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    try {
      const created = await this.docker.createContainer(spec as Docker.ContainerCreateOptions);
      return created.id;
    } catch (e) {
      throw asRuntimeError(e);
    }
  }

  ensureScratchImage(ref: string, extra: ImageEntry[]): Promise<void> {
    let ready = this.#images.get(ref);
    if (!ready) {
      ready = this.#buildScratchImage(ref, extra).catch((e: unknown) => {
        this.#images.delete(ref);
        throw e;
      });
      this.#images.set(ref, ready);
    }
    return ready;
  }

  async #buildScratchImage(ref: string, extra: ImageEntry[]): Promise<void> {
    if (await this.imageExists(ref)) return;
    const tar = tarArchive(busyboxRootfs(findStaticBusybox(this.#busyboxPaths), extra));
    const tagged = withDefaultTag(ref);
    const colon = tagged.lastIndexOf(':');
    await this.importImage(tar, tagged.slice(0, colon), tagged.slice(colon + 1));
  }

  /** `docker import` of a root filesystem tar. */
  async importImage(tar: Buffer, repo: string, tag: string): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.importImage(Readable.from([tar]), { repo, tag });
    } catch (e) {
      throw asRuntimeError(e);
    }
    let failure: string | undefined;
    await readJsonLines(stream, (line) => {
      const ev = line as { error?: string };
      if (ev.error) failure ??= ev.error;
    });
    if (failure) throw new RuntimeError(failure);
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (e) {
      const err = asRuntimeError(e);
      if (err.kind !== 'not-modified') throw err;
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(timeoutSeconds)) });
    } catch (e) {
      const err = asRuntimeError(e);
      if (err.kind !== 'not-modified') throw err;
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (e) {
      const err = asRuntimeError(e);
      if (err.kind === 'not-found') return;
      if (err.kind === 'conflict' && /already in progress/i.test(err.message)) return;
      throw err;
    }
  }

  async inspectContainer(idOrName: string): Promise<ContainerInfo | undefined> {
    let i: Docker.ContainerInspectInfo;
    try {
      i = await this.docker.getContainer(idOrName).inspect();
    } catch (e) {
      const err = asRuntimeError(e);
      if (err.kind === 'not-found') return undefined;
      throw err;
    }
    const state = i.State.Status as ContainerState;
    const done = state === 'exited' || state === 'dead';
    const health = (i.State as { Health?: { Status?: string } }).Health?.Status;
    const networks = Object.entries((i.NetworkSettings?.Networks ?? {}) as Record<string, { IPAddress?: string }>).map(([name, n]) =>
      n.IPAddress ? { name, ipv4Address: n.IPAddress } : { name },
    );
    return {
      id: i.Id,
      name: i.Name.replace(/^\//, ''),
      labels: i.Config.Labels ?? {},
      state,
      image: i.Config.Image,
      imageId: i.Image || undefined,
      createdAt: dockerTime(i.Created),
      exitCode: done ? i.State.ExitCode : undefined,
      oomKilled: i.State.OOMKilled,
      startedAt: dockerTime(i.State.StartedAt),
      finishedAt: done ? dockerTime(i.State.FinishedAt) : undefined,
      health: health === undefined || health === 'none' ? undefined : healthOf(health),
      portBindings: (i.HostConfig.PortBindings ?? {}) as ContainerInfo['portBindings'],
      networks,
      mounts: (i.Mounts ?? []).map((m) => (m.Name ? { name: m.Name, source: m.Source, destination: m.Destination } : { source: m.Source, destination: m.Destination })),
    };
  }

  async listContainers(labels: Record<string, string | true>): Promise<ContainerSummary[]> {
    const label = Object.entries(labels).map(([k, v]) => (v === true ? k : `${k}=${v}`));
    try {
      const list = await this.docker.listContainers({ all: true, filters: { label } });
      return list.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        labels: c.Labels ?? {},
        state: c.State as ContainerState,
      }));
    } catch (e) {
      throw asRuntimeError(e);
    }
  }

  async containerStats(id: string): Promise<ContainerStats | undefined> {
    try {
      return (await this.docker.getContainer(id).stats({ stream: false, 'one-shot': true })) as unknown as ContainerStats;
    } catch (e) {
      const err = asRuntimeError(e);
      if (err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  async createVolume(spec: VolumeSpec): Promise<void> {
    try {
      await this.docker.createVolume({ Name: spec.name, Driver: spec.driver ?? 'local', DriverOpts: spec.driverOpts ?? {}, Labels: spec.labels ?? {} });
    } catch (e) {
      throw asRuntimeError(e);
    }
  }

  async inspectVolume(name: string): Promise<VolumeInfo | undefined> {
    try {
      const v = await this.docker.getVolume(name).inspect();
      return { name: v.Name, driver: v.Driver, labels: (v.Labels as Record<string, string> | null) ?? {} };
    } catch (e) {
      const err = asRuntimeError(e);
      if (err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove();
    } catch (e) {
      const err = asRuntimeError(e);
      if (err.kind !== 'not-found') throw err;
    }
  }

  subscribe(listener: (event: RuntimeEvent) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#watching && !this.#closed) {
      this.#watching = true;
      void this.#watch(++this.#generation);
    }
    return () => {
      this.#listeners.delete(listener);
      // Nobody listens any more: let go of the stream, so that nothing keeps the process alive.
      if (!this.#listeners.size) this.#stopWatching();
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#stopWatching();
  }

  #stopWatching(): void {
    this.#watching = false;
    this.#generation++;
    const s = this.#stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    this.#stream = undefined;
    s?.destroy?.();
  }

  /**
   * One event stream while anybody listens. `since` replays whatever
   * happened while it was (re)connecting, so a container that dies before
   * the stream is up is still reported; a reconnect also sends `resync`.
   */
  async #watch(generation: number): Promise<void> {
    let since = Math.floor(Date.now() / 1000) - 1;
    let failures = 0;
    let connectedBefore = false;
    const current = () => !this.#closed && generation === this.#generation;
    while (current()) {
      try {
        const stream = await this.docker.getEvents({ since, filters: { type: ['container'], label: [TASK_ARN_LABEL] } });
        if (!current()) {
          (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
          break;
        }
        this.#stream = stream;
        if (connectedBefore) this.#emit({ type: 'resync', at: Date.now() });
        connectedBefore = true;
        failures = 0;
        await readJsonLines(stream, (line) => {
          const ev = line as DockerEvent;
          if (typeof ev.time === 'number') since = ev.time;
          const mapped = mapEvent(ev);
          if (mapped && current()) this.#emit(mapped);
        });
      } catch {
        failures++;
      }
      if (!current()) break;
      await new Promise((r) => setTimeout(r, RECONNECT_DELAYS_MS[Math.min(failures, RECONNECT_DELAYS_MS.length - 1)]));
    }
  }

  #emit(e: RuntimeEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch {
        // A listener's failure is its own; the stream goes on.
      }
    }
  }
}

interface DockerEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

function mapEvent(ev: DockerEvent): RuntimeEvent | undefined {
  if (ev.Type !== 'container' || !ev.Actor?.ID || !ev.Action) return undefined;
  const id = ev.Actor.ID;
  const labels = ev.Actor.Attributes ?? {};
  const at = ev.timeNano ? Math.floor(ev.timeNano / 1e6) : (ev.time ?? 0) * 1000;
  if (ev.Action === 'die') {
    const code = labels.exitCode === undefined ? undefined : Number(labels.exitCode);
    return { type: 'die', id, labels, exitCode: Number.isFinite(code) ? code : undefined, at };
  }
  if (ev.Action === 'oom') return { type: 'oom', id, labels, at };
  if (ev.Action === 'destroy') return { type: 'destroy', id, labels, at };
  if (ev.Action.startsWith('health_status')) {
    return { type: 'health', id, labels, health: healthOf(ev.Action.slice(ev.Action.indexOf(':') + 1).trim()), at };
  }
  return undefined;
}

function healthOf(s: string): HealthState {
  return s === 'healthy' ? 'HEALTHY' : s === 'unhealthy' ? 'UNHEALTHY' : 'UNKNOWN';
}

function dockerTime(s: string | undefined): number | undefined {
  if (!s || s.startsWith('0001-')) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

/** `name` → `name:latest`; a tag or digest stays as it is. */
export function withDefaultTag(image: string): string {
  if (image.includes('@')) return image;
  const lastSlash = image.lastIndexOf('/');
  return image.slice(lastSlash + 1).includes(':') ? image : `${image}:latest`;
}

/** docker-modem's errors → RuntimeError, with the daemon's own message as the Docker CLI prints it. */
export function asRuntimeError(e: unknown): RuntimeError {
  if (e instanceof RuntimeError) return e;
  const err = e as { statusCode?: number; json?: unknown; message?: string; reason?: string };
  const kind = err.statusCode === 404 ? 'not-found' : err.statusCode === 409 ? 'conflict' : err.statusCode === 304 ? 'not-modified' : 'other';
  let detail: string | undefined;
  if (err.json && typeof err.json === 'object' && typeof (err.json as { message?: unknown }).message === 'string') {
    detail = (err.json as { message: string }).message;
  } else if (typeof err.json === 'string' && err.json.trim()) {
    detail = err.json.trim();
  }
  if (detail) return new RuntimeError(`Error response from daemon: ${detail}`, kind);
  if (err.statusCode) return new RuntimeError(`Error response from daemon: ${err.reason ?? err.message ?? 'unknown error'}`, kind);
  return new RuntimeError(`Cannot connect to the Docker daemon: ${err.message ?? String(e)}`, kind);
}

/** Calls `onLine` with each JSON object of a newline-delimited stream; resolves at its end. */
function readJsonLines(stream: NodeJS.ReadableStream, onLine: (obj: unknown) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let settled = false;
    const done = (err?: unknown) => {
      if (settled) return;
      settled = true;
      if (buf.trim()) parse(buf);
      if (err) reject(err);
      else resolve();
    };
    const parse = (line: string) => {
      const t = line.trim();
      if (!t) return;
      try {
        onLine(JSON.parse(t));
      } catch {
        // Not JSON (a proxy's banner, a torn line): skip it.
      }
    };
    stream.on('data', (chunk: Buffer | string) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    stream.on('end', () => done());
    stream.on('close', () => done());
    stream.on('error', (e) => done(e));
  });
}
