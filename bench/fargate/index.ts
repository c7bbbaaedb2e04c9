import { DescribeTasksCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand, type Task } from '@aws-sdk/client-ecs';
import Docker from 'dockerode';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { buildTestImage, TEST_IMAGE } from '../../test/support/docker.js';
import { startBerthProcess } from '../lib/servers.js';

// bench/fargate: RunTask → RUNNING for a burst of FARGATE tasks (awsvpc,
// 0.25 vCPU, 512 MiB, one `sleep 3600` container of the local busybox image)
// through the real `berth up` process and its Fargate agent on the local
// Docker engine, beside the same container shapes started straight through
// the Docker Engine API in the same run:
//   pairs  = per task a pause-like container (bridge) + the app container
//            joined to its network namespace with the task's limits: the
//            shape berth's awsvpc tasks have (namespace holder + container);
//   plain  = one container per task with the limits (the simpler anchor).
// The anchors issue all their containers at once (one create → start chain
// per task, all tasks concurrently), as berth gets the whole burst at once.
// berth, pairs and plain alternate round by round (the order reversed every
// other round); all containers are removed between rounds. Each round also
// prints the CPU seconds berth, dockerd + containerd and this client used
// (the machine's cores are shared), and a per-task breakdown: the client's
// view (RunTask answered, each status first seen by the poller) beside
// Docker's own Created/StartedAt of every container. Every wait is bounded;
// every address is 127.0.0.1 or Docker's local socket. profile.ts adds the
// agent's debug log (and a V8 profile) to the same breakdown.

export const description = 'RunTask → RUNNING for 20 FARGATE (awsvpc) tasks through berth vs the same containers (pause + app, concurrently) through the Docker Engine API';

const TASK_ARN_LABEL = 'com.amazonaws.ecs.task-arn';
const ANCHOR_LABEL = 'berth.bench';
const ANCHOR_VALUE = 'fargate';
const FAMILY = 'bench-fargate';
const DEADLINE_MS = 120_000;
const CPUS = 0.25;
const MEMORY_MIB = 512;

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isInteger(v) && v > 0 ? v : dflt;
}

/** Epoch milliseconds with sub-millisecond precision (comparable with Docker's timestamps). */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (ms: number) => `${Math.round(ms)} ms`;

/** Docker's RFC 3339 nanosecond timestamps as epoch ms (Date.parse keeps only milliseconds). */
function dockerTime(s: string | undefined): number {
  if (!s || s.startsWith('0001-')) return NaN;
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return Date.parse(s);
  return Date.parse(`${m[1]}${m[3]}`) + Number(`0.${m[2] ?? '0'}`) * 1000;
}

interface Stamped {
  created: number;
  started: number;
}

async function inspectTimes(docker: Docker, ids: string[]): Promise<Map<string, Stamped & { labels: Record<string, string>; name: string }>> {
  const out = new Map<string, Stamped & { labels: Record<string, string>; name: string }>();
  await Promise.all(
    ids.map(async (id) => {
      const i = await docker.getContainer(id).inspect();
      out.set(id, { created: dockerTime(i.Created), started: dockerTime(i.State.StartedAt), labels: i.Config.Labels ?? {}, name: i.Name });
    }),
  );
  return out;
}

// ── CPU seconds of the processes that do the work ───────────────────────────

/** utime + stime of one process, in seconds (USER_HZ is 100 on Linux). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

function pidsNamed(names: string[]): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${d}/comm`, 'utf8').trim())) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** CPU seconds used by berth, dockerd + containerd, and this client between start() and the call it returns. */
function cpuMeter(berthPid: number | undefined): () => string {
  const engine = pidsNamed(['dockerd', 'containerd']);
  const sum = (ps: number[]) => ps.reduce((a, p) => a + cpuSeconds(p), 0);
  const b0 = berthPid ? cpuSeconds(berthPid) : 0;
  const e0 = sum(engine);
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    const parts = [`dockerd+containerd ${(sum(engine) - e0).toFixed(2)}`, `client ${((c.user + c.system) / 1e6).toFixed(2)}`];
    if (berthPid) parts.unshift(`berth ${(cpuSeconds(berthPid) - b0).toFixed(2)}`);
    return `CPU s: ${parts.join(', ')}`;
  };
}

// ── the anchors: the Docker Engine API, every task's chain at once ──────────

const appHostConfig = { NanoCpus: Math.round(CPUS * 1e9), Memory: MEMORY_MIB * 1024 * 1024 };

/** One task's shape: `docker run -d` of a pause-like container, then of the app in its network namespace. */
async function runPair(docker: Docker, round: number, i: number): Promise<{ pause: string; app: string; done: number }> {
  const labels = { [ANCHOR_LABEL]: ANCHOR_VALUE };
  const pause = await docker.createContainer({ name: `berth-bench-fargate-${round}-${i}-pause`, Image: TEST_IMAGE, Cmd: ['sleep', '3600'], Labels: labels, HostConfig: { NetworkMode: 'bridge' } });
  await pause.start();
  const app = await docker.createContainer({
    name: `berth-bench-fargate-${round}-${i}-app`,
    Image: TEST_IMAGE,
    Cmd: ['sleep', '3600'],
    Labels: labels,
    StopTimeout: 2,
    HostConfig: { ...appHostConfig, NetworkMode: `container:${pause.id}` },
  });
  await app.start();
  return { pause: pause.id, app: app.id, done: now() };
}

/** The simpler anchor: `docker run -d` of the app alone, with the task's limits. */
async function runPlain(docker: Docker, round: number, i: number): Promise<{ app: string; done: number }> {
  const app = await docker.createContainer({
    name: `berth-bench-fargate-${round}-${i}-plain`,
    Image: TEST_IMAGE,
    Cmd: ['sleep', '3600'],
    Labels: { [ANCHOR_LABEL]: ANCHOR_VALUE },
    StopTimeout: 2,
    HostConfig: { ...appHostConfig, NetworkMode: 'bridge' },
  });
  await app.start();
  return { app: app.id, done: now() };
}

async function removeAnchorContainers(docker: Docker): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${ANCHOR_LABEL}=${ANCHOR_VALUE}`] } });
  // The app containers first: a pause container cannot go while one joins it.
  const apps = list.filter((c) => !c.Names.some((n) => n.endsWith('-pause')));
  const pauses = list.filter((c) => c.Names.some((n) => n.endsWith('-pause')));
  for (const group of [apps, pauses]) await Promise.all(group.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
}

interface AnchorRound {
  ms: number;
  cpu: string;
  /** Per task, ms after t0: pause created/started, app created/started (pairs); app only (plain). */
  steps: Record<string, number[]>;
}

async function anchorRound(docker: Docker, round: number, tasks: number, shape: 'pairs' | 'plain'): Promise<AnchorRound> {
  const meter = cpuMeter(undefined);
  const t0 = now();
  let results: { pause?: string; app: string; done: number }[];
  if (shape === 'pairs') results = await Promise.all(Array.from({ length: tasks }, (_, i) => runPair(docker, round, i)));
  else results = await Promise.all(Array.from({ length: tasks }, (_, i) => runPlain(docker, round, i)));
  const ms = Math.max(...results.map((r) => r.done)) - t0;
  const cpu = meter();
  const times = await inspectTimes(docker, results.flatMap((r) => (r.pause ? [r.pause, r.app] : [r.app])));
  const steps: Record<string, number[]> = {};
  const add = (k: string, v: number) => (steps[k] ??= []).push(v - t0);
  for (const r of results) {
    if (r.pause) {
      add('pause created', times.get(r.pause)!.created);
      add('pause started', times.get(r.pause)!.started);
    }
    add('app created', times.get(r.app)!.created);
    add('app started', times.get(r.app)!.started);
    add('start answered', r.done);
    // Per task, the time each step took.
    const gap = (k: string, ms: number) => (steps[k] ??= []).push(ms);
    const app = times.get(r.app)!;
    if (r.pause) {
      const pause = times.get(r.pause)!;
      gap('Δ call → pause created', pause.created - t0);
      gap('Δ pause create → started', pause.started - pause.created);
      gap('Δ pause started → app created', app.created - pause.started);
    }
    gap('Δ app create → started', app.started - app.created);
    gap('Δ app started → answered', r.done - app.started);
  }
  await removeAnchorContainers(docker);
  return { ms, cpu, steps };
}

// ── berth ────────────────────────────────────────────────────────────────────

/** Every task this run launched, so that an error mid-round still removes its containers. */
const launched = new Set<string>();

export interface BerthRound {
  /** Epoch ms of the first RunTask call. */
  t0: number;
  arns: string[];
  ms: number;
  cpu: string;
  /** DescribeTasks calls made while waiting. */
  polls: number;
  steps: Record<string, number[]>;
  /** RunTask calls: ms after t0 each was answered. */
  answered: number[];
}

async function ourContainers(docker: Docker, arns: Set<string>): Promise<Docker.ContainerInfo[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [TASK_ARN_LABEL] } });
  // Only this run's tasks: other berths may share the engine.
  return list.filter((c) => arns.has(c.Labels[TASK_ARN_LABEL] ?? ''));
}

export async function describeAll(ecs: ECSClient, arns: string[]): Promise<Task[]> {
  const out: Task[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const d = await ecs.send(new DescribeTasksCommand({ tasks: arns.slice(i, i + 100) }));
    if (d.failures?.length) throw new Error(`DescribeTasks failures: ${JSON.stringify(d.failures)}`);
    out.push(...(d.tasks ?? []));
  }
  return out;
}

export async function berthRound(ecs: ECSClient, docker: Docker, tasks: number, perCall: number, berthPid?: number, pollMs = 50): Promise<BerthRound> {
  const calls = Array.from({ length: Math.ceil(tasks / perCall) }, (_, i) => Math.min(perCall, tasks - i * perCall));
  const meter = cpuMeter(berthPid);
  const t0 = now();
  // Every call at once: the burst a client sends, as the anchors start every task at once.
  const answers = await Promise.all(
    calls.map(async (count) => {
      const r = await ecs.send(
        new RunTaskCommand({
          taskDefinition: FAMILY,
          launchType: 'FARGATE',
          count,
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
        }),
      );
      if (r.failures?.length || (r.tasks?.length ?? 0) !== count) throw new Error(`RunTask placed ${r.tasks?.length ?? 0} of ${count}: ${JSON.stringify(r.failures)}`);
      return { at: now() - t0, arns: r.tasks!.map((t) => t.taskArn!) };
    }),
  );
  const arns = answers.flatMap((a) => a.arns);
  for (const a of arns) launched.add(a);
  const firstSeen = new Map<string, Map<string, number>>(arns.map((a) => [a, new Map()]));
  let lastRunning = 0;
  let cpu = '';
  let polls = 0;
  let last: Task[] = [];
  for (;;) {
    const polled = await describeAll(ecs, arns);
    polls += Math.ceil(arns.length / 100);
    const at = now();
    last = polled;
    for (const t of polled) {
      const seen = firstSeen.get(t.taskArn!)!;
      if (!seen.has(t.lastStatus!)) seen.set(t.lastStatus!, at - t0);
      if (t.lastStatus === 'STOPPED') throw new Error(`task ${t.taskArn} stopped: ${t.stoppedReason} ${JSON.stringify(t.containers?.map((c) => c.reason))}`);
    }
    if (polled.every((t) => t.lastStatus === 'RUNNING')) {
      lastRunning = at - t0;
      cpu = meter();
      break;
    }
    if (at - t0 > DEADLINE_MS) {
      const counts: Record<string, number> = {};
      for (const t of polled) counts[t.lastStatus!] = (counts[t.lastStatus!] ?? 0) + 1;
      throw new Error(`not all RUNNING within ${DEADLINE_MS / 1000} s: ${JSON.stringify(counts)}`);
    }
    await sleep(pollMs);
  }

  // Where the time went, per task: the API's view, Docker's timestamps, the poller's (in this order).
  const steps: Record<string, number[]> = {};
  for (const k of ['RunTask answered', 'createdAt (API)', 'holder created', 'holder started', 'app created', 'app started', 'pullStartedAt (API)', 'startedAt (API)']) steps[k] = [];
  for (const s of ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING']) steps[`first seen ${s}`] = [];
  const add = (k: string, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) (steps[k] ??= []).push(v);
  };
  const byArn = new Map(last.map((t) => [t.taskArn!, t]));
  const containers = await ourContainers(docker, new Set(arns));
  const times = await inspectTimes(
    docker,
    containers.map((c) => c.Id),
  );
  for (const arn of arns) {
    const t = byArn.get(arn)!;
    const answer = answers.find((a) => a.arns.includes(arn))!;
    add('RunTask answered', answer.at);
    add('createdAt (API)', t.createdAt ? t.createdAt.getTime() - t0 : undefined);
    const mine = [...times.values()].filter((c) => c.labels[TASK_ARN_LABEL] === arn);
    const holder = mine.find((c) => c.labels['com.amazonaws.ecs.container-name'] === '~internal~ecs~pause');
    const app = mine.find((c) => c !== holder);
    add('holder created', holder && holder.created - t0);
    add('holder started', holder && holder.started - t0);
    add('app created', app && app.created - t0);
    add('app started', app && app.started - t0);
    add('pullStartedAt (API)', t.pullStartedAt ? t.pullStartedAt.getTime() - t0 : undefined);
    add('startedAt (API)', t.startedAt ? t.startedAt.getTime() - t0 : undefined);
    const seen = firstSeen.get(arn)!;
    for (const s of ['PROVISIONING', 'PENDING', 'ACTIVATING']) add(`first seen ${s}`, seen.get(s));
    add('first seen RUNNING', seen.get('RUNNING'));
    // Per task, the time each step took (the differences above, task by task).
    if (holder && app) {
      add('Δ RunTask → holder created', holder.created - t0 - answer.at);
      add('Δ holder create → started', holder.started - holder.created);
      add('Δ holder started → app created', app.created - holder.started);
      add('Δ app create → started', app.started - app.created);
      add('Δ app started → RUNNING seen', (seen.get('RUNNING') ?? NaN) - (app.started - t0));
    }
  }
  await stopAll(ecs, docker, arns);
  return { t0, arns, ms: lastRunning, cpu, polls, steps, answered: answers.map((a) => a.at) };
}

/** StopTask every task, wait (bounded) for STOPPED, then remove whatever containers they left. */
async function stopAll(ecs: ECSClient, docker: Docker, arns: string[]): Promise<void> {
  for (let i = 0; i < arns.length; i += 10) await Promise.all(arns.slice(i, i + 10).map((a) => ecs.send(new StopTaskCommand({ task: a, reason: 'bench/fargate round over' })).catch(() => undefined)));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ts = await describeAll(ecs, arns).catch(() => []);
    if (ts.length && ts.every((t) => t.lastStatus === 'STOPPED')) break;
    await sleep(200);
  }
  await removeLaunched(docker);
}

export async function registerTaskDefinition(ecs: ECSClient): Promise<void> {
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: FAMILY,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      // stopTimeout only shortens the cleanup between rounds (sleep ignores SIGTERM).
      containerDefinitions: [{ name: 'app', image: TEST_IMAGE, essential: true, command: ['sleep', '3600'], stopTimeout: 2 }],
    }),
  );
}

/** Removes the containers of every task this process launched (berth leaves running containers running when it stops). */
export async function removeLaunched(docker: Docker): Promise<void> {
  const left = await ourContainers(docker, launched).catch(() => []);
  const holders = left.filter((c) => c.Labels['com.amazonaws.ecs.container-name'] === '~internal~ecs~pause');
  for (const group of [left.filter((c) => !holders.includes(c)), holders]) await Promise.all(group.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
}

// ── the run ──────────────────────────────────────────────────────────────────

export function stepTable(title: string, steps: Record<string, number[]>): string {
  const rows = Object.entries(steps)
    .filter(([, v]) => v.length)
    .map(([k, v]) => `    ${k.padEnd(34)} median ${fmt(median(v)).padStart(8)}   last ${fmt(Math.max(...v)).padStart(8)}   (${v.length})`);
  return `  ${title} (ms after the first call; per task: median and last)\n${rows.join('\n')}\n`;
}

export async function run(args: string[]): Promise<void> {
  const tasks = arg(args, '--tasks', 20);
  const perCall = Math.min(10, arg(args, '--per-call', 10));
  const rounds = arg(args, '--rounds', 3);
  const pollMs = arg(args, '--poll-ms', 50);
  const verbose = args.includes('--steps');
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) throw new Error('no Docker engine answers: start dockerd first');
  buildTestImage();
  const docker = new Docker();
  await removeAnchorContainers(docker);

  const berth = await startBerthProcess({ upArgs: ['--no-local-agent', '--image-pull-behavior', 'prefer-cached'] });
  const ecs = new ECSClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: berth.credentials, maxAttempts: 1 });
  const out = (s: string) => process.stdout.write(s);
  try {
    await registerTaskDefinition(ecs);
    const calls = Math.ceil(tasks / perCall);
    out(
      `${tasks} FARGATE tasks (awsvpc, cpu 256, memory 512, ${TEST_IMAGE} sleep 3600), ${rounds} rounds; load average before ${loadavg()[0]!.toFixed(2)}\n` +
        `berth:  ${calls} RunTask call${calls === 1 ? '' : 's'} of count ${perCall}, sent at once; DescribeTasks every ${pollMs} ms → all RUNNING (first RunTask → last RUNNING)\n` +
        `pairs:  per task a pause container (sleep 3600, bridge) then the app (--network container:<pause>, --cpus ${CPUS} --memory ${MEMORY_MIB}m),\n` +
        `        create → start through the Docker Engine API (dockerode, as berth's agent), all ${tasks} chains at once (first create → last start answered)\n` +
        `plain:  ${tasks} app containers alone with the same limits, the same way\n`,
    );
    // Warm-up (not measured): berth builds its helper image and opens its connections; dockerd warms its caches.
    await berthRound(ecs, docker, 1, 1);
    await anchorRound(docker, 0, 1, 'pairs');

    const res = { berth: [] as number[], pairs: [] as number[], plain: [] as number[] };
    const berthSteps: Record<string, number[]>[] = [];
    const pairSteps: Record<string, number[]>[] = [];
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 ? (['berth', 'pairs', 'plain'] as const) : (['plain', 'pairs', 'berth'] as const);
      const line: string[] = [];
      for (const who of order) {
        if (who === 'berth') {
          const b = await berthRound(ecs, docker, tasks, perCall, berth.pid, pollMs);
          res.berth.push(b.ms);
          berthSteps.push(b.steps);
          line.push(`berth ${fmt(b.ms)} (RunTask answered ${b.answered.map(fmt).join(', ')}; ${b.polls} DescribeTasks; ${b.cpu})`);
        } else {
          const a = await anchorRound(docker, round, tasks, who);
          res[who].push(a.ms);
          if (who === 'pairs') pairSteps.push(a.steps);
          line.push(`${who} ${fmt(a.ms)} (${a.cpu})`);
        }
      }
      out(`round ${round}:\n  ${line.join('\n  ')}\n`);
    }

    const best = (xs: number[]) => Math.min(...xs);
    out(`\n${'first call → last running'.padEnd(36)} ${'best'.padStart(8)} ${'median'.padStart(8)}   rounds\n`);
    const row = (name: string, xs: number[]) => out(`${name.padEnd(36)} ${fmt(best(xs)).padStart(8)} ${fmt(median(xs)).padStart(8)}   ${xs.map((x) => Math.round(x)).join(', ')}\n`);
    row('berth RunTask → RUNNING (FARGATE)', res.berth);
    row('docker API: pause + app pairs', res.pairs);
    row('docker API: plain app containers', res.plain);
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    out(
      `\nberth / pairs: ${ratio(best(res.berth), best(res.pairs))} best-of, ${ratio(median(res.berth), median(res.pairs))} median (target: under 1.30×)\n` +
        `berth / plain: ${ratio(best(res.berth), best(res.plain))} best-of, ${ratio(median(res.berth), median(res.plain))} median\n`,
    );
    // The breakdown of the median berth round, and of the pairs round beside it.
    const mid = (xs: number[]) => xs.indexOf([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
    out(`\n${stepTable(`berth, round ${mid(res.berth) + 1}`, berthSteps[mid(res.berth)]!)}`);
    out(stepTable(`pairs, round ${mid(res.pairs) + 1}`, pairSteps[mid(res.pairs)]!));
    if (verbose) for (const [i, s] of berthSteps.entries()) out(stepTable(`berth, round ${i + 1}`, s));
    out(`load average after ${loadavg()[0]!.toFixed(2)}\n`);
  } finally {
    ecs.destroy();
    await berth.stop();
    await removeLaunched(docker);
    await removeAnchorContainers(docker).catch(() => undefined);
  }
}
