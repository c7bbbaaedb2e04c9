import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { AwslogsShipper } from '../../../src/agent/logs/awslogs-shipper.js';
import { ContainerLogShipper } from '../../../src/agent/logs/container-shipper.js';
import { CursorStore } from '../../../src/agent/logs/cursor-store.js';
import { PARTIAL_BYTES } from '../../../src/agent/logs/docker-log-stream.js';
import { parseAwslogsOptions } from '../../../src/agent/logs/options.js';
import { LogSinkError } from '../../../src/agent/logs/sink.js';
import { ensureLogStream } from '../../../src/agent/logs/stream-setup.js';
import { FakeCloudWatch, FakeDockerLog, T0, until } from './fakes.js';

// The shipper of one container against an in-memory Docker log and CloudWatch
// Logs: batching, draining, kills at every stage, outages, both modes.

const TASK = 'arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef';
const silent = pino({ level: 'silent' });
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function store(): CursorStore {
  const d = mkdtempSync(join(tmpdir(), 'berth-logs-'));
  dirs.push(d);
  return new CursorStore(d);
}

async function sinkWithStream(): Promise<FakeCloudWatch> {
  const sink = new FakeCloudWatch();
  await ensureLogStream(sink, { group: 'g', stream: 's', createGroup: true, createStream: true });
  return sink;
}

function shipper(log: FakeDockerLog, sink: FakeCloudWatch, st: CursorStore, options: Record<string, string> = {}, flushDelayMs = 20): ContainerLogShipper {
  const s = new ContainerLogShipper(
    { taskArn: TASK, containerName: 'app', containerId: 'c1', region: 'us-east-1', group: 'g', stream: 's', options: parseAwslogsOptions({ 'awslogs-group': 'g', ...options }) },
    { source: log, sink, store: st, log: silent, flushDelayMs, retryFirstMs: 5, retryMaxMs: 40 },
  );
  s.start();
  return s;
}

const messages = (sink: FakeCloudWatch) => (sink.stream('g', 's') ?? []).map((e) => e.message);
const numbered = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}`);

test('every line, in order, in batches PutLogEvents takes; the shipper is drained when the container stops', async () => {
  const log = new FakeDockerLog();
  const sink = await sinkWithStream();
  const st = store();
  for (const l of numbered(0, 25_000)) log.write(l);
  const s = shipper(log, sink, st);
  log.write('', 'stdout');
  log.write('to stderr', 'stderr');
  log.stop();
  await s.drained;
  assert.deepEqual(messages(sink), [...numbered(0, 25_000), 'to stderr']);
  assert.ok(sink.puts >= 3, `${sink.puts} requests for 25,000 lines (10,000 per request at most)`);
  const times = sink.stream('g', 's')!.map((e) => e.timestamp);
  assert.deepEqual(times, [...times].sort((a, b) => a - b));
  assert.equal(st.read(TASK, 'app')?.drained, true);
  // A shipper started again on a drained log has nothing to do.
  const again = shipper(log, sink, st);
  await again.drained;
  assert.equal(messages(sink).length, 25_001);
});

test('live: a line is in the stream within the flush delay', async () => {
  const log = new FakeDockerLog();
  const sink = await sinkWithStream();
  const s = shipper(log, sink, store(), {}, 100);
  for (let i = 0; i < 5; i++) {
    const t0 = Date.now();
    log.write(`tick ${i}`, i % 2 ? 'stderr' : 'stdout', T0 + BigInt(Date.now()) * 1_000_000n);
    await until(() => messages(sink).includes(`tick ${i}`), `tick ${i}`);
    const took = Date.now() - t0;
    assert.ok(took < 400, `tick ${i} took ${took} ms`);
  }
  log.stop();
  await s.drained;
});

test('kill at any stage and start again from the cursor file: nothing lost, nothing twice', async () => {
  // Each round kills the shipper in a different place: while idle, while a request is out, right after the
  // service stored a batch but before the shipper heard of it, and before it stored it.
  const stages = ['idle', 'in-flight-lost', 'stored-unacknowledged', 'idle', 'stored-unacknowledged', 'in-flight-lost'] as const;
  const log = new FakeDockerLog();
  const sink = await sinkWithStream();
  const st = store();
  let written = 0;
  const write = (n: number) => {
    for (let i = 0; i < n; i++) log.write(`line ${written++}`, written % 5 === 0 ? 'stderr' : 'stdout');
  };
  for (const stage of stages) {
    const puts = sink.puts;
    let fired = false;
    sink.onPut =
      stage === 'idle'
        ? undefined
        : () => {
            if (sink.puts !== puts + 2) return 'ok';
            fired = true;
            return stage === 'stored-unacknowledged' ? 'store-then-hang' : 'hang';
          };
    const s = shipper(log, sink, st);
    for (let k = 0; k < 8; k++) {
      write(400);
      await new Promise((r) => setTimeout(r, 30));
    }
    if (stage === 'idle') await until(() => messages(sink).length === written, 'all shipped');
    else await until(() => fired, 'the request to be lost');
    await new Promise((r) => setTimeout(r, 20));
    await s.close(); // kill -9: nothing more is written after this
    sink.onPut = undefined;
    write(1000); // the container logs on while the agent is down
  }
  const last = shipper(log, sink, st);
  log.stop();
  await last.drained;
  assert.equal(messages(sink).length, written);
  assert.deepEqual(new Set(messages(sink)).size, written, 'no duplicates');
  // stdout and stderr lines are each in their own order.
  for (const pick of [(i: number) => (i + 1) % 5 === 0, (i: number) => (i + 1) % 5 !== 0]) {
    const expect = numbered(0, written).filter((_, i) => pick(i));
    assert.deepEqual(messages(sink).filter((m) => expect.includes(m)), expect);
  }
});

test('restart while the control plane is still down: the batch in flight is looked for once it answers', async () => {
  const log = new FakeDockerLog();
  const sink = await sinkWithStream();
  const st = store();
  for (const l of numbered(0, 100)) log.write(l);
  sink.onPut = () => 'store-then-hang';
  const s = shipper(log, sink, st);
  await until(() => sink.puts === 1, 'the first request');
  await s.close();
  sink.onPut = undefined;
  sink.lastEventsFailures = 3;
  const again = shipper(log, sink, st);
  log.stop();
  await again.drained;
  assert.deepEqual(messages(sink), numbered(0, 100));
});

test('control plane outage, blocking mode: requests are retried, reading pauses, nothing is lost', async () => {
  const log = new FakeDockerLog();
  const sink = await sinkWithStream();
  let down = true;
  sink.onPut = () => (down ? new LogSinkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:4600') : 'ok');
  const s = shipper(log, sink, store());
  for (const l of numbered(0, 40_000)) log.write(l);
  await until(() => sink.puts > 5, 'a few failed attempts');
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(log.framesServed < 40_000, `reading paused at ${log.framesServed} lines while nothing could be shipped`);
  assert.equal(s.stats().dropped, 0);
  down = false;
  log.stop();
  await s.drained;
  assert.deepEqual(messages(sink), numbered(0, 40_000));
});

test('non-blocking mode: beyond max-buffer-size events are dropped (and counted) while CloudWatch Logs does not take them', async () => {
  const log = new FakeDockerLog();
  const sink = await sinkWithStream();
  let down = true;
  sink.onPut = () => (down ? new LogSinkError('ThrottlingException', 'Rate exceeded', 400) : 'ok');
  const s = shipper(log, sink, store(), { mode: 'non-blocking', 'max-buffer-size': '2k' });
  for (const l of numbered(0, 2000)) log.write(l);
  await until(() => log.framesServed === 2000, 'non-blocking reads on');
  down = false;
  log.stop();
  await s.drained;
  const got = messages(sink);
  assert.ok(got.length < 2000 && got.length > 0, `${got.length} shipped`);
  assert.equal(s.stats().dropped, 2000 - got.length);
  assert.deepEqual(got, numbered(0, 2000).filter((m) => got.includes(m)), 'what is kept keeps its order');
});

test('a stream deleted meanwhile is made again; a batch the service refuses is dropped, the rest goes on', async () => {
  const log = new FakeDockerLog();
  const sink = await sinkWithStream();
  const s = shipper(log, sink, store(), { 'awslogs-create-group': 'true' });
  log.write('before');
  await until(() => messages(sink).length === 1, 'first line');
  sink.streams.clear();
  sink.groups.clear();
  log.write('after the group was deleted');
  await until(() => messages(sink).length === 1 && messages(sink)[0] === 'after the group was deleted', 'recreated');
  const failures = s.stats().failures;
  sink.onPut = () => new LogSinkError('InvalidParameterException', 'Log event too old', 400);
  log.write('refused');
  await until(() => s.stats().failures > failures, 'refused');
  sink.onPut = undefined;
  log.write('accepted again');
  log.stop();
  await s.drained;
  assert.deepEqual(messages(sink), ['after the group was deleted', 'accepted again']);
});

test('the log breaks off while the container runs: followed again after what was read, even with stdout/stderr stamped out of order', async () => {
  const log = new FakeDockerLog();
  const sink = await sinkWithStream();
  // stderr lines stamped a little before the stdout line written ahead of them.
  for (let i = 0; i < 300; i++) log.write(`line ${i}`, i % 3 === 2 ? 'stderr' : 'stdout', T0 + BigInt(i) * 1000n - (i % 3 === 2 ? 1500n : 0n));
  log.breakAfter = 50;
  const s = shipper(log, sink, store());
  await until(() => log.follows === 2, 'a second follow');
  log.breakAfter = 77;
  log.write('later');
  await until(() => messages(sink).includes('later'), 'later');
  log.stop();
  await s.drained;
  assert.deepEqual(messages(sink), [...numbered(0, 300), 'later']);
});

test("the container stops while Docker's follow still reads the backlog: a last pass reads the rest", async () => {
  const log = new FakeDockerLog();
  const sink = await sinkWithStream();
  for (const l of numbered(0, 5000)) log.write(l);
  const s = shipper(log, sink, store());
  await until(() => log.follows === 1, 'the follow');
  for (const l of numbered(5000, 10_000)) log.write(l);
  log.stop();
  await s.drained;
  assert.equal(log.follows, 2, 'followed once more after the container stopped');
  assert.deepEqual(messages(sink), numbered(0, 10_000));
});

test('multiline through the shipper: Docker pieces joined, events grouped at each start line', async () => {
  const log = new FakeDockerLog();
  const sink = await sinkWithStream();
  const s = shipper(log, sink, store(), { 'awslogs-datetime-format': '%Y-%m-%d %H:%M:%S' });
  const long = 'x'.repeat(PARTIAL_BYTES + 100);
  log.write('2026-02-01 10:00:00 first event');
  log.write('  stack line 1', 'stderr');
  log.write(long.slice(0, PARTIAL_BYTES), 'stdout', undefined, true);
  log.write(long.slice(PARTIAL_BYTES));
  log.write('2026-02-01 10:00:01 second event');
  log.stop();
  await s.drained;
  assert.deepEqual(messages(sink), [`2026-02-01 10:00:00 first event\n  stack line 1\n${long}\n`, '2026-02-01 10:00:01 second event\n']);
});

test('AwslogsShipper: the stream is made before the container starts; a missing group fails the start as ECS says', async () => {
  const sink = new FakeCloudWatch();
  const log = new FakeDockerLog();
  const d = mkdtempSync(join(tmpdir(), 'berth-logs-'));
  dirs.push(d);
  const shipping = new AwslogsShipper({ source: log, sink: () => sink, region: 'us-east-1', dir: d, log: silent, flushDelayMs: 20 });
  const container = (name: string, options: Record<string, string>) => ({
    taskArn: TASK,
    containerName: name,
    containerId: `id-${name}`,
    dockerName: `ecs-${name}`,
    image: 'busybox',
    logConfiguration: { logDriver: 'awslogs' as const, options: { 'awslogs-group': '/ecs/web', 'awslogs-stream-prefix': 'web', ...options } },
  });
  await assert.rejects(shipping.prepare(container('a', {})), { message: 'failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.' });
  assert.ok(shipping.drained(TASK), 'a container that cannot start has no log to wait for');
  await shipping.prepare(container('b', { mode: 'non-blocking' }));
  await shipping.prepare(container('c', { 'awslogs-create-group': 'true' }));
  assert.ok(sink.stream('/ecs/web', 'web/c/0123456789abcdef0123456789abcdef'));
  assert.equal(shipping.drained(TASK), false, 'prepared containers count as not shipped yet');
  assert.deepEqual(shipping.dockerLogConfig({ logDriver: 'awslogs', options: { 'awslogs-group': 'g' } }), { Type: 'json-file', Config: { 'max-size': '32m', 'max-file': '5' } });
  assert.throws(() => shipping.dockerLogConfig({ logDriver: 'awslogs', options: {} }), /awslogs-group/);
  log.write('hello');
  shipping.ship(container('c', { 'awslogs-create-group': 'true' }));
  shipping.ship(container('b', { mode: 'non-blocking' }));
  log.stop();
  await shipping.whenDrained(TASK);
  assert.ok(shipping.drained(TASK));
  assert.deepEqual(sink.stream('/ecs/web', 'web/c/0123456789abcdef0123456789abcdef')!.map((e) => e.message), ['hello']);
  assert.deepEqual(sink.stream('/ecs/web', 'web/b/0123456789abcdef0123456789abcdef')!.map((e) => e.message), ['hello'], 'the non-blocking container made its stream when it could');
  await shipping.forget(TASK, ['a', 'b', 'c']);
  assert.equal(new CursorStore(d).list().length, 0);
  await shipping.close();
});
