import { availableParallelism, cpus, loadavg } from 'node:os';
import { JsonClient, runLoad, type CallResult, type LoadResult } from './lib/load.js';
import { findMotoServer, memoryOf, startBerthProcess, startMotoServer, type Memory, type ServerProcess } from './lib/servers.js';

// bench/api: requests/s and p50/p99 latency of the ECS control-plane API —
// DescribeTaskDefinition (a read) and RegisterTaskDefinition (a write) — on
// berth, beside moto_server (the anchor), both started in this run on
// 127.0.0.1 and driven by the same client at the same concurrency.

export const description = 'ECS DescribeTaskDefinition / RegisterTaskDefinition req/s and p50/p99 latency, berth vs moto_server';

const REGION = 'us-east-1';
const FAMILY = 'bench-web';

interface Options {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

function parseOptions(args: string[]): Options {
  const o: Options = { concurrency: 32, warmupMs: 1_000, durationMs: 5_000 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const num = () => {
      const v = Number(args[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number`);
      return v;
    };
    if (a === '--concurrency' || a === '-c') o.concurrency = Math.max(1, Math.floor(num()));
    else if (a === '--warmup') o.warmupMs = num() * 1000;
    else if (a === '--duration' || a === '-d') o.durationMs = Math.max(0.1, num()) * 1000;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench -- api [--concurrency N] [--warmup SECONDS] [--duration SECONDS]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  return o;
}

/** A small but realistic Fargate web service: app + log-shipping sidecar. */
export function taskDefinition(): Record<string, unknown> {
  const logs = (prefix: string) => ({
    logDriver: 'awslogs',
    options: { 'awslogs-group': '/ecs/bench-web', 'awslogs-region': REGION, 'awslogs-stream-prefix': prefix },
  });
  return {
    family: FAMILY,
    taskRoleArn: 'arn:aws:iam::123456789012:role/bench-web-task',
    executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '512',
    memory: '1024',
    containerDefinitions: [
      {
        name: 'web',
        image: 'public.ecr.aws/nginx/nginx:1.27',
        cpu: 384,
        memory: 768,
        essential: true,
        portMappings: [
          { containerPort: 8080, hostPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' },
          { containerPort: 9090, hostPort: 9090, protocol: 'tcp', name: 'metrics' },
        ],
        environment: [
          { name: 'APP_ENV', value: 'production' },
          { name: 'LISTEN_PORT', value: '8080' },
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'FEATURE_FLAGS', value: 'search,checkout-v2' },
        ],
        healthCheck: { command: ['CMD-SHELL', 'wget -qO- http://localhost:8080/healthz || exit 1'], interval: 30, timeout: 5, retries: 3, startPeriod: 10 },
        logConfiguration: logs('web'),
        dependsOn: [{ containerName: 'log-router', condition: 'START' }],
      },
      {
        name: 'log-router',
        image: 'public.ecr.aws/docker/library/busybox:1.36',
        cpu: 128,
        memory: 256,
        essential: false,
        command: ['sh', '-c', 'while true; do sleep 3600; done'],
        environment: [{ name: 'ROUTER_MODE', value: 'tail' }],
        logConfiguration: logs('log-router'),
      },
    ],
    tags: [{ key: 'team', value: 'platform' }],
  };
}

interface Row {
  operation: string;
  target: string;
  result: LoadResult;
}

interface TargetRun {
  rows: Row[];
  memory?: Memory;
  startupMs: number;
}

function described(r: CallResult): boolean {
  if (r.status !== 200) return false;
  const td = (JSON.parse(r.body) as { taskDefinition?: { family?: string; containerDefinitions?: unknown[] } }).taskDefinition;
  return td?.family === FAMILY && td.containerDefinitions?.length === 2;
}

async function measure(server: ServerProcess, o: Options): Promise<TargetRun> {
  const client = new JsonClient(server, { service: 'ecs', targetPrefix: 'AmazonEC2ContainerServiceV20141113', region: REGION, connections: o.concurrency });
  try {
    const td = taskDefinition();
    // Seed the family, and check that both operations really work here before timing them.
    const reg = await client.call('RegisterTaskDefinition', td);
    if (reg.status !== 200) throw new Error(`${server.name}: RegisterTaskDefinition failed: HTTP ${reg.status} ${reg.body.slice(0, 500)}`);
    const desc = await client.call('DescribeTaskDefinition', { taskDefinition: FAMILY });
    if (!described(desc)) throw new Error(`${server.name}: DescribeTaskDefinition did not return the family: HTTP ${desc.status} ${desc.body.slice(0, 500)}`);

    const rows: Row[] = [];
    const load = { concurrency: o.concurrency, warmupMs: o.warmupMs, durationMs: o.durationMs };
    process.stderr.write(`  ${server.name}: DescribeTaskDefinition…\n`);
    rows.push({ operation: 'DescribeTaskDefinition', target: server.name, result: await runLoad(() => client.call('DescribeTaskDefinition', { taskDefinition: FAMILY }), load) });
    // Each call adds a revision to the family; describe ran first so both targets describe a one-revision family.
    process.stderr.write(`  ${server.name}: RegisterTaskDefinition…\n`);
    rows.push({ operation: 'RegisterTaskDefinition', target: server.name, result: await runLoad(() => client.call('RegisterTaskDefinition', td), load) });
    return { rows, memory: memoryOf(server.pid), startupMs: server.startupMs };
  } finally {
    await client.close();
  }
}

const fmt = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  process.stdout.write(
    `bench/api: concurrency ${o.concurrency}, warm-up ${o.warmupMs / 1000} s, ${o.durationMs / 1000} s measured per operation and target\n` +
      `client and servers share this machine: ${availableParallelism()} CPU(s), ${cpus()[0]?.model ?? '?'}; node ${process.version}; ` +
      `load average before the run ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`,
  );

  const runs = new Map<string, TargetRun>();
  const servers: ServerProcess[] = [];
  try {
    // One target at a time, so the two never compete for CPU.
    process.stderr.write('starting berth…\n');
    const berth = await startBerthProcess({ region: REGION });
    servers.push(berth);
    runs.set('berth', await measure(berth, o));
    await berth.stop();

    const moto = findMotoServer();
    if (!moto) {
      process.stdout.write('\nmoto_server is NOT installed (pip install "moto[server]"): no anchor measured; berth figures only.\n');
    } else {
      process.stderr.write('starting moto_server…\n');
      const m = await startMotoServer(moto);
      servers.push(m);
      runs.set('moto_server', await measure(m, o));
      await m.stop();
    }
  } finally {
    await Promise.allSettled(servers.map((s) => s.stop()));
  }

  const all = [...runs.values()].flatMap((r) => r.rows);
  process.stdout.write(
    '\n' +
      table(
        ['operation', 'target', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'requests', 'errors'],
        all.map(({ operation, target, result: r }) => [operation, target, fmt(r.perSecond, 0), fmt(r.p50ms, 2), fmt(r.p99ms, 2), fmt(r.maxms, 1), String(r.requests), String(r.errors)]),
      ),
  );
  for (const { operation, target, result } of all) {
    for (const s of result.errorSamples) process.stdout.write(`  errors in ${operation} on ${target}: ${s}\n`);
  }

  const moto = runs.get('moto_server');
  const berth = runs.get('berth')!;
  if (moto) {
    process.stdout.write('\nberth vs moto_server (above 1 = berth better)\n');
    const ratios = berth.rows.map((b) => {
      const m = moto.rows.find((x) => x.operation === b.operation)!;
      return [b.operation, 'berth/moto', fmt(b.result.perSecond / m.result.perSecond, 2) + '×', fmt(m.result.p99ms / b.result.p99ms, 2) + '×'];
    });
    process.stdout.write(table(['operation', 'ratio', 'req/s berth/moto', 'p99 moto/berth'], ratios));
  }

  process.stdout.write('\nmemory after the run (VmRSS, peak VmHWM) and start-up time\n');
  for (const [name, r] of runs) {
    const mem = r.memory ? `${mib(r.memory.rssKiB)} (peak ${mib(r.memory.peakKiB)}) [process ${r.memory.name}]` : 'memory unavailable';
    process.stdout.write(`  ${name.padEnd(12)} ${mem}; up in ${fmt(r.startupMs, 0)} ms\n`);
  }
  process.stdout.write(`load average after the run ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
}
