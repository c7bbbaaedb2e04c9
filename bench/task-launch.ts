import { DescribeTasksCommand, ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { buildTestImage, TEST_IMAGE } from '../test/support/docker.js';
import { startBerthProcess } from './lib/servers.js';

// bench/task-launch: RunTask → RUNNING latency for N tasks of a small local
// image through berth (its in-process agent on the local Docker engine),
// beside plain `docker run -d` of the same image in the same run.

export const description = 'RunTask → RUNNING latency (p50/p95) for 20 tasks vs plain `docker run -d` of the same image';

const LABEL = 'berth.bench=task-launch';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

function cleanup() {
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
}

export async function run(args: string[]): Promise<void> {
  const count = Number(args[args.indexOf('--count') + 1]) || 20;
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) throw new Error('no Docker engine answers: start dockerd first');
  buildTestImage();
  cleanup();

  const berth = await startBerthProcess({ upArgs: ['--image-pull-behavior', 'prefer-cached', '--cleanup-delay', '5'] });
  const ecs = new ECSClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: berth.credentials, maxAttempts: 1 });
  const taskArns: string[] = [];
  const docker: number[] = [];
  const launch: number[] = [];
  try {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'bench-launch',
        containerDefinitions: [{ name: 'main', image: TEST_IMAGE, memory: 32, command: ['sleep', '3600'], dockerLabels: { 'berth.bench': 'task-launch' } }],
      }),
    );
    // The two alternate, launch by launch, so both see the same machine load.
    for (let i = 0; i < count; i++) {
      // Anchor: docker run -d (the CLI returns once the container runs).
      const d0 = performance.now();
      const r0 = spawnSync('docker', ['run', '-d', '--label', LABEL, '--memory', '32m', TEST_IMAGE, 'sleep', '3600'], { encoding: 'utf8' });
      if (r0.status !== 0) throw new Error(`docker run failed: ${r0.stderr}`);
      docker.push(performance.now() - d0);

      const t0 = performance.now();
      const r = await ecs.send(new RunTaskCommand({ taskDefinition: 'bench-launch' }));
      if (!r.tasks?.length) throw new Error(`RunTask failed: ${JSON.stringify(r.failures)}`);
      const arn = r.tasks[0]!.taskArn!;
      taskArns.push(arn);
      for (;;) {
        const d = await ecs.send(new DescribeTasksCommand({ tasks: [arn] }));
        const status = d.tasks![0]!.lastStatus;
        if (status === 'RUNNING') break;
        if (status === 'STOPPED') throw new Error(`task stopped: ${d.tasks![0]!.stoppedReason}`);
        if (performance.now() - t0 > 60_000) throw new Error('task did not reach RUNNING within 60 s');
        await new Promise((res) => setTimeout(res, 10));
      }
      launch.push(performance.now() - t0);
    }
  } finally {
    for (const arn of taskArns) await ecs.send(new StopTaskCommand({ task: arn })).catch(() => undefined);
    ecs.destroy();
    await berth.stop();
    cleanup();
  }

  const a = summary(docker);
  const b = summary(launch);
  const row = (name: string, s: { p50: number; p95: number; mean: number }) =>
    `${name.padEnd(22)} ${s.p50.toFixed(0).padStart(7)} ${s.p95.toFixed(0).padStart(7)} ${s.mean.toFixed(0).padStart(7)}`;
  process.stdout.write(`\n${count} launches of ${TEST_IMAGE}, one after another\n`);
  process.stdout.write(`${'target'.padEnd(22)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'mean ms'.padStart(7)}\n`);
  process.stdout.write(`${row('docker run -d', a)}\n${row('berth RunTask→RUNNING', b)}\n`);
  process.stdout.write(`\nberth / docker: p50 ${(b.p50 / a.p50).toFixed(2)}×, p95 ${(b.p95 / a.p95).toFixed(2)}× (target: under 1.30×)\n`);
}
