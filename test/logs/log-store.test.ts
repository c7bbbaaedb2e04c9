import BetterSqlite3 from 'better-sqlite3';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { AwsError } from '../../src/gateway/errors.js';
import { DAY_MS } from '../../src/logs/batch-rules.js';
import { LogStore } from '../../src/logs/log-store.js';
import { logGroupBareArn } from '../../src/logs/names.js';

// The log store's rules, on a real SQLite file: GetLogEvents' tokens,
// FilterLogEvents' order and pages, PutLogEvents' all-or-nothing batches,
// retention, and the follower's wait.

const scope = { accountId: '000000000000', region: 'us-east-1' };
const HOUR = 3_600_000;
const now = 1_800_000_000_000;

let dir: string;
let file: string;
let logs: LogStore;
let n = 0;
let group: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-logs-'));
  file = join(dir, 'logs.sqlite');
  logs = LogStore.open(file);
});
after(() => {
  logs.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  group = `g${++n}`;
  logs.createLogGroup(scope, { logGroupName: group }, now);
});

function stream(name: string, g = group) {
  return logs.streams.create(logs.groups.get(scope, g), name, now);
}

/** Puts events `{ t, m }` into a stream at time `at` (default `now`). */
function put(streamName: string, events: { t: number; m: string }[], at = now, g = group) {
  return logs.putLogEvents(scope, { logGroupName: g, logStreamName: streamName }, events.map((e) => e.t), events.map((e) => e.m), at);
}

function awsError(fn: () => unknown, code: string, message?: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AwsError, String(e));
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

const seqEvents = (count: number, t0: number, prefix = 'e') => Array.from({ length: count }, (_, i) => ({ t: t0 + i, m: `${prefix}${i}` }));

test('groups and streams: AWS’s messages for what exists and what does not', () => {
  awsError(() => logs.createLogGroup(scope, { logGroupName: group }, now), 'ResourceAlreadyExistsException', 'The specified log group already exists');
  awsError(() => logs.groups.get(scope, 'nope'), 'ResourceNotFoundException', 'The specified log group does not exist.');
  stream('s');
  awsError(() => stream('s'), 'ResourceAlreadyExistsException', 'The specified log stream already exists');
  awsError(() => logs.getLogEvents(scope, { logGroupName: group, logStreamName: 'nope' }), 'ResourceNotFoundException', 'The specified log stream does not exist.');
  awsError(() => logs.createLogGroup(scope, { logGroupName: 'bad name' }, now), 'InvalidParameterException', /regular expression pattern/);
  awsError(() => stream('a:b'), 'InvalidParameterException', /regular expression pattern: \[\^:\*\]\*/);
  // Another region's group with the same name is another group.
  logs.createLogGroup({ ...scope, region: 'eu-west-1' }, { logGroupName: group }, now);
  awsError(() => logs.streams.get(logs.groups.get({ ...scope, region: 'eu-west-1' }, group), 's'), 'ResourceNotFoundException');
});

test('logGroupIdentifier takes a name or either ARN form; name and identifier together are refused', () => {
  stream('s');
  put('s', [{ t: now, m: 'x' }]);
  for (const id of [group, logGroupBareArn(scope, group), `${logGroupBareArn(scope, group)}:*`]) {
    assert.equal(logs.getLogEvents(scope, { logGroupIdentifier: id, logStreamName: 's' }).events!.length, 1);
  }
  awsError(() => logs.getLogEvents(scope, { logGroupName: group, logGroupIdentifier: group, logStreamName: 's' }), 'InvalidParameterException');
  awsError(() => logs.getLogEvents(scope, { logStreamName: 's' }), 'InvalidParameterException');
  awsError(() => logs.getLogEvents(scope, { logGroupIdentifier: `arn:aws:logs:eu-west-1:000000000000:log-group:${group}`, logStreamName: 's' }), 'ResourceNotFoundException');
});

test('PutLogEvents stores in order, updates the stream, and returns increasing sequence tokens', () => {
  stream('s');
  const a = put('s', seqEvents(3, now - 1000));
  const b = put('s', [{ t: now - 5000, m: 'older, later' }], now + 10);
  assert.match(a.nextSequenceToken!, /^\d{56}$/);
  assert.ok(BigInt(b.nextSequenceToken!) > BigInt(a.nextSequenceToken!));
  const s = logs.streams.describe(logs.groups.get(scope, group), {}).logStreams![0]!;
  assert.deepEqual([s.firstEventTimestamp, s.lastEventTimestamp, s.lastIngestionTime, s.uploadSequenceToken], [now - 5000, now - 998, now + 10, b.nextSequenceToken]);
  assert.equal(s.storedBytes, 0); // AWS: "always reported as zero" for streams
  assert.equal(logs.groups.describe(scope, { logGroupNamePrefix: group }).logGroups![0]!.storedBytes, 'e0e1e2older, later'.length);
  // Events come back in timestamp order, whatever order the batches arrived in.
  assert.deepEqual(logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's', startFromHead: true }).events!.map((e) => e.message), ['older, later', 'e0', 'e1', 'e2']);
});

test('a batch that breaks a rule writes nothing', () => {
  stream('s');
  const before = logs.latestSeq(logGroupBareArn(scope, group));
  awsError(() => put('s', [{ t: now, m: 'a' }, { t: now - 1, m: 'b' }]), 'InvalidParameterException', 'Log events in a single PutLogEvents request must be in chronological order.');
  awsError(() => put('s', [{ t: now - 25 * HOUR, m: 'a' }, { t: now, m: 'b' }]), 'InvalidParameterException', /cannot span more than 24 hours/);
  awsError(() => put('s', [{ t: now, m: 'x'.repeat(1_048_576) }]), 'InvalidParameterException', /^Upload too large: 1048602 bytes exceeds limit of 1048576$/);
  awsError(() => put('nope', [{ t: now, m: 'a' }]), 'ResourceNotFoundException', 'The specified log stream does not exist.');
  assert.equal(logs.latestSeq(logGroupBareArn(scope, group)), before);
  assert.deepEqual(logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's' }).events, []);
});

test('a batch that fails inside its transaction leaves no chunk, byte count or sequence behind', () => {
  stream('s');
  put('s', [{ t: now, m: 'first' }]);
  const arn = logGroupBareArn(scope, group);
  const seq = logs.latestSeq(arn);
  // A second connection adds a trigger that fails the batch's second chunk (events 1,001+).
  const other = new BetterSqlite3(file);
  other.exec(`CREATE TRIGGER fail_second_chunk BEFORE INSERT ON log_chunks WHEN NEW.first_seq > ${seq + 1} BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`);
  try {
    assert.throws(() => put('s', seqEvents(1500, now - 2000)), /disk trouble/);
  } finally {
    other.exec('DROP TRIGGER fail_second_chunk');
    other.close();
  }
  assert.equal(logs.latestSeq(arn), seq);
  assert.deepEqual(logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's' }).events!.map((e) => e.message), ['first']);
  assert.equal(logs.groups.describe(scope, { logGroupNamePrefix: group }).logGroups![0]!.storedBytes, 5);
  // The sequence was not consumed: the next batch follows on.
  const next = put('s', [{ t: now, m: 'next' }]);
  assert.equal(BigInt(next.nextSequenceToken!), BigInt(seq + 1));
});

test('rejected events are reported by index and the rest stored', () => {
  stream('s');
  logs.groups.setRetention(scope, group, 1);
  const r = put('s', [
    { t: now - 15 * DAY_MS, m: 'too old' },
    { t: now - 2 * DAY_MS, m: 'expired' },
    { t: now - HOUR, m: 'kept 1' },
    { t: now, m: 'kept 2' },
    { t: now + 3 * HOUR, m: 'too new' },
  ]);
  assert.deepEqual(r.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 0, expiredLogEventEndIndex: 1, tooNewLogEventStartIndex: 4 });
  assert.deepEqual(logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's' }).events!.map((e) => e.message), ['kept 1', 'kept 2']);
});

test('GetLogEvents pages forward from the head; at the end the same token comes back, and later events follow it', () => {
  stream('s');
  put('s', seqEvents(25, now - 100));
  const get = (nextToken?: string) => logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's', startFromHead: true, limit: 10, nextToken });
  const seen: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 10; page++) {
    const r = get(token);
    seen.push(...r.events!.map((e) => e.message!));
    assert.match(r.nextForwardToken!, /^f\/\d{56}\/s$/);
    assert.match(r.nextBackwardToken!, /^b\/\d{56}\/s$/);
    if (r.nextForwardToken === token) break;
    token = r.nextForwardToken;
  }
  assert.deepEqual(seen, seqEvents(25, 0).map((e) => e.m));
  // The end: the same token, again and again…
  assert.equal(get(token).nextForwardToken, token);
  // …until the stream grows.
  put('s', [{ t: now, m: 'late' }]);
  const more = get(token);
  assert.deepEqual(more.events!.map((e) => e.message), ['late']);
  assert.notEqual(more.nextForwardToken, token);
});

test('GetLogEvents without startFromHead returns the newest events and pages backwards to the start', () => {
  stream('s');
  put('s', seqEvents(25, now - 100));
  const first = logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's', limit: 10 });
  assert.deepEqual(first.events!.map((e) => e.message), seqEvents(10, 15).map((e) => `e${e.t}`));
  const second = logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's', limit: 10, nextToken: first.nextBackwardToken });
  assert.deepEqual(second.events!.map((e) => e.message), seqEvents(10, 5).map((e) => `e${e.t}`));
  const third = logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's', limit: 10, nextToken: second.nextBackwardToken });
  assert.deepEqual(third.events!.map((e) => e.message), seqEvents(5, 0).map((e) => `e${e.t}`));
  const end = logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's', limit: 10, nextToken: third.nextBackwardToken });
  assert.deepEqual(end.events, []);
  assert.equal(end.nextBackwardToken, third.nextBackwardToken);
  // Forward from a backward page picks up right after it.
  const fwd = logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's', limit: 3, nextToken: third.nextForwardToken });
  assert.deepEqual(fwd.events!.map((e) => e.message), ['e5', 'e6', 'e7']);
});

test('GetLogEvents on an empty stream hands out tokens that find the events written later', () => {
  stream('s');
  const empty = logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's' });
  assert.deepEqual(empty.events, []);
  put('s', seqEvents(3, now - 10));
  const r = logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's', nextToken: empty.nextForwardToken });
  assert.deepEqual(r.events!.map((e) => e.message), ['e0', 'e1', 'e2']);
});

test('GetLogEvents: startTime is inclusive, endTime exclusive; bad and foreign tokens are refused', () => {
  stream('s');
  stream('t');
  put('s', seqEvents(10, now - 100));
  const r = logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's', startTime: now - 98, endTime: now - 95, startFromHead: true });
  assert.deepEqual(r.events!.map((e) => e.message), ['e2', 'e3', 'e4']);
  awsError(() => logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's', nextToken: 'f/123/s' }), 'InvalidParameterException', 'The specified nextToken is invalid.');
  awsError(() => logs.getLogEvents(scope, { logGroupName: group, logStreamName: 't', nextToken: r.nextForwardToken }), 'InvalidParameterException', 'The specified nextToken is invalid.');
});

test('responses stop at 1 MB of events (messages + 26 bytes each), and the rest follows', () => {
  stream('s');
  const big = (i: number) => ({ t: now - 3000 + i, m: `${i}`.padEnd(100_000, '.') });
  put('s', Array.from({ length: 10 }, (_, i) => big(i)));
  put('s', Array.from({ length: 10 }, (_, i) => big(10 + i)));
  const first = logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's', startFromHead: true });
  assert.equal(first.events!.length, 10);
  const rest = logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's', nextToken: first.nextForwardToken });
  assert.equal(rest.events!.length, 10);
  const f1 = logs.filterLogEvents(scope, { logGroupName: group });
  assert.equal(f1.events!.length, 10);
  const f2 = logs.filterLogEvents(scope, { logGroupName: group, nextToken: f1.nextToken });
  assert.equal(f2.events!.length, 10);
  assert.equal(f2.nextToken, undefined);
});

test('FilterLogEvents interleaves streams in timestamp order, with eventIds and stream names', () => {
  stream('web-1');
  stream('web-2');
  stream('db');
  put('web-1', [{ t: now - 50, m: 'w1 a' }, { t: now - 30, m: 'w1 b ERROR' }]);
  put('web-2', [{ t: now - 40, m: 'w2 a ERROR' }, { t: now - 30, m: 'w2 b' }]);
  put('db', [{ t: now - 45, m: 'db a ERROR' }]);
  const all = logs.filterLogEvents(scope, { logGroupName: group });
  assert.deepEqual(all.events!.map((e) => [e.logStreamName, e.message]), [
    ['web-1', 'w1 a'],
    ['db', 'db a ERROR'],
    ['web-2', 'w2 a ERROR'],
    ['web-1', 'w1 b ERROR'],
    ['web-2', 'w2 b'],
  ]);
  const ids = all.events!.map((e) => e.eventId!);
  assert.equal(new Set(ids).size, 5);
  for (const id of ids) assert.match(id, /^\d{56}$/);
  assert.deepEqual(all.searchedLogStreams, []);
  assert.equal(all.nextToken, undefined);
  assert.deepEqual(logs.filterLogEvents(scope, { logGroupName: group, filterPattern: 'ERROR' }).events!.map((e) => e.message), ['db a ERROR', 'w2 a ERROR', 'w1 b ERROR']);
  assert.deepEqual(logs.filterLogEvents(scope, { logGroupName: group, filterPattern: 'ERROR', logStreamNamePrefix: 'web' }).events!.map((e) => e.message), ['w2 a ERROR', 'w1 b ERROR']);
  assert.deepEqual(logs.filterLogEvents(scope, { logGroupName: group, logStreamNames: ['db', 'web-2'], startTime: now - 44, endTime: now - 30 }).events!.map((e) => e.message), ['w2 a ERROR', 'w2 b']);
  assert.deepEqual(logs.filterLogEvents(scope, { logGroupName: group, logStreamNamePrefix: 'none' }).events, []);
  awsError(() => logs.filterLogEvents(scope, { logGroupName: group, logStreamNames: ['db'], logStreamNamePrefix: 'd' }), 'InvalidParameterException');
  awsError(() => logs.filterLogEvents(scope, { logGroupName: group, logStreamNames: ['nope'] }), 'ResourceNotFoundException', 'The specified log stream does not exist.');
  awsError(() => logs.filterLogEvents(scope, { logGroupName: group, filterPattern: '{ $.x = ' }), 'InvalidParameterException', "If a filter pattern starts with '{' it must end with '}'");
});

test('FilterLogEvents pages by nextToken through every match exactly once', () => {
  stream('a');
  stream('b');
  for (let k = 0; k < 5; k++) {
    put('a', seqEvents(300, now - 10_000 + k * 1000, `a${k}-`).map((e, i) => ({ ...e, m: i % 3 === 0 ? `${e.m} hit` : e.m })));
    put('b', seqEvents(300, now - 10_000 + k * 1000 + 500, `b${k}-`).map((e, i) => ({ ...e, m: i % 5 === 0 ? `${e.m} hit` : e.m })));
  }
  const whole = logs.filterLogEvents(scope, { logGroupName: group, filterPattern: 'hit' }).events!;
  assert.equal(whole.length, 5 * (100 + 60));
  const paged: string[] = [];
  let nextToken: string | undefined;
  do {
    const r = logs.filterLogEvents(scope, { logGroupName: group, filterPattern: 'hit', limit: 37, nextToken });
    assert.ok(r.events!.length <= 37);
    paged.push(...r.events!.map((e) => e.eventId!));
    nextToken = r.nextToken;
  } while (nextToken);
  assert.deepEqual(paged, whole.map((e) => e.eventId));
});

test('DescribeLogGroups: prefix, pattern (names only), class, and pages in ASCII order', () => {
  const base = `dlg${n}`;
  for (const s of ['b', 'a', 'B', 'a/x', 'c']) logs.createLogGroup(scope, { logGroupName: `${base}-${s}`, logGroupClass: s === 'c' ? 'INFREQUENT_ACCESS' : undefined }, now);
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const r = logs.groups.describe(scope, { logGroupNamePrefix: `${base}-`, limit: 2, nextToken });
    names.push(...r.logGroups!.map((g) => g.logGroupName!));
    nextToken = r.nextToken;
  } while (nextToken);
  assert.deepEqual(names, ['B', 'a', 'a/x', 'b', 'c'].map((s) => `${base}-${s}`));
  const pattern = logs.groups.describe(scope, { logGroupNamePattern: `${base}-a` }).logGroups!;
  assert.deepEqual(pattern.map((g) => Object.keys(g).sort()), [['arn', 'creationTime', 'logGroupName'], ['arn', 'creationTime', 'logGroupName']]);
  assert.deepEqual(logs.groups.describe(scope, { logGroupNamePrefix: base, logGroupClass: 'INFREQUENT_ACCESS' }).logGroups!.map((g) => g.logGroupName), [`${base}-c`]);
  awsError(() => logs.groups.describe(scope, { logGroupNamePrefix: 'a', logGroupNamePattern: 'b' }), 'InvalidParameterException', 'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
  awsError(() => logs.groups.describe(scope, { nextToken: 'garbage' }), 'InvalidParameterException');
  const g = logs.groups.describe(scope, { logGroupNamePrefix: `${base}-a/x` }).logGroups![0]!;
  assert.equal(g.arn, `arn:aws:logs:us-east-1:000000000000:log-group:${base}-a/x:*`);
  assert.equal(g.logGroupArn, `arn:aws:logs:us-east-1:000000000000:log-group:${base}-a/x`);
});

test('DescribeLogStreams: by name or last event time, either direction, in pages', () => {
  for (const s of ['c', 'a', 'b']) stream(s);
  put('b', [{ t: now - 10, m: 'x' }]);
  put('a', [{ t: now - 5, m: 'x' }]);
  const list = (i: object) => {
    const out: string[] = [];
    let nextToken: string | undefined;
    do {
      const r = logs.streams.describe(logs.groups.get(scope, group), { ...i, limit: 1, nextToken });
      out.push(...r.logStreams!.map((s) => s.logStreamName!));
      nextToken = r.nextToken;
    } while (nextToken);
    return out;
  };
  assert.deepEqual(list({}), ['a', 'b', 'c']);
  assert.deepEqual(list({ descending: true }), ['c', 'b', 'a']);
  assert.deepEqual(list({ orderBy: 'LastEventTime' }), ['c', 'b', 'a']);
  assert.deepEqual(list({ orderBy: 'LastEventTime', descending: true }), ['a', 'b', 'c']);
  assert.deepEqual(list({ logStreamNamePrefix: 'b' }), ['b']);
  awsError(() => logs.streams.describe(logs.groups.get(scope, group), { orderBy: 'LastEventTime', logStreamNamePrefix: 'a' }), 'InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.');
});

test('retention deletes events older than the policy, cutting a chunk that straddles the cutoff', () => {
  stream('s');
  logs.groups.setRetention(scope, group, 1);
  // Three batches, each written when it was current: two days ago, 30 h ago, and one that straddles the cutoff (25 h … 22 h ago).
  put('s', seqEvents(5, now - 2 * DAY_MS, 'old'), now - 2 * DAY_MS + 10);
  put('s', seqEvents(5, now - 30 * HOUR, 'older'), now - 30 * HOUR + 10);
  put('s', [{ t: now - 25 * HOUR, m: 'gone' }, { t: now - 23 * HOUR, m: 'stays' }, { t: now - 22 * HOUR, m: 'new' }], now - 22 * HOUR);
  const bytesBefore = logs.groups.describe(scope, { logGroupNamePrefix: group }).logGroups![0]!.storedBytes!;
  const sweep = logs.applyRetention(now);
  assert.deepEqual({ events: sweep.events, bytes: sweep.bytes }, { events: 11, bytes: 5 * 4 + 5 * 6 + 4 });
  assert.deepEqual(logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's', startFromHead: true }).events!.map((e) => e.message), ['stays', 'new']);
  assert.deepEqual(logs.filterLogEvents(scope, { logGroupName: group }).events!.map((e) => e.message), ['stays', 'new']);
  const g = logs.groups.describe(scope, { logGroupNamePrefix: group }).logGroups![0]!;
  assert.equal(g.retentionInDays, 1);
  assert.equal(g.storedBytes, bytesBefore - sweep.bytes);
  assert.equal(logs.streams.describe(logs.groups.get(scope, group), {}).logStreams![0]!.firstEventTimestamp, now - 23 * HOUR);
  // Without a policy nothing expires.
  logs.groups.setRetention(scope, group, undefined);
  logs.applyRetention(now + 100 * DAY_MS);
  assert.equal(logs.filterLogEvents(scope, { logGroupName: group }).events!.length, 2);
});

test('waitForEvents wakes on the next batch, times out with what it has, and ends when the group goes', async () => {
  stream('s');
  const arn = logGroupBareArn(scope, group);
  const start = logs.latestSeq(arn);
  const woken = logs.waitForEvents(arn, start, 5000);
  put('s', [{ t: now, m: 'hello' }]);
  const seq = await woken;
  assert.ok(seq > start);
  assert.deepEqual(logs.eventsAfter(arn, start).map((e) => [e.seq, e.logStreamName, e.message]), [[seq, 's', 'hello']]);
  assert.equal(await logs.waitForEvents(arn, seq, 20), seq);
  // Already behind: resolves at once.
  assert.equal(await logs.waitForEvents(arn, start, 60_000), seq);
  const pending = logs.waitForEvents(arn, seq, 60_000);
  logs.deleteLogGroup(scope, group);
  assert.equal(await pending, seq);
  awsError(() => logs.latestSeq(arn), 'ResourceNotFoundException');
});

test('eventsAfter reads a group in ingestion order across streams', () => {
  stream('a');
  stream('b');
  const arn = logGroupBareArn(scope, group);
  const start = logs.latestSeq(arn);
  put('a', seqEvents(1500, now - 5000, 'a'));
  put('b', [{ t: now - 9000, m: 'b-old-ts' }]);
  const all = logs.eventsAfter(arn, start);
  assert.equal(all.length, 1501);
  assert.equal(all.at(-1)!.message, 'b-old-ts');
  assert.deepEqual(logs.eventsAfter(arn, all[1199]!.seq, 2).map((e) => e.message), ['a1200', 'a1201']);
});

test('deletion protection blocks deleting the group and its streams', () => {
  stream('s');
  logs.groups.setDeletionProtection(scope, group, true);
  awsError(() => logs.deleteLogGroup(scope, group), 'ValidationException');
  awsError(() => logs.streams.delete(logs.groups.get(scope, group), 's'), 'ValidationException');
  logs.groups.setDeletionProtection(scope, group, false);
  logs.streams.delete(logs.groups.get(scope, group), 's');
  logs.deleteLogGroup(scope, group);
  awsError(() => logs.deleteLogGroup(scope, group), 'ResourceNotFoundException', 'The specified log group does not exist.');
});

test('tags: set, overwrite, remove, and at most 50', () => {
  const g = logs.groups.get(scope, group);
  logs.tags.set(g, { team: 'a', env: 'dev' }, 'arn');
  logs.tags.set(g, { team: 'b' }, 'arn');
  logs.tags.remove(g, ['env', 'absent']);
  assert.deepEqual(logs.tags.list(g), { team: 'b' });
  const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
  awsError(() => logs.tags.set(g, many, 'arn'), 'TooManyTagsException');
  assert.deepEqual(logs.tags.list(g), { team: 'b' });
});

test('metric filters: stored with a valid pattern, counted, listed by name, deleted', () => {
  const g = logs.groups.get(scope, group);
  const t = [{ metricName: 'Errors', metricNamespace: 'App', metricValue: '1' }];
  logs.metricFilters.put(g, { logGroupName: group, filterName: 'b-errors', filterPattern: 'ERROR', metricTransformations: t }, now);
  logs.metricFilters.put(g, { logGroupName: group, filterName: 'a-latency', filterPattern: '{ $.latency > 100 }', metricTransformations: [{ metricName: 'Slow', metricNamespace: 'App', metricValue: '$.latency' }] }, now);
  awsError(() => logs.metricFilters.put(g, { logGroupName: group, filterName: 'bad', filterPattern: '[a, b', metricTransformations: t }, now), 'InvalidParameterException', "If a filter pattern starts with '[' it must end with ']'");
  const d = logs.metricFilters.describe(scope, g, {});
  assert.deepEqual(d.metricFilters!.map((f) => f.filterName), ['a-latency', 'b-errors']);
  assert.equal(d.metricFilters![1]!.logGroupName, group);
  assert.deepEqual(d.metricFilters![1]!.metricTransformations, t);
  assert.deepEqual(logs.metricFilters.describe(scope, g, { filterNamePrefix: 'b' }).metricFilters!.map((f) => f.filterName), ['b-errors']);
  assert.deepEqual(logs.metricFilters.describe(scope, undefined, { metricName: 'Slow', metricNamespace: 'App' }).metricFilters!.map((f) => f.filterName), ['a-latency']);
  awsError(() => logs.metricFilters.describe(scope, g, { metricName: 'Slow' }), 'InvalidParameterException');
  assert.equal(logs.groups.describe(scope, { logGroupNamePrefix: group }).logGroups![0]!.metricFilterCount, 2);
  logs.metricFilters.delete(g, 'b-errors');
  awsError(() => logs.metricFilters.delete(g, 'b-errors'), 'ResourceNotFoundException', 'The specified metric filter does not exist.');
});

test('the store keeps everything across a reopen, sequence included', () => {
  stream('s');
  const r = put('s', [{ t: now, m: 'persisted' }]);
  logs.close();
  logs = LogStore.open(file);
  assert.deepEqual(logs.getLogEvents(scope, { logGroupName: group, logStreamName: 's' }).events!.map((e) => e.message), ['persisted']);
  const next = put('s', [{ t: now, m: 'after' }]);
  assert.ok(BigInt(next.nextSequenceToken!) > BigInt(r.nextSequenceToken!));
});
