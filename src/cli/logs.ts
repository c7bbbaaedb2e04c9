import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, type Task, type TaskDefinition } from '@aws-sdk/client-ecs';
import { readConnection, type Connection, type ConnectionOptions } from './connection.js';

// `berth logs SERVICE|TASK [--follow] [--since 10m] [--filter PATTERN]`: the
// awslogs output of a service's tasks (or of one task) through the
// CloudWatch Logs API, as `aws logs tail` shows a log group. A service's
// task set is read again every few seconds while following, so tasks that a
// deployment starts join the output.

export interface LogsOptions extends ConnectionOptions {
  cluster: string;
  follow?: boolean;
  since: string;
  filter?: string;
}

/** One place a container's awslogs output lands. */
export interface LogSource {
  region: string;
  group: string;
  stream: string;
  /** How the line is labelled: `container/task-id`. */
  label: string;
}

const TASK_ID = /^[0-9a-f]{32}$/;
const POLL_MS = 500;
const RESOLVE_MS = 5_000;
/** FilterLogEvents takes at most 100 stream names. */
const STREAMS_PER_CALL = 100;

/** `10m`, `2h`, `30s`, `1d`, `1w` ago, or an ISO 8601 time, as epoch milliseconds. */
export function parseSince(text: string, now: number): number {
  const m = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (m) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return now - Number(m[1]) * unit;
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new Error(`--since ${text}: give a duration such as 30s, 10m, 2h, 1d, 1w, or a time such as 2026-01-31T12:00:00Z`);
  return t;
}

/** The awslogs streams of one task, as ECS names them: `prefix/container/task-id`. */
export function taskLogSources(task: Pick<Task, 'taskArn' | 'containers'>, td: TaskDefinition, defaultRegion: string): { sources: LogSource[]; unnamed: string[] } {
  const taskId = task.taskArn!.slice(task.taskArn!.lastIndexOf('/') + 1);
  const sources: LogSource[] = [];
  const unnamed: string[] = [];
  for (const c of td.containerDefinitions ?? []) {
    const lc = c.logConfiguration;
    if (lc?.logDriver !== 'awslogs') continue;
    const group = lc.options?.['awslogs-group'];
    const prefix = lc.options?.['awslogs-stream-prefix'];
    if (!group) continue;
    const region = lc.options?.['awslogs-region'] ?? defaultRegion;
    const label = `${c.name}/${taskId}`;
    if (prefix) {
      sources.push({ region, group, stream: `${prefix}/${c.name}/${taskId}`, label });
      continue;
    }
    // Without a prefix the stream is the Docker container id (the container's runtimeId), once it has one.
    const runtimeId = task.containers?.find((x) => x.name === c.name)?.runtimeId;
    if (runtimeId) sources.push({ region, group, stream: runtimeId, label });
    else unnamed.push(c.name!);
  }
  return { sources, unnamed };
}

/** What TARGET names: a service's tasks (running and recently stopped) or one task. */
async function resolveSources(ecs: ECSClient, cluster: string, target: string, region: string, tds: Map<string, TaskDefinition>): Promise<{ sources: LogSource[]; notes: string[] }> {
  let taskArns: string[];
  const byArnOrId = target.startsWith('arn:') || TASK_ID.test(target);
  if (byArnOrId) {
    taskArns = [target];
  } else {
    const s = await ecs.send(new DescribeServicesCommand({ cluster, services: [target] }));
    const service = s.services?.find((x) => x.status !== 'INACTIVE');
    if (!service) {
      throw new Error(`no service named ${target} in cluster ${cluster}, and it is not a task id or ARN. List services with: aws ecs list-services --cluster ${cluster}`);
    }
    taskArns = [];
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      let nextToken: string | undefined;
      do {
        const page = await ecs.send(new ListTasksCommand({ cluster, serviceName: target, desiredStatus, nextToken }));
        taskArns.push(...(page.taskArns ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
    }
  }
  const sources: LogSource[] = [];
  const notes = new Set<string>();
  for (let i = 0; i < taskArns.length; i += 100) {
    const d = await ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns.slice(i, i + 100) }));
    if (byArnOrId && !d.tasks?.length) throw new Error(`no task ${target} in cluster ${cluster}: ${d.failures?.[0]?.reason ?? 'MISSING'}`);
    for (const task of d.tasks ?? []) {
      const arn = task.taskDefinitionArn!;
      if (!tds.has(arn)) tds.set(arn, (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition!);
      const found = taskLogSources(task, tds.get(arn)!, region);
      sources.push(...found.sources);
      for (const c of found.unnamed) notes.add(`container ${c} of ${arn} has no awslogs-stream-prefix and no container id yet, so its stream has no name yet`);
      if (!found.sources.length && !found.unnamed.length) notes.add(`${arn} has no container with the awslogs log driver: its output stays in Docker (docker logs)`);
    }
  }
  return { sources, notes: [...notes] };
}

/** Reads the events of `sources` from `startTime`, in time order per group, without repeating `seen` ones. */
async function readEvents(clients: (region: string) => CloudWatchLogsClient, sources: LogSource[], startTime: number, filter: string | undefined): Promise<Array<FilteredLogEvent & { label: string }>> {
  const out: Array<FilteredLogEvent & { label: string }> = [];
  const byGroup = new Map<string, LogSource[]>();
  for (const s of sources) byGroup.set(`${s.region}\u0000${s.group}`, [...(byGroup.get(`${s.region}\u0000${s.group}`) ?? []), s]);
  for (const group of byGroup.values()) {
    const label = new Map(group.map((s) => [s.stream, s.label]));
    for (let i = 0; i < group.length; i += STREAMS_PER_CALL) {
      const chunk = group.slice(i, i + STREAMS_PER_CALL);
      let nextToken: string | undefined;
      do {
        let page;
        try {
          page = await clients(chunk[0]!.region).send(
            new FilterLogEventsCommand({ logGroupName: chunk[0]!.group, logStreamNames: chunk.map((s) => s.stream), startTime, filterPattern: filter, nextToken }),
          );
        } catch (e) {
          // A group the tasks have not written to yet.
          if ((e as { name?: string }).name === 'ResourceNotFoundException') break;
          throw e;
        }
        for (const e of page.events ?? []) out.push({ ...e, label: label.get(e.logStreamName!) ?? e.logStreamName! });
        nextToken = page.nextToken;
      } while (nextToken);
    }
  }
  return out.sort((a, b) => a.timestamp! - b.timestamp! || (a.eventId! < b.eventId! ? -1 : 1));
}

function print(e: FilteredLogEvent & { label: string }): void {
  process.stdout.write(`${new Date(e.timestamp!).toISOString()} ${e.label} ${e.message ?? ''}${e.message?.endsWith('\n') ? '' : '\n'}`);
}

export async function logs(target: string, opts: LogsOptions): Promise<void> {
  const c: Connection = readConnection(opts);
  const ecs = new ECSClient({ endpoint: c.endpoint, region: c.region, credentials: c.credentials });
  const logClients = new Map<string, CloudWatchLogsClient>();
  const clients = (region: string) => {
    if (!logClients.has(region)) logClients.set(region, new CloudWatchLogsClient({ endpoint: c.endpoint, region, credentials: c.credentials }));
    return logClients.get(region)!;
  };
  const tds = new Map<string, TaskDefinition>();
  let startTime = parseSince(opts.since, Date.now());
  let stopping = false;
  const stop = () => (stopping = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    let { sources, notes } = await resolveSources(ecs, opts.cluster, target, c.region, tds);
    for (const n of notes) process.stderr.write(`berth logs: ${n}\n`);
    if (!sources.length && !opts.follow) return;
    // The ids already printed at the newest timestamp: the next read starts at that millisecond again.
    let printedAtLast = new Set<string>();
    let resolvedAt = Date.now();
    for (;;) {
      const events = await readEvents(clients, sources, startTime, opts.filter);
      for (const e of events) {
        if (e.timestamp === startTime && printedAtLast.has(e.eventId!)) continue;
        print(e);
        if (e.timestamp! > startTime) {
          startTime = e.timestamp!;
          printedAtLast = new Set();
        }
        printedAtLast.add(e.eventId!);
      }
      if (!opts.follow || stopping) return;
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (stopping) return;
      if (Date.now() - resolvedAt >= RESOLVE_MS) {
        ({ sources } = await resolveSources(ecs, opts.cluster, target, c.region, tds));
        resolvedAt = Date.now();
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    ecs.destroy();
    for (const l of logClients.values()) l.destroy();
  }
}
