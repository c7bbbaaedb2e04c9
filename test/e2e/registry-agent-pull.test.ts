import { DescribeTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand, type ECSClient } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildTestImage, containersOfTask, removeAgentLeftovers, requireDocker, TEST_IMAGE } from '../support/docker.js';
import { aws, ecsClient, startBerth, waitForTask, type Berth } from './harness.js';

// Task definitions name images by their repositoryUri; the agent pulls them
// from berth's registry with a token it gets itself: no `docker login` on
// the agent's side.

let b: Berth;
let ecs: ECSClient;
let dockerConfig: string;
let image: string;
const started: string[] = [];

function docker(args: string[], input?: string) {
  return spawnSync('docker', args, { env: { ...process.env, DOCKER_CONFIG: dockerConfig }, input, encoding: 'utf8', timeout: 120_000 });
}

before(async () => {
  if (!requireDocker()) return;
  buildTestImage();
  dockerConfig = mkdtempSync(join(tmpdir(), 'berth-docker-config-'));
  b = await startBerth({ localAgent: true, extraArgs: ['--image-pull-behavior', 'always'] });
  ecs = ecsClient(b);
});

after(async () => {
  for (const arn of started) {
    const ids = containersOfTask(arn);
    if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  }
  if (image) spawnSync('docker', ['rmi', '-f', image], { stdio: 'ignore' });
  await b?.stop();
  if (b) removeAgentLeftovers(join(b.dataDir, 'agent', 'tasks'));
  if (dockerConfig) rmSync(dockerConfig, { recursive: true, force: true });
});

test('a task whose image is in berth registry runs: the agent pulls it with its own token', async (t) => {
  if (!requireDocker(t)) return;
  const repo = aws(b, ['ecr', 'create-repository', '--repository-name', 'pulled/app']);
  assert.equal(repo.status, 0, repo.stderr);
  const uri: string = repo.json.repository.repositoryUri;
  image = `${uri}:1`;
  const password = aws(b, ['ecr', 'get-login-password']).stdout.trim();
  const host = uri.slice(0, uri.indexOf('/'));
  assert.equal(docker(['login', '--username', 'AWS', '--password-stdin', host], password).status, 0);
  assert.equal(docker(['tag', TEST_IMAGE, image]).status, 0);
  const push = docker(['push', image]);
  assert.equal(push.status, 0, push.stderr);
  const pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1];
  assert.ok(pushedDigest, push.stdout);
  // Gone from the engine, and no credentials in the default docker config: only the agent's token can bring it back.
  assert.equal(docker(['rmi', image]).status, 0);

  const td = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'registry-pull',
      containerDefinitions: [{ name: 'app', image, memory: 64, essential: true, command: ['sh', '-c', 'echo pulled'] }],
    }),
  );
  const run = await ecs.send(new RunTaskCommand({ taskDefinition: td.taskDefinition!.taskDefinitionArn! }));
  assert.deepEqual(run.failures, []);
  const taskArn = run.tasks![0]!.taskArn!;
  started.push(taskArn);
  await waitForTask(ecs, taskArn, 'STOPPED', { timeoutMs: 90_000 });
  const task = (await ecs.send(new DescribeTasksCommand({ tasks: [taskArn] }))).tasks![0]!;
  const container = task.containers![0]!;
  assert.equal(container.exitCode, 0, `${task.stoppedReason} ${container.reason}`);
  assert.equal(container.imageDigest, pushedDigest);
  assert.ok(task.pullStartedAt && task.pullStoppedAt, 'the pull is timed on the task');

  const described = aws(b, ['ecr', 'describe-images', '--repository-name', 'pulled/app']);
  assert.ok(described.json.imageDetails[0].lastRecordedPullTime, 'the agent pull is recorded');
});

test('without a token the registry refuses the pull (so the agent really brought its own)', async (t) => {
  if (!requireDocker(t)) return;
  const empty = mkdtempSync(join(tmpdir(), 'berth-docker-empty-'));
  try {
    const r = spawnSync('docker', ['pull', image], { env: { ...process.env, DOCKER_CONFIG: empty }, encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no basic auth credentials|unauthorized|authentication required/i);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
