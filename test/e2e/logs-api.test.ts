import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DeleteMetricFilterCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  DescribeMetricFiltersCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  ListTagsForResourceCommand,
  ListTagsLogGroupCommand,
  PutLogEventsCommand,
  PutMetricFilterCommand,
  PutRetentionPolicyCommand,
  StartLiveTailCommand,
  TagLogGroupCommand,
  TagResourceCommand,
  UntagResourceCommand,
  paginateDescribeLogGroups,
  paginateFilterLogEvents,
  paginateGetLogEvents,
  type InputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { startBerth, type Berth } from './harness.js';

// CloudWatch Logs through the real clients against a real berth (API only,
// no Docker): the SDK with its paginators, the AWS CLI v1 (python3 -m awscli)
// and v2 (/usr/bin/aws, the one with `aws logs tail`), and the bad input AWS
// refuses, each checked to have written nothing.

let b: Berth;
let logs: CloudWatchLogsClient;
const ACCOUNT = '000000000000';

before(async () => {
  b = await startBerth();
  logs = new CloudWatchLogsClient({
    endpoint: b.endpoint,
    region: b.region,
    credentials: { accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey },
    maxAttempts: 1,
  });
});

after(async () => {
  logs?.destroy();
  await b?.stop();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
});

async function sdkError(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { name: string; message: string };
  }
  assert.fail('the call succeeded');
}

interface Cli {
  status: number;
  stdout: string;
  stderr: string;
  json: any;
}

/** The AWS CLI v1 (`python3 -m awscli`) or v2 (`/usr/bin/aws`; 2.9 reads no AWS_ENDPOINT_URL, so the endpoint is passed). */
function cli(version: 1 | 2, args: string[]): Cli {
  const [cmd, pre] = version === 1 ? ['python3', ['-m', 'awscli']] : ['/usr/bin/aws', []];
  const r = spawnSync(cmd, [...pre, ...args, '--endpoint-url', b.endpoint, '--output', 'json'], { env: b.env, encoding: 'utf8', timeout: 60_000 });
  let json: unknown;
  try {
    json = r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

function ok(r: Cli): any {
  assert.equal(r.status, 0, `aws failed: ${r.stderr}`);
  return r.json;
}

function cliError(r: Cli, code: string, message?: string): void {
  assert.equal(r.status, 255, `expected ${code}, got ${r.status}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, new RegExp(`\\(${code}\\)`), r.stderr);
  if (message) assert.ok(r.stderr.includes(message), r.stderr);
}

async function groupWithStreams(group: string, ...streams: string[]): Promise<void> {
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  for (const s of streams) await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: s }));
}

const events = (n: number, t0: number, prefix = 'event ') => Array.from({ length: n }, (_, i) => ({ timestamp: t0 + i, message: `${prefix}${i}` }));

async function count(group: string): Promise<number> {
  let n = 0;
  for await (const page of paginateFilterLogEvents({ client: logs }, { logGroupName: group })) n += page.events?.length ?? 0;
  return n;
}

test('SDK: groups, streams, events, and GetLogEvents paged with the SDK paginator until the token repeats', async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: '/sdk/app', tags: { team: 'core' } }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: '/sdk/app', logStreamName: 'web/1' }));
  const t0 = Date.now() - 60_000;
  const put = await logs.send(new PutLogEventsCommand({ logGroupName: '/sdk/app', logStreamName: 'web/1', logEvents: events(250, t0), sequenceToken: 'ignored-as-aws-does' }));
  assert.match(put.nextSequenceToken!, /^\d{56}$/);
  assert.equal(put.rejectedLogEventsInfo, undefined);

  const seen: string[] = [];
  let pages = 0;
  for await (const page of paginateGetLogEvents({ client: logs, pageSize: 100, stopOnSameToken: true }, { logGroupName: '/sdk/app', logStreamName: 'web/1', startFromHead: true })) {
    seen.push(...page.events!.map((e) => e.message!));
    pages++;
    assert.ok(pages < 10, 'the paginator must stop');
  }
  assert.deepEqual(seen, events(250, t0).map((e) => e.message));
  assert.equal(pages, 4); // 100 + 100 + 50, then the page whose token repeats

  const latest = await logs.send(new GetLogEventsCommand({ logGroupName: '/sdk/app', logStreamName: 'web/1', limit: 2 }));
  assert.deepEqual(latest.events!.map((e) => e.message), ['event 248', 'event 249']);
  assert.ok(latest.events!.every((e) => e.ingestionTime! >= e.timestamp!));

  const [group] = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/sdk/' }))).logGroups!;
  assert.equal(group!.arn, `arn:aws:logs:${b.region}:${ACCOUNT}:log-group:/sdk/app:*`);
  assert.equal(group!.logGroupArn, `arn:aws:logs:${b.region}:${ACCOUNT}:log-group:/sdk/app`);
  assert.ok(group!.storedBytes! > 0);
  const [stream] = (await logs.send(new DescribeLogStreamsCommand({ logGroupIdentifier: group!.logGroupArn }))).logStreams!;
  assert.deepEqual([stream!.logStreamName, stream!.firstEventTimestamp, stream!.lastEventTimestamp], ['web/1', t0, t0 + 249]);
  assert.equal(stream!.arn, `arn:aws:logs:${b.region}:${ACCOUNT}:log-group:/sdk/app:log-stream:web/1`);
  assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: group!.logGroupArn }))).tags, { team: 'core' });
});

test('SDK: FilterLogEvents across streams in timestamp order, with a pattern, paged to the end', async () => {
  await groupWithStreams('/sdk/filter', 'a', 'b');
  const t0 = Date.now() - 120_000;
  const mk = (stream: string, offset: number): InputLogEvent[] =>
    Array.from({ length: 300 }, (_, i) => ({ timestamp: t0 + i * 2 + offset, message: JSON.stringify({ stream, i, level: i % 10 === 0 ? 'ERROR' : 'INFO' }) }));
  await logs.send(new PutLogEventsCommand({ logGroupName: '/sdk/filter', logStreamName: 'a', logEvents: mk('a', 0) }));
  await logs.send(new PutLogEventsCommand({ logGroupName: '/sdk/filter', logStreamName: 'b', logEvents: mk('b', 1) }));
  const got: { stream: string; ts: number; id: string }[] = [];
  for await (const page of paginateFilterLogEvents({ client: logs, pageSize: 70 }, { logGroupName: '/sdk/filter', filterPattern: '{ $.level = "ERROR" }' })) {
    for (const e of page.events!) got.push({ stream: e.logStreamName!, ts: e.timestamp!, id: e.eventId! });
  }
  assert.equal(got.length, 60);
  assert.deepEqual(got.map((e) => e.ts), [...got.map((e) => e.ts)].sort((x, y) => x - y));
  assert.deepEqual(got.slice(0, 2).map((e) => e.stream), ['a', 'b']);
  assert.equal(new Set(got.map((e) => e.id)).size, 60);
  const b1 = await logs.send(new FilterLogEventsCommand({ logGroupName: '/sdk/filter', logStreamNames: ['b'], filterPattern: 'ERROR', limit: 5 }));
  assert.equal(b1.events!.length, 5);
  assert.ok(b1.nextToken);
  assert.ok(b1.events!.every((e) => e.logStreamName === 'b'));
});

test('SDK: bad input gets AWS’s errors and writes nothing', async () => {
  await groupWithStreams('/sdk/bad', 's');
  const now = Date.now();
  const bad = async (logEvents: InputLogEvent[], code: string, message: string | RegExp, stream = 's', group = '/sdk/bad') => {
    const e = await sdkError(logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents })));
    assert.equal(e.name, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
  };
  // 10,000 events of 79 bytes = 1,050,000 counted bytes.
  await bad(events(10_000, now - 20_000).map((e) => ({ ...e, message: e.message.padEnd(79, '.') })), 'InvalidParameterException', 'Upload too large: 1050000 bytes exceeds limit of 1048576');
  await bad(events(10_001, now - 20_000), 'InvalidParameterException', /^1 validation error detected: Value '.*' at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000$/);
  await bad([{ timestamp: now, message: 'b' }, { timestamp: now - 1, message: 'a' }], 'InvalidParameterException', 'Log events in a single PutLogEvents request must be in chronological order.');
  await bad([{ timestamp: now - 25 * 3600_000, message: 'a' }, { timestamp: now, message: 'b' }], 'InvalidParameterException', 'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
  await bad([{ timestamp: now, message: '' }], 'InvalidParameterException', "1 validation error detected: Value '' at 'logEvents.1.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1");
  await bad([{ timestamp: now, message: 'a' }], 'ResourceNotFoundException', 'The specified log stream does not exist.', 'nope');
  await bad([{ timestamp: now, message: 'a' }], 'ResourceNotFoundException', 'The specified log group does not exist.', 's', '/sdk/none');
  assert.equal(await count('/sdk/bad'), 0);

  const pattern = await sdkError(logs.send(new FilterLogEventsCommand({ logGroupName: '/sdk/bad', filterPattern: '{ $.level = ' })));
  assert.deepEqual([pattern.name, pattern.message], ['InvalidParameterException', "If a filter pattern starts with '{' it must end with '}'"]);
  const both = await sdkError(logs.send(new FilterLogEventsCommand({ logGroupName: '/sdk/bad', logStreamNames: ['s'], logStreamNamePrefix: 's' })));
  assert.equal(both.name, 'InvalidParameterException');
  const group = await sdkError(logs.send(new CreateLogGroupCommand({ logGroupName: '/sdk/bad' })));
  assert.deepEqual([group.name, group.message], ['ResourceAlreadyExistsException', 'The specified log group already exists']);
  const token = await sdkError(logs.send(new GetLogEventsCommand({ logGroupName: '/sdk/bad', logStreamName: 's', nextToken: 'f/bogus/s' })));
  assert.deepEqual([token.name, token.message], ['InvalidParameterException', 'The specified nextToken is invalid.']);

  // Events outside the window are rejected by index; the rest are stored.
  const r = await logs.send(
    new PutLogEventsCommand({
      logGroupName: '/sdk/bad',
      logStreamName: 's',
      logEvents: [
        { timestamp: now - 15 * 86_400_000, message: 'too old' },
        { timestamp: now, message: 'fine' },
        { timestamp: now + 3 * 3600_000, message: 'too new' },
      ],
    }),
  );
  assert.deepEqual(r.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 0, tooNewLogEventStartIndex: 2 });
  assert.equal(await count('/sdk/bad'), 1);
});

test('SDK: retention is validated, reported, and turns old events into expired ones', async () => {
  await groupWithStreams('/sdk/retention', 's');
  const e = await sdkError(logs.send(new PutRetentionPolicyCommand({ logGroupName: '/sdk/retention', retentionInDays: 2 })));
  assert.equal(e.name, 'InvalidParameterException');
  assert.match(e.message, /Member must satisfy enum value set: \[1, 3, 5, 7, 14/);
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/sdk/retention', retentionInDays: 1 }));
  const describe = async () => (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/sdk/retention' }))).logGroups![0]!;
  assert.equal((await describe()).retentionInDays, 1);
  const now = Date.now();
  const r = await logs.send(new PutLogEventsCommand({ logGroupName: '/sdk/retention', logStreamName: 's', logEvents: [{ timestamp: now - 2 * 86_400_000, message: 'expired' }, { timestamp: now - 86_400_000 + 60_000, message: 'kept' }] }));
  assert.deepEqual(r.rejectedLogEventsInfo, { expiredLogEventEndIndex: 0 });
  await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: '/sdk/retention' }));
  assert.equal((await describe()).retentionInDays, undefined);
  const missing = await sdkError(logs.send(new PutRetentionPolicyCommand({ logGroupName: '/sdk/none', retentionInDays: 1 })));
  assert.deepEqual([missing.name, missing.message], ['ResourceNotFoundException', 'The specified log group does not exist.']);
});

test('SDK: tags (both APIs), metric filters, deletes, DescribeLogGroups pages, and StartLiveTail’s refusal', async () => {
  await groupWithStreams('/sdk/misc', 's');
  const arn = `arn:aws:logs:${b.region}:${ACCOUNT}:log-group:/sdk/misc`;
  await logs.send(new TagResourceCommand({ resourceArn: arn, tags: { a: '1', b: '2' } }));
  await logs.send(new TagLogGroupCommand({ logGroupName: '/sdk/misc', tags: { c: '3' } }));
  await logs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['a'] }));
  assert.deepEqual((await logs.send(new ListTagsLogGroupCommand({ logGroupName: '/sdk/misc' }))).tags, { b: '2', c: '3' });
  const other = await sdkError(logs.send(new ListTagsForResourceCommand({ resourceArn: `arn:aws:logs:${b.region}:${ACCOUNT}:log-group:/sdk/none` })));
  assert.equal(other.name, 'ResourceNotFoundException');

  await logs.send(new PutMetricFilterCommand({ logGroupName: '/sdk/misc', filterName: 'errors', filterPattern: '[ip, user, status=5*]', metricTransformations: [{ metricName: 'E', metricNamespace: 'N', metricValue: '1' }] }));
  const badFilter = await sdkError(
    logs.send(new PutMetricFilterCommand({ logGroupName: '/sdk/misc', filterName: 'bad', filterPattern: '{ $.a = 1', metricTransformations: [{ metricName: 'E', metricNamespace: 'N', metricValue: '1' }] })),
  );
  assert.equal(badFilter.name, 'InvalidParameterException');
  const filters = (await logs.send(new DescribeMetricFiltersCommand({ logGroupName: '/sdk/misc' }))).metricFilters!;
  assert.deepEqual(filters.map((f) => [f.filterName, f.filterPattern]), [['errors', '[ip, user, status=5*]']]);
  assert.equal((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/sdk/misc' }))).logGroups![0]!.metricFilterCount, 1);
  await logs.send(new DeleteMetricFilterCommand({ logGroupName: '/sdk/misc', filterName: 'errors' }));

  // Live Tail needs an event-stream response berth does not serve; the SDK gets a modeled error, not a hang.
  const tailClient = new CloudWatchLogsClient({ endpoint: b.endpoint, region: b.region, credentials: { accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey }, maxAttempts: 1, disableHostPrefix: true });
  const live = await sdkError(tailClient.send(new StartLiveTailCommand({ logGroupIdentifiers: [arn] })));
  tailClient.destroy();
  assert.equal(live.name, 'InvalidOperationException');

  const names: string[] = [];
  for (const g of ['/pages/a', '/pages/b', '/pages/c']) await logs.send(new CreateLogGroupCommand({ logGroupName: g }));
  for await (const page of paginateDescribeLogGroups({ client: logs, pageSize: 1 }, { logGroupNamePrefix: '/pages/' })) names.push(...page.logGroups!.map((g) => g.logGroupName!));
  assert.deepEqual(names, ['/pages/a', '/pages/b', '/pages/c']);

  await logs.send(new DeleteLogStreamCommand({ logGroupName: '/sdk/misc', logStreamName: 's' }));
  const gone = await sdkError(logs.send(new GetLogEventsCommand({ logGroupName: '/sdk/misc', logStreamName: 's' })));
  assert.deepEqual([gone.name, gone.message], ['ResourceNotFoundException', 'The specified log stream does not exist.']);
  await logs.send(new DeleteLogGroupCommand({ logGroupName: '/sdk/misc' }));
  const again = await sdkError(logs.send(new DeleteLogGroupCommand({ logGroupName: '/sdk/misc' })));
  assert.deepEqual([again.name, again.message], ['ResourceNotFoundException', 'The specified log group does not exist.']);
});

test('AWS CLI v1: create, put, get, filter, describe, and its error codes', () => {
  ok(cli(1, ['logs', 'create-log-group', '--log-group-name', 'cli1']));
  ok(cli(1, ['logs', 'create-log-stream', '--log-group-name', 'cli1', '--log-stream-name', 'main']));
  const now = Date.now();
  const put = ok(cli(1, ['logs', 'put-log-events', '--log-group-name', 'cli1', '--log-stream-name', 'main', '--log-events', JSON.stringify([{ timestamp: now - 2, message: 'one ERROR' }, { timestamp: now - 1, message: 'two' }])]));
  assert.match(put.nextSequenceToken, /^\d{56}$/);
  const got = ok(cli(1, ['logs', 'get-log-events', '--log-group-name', 'cli1', '--log-stream-name', 'main', '--start-from-head']));
  assert.deepEqual(got.events.map((e: { message: string }) => e.message), ['one ERROR', 'two']);
  const filtered = ok(cli(1, ['logs', 'filter-log-events', '--log-group-name', 'cli1', '--filter-pattern', 'ERROR']));
  assert.deepEqual(filtered.events.map((e: { message: string; logStreamName: string }) => [e.logStreamName, e.message]), [['main', 'one ERROR']]);
  const streams = ok(cli(1, ['logs', 'describe-log-streams', '--log-group-name', 'cli1', '--order-by', 'LastEventTime', '--descending']));
  assert.equal(streams.logStreams[0].lastEventTimestamp, now - 1);
  cliError(cli(1, ['logs', 'create-log-group', '--log-group-name', 'cli1']), 'ResourceAlreadyExistsException', 'The specified log group already exists');
  cliError(cli(1, ['logs', 'get-log-events', '--log-group-name', 'cli1', '--log-stream-name', 'none']), 'ResourceNotFoundException', 'The specified log stream does not exist.');
  cliError(cli(1, ['logs', 'filter-log-events', '--log-group-name', 'cli1', '--filter-pattern', '[a, b']), 'InvalidParameterException');
  cliError(cli(1, ['logs', 'describe-log-streams', '--log-group-name', 'cli1', '--order-by', 'LastEventTime', '--log-stream-name-prefix', 'm']), 'InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.');
});

test('AWS CLI v2: get-log-events, filter-log-events, and `logs tail --since 1h` prints the events', async () => {
  await groupWithStreams('cli2', 'app/1', 'app/2');
  const now = Date.now();
  await logs.send(new PutLogEventsCommand({ logGroupName: 'cli2', logStreamName: 'app/1', logEvents: [{ timestamp: now - 60_000, message: 'first line' }, { timestamp: now - 30_000, message: 'third line' }] }));
  await logs.send(new PutLogEventsCommand({ logGroupName: 'cli2', logStreamName: 'app/2', logEvents: [{ timestamp: now - 45_000, message: 'second line' }] }));
  const got = ok(cli(2, ['logs', 'get-log-events', '--log-group-name', 'cli2', '--log-stream-name', 'app/1']));
  assert.deepEqual(got.events.map((e: { message: string }) => e.message), ['first line', 'third line']);
  assert.match(got.nextForwardToken, /^f\/\d{56}\/s$/);
  const filtered = ok(cli(2, ['logs', 'filter-log-events', '--log-group-name', 'cli2', '--filter-pattern', '"line"']));
  assert.deepEqual(filtered.events.map((e: { message: string }) => e.message), ['first line', 'second line', 'third line']);

  const tail = cli(2, ['logs', 'tail', 'cli2', '--since', '1h', '--color', 'off']);
  assert.equal(tail.status, 0, tail.stderr);
  const lines = tail.stdout.trim().split('\n');
  assert.equal(lines.length, 3, tail.stdout);
  assert.match(lines[0]!, /^\S+ app\/1 first line$/);
  assert.match(lines[1]!, /^\S+ app\/2 second line$/);
  assert.match(lines[2]!, /^\S+ app\/1 third line$/);
});

test('AWS CLI v2: `logs tail --follow` prints an event written while it runs, within its 5-second poll', async () => {
  await groupWithStreams('follow', 's');
  await logs.send(new PutLogEventsCommand({ logGroupName: 'follow', logStreamName: 's', logEvents: [{ timestamp: Date.now() - 1000, message: 'before the tail' }] }));
  const child = spawn('/usr/bin/aws', ['logs', 'tail', 'follow', '--follow', '--since', '10m', '--format', 'short', '--color', 'off', '--endpoint-url', b.endpoint], {
    env: { ...b.env, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const waitFor = async (text: string, ms: number) => {
    const deadline = Date.now() + ms;
    while (!out.includes(text)) {
      if (Date.now() > deadline) assert.fail(`'${text}' did not appear within ${ms} ms; stdout: ${out}; stderr: ${err}`);
      if (child.exitCode !== null) assert.fail(`aws logs tail exited (${child.exitCode}): ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    // Its first poll has happened once it printed the earlier event.
    await waitFor('before the tail', 30_000);
    const written = Date.now();
    await logs.send(new PutLogEventsCommand({ logGroupName: 'follow', logStreamName: 's', logEvents: [{ timestamp: written, message: 'written while following' }] }));
    await waitFor('written while following', 5_000 + 3_000);
    assert.ok(Date.now() - written < 8_000);
    assert.equal(out.split('\n').filter((l) => l.includes('before the tail')).length, 1, 'no event is printed twice');
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
});
