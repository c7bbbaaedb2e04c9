import { CloudWatchLogsClient, CreateLogGroupCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildTestImage, TEST_IMAGE } from '../test/support/docker.js';
import { startBerthProcess } from './lib/servers.js';

// bench/logs-agent: container output end to end through the awslogs driver.
// A busybox container prints N numbered 100-byte lines as fast as it can;
// berth's in-process agent follows its json-file log and ships it with
// PutLogEvents. Measured: RunTask → the last line stored in its stream.
// Anchor in the same run: `docker run` of the same container with its
// stdout written to a local file (start → exit, file closed), the physical
// limit of getting those lines out of a container onto this disk.

export const description = 'awslogs end to end: N container lines → stored in CloudWatch Logs (RunTask → last line), vs docker run > local file';

const LABEL = 'berth.bench=logs-agent';
const MB = 1_000_000;

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

/** A shell command printing `n` lines of exactly 100 bytes with the newline: `line 00000001 ....`. */
const printer = (n: number) => ['awk', `BEGIN { pad = sprintf("%85s", ""); gsub(/ /, ".", pad); for (i = 1; i <= ${n}; i++) printf "line %08d %s\\n", i, pad }`];

function cleanup(): void {
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=${LABEL}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
}

/** docker run (attached) with stdout to a file: ms from spawn to exit, and the file's size. */
async function dockerToFile(n: number, file: string): Promise<{ ms: number; bytes: number }> {
  const out = createWriteStream(file);
  const t0 = performance.now();
  const child = spawn('docker', ['run', '--rm', '--label', LABEL, '--log-driver', 'none', TEST_IMAGE, ...printer(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  // pipe() ends the file when docker's stdout ends; 'close' is the file written and closed.
  const closed = new Promise<void>((resolve, reject) => {
    out.once('close', () => resolve());
    out.once('error', reject);
  });
  child.stdout.pipe(out);
  const [code] = await Promise.all([exited, closed]);
  if (code !== 0) throw new Error(`docker run failed (${code}): ${err}`);
  return { ms: performance.now() - t0, bytes: statSync(file).size };
}

export async function run(args: string[]): Promise<void> {
  const lines = arg(args, '--lines', 200_000);
  const rounds = arg(args, '--rounds', 3);
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) throw new Error('no Docker engine answers: start dockerd first');
  buildTestImage();
  cleanup();
  const scratch = mkdtempSync(join(tmpdir(), 'berth-bench-logs-agent-'));
  const berth = await startBerthProcess({ upArgs: ['--image-pull-behavior', 'prefer-cached', '--cleanup-delay', '5'] });
  const ecs = new ECSClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: berth.credentials, maxAttempts: 1 });
  const logs = new CloudWatchLogsClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: berth.credentials });
  try {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/bench/agent' }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'bench-logs',
        containerDefinitions: [
          {
            name: 'printer',
            image: TEST_IMAGE,
            memory: 64,
            command: printer(lines),
            dockerLabels: { 'berth.bench': 'logs-agent' },
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/bench/agent', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'bench' } },
          },
        ],
      }),
    );
    process.stdout.write(`${lines.toLocaleString('en')} lines of 100 bytes (${((lines * 100) / MB).toFixed(1)} MB) per round, ${rounds} rounds, load average before ${loadavg()[0]!.toFixed(2)}\n`);
    const anchor: number[] = [];
    const berthMs: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const a = await dockerToFile(lines, join(scratch, `round-${round}.log`));
      if (a.bytes !== lines * 100) throw new Error(`the anchor wrote ${a.bytes} bytes, not ${lines * 100}`);
      anchor.push(a.ms);

      const t0 = performance.now();
      const r = await ecs.send(new RunTaskCommand({ taskDefinition: 'bench-logs' }));
      if (!r.tasks?.length) throw new Error(`RunTask failed: ${JSON.stringify(r.failures)}`);
      const taskId = r.tasks[0]!.taskArn!.split('/').pop()!;
      const last = `line ${String(lines).padStart(8, '0')} `;
      const deadline = Date.now() + 300_000;
      for (;;) {
        const e = await logs
          .send(new GetLogEventsCommand({ logGroupName: '/bench/agent', logStreamName: `bench/printer/${taskId}`, startFromHead: false, limit: 1 }))
          .catch((err: Error) => (err.name === 'ResourceNotFoundException' ? undefined : Promise.reject(err)));
        if (e?.events?.[0]?.message?.startsWith(last)) break;
        if (Date.now() > deadline) throw new Error(`round ${round}: the last line was not stored within 300 s (last seen: ${JSON.stringify(e?.events?.[0]?.message?.slice(0, 14))})`);
        await new Promise((res) => setTimeout(res, 50));
      }
      berthMs.push(performance.now() - t0);
      process.stdout.write(
        `round ${round}: docker run > file ${(a.ms / 1000).toFixed(2)} s (${((lines * 100) / MB / (a.ms / 1000)).toFixed(1)} MB/s); ` +
          `berth RunTask → last line stored ${(berthMs.at(-1)! / 1000).toFixed(2)} s (${((lines * 100) / MB / (berthMs.at(-1)! / 1000)).toFixed(1)} MB/s, ${Math.round(lines / (berthMs.at(-1)! / 1000)).toLocaleString('en')} lines/s)\n`,
      );
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const a = median(anchor);
    const b = median(berthMs);
    process.stdout.write(
      `\nmedian: docker run > file ${(a / 1000).toFixed(2)} s, berth ${(b / 1000).toFixed(2)} s → berth ${((lines * 100) / MB / (b / 1000)).toFixed(1)} MB/s end to end, ` +
        `${(a / b).toFixed(2)}× the anchor's rate\nload average after ${loadavg()[0]!.toFixed(2)}\n`,
    );
  } finally {
    ecs.destroy();
    logs.destroy();
    await berth.stop();
    cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
}
