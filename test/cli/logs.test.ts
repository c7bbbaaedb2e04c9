import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSince, taskLogSources } from '../../src/cli/logs.js';

test('--since takes durations and times', () => {
  const now = Date.parse('2026-12-03T12:00:00Z');
  assert.equal(parseSince('10m', now), now - 600_000);
  assert.equal(parseSince('30s', now), now - 30_000);
  assert.equal(parseSince('2h', now), now - 7_200_000);
  assert.equal(parseSince('1d', now), now - 86_400_000);
  assert.equal(parseSince('1w', now), now - 604_800_000);
  assert.equal(parseSince('2026-12-03T11:00:00Z', now), now - 3_600_000);
  assert.throws(() => parseSince('ten minutes', now), /--since ten minutes: give a duration such as 30s/);
});

test("a task's awslogs streams are named as ECS names them", () => {
  const arn = 'arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef';
  const found = taskLogSources(
    { taskArn: arn, containers: [{ name: 'sidecar', runtimeId: 'c0ffee' }] },
    {
      containerDefinitions: [
        { name: 'web', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web', 'awslogs-stream-prefix': 'web' } } },
        { name: 'sidecar', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/side', 'awslogs-region': 'eu-west-1' } } },
        { name: 'bare', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web' } } },
        { name: 'plain' },
        { name: 'file', logConfiguration: { logDriver: 'json-file' } },
      ],
    },
    'us-east-1',
  );
  assert.deepEqual(found.sources, [
    { region: 'us-east-1', group: '/ecs/web', stream: 'web/web/0123456789abcdef0123456789abcdef', label: 'web/0123456789abcdef0123456789abcdef' },
    // No prefix: the stream is the container's id.
    { region: 'eu-west-1', group: '/ecs/side', stream: 'c0ffee', label: 'sidecar/0123456789abcdef0123456789abcdef' },
  ]);
  assert.deepEqual(found.unnamed, ['bare']);
});
