import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { aws, startBerth, type Berth, type CliResult } from './harness.js';

// The ELBv2 API (load balancers, listeners, rules, attributes, tags) through
// the AWS CLI against a real berth. No traffic: the listeners do bind, but
// what they serve is the data plane suites' business.

let b: Berth;

before(async () => {
  b = await startBerth();
});

after(async () => {
  await b?.stop();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
});

function ok(r: CliResult): any {
  assert.equal(r.status, 0, `aws failed (${r.status}): ${r.stderr}`);
  return r.json;
}

/** The CLI's error line: "An error occurred (Code) when calling the Op operation: message". */
function fails(r: CliResult, code: string, operation: string, message?: string | RegExp): void {
  assert.notEqual(r.status, 0, `expected ${code}, but the call succeeded: ${r.stdout}`);
  const prefix = `An error occurred (${code}) when calling the ${operation} operation: `;
  assert.ok(r.stderr.includes(prefix), `expected "${prefix}…", got: ${r.stderr}`);
  const said = r.stderr.slice(r.stderr.indexOf(prefix) + prefix.length).trim();
  if (typeof message === 'string') assert.equal(said, message);
  else if (message) assert.match(said, message);
}

/** A port nothing listens on now, from the kernel. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const elb = (...args: string[]) => aws(b, ['elbv2', ...args]);
const createAlb = (name: string, ...extra: string[]) => elb('create-load-balancer', '--name', name, '--subnets', 'subnet-aaa', 'subnet-bbb', ...extra);
const fixedResponse = (body: string, status = '200') =>
  JSON.stringify([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: status, ContentType: 'text/plain', MessageBody: body } }]);

test('create an ALB, describe it, and the load-balancer-available waiter returns at once', () => {
  const lb = ok(createAlb('e2e-web', '--tags', 'Key=team,Value=web')).LoadBalancers[0];
  assert.match(lb.LoadBalancerArn, /^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer\/app\/e2e-web\/[0-9a-f]{16}$/);
  assert.equal(lb.State.Code, 'active');
  assert.equal(lb.Type, 'application');
  assert.equal(lb.Scheme, 'internet-facing');
  assert.equal(lb.CanonicalHostedZoneId, 'Z35SXDOTRQ7X7K');
  assert.match(lb.DNSName, /^e2e-web-\d{10}\.us-east-1\.elb\.localhost$/);
  assert.deepEqual(
    lb.AvailabilityZones.map((z: any) => [z.ZoneName, z.SubnetId]),
    [
      ['us-east-1a', 'subnet-aaa'],
      ['us-east-1b', 'subnet-bbb'],
    ],
  );
  assert.match(lb.VpcId, /^vpc-[0-9a-f]{17}$/);
  assert.ok(!Number.isNaN(Date.parse(lb.CreatedTime)));

  const described = ok(elb('describe-load-balancers', '--names', 'e2e-web')).LoadBalancers;
  assert.equal(described.length, 1);
  assert.equal(described[0].LoadBalancerArn, lb.LoadBalancerArn);
  assert.equal(described[0].CreatedTime, lb.CreatedTime);

  const started = Date.now();
  ok(elb('wait', 'load-balancer-available', '--load-balancer-arns', lb.LoadBalancerArn));
  assert.ok(Date.now() - started < 10_000, 'the waiter succeeds on its first poll');

  fails(elb('describe-load-balancers', '--names', 'e2e-nope'), 'LoadBalancerNotFound', 'DescribeLoadBalancers', "Load balancers '[e2e-nope]' not found");
});

test('bad and duplicate names answer as AWS does; the same settings again return the same load balancer', () => {
  fails(elb('create-load-balancer', '--name', 'bad_name', '--subnets', 'subnet-a', 'subnet-b'), 'ValidationError', 'CreateLoadBalancer', /bad_name/);
  fails(createAlb('a'.repeat(33)), 'ValidationError', 'CreateLoadBalancer', `The load balancer name '${'a'.repeat(33)}' cannot be longer than '32' characters`);
  fails(createAlb('internal-thing'), 'ValidationError', 'CreateLoadBalancer', "The load balancer name 'internal-thing' cannot begin with 'internal-'");
  fails(elb('create-load-balancer', '--name', 'one-subnet', '--subnets', 'subnet-a'), 'ValidationError', 'CreateLoadBalancer', 'At least two subnets in two different Availability Zones must be specified');
  const first = ok(createAlb('e2e-dup')).LoadBalancers[0];
  const again = ok(createAlb('e2e-dup')).LoadBalancers[0];
  assert.equal(again.LoadBalancerArn, first.LoadBalancerArn);
  fails(createAlb('e2e-dup', '--scheme', 'internal'), 'DuplicateLoadBalancerName', 'CreateLoadBalancer', "A load balancer with the same name 'e2e-dup' exists, but with different settings");
  fails(elb('create-load-balancer', '--name', 'e2e-gw', '--type', 'gateway', '--subnets', 'subnet-a'), 'InvalidConfigurationRequest', 'CreateLoadBalancer');
});

test('load balancer attributes round trip; unknown keys and bad values are ValidationError', () => {
  const arn = ok(createAlb('e2e-attrs')).LoadBalancers[0].LoadBalancerArn;
  const attrs = (r: any) => Object.fromEntries(r.Attributes.map((a: any) => [a.Key, a.Value]));
  const initial = attrs(ok(elb('describe-load-balancer-attributes', '--load-balancer-arn', arn)));
  assert.equal(initial['idle_timeout.timeout_seconds'], '60');
  assert.equal(initial['deletion_protection.enabled'], 'false');
  assert.equal(initial['routing.http2.enabled'], 'true');
  const modified = attrs(
    ok(elb('modify-load-balancer-attributes', '--load-balancer-arn', arn, '--attributes', 'Key=idle_timeout.timeout_seconds,Value=120', 'Key=routing.http2.enabled,Value=false')),
  );
  assert.equal(modified['idle_timeout.timeout_seconds'], '120');
  const read = attrs(ok(elb('describe-load-balancer-attributes', '--load-balancer-arn', arn)));
  assert.equal(read['idle_timeout.timeout_seconds'], '120');
  assert.equal(read['routing.http2.enabled'], 'false');
  fails(
    elb('modify-load-balancer-attributes', '--load-balancer-arn', arn, '--attributes', 'Key=foo.bar,Value=1'),
    'ValidationError',
    'ModifyLoadBalancerAttributes',
    "Load balancer attribute key 'foo.bar' is not recognized",
  );
  fails(elb('modify-load-balancer-attributes', '--load-balancer-arn', arn, '--attributes', 'Key=idle_timeout.timeout_seconds,Value=5000'), 'ValidationError', 'ModifyLoadBalancerAttributes');
});

test('listeners and rules: CRUD, PriorityInUse, set-rule-priorities, the default rule', async () => {
  const lb = ok(createAlb('e2e-rules')).LoadBalancers[0].LoadBalancerArn;
  const port = await freePort();
  const listener = ok(elb('create-listener', '--load-balancer-arn', lb, '--protocol', 'HTTP', '--port', String(port), '--default-actions', fixedResponse('fallback', '404'))).Listeners[0];
  assert.equal(listener.Port, port);
  assert.equal(listener.DefaultActions[0].FixedResponseConfig.MessageBody, 'fallback');
  fails(
    elb('create-listener', '--load-balancer-arn', lb, '--protocol', 'HTTP', '--port', String(port), '--default-actions', fixedResponse('other')),
    'DuplicateListener',
    'CreateListener',
    `A listener already exists on this port for this load balancer '${lb}'`,
  );
  fails(elb('create-listener', '--load-balancer-arn', lb, '--protocol', 'TCP', '--port', String(port + 1), '--default-actions', fixedResponse('x')), 'ValidationError', 'CreateListener');

  const rule = (priority: number, path: string) =>
    elb('create-rule', '--listener-arn', listener.ListenerArn, '--priority', String(priority), '--conditions', `Field=path-pattern,Values=${path}`, '--actions', fixedResponse(path));
  const a = ok(rule(10, '/a')).Rules[0];
  assert.equal(a.Priority, '10');
  assert.equal(a.IsDefault, false);
  fails(rule(10, '/b'), 'PriorityInUse', 'CreateRule', "Priority '10' is currently in use");
  const bRule = ok(rule(20, '/b')).Rules[0];

  const swapped = ok(elb('set-rule-priorities', '--rule-priorities', `RuleArn=${a.RuleArn},Priority=20`, `RuleArn=${bRule.RuleArn},Priority=10`)).Rules;
  assert.deepEqual(swapped.map((r: any) => r.Priority).sort(), ['10', '20']);
  const rules = ok(elb('describe-rules', '--listener-arn', listener.ListenerArn)).Rules;
  assert.deepEqual(
    rules.map((r: any) => [r.Priority, r.Conditions[0]?.Values?.[0] ?? null, r.IsDefault]),
    [
      ['10', '/b', false],
      ['20', '/a', false],
      ['default', null, true],
    ],
  );
  const defaultRule = rules[2];
  fails(elb('delete-rule', '--rule-arn', defaultRule.RuleArn), 'OperationNotPermitted', 'DeleteRule', `Default rule '${defaultRule.RuleArn}' cannot be deleted`);
  fails(elb('set-rule-priorities', '--rule-priorities', `RuleArn=${a.RuleArn},Priority=10`), 'PriorityInUse', 'SetRulePriorities', "Priority '10' is currently in use");

  const modifiedRule = ok(elb('modify-rule', '--rule-arn', a.RuleArn, '--conditions', 'Field=path-pattern,Values=/changed')).Rules[0];
  assert.equal(modifiedRule.Conditions[0].Values[0], '/changed');

  // ModifyListener keeps the default rule in step.
  ok(elb('modify-listener', '--listener-arn', listener.ListenerArn, '--default-actions', fixedResponse('new default', '503')));
  const def = ok(elb('describe-rules', '--rule-arns', defaultRule.RuleArn)).Rules[0];
  assert.equal(def.Actions[0].FixedResponseConfig.MessageBody, 'new default');
  assert.equal(def.Actions[0].FixedResponseConfig.StatusCode, '503');

  ok(elb('delete-rule', '--rule-arn', bRule.RuleArn));
  fails(elb('describe-rules', '--rule-arns', bRule.RuleArn), 'RuleNotFound', 'DescribeRules');
  const listed = ok(elb('describe-listeners', '--load-balancer-arn', lb)).Listeners;
  assert.deepEqual(listed.map((l: any) => l.ListenerArn), [listener.ListenerArn]);
  ok(elb('delete-listener', '--listener-arn', listener.ListenerArn));
  fails(elb('describe-listeners', '--listener-arns', listener.ListenerArn), 'ListenerNotFound', 'DescribeListeners');
  fails(elb('describe-rules', '--listener-arn', listener.ListenerArn), 'ListenerNotFound', 'DescribeRules');
});

test('a listener forwards to a target group of the same VPC; a second load balancer cannot share it', async () => {
  const lb = ok(createAlb('e2e-fwd')).LoadBalancers[0];
  const tg = ok(elb('create-target-group', '--name', 'e2e-fwd-tg', '--protocol', 'HTTP', '--port', '8080', '--vpc-id', lb.VpcId, '--target-type', 'ip')).TargetGroups[0];
  const listener = ok(
    elb('create-listener', '--load-balancer-arn', lb.LoadBalancerArn, '--protocol', 'HTTP', '--port', String(await freePort()), '--default-actions', `Type=forward,TargetGroupArn=${tg.TargetGroupArn}`),
  ).Listeners[0];
  assert.equal(listener.DefaultActions[0].ForwardConfig.TargetGroups[0].TargetGroupArn, tg.TargetGroupArn);
  const described = ok(elb('describe-target-groups', '--target-group-arns', tg.TargetGroupArn)).TargetGroups[0];
  assert.deepEqual(described.LoadBalancerArns, [lb.LoadBalancerArn]);
  fails(elb('delete-target-group', '--target-group-arn', tg.TargetGroupArn), 'ResourceInUse', 'DeleteTargetGroup');

  const other = ok(createAlb('e2e-fwd-2')).LoadBalancers[0];
  fails(
    elb('create-listener', '--load-balancer-arn', other.LoadBalancerArn, '--protocol', 'HTTP', '--port', String(await freePort()), '--default-actions', `Type=forward,TargetGroupArn=${tg.TargetGroupArn}`),
    'TargetGroupAssociationLimit',
    'CreateListener',
    `The following target groups cannot be associated with more than one load balancer: ${tg.TargetGroupArn}`,
  );
  const tcp = ok(elb('create-target-group', '--name', 'e2e-fwd-tcp', '--protocol', 'TCP', '--port', '8080', '--vpc-id', lb.VpcId)).TargetGroups[0];
  fails(
    elb('create-listener', '--load-balancer-arn', other.LoadBalancerArn, '--protocol', 'HTTP', '--port', String(await freePort()), '--default-actions', `Type=forward,TargetGroupArn=${tcp.TargetGroupArn}`),
    'IncompatibleProtocols',
    'CreateListener',
  );
});

test('a port another process holds is refused with InvalidConfigurationRequest', async () => {
  const lb = ok(createAlb('e2e-busy')).LoadBalancers[0].LoadBalancerArn;
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    fails(
      elb('create-listener', '--load-balancer-arn', lb, '--protocol', 'HTTP', '--port', String(port), '--default-actions', fixedResponse('x')),
      'InvalidConfigurationRequest',
      'CreateListener',
      /in use/,
    );
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('deletion protection blocks delete-load-balancer until it is turned off', () => {
  const arn = ok(createAlb('e2e-protected')).LoadBalancers[0].LoadBalancerArn;
  ok(elb('modify-load-balancer-attributes', '--load-balancer-arn', arn, '--attributes', 'Key=deletion_protection.enabled,Value=true'));
  fails(elb('delete-load-balancer', '--load-balancer-arn', arn), 'OperationNotPermitted', 'DeleteLoadBalancer', `Load balancer '${arn}' cannot be deleted because deletion protection is enabled`);
  ok(elb('modify-load-balancer-attributes', '--load-balancer-arn', arn, '--attributes', 'Key=deletion_protection.enabled,Value=false'));
  ok(elb('delete-load-balancer', '--load-balancer-arn', arn));
  fails(elb('describe-load-balancers', '--load-balancer-arns', arn), 'LoadBalancerNotFound', 'DescribeLoadBalancers');
  // Deleting it again succeeds, as on AWS.
  ok(elb('delete-load-balancer', '--load-balancer-arn', arn));
});

test('tags round trip', () => {
  const arn = ok(createAlb('e2e-tags', '--tags', 'Key=env,Value=dev')).LoadBalancers[0].LoadBalancerArn;
  ok(elb('add-tags', '--resource-arns', arn, '--tags', 'Key=env,Value=prod', 'Key=owner,Value=me'));
  const tags = ok(elb('describe-tags', '--resource-arns', arn)).TagDescriptions;
  assert.deepEqual(tags, [
    {
      ResourceArn: arn,
      Tags: [
        { Key: 'env', Value: 'prod' },
        { Key: 'owner', Value: 'me' },
      ],
    },
  ]);
  ok(elb('remove-tags', '--resource-arns', arn, '--tag-keys', 'env'));
  assert.deepEqual(ok(elb('describe-tags', '--resource-arns', arn)).TagDescriptions[0].Tags, [{ Key: 'owner', Value: 'me' }]);
  fails(elb('add-tags', '--resource-arns', arn, '--tags', 'Key=aws:x,Value=1'), 'ValidationError', 'AddTags', "Tag key 'aws:x' cannot start with 'aws:'");
  fails(
    elb('describe-tags', '--resource-arns', 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/none/0123456789abcdef'),
    'LoadBalancerNotFound',
    'DescribeTags',
  );
});

test('describe-load-balancers pages through NextMarker; account limits and SSL policies', () => {
  const region = ['--region', 'eu-west-1'];
  for (const n of ['pg-1', 'pg-2', 'pg-3']) ok(aws(b, ['elbv2', 'create-load-balancer', '--name', n, '--subnets', 'subnet-a', 'subnet-b', ...region]));
  // --page-size is ELBv2's own PageSize here, so the CLI pages by hand: NextMarker, then --marker.
  const seen: string[] = [];
  let marker: string | undefined;
  do {
    const page = ok(aws(b, ['elbv2', 'describe-load-balancers', '--page-size', '1', ...(marker ? ['--marker', marker] : []), ...region]));
    assert.equal(page.LoadBalancers.length, 1);
    seen.push(page.LoadBalancers[0].LoadBalancerName);
    marker = page.NextMarker;
  } while (marker);
  assert.deepEqual(seen, ['pg-1', 'pg-2', 'pg-3']);
  fails(aws(b, ['elbv2', 'describe-load-balancers', '--marker', 'garbage', ...region]), 'ValidationError', 'DescribeLoadBalancers');
  // --max-items pages on the CLI's side, resuming with --starting-token.
  const first = ok(aws(b, ['elbv2', 'describe-load-balancers', '--max-items', '2', ...region]));
  assert.deepEqual(first.LoadBalancers.map((l: any) => l.LoadBalancerName), ['pg-1', 'pg-2']);
  assert.ok(first.NextToken);
  const rest = ok(aws(b, ['elbv2', 'describe-load-balancers', '--max-items', '2', '--starting-token', first.NextToken, ...region]));
  assert.deepEqual(rest.LoadBalancers.map((l: any) => l.LoadBalancerName), ['pg-3']);
  assert.ok(rest.LoadBalancers[0].LoadBalancerArn.includes(':eu-west-1:'));

  const limits = ok(elb('describe-account-limits')).Limits;
  assert.ok(limits.some((l: any) => l.Name === 'application-load-balancers' && l.Max === '50'));
  assert.ok(limits.some((l: any) => l.Name === 'rules-per-application-load-balancer' && l.Max === '100'));
  const policy = ok(elb('describe-ssl-policies', '--names', 'ELBSecurityPolicy-2016-08')).SslPolicies[0];
  assert.deepEqual(policy.SslProtocols, ['TLSv1', 'TLSv1.1', 'TLSv1.2']);
  assert.equal(policy.Ciphers[0].Name, 'ECDHE-ECDSA-AES128-GCM-SHA256');
  fails(elb('describe-ssl-policies', '--names', 'NoSuchPolicy'), 'SSLPolicyNotFound', 'DescribeSSLPolicies');
});
