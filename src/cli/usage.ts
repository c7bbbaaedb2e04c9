import { describeRates, FARGATE_US_EAST_1, withOverrides, type PriceRates } from '../control/fargate-prices.js';
import { summarise, USAGE_GROUPINGS, type UsageGrouping, type UsageLine } from '../control/usage.js';
import { getUsage, type UsageOutput } from './berth-api.js';
import { readConnection, type ConnectionOptions } from './connection.js';
import { parseSince } from './logs.js';

// `berth usage [--cluster C] [--since 10m|ISO] [--by service|task-family|task]
// [--include-ec2] [price flags]`: what the Fargate tasks would have cost on
// AWS, one line per group. berth meters (BerthGetUsage); the prices are
// applied here, so changing them needs no server.

export interface UsageOptions extends ConnectionOptions {
  cluster?: string;
  since?: string;
  by: string;
  includeEc2?: boolean;
  vcpuHour?: string;
  gbHour?: string;
  storageGbHour?: string;
  spotDiscount?: string;
  json?: boolean;
}

const HEADINGS: Record<UsageGrouping, string> = { service: 'SERVICE', 'task-family': 'FAMILY', task: 'TASK' };

/** A price flag's value as a number, or an error naming the flag. */
function price(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`--${flag} ${value}: give a number`);
  return n;
}

export function ratesFrom(opts: Pick<UsageOptions, 'vcpuHour' | 'gbHour' | 'storageGbHour' | 'spotDiscount'>): PriceRates {
  return withOverrides(FARGATE_US_EAST_1, {
    vcpuHour: price('vcpu-hour', opts.vcpuHour),
    gbHour: price('gb-hour', opts.gbHour),
    storageGbHour: price('storage-gb-hour', opts.storageGbHour),
    spotDiscount: price('spot-discount', opts.spotDiscount),
  });
}

export function groupingOf(by: string): UsageGrouping {
  if (!(USAGE_GROUPINGS as readonly string[]).includes(by)) throw new Error(`--by ${by}: give one of ${USAGE_GROUPINGS.join(', ')}`);
  return by as UsageGrouping;
}

/** Dollars: more decimals for the small sums a short run costs. */
export function money(n: number): string {
  return `$${n.toFixed(n === 0 ? 2 : n < 1 ? 6 : n < 100 ? 4 : 2)}`;
}

const hours = (n: number) => n.toFixed(n === 0 ? 0 : n < 10 ? 6 : 3);

/** The report: a table, one line per group and the total, and the footer naming the prices and the rules. */
export function formatUsage(usage: UsageOutput, by: UsageGrouping, rates: PriceRates): string {
  const { lines, total } = summarise(usage.tasks, by, rates);
  const row = (l: UsageLine, key = l.key) => [
    `${key}${l.ec2Tasks > 0 ? ' *' : ''}`,
    String(l.tasks),
    String(l.billedSeconds),
    hours(l.vcpuHours),
    hours(l.gbHours),
    hours(l.extraStorageGbHours),
    money(l.onDemandCost),
    money(l.spotCost),
    money(l.cost),
  ];
  const head = [HEADINGS[by], 'TASKS', 'BILLED s', 'vCPU-h', 'GB-h', 'EXTRA STORAGE GB-h', 'ON-DEMAND', 'SPOT', 'TOTAL'];
  const body = [head, ...lines.map((l) => row(l)), row(total, 'total')];
  const widths = head.map((_, i) => Math.max(...body.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [fmt(head), ...lines.map((l) => fmt(row(l))), widths.map((w) => '-'.repeat(w)).join('  '), fmt(row(total, 'total'))];
  const from = usage.since === undefined ? 'every task berth has' : new Date(usage.since).toISOString();
  out.push('');
  out.push(`Window: ${from} to ${new Date(usage.until).toISOString()}.`);
  if (!usage.tasks.length) out.push('No Fargate task ran in this window.');
  out.push(...describeRates(rates));
  out.push(
    'Billed as AWS bills Fargate: from the start of the image pull (else of the task) until the task stops, per second rounded up, with a one-minute minimum;',
    '  a task that began before the window is metered from the window\'s start, without the minimum.',
  );
  const running = usage.tasks.filter((t) => t.running).length;
  if (running) out.push(`${running} task${running === 1 ? ' is' : 's are'} still running: metered until now.`);
  if (total.ec2Tasks) out.push('* includes EC2 tasks, priced as if they had run on on-demand Fargate with their task cpu and memory.');
  return `${out.join('\n')}\n`;
}

export async function usage(opts: UsageOptions): Promise<void> {
  const by = groupingOf(opts.by);
  const rates = ratesFrom(opts);
  const since = opts.since === undefined ? undefined : parseSince(opts.since, Date.now());
  const c = readConnection(opts);
  const out = await getUsage(c, { cluster: opts.cluster, since, includeEc2: opts.includeEc2 });
  if (opts.json) {
    const { lines, total } = summarise(out.tasks, by, rates);
    process.stdout.write(`${JSON.stringify({ since: out.since, until: out.until, by, rates, lines, total, tasks: out.tasks }, null, 2)}\n`);
    return;
  }
  process.stdout.write(formatUsage(out, by, rates));
}
