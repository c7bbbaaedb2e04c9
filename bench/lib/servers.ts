import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Starting and stopping the servers a benchmark measures: berth (the real
// `berth up` binary, in its own process) and anchors such as moto_server.
// Everything listens on 127.0.0.1 only.

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file runs from dist/bench/lib). */
export const repoRoot = resolve(here, '../../..');

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface ServerProcess {
  name: string;
  endpoint: string;
  credentials: Credentials;
  pid: number;
  /** Milliseconds from spawn until it served (berth: printed its endpoint; moto: accepted a TCP connection). */
  startupMs: number;
  /** stdout + stderr so far (capped), for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after a grace period; waits for exit. Safe to call twice. */
  stop(): Promise<void>;
}

// Every child a benchmark starts, so that an exit on error still kills them.
const live = new Set<ChildProcess>();
// Temporary data dirs to remove if the run ends before their server's stop().
const dirs = new Set<string>();
function killAllSync(): void {
  for (const c of live) killTree(c, 'SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.once('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAllSync();
    process.exit(130);
  });
}

/** Signals the child's process group (children are started detached, so they lead one). */
function killTree(c: ChildProcess, signal: NodeJS.Signals): void {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, signal);
  } catch {
    try {
      c.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function track(name: string, child: ChildProcess): { output: () => string; exited: Promise<void>; stop: () => Promise<void> } {
  live.add(child);
  let out = '';
  const append = (d: Buffer) => {
    out += d.toString();
    if (out.length > 64_000) out = out.slice(-32_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  void exited.then(() => live.delete(child));
  return {
    output: () => out,
    exited,
    async stop() {
      killTree(child, 'SIGTERM');
      const t = setTimeout(() => killTree(child, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
      void name;
    },
  };
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolvePort(port));
    });
  });
}

function waitFor<T>(what: string, timeoutMs: number, exited: Promise<void>, output: () => string, probe: () => Promise<T | undefined>): Promise<T> {
  return new Promise<T>((resolveReady, reject) => {
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${what} did not start within ${timeoutMs / 1000} s:\n${output()}`)), timeoutMs);
    const finish = (e: Error | undefined, v?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (e) reject(e);
      else resolveReady(v as T);
    };
    void exited.then(() => finish(new Error(`${what} exited before it was up:\n${output()}`)));
    const loop = async () => {
      while (!done) {
        const v = await probe().catch(() => undefined);
        if (v !== undefined) return finish(undefined, v);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    void loop();
  });
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      r(true);
    });
    s.once('error', () => r(false));
  });
}

/** Starts `node bin/berth.js up --port 0` with a temporary data dir; reads its endpoint and root key. */
export async function startBerthProcess(opts: { region?: string; upArgs?: string[] } = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  dirs.add(dataDir);
  const t0 = performance.now();
  const region = opts.region ?? 'us-east-1';
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'berth.js'), 'up', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--region', region, ...(opts.upArgs ?? ['--no-local-agent'])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env },
  });
  const t = track('berth', child);
  try {
    const endpoint = await waitFor('berth', 30_000, t.exited, t.output, async () => /endpoint\s+(http:\/\/\S+)/.exec(t.output())?.[1]);
    const startupMs = performance.now() - t0;
    const key = JSON.parse(readFileSync(join(dataDir, 'root-access-key.json'), 'utf8')) as Credentials;
    return {
      name: 'berth',
      endpoint,
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
      pid: child.pid!,
      startupMs,
      output: t.output,
      async stop() {
        await t.stop();
        rmSync(dataDir, { recursive: true, force: true });
        dirs.delete(dataDir);
      },
    };
  } catch (e) {
    await t.stop();
    rmSync(dataDir, { recursive: true, force: true });
    dirs.delete(dataDir);
    throw e;
  }
}

/** The moto_server command (BERTH_BENCH_MOTO_SERVER overrides it), or undefined when it is not installed. */
export function findMotoServer(command = process.env.BERTH_BENCH_MOTO_SERVER || 'moto_server'): string | undefined {
  const r = spawnSync(command, ['--help'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? command : undefined;
}

/** Starts `moto_server -H 127.0.0.1 -p PORT` on a free loopback port. */
export async function startMotoServer(command = 'moto_server'): Promise<ServerProcess> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const t = track('moto_server', child);
  try {
    await waitFor('moto_server', 60_000, t.exited, t.output, async () => ((await tcpOpen(port)) ? true : undefined));
  } catch (e) {
    await t.stop();
    throw e;
  }
  const startupMs = performance.now() - t0;
  return {
    name: 'moto_server',
    endpoint: `http://127.0.0.1:${port}`,
    // moto accepts any credentials.
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    pid: child.pid!,
    startupMs,
    output: t.output,
    stop: t.stop,
  };
}

export interface Memory {
  /** The process's name in /proc (e.g. node, python3). */
  name: string;
  rssKiB: number;
  peakKiB: number;
}

/** VmRSS and VmHWM (peak RSS) of one process, from /proc. */
export function memoryOf(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (n: string) => Number(new RegExp(`^${n}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '?';
    return { name, rssKiB: field('VmRSS'), peakKiB: field('VmHWM') };
  } catch {
    return undefined;
  }
}

/** CNCF distribution as Debian ships it (`docker-registry`), on a free loopback port with a temporary filesystem store and no auth. */
export async function startDistribution(command = process.env.BERTH_BENCH_DOCKER_REGISTRY || 'docker-registry'): Promise<ServerProcess & { address: string }> {
  if (spawnSync(command, ['--version'], { encoding: 'utf8' }).status !== 0) {
    throw new Error(`${command} is not installed: install Debian's docker-registry (apt-get install docker-registry) or set BERTH_BENCH_DOCKER_REGISTRY`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-distribution-'));
  dirs.add(dir);
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: { level: error }',
      'storage:',
      `  filesystem: { rootdirectory: ${join(dir, 'data')} }`,
      '  delete: { enabled: true }',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const t0 = performance.now();
  const child = spawn(command, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const t = track('docker-registry', child);
  await waitFor('docker-registry', 30_000, t.exited, t.output, async () => ((await tcpOpen(port)) ? true : undefined));
  return {
    name: 'docker-registry',
    endpoint: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    credentials: { accessKeyId: '', secretAccessKey: '' },
    pid: child.pid!,
    startupMs: performance.now() - t0,
    output: t.output,
    async stop() {
      await t.stop();
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
}
