import { ECSClient } from '@aws-sdk/client-ecs';
import Docker from 'dockerode';
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildTestImage } from '../../test/support/docker.js';
import { repoRoot } from '../lib/servers.js';
import { berthRound, cpuSeconds, describeAll, registerTaskDefinition, removeLaunched, stepTable } from './index.js';

// Where berth's time goes in one burst of FARGATE tasks: `berth up` with
// BERTH_LOG_LEVEL=debug, its log in a file (startBerthProcess keeps only the
// last 32 kB), one round of bench/fargate, then the agent's step lines
// (`step` pull/create/start/provision per container, `task status`) per task
// beside Docker's own timestamps. Not a benchmark of its own:
//   node --input-type=module -e "await (await import('./dist/bench/fargate/profile.js')).profile(20, 10)"

interface LogLine {
  time: number;
  msg: string;
  taskArn?: string;
  container?: string;
  step?: string;
  status?: string;
}

export async function profile(tasks = 20, perCall = 10): Promise<void> {
  buildTestImage();
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-fargate-profile-'));
  const logFile = join(dir, 'berth.log');
  const err = openSync(logFile, 'w');
  // BERTH_BENCH_CPU_PROF=DIR: a V8 CPU profile of berth, written there when it exits.
  const prof = process.env.BERTH_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BERTH_BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, join(repoRoot, 'bin', 'berth.js'), 'up', '--port', '0', '--host', '127.0.0.1', '--data-dir', join(dir, 'data'), '--no-local-agent', '--image-pull-behavior', 'prefer-cached'], {
    stdio: ['ignore', 'pipe', err],
    detached: true,
    env: { ...process.env, BERTH_LOG_LEVEL: 'debug' },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const docker = new Docker();
  let ecs: ECSClient | undefined;
  try {
    const deadline = Date.now() + 30_000;
    while (!/endpoint\s+http/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    const endpoint = /endpoint\s+(http:\/\/\S+)/.exec(out)?.[1];
    if (!endpoint) throw new Error(`berth did not start:\n${out}\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
    const key = JSON.parse(readFileSync(join(dir, 'data', 'root-access-key.json'), 'utf8')) as { accessKeyId: string; secretAccessKey: string };
    ecs = new ECSClient({ endpoint, region: 'us-east-1', credentials: key, maxAttempts: 1 });
    await registerTaskDefinition(ecs);
    await berthRound(ecs, docker, 1, 1); // warm-up
    const r = await berthRound(ecs, docker, tasks, perCall, child.pid);
    process.stdout.write(`${tasks} tasks (${Math.ceil(tasks / perCall)} calls of ${perCall}): first RunTask → last RUNNING ${Math.round(r.ms)} ms, ${r.polls} DescribeTasks, ${r.cpu}\n`);
    // What one poll costs berth: 100 DescribeTasks of the same tasks (stopped by now), one after another.
    const c0 = cpuSeconds(child.pid!);
    const w0 = performance.now();
    for (let i = 0; i < 100; i++) await describeAll(ecs, r.arns);
    process.stdout.write(`DescribeTasks of ${r.arns.length} tasks: ${((cpuSeconds(child.pid!) - c0) * 10).toFixed(1)} ms of berth CPU a call, ${((performance.now() - w0) / 100).toFixed(1)} ms a call end to end\n`);
    process.stdout.write(stepTable('client and Docker timestamps', r.steps));

    const lines = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine)
      .filter((l) => l.taskArn && r.arns.includes(l.taskArn));
    const steps: Record<string, number[]> = {};
    const add = (k: string, v: number | undefined) => v !== undefined && Number.isFinite(v) && (steps[k] ??= []).push(v);
    for (const arn of r.arns) {
      const mine = lines.filter((l) => l.taskArn === arn);
      const at = (container: string, step: string) => mine.find((l) => l.msg === 'step' && l.container === container && l.step === step)?.time;
      const status = (s: string) => mine.find((l) => l.msg === 'task status' && l.status === s)?.time;
      const H = '~internal~ecs~pause';
      const t = {
        hPull: at(H, 'pull'),
        hCreate: at(H, 'create'),
        hStart: at(H, 'start'),
        hProvision: at(H, 'provision'),
        aPull: at('app', 'pull'),
        aCreate: at('app', 'create'),
        aStart: at('app', 'start'),
        running: status('RUNNING'),
      };
      add('agent: first step (holder pull)', t.hPull! - r.t0);
      add('Δ holder pull step', t.hCreate! - t.hPull!);
      add('Δ holder create step', t.hStart! - t.hCreate!);
      add('Δ holder start step', t.hProvision! - t.hStart!);
      add('Δ holder provision step', t.aCreate! - t.hProvision!);
      add('Δ app pull → app create (waits for the holder)', t.aCreate! - t.aPull!);
      add('Δ app create step', t.aStart! - t.aCreate!);
      add('Δ app start step', t.running! - t.aStart!);
      add('agent: RUNNING', t.running! - r.t0);
    }
    process.stdout.write(stepTable('agent log (debug), ms; Δ = per task', steps));
    if (process.env.BERTH_BENCH_KEEP_LOG) process.stdout.write(`agent log: ${logFile}\n`);
  } finally {
    ecs?.destroy();
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    await removeLaunched(docker);
    if (!process.env.BERTH_BENCH_KEEP_LOG) rmSync(dir, { recursive: true, force: true });
  }
}
