import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { Agent } from '../agent/agent.js';
import { dockerEngineFactory } from '../agent/docker-engine.js';
import { startBerth } from '../berth.js';
import { checkPullBehavior } from './agent.js';
import { ModelsNotFoundError } from '../gateway/model/load.js';
import { createLogger } from '../log.js';

export interface UpOptions {
  host: string;
  port: string;
  dataDir: string;
  region: string;
  accountId: string;
  localAgent: boolean;
  imagePullBehavior: string;
  cleanupDelay: string;
  registryHost?: string;
  registryMaintenanceInterval: string;
  registryGcGrace: string;
  lbAddress: string;
  certificatesDir?: string;
}

function seconds(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number of seconds, not '${value}'.`);
  return n * 1000;
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
  // The local agent: this host as a container instance of the default cluster.
  let local: Agent | undefined;
  if (opts.localAgent) {
    local = new Agent(
      {
        endpoint: berth.endpoint,
        region: opts.region,
        cluster: 'default',
        credentials: berth.rootKey,
        dataDir: join(dataDir, 'agent'),
        log,
      },
      dockerEngineFactory({ imagePullBehavior: pullBehavior, cleanupDelayMs: Number(opts.cleanupDelay) * 1000 }),
    );
    try {
      await local.start();
    } catch (e) {
      await local.close().catch(() => undefined);
      local = undefined;
      process.stderr.write(
        `berth: the local container instance could not start (${(e as Error).message}).\n` +
          `       berth serves the APIs without it; start a Docker engine (dockerd) and restart berth to run tasks here, or pass --no-local-agent.\n`,
      );
    }
  }
  process.stdout.write(
    `berth is up\n` +
      `  endpoint  ${berth.endpoint}\n` +
      `  data dir  ${dataDir}\n` +
      `  region    ${opts.region}   account ${opts.accountId}\n` +
      `  registry  ${berth.registry.repositories.registryHost}\n` +
      (local ? `  agent     ${local.containerInstanceArn}\n\n` : '\n') +
      `Point the AWS CLI and SDKs at it:  eval "$(berth env${dataDir === resolve(defaultDir()) ? '' : ` --data-dir ${dataDir}`})"\n` +
      `Log docker in to the registry:     aws ecr get-login-password | docker login --username AWS --password-stdin ${berth.registry.repositories.registryHost}\n`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping berth (running containers keep running)…\n`);
    await local?.close();
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
