import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Targets } from '../../../src/control/elb/targets.js';
import { readDataPlaneConfig } from '../../../src/control/elb/data-plane-sync.js';
import { AwsError } from '../../../src/gateway/errors.js';
import { createLb, createTg, forward, NOW, openElb, scope, VPC } from './lb-fixture.js';

// Target groups and their targets against a real store: AWS's defaults,
// DescribeTargetHealth's states and reason codes through a target's life
// (initial → healthy → unhealthy → draining → gone), ECS's drain of a
// task's targets, and the configuration the data plane is handed.

const code = (c: string) => (e: unknown) => e instanceof AwsError && e.code === c;

test('CreateTargetGroup fills in ELBv2\'s defaults and checks its input', async () => {
  const core = await openElb();
  try {
    const tg = await core.targetGroups.create(scope, { Name: 'web', Protocol: 'HTTP', Port: 80, VpcId: VPC });
    assert.equal(tg.TargetType, 'instance');
    assert.equal(tg.HealthCheckProtocol, 'HTTP');
    assert.equal(tg.HealthCheckPort, 'traffic-port');
    assert.equal(tg.HealthCheckPath, '/');
    assert.deepEqual([tg.HealthCheckIntervalSeconds, tg.HealthCheckTimeoutSeconds, tg.HealthyThresholdCount, tg.UnhealthyThresholdCount], [30, 5, 5, 2]);
    assert.deepEqual(tg.Matcher, { HttpCode: '200' });
    assert.match(tg.TargetGroupArn!, /^arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup\/web\/[0-9a-f]{16}$/);
    const attrs = Object.fromEntries((await core.targetGroups.attributes(scope, tg.TargetGroupArn!)).map((a) => [a.Key, a.Value]));
    assert.equal(attrs['deregistration_delay.timeout_seconds'], '300');
    assert.equal(attrs['load_balancing.algorithm.type'], 'round_robin');
    // The same settings again: the same group (idempotent); others: DuplicateTargetGroupName.
    assert.equal((await core.targetGroups.create(scope, { Name: 'web', Protocol: 'HTTP', Port: 80, VpcId: VPC })).TargetGroupArn, tg.TargetGroupArn);
    await assert.rejects(core.targetGroups.create(scope, { Name: 'web', Protocol: 'HTTP', Port: 81, VpcId: VPC }), code('DuplicateTargetGroupName'));
    await assert.rejects(core.targetGroups.create(scope, { Name: '-bad', Protocol: 'HTTP', Port: 80, VpcId: VPC }), code('ValidationError'));
    await assert.rejects(core.targetGroups.create(scope, { Name: 'x', Protocol: 'HTTP', Port: 80, VpcId: VPC, HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 5 }), /greater than the timeout/);
    await assert.rejects(core.targetGroups.create(scope, { Name: 'x', Protocol: 'HTTP', Port: 80, VpcId: VPC, Matcher: { HttpCode: '600' } }), code('ValidationError'));
    await assert.rejects(core.targetGroups.create(scope, { Name: 'x', Protocol: 'HTTP', Port: 80 }), /A VPC ID must be specified/);
    await assert.rejects(core.targetGroups.modifyAttributes(scope, tg.TargetGroupArn!, [{ Key: 'nope', Value: '1' }]), /'nope' is not recognized/);
    await assert.rejects(core.targetGroups.modifyAttributes(scope, tg.TargetGroupArn!, [{ Key: 'deregistration_delay.timeout_seconds', Value: '4000' }]), code('ValidationError'));
    const tcp = await core.targetGroups.create(scope, { Name: 'tcp', Protocol: 'TCP', Port: 80, VpcId: VPC });
    assert.equal(tcp.HealthCheckProtocol, 'TCP');
    assert.equal(tcp.HealthCheckPath, undefined);
  } finally {
    await core.close();
  }
});

test('a target\'s life as DescribeTargetHealth shows it, and DeleteTargetGroup refuses a group in use', async () => {
  const core = await openElb();
  const targets = new Targets(core.store, { changed: () => {} });
  try {
    const tg = await createTg(core, 'api');
    await targets.register(scope, tg, [{ Id: '127.0.0.5', Port: 8080 }], NOW);
    const health = async (now = NOW + 5_000) => (await targets.describeHealth(scope, tg, undefined, now))[0]!.TargetHealth;
    assert.deepEqual(await health(), { State: 'unused', Reason: 'Target.NotInUse', Description: 'Target group is not configured to receive traffic from the load balancer' });

    const lb = await createLb(core, 'front');
    const listener = await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 18080, DefaultActions: forward(tg) });
    assert.equal((await health(NOW + 100))!.Reason, 'Elb.RegistrationInProgress');
    assert.deepEqual(await health(), { State: 'initial', Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' });
    await targets.recordHealth({ targetGroupArn: tg, id: '127.0.0.5', port: 8080, state: 'healthy' }, NOW + 6_000);
    assert.deepEqual(await health(), { State: 'healthy' });
    await targets.recordHealth({ targetGroupArn: tg, id: '127.0.0.5', port: 8080, state: 'unhealthy', reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [500]' }, NOW + 7_000);
    assert.deepEqual(await health(), { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: 'Health checks failed with these codes: [500]' });

    // Asking for a target that is not registered: unused, Target.NotRegistered (what the target-deregistered waiter reads).
    const other = await targets.describeHealth(scope, tg, [{ Id: '127.0.0.9', Port: 8080 }], NOW);
    assert.equal(other[0]!.TargetHealth!.Reason, 'Target.NotRegistered');

    await core.targetGroups.modifyAttributes(scope, tg, [{ Key: 'deregistration_delay.timeout_seconds', Value: '10' }]);
    await targets.deregister(scope, tg, [{ Id: '127.0.0.5', Port: 8080 }], NOW + 8_000);
    assert.equal((await health())!.State, 'draining');
    // A health report for a draining target changes nothing.
    await targets.recordHealth({ targetGroupArn: tg, id: '127.0.0.5', port: 8080, state: 'healthy' }, NOW + 9_000);
    assert.equal((await health())!.State, 'draining');
    assert.deepEqual(await targets.sweep(NOW + 17_000), []);
    assert.equal((await targets.describeHealth(scope, tg, undefined, NOW)).length, 1, 'still draining before the delay ends');
    await targets.sweep(NOW + 18_000);
    assert.equal((await targets.describeHealth(scope, tg, undefined, NOW)).length, 0);
    await assert.rejects(targets.deregister(scope, tg, [{ Id: '127.0.0.5', Port: 8080 }], NOW), code('InvalidTarget'));
    await assert.rejects(targets.register(scope, tg, [{ Id: 'not-an-ip' }], NOW), code('InvalidTarget'));

    await assert.rejects(core.targetGroups.delete(scope, tg), code('ResourceInUse'));
    await core.listeners.delete(scope, listener.ListenerArn!);
    await core.targetGroups.delete(scope, tg);
    await assert.rejects(targets.describeHealth(scope, tg, undefined, NOW), code('TargetGroupNotFound'));
  } finally {
    await core.close();
  }
});

test('an ECS task\'s targets drain together; the task is released when the last one is gone', async () => {
  const core = await openElb();
  const targets = new Targets(core.store, { changed: () => {} });
  try {
    const a = await createTg(core, 'a');
    const b = await createTg(core, 'b');
    await core.targetGroups.modifyAttributes(scope, a, [{ Key: 'deregistration_delay.timeout_seconds', Value: '5' }]);
    await core.targetGroups.modifyAttributes(scope, b, [{ Key: 'deregistration_delay.timeout_seconds', Value: '20' }]);
    const task = 'arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef';
    await core.store.transaction((tx) =>
      targets.registerTaskIn(tx, task, [
        { targetGroupArn: a, id: '127.1.0.7', port: 80, address: '127.1.0.7' },
        { targetGroupArn: b, id: '127.1.0.7', port: 80, address: '127.1.0.7' },
      ], NOW),
    );
    const drained = await core.store.transaction((tx) => targets.deregisterTaskIn(tx, task, NOW + 1_000));
    assert.equal(drained.until, NOW + 21_000);
    assert.deepEqual(drained.groups.sort(), [a, b].sort());
    assert.deepEqual(await targets.sweep(NOW + 7_000), [], 'one target still draining');
    assert.deepEqual(await targets.sweep(NOW + 21_000), [task]);
    const none = await core.store.transaction((tx) => targets.deregisterTaskIn(tx, task, NOW + 30_000));
    assert.equal(none.until, undefined, 'a task without targets stops at once');
  } finally {
    await core.close();
  }
});

test('the data plane is handed every listener with its rules in priority order and every group with its targets', async () => {
  const core = await openElb();
  const targets = new Targets(core.store, { changed: () => {} });
  try {
    const tg = await createTg(core, 'web');
    const lb = await createLb(core, 'front');
    await core.lbs.modifyAttributes(scope, lb, [{ Key: 'idle_timeout.timeout_seconds', Value: '7' }]);
    const l = await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 18081, DefaultActions: forward(tg) });
    await core.rules.create(scope, { ListenerArn: l.ListenerArn!, Priority: 20, Conditions: [{ Field: 'path-pattern', Values: ['/b/*'] }], Actions: forward(tg) });
    await core.rules.create(scope, { ListenerArn: l.ListenerArn!, Priority: 10, Conditions: [{ Field: 'path-pattern', Values: ['/a/*'] }], Actions: forward(tg) });
    await targets.register(scope, tg, [{ Id: '127.0.0.5' }], NOW);
    const config = await readDataPlaneConfig(core.store, core.certificatesDir);
    assert.equal(config.listeners.length, 1);
    const lc = config.listeners[0]!;
    assert.deepEqual([lc.address, lc.port, lc.protocol, lc.idleTimeoutMs, lc.loadBalancerType], ['127.0.0.1', 18081, 'HTTP', 7_000, 'application']);
    assert.deepEqual(lc.rules.map((r) => r.priority), [10, 20, 'default']);
    const g = config.targetGroups.find((x) => x.arn === tg)!;
    assert.equal(g.inUse, true);
    assert.deepEqual(g.targets.map((t) => [t.id, t.port, t.address, t.state]), [['127.0.0.5', 8080, '127.0.0.5', 'initial']]);
    assert.equal(g.deregistrationDelayMs, 300_000);
  } finally {
    await core.close();
  }
});
