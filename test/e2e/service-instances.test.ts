import {
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildTestImage, removeAgentLeftovers, requireDocker, TEST_IMAGE } from '../support/docker.js';
import { aws, ecsClient, startAgent, startBerth, type AgentProcess, type Berth } from './harness.js';

// Services across several container instances, on real containers: a DAEMON
// service on every instance (and on one that joins later), and an instance
// set to DRAINING whose service tasks move elsewhere within
// minimumHealthyPercent, the daemon's task there stopped last.

let b: Berth;
let ecs: ECSClient;
const agents: AgentProcess[] = [];

before(async () => {
  if (!requireDocker()) return;
  buildTestImage();
  b = await startBerth({ localAgent: true });
  ecs = ecsClient(b);
  // Three container instances: berth up's own and two `berth agent`s.
  for (let i = 0; i < 2; i++) agents.push(await startAgent(b));
});

after(async () => {
  ecs?.destroy();
  for (const a of agents) await a.stop();
  await b?.stop();
  for (const a of agents) {
    removeAgentLeftovers(join(a.dataDir, 'tasks'));
    rmSync(a.dataDir, { recursive: true, force: true });
  }
  if (b) {
    removeAgentLeftovers(join(b.dataDir, 'agent', 'tasks'));
    rmSync(b.dataDir, { recursive: true, force: true });
  }
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function register(family: string): Promise<string> {
  const r = await ecs.send(
    new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: 'main', image: TEST_IMAGE, memory: 16, stopTimeout: 2, command: ['sleep', '3600'] }] }),
  );
  return r.taskDefinition!.taskDefinitionArn!;
}

async function describe(name: string): Promise<Service> {
  return (await ecs.send(new DescribeServicesCommand({ services: [name] }))).services![0]!;
}

async function tasksOf(name: string): Promise<Task[]> {
  const arns = (await ecs.send(new ListTasksCommand({ serviceName: name }))).taskArns!;
  return arns.length ? (await ecs.send(new DescribeTasksCommand({ tasks: arns }))).tasks! : [];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await sleep(250);
  }
}

test('a DAEMON service runs one task on each of the 3 instances, and a 4th instance gets one within seconds', async (t) => {
  if (!requireDocker(t)) return;
  const td = await register('daemon');
  const created = aws(b, ['ecs', 'create-service', '--service-name', 'node-agent', '--task-definition', td, '--scheduling-strategy', 'DAEMON']);
  assert.equal(created.status, 0, created.stderr);
  const three = await until('3 daemon tasks running', async () => {
    const s = await describe('node-agent');
    return s.desiredCount === 3 && s.runningCount === 3 && s.deployments![0]!.rolloutState === 'COMPLETED' ? s : undefined;
  });
  assert.equal(three.schedulingStrategy, 'DAEMON');
  assert.equal(new Set((await tasksOf('node-agent')).map((x) => x.containerInstanceArn)).size, 3);

  const joined = Date.now();
  agents.push(await startAgent(b));
  await until('the 4th instance runs the daemon', async () => {
    const s = await describe('node-agent');
    return s.desiredCount === 4 && s.runningCount === 4 ? s : undefined;
  });
  const took = Date.now() - joined;
  assert.ok(took < 20_000, `the new instance got its daemon task after ${took} ms`);
  assert.equal(new Set((await tasksOf('node-agent')).map((x) => x.containerInstanceArn)).size, 4);
});

test('draining an instance moves its service tasks elsewhere without dropping below minimumHealthyPercent; its daemon task stops last', async (t) => {
  if (!requireDocker(t)) return;
  const td = await register('spread');
  await ecs.send(new CreateServiceCommand({ serviceName: 'spread', taskDefinition: td, desiredCount: 4, deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 } }));
  await until('4 tasks running', async () => ((await describe('spread')).runningCount === 4 && (await describe('spread')).deployments![0]!.rolloutState === 'COMPLETED' ? true : undefined));
  const placed = await tasksOf('spread');
  assert.equal(new Set(placed.map((x) => x.containerInstanceArn)).size, 4, 'spread over the 4 instances');
  const victim = placed[0]!.containerInstanceArn!;

  const drain = aws(b, ['ecs', 'update-container-instances-state', '--container-instances', victim, '--status', 'DRAINING']);
  assert.equal(drain.status, 0, drain.stderr);
  await until('the draining instance emptied', async () => {
    const s = await describe('spread');
    const running = (await tasksOf('spread')).filter((x) => x.lastStatus === 'RUNNING');
    assert.ok(running.length >= 4, `${running.length} running while draining (minimum 100% of 4)`);
    const left = running.filter((x) => x.containerInstanceArn === victim).length;
    return left === 0 && s.runningCount === 4 && s.deployments!.length === 1 ? true : undefined;
  });
  // Nothing else runs on the drained instance now: the daemon's task there is stopped, and the daemon wants one task fewer.
  const daemon = await until('the daemon task on the drained instance stopped', async () => {
    const s = await describe('node-agent');
    const onVictim = (await tasksOf('node-agent')).filter((x) => x.containerInstanceArn === victim);
    return onVictim.length === 0 && s.desiredCount === 3 && s.runningCount === 3 ? s : undefined;
  });
  assert.equal(daemon.desiredCount, 3);
  const ci = (await ecs.send(new ListContainerInstancesCommand({ status: 'DRAINING' }))).containerInstanceArns!;
  assert.deepEqual(ci, [victim], 'an emptied instance stays DRAINING');
});
