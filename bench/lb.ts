import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startBerthProcess, type ServerProcess } from './lib/servers.js';

// bench/lb: requests through a berth load balancer against HAProxy, both in
// front of the same small backend (a node:http server in a child process
// answering "ok"), both driven by wrk with keep-alive connections, one after
// the other so they never share the CPU. berth is the real `berth up` process;
// its application load balancer, target group (the backend as an ip target)
// and HTTP listener are created through the ELBv2 API, as a user would.
// Prints requests/s and p50/p99 for each (and for the backend alone), and
// berth's ratios to HAProxy. Every address is 127.0.0.1; every wrk run is
// bounded by its duration.

export const description = 'a berth ALB (HTTP listener → target group, set up through the ELBv2 API) vs HAProxy in front of the same node backend: wrk req/s, p50/p99, ratio';

interface WrkResult {
  rps: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  errors: string | undefined;
}

const children = new Set<ChildProcess>();
function killAll(): void {
  for (const c of children) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}
process.once('exit', killAll);

function argOf(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Starts `cmd` in its own process group; resolves once `ready(output)` holds (polled every 50 ms, for at most 10 s). */
async function start(cmd: string, args: string[], ready: (out: string) => boolean | Promise<boolean>, what: string): Promise<{ output: () => string; stop: () => Promise<void> }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  let out = '';
  let exited = false;
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  void gone.then(() => (exited = true));
  const spawnError = new Promise<Error>((r) => child.once('error', r));
  const stop = async () => {
    if (!exited) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* gone */
      }
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 3_000);
      await gone;
      clearTimeout(t);
    }
    children.delete(child);
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    if (failed) throw failed;
    if (exited) throw new Error(`${what} exited:\n${out}`);
    if (await ready(out)) return { output: () => out, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${what} did not start within 10 s:\n${out}`);
    }
  }
}

const BACKEND = `
const http = require('node:http');
const server = http.createServer((req, res) => { res.setHeader('content-type', 'text/plain'); res.end('ok'); });
server.keepAliveTimeout = 120000;
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
`;

function toMs(v: string, unit: string): number {
  const n = Number(v);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : unit === 'm' ? n * 60_000 : n;
}

function wrk(port: number, seconds: number, connections: number, threads: number): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk failed (${code}):\n${out}`));
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out);
      const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out);
      const total = /(\d+) requests in/.exec(out);
      const errors = /(Socket errors:.*|Non-2xx or 3xx responses:.*)/g;
      if (!rps || !p50 || !p99 || !total) return reject(new Error(`cannot read wrk's output:\n${out}`));
      resolve({
        rps: Number(rps[1]),
        p50ms: toMs(p50[1]!, p50[2]!),
        p99ms: toMs(p99[1]!, p99[2]!),
        requests: Number(total[1]),
        errors: out.match(errors)?.join('; '),
      });
    });
  });
}

function haproxyConfig(port: number, backendPort: number): string {
  return [
    'global',
    '  maxconn 4000',
    'defaults',
    '  mode http',
    '  timeout connect 10s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  option http-keep-alive',
    '  option forwardfor',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend be',
    'backend be',
    '  http-reuse always',
    `  server s1 127.0.0.1:${backendPort}`,
    '',
  ].join('\n');
}

/** An ALB with an HTTP listener on `port` forwarding to the backend (an ip target), through berth's ELBv2 API; resolves once the target is healthy. */
async function berthLoadBalancer(berth: ServerProcess, port: number, backendPort: number): Promise<void> {
  const elb = new ElasticLoadBalancingV2Client({ endpoint: berth.endpoint, region: 'us-east-1', credentials: berth.credentials });
  try {
    const lb = await elb.send(new CreateLoadBalancerCommand({ Name: 'bench', Type: 'application', Subnets: ['subnet-a', 'subnet-b'] }));
    const tg = await elb.send(
      new CreateTargetGroupCommand({ Name: 'bench', Protocol: 'HTTP', Port: backendPort, TargetType: 'ip', VpcId: lb.LoadBalancers![0]!.VpcId, HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 }),
    );
    const tgArn = tg.TargetGroups![0]!.TargetGroupArn!;
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tgArn, Targets: [{ Id: '127.0.0.1', Port: backendPort }] }));
    await elb.send(
      new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancers![0]!.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] }),
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      const h = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }));
      const state = h.TargetHealthDescriptions?.[0]?.TargetHealth?.State;
      if (state === 'healthy' && (await tcpOpen(port))) return;
      if (Date.now() > deadline) throw new Error(`berth's target did not become healthy within 30 s (state ${state}):\n${berth.output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    elb.destroy();
  }
}

function row(name: string, r: WrkResult): string {
  return `  ${name.padEnd(20)} ${r.rps.toFixed(0).padStart(9)} ${r.p50ms.toFixed(2).padStart(9)} ${r.p99ms.toFixed(2).padStart(9)}${r.errors ? `   (${r.errors})` : ''}`;
}

export async function run(args: string[]): Promise<void> {
  const seconds = argOf(args, '--duration', 10);
  const connections = argOf(args, '--connections', 50);
  const threads = argOf(args, '--threads', 2);
  const rounds = argOf(args, '--rounds', 3);
  for (const tool of ['wrk', 'haproxy']) {
    if (spawnSync(tool, ['-v'], { stdio: 'ignore' }).error) throw new Error(`${tool} is not installed (apt-get install wrk haproxy)`);
  }
  const scratch = mkdtempSync(join(tmpdir(), 'berth-bench-lb-'));
  const stops: Array<() => Promise<void>> = [];
  try {
    const backend = await start(process.execPath, ['-e', BACKEND], (o) => /port \d+/.test(o), 'backend');
    stops.push(backend.stop);
    const backendPort = Number(/port (\d+)/.exec(backend.output())![1]);

    const haproxyPort = await freePort();
    const cfg = join(scratch, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig(haproxyPort, backendPort));
    const haproxy = await start('haproxy', ['-f', cfg, '-db'], () => tcpOpen(haproxyPort), 'haproxy');
    stops.push(haproxy.stop);

    const berthPort = await freePort();
    const berth = await startBerthProcess();
    stops.push(() => berth.stop());
    await berthLoadBalancer(berth, berthPort, backendPort);

    process.stdout.write(`wrk -t${threads} -c${connections} -d${seconds}s, keep-alive, ${availableParallelism()} CPUs, ${rounds} rounds, load average before ${loadavg()[0]!.toFixed(2)}\n`);
    const runs = new Map<string, WrkResult[]>();
    const ratios: number[] = [];
    const targets: Array<[string, number]> = [
      ['backend alone', backendPort],
      ['haproxy', haproxyPort],
      ['berth', berthPort],
    ];
    for (let round = 0; round < rounds; round++) {
      // Alternate the order so that neither proxy always runs on a warmer (or busier) machine.
      for (const [name, port] of round % 2 === 0 ? targets : [...targets].reverse()) {
        await wrk(port, Math.min(2, seconds), connections, threads); // warm-up: connections, JIT
        const r = await wrk(port, seconds, connections, threads);
        process.stdout.write(`round ${round + 1}: ${row(name, r).trim()}\n`);
        runs.set(name, [...(runs.get(name) ?? []), r]);
      }
      const [h, b] = [runs.get('haproxy')!, runs.get('berth')!].map((rs) => rs[rs.length - 1]!);
      ratios.push(b!.rps / h!.rps);
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;
    const best = (name: string) => runs.get(name)!.reduce((x, y) => (y.rps > x.rps ? y : x));
    process.stdout.write(`\n  best run of each        req/s    p50 ms    p99 ms   median req/s\n`);
    for (const [name] of targets) process.stdout.write(`${row(name, best(name))}   ${median(runs.get(name)!.map((r) => r.rps)).toFixed(0).padStart(12)}\n`);
    const h = best('haproxy');
    const b = best('berth');
    process.stdout.write(
      `\n  berth / haproxy throughput: best ${(b.rps / h.rps).toFixed(2)}×, median of rounds ${median(ratios).toFixed(2)}× (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}); target ≥ 0.60×\n`,
    );
    process.stdout.write(`  berth / haproxy p99 (best runs): ${(b.p99ms / h.p99ms).toFixed(2)}×; target ≤ 2×\n`);
    process.stdout.write(`  load average after ${loadavg()[0]!.toFixed(2)}\n`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}
