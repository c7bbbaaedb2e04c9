import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { EngineFactory } from '../agent/agent.js';
import type { RunningBerth } from '../berth.js';
import { InstancePool } from './instance-pool.js';
import { ScalingLoop } from './scaling-loop.js';

// The instance pool and its managed scaling, started beside a running berth
// (`berth up`): the pool's instances of a previous run come back first, then
// the loop runs every interval until close.

export interface FleetOptions {
  dataDir: string;
  region: string;
  accountId: string;
  /** The most instances one capacity provider may have (0: no pool). */
  maxInstances: number;
  instanceCpu: number;
  instanceMemory: number;
  intervalMs: number;
  engineFactory: EngineFactory;
  removeLeftovers?: (stateDir: string) => Promise<void>;
  log: Logger;
}

export interface RunningFleet {
  pool: InstancePool;
  loop: ScalingLoop;
  /** Stops the loop and closes the pool's agents (their containers keep running; they come back on restart). */
  close(): Promise<void>;
}

export async function startFleet(berth: RunningBerth, opts: FleetOptions): Promise<RunningFleet> {
  const log = opts.log.child({ component: 'fleet' });
  let loop: ScalingLoop | undefined;
  const pool = new InstancePool({
    dataDir: resolve(opts.dataDir),
    endpoint: berth.endpoint,
    credentials: berth.rootKey,
    accountId: opts.accountId,
    region: opts.region,
    instanceCpu: opts.instanceCpu,
    instanceMemory: opts.instanceMemory,
    engineFactory: opts.engineFactory,
    removeLeftovers: opts.removeLeftovers,
    store: berth.store,
    containerInstances: berth.control.containerInstances,
    log,
    onConnected: () => loop?.instanceConnected(),
  });
  loop = new ScalingLoop({
    store: berth.store,
    capacityProviders: berth.control.capacityProviders,
    pool,
    accountId: opts.accountId,
    maxInstances: opts.maxInstances,
    instanceCpu: opts.instanceCpu,
    instanceMemory: opts.instanceMemory,
    intervalMs: opts.intervalMs,
    tasks: berth.control.tasks,
    log,
  });
  // The instances of a previous run register again in the background (they count as starting meanwhile);
  // one that cannot come back (its cluster is gone, Docker is down) is logged and dropped.
  void pool.restore().catch((e: unknown) => log.error({ err: e }, 'could not restore the pool instances'));
  loop.start();
  return {
    pool,
    loop,
    async close() {
      await loop.stop();
      await pool.close();
    },
  };
}
