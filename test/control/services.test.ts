import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RUNNING_SETTLE_MS } from '../../src/control/reconcile/plan-service.js';
import { ServiceScheduler } from '../../src/control/reconcile/scheduler.js';
import { Services } from '../../src/control/services.js';
import { addInstance, openCore, registerTd, rejectsWith, scope, type Core } from './fixture.js';

// Services against a real SQLite store: the API's shapes and errors, and the
// scheduler (observe → plan → apply) with agents simulated by their reports.

let core: Core;
let services: Services;
let scheduler: ServiceScheduler;
let now = 10_000;

before(async () => {
  core = await openCore();
  services = new Services(core.store, core.clusters, core.taskDefinitions, core.tasks);
  scheduler = new ServiceScheduler(core.store, core.tasks, { now: () => now, random: () => 0.5 });
});

after(async () => {
  await scheduler.stop();
  await core.close();
});

const web = (cluster: string, command = ['sleep', '3600']) =>
  registerTd(core, { family: `web-${cluster}`, containerDefinitions: [{ name: 'web', image: 'busybox', memory: 64, command }] });

async function cluster(name: string, instances = 1): Promise<string[]> {
  await core.clusters.create(scope, { clusterName: name }, 1);
  const arns: string[] = [];
  for (let i = 0; i < instances; i++) arns.push(await addInstance(core, { cluster: name, memory: 1024 }));
  return arns;
}

/** What agents report: pending tasks run, tasks told to stop stop. */
async function agents(clusterName: string, opts: { fail?: (taskDefinitionArn: string) => boolean } = {}): Promise<void> {
  now += 100;
  const rows = await core.store.db.selectFrom('tasks').selectAll().where('last_status', '<>', 'STOPPED').execute();
  for (const r of rows) {
    if (!r.cluster_arn.endsWith(`/${clusterName}`)) continue;
    let status = r.desired_status === 'STOPPED' ? 'STOPPED' : 'RUNNING';
    const input: Parameters<typeof core.tasks.submitTaskStateChange>[1] = { cluster: clusterName, task: r.arn, status };
    if (status === 'RUNNING' && opts.fail?.(r.task_definition_arn)) {
      status = 'STOPPED';
      Object.assign(input, { status, stopCode: 'TaskFailedToStart', reason: 'CannotStartContainerError' });
    }
    await core.tasks.submitTaskStateChange(scope, input, now);
  }
}

async function live(clusterName: string, serviceName: string): Promise<{ arn: string; startedBy: string | null; group: string; last: string }[]> {
  const rows = await core.store.db
    .selectFrom('tasks')
    .select(['arn', 'started_by', 'group_name', 'last_status'])
    .where('cluster_arn', '=', `arn:aws:ecs:us-east-1:000000000000:cluster/${clusterName}`)
    .where('service_name', '=', serviceName)
    .where('desired_status', '=', 'RUNNING')
    .where('last_status', '<>', 'STOPPED')
    .execute();
  return rows.map((r) => ({ arn: r.arn, startedBy: r.started_by, group: r.group_name, last: r.last_status }));
}

async function settle(clusterName: string, rounds = 10, opts: Parameters<typeof agents>[1] = {}): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await scheduler.pass();
    await agents(clusterName, opts);
    // Past RUNNING_SETTLE_MS: a task without health checks counts as healthy once it has run a moment.
    now += RUNNING_SETTLE_MS + 1000;
  }
}

test('CreateService answers ECS shapes: service ARN, one PRIMARY deployment ecs-svc/<19 digits>, defaults, tags', async () => {
  await cluster('shapes', 0);
  const td = await web('shapes');
  const s = await services.create(scope, { cluster: 'shapes', serviceName: 'web', taskDefinition: td, desiredCount: 2, tags: [{ key: 'team', value: 'a' }] }, now);
  assert.equal(s.serviceArn, 'arn:aws:ecs:us-east-1:000000000000:service/shapes/web');
  assert.equal(s.clusterArn, 'arn:aws:ecs:us-east-1:000000000000:cluster/shapes');
  assert.equal(s.status, 'ACTIVE');
  assert.equal(s.desiredCount, 2);
  assert.equal(s.launchType, 'EC2');
  assert.equal(s.schedulingStrategy, 'REPLICA');
  assert.deepEqual(s.deploymentConfiguration, { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: false, rollback: false } });
  assert.deepEqual(s.deploymentController, { type: 'ECS' });
  assert.equal(s.propagateTags, 'NONE');
  assert.deepEqual(s.tags, [{ key: 'team', value: 'a' }]);
  assert.equal(s.deployments!.length, 1);
  const d = s.deployments![0]!;
  assert.match(d.id!, /^ecs-svc\/[1-9]\d{18}$/);
  assert.equal(d.status, 'PRIMARY');
  assert.equal(d.rolloutState, 'IN_PROGRESS');
  assert.equal(d.rolloutStateReason, `ECS deployment ${d.id} in progress.`);
  assert.equal(d.taskDefinition, td);
  assert.match(s.currentServiceDeployment!, /^arn:aws:ecs:us-east-1:000000000000:service-deployment\/shapes\/web\/[A-Za-z0-9]{21}$/);
  assert.match(s.currentServiceRevisions![0]!.arn!, /^arn:aws:ecs:us-east-1:000000000000:service-revision\/shapes\/web\/\d{19}$/);

  // The very same request again answers the service; a different one is refused as ECS does.
  const again = await services.create(scope, { cluster: 'shapes', serviceName: 'web', taskDefinition: td, desiredCount: 2, tags: [{ key: 'team', value: 'a' }] }, now);
  assert.equal(again.deployments![0]!.id, d.id);
  await rejectsWith(services.create(scope, { cluster: 'shapes', serviceName: 'web', taskDefinition: td, desiredCount: 3 }, now), 'InvalidParameterException', 'Creation of service was not idempotent.');

  const listed = await services.list(scope, { cluster: 'shapes' });
  assert.deepEqual(listed.serviceArns, [s.serviceArn]);
  assert.deepEqual((await services.list(scope, { cluster: 'shapes', schedulingStrategy: 'DAEMON' })).serviceArns, []);
  const described = await services.describe(scope, { cluster: 'shapes', services: ['web', 'nope'], include: ['TAGS'] });
  assert.equal(described.services.length, 1);
  assert.deepEqual(described.failures, [{ arn: 'arn:aws:ecs:us-east-1:000000000000:service/shapes/nope', reason: 'MISSING' }]);
  const cl = await core.clusters.describe(scope, ['shapes']);
  assert.equal(cl.clusters[0]!.activeServicesCount, 1);
});

test('service errors use ECS codes and texts', async () => {
  await cluster('errors', 0);
  const td = await web('errors');
  await rejectsWith(services.update(scope, { cluster: 'errors', service: 'ghost', desiredCount: 1 }, now), 'ServiceNotFoundException', 'Service not found.');
  await rejectsWith(services.delete(scope, { cluster: 'errors', service: 'ghost' }, now), 'ServiceNotFoundException', 'Service not found.');
  await rejectsWith(services.create(scope, { cluster: 'errors', serviceName: 'bad name', taskDefinition: td, desiredCount: 1 }, now), 'InvalidParameterException');
  await rejectsWith(services.create(scope, { cluster: 'errors', serviceName: 'x', taskDefinition: 'nope:9', desiredCount: 1 }, now), 'InvalidParameterException', 'TaskDefinition not found.');
  await rejectsWith(services.create(scope, { cluster: 'errors', serviceName: 'x', taskDefinition: td, desiredCount: 1, launchType: 'FARGATE' }, now), 'InvalidParameterException');
  await rejectsWith(
    services.create(scope, { cluster: 'errors', serviceName: 'x', taskDefinition: td, desiredCount: 1, deploymentConfiguration: { minimumHealthyPercent: 150 } }, now),
    'InvalidParameterException',
  );
  await rejectsWith(services.create(scope, { cluster: 'nowhere', serviceName: 'x', taskDefinition: td, desiredCount: 1 }, now), 'ClusterNotFoundException');
  await rejectsWith(services.listByNamespace(scope, { namespace: 'ns' }), 'NamespaceNotFoundException');

  await services.create(scope, { cluster: 'errors', serviceName: 'busy', taskDefinition: td, desiredCount: 1 }, now);
  await rejectsWith(services.delete(scope, { cluster: 'errors', service: 'busy' }, now), 'InvalidParameterException', 'The service cannot be stopped while it is scaled above 0.');
  const deleted = await services.delete(scope, { cluster: 'errors', service: 'busy', force: true }, now);
  assert.equal(deleted.status, 'DRAINING');
  await rejectsWith(services.update(scope, { cluster: 'errors', service: 'busy', desiredCount: 2 }, now), 'ServiceNotActiveException', 'Service was not ACTIVE.');
  await rejectsWith(services.create(scope, { cluster: 'errors', serviceName: 'busy', taskDefinition: td, desiredCount: 1 }, now), 'InvalidParameterException', 'Creation of service was not idempotent.');
  await rejectsWith(core.clusters.delete(scope, 'errors'), 'ClusterContainsServicesException');
  await rejectsWith(services.requireExists(scope, 'errors', 'ghost'), 'ServiceNotFoundException', 'Service not found.');
});

test('the scheduler keeps desiredCount: places with startedBy = deployment and group service:NAME, replaces a stopped task once, reaches steady state', async () => {
  await cluster('keep', 2);
  const td = await web('keep');
  const s = await services.create(scope, { cluster: 'keep', serviceName: 'web', taskDefinition: td, desiredCount: 3 }, now);
  const deployment = s.deployments![0]!.id!;
  await scheduler.pass();
  await scheduler.pass();
  let tasks = await live('keep', 'web');
  assert.equal(tasks.length, 3, 'placed once, however many passes');
  assert.ok(tasks.every((t) => t.startedBy === deployment && t.group === 'service:web'));
  await settle('keep', 3);
  let d = (await services.describe(scope, { cluster: 'keep', services: ['web'] })).services[0]!;
  assert.equal(d.runningCount, 3);
  assert.equal(d.deployments![0]!.rolloutState, 'COMPLETED');
  assert.equal(d.events![0]!.message, '(service web) has reached a steady state.');
  assert.equal(d.events!.filter((e) => /steady state/.test(e.message!)).length, 1);
  assert.match(d.events!.at(-1)!.message!, /^\(service web\) has started 3 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/);

  // A task dies: exactly one replacement.
  now += 100;
  await core.tasks.submitTaskStateChange(scope, { cluster: 'keep', task: tasks[0]!.arn, status: 'STOPPED', stopCode: 'EssentialContainerExited' }, now);
  await scheduler.pass();
  await scheduler.pass();
  tasks = await live('keep', 'web');
  assert.equal(tasks.length, 3);
  await settle('keep', 2);
  d = (await services.describe(scope, { cluster: 'keep', services: ['web'] })).services[0]!;
  assert.equal(d.runningCount, 3);
  assert.match(d.events![1]!.message!, /^\(service web\) has started 1 tasks: \(task [0-9a-f]{32}\)\.$/);
  assert.deepEqual((await core.tasks.list(scope, { cluster: 'keep', serviceName: 'web' })).taskArns.length, 3);
});

test('two schedulers racing on one store never start a task twice', async () => {
  await cluster('race', 2);
  const td = await web('race');
  await services.create(scope, { cluster: 'race', serviceName: 'web', taskDefinition: td, desiredCount: 4 }, now);
  const other = new ServiceScheduler(core.store, core.tasks, { now: () => now, random: () => 0.3 });
  await Promise.all([scheduler.pass(), other.pass(), scheduler.pass(), other.pass()]);
  assert.equal((await live('race', 'web')).length, 4);
});

test('a rolling update keeps minimumHealthyPercent, completes, and shows in ListServiceDeployments / DescribeServiceDeployments / DescribeServiceRevisions', async () => {
  await cluster('roll', 2);
  const v1 = await web('roll');
  await services.create(scope, { cluster: 'roll', serviceName: 'web', taskDefinition: v1, desiredCount: 4, deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 150 } }, now);
  await settle('roll', 3);
  const v2 = await web('roll', ['sleep', '7200']);
  const updated = await services.update(scope, { cluster: 'roll', service: 'web', taskDefinition: v2 }, now);
  assert.deepEqual(
    updated.deployments!.map((d) => [d.status, d.taskDefinition]),
    [
      ['PRIMARY', v2],
      ['ACTIVE', v1],
    ],
  );
  for (let i = 0; i < 10; i++) {
    await scheduler.pass();
    const rows = await core.store.db.selectFrom('tasks').select(['last_status', 'desired_status']).where('service_name', '=', 'web').where('cluster_arn', 'like', '%/roll').execute();
    const notStopped = rows.filter((r) => r.last_status !== 'STOPPED').length;
    const running = rows.filter((r) => r.last_status === 'RUNNING' && r.desired_status === 'RUNNING').length;
    assert.ok(notStopped <= 6, `${notStopped} tasks above 150% of 4`);
    assert.ok(running >= 2, `${running} running, below 50% of 4`);
    await agents('roll');
    now += RUNNING_SETTLE_MS + 1000;
  }
  const s = (await services.describe(scope, { cluster: 'roll', services: ['web'] })).services[0]!;
  assert.equal(s.deployments!.length, 1);
  assert.equal(s.deployments![0]!.taskDefinition, v2);
  assert.equal(s.deployments![0]!.rolloutState, 'COMPLETED');

  const list = await services.listDeployments(scope, { cluster: 'roll', service: 'web' });
  assert.deepEqual(
    list.serviceDeployments.map((d) => d.status),
    ['SUCCESSFUL', 'SUCCESSFUL'],
  );
  const [latest] = list.serviceDeployments;
  const described = await services.describeDeployments(scope, [latest!.serviceDeploymentArn!, latest!.serviceDeploymentArn!.replace(/[^/]+$/, 'AAAAAAAAAAAAAAAAAAAAA')]);
  assert.equal(described.serviceDeployments[0]!.targetServiceRevision!.arn, latest!.targetServiceRevisionArn);
  assert.equal(described.serviceDeployments[0]!.sourceServiceRevisions!.length, 1);
  assert.deepEqual(described.serviceDeployments[0]!.deploymentCircuitBreaker, { status: 'DISABLED', failureCount: 0, threshold: 3 });
  assert.equal(described.failures[0]!.reason, 'MISSING');
  const revisions = await services.describeRevisions(scope, [latest!.targetServiceRevisionArn!]);
  assert.equal(revisions.serviceRevisions[0]!.taskDefinition, v2);
  assert.deepEqual(revisions.serviceRevisions[0]!.containerImages, [{ containerName: 'web', image: 'busybox' }]);
});

test('the circuit breaker fails a revision whose tasks never start and rolls back to the last completed one', async () => {
  await cluster('breaker', 2);
  const good = await web('breaker');
  await services.create(
    scope,
    { cluster: 'breaker', serviceName: 'web', taskDefinition: good, desiredCount: 2, deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } },
    now,
  );
  await settle('breaker', 3);
  const bad = await web('breaker', ['false']);
  await services.update(scope, { cluster: 'breaker', service: 'web', taskDefinition: bad }, now);
  await settle('breaker', 12, { fail: (arn) => arn === bad });
  const s = (await services.describe(scope, { cluster: 'breaker', services: ['web'] })).services[0]!;
  assert.equal(s.taskDefinition, good);
  assert.equal(s.deployments!.length, 1);
  assert.equal(s.deployments![0]!.taskDefinition, good);
  assert.equal(s.runningCount, 2);
  const failed = (await services.listDeployments(scope, { cluster: 'breaker', service: 'web' })).serviceDeployments[0]!;
  assert.equal(failed.status, 'ROLLBACK_SUCCESSFUL');
  const detail = (await services.describeDeployments(scope, [failed.serviceDeploymentArn!])).serviceDeployments[0]!;
  assert.equal(detail.deploymentCircuitBreaker!.status, 'TRIGGERED');
  assert.ok(detail.rollback?.serviceRevisionArn);
  const row = await core.store.db.selectFrom('service_deployments').select(['rollout_state', 'body']).where('arn', '=', failed.serviceDeploymentArn!).executeTakeFirstOrThrow();
  assert.equal(row.rollout_state, 'FAILED');
  assert.equal(JSON.parse(row.body).rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
  assert.ok(s.events!.some((e) => /^\(service web\) \(deployment ecs-svc\/\d{19}\) deployment failed: tasks failed to start\.$/.test(e.message!)));
});

test('no instance with room: ECS\'s unable-to-place event, once', async () => {
  await cluster('full', 1);
  const td = await registerTd(core, { family: 'huge', containerDefinitions: [{ name: 'm', image: 'busybox', memory: 100_000 }] });
  await services.create(scope, { cluster: 'full', serviceName: 'huge', taskDefinition: td, desiredCount: 1 }, now);
  await scheduler.pass();
  now += 1000;
  await scheduler.pass();
  const s = (await services.describe(scope, { cluster: 'full', services: ['huge'] })).services[0]!;
  const unplaced = s.events!.filter((e) => /was unable to place a task/.test(e.message!));
  assert.equal(unplaced.length, 1);
  assert.match(
    unplaced[0]!.message!,
    /^\(service huge\) was unable to place a task because no container instance met all of its requirements\. The closest matching \(container-instance [0-9a-f]{32}\) has insufficient memory available\. For more information, see the Troubleshooting section\.$/,
  );
});

test('DeleteService --force: DRAINING while its tasks stop, then INACTIVE; the name can be used again', async () => {
  await cluster('gone', 1);
  const td = await web('gone');
  await services.create(scope, { cluster: 'gone', serviceName: 'web', taskDefinition: td, desiredCount: 2 }, now);
  await settle('gone', 2);
  const d = await services.delete(scope, { cluster: 'gone', service: 'web', force: true }, now);
  assert.equal(d.status, 'DRAINING');
  assert.equal(d.desiredCount, 0);
  await settle('gone', 3);
  const s = (await services.describe(scope, { cluster: 'gone', services: ['web'] })).services[0]!;
  assert.equal(s.status, 'INACTIVE');
  assert.equal(s.runningCount, 0);
  assert.deepEqual((await services.list(scope, { cluster: 'gone' })).serviceArns, []);
  const again = await services.create(scope, { cluster: 'gone', serviceName: 'web', taskDefinition: td, desiredCount: 0 }, now);
  assert.equal(again.status, 'ACTIVE');
  assert.equal(again.events!.length, 0);
});

test('draining an instance moves its service tasks elsewhere, never below minimumHealthyPercent; the instance stays DRAINING, empty', async () => {
  const [first, second] = await cluster('drain', 2);
  const td = await web('drain');
  await services.create(scope, { cluster: 'drain', serviceName: 'web', taskDefinition: td, desiredCount: 4 }, now);
  await settle('drain', 3);
  const onFirst = async () =>
    (await core.store.db.selectFrom('tasks').select('arn').where('container_instance_arn', '=', first!).where('last_status', '<>', 'STOPPED').execute()).length;
  assert.equal(await onFirst(), 2, 'spread over both instances');
  await core.instances.updateState(scope, { cluster: 'drain', containerInstances: [first!], status: 'DRAINING' });
  for (let i = 0; i < 8; i++) {
    await scheduler.pass();
    const running = (await live('drain', 'web')).filter((t) => t.last === 'RUNNING').length;
    assert.ok(running >= 4, `${running} running while draining, below 100% of 4`);
    await agents('drain');
    now += RUNNING_SETTLE_MS + 1000;
  }
  assert.equal(await onFirst(), 0);
  const s = (await services.describe(scope, { cluster: 'drain', services: ['web'] })).services[0]!;
  assert.equal(s.runningCount, 4);
  const rows = await core.store.db.selectFrom('tasks').select('container_instance_arn').where('service_name', '=', 'web').where('cluster_arn', 'like', '%/drain').where('last_status', '=', 'RUNNING').execute();
  assert.ok(rows.every((r) => r.container_instance_arn === second));
  const ci = await core.instances.describe(scope, { cluster: 'drain', containerInstances: [first!] });
  assert.equal(ci.containerInstances[0]!.status, 'DRAINING');
});

test('ListServices pages 10 at a time by default (up to 100 on request) and filters by launch type and scheduling strategy', async () => {
  await cluster('pages', 0);
  const td = await web('pages');
  for (let i = 0; i < 12; i++) await services.create(scope, { cluster: 'pages', serviceName: `s${String(i).padStart(2, '0')}`, taskDefinition: td, desiredCount: 0 }, now);
  const first = await services.list(scope, { cluster: 'pages' });
  assert.equal(first.serviceArns.length, 10);
  assert.ok(first.nextToken);
  const second = await services.list(scope, { cluster: 'pages', nextToken: first.nextToken });
  assert.equal(second.serviceArns.length, 2);
  assert.equal(second.nextToken, undefined);
  assert.equal(new Set([...first.serviceArns, ...second.serviceArns]).size, 12);
  assert.equal((await services.list(scope, { cluster: 'pages', maxResults: 100, launchType: 'EC2', schedulingStrategy: 'REPLICA' })).serviceArns.length, 12);
  assert.equal((await services.list(scope, { cluster: 'pages', launchType: 'FARGATE' })).serviceArns.length, 0);
  await rejectsWith(services.list(scope, { cluster: 'pages', nextToken: 'garbage' }), 'InvalidParameterException');
  await rejectsWith(services.list(scope, { cluster: 'pages', maxResults: 101 }), 'InvalidParameterException');
});

test('a DAEMON service runs one task on every instance, including one that registers later; its desired count follows', async () => {
  await cluster('daemons', 3);
  const td = await web('daemons');
  await rejectsWith(
    services.create(scope, { cluster: 'daemons', serviceName: 'd', taskDefinition: td, schedulingStrategy: 'DAEMON', desiredCount: 3 }, now),
    'InvalidParameterException',
    'The daemon scheduling strategy does not support a desired count for services.',
  );
  const created = await services.create(scope, { cluster: 'daemons', serviceName: 'd', taskDefinition: td, schedulingStrategy: 'DAEMON' }, now);
  assert.equal(created.schedulingStrategy, 'DAEMON');
  assert.deepEqual(created.deploymentConfiguration, { maximumPercent: 100, minimumHealthyPercent: 0, deploymentCircuitBreaker: { enable: false, rollback: false } });
  await settle('daemons', 3);
  let s = (await services.describe(scope, { cluster: 'daemons', services: ['d'] })).services[0]!;
  assert.equal(s.desiredCount, 3);
  assert.equal(s.runningCount, 3);
  assert.equal(s.deployments![0]!.rolloutState, 'COMPLETED');
  const perInstance = async () =>
    (await core.store.db.selectFrom('tasks').select('container_instance_arn').where('service_name', '=', 'd').where('last_status', '=', 'RUNNING').execute()).map((r) => r.container_instance_arn);
  assert.equal(new Set(await perInstance()).size, 3);

  await addInstance(core, { cluster: 'daemons', memory: 1024 });
  await settle('daemons', 3);
  s = (await services.describe(scope, { cluster: 'daemons', services: ['d'] })).services[0]!;
  assert.equal(s.desiredCount, 4);
  assert.equal(s.runningCount, 4);
  assert.equal(new Set(await perInstance()).size, 4);
  assert.deepEqual((await services.list(scope, { cluster: 'daemons', schedulingStrategy: 'DAEMON' })).serviceArns, [s.serviceArn]);
  await rejectsWith(services.update(scope, { cluster: 'daemons', service: 'd', desiredCount: 2 }, now), 'InvalidParameterException');
  // A daemon needs no scaling down before DeleteService.
  assert.equal((await services.delete(scope, { cluster: 'daemons', service: 'd' }, now)).status, 'DRAINING');
  await settle('daemons', 3);
  assert.equal((await services.describe(scope, { cluster: 'daemons', services: ['d'] })).services[0]!.status, 'INACTIVE');
});

test('forceNewDeployment starts a new deployment of the same revision; deployment alarms are accepted, stored and shown', async () => {
  await cluster('force', 1);
  const td = await web('force');
  const alarms = { alarmNames: ['high-5xx'], enable: true, rollback: true };
  const created = await services.create(scope, { cluster: 'force', serviceName: 'web', taskDefinition: td, desiredCount: 1, deploymentConfiguration: { alarms } }, now);
  assert.deepEqual(created.deploymentConfiguration!.alarms, alarms);
  await settle('force', 3);
  const same = await services.update(scope, { cluster: 'force', service: 'web', desiredCount: 1 }, now);
  assert.equal(same.deployments!.length, 1, 'no new deployment for an update that changes nothing that runs');
  const forced = await services.update(scope, { cluster: 'force', service: 'web', forceNewDeployment: true }, now);
  assert.equal(forced.deployments!.length, 2);
  assert.deepEqual(
    forced.deployments!.map((d) => [d.status, d.taskDefinition]),
    [
      ['PRIMARY', td],
      ['ACTIVE', td],
    ],
  );
  const [latest] = (await services.listDeployments(scope, { cluster: 'force', service: 'web' })).serviceDeployments;
  const detail = (await services.describeDeployments(scope, [latest!.serviceDeploymentArn!])).serviceDeployments[0]!;
  assert.deepEqual(detail.alarms, { status: 'MONITORING', alarmNames: ['high-5xx'], triggeredAlarmNames: [] });
  assert.equal(detail.sourceServiceRevisions!.length, 1);
  await settle('force', 4);
  const s = (await services.describe(scope, { cluster: 'force', services: ['web'] })).services[0]!;
  assert.equal(s.deployments!.length, 1);
  assert.equal(s.deployments![0]!.id, forced.deployments![0]!.id);
});
