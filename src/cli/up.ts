import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { Agent } from '../agent/agent.js';
import { dockerEngineFactory } from '../agent/docker-engine.js';
import { startBerth } from '../berth.js';
import { SpotInterruptions } from '../control/spot-interruptions.js';
import { checkPullBehavior } from './agent.js';
import { ModelsNotFoundError } from '../gateway/model/load.js';
import { createLogger } from '../log.js';
import { dockerLeftoversRemover } from '../fleet/docker-leftovers.js';
import { startFleet, type RunningFleet } from '../fleet/fleet.js';

export interface UpOptions {
  host: string;
  port: string;
  dataDir: string;
  region: string;
  accountId: string;
  localAgent: boolean;
  fargate: boolean;
  imagePullBehavior: string;
  cleanupDelay: string;
  registryHost?: string;
  registryMaintenanceInterval: string;
  registryGcGrace: string;
  lbAddress: string;
  certificatesDir?: string;
  /** The instance pool of EC2 capacity providers (src/fleet): instances per provider (0: no pool), each one's CPU units and MiB. */
  poolMaxInstances: string;
  poolInstanceCpu: string;
  poolInstanceMemory: string;
  /** How often managed scaling runs (seconds). */
  scalingInterval: string;
  spotInterruptionRate?: string;
}

function seconds(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number of seconds, not '${value}'.`);
  return n * 1000;
}

function wholeNumber(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be a whole number of at least ${min}, not '${value}'.`);
  return n;
}

export async function up(opts: UpOptions): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number (0-65535), not '${opts.port}'.`);
  if (!/^\d{12}$/.test(opts.accountId)) throw new Error(`--account-id must be 12 digits, not '${opts.accountId}'.`);
  if (isIP(opts.lbAddress) === 0) throw new Error(`--lb-address must be an IP address such as 127.0.0.1, not '${opts.lbAddress}'.`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(opts.region)) throw new Error(`--region must be an AWS region name such as us-east-1, not '${opts.region}'.`);
  const dataDir = resolve(opts.dataDir);
  const pullBehavior = checkPullBehavior(opts.imagePullBehavior);
  const log = createLogger();
  let berth;
  try {
    berth = await startBerth({
      host: opts.host,
      port,
      dataDir,
      region: opts.region,
      accountId: opts.accountId,
      registryHost: opts.registryHost,
      registryMaintenanceMs: seconds(opts.registryMaintenanceInterval, '--registry-maintenance-interval'),
      registryGcGraceMs: seconds(opts.registryGcGrace, '--registry-gc-grace'),
      lbAddress: opts.lbAddress,
      certificatesDir: opts.certificatesDir && resolve(opts.certificatesDir),
      log,
    });
  } catch (e) {
    if (e instanceof ModelsNotFoundError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new Error(`${opts.host}:${port} is already in use. Stop what listens there, or start berth with --port.`);
    throw e;
  }
  // The local agents: this host as a container instance of the default cluster, and as berth's managed Fargate capacity.
  const engine = dockerEngineFactory({ imagePullBehavior: pullBehavior, cleanupDelayMs: Number(opts.cleanupDelay) * 1000 });
  const startLocal = async (what: string, flag: string, o: { dataDir: string; fargate?: boolean }): Promise<Agent | undefined> => {
    const a = new Agent({ endpoint: berth.endpoint, region: opts.region, cluster: 'default', credentials: berth.rootKey, log, ...o }, engine);
    try {
      await a.start();
      return a;
    } catch (e) {
      await a.close().catch(() => undefined);
      process.stderr.write(
        `berth: ${what} could not start (${(e as Error).message}).\n` +
          `       berth serves the APIs without it; start a Docker engine (dockerd) and restart berth to run tasks here, or pass ${flag}.\n`,
      );
      return undefined;
    }
  };
  const local = opts.localAgent ? await startLocal('the local container instance', '--no-local-agent', { dataDir: join(dataDir, 'agent') }) : undefined;
  const fargate = opts.fargate ? await startLocal("the local Fargate capacity", '--no-fargate', { dataDir: join(dataDir, 'fargate-agent'), fargate: true }) : undefined;
  // EC2 capacity providers' instances: agents this process starts and stops as managed scaling asks.
  const poolMax = wholeNumber(opts.poolMaxInstances, '--pool-max-instances', 0);
  let fleet: RunningFleet | undefined;
  if (poolMax > 0) {
    fleet = await startFleet(berth, {
      dataDir,
      region: opts.region,
      accountId: opts.accountId,
      maxInstances: poolMax,
      instanceCpu: wholeNumber(opts.poolInstanceCpu, '--pool-instance-cpu', 1),
      instanceMemory: wholeNumber(opts.poolInstanceMemory, '--pool-instance-memory', 1),
      intervalMs: seconds(opts.scalingInterval, '--scaling-interval'),
      engineFactory: engine,
      removeLeftovers: dockerLeftoversRemover(),
      log,
    });
  }
  let spot: SpotInterruptions | undefined;
  if (opts.spotInterruptionRate !== undefined) {
    const rate = Number(opts.spotInterruptionRate);
    if (!Number.isFinite(rate) || rate <= 0) throw new Error(`--spot-interruption-rate must be a positive number of interruptions per Spot task-hour, not '${opts.spotInterruptionRate}'.`);
    spot = new SpotInterruptions(berth.control.tasks, { ratePerTaskHour: rate, log });
    spot.start();
  }
  process.stdout.write(
    `berth is up\n` +
      `  endpoint  ${berth.endpoint}\n` +
      `  data dir  ${dataDir}\n` +
      `  region    ${opts.region}   account ${opts.accountId}\n` +
      `  registry  ${berth.registry.repositories.registryHost}\n` +
      (local ? `  agent     ${local.containerInstanceArn}\n` : '') +
      (fargate ? `  fargate   this host's Docker engine runs FARGATE and FARGATE_SPOT tasks\n` : '') +
      '\n' +
      `Point the AWS CLI and SDKs at it:  eval "$(berth env${dataDir === resolve(defaultDir()) ? '' : ` --data-dir ${dataDir}`})"\n` +
      `Log docker in to the registry:     aws ecr get-login-password | docker login --username AWS --password-stdin ${berth.registry.repositories.registryHost}\n`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping berth (running containers keep running)…\n`);
    spot?.close();
    await fleet?.close();
    await local?.close();
    await fargate?.close();
    await berth.close();
    process.stdout.write('berth stopped.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

function defaultDir(): string {
  return process.env.BERTH_DATA_DIR ?? `${process.env.HOME ?? ''}/.berth`;
}
