import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  FilterLogEventsCommand,
  PutLogEventsCommand,
  type InputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { spawnSync } from 'node:child_process';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { memoryOf, startBerthProcess, type ServerProcess } from './lib/servers.js';

// bench/logs: CloudWatch Logs ingestion and search through berth's real API
// with the AWS SDK.
//  1. PutLogEvents: by default batches of 10,000 events of 100 bytes each as
//     PutLogEvents counts them (a 74-byte message + 26 bytes: 10,000 events of
//     100-byte messages would be 1,260,000 bytes, over the 1,048,576-byte batch
//     limit; `--message-bytes 100` sends 8,322 of those per batch instead),
//     from `--concurrency` writers (one log stream each); events/s and MB/s,
//     against writing the same lines to a local file in the same run (one
//     write(2) per batch, fdatasync at the end).
//  2. FilterLogEvents over the ~1,000,000 events just written: a term pattern
//     and two JSON patterns (one with a substring every match holds, one
//     numeric that none does), each paginated to the end; latency against
//     grep -F (term) and jq (JSON) over the same lines in the local file.

export const description = 'CloudWatch Logs: PutLogEvents MB/s vs appending to a file; FilterLogEvents over 1 M events (term, JSON) vs grep/jq';

const MB = 1_000_000;
const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD = 26;
/** The longest line `line()` writes before padding. */
const MIN_MESSAGE_BYTES = 72;

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

/**
 * Event `n` of the run: a JSON line padded to `bytes`. One in 1,000 has
 * level ERROR and the word "timeout"; latency runs 0–999, so
 * `latency > 995` holds for 4 in 1,000.
 */
function line(n: number, bytes: number): string {
  const error = n % 1000 === 7;
  const head = `{"level":"${error ? 'ERROR' : 'INFO'}","latency":${n % 1000},"req":"${n.toString(16).padStart(8, '0')}","msg":"`;
  return (head + (error ? 'upstream timeout' : 'served')).padEnd(bytes - 2, '.') + '"}';
}

async function median(times: number, fn: () => Promise<number>): Promise<{ median: number; all: number[] }> {
  const all: number[] = [];
  for (let k = 0; k < times; k++) all.push(await fn());
  const sorted = [...all].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, all };
}

export async function run(args: string[]): Promise<void> {
  // By default each event is 100 bytes as PutLogEvents counts them (74-byte message + 26), 10,000 to a batch.
  const messageBytes = Math.max(MIN_MESSAGE_BYTES, arg(args, '--message-bytes', 100 - EVENT_OVERHEAD));
  const perBatch = Math.min(MAX_BATCH_EVENTS, Math.floor(MAX_BATCH_BYTES / (messageBytes + EVENT_OVERHEAD)));
  const wanted = arg(args, '--events', 1_000_000);
  const batches = Math.ceil(wanted / perBatch);
  const total = batches * perBatch;
  const concurrency = arg(args, '--concurrency', 4);
  const rounds = arg(args, '--rounds', 5);
  const scratch = mkdtempSync(join(tmpdir(), 'berth-bench-logs-'));
  let berth: ServerProcess | undefined;
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  process.stdout.write(`load average before: ${load()} (client, berth and anything else share the machine's cores)\n`);
  try {
    berth = await startBerthProcess();
    const logs = new CloudWatchLogsClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: berth.credentials, maxAttempts: 1 });
    const group = 'bench/logs';
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    for (let w = 0; w < concurrency; w++) await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: `writer-${w}` }));
    // Timestamps 1 ms apart, ending a little before now: every batch is chronological and inside AWS's window.
    const t0 = Date.now() - total - 60_000;
    // Batches are built before the clock starts, so both sides measure writing, not string building.
    process.stdout.write(`building ${batches} batches of ${perBatch} events: ${messageBytes}-byte messages, ${messageBytes + EVENT_OVERHEAD} bytes each as PutLogEvents counts them…\n`);
    let errors = 0;
    let slow = 0;
    const all = Array.from({ length: batches }, (_, b) =>
      Array.from({ length: perBatch }, (_, k): InputLogEvent => {
        const n = b * perBatch + k;
        if (n % 1000 === 7) errors++;
        if (n % 1000 > 995) slow++;
        return { timestamp: t0 + n, message: line(n, messageBytes) };
      }),
    );
    const bytes = total * (messageBytes + EVENT_OVERHEAD);
    const messageTotal = total * messageBytes;

    // The anchor: the same lines appended to a local file, one write per batch.
    const file = join(scratch, 'events.log');
    const fd = openSync(file, 'w');
    const f0 = performance.now();
    for (const batch of all) writeSync(fd, batch.map((e) => e.message).join('\n') + '\n');
    fdatasyncSync(fd);
    closeSync(fd);
    const fileMs = performance.now() - f0;

    // berth: `concurrency` writers, each sending its share of the batches in order to its own stream.
    process.stdout.write(`PutLogEvents: ${batches} batches from ${concurrency} writers…\n`);
    let next = 0;
    const latencies: number[] = [];
    const b0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        // Each writer's batches are in time order, as a real shipper's are.
        for (let b = next++; b < batches; b = next++) {
          const t = performance.now();
          const r = await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: `writer-${w}`, logEvents: all[b]! }));
          latencies.push(performance.now() - t);
          if (r.rejectedLogEventsInfo) throw new Error(`batch ${b} had rejected events: ${JSON.stringify(r.rejectedLogEventsInfo)}`);
        }
      }),
    );
    const berthMs = performance.now() - b0;
    latencies.sort((a, b) => a - b);
    const mem = memoryOf(berth.pid);

    const rate = (ms: number) => ({ eps: total / (ms / 1000), mbps: bytes / MB / (ms / 1000), messages: messageTotal / MB / (ms / 1000) });
    const br = rate(berthMs);
    const fr = rate(fileMs);
    process.stdout.write(`\ningestion: ${total.toLocaleString('en')} events = ${(bytes / MB).toFixed(0)} MB as PutLogEvents counts them (${(messageTotal / MB).toFixed(0)} MB of messages)\n`);
    process.stdout.write(`                          events/s   MB/s (counted)   MB/s (messages)\n`);
    process.stdout.write(`  berth PutLogEvents  ${br.eps.toFixed(0).padStart(12)}  ${br.mbps.toFixed(1).padStart(14)}  ${br.messages.toFixed(1).padStart(15)}   (per batch p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(0)} ms, p99 ${latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)]!.toFixed(0)} ms)\n`);
    process.stdout.write(`  append to a file    ${fr.eps.toFixed(0).padStart(12)}  ${fr.mbps.toFixed(1).padStart(14)}  ${fr.messages.toFixed(1).padStart(15)}\n`);
    process.stdout.write(`  ratio berth / file: ${(br.eps / fr.eps).toFixed(3)}×   target: berth ≥ 25 MB/s (counted) → ${br.mbps >= 25 ? 'met' : 'NOT met'}\n`);
    if (mem) process.stdout.write(`  berth RSS after ingestion: ${(mem.rssKiB / 1024).toFixed(0)} MiB (peak ${(mem.peakKiB / 1024).toFixed(0)} MiB)\n`);

    // Search.
    const patterns: { name: string; pattern: string; expect: number; anchor: string[] | undefined }[] = [
      { name: 'term', pattern: 'timeout', expect: errors, anchor: ['grep', '-c', '-F', 'timeout', file] },
      { name: 'JSON =', pattern: '{ $.level = "ERROR" }', expect: errors, anchor: ['jq', '-c', 'select(.level == "ERROR")', file] },
      { name: 'JSON >', pattern: '{ $.latency > 995 }', expect: slow, anchor: ['jq', '-c', 'select(.latency > 995)', file] },
    ];
    process.stdout.write(`\nFilterLogEvents over the group's ${total.toLocaleString('en')} events, paginated to the end; median of ${rounds}\n`);
    process.stdout.write(`  pattern                      matches   berth ms   anchor ms   ratio (anchor/berth)\n`);
    for (const p of patterns) {
      let matched = 0;
      let pages = 0;
      const berthRun = await median(rounds, async () => {
        const t = performance.now();
        matched = 0;
        pages = 0;
        let nextToken: string | undefined;
        do {
          const r = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: p.pattern, nextToken }));
          matched += r.events?.length ?? 0;
          pages++;
          nextToken = r.nextToken;
        } while (nextToken);
        return performance.now() - t;
      });
      if (matched !== p.expect) throw new Error(`${p.pattern}: berth found ${matched} events, expected ${p.expect}`);
      let anchorMs: number | undefined;
      let anchorName = '';
      if (p.anchor && spawnSync(p.anchor[0]!, ['--version']).status === 0) {
        anchorName = p.anchor[0]!;
        const cmd = p.anchor;
        anchorMs = (
          await median(rounds, async () => {
            const t = performance.now();
            const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
            const ms = performance.now() - t;
            const n = cmd[0] === 'grep' ? Number(r.stdout.trim()) : r.stdout.split('\n').filter(Boolean).length;
            if (n !== p.expect) throw new Error(`${cmd.join(' ')} found ${n}, expected ${p.expect}`);
            return ms;
          })
        ).median;
      }
      process.stdout.write(
        `  ${`${p.name.padEnd(7)} ${p.pattern}`.padEnd(28)} ${String(matched).padStart(7)}   ${berthRun.median.toFixed(0).padStart(8)}   ${anchorMs === undefined ? '      –' : `${anchorMs.toFixed(0).padStart(7)} ${anchorName}`}   ${anchorMs === undefined ? '' : `${(anchorMs / berthRun.median).toFixed(2)}×`}   (${pages} page${pages === 1 ? '' : 's'})\n`,
      );
    }
    process.stdout.write(`  target: each filter over 1 M events < 1000 ms\n`);
    process.stdout.write(`load average after: ${load()}\n`);
  } finally {
    await berth?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
