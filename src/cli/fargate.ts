import { interruptSpotTasks } from './berth-api.js';
import { readConnection, type ConnectionOptions } from './connection.js';

// `berth fargate interrupt --cluster C (--count N | --percent P)`: plays AWS
// reclaiming Fargate Spot capacity, so a service's handling of interruptions
// can be tried. berth picks the tasks (BerthInterruptSpotTasks) and checks
// the numbers; this prints what it did.

export interface InterruptOptions extends ConnectionOptions {
  cluster: string;
  count?: string;
  percent?: string;
}

function integer(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new Error(`--${flag} ${value}: give a whole number`);
  return Number(value);
}

export async function interrupt(opts: InterruptOptions): Promise<void> {
  const count = integer('count', opts.count);
  const percent = integer('percent', opts.percent);
  if ((count === undefined) === (percent === undefined)) throw new Error('give exactly one of --count N and --percent P');
  const c = readConnection(opts);
  const { tasks } = await interruptSpotTasks(c, { cluster: opts.cluster, count, percent });
  if (!tasks.length) {
    process.stdout.write(`No running FARGATE_SPOT task in cluster ${opts.cluster}: nothing interrupted.\n`);
    return;
  }
  process.stdout.write(`Interrupted ${tasks.length} FARGATE_SPOT task${tasks.length === 1 ? '' : 's'} in cluster ${opts.cluster}:\n`);
  for (const t of tasks) {
    const id = t.taskArn!.slice(t.taskArn!.lastIndexOf('/') + 1);
    process.stdout.write(`  ${id}  ${t.group ?? '-'}\n`);
  }
  process.stdout.write(
    'Each gets the two-minute Spot interruption warning now, then SIGTERM, and stops with stopCode SpotInterruption;\n' +
      "a service's scheduler starts replacements as it would on AWS.\n",
  );
}
