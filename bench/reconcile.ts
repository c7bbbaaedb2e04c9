import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TaskAssignment } from '../src/agent/protocol.js';
import { AccountSettings } from '../src/control/account-settings.js';
import type { AgentNotifier } from '../src/control/agent-notifier.js';
import { Clusters } from '../src/control/clusters.js';
import { ContainerInstances } from '../src/control/container-instances.js';
import { RECONCILE_INTERVAL_MS, ServiceScheduler } from '../src/control/reconcile/scheduler.js';
import { Services } from '../src/control/services.js';
import { TaskDefinitions } from '../src/control/task-definitions.js';
import { Tasks } from '../src/control/tasks.js';
import { SqliteStore } from '../src/store/sqlite.js';

// bench/reconcile: the service scheduler at scale, in this process, on a
// real SQLite store in a temporary directory, with simulated agents (they
// report RUNNING for every task they are given and STOPPED for every task
// they are told to stop, at once; no container runs).
//
// 1. 1,000 services × 10 tasks on 100 simulated instances: the time of one
//    full reconcile pass over all of them once they are steady (and one in
//    which 1% of the tasks have just died and are replaced), and the memory
//    the pass takes. Anchor: the loop's own interval (a pass has to fit in it).
// 2. One service scaled 0 → 1,000 tasks on 100 simulated instances with the
//    scheduler's real loop: time until the service is steady (1,000 RUNNING,
//    deployment COMPLETED). Anchor: ECS's documented pace, 500 tasks per
//    minute per service.

export const description = 'service scheduler: one reconcile pass over 1,000 services × 10 tasks (time, memory) and 0 → 1,000 tasks of one service to steady state, vs ECS 500 tasks/min';

const ECS_TASKS_PER_MINUTE = 500;
const scope = { accountId: '000000000000', region: 'us-east-1' };

interface Options {
  services: number;
  tasksPerService: number;
  instances: number;
  scaleTo: number;
  passes: number;
}

function parseOptions(args: string[]): Options {
  const o: Options = { services: 1_000, tasksPerService: 10, instances: 100, scaleTo: 1_000, passes: 5 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const num = () => {
      const v = Number(args[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a whole number ≥ 1`);
      return v;
    };
    if (a === '--services') o.services = num();
    else if (a === '--tasks-per-service') o.tasksPerService = num();
    else if (a === '--instances') o.instances = num();
    else if (a === '--scale-to') o.scaleTo = num();
    else if (a === '--passes') o.passes = num();
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench -- reconcile [--services N] [--tasks-per-service N] [--instances N] [--scale-to N] [--passes N]\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  return o;
}

/** Agents that do what they are told at once: RUNNING for a task to run, STOPPED for a task to stop. */
class SimulatedAgents implements AgentNotifier {
  #queue: TaskAssignment[] = [];
  #draining: Promise<void> | undefined;
  reports = 0;

  constructor(readonly tasks: Tasks) {}

  tasksChanged(_instance: string, tasks: TaskAssignment[]): void {
    this.#queue.push(...tasks);
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
  }

  async #drain(): Promise<void> {
    for (let a = this.#queue.shift(); a; a = this.#queue.shift()) {
      const status = a.desiredStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING';
      try {
        await this.tasks.submitTaskStateChange(scope, { cluster: a.clusterArn, task: a.taskArn, status, containers: [{ containerName: 'app', status }] }, Date.now());
        this.reports++;
      } catch {
        // A report for a task that moved on already: an agent would resend its state; here nothing is lost.
      }
    }
  }

  async idle(): Promise<void> {
    while (this.#draining) await this.#draining;
  }
}

interface Core {
  dir: string;
  store: SqliteStore;
  tasks: Tasks;
  services: Services;
  instances: ContainerInstances;
  taskDefinitions: TaskDefinitions;
  agents: SimulatedAgents;
  close(): Promise<void>;
}

async function openCore(cluster: string, instances: number): Promise<Core> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-reconcile-'));
  const store = await SqliteStore.open(join(dir, 'berth.sqlite'));
  const clusters = new Clusters(store, new AccountSettings(store));
  const taskDefinitions = new TaskDefinitions(store);
  const tasks = new Tasks(store, clusters, taskDefinitions);
  const containerInstances = new ContainerInstances(store, clusters, tasks);
  const services = new Services(store, clusters, taskDefinitions, tasks);
  const agents = new SimulatedAgents(tasks);
  tasks.setNotifier(agents);
  await clusters.create(scope, { clusterName: cluster }, Date.now());
  for (let i = 0; i < instances; i++) {
    const ci = await containerInstances.register(
      scope,
      {
        cluster,
        totalResources: [
          { name: 'CPU', type: 'INTEGER', integerValue: 65_536 },
          { name: 'MEMORY', type: 'INTEGER', integerValue: 262_144 },
          { name: 'PORTS', type: 'STRINGSET', stringSetValue: ['22'] },
          { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
        ],
        attributes: [
          { name: 'ecs.availability-zone', value: `us-east-1${'abc'[i % 3]}` },
          { name: 'ecs.os-type', value: 'linux' },
        ],
        versionInfo: { agentVersion: '0.1.0', agentHash: 'bench', dockerVersion: 'DockerVersion: simulated' },
      },
      Date.now(),
    );
    await containerInstances.markConnected(ci.containerInstanceArn!, true, Date.now());
  }
  await taskDefinitions.register(scope, { family: 'app', containerDefinitions: [{ name: 'app', image: 'busybox', memory: 32, command: ['sleep', '3600'] }] }, Date.now());
  return {
    dir,
    store,
    tasks,
    services,
    instances: containerInstances,
    taskDefinitions,
    agents,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function manyServices(o: Options) {
  const core = await openCore('many', o.instances);
  try {
    const scheduler = new ServiceScheduler(core.store, core.tasks);
    const t0 = performance.now();
    for (let i = 0; i < o.services; i++) {
      await core.services.create(scope, { cluster: 'many', serviceName: `svc-${String(i).padStart(4, '0')}`, taskDefinition: 'app', desiredCount: o.tasksPerService }, Date.now());
    }
    const created = performance.now() - t0;
    // Launch everything, let the agents report, and pass until the services are steady (RUNNING_SETTLE_MS applies).
    const t1 = performance.now();
    for (let round = 0; ; round++) {
      const stats = await scheduler.pass();
      await core.agents.idle();
      if (process.env.BENCH_DEBUG) process.stderr.write(`round ${round}: ${JSON.stringify(stats)}\n`);
      const steady = await core.store.db.selectFrom('services').select((eb) => eb.fn.countAll<number>().as('n')).where('body', 'like', '%"steady":true%').executeTakeFirstOrThrow();
      if (Number(steady.n) === o.services && stats.committed === 0) break;
      if (performance.now() - t1 > 600_000) throw new Error(`only ${steady.n} of ${o.services} services steady after 10 minutes`);
      if (stats.committed === 0) await new Promise((r) => setTimeout(r, 250));
    }
    const toSteady = performance.now() - t1;
    const tasks = await core.store.db.selectFrom('tasks').select((eb) => eb.fn.countAll<number>().as('n')).where('last_status', '=', 'RUNNING').executeTakeFirstOrThrow();

    // The measured passes: nothing to do but look.
    const times: number[] = [];
    let heapGrowth = 0;
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    for (let i = 0; i < o.passes; i++) {
      const heap0 = process.memoryUsage().heapUsed;
      const s = performance.now();
      const stats = await scheduler.pass();
      times.push(performance.now() - s);
      heapGrowth = Math.max(heapGrowth, process.memoryUsage().heapUsed - heap0);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (stats.committed) throw new Error(`a steady pass committed ${stats.committed} plans`);
    }

    // 1% of the tasks die; one pass replaces them.
    const victims = (await core.store.db.selectFrom('tasks').select(['arn', 'cluster_arn']).where('last_status', '=', 'RUNNING').orderBy('arn').execute()).filter((_, i) => i % 100 === 0);
    for (const v of victims) {
      await core.tasks.submitTaskStateChange(scope, { cluster: v.cluster_arn, task: v.arn, status: 'STOPPED', stopCode: 'EssentialContainerExited' }, Date.now());
    }
    const c0 = performance.now();
    const churn = await scheduler.pass();
    const churnMs = performance.now() - c0;
    await core.agents.idle();
    return { created, toSteady, running: Number(tasks.n), times, heapGrowth, rssBefore, peakRss, victims: victims.length, churn, churnMs };
  } finally {
    await core.close();
  }
}

async function scaleOne(o: Options) {
  const core = await openCore('one', o.instances);
  try {
    const scheduler = new ServiceScheduler(core.store, core.tasks);
    core.services.onChange((arn) => scheduler.kick(arn));
    core.tasks.onServiceTaskChange(({ clusterArn, serviceName }) => scheduler.kick(`${clusterArn.replace(':cluster/', ':service/')}/${serviceName}`));
    await core.services.create(scope, { cluster: 'one', serviceName: 'big', taskDefinition: 'app', desiredCount: 0 }, Date.now());
    scheduler.start();
    await new Promise((r) => setTimeout(r, 1_500));
    const t0 = performance.now();
    await core.services.update(scope, { cluster: 'one', service: 'big', desiredCount: o.scaleTo }, Date.now());
    let firstRunning = 0;
    let allRunning = 0;
    for (;;) {
      const s = (await core.services.describe(scope, { cluster: 'one', services: ['big'] })).services[0]!;
      const elapsed = performance.now() - t0;
      if (!firstRunning && s.runningCount! > 0) firstRunning = elapsed;
      if (!allRunning && s.runningCount === o.scaleTo) allRunning = elapsed;
      if (s.runningCount === o.scaleTo && s.deployments!.length === 1 && s.events![0]?.message === '(service big) has reached a steady state.') break;
      if (elapsed > 600_000) throw new Error(`not steady after 10 minutes: ${s.runningCount} running`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const steady = performance.now() - t0;
    await scheduler.stop();
    await core.agents.idle();
    return { firstRunning, allRunning, steady, reports: core.agents.reports };
  } finally {
    await core.close();
  }
}

export async function run(args: string[]): Promise<void> {
  const o = parseOptions(args);
  process.stdout.write(
    `bench/reconcile: ${availableParallelism()} CPU(s), ${cpus()[0]?.model ?? '?'}; node ${process.version}; load average before ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n` +
      `in-process control plane on SQLite (temp dir), ${o.instances} simulated instances (3 AZs), simulated agents that report at once\n`,
  );

  process.stderr.write(`${fmt(o.services)} services × ${o.tasksPerService} tasks…\n`);
  const m = await manyServices(o);
  const p50 = median(m.times);
  const worst = Math.max(...m.times);
  process.stdout.write(
    `\n1. ${fmt(o.services)} services × ${o.tasksPerService} tasks (${fmt(m.running)} RUNNING) on ${o.instances} instances\n` +
      `   setup: ${fmt(o.services)} CreateService in ${(m.created / 1000).toFixed(1)} s; launched and steady in ${(m.toSteady / 1000).toFixed(1)} s\n` +
      `   one full reconcile pass, all steady: p50 ${fmt(p50, 0)} ms, worst ${fmt(worst, 0)} ms over ${o.passes} passes (${fmt(p50 / o.services, 2)} ms per service)\n` +
      `   one pass after ${m.victims} tasks died (1%): ${fmt(m.churnMs, 0)} ms, ${m.churn.started} replacements started in ${m.churn.committed} plans\n` +
      `   memory: RSS ${mib(m.rssBefore)} before the passes, peak ${mib(m.peakRss)}; heap growth during one pass ≤ ${mib(m.heapGrowth)} (garbage included)\n` +
      `   anchor: the loop runs a full pass every ${RECONCILE_INTERVAL_MS} ms; p50 pass / interval = ${(p50 / RECONCILE_INTERVAL_MS).toFixed(2)}${p50 > RECONCILE_INTERVAL_MS ? ' (a pass is longer than the interval: passes run back to back)' : ''}\n`,
  );

  process.stderr.write(`one service 0 → ${fmt(o.scaleTo)} tasks…\n`);
  const s = await scaleOne(o);
  const ecsSeconds = (o.scaleTo / ECS_TASKS_PER_MINUTE) * 60;
  process.stdout.write(
    `\n2. one service scaled 0 → ${fmt(o.scaleTo)} tasks on ${o.instances} instances (scheduler loop running, kicked by the API and by task reports)\n` +
      `   first task RUNNING after ${fmt(s.firstRunning, 0)} ms; all ${fmt(o.scaleTo)} RUNNING after ${(s.allRunning / 1000).toFixed(2)} s; steady state after ${(s.steady / 1000).toFixed(2)} s (${fmt(s.reports)} agent reports)\n` +
      `   berth: ${fmt((o.scaleTo / s.steady) * 60_000)} tasks/min to steady state\n` +
      `   anchor (documented): ECS launches up to ${ECS_TASKS_PER_MINUTE} tasks per minute per service → ${fmt(ecsSeconds)} s for ${fmt(o.scaleTo)} tasks; berth is ${(ecsSeconds / (s.steady / 1000)).toFixed(1)}× faster\n` +
      `   (steady state waits RUNNING_SETTLE_MS, 3 s, after the last task runs: a task without health checks counts as healthy once it has run that long)\n`,
  );
}
