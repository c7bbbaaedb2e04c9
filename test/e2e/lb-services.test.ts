import { DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand, type ECSClient, type Service, type Task } from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { request } from 'undici';
import { buildTestImage, containersOfTask, removeAgentLeftovers, requireDocker, TEST_IMAGE } from '../support/docker.js';
import { aws, ecsClient, startBerth, type Berth } from './harness.js';

// An Application Load Balancer in front of ECS services, end to end: the AWS
// CLI creates the load balancer, two target groups, a listener on a loopback
// port and its rules; two busybox httpd services on dynamic host ports
// register in them; curl-style requests through the listener reach every
// task, `/api/*` reaches the second service, fixed-response and redirect
// rules answer by themselves; a task whose health check starts failing stops
// getting traffic and is replaced; a rolling deployment under 20 concurrent
// clients loses no request.

let b: Berth;
let ecs: ECSClient;
let listenerPort = 0;
let webGroup = '';
let apiGroup = '';
let listenerArn = '';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cli(args: string[]) {
  const r = aws(b, args);
  assert.equal(r.status, 0, `aws ${args.join(' ')}: ${r.stderr}`);
  return r.json;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A busybox httpd that answers its own container hostname (which task) and `mark` (which revision), with /health for the load balancer. */
async function httpd(family: string, mark: string): Promise<string> {
  const script = [
    'mkdir -p /www/api /www/cgi-bin',
    "printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\nenv\\n' > /www/cgi-bin/env",
    'chmod +x /www/cgi-bin/env',
    `echo "${mark} $(hostname)" > /www/index.html`,
    `echo "api ${mark} $(hostname)" > /www/api/index.html`,
    'echo ok > /www/health',
    'exec httpd -f -p 80 -h /www',
  ].join(' && ');
  const r = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: [{ name: 'web', image: TEST_IMAGE, memory: 32, stopTimeout: 2, portMappings: [{ containerPort: 80, hostPort: 0 }], command: ['sh', '-c', script] }],
    }),
  );
  return r.taskDefinition!.taskDefinitionArn!;
}

async function describe(name: string): Promise<Service> {
  return (await ecs.send(new DescribeServicesCommand({ services: [name] }))).services![0]!;
}

async function serviceTasks(name: string): Promise<Task[]> {
  const arns = (await ecs.send(new ListTasksCommand({ serviceName: name, desiredStatus: 'RUNNING' }))).taskArns!;
  return arns.length ? (await ecs.send(new DescribeTasksCommand({ tasks: arns }))).tasks! : [];
}

function targetHealth(group: string): { Target: { Id: string; Port: number }; TargetHealth: { State: string; Reason?: string } }[] {
  return cli(['elbv2', 'describe-target-health', '--target-group-arn', group]).TargetHealthDescriptions;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** Every target of the group healthy, `n` of them. */
const healthyTargets = (group: string, n: number) => waitFor(`${n} healthy targets`, () => {
  const h = targetHealth(group);
  return h.length === n && h.every((d) => d.TargetHealth.State === 'healthy') ? h : undefined;
});

async function get(path: string): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const r = await request(`http://127.0.0.1:${listenerPort}${path}`, { headersTimeout: 10_000, bodyTimeout: 10_000 });
  return { status: r.statusCode, body: (await r.body.text()).trim(), headers: r.headers };
}

before(async () => {
  if (!requireDocker()) return;
  buildTestImage();
  b = await startBerth({ localAgent: true });
  ecs = ecsClient(b);
});

after(async () => {
  ecs?.destroy();
  await b?.stop();
  if (b) {
    removeAgentLeftovers(join(b.dataDir, 'agent', 'tasks'));
    rmSync(b.dataDir, { recursive: true, force: true });
  }
});

test('an ALB with a listener on a loopback port spreads 300 requests over a 3-task service on dynamic ports', async (t) => {
  if (!requireDocker(t)) return;
  const lb = cli(['elbv2', 'create-load-balancer', '--name', 'front', '--subnets', 'subnet-a', 'subnet-b']).LoadBalancers[0];
  assert.equal(lb.Type, 'application');
  assert.equal(lb.State.Code, 'active');
  const vpc = lb.VpcId;
  const group = (name: string, path: string) =>
    cli([
      'elbv2', 'create-target-group', '--name', name, '--protocol', 'HTTP', '--port', '80', '--vpc-id', vpc,
      '--health-check-path', path, '--health-check-interval-seconds', '5', '--health-check-timeout-seconds', '2',
      '--healthy-threshold-count', '2', '--unhealthy-threshold-count', '2',
    ]).TargetGroups[0].TargetGroupArn as string;
  webGroup = group('web', '/health');
  apiGroup = group('api', '/health');
  for (const g of [webGroup, apiGroup]) {
    cli(['elbv2', 'modify-target-group-attributes', '--target-group-arn', g, '--attributes', 'Key=deregistration_delay.timeout_seconds,Value=3']);
  }
  listenerPort = await freePort();
  const listener = cli([
    'elbv2', 'create-listener', '--load-balancer-arn', lb.LoadBalancerArn, '--protocol', 'HTTP', '--port', String(listenerPort),
    '--default-actions', `Type=forward,TargetGroupArn=${webGroup}`,
  ]).Listeners[0];
  listenerArn = listener.ListenerArn;
  cli(['elbv2', 'wait', 'load-balancer-available', '--load-balancer-arns', lb.LoadBalancerArn]);

  const td = await httpd('lb-web', 'v1');
  cli([
    'ecs', 'create-service', '--service-name', 'web', '--task-definition', td, '--desired-count', '3',
    '--load-balancers', `targetGroupArn=${webGroup},containerName=web,containerPort=80`, '--health-check-grace-period-seconds', '5',
  ]);
  const healthy = await healthyTargets(webGroup, 3);
  // Bridge mode: targets are the instance and the host port Docker picked for each task.
  const tasks = await serviceTasks('web');
  const hostPorts = tasks.map((x) => x.containers![0]!.networkBindings![0]!.hostPort).sort();
  assert.deepEqual(healthy.map((h) => h.Target.Port).sort(), hostPorts);
  assert.ok(healthy.every((h) => /^i-[0-9a-f]{17}$/.test(h.Target.Id)));
  cli(['ecs', 'wait', 'services-stable', '--services', 'web']);

  const seen = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    const r = await get('/');
    assert.equal(r.status, 200);
    assert.match(r.body, /^v1 [0-9a-f]{12}$/);
    seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
  }
  assert.equal(seen.size, 3, `requests reached ${[...seen.keys()].join(', ')}`);
  for (const n of seen.values()) assert.ok(n >= 50, `uneven spread: ${[...seen.values()].join(', ')}`);
  const events = (await describe('web')).events!.map((e) => e.message!);
  assert.ok(events.some((m) => m.startsWith('(service web) registered ') && m.includes(`(target-group ${webGroup})`)), events.join('\n'));
  // What the listener adds on the way in, as the target's CGI environment shows it.
  const env = await get('/cgi-bin/env');
  assert.equal(env.status, 200, env.body);
  assert.match(env.body, /^HTTP_X_FORWARDED_FOR=127\.0\.0\.1$/m);
  assert.match(env.body, /^HTTP_X_FORWARDED_PROTO=http$/m);
  assert.match(env.body, new RegExp(`^HTTP_X_FORWARDED_PORT=${listenerPort}$`, 'm'));
  assert.match(env.body, /^HTTP_X_AMZN_TRACE_ID=Root=1-[0-9a-f]{8}-[0-9a-f]{24}/m);
});

test('rules: /api/* goes to a second service, fixed-response and redirect answer by themselves', async (t) => {
  if (!requireDocker(t)) return;
  cli([
    'elbv2', 'create-rule', '--listener-arn', listenerArn, '--priority', '10',
    '--conditions', 'Field=path-pattern,Values=/api/*', '--actions', `Type=forward,TargetGroupArn=${apiGroup}`,
  ]);
  cli([
    'elbv2', 'create-rule', '--listener-arn', listenerArn, '--priority', '20',
    '--conditions', 'Field=path-pattern,Values=/fixed',
    '--actions', 'Type=fixed-response,FixedResponseConfig={StatusCode=418,ContentType=text/plain,MessageBody=short and stout}',
  ]);
  cli([
    'elbv2', 'create-rule', '--listener-arn', listenerArn, '--priority', '30',
    '--conditions', 'Field=path-pattern,Values=/old/*',
    '--actions', JSON.stringify([{ Type: 'redirect', RedirectConfig: { Path: '/new/#{path}', StatusCode: 'HTTP_301' } }]),
  ]);
  const dup = aws(b, [
    'elbv2', 'create-rule', '--listener-arn', listenerArn, '--priority', '10',
    '--conditions', 'Field=path-pattern,Values=/x', '--actions', `Type=forward,TargetGroupArn=${apiGroup}`,
  ]);
  assert.notEqual(dup.status, 0);
  assert.match(dup.stderr, /\(PriorityInUse\)/);

  const td = await httpd('lb-api', 'v1');
  cli(['ecs', 'create-service', '--service-name', 'api', '--task-definition', td, '--desired-count', '1', '--load-balancers', `targetGroupArn=${apiGroup},containerName=web,containerPort=80`]);
  await healthyTargets(apiGroup, 1);

  for (let i = 0; i < 10; i++) {
    const api = await get('/api/');
    assert.equal(api.status, 200);
    assert.match(api.body, /^api v1 /);
    assert.match((await get('/')).body, /^v1 /);
  }
  const fixed = await get('/fixed');
  assert.equal(fixed.status, 418);
  assert.equal(fixed.body, 'short and stout');
  assert.match(String(fixed.headers['content-type']), /^text\/plain/);
  const moved = await get('/old/page?x=1');
  assert.equal(moved.status, 301);
  assert.equal(moved.headers.location, `http://127.0.0.1:${listenerPort}/new/old/page?x=1`);
});

test('a task whose health check starts failing stops getting traffic and is replaced', async (t) => {
  if (!requireDocker(t)) return;
  const [victim] = await serviceTasks('web');
  const port = victim!.containers![0]!.networkBindings![0]!.hostPort!;
  const hostname = (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim().split(' ')[1]!;
  const [container] = containersOfTask(victim!.taskArn!);
  const broke = spawnSync('docker', ['exec', container!, 'rm', '/www/health'], { encoding: 'utf8' });
  assert.equal(broke.status, 0, broke.stderr);
  const brokeAt = Date.now();

  const unhealthy = await waitFor('the target to turn unhealthy', () => targetHealth(webGroup).find((d) => d.Target.Port === port && d.TargetHealth.State !== 'healthy'));
  // interval 5 s × unhealthy threshold 2, plus one interval of slack for where in its cycle the check was.
  assert.ok(Date.now() - brokeAt <= 20_000, `took ${Date.now() - brokeAt} ms`);
  assert.ok(['unhealthy', 'draining'].includes(unhealthy.TargetHealth.State));
  for (let i = 0; i < 30; i++) assert.ok(!(await get('/')).body.endsWith(hostname), 'an unhealthy target still got a request');

  const stopped = await waitFor('the task to be stopped', async () => {
    const x = (await ecs.send(new DescribeTasksCommand({ tasks: [victim!.taskArn!] }))).tasks![0]!;
    return x.desiredStatus === 'STOPPED' ? x : undefined;
  });
  assert.equal(stopped.stoppedReason, `Task failed ELB health checks in (target-group ${webGroup})`);
  const events = (await describe('web')).events!.map((e) => e.message!);
  assert.ok(
    events.some((m) => m === `(service web) (port ${port}) is unhealthy in (target-group ${webGroup}) due to (reason Health checks failed with these codes: [404]).`),
    events.slice(0, 8).join('\n'),
  );
  await healthyTargets(webGroup, 3);
});

test('a rolling deployment under 20 concurrent clients loses no request', async (t) => {
  if (!requireDocker(t)) return;
  const td = await httpd('lb-web', 'v2');
  let running = true;
  const failures: string[] = [];
  const bodies = new Map<string, number>();
  let requests = 0;
  const client = async () => {
    // Bounded: ends when the deployment is done or after 4 minutes, whichever is first.
    const deadline = Date.now() + 240_000;
    while (running && Date.now() < deadline) {
      try {
        const r = await get('/');
        requests++;
        if (r.status !== 200) failures.push(`${r.status} ${r.body.slice(0, 80)}`);
        const mark = r.body.split(' ')[0]!;
        bodies.set(mark, (bodies.get(mark) ?? 0) + 1);
      } catch (e) {
        failures.push(String(e));
      }
    }
  };
  const clients = Array.from({ length: 20 }, client);
  await ecs.send(new UpdateServiceCommand({ service: 'web', taskDefinition: td, deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 } }));
  const done = await waitFor(
    'the deployment to complete',
    async () => {
      const s = await describe('web');
      return s.deployments!.length === 1 && s.deployments![0]!.rolloutState === 'COMPLETED' && s.runningCount === 3 && s.deployments![0]!.taskDefinition === td ? s : undefined;
    },
    180_000,
  );
  // A few more seconds of traffic on the new revision alone.
  await sleep(2_000);
  running = false;
  await Promise.all(clients);
  assert.equal(done.deployments![0]!.taskDefinition, td);
  assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed`);
  assert.ok((bodies.get('v1') ?? 0) > 0 && (bodies.get('v2') ?? 0) > 0, JSON.stringify([...bodies]));
  assert.ok(requests > 200, `only ${requests} requests`);
  const events = done.events!.map((e) => e.message!);
  assert.ok(events.some((m) => /^\(service web\) has begun draining connections on \d+ tasks\.$/.test(m)), events.slice(0, 10).join('\n'));
});
