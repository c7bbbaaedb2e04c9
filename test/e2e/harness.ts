import { DescribeTasksCommand, ECSClient, type Task } from '@aws-sdk/client-ecs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Starts a real berth (the `berth up` binary, in its own process, on a free
// loopback port, with a temporary data dir) and points the real clients at it.

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file runs from dist/test/e2e). */
export const repoRoot = resolve(here, '../../..');
const berthBin = join(repoRoot, 'bin', 'berth.js');

export interface Berth {
  endpoint: string;
  dataDir: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Environment for the AWS CLI and SDKs. */
  env: NodeJS.ProcessEnv;
  process: ChildProcess;
  output: () => string;
  /** SIGTERM, and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL, and wait for exit. */
  kill(): Promise<void>;
}

/** The instance pool of EC2 capacity providers and its managed scaling (`berth up --pool-*`, `--scaling-interval`). */
export interface PoolOptions {
  maxInstances?: number;
  instanceCpu?: number;
  instanceMemory?: number;
  scalingIntervalSeconds?: number;
}

function poolArgs(pool: PoolOptions | undefined): string[] {
  if (!pool) return [];
  const out: string[] = [];
  if (pool.maxInstances !== undefined) out.push('--pool-max-instances', String(pool.maxInstances));
  if (pool.instanceCpu !== undefined) out.push('--pool-instance-cpu', String(pool.instanceCpu));
  if (pool.instanceMemory !== undefined) out.push('--pool-instance-memory', String(pool.instanceMemory));
  if (pool.scalingIntervalSeconds !== undefined) out.push('--scaling-interval', String(pool.scalingIntervalSeconds));
  return out;
}

/** Starts berth; without `localAgent` it runs no container instance and no Fargate capacity (the API-only suites need no Docker). */
export async function startBerth(
  opts: { dataDir?: string; region?: string; extraArgs?: string[]; env?: NodeJS.ProcessEnv; localAgent?: boolean; pool?: PoolOptions } = {},
): Promise<Berth> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'berth-test-'));
  const region = opts.region ?? 'us-east-1';
  const child = spawn(process.execPath, [berthBin, 'up', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--region', region, ...(opts.localAgent ? ['--image-pull-behavior', 'prefer-cached', '--cleanup-delay', '5'] : ['--no-local-agent', '--no-fargate']), ...poolArgs(opts.pool), ...(opts.extraArgs ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL ?? 'warn', ...opts.env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const endpoint = await new Promise<string>((resolveEndpoint, reject) => {
    const timer = setTimeout(() => reject(new Error(`berth did not start within 30 s:\n${out}`)), 30_000);
    const check = () => {
      const m = /endpoint\s+(http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveEndpoint(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`berth exited with ${code} before it was up:\n${out}`));
    });
  });
  const key = JSON.parse(readFileSync(join(dataDir, 'root-access-key.json'), 'utf8')) as { accessKeyId: string; secretAccessKey: string };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: key.accessKeyId,
    AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_PAGER: '',
    AWS_MAX_ATTEMPTS: '1',
  };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  return {
    endpoint,
    dataDir,
    region,
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
    env,
    process: child,
    output: () => out,
    ...signals(child, exited),
  };
}

export function ecsClient(b: Berth, region = b.region): ECSClient {
  return new ECSClient({
    endpoint: b.endpoint,
    region,
    credentials: { accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey },
    maxAttempts: 1,
  });
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** Runs the AWS CLI on this machine (`aws`, or `python3 -m awscli`) against berth. */
export function aws(b: Berth, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const [cmd, pre] = awsCommand();
  const r = spawnSync(cmd, [...pre, ...args, '--output', 'json'], { env: { ...b.env, ...opts.env }, input: opts.input, encoding: 'utf8', timeout: 60_000 });
  let json: unknown;
  try {
    json = r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

let awsCmd: [string, string[]] | undefined;
function awsCommand(): [string, string[]] {
  if (awsCmd) return awsCmd;
  const which = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  awsCmd = which.status === 0 ? ['aws', []] : ['python3', ['-m', 'awscli']];
  return awsCmd;
}

export interface AgentProcess {
  dataDir: string;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** Starts `berth agent` in its own process, joined to berth `b`; resolves once it reports itself connected. */
export async function startAgent(b: Berth, opts: { cluster?: string; dataDir?: string; args?: string[] } = {}): Promise<AgentProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'berth-agent-'));
  const child = spawn(
    process.execPath,
    [berthBin, 'agent', '--endpoint', b.endpoint, '--cluster', opts.cluster ?? 'default', '--data-dir', dataDir, '--region', b.region, '--image-pull-behavior', 'prefer-cached', ...(opts.args ?? [])],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...b.env, BERTH_LOG_LEVEL: process.env.BERTH_LOG_LEVEL ?? 'warn' } },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((resolveUp, reject) => {
    const timer = setTimeout(() => reject(new Error(`berth agent did not connect within 30 s:\n${out}`)), 30_000);
    child.stdout!.on('data', () => {
      if (/agent connected/.test(out)) {
        clearTimeout(timer);
        resolveUp();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`berth agent exited with ${code}:\n${out}`));
    });
  });
  return {
    dataDir,
    process: child,
    output: () => out,
    ...signals(child, exited),
  };
}

/** stop (SIGTERM) and kill (SIGKILL) for a child process, each waiting for it to exit. */
function signals(child: ChildProcess, exited: Promise<void>) {
  const send = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { stop: () => send('SIGTERM'), kill: () => send('SIGKILL') };
}

/** Polls DescribeTasks until the task's lastStatus is `status`; a task that stops on the way fails the wait at once. */
export async function waitForTask(ecs: ECSClient, taskArn: string, status: string, opts: { cluster?: string; timeoutMs?: number } = {}): Promise<Task> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let last: Task | undefined;
  while (Date.now() < deadline) {
    last = (await ecs.send(new DescribeTasksCommand({ cluster: opts.cluster, tasks: [taskArn] }))).tasks![0];
    if (last?.lastStatus === status) return last;
    if (last?.lastStatus === 'STOPPED' && status !== 'STOPPED') throw new Error(`task stopped instead of reaching ${status}: ${last.stoppedReason}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`task did not reach ${status} in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}
