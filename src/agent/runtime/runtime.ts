// The container runtime as the task engine sees it: a handful of operations
// on images, containers and volumes, and one stream of container events.
// `docker.ts` implements it over the Docker Engine API; anything else that
// speaks the same create body (Podman's Docker socket) fits behind it too.

export type HealthState = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

/** A `HostConfig.PortBindings` entry of the Docker Engine API. */
export interface PortBindingSpec {
  HostIp: string;
  HostPort: string;
}

/** The host half of the Docker Engine API's container-create body: the fields berth sets. */
export interface HostSpec {
  NetworkMode?: string;
  PortBindings?: Record<string, PortBindingSpec[]>;
  Links?: string[];
  Dns?: string[];
  DnsSearch?: string[];
  ExtraHosts?: string[];
  ReadonlyRootfs?: boolean;
  Binds?: string[];
  VolumesFrom?: string[];
  Privileged?: boolean;
  SecurityOpt?: string[];
  Ulimits?: Array<{ Name: string; Soft: number; Hard: number }>;
  CapAdd?: string[];
  CapDrop?: string[];
  Init?: boolean;
  Tmpfs?: Record<string, string>;
  ShmSize?: number;
  Devices?: Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }>;
  Memory?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number;
  CpuShares?: number;
  NanoCpus?: number;
  Sysctls?: Record<string, string>;
  PidMode?: string;
  IpcMode?: string;
  /** Docker removes the container when it exits (`docker run --rm`). */
  AutoRemove?: boolean;
  LogConfig?: { Type: string; Config: Record<string, string> };
}

/** The Docker Engine API's container-create body (plus the name), as berth fills it. */
export interface ContainerSpec {
  name: string;
  Image: string;
  Cmd?: string[];
  Entrypoint?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Hostname?: string;
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  NetworkDisabled?: boolean;
  OpenStdin?: boolean;
  Tty?: boolean;
  StopTimeout?: number;
  /** Durations in nanoseconds, as the Engine API takes them. */
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number };
  HostConfig: HostSpec;
}

export interface VolumeSpec {
  name: string;
  driver?: string;
  driverOpts?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface VolumeInfo {
  name: string;
  driver: string;
  labels: Record<string, string>;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerSummary {
  id: string;
  /** Without Docker's leading slash. */
  name: string;
  labels: Record<string, string>;
  state: ContainerState;
}

export interface ContainerInfo extends ContainerSummary {
  image: string;
  /** The local image id (`sha256:…`) the container was created from. */
  imageId?: string;
  /** Epoch milliseconds. */
  createdAt?: number;
  exitCode?: number;
  oomKilled: boolean;
  /** Epoch milliseconds; absent when the container never started / never finished. */
  startedAt?: number;
  finishedAt?: number;
  /** Absent when the container has no health check. */
  health?: HealthState;
  /** The host side of each published port, keyed like Docker's `80/tcp`. */
  portBindings: Record<string, PortBindingSpec[]>;
  /** The container's networks (none when it joined another container's namespace). */
  networks: Array<{ name: string; ipv4Address?: string }>;
  mounts: Array<{ name?: string; source: string; destination: string }>;
}

/** Docker's stats JSON of one container (`GET /containers/{id}/stats`), as Docker writes it. */
export type ContainerStats = Record<string, unknown>;

/** A file (or directory, or symlink) added to a busybox root filesystem by `ensureScratchImage`. */
export type ImageEntry =
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'symlink'; path: string; target: string };

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** What the runtime tells the engine about containers, as they happen. */
export type RuntimeEvent =
  | { type: 'die'; id: string; labels: Record<string, string>; exitCode?: number; at: number }
  | { type: 'oom'; id: string; labels: Record<string, string>; at: number }
  | { type: 'health'; id: string; labels: Record<string, string>; health: HealthState; at: number }
  | { type: 'destroy'; id: string; labels: Record<string, string>; at: number }
  /** The event stream broke and was re-established: events may have been missed; re-inspect. */
  | { type: 'resync'; at: number };

export type RuntimeErrorKind = 'not-found' | 'conflict' | 'not-modified' | 'other';

/** A runtime failure; `message` reads as Docker's CLI would print it ("Error response from daemon: …"). */
export class RuntimeError extends Error {
  constructor(
    message: string,
    readonly kind: RuntimeErrorKind = 'other',
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export interface ContainerRuntime {
  /** Pull an image; each progress line goes to `onProgress`. */
  pullImage(image: string, onProgress: (line: string) => void, auth?: RegistryAuth): Promise<void>;
  imageExists(image: string): Promise<boolean>;
  /** The registry digest (`sha256:…`) of a local image, when it came from a registry. */
  imageDigest(image: string): Promise<string | undefined>;
  createContainer(spec: ContainerSpec): Promise<string>;
  /**
   * Make sure `ref` exists, building it when missing FROM scratch: the host's
   * static busybox with its applets, plus `extra`. berth's own helper images
   * (the namespace holder, the metadata responder) come from here, so the
   * tag should name the content.
   */
  ensureScratchImage(ref: string, extra: ImageEntry[]): Promise<void>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM (or the image's stop signal), then SIGKILL after `timeoutSeconds`. Stopping a stopped container succeeds. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  /** Force-remove a container and its anonymous volumes; removing a missing one succeeds. */
  removeContainer(id: string): Promise<void>;
  /** By id or name; `undefined` when no such container exists. */
  inspectContainer(idOrName: string): Promise<ContainerInfo | undefined>;
  /** All containers (running or not) carrying every given label; a `true` value matches any value. */
  listContainers(labels: Record<string, string | true>): Promise<ContainerSummary[]>;
  /** One stats sample without waiting for a second one (`stream=false&one-shot=true`); undefined when no such container. */
  containerStats(id: string): Promise<ContainerStats | undefined>;
  createVolume(spec: VolumeSpec): Promise<void>;
  inspectVolume(name: string): Promise<VolumeInfo | undefined>;
  /** Removing a missing volume succeeds. */
  removeVolume(name: string): Promise<void>;
  /** Container events of every container labelled `com.amazonaws.ecs.task-arn`. Returns the unsubscribe function. */
  subscribe(listener: (event: RuntimeEvent) => void): () => void;
  close(): Promise<void>;
}
