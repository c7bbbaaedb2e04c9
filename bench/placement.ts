import { SignatureV4 } from '@smithy/signature-v4';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { AGENT_CONNECT_PATH, HEARTBEAT_INTERVAL_MS } from '../src/agent/protocol.js';
import { NodeSha256 } from '../src/agent/sha256.js';
import {
  parseConstraints,
  parseStrategies,
  placeTasks,
  type Constraint,
  type InstanceSnapshot,
  type Strategy,
  type TaskDemand,
} from '../src/control/placement/index.js';
import { JsonClient, runLoad, type CallResult } from './lib/load.js';
import { memoryOf, startBerthProcess, type ServerProcess } from './lib/servers.js';

// bench/placement: how fast berth places tasks.
//
// 1. The pure placement module on one core: 100,000 tasks on 10,000
//    simulated instances (3 AZs, four instance sizes) with spread(AZ) then
//    binpack(memory) and a memberOf constraint; once as a single plan, and
//    as RunTask-sized plans of 10 that each start from a fresh snapshot.
// 2. RunTask end to end through the API: a real `berth up --no-local-agent`,
//    container instances registered with RegisterContainerInstance (root key),
//    each "agent" a minimal WebSocket client on the agents' presigned-URL
//    scheme that keeps the instance connected and heartbeats but never starts
//    a container (tasks stay PENDING): it measures request → placement →
//    SQLite commit → answer, not container start.
//
// Anchors, both published figures (not measured here): Nomad's C2M average
// (2,000,000 containers in 22 min 14 s with 3 schedulers, "nearly 1,500
// containers per second") and ECS's RunTask limit of 10 tasks per call.

export const description = 'placements/s of the pure placement module (100k tasks, 10k instances) and RunTask tasks/s through the API, vs Nomad C2M and ECS RunTask limits';

const NOMAD_C2M_PER_SECOND = 2_000_000 / (22 * 60 + 14);
const ECS_RUN_TASK_MAX_COUNT = 10;
const REGION = 'us-east-1';
const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const SIZES = [
  { type: 'm5.large', cpu: 2048, memory: 8192 },
  { type: 'm5.xlarge', cpu: 4096, memory: 16384 },
  { type: 'c5.2xlarge', cpu: 8192, memory: 16384 },
  { type: 't3.medium', cpu: 2048, memory: 4096 },
];
const STRATEGY = [
  { type: 'spread', field: 'attribute:ecs.availability-zone' },
  { type: 'binpack', field: 'memory' },
];
const MEMBER_OF = 'attribute:stack != canary and attribute:ecs.instance-type in [m5.large, m5.xlarge, c5.2xlarge]';

interface Options {
  instances: number;
  tasks: number;
  runTaskPlans: number;
  apiInstances: number;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  api: boolean;
}

function parseOptions(args: string[]): Options {
  const o: Options = { instances: 10_000, tasks: 100_000, runTaskPlans: 500, apiInstances: 300, concurrency: 8, warmupMs: 2_000, durationMs: 10_000, api: true };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const num = () => {
      const v = Number(args[++i]);
      if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number`);
      return v;
    };
    if (a === '--instances') o.instances = Math.max(1, Math.floor(num()));
    else if (a === '--tasks') o.tasks = Math.max(1, Math.floor(num()));
    else if (a === '--run-task-plans') o.runTaskPlans = Math.floor(num());
    else if (a === '--api-instances') o.apiInstances = Math.max(1, Math.floor(num()));
    else if (a === '--concurrency' || a === '-c') o.concurrency = Math.max(1, Math.floor(num()));
    else if (a === '--warmup') o.warmupMs = num() * 1000;
    else if (a === '--duration' || a === '-d') o.durationMs = Math.max(0.1, num()) * 1000;
    else if (a === '--no-api') o.api = false;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: npm run bench -- placement [--instances N] [--tasks N] [--run-task-plans N] [--api-instances N] [--concurrency N] [--warmup S] [--duration S] [--no-api]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  return o;
}

/** A mutable snapshot, so RunTask-sized plans can be applied to it between calls. */
type SimInstance = { -readonly [K in keyof InstanceSnapshot]: InstanceSnapshot[K] } & { taskGroups: Map<string, number> };

function simulatedFleet(n: number): SimInstance[] {
  const out: SimInstance[] = [];
  for (let i = 0; i < n; i++) {
    const size = SIZES[(i * 7 + (i >> 3)) % SIZES.length]!;
    out.push({
      arn: `arn:aws:ecs:${REGION}:000000000000:container-instance/bench/${i.toString(16).padStart(32, '0')}`,
      ec2InstanceId: `i-${i.toString(16).padStart(17, '0')}`,
      status: 'ACTIVE',
      agentConnected: true,
      agentVersion: '1.80.0',
      registeredAt: Date.UTC(2024, 0, 1) + i * 1000,
      runningTasksCount: 0,
      attributes: new Map<string, string | undefined>([
        ['ecs.availability-zone', AZS[i % AZS.length]!],
        ['ecs.instance-type', size.type],
        ['ecs.os-type', 'linux'],
        ['ecs.capability.task-eni', undefined],
        ['stack', i % 10 === 0 ? 'canary' : 'prod'],
      ]),
      taskGroups: new Map(),
      cpu: size.cpu,
      memory: size.memory,
      ports: new Set([22, 2375, 2376, 51678, 51679]),
      portsUdp: new Set(),
    });
  }
  return out;
}

const DEMAND: TaskDemand = { cpu: 128, memory: 256, ports: [], portsUdp: [], eni: false, gpus: 0 };
const GROUP = 'service:bench';

/** A seeded uniform source, so two runs place alike. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Checks a plan against the fleet it was made for: nothing overcommitted, AZs balanced, constraint held. */
function check(fleet: SimInstance[], placements: string[]): { perAz: number[] } {
  const byArn = new Map(fleet.map((i) => [i.arn, i]));
  const n = new Map<string, number>();
  for (const p of placements) n.set(p, (n.get(p) ?? 0) + 1);
  const perAz = AZS.map(() => 0);
  for (const [arn, k] of n) {
    const i = byArn.get(arn)!;
    if (k * DEMAND.cpu > i.cpu || k * DEMAND.memory > i.memory) throw new Error(`plan overcommits ${arn}`);
    if (i.attributes.get('stack') === 'canary' || i.attributes.get('ecs.instance-type') === 't3.medium') throw new Error(`plan ignores memberOf on ${arn}`);
    perAz[AZS.indexOf(i.attributes.get('ecs.availability-zone')!)]! += k;
  }
  return { perAz };
}

function apply(fleet: Map<string, SimInstance>, placements: string[]): void {
  for (const p of placements) {
    const i = fleet.get(p)!;
    i.cpu -= DEMAND.cpu;
    i.memory -= DEMAND.memory;
    i.taskGroups.set(GROUP, (i.taskGroups.get(GROUP) ?? 0) + 1);
  }
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-');

interface PureResult {
  oneplan: { seconds: number; perSecond: number; perAz: number[]; heapAfter: number };
  runTask: { plans: number; tasks: number; seconds: number; perSecond: number; p50ms: number; p99ms: number };
  peakRss: number;
  fleetHeap: number;
}

let gc: (() => void) | undefined;
/** The live heap after a full collection (node hands gc to a new context once the flag is set). */
function liveHeap(): number {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  return process.memoryUsage().heapUsed;
}

function pure(o: Options): PureResult {
  const strategy: Strategy[] = parseStrategies(STRATEGY, []);
  const constraints: Constraint[] = parseConstraints([], [{ type: 'memberOf', expression: MEMBER_OF }]);
  // Warm-up: let the JIT see every path before the clock runs.
  for (let i = 0; i < 3; i++) placeTasks(simulatedFleet(2_000), { count: 5_000, demand: DEMAND, group: GROUP, strategy, constraints }, { random: seeded(i) });

  const heapBefore = liveHeap();
  const fleet = simulatedFleet(o.instances);
  const fleetHeap = liveHeap() - heapBefore;

  process.stderr.write(`  one plan of ${o.tasks} tasks on ${o.instances} instances…\n`);
  const t0 = performance.now();
  const plan = placeTasks(fleet, { count: o.tasks, demand: DEMAND, group: GROUP, strategy, constraints }, { random: seeded(1) });
  const seconds = (performance.now() - t0) / 1000;
  // Everything the plan allocated, garbage included (nothing was collected mid-plan unless V8 had to).
  const heapAfter = process.memoryUsage().heapUsed - heapBefore - fleetHeap;
  if (plan.placements.length !== o.tasks) throw new Error(`only ${plan.placements.length} of ${o.tasks} tasks fit`);
  const { perAz } = check(fleet, plan.placements);

  // RunTask-sized plans: each call snapshots the fleet as it is now (the applier's job in berth) and places 10.
  process.stderr.write(`  ${o.runTaskPlans} RunTask-sized plans of ${ECS_RUN_TASK_MAX_COUNT}…\n`);
  const sim = simulatedFleet(o.instances);
  const byArn = new Map(sim.map((i) => [i.arn, i]));
  const random = seeded(2);
  const latencies: number[] = [];
  let placed = 0;
  const r0 = performance.now();
  for (let i = 0; i < o.runTaskPlans; i++) {
    const c0 = performance.now();
    const p = placeTasks(sim, { count: ECS_RUN_TASK_MAX_COUNT, demand: DEMAND, group: GROUP, strategy, constraints }, { random });
    latencies.push(performance.now() - c0);
    apply(byArn, p.placements);
    placed += p.placements.length;
  }
  const rSeconds = (performance.now() - r0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil((q / 100) * latencies.length) - 1)] ?? NaN;
  return {
    oneplan: { seconds, perSecond: o.tasks / seconds, perAz, heapAfter },
    runTask: { plans: o.runTaskPlans, tasks: placed, seconds: rSeconds, perSecond: placed / rSeconds, p50ms: pct(50), p99ms: pct(99) },
    peakRss: process.resourceUsage().maxRSS * 1024,
    fleetHeap,
  };
}

// ── RunTask through the API ──────────────────────────────────────────────

interface FakeAgent {
  arn: string;
  socket: WebSocket;
  heartbeat: NodeJS.Timeout;
}

/** A container instance's agent reduced to its connection: connects with a presigned URL, heartbeats, ignores its tasks. */
export async function connectFakeAgent(server: Pick<ServerProcess, 'endpoint' | 'credentials'>, arn: string): Promise<FakeAgent> {
  const url = new URL(server.endpoint);
  const signer = new SignatureV4({ service: 'ecs', region: REGION, credentials: server.credentials, sha256: NodeSha256 });
  const presigned = await signer.presign(
    { method: 'GET', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: AGENT_CONNECT_PATH, query: { containerInstance: arn }, headers: { host: url.host } },
    { expiresIn: 300 },
  );
  const query = Object.entries(presigned.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const socket = new WebSocket(`ws://${url.host}${AGENT_CONNECT_PATH}?${query}`, { handshakeTimeout: 10_000 });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent connection for ${arn} got no welcome`)), 10_000);
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`agent connection refused: HTTP ${res.statusCode}`)));
    socket.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type?: string }).type === 'welcome') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const heartbeat = setInterval(() => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify({ type: 'heartbeat', at: Date.now() })), HEARTBEAT_INTERVAL_MS);
  return { arn, socket, heartbeat };
}

interface ApiResult {
  instances: number;
  calls: number;
  errors: number;
  errorSamples: string[];
  tasks: number;
  seconds: number;
  tasksPerSecond: number;
  callsPerSecond: number;
  p50ms: number;
  p99ms: number;
  overcommitted: number;
  rssKiB?: number;
  peakKiB?: number;
}

async function throughApi(o: Options): Promise<ApiResult> {
  const server = await startBerthProcess({ region: REGION });
  const client = new JsonClient(server, { service: 'ecs', targetPrefix: 'AmazonEC2ContainerServiceV20141113', region: REGION, connections: o.concurrency });
  const agents: FakeAgent[] = [];
  try {
    const must = async (op: string, input: unknown) => {
      const r = await client.call(op, input);
      if (r.status !== 200) throw new Error(`${op} failed: HTTP ${r.status} ${r.body.slice(0, 300)}`);
      return JSON.parse(r.body) as Record<string, any>;
    };
    await must('CreateCluster', { clusterName: 'bench' });
    process.stderr.write(`  registering ${o.apiInstances} container instances and connecting their agents…\n`);
    for (let i = 0; i < o.apiInstances; i++) {
      const size = SIZES[i % SIZES.length]!;
      const r = await must('RegisterContainerInstance', {
        cluster: 'bench',
        // Room for the whole run: the measure is placement and commit, not a full cluster.
        totalResources: [
          { name: 'CPU', type: 'INTEGER', integerValue: size.cpu * 1000 },
          { name: 'MEMORY', type: 'INTEGER', integerValue: size.memory * 1000 },
          { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22', '2375', '2376', '51678', '51679'] },
          { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
        ],
        attributes: [
          { name: 'ecs.availability-zone', value: AZS[i % AZS.length] },
          { name: 'ecs.instance-type', value: size.type },
          { name: 'stack', value: i % 10 === 0 ? 'canary' : 'prod' },
        ],
        versionInfo: { agentVersion: '0.0.0-bench', agentHash: 'bench', dockerVersion: 'DockerVersion: none' },
      });
      agents.push(await connectFakeAgent(server, r.containerInstance.containerInstanceArn as string));
    }
    await must('RegisterTaskDefinition', { family: 'bench-placement', containerDefinitions: [{ name: 'app', image: 'busybox', cpu: DEMAND.cpu, memory: DEMAND.memory, command: ['sleep', '3600'] }] });
    const input = {
      cluster: 'bench',
      taskDefinition: 'bench-placement',
      count: ECS_RUN_TASK_MAX_COUNT,
      placementStrategy: STRATEGY,
      placementConstraints: [{ type: 'memberOf', expression: MEMBER_OF }],
    };
    const first = await must('RunTask', input);
    if ((first.tasks as unknown[]).length !== ECS_RUN_TASK_MAX_COUNT) throw new Error(`RunTask placed ${(first.tasks as unknown[]).length}: ${JSON.stringify(first.failures)}`);

    let tasks = 0;
    const counting = (r: CallResult) => {
      if (r.status !== 200) return false;
      tasks += (JSON.parse(r.body) as { tasks: unknown[] }).tasks.length;
      return true;
    };
    process.stderr.write(`  RunTask (count ${ECS_RUN_TASK_MAX_COUNT}) at concurrency ${o.concurrency}: ${o.warmupMs / 1000} s warm-up, ${o.durationMs / 1000} s measured…\n`);
    if (o.warmupMs > 0) await runLoad(() => client.call('RunTask', input), { concurrency: o.concurrency, warmupMs: 0, durationMs: o.warmupMs });
    const r = await runLoad(() => client.call('RunTask', input), { concurrency: o.concurrency, warmupMs: 0, durationMs: o.durationMs, ok: counting });

    // Nothing overcommitted: every instance's remaining resources are what registered minus its tasks.
    let overcommitted = 0;
    const arns = agents.map((a) => a.arn);
    for (let i = 0; i < arns.length; i += 100) {
      const d = await must('DescribeContainerInstances', { cluster: 'bench', containerInstances: arns.slice(i, i + 100) });
      for (const ci of d.containerInstances as { remainingResources: { name: string; integerValue: number }[] }[]) {
        if (ci.remainingResources.some((x) => (x.name === 'CPU' || x.name === 'MEMORY') && x.integerValue < 0)) overcommitted++;
      }
    }
    const mem = memoryOf(server.pid);
    return {
      instances: o.apiInstances,
      calls: r.requests,
      errors: r.errors,
      errorSamples: r.errorSamples,
      tasks,
      seconds: r.seconds,
      tasksPerSecond: tasks / r.seconds,
      callsPerSecond: r.perSecond,
      p50ms: r.p50ms,
      p99ms: r.p99ms,
      overcommitted,
      rssKiB: mem?.rssKiB,
      peakKiB: mem?.peakKiB,
    };
  } finally {
    for (const a of agents) {
      clearInterval(a.heartbeat);
      a.socket.terminate();
    }
    await client.close();
    await server.stop();
  }
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  process.stdout.write(
    `bench/placement: ${availableParallelism()} CPU(s), ${cpus()[0]?.model ?? '?'}; node ${process.version}; load average before ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n` +
      `strategy spread(attribute:ecs.availability-zone) then binpack(memory); constraint memberOf '${MEMBER_OF}'; each task cpu ${DEMAND.cpu}, memory ${DEMAND.memory} MiB\n`,
  );

  process.stderr.write('pure placement module (this process, one thread)…\n');
  const p = pure(o);
  const ratio = (x: number) => `${(x / NOMAD_C2M_PER_SECOND).toFixed(1)}×`;
  process.stdout.write(
    `\n1. pure placement module, one core, ${fmt(o.instances)} simulated instances (3 AZs, ${SIZES.map((s) => s.type).join('/')})\n` +
      `   one plan of ${fmt(o.tasks)} tasks      ${fmt(p.oneplan.perSecond).padStart(12)} placements/s  (${p.oneplan.seconds.toFixed(2)} s; per AZ ${p.oneplan.perAz.join('/')})   ${ratio(p.oneplan.perSecond)} Nomad C2M\n` +
      `   ${fmt(p.runTask.plans)} RunTask-sized plans  ${fmt(p.runTask.perSecond).padStart(12)} placements/s  (${fmt(p.runTask.tasks)} tasks of ${ECS_RUN_TASK_MAX_COUNT} per plan; each plan re-reads all ${fmt(o.instances)} instances: p50 ${p.runTask.p50ms.toFixed(2)} ms, p99 ${p.runTask.p99ms.toFixed(2)} ms per plan)   ${ratio(p.runTask.perSecond)} Nomad C2M\n` +
      `   target ≥ 20,000 placements/s (one plan): ${p.oneplan.perSecond >= 20_000 ? 'met' : 'NOT met'}\n` +
      `   memory: peak RSS of this process ${mib(p.peakRss)}; the ${fmt(o.instances)}-instance snapshot ${mib(p.fleetHeap)} of live heap; the ${fmt(o.tasks)}-task plan allocated ≈ ${mib(p.oneplan.heapAfter)} more (heap growth while planning, garbage included)\n` +
      `   anchor (published, not measured here): Nomad C2M, 2,000,000 containers in 22 min 14 s on 3 schedulers ≈ ${fmt(NOMAD_C2M_PER_SECOND)} placements/s for the whole scheduler cluster\n`,
  );

  if (!o.api) return;
  process.stderr.write('RunTask through the API…\n');
  const a = await throughApi(o);
  process.stdout.write(
    `\n2. RunTask through the API (berth up --no-local-agent; ${a.instances} container instances whose agents are WebSocket stubs: tasks stay PENDING, no container starts)\n` +
      `   RunTask count ${ECS_RUN_TASK_MAX_COUNT}, concurrency ${o.concurrency}: ${fmt(a.tasksPerSecond)} tasks/s = ${fmt(a.callsPerSecond, 1)} calls/s × ${ECS_RUN_TASK_MAX_COUNT}; p50 ${a.p50ms.toFixed(1)} ms, p99 ${a.p99ms.toFixed(1)} ms per call; ${fmt(a.tasks)} tasks in ${a.seconds.toFixed(1)} s; ${a.errors} errors; ${a.overcommitted} instances overcommitted\n` +
      `   ${ratio(a.tasksPerSecond)} Nomad C2M's average\n` +
      `   anchor (documented): ECS RunTask places at most ${ECS_RUN_TASK_MAX_COUNT} tasks per call; berth keeps that limit, so its tasks/s is its calls/s × ${ECS_RUN_TASK_MAX_COUNT}\n` +
      (a.rssKiB ? `   berth's memory after the run: ${(a.rssKiB / 1024).toFixed(0)} MiB (peak ${((a.peakKiB ?? 0) / 1024).toFixed(0)} MiB)\n` : ''),
  );
  for (const s of a.errorSamples) process.stdout.write(`   error: ${s}\n`);
  process.stdout.write(`load average after the run ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
}
