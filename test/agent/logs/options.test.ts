import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOCKER_LOG_CONFIG, parseAwslogsOptions, parseSize, streamName } from '../../../src/agent/logs/options.js';

const TASK = 'arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef';
const naming = { taskArn: TASK, containerName: 'web', containerId: 'f'.repeat(64), dockerName: 'ecs-web-1-web-abc', image: 'repo/web:1' };

test('the ECS options: group, region, stream prefix → prefix/container-name/task-id', () => {
  const o = parseAwslogsOptions({ 'awslogs-group': '/ecs/web', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'web' });
  assert.equal(o.group, '/ecs/web');
  assert.equal(o.region, 'eu-west-1');
  assert.equal(o.mode, 'blocking');
  assert.equal(o.createGroup, false);
  assert.equal(o.createStream, true);
  assert.equal(o.multiline, undefined);
  assert.equal(streamName(o, naming), 'web/web/0123456789abcdef0123456789abcdef');
});

test("without a prefix the stream is Docker's: the container id, awslogs-stream, or the tag template", () => {
  assert.equal(streamName(parseAwslogsOptions({ 'awslogs-group': 'g' }), naming), 'f'.repeat(64));
  assert.equal(streamName(parseAwslogsOptions({ 'awslogs-group': 'g', 'awslogs-stream': 'mine' }), naming), 'mine');
  assert.equal(streamName(parseAwslogsOptions({ 'awslogs-group': 'g', tag: '{{.Name}}/{{.ID}}' }), naming), `ecs-web-1-web-abc/${'f'.repeat(12)}`);
  assert.throws(() => streamName(parseAwslogsOptions({ 'awslogs-group': 'g', tag: '{{.ImageID}}' }), naming), /berth fills only/);
});

test("Docker's validation, with Docker's words", () => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{}, /: must specify a value for log opt 'awslogs-group'$/],
    [{ 'awslogs-group': 'g', 'awslogs-colour': 'blue' }, /: unknown log opt 'awslogs-colour' for awslogs log driver$/],
    [{ 'awslogs-group': 'g', 'awslogs-create-group': 'yes' }, /: must specify valid value for log opt 'awslogs-create-group': strconv.ParseBool: parsing "yes": invalid syntax$/],
    [{ 'awslogs-group': 'g', 'awslogs-datetime-format': '%Y', 'awslogs-multiline-pattern': 'x' }, /at the same time/],
    [{ 'awslogs-group': 'g', 'awslogs-force-flush-interval-seconds': '0' }, /positive integer/],
    [{ 'awslogs-group': 'g', 'awslogs-max-buffered-events': 'many' }, /positive integer/],
    [{ 'awslogs-group': 'g', 'awslogs-format': 'xml' }, /: unsupported log format 'xml'$/],
    [{ 'awslogs-group': 'g', 'awslogs-format': 'json/emf', 'awslogs-multiline-pattern': 'x' }, /when log opt 'awslogs-format' is set to 'json\/emf'/],
    [{ 'awslogs-group': 'g', mode: 'lossy' }, /: logger: logging mode not supported: lossy$/],
    [{ 'awslogs-group': 'g', mode: 'non-blocking', 'max-buffer-size': 'lots' }, /: invalid size: 'lots'$/],
    [{ 'awslogs-group': 'g', 'awslogs-multiline-pattern': '(' }, /: awslogs could not parse multiline pattern key/],
  ];
  for (const [opts, re] of bad) assert.throws(() => parseAwslogsOptions(opts), re, JSON.stringify(opts));
});

test('modes, sizes, create-group, multiline and the options berth has no use for', () => {
  const o = parseAwslogsOptions({
    'awslogs-group': 'g',
    'awslogs-create-group': 'true',
    mode: 'non-blocking',
    'max-buffer-size': '25m',
    'awslogs-datetime-format': '%Y-%m-%d',
    'awslogs-force-flush-interval-seconds': '2',
    'awslogs-endpoint': 'https://logs.us-east-1.amazonaws.com',
  });
  assert.equal(o.createGroup, true);
  assert.equal(o.mode, 'non-blocking');
  assert.equal(o.maxBufferBytes, 25 * 1024 * 1024);
  assert.equal(o.flushIntervalMs, 2000);
  assert.ok(o.multiline?.test('2026-02-03 x'));
  assert.deepEqual(o.ignored, ['awslogs-endpoint']);
  assert.equal(parseAwslogsOptions({ 'awslogs-group': 'g', 'awslogs-create-stream': 'false' }).createStream, false);
  assert.equal(parseSize('1m'), 1024 * 1024);
  assert.equal(parseSize('512KiB'), 512 * 1024);
  assert.equal(parseSize('1000'), 1000);
  assert.equal(parseSize('1.5g'), 1.5 * 1024 ** 3);
  assert.equal(DOCKER_LOG_CONFIG.Type, 'json-file');
  assert.ok(DOCKER_LOG_CONFIG.Config['max-size'] && DOCKER_LOG_CONFIG.Config['max-file']);
});
