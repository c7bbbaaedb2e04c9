import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Agent, type EngineFactory } from '../agent/agent.js';
import { capacityProviderArn, CAPACITY_PROVIDER_ATTRIBUTE } from '../control/capacity-providers.js';
import type { ContainerInstances } from '../control/container-instances.js';
import type { Scope } from '../control/arns.js';
import type { Store } from '../store/store.js';
import { FLEET_LOG } from './log-fields.js';

// The instances of berth's EC2 capacity providers: each is an in-process
// Agent (one container instance, as `berth up`'s local agent) with its own
// data dir, registered in the provider's cluster with the provider's
// attribute, so ContainerInstances records its capacityProviderName.
//
//   launch ─► Agent.start (register, adopt, connect) ─► running ─► onConnected
//   stop   ─► DRAINING ─► still idle? ─ no ─► ACTIVE again (kept)
//                            │ yes
//                            ▼
//             DeregisterContainerInstance ─► (daemon tasks stop) ─► Agent.close
//             ─► containers it left removed ─► data dir removed
//   close  ─► every Agent closed, data dirs kept: `restore` brings them back
//
// Addresses: every instance publishes its tasks' ports on a loopback address of
// its own, 127.2.x.y (kept in its data dir, so it survives restarts), as EC2
// instances each have theirs: two tasks with the same static host port on two
// instances of one host do not collide, and the load balancer reaches each task
// at its instance's address (its network bindings' bindIP). 127.0.0.1 stays the
// local agent's and 127.1.x.y awsvpc tasks'.
//
// Data dirs: <dataDir>/pool/<provider>/<n> for providers of berth's own region,
// <dataDir>/pool-<region>/<provider>/<n> for the others. The agents sign with
// berth's root key, so the pool serves the providers of that key's account.

export const POOL_INSTANCE_TYPE = 'berth.pool';
const HOST_ADDRESS_FILE = 'host-address';

/** How long an instance's agent may take to register and connect before the launch counts as failed. */
const START_TIMEOUT_MS = 60_000;
/** How long a stopping instance waits for its daemon tasks to stop before its agent goes. */
const DAEMON_STOP_WAIT_MS = 60_000;
/** After a failed launch, none for the provider for this long, doubling up to the maximum. */
const LAUNCH_BACKOFF_MS = 5_000;
const LAUNCH_BACKOFF_MAX_MS = 5 * 60_000;

export interface PoolProvider {
  arn: string;
  name: string;
  accountId: string;
  region: string;
  clusterName: string;
}

export interface PoolMember {
  providerArn: string;
  providerName: string;
  region: string;
  clusterName: string;
  /** The n of its data dir. */
  n: number;
  dir: string;
  state: 'starting' | 'running' | 'stopping';
  instanceArn?: string;
  /** The loopback address its tasks' ports are published on. */
  hostAddress: string;
  startedAt: number;
}

export interface InstancePoolOptions {
  /** berth's data dir. */
  dataDir: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The account of the credentials: the pool serves its providers only. */
  accountId: string;
  /** berth's own region (its providers' dirs sit directly under pool/). */
  region: string;
  /** CPU units and MiB every instance registers. */
  instanceCpu: number;
  instanceMemory: number;
  engineFactory: EngineFactory;
  /** Removes what an agent's task engine left in the runtime (its state-dir label), once the instance is gone. */
  removeLeftovers?: (stateDir: string) => Promise<void>;
  store: Store;
  containerInstances: ContainerInstances;
  log: Logger;
  /** Called when an instance's agent has connected (a waiting task may go there now). */
  onConnected?: (m: PoolMember) => void;
}

interface Entry extends PoolMember {
  agent?: Agent;
}

export class InstancePool {
  readonly #opts: InstancePoolOptions;
  readonly #members = new Map<string, Entry>();
  readonly #backoff = new Map<string, { until: number; ms: number }>();
  #closed = false;

  constructor(opts: InstancePoolOptions) {
    this.#opts = opts;
  }

  /** The pool's instances, of one provider or all. */
  members(providerArn?: string): PoolMember[] {
    return [...this.#members.values()]
      .filter((m) => providerArn === undefined || m.providerArn === providerArn)
      .map(({ agent, ...m }) => ({ ...m, instanceArn: agent?.containerInstanceArn ?? m.instanceArn }));
  }

  /** Until when launches for a provider wait after a failed one (0: they need not). */
  launchBlockedUntil(providerArn: string): number {
    return this.#backoff.get(providerArn)?.until ?? 0;
  }

  #providerDir(region: string, name: string): string {
    return region === this.#opts.region ? join(this.#opts.dataDir, 'pool', name) : join(this.#opts.dataDir, `pool-${region}`, name);
  }

  /**
   * Starts the agents of every instance dir a previous run left (they register
   * again, same ARN); they are members (starting) as soon as this is called.
   */
  async restore(): Promise<void> {
    const roots: { dir: string; region: string }[] = [];
    if (existsSync(this.#opts.dataDir)) {
      for (const entry of readdirSync(this.#opts.dataDir)) {
        if (entry === 'pool') roots.push({ dir: join(this.#opts.dataDir, entry), region: this.#opts.region });
        else if (entry.startsWith('pool-')) roots.push({ dir: join(this.#opts.dataDir, entry), region: entry.slice('pool-'.length) });
      }
    }
    const starts: Promise<void>[] = [];
    const list = (dir: string) => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    };
    for (const root of roots) {
      for (const name of list(root.dir)) {
        for (const nDir of list(join(root.dir, name))) {
          const n = Number(nDir);
          const dir = join(root.dir, name, nDir);
          if (!Number.isInteger(n) || n < 1) continue;
          let state: { cluster?: string; containerInstanceArn?: string } = {};
          try {
            state = JSON.parse(readFileSync(join(dir, 'agent.json'), 'utf8')) as typeof state;
          } catch {
            state = {};
          }
          const cluster = state.cluster;
          if (!cluster) {
            // It never registered: nothing to come back.
            rmSync(dir, { recursive: true, force: true });
            continue;
          }
          const provider: PoolProvider = {
            arn: capacityProviderArn({ accountId: this.#opts.accountId, region: root.region }, name),
            name,
            accountId: this.#opts.accountId,
            region: root.region,
            clusterName: cluster,
          };
          starts.push(this.#start(provider, n, dir, Date.now(), state.containerInstanceArn).then(() => undefined));
        }
      }
    }
    await Promise.all(starts);
  }

  /** Starts `count` new instances of the provider; resolves once each has connected or failed. */
  launch(provider: PoolProvider, count: number, now: number): Promise<boolean[]> {
    const started: Promise<boolean>[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.#nextNumber(provider);
      started.push(this.#start(provider, n, join(this.#providerDir(provider.region, provider.name), String(n)), now));
    }
    return Promise.all(started);
  }

  #nextNumber(provider: PoolProvider): number {
    const taken = new Set(this.members(provider.arn).map((m) => m.n));
    const root = this.#providerDir(provider.region, provider.name);
    let n = 1;
    while (taken.has(n) || existsSync(join(root, String(n)))) n++;
    return n;
  }

  async #start(provider: PoolProvider, n: number, dir: string, now: number, instanceArn?: string): Promise<boolean> {
    const key = `${provider.arn}#${n}`;
    const hostAddress = this.#hostAddress(dir);
    const log = this.#opts.log.child({ [FLEET_LOG.capacityProvider]: provider.name, [FLEET_LOG.poolInstance]: n });
    const agent = new Agent(
      {
        endpoint: this.#opts.endpoint,
        region: provider.region,
        cluster: provider.clusterName,
        credentials: this.#opts.credentials,
        dataDir: dir,
        cpu: this.#opts.instanceCpu,
        memory: this.#opts.instanceMemory,
        instanceType: POOL_INSTANCE_TYPE,
        hostAddress,
        attributes: { [CAPACITY_PROVIDER_ATTRIBUTE]: provider.name },
        log,
      },
      this.#opts.engineFactory,
    );
    const entry: Entry = {
      providerArn: provider.arn,
      providerName: provider.name,
      region: provider.region,
      clusterName: provider.clusterName,
      n,
      dir,
      state: 'starting',
      startedAt: now,
      instanceArn,
      hostAddress,
      agent,
    };
    this.#members.set(key, entry);
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the agent did not connect within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      });
      await Promise.race([agent.start(), timeout]).finally(() => clearTimeout(timer));
    } catch (e) {
      log.error({ err: e }, 'a pool instance could not start');
      this.#members.delete(key);
      const last = this.#backoff.get(provider.arn);
      const ms = last ? Math.min(last.ms * 2, LAUNCH_BACKOFF_MAX_MS) : LAUNCH_BACKOFF_MS;
      this.#backoff.set(provider.arn, { until: Date.now() + ms, ms });
      await agent.close().catch(() => undefined);
      if (agent.containerInstanceArn) {
        await this.#opts.containerInstances
          .deregister(this.#scope(entry), { cluster: entry.clusterName, containerInstance: agent.containerInstanceArn, force: true }, Date.now())
          .catch((err: unknown) => log.warn({ err }, 'could not deregister the instance that failed to start'));
      }
      await this.#removeDir(entry, log);
      return false;
    }
    this.#backoff.delete(provider.arn);
    entry.instanceArn = agent.containerInstanceArn;
    if (this.#closed) {
      await agent.close();
      return false;
    }
    entry.state = 'running';
    log.info({ [FLEET_LOG.containerInstance]: entry.instanceArn, [FLEET_LOG.cluster]: entry.clusterName }, 'pool instance connected');
    try {
      this.#opts.onConnected?.({ ...entry, agent: undefined } as PoolMember);
    } catch (e) {
      log.warn({ err: e }, 'onConnected failed');
    }
    return true;
  }

  /** The instance's own loopback address: the one its dir keeps, or the first free 127.2.x.y. */
  #hostAddress(dir: string): string {
    const file = join(dir, HOST_ADDRESS_FILE);
    try {
      const kept = readFileSync(file, 'utf8').trim();
      if (/^127\.2\.\d{1,3}\.\d{1,3}$/.test(kept)) return kept;
    } catch {
      // a new instance
    }
    const taken = new Set([...this.#members.values()].map((m) => m.hostAddress));
    let k = 1;
    for (; ; k++) {
      if ((k & 255) === 0 || (k & 255) === 255) continue;
      if (!taken.has(`127.2.${k >> 8}.${k & 255}`)) break;
    }
    const address = `127.2.${k >> 8}.${k & 255}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${address}\n`);
    return address;
  }

  #scope(m: PoolMember): Scope {
    return { accountId: this.#opts.accountId, region: m.region };
  }

  /**
   * Takes an idle instance away, as ECS scales in an Auto Scaling group: it is
   * drained first, and kept when a task arrived meanwhile (false). `daemonTasksAllowed`:
   * the instance may still run daemon tasks, which stop with it.
   */
  async stop(instanceArn: string, daemonTasksAllowed: boolean, now: number): Promise<boolean> {
    const entry = [...this.#members.values()].find((m) => m.instanceArn === instanceArn);
    if (!entry || entry.state !== 'running') return false;
    entry.state = 'stopping';
    const log = this.#opts.log.child({ [FLEET_LOG.capacityProvider]: entry.providerName, [FLEET_LOG.poolInstance]: entry.n, [FLEET_LOG.containerInstance]: instanceArn });
    const scope = this.#scope(entry);
    const ci = this.#opts.containerInstances;
    const keep = async (why: string) => {
      log.info(why);
      await ci.updateState(scope, { cluster: entry.clusterName, containerInstances: [instanceArn], status: 'ACTIVE' }).catch((err: unknown) => log.warn({ err }, 'could not make the instance ACTIVE again'));
      entry.state = 'running';
      return false;
    };
    try {
      const drained = await ci
        .updateState(scope, { cluster: entry.clusterName, containerInstances: [instanceArn], status: 'DRAINING' })
        // Its cluster is gone: so is the instance (a cluster with instances cannot be deleted).
        .catch((e: unknown) => {
          if ((e as { code?: string }).code === 'ClusterNotFoundException') return { containerInstances: [] };
          throw e;
        });
      if (!drained.containerInstances.length) {
        // Deregistered by someone else already: only the agent is left to go.
        log.info('the pool instance was deregistered elsewhere');
      } else {
        const live = await liveTasks(this.#opts.store, instanceArn);
        if (live.nonDaemon > 0 || (live.daemon > 0 && !daemonTasksAllowed)) return await keep('a task arrived on the instance: it stays');
        try {
          await ci.deregister(scope, { cluster: entry.clusterName, containerInstance: instanceArn, force: live.daemon > 0 }, now);
        } catch (e) {
          return await keep(`the instance could not be deregistered (${(e as Error).message}): it stays`);
        }
        if (live.daemon > 0) await waitForNoLiveTasks(this.#opts.store, instanceArn, DAEMON_STOP_WAIT_MS);
      }
    } catch (e) {
      log.warn({ err: e }, 'could not drain the pool instance');
      entry.state = 'running';
      return false;
    }
    await entry.agent?.close().catch((err: unknown) => log.warn({ err }, 'the agent did not close cleanly'));
    this.#members.delete(`${entry.providerArn}#${entry.n}`);
    await this.#removeDir(entry, log);
    log.info('pool instance stopped and deregistered');
    return true;
  }

  async #removeDir(entry: PoolMember, log: Logger): Promise<void> {
    try {
      await this.#opts.removeLeftovers?.(join(entry.dir, 'tasks'));
    } catch (e) {
      log.warn({ err: e }, 'could not remove the containers the instance left');
    }
    rmSync(entry.dir, { recursive: true, force: true });
  }

  /** Closes every agent; their containers keep running and their dirs stay, so `restore` brings them back. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#members.values()].map((m) => m.agent?.close().catch(() => undefined)));
    this.#members.clear();
  }
}

/** The instance's tasks that are not STOPPED, daemon-service tasks apart. */
export async function liveTasks(store: Store, instanceArn: string): Promise<{ daemon: number; nonDaemon: number }> {
  const rows = await store.db
    .selectFrom('tasks')
    .select(['cluster_arn', 'service_name'])
    .where('container_instance_arn', '=', instanceArn)
    .where('last_status', '<>', 'STOPPED')
    .execute();
  if (!rows.length) return { daemon: 0, nonDaemon: 0 };
  const daemons = await daemonServices(store, rows[0]!.cluster_arn);
  const daemon = rows.filter((r) => r.service_name !== null && daemons.has(r.service_name)).length;
  return { daemon, nonDaemon: rows.length - daemon };
}

/** Names of the cluster's DAEMON services. */
export async function daemonServices(store: Store, clusterArn: string): Promise<Set<string>> {
  const rows = await store.db.selectFrom('services').select('name').where('cluster_arn', '=', clusterArn).where('scheduling_strategy', '=', 'DAEMON').execute();
  return new Set(rows.map((r) => r.name));
}

async function waitForNoLiveTasks(store: Store, instanceArn: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const row = await store.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('container_instance_arn', '=', instanceArn)
      .where('last_status', '<>', 'STOPPED')
      .executeTakeFirstOrThrow();
    if (Number(row.n) === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}
