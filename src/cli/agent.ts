import { resolve } from 'node:path';
import { Agent } from '../agent/agent.js';
import { dockerEngineFactory, IMAGE_PULL_BEHAVIORS, type ImagePullBehavior } from '../agent/docker-engine.js';
import { readRootKey } from '../gateway/credentials.js';
import { createLogger } from '../log.js';

export interface AgentCliOptions {
  endpoint: string;
  cluster: string;
  fargate?: boolean;
  dataDir: string;
  region: string;
  credentialsFrom?: string;
  cpu?: string;
  memory?: string;
  attribute: string[];
  availabilityZone?: string;
  instanceType?: string;
  hostAddress: string;
  imagePullBehavior: string;
  cleanupDelay: string;
}

export function parseAttributes(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`--attribute takes name=value, not '${item}'.`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export function checkPullBehavior(value: string): ImagePullBehavior {
  if (!(IMAGE_PULL_BEHAVIORS as readonly string[]).includes(value)) {
    throw new Error(`--image-pull-behavior must be one of ${IMAGE_PULL_BEHAVIORS.join(', ')}, not '${value}'.`);
  }
  return value as ImagePullBehavior;
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, not '${value}'.`);
  return n;
}

/** `berth agent`: joins this machine to a berth control plane as a container instance. */
export async function agent(opts: AgentCliOptions): Promise<void> {
  const log = createLogger();
  const dataDir = resolve(opts.dataDir);
  let credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  if (opts.credentialsFrom) {
    const key = readRootKey(resolve(opts.credentialsFrom));
    if (!key) throw new Error(`No berth credentials in ${opts.credentialsFrom}.`);
    credentials = key;
  } else if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) {
    credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY };
  }
  if (!credentials) {
    throw new Error('berth agent needs an access key: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (eval "$(berth env)" on the control plane prints them), or pass --credentials-from DATA_DIR.');
  }
  const a = new Agent(
    {
      endpoint: opts.endpoint,
      region: opts.region,
      cluster: opts.cluster,
      fargate: opts.fargate,
      credentials,
      dataDir,
      cpu: positiveInt('--cpu', opts.cpu),
      memory: positiveInt('--memory', opts.memory),
      attributes: parseAttributes(opts.attribute),
      availabilityZone: opts.availabilityZone,
      instanceType: opts.instanceType,
      hostAddress: opts.hostAddress,
      log,
    },
    dockerEngineFactory({ imagePullBehavior: checkPullBehavior(opts.imagePullBehavior), cleanupDelayMs: Number(opts.cleanupDelay) * 1000 }),
  );
  await a.start();
  process.stdout.write(
    opts.fargate
      ? `agent connected: ${a.containerInstanceArn} in berth's Fargate capacity via ${opts.endpoint}\n`
      : `agent connected: ${a.containerInstanceArn} in cluster ${opts.cluster} via ${opts.endpoint}\n`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping the agent (its containers keep running)…\n`);
    await a.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
