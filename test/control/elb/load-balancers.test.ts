import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { defaultSecurityGroupId } from '../../../src/control/elb/load-balancers.js';
import { rejectsWith } from '../fixture.js';
import { createLb, fixed, NOW, openElb, scope, VPC, type ElbCore } from './lb-fixture.js';

// CreateLoadBalancer … DeleteLoadBalancer, attributes and the Set*
// operations against a real SQLite store.

let core: ElbCore;
before(async () => {
  core = await openElb();
});
after(async () => {
  await core?.close();
});

const attrs = async (arn: string) => Object.fromEntries((await core.lbs.attributes(scope, arn)).map((a) => [a.Key!, a.Value!]));

test('an ALB is active at once, in the VPC, one zone per subnet, with AWS-shaped names', async () => {
  const before = core.changes();
  const lb = await core.lbs.create(scope, { Name: 'web', Subnets: ['subnet-aaa', 'subnet-bbb', 'subnet-ccc'] }, NOW);
  assert.match(lb.LoadBalancerArn!, /^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer\/app\/web\/[0-9a-f]{16}$/);
  assert.deepEqual(lb.State, { Code: 'active' });
  assert.equal(lb.Type, 'application');
  assert.equal(lb.Scheme, 'internet-facing');
  assert.equal(lb.IpAddressType, 'ipv4');
  assert.equal(lb.VpcId, VPC);
  assert.equal(lb.CanonicalHostedZoneId, 'Z35SXDOTRQ7X7K');
  assert.match(lb.DNSName!, /^web-\d{10}\.us-east-1\.elb\.localhost$/);
  assert.deepEqual(lb.AvailabilityZones, [
    { ZoneName: 'us-east-1a', SubnetId: 'subnet-aaa' },
    { ZoneName: 'us-east-1b', SubnetId: 'subnet-bbb' },
    { ZoneName: 'us-east-1c', SubnetId: 'subnet-ccc' },
  ]);
  assert.deepEqual(lb.SecurityGroups, [defaultSecurityGroupId(scope)]);
  assert.ok(lb.CreatedTime instanceof Date);
  assert.equal(lb.CreatedTime.getTime(), NOW);
  assert.equal(core.changes(), before + 1);

  const row = await core.store.db.selectFrom('elb_load_balancers').selectAll().where('arn', '=', lb.LoadBalancerArn!).executeTakeFirstOrThrow();
  const body = JSON.parse(row.body);
  assert.equal(body.address, '127.0.0.1');
  assert.equal(body.description.CreatedTime, NOW);
});

test('an NLB has its own hosted zone, takes one subnet, and has no security groups unless given', async () => {
  const lb = await core.lbs.create(scope, { Name: 'tcp-front', Type: 'network', Scheme: 'internal', SubnetMappings: [{ SubnetId: 'subnet-n1', PrivateIPv4Address: '10.0.0.5' }] }, NOW);
  assert.equal(lb.CanonicalHostedZoneId, 'Z26RNL4JYFTOTI');
  assert.equal(lb.SecurityGroups, undefined);
  assert.match(lb.DNSName!, /^internal-tcp-front-\d{10}\.us-east-1\.elb\.localhost$/);
  assert.deepEqual(lb.AvailabilityZones, [{ ZoneName: 'us-east-1a', SubnetId: 'subnet-n1', LoadBalancerAddresses: [{ PrivateIPv4Address: '10.0.0.5' }] }]);
  const a = await attrs(lb.LoadBalancerArn!);
  assert.equal(a['load_balancing.cross_zone.enabled'], 'false');
  assert.equal(a['idle_timeout.timeout_seconds'], undefined);
  assert.equal(a['ipv6.deny_all_igw_traffic'], 'true');
});

test('names follow ELBv2 rules', async () => {
  const subnets = ['subnet-a', 'subnet-b'];
  await rejectsWith(core.lbs.create(scope, { Name: 'x'.repeat(33), Subnets: subnets }, NOW), 'ValidationError', `The load balancer name '${'x'.repeat(33)}' cannot be longer than '32' characters`);
  await rejectsWith(core.lbs.create(scope, { Name: 'under_score', Subnets: subnets }, NOW), 'ValidationError', /can only contain characters that are alphanumeric characters or hyphens/);
  await rejectsWith(core.lbs.create(scope, { Name: '-web', Subnets: subnets }, NOW), 'ValidationError', /cannot begin or end with a hyphen/);
  await rejectsWith(core.lbs.create(scope, { Name: 'web-', Subnets: subnets }, NOW), 'ValidationError', /cannot begin or end with a hyphen/);
  await rejectsWith(core.lbs.create(scope, { Name: 'internal-web', Subnets: subnets }, NOW), 'ValidationError', "The load balancer name 'internal-web' cannot begin with 'internal-'");
  await core.lbs.create(scope, { Name: 'x'.repeat(32), Subnets: subnets }, NOW);
});

test('an ALB needs two subnets, one per zone; gateway load balancers are refused', async () => {
  await rejectsWith(core.lbs.create(scope, { Name: 'one', Subnets: ['subnet-a'] }, NOW), 'ValidationError', 'At least two subnets in two different Availability Zones must be specified');
  await rejectsWith(core.lbs.create(scope, { Name: 'none' }, NOW), 'ValidationError', 'At least two subnets in two different Availability Zones must be specified');
  await rejectsWith(
    core.lbs.create(scope, { Name: 'twice', Subnets: ['subnet-a', 'subnet-a'] }, NOW),
    'InvalidConfigurationRequest',
    'A load balancer cannot be attached to multiple subnets in the same Availability Zone',
  );
  await rejectsWith(core.lbs.create(scope, { Name: 'both', Subnets: ['subnet-a', 'subnet-b'], SubnetMappings: [{ SubnetId: 'subnet-c' }] }, NOW), 'ValidationError');
  await rejectsWith(core.lbs.create(scope, { Name: 'badsub', Subnets: ['subnet-a', 'nope'] }, NOW), 'SubnetNotFound');
  await rejectsWith(core.lbs.create(scope, { Name: 'gw', Type: 'gateway', Subnets: ['subnet-a'] }, NOW), 'InvalidConfigurationRequest', /Gateway Load Balancers/);
  await rejectsWith(core.lbs.create(scope, { Name: 'nlb6', Type: 'network', IpAddressType: 'dualstack-without-public-ipv4', Subnets: ['subnet-a'] }, NOW), 'ValidationError');
  await rejectsWith(core.lbs.create(scope, { Name: 'sg', Subnets: ['subnet-a', 'subnet-b'], SecurityGroups: ['nope'] }, NOW), 'InvalidSecurityGroup');
});

test('creating the same load balancer again returns it; other settings under the same name are DuplicateLoadBalancerName', async () => {
  const a = await core.lbs.create(scope, { Name: 'same', Subnets: ['subnet-a', 'subnet-b'] }, NOW);
  const changes = core.changes();
  const b = await core.lbs.create(scope, { Name: 'same', Subnets: ['subnet-a', 'subnet-b'] }, NOW + 5);
  assert.equal(b.LoadBalancerArn, a.LoadBalancerArn);
  assert.equal(core.changes(), changes);
  await rejectsWith(
    core.lbs.create(scope, { Name: 'same', Scheme: 'internal', Subnets: ['subnet-a', 'subnet-b'] }, NOW),
    'DuplicateLoadBalancerName',
    "A load balancer with the same name 'same' exists, but with different settings",
  );
  // Another region is another namespace.
  const other = await core.lbs.create({ ...scope, region: 'eu-west-1' }, { Name: 'same', Subnets: ['subnet-a', 'subnet-b'] }, NOW);
  assert.equal(other.CanonicalHostedZoneId, 'Z32O12XQLNTSW2');
  assert.deepEqual(other.AvailabilityZones?.map((z) => z.ZoneName), ['eu-west-1a', 'eu-west-1b']);
  const inUs = await core.lbs.describe(scope, { Names: ['same'] });
  assert.deepEqual(inUs.LoadBalancers.map((l) => l.LoadBalancerArn), [a.LoadBalancerArn]);
});

test('describe by names and ARNs, with AWS errors for the missing ones', async () => {
  const arn = await createLb(core, 'find-me');
  assert.equal((await core.lbs.describe(scope, { LoadBalancerArns: [arn] })).LoadBalancers[0]!.LoadBalancerName, 'find-me');
  await rejectsWith(core.lbs.describe(scope, { Names: ['find-me', 'nope'] }), 'LoadBalancerNotFound', "Load balancers '[nope]' not found");
  await rejectsWith(core.lbs.describe(scope, { LoadBalancerArns: [`${arn}0`] }), 'LoadBalancerNotFound');
  await rejectsWith(core.lbs.describe(scope, { LoadBalancerArns: [arn], Names: ['find-me'] }), 'ValidationError');
  // Another account does not see it.
  await rejectsWith(core.lbs.describe({ accountId: '111111111111', region: 'us-east-1' }, { LoadBalancerArns: [arn] }), 'LoadBalancerNotFound');
});

test('describe pages with Marker/PageSize in creation order', async () => {
  const s = { accountId: '222222222222', region: 'us-east-1' };
  const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
  for (const [i, n] of names.entries()) await core.lbs.create(s, { Name: n, Subnets: ['subnet-a', 'subnet-b'] }, NOW + i);
  const seen: string[] = [];
  let marker: string | undefined;
  let pages = 0;
  do {
    const page = await core.lbs.describe(s, { PageSize: 2, Marker: marker });
    seen.push(...page.LoadBalancers.map((l) => l.LoadBalancerName!));
    marker = page.NextMarker;
    pages++;
  } while (marker);
  assert.deepEqual(seen, names);
  assert.equal(pages, 3);
  assert.equal((await core.lbs.describe(s, {})).NextMarker, undefined);
  await rejectsWith(core.lbs.describe(s, { Marker: 'garbage' }), 'ValidationError');
});

test('attributes: ALB defaults, checked values, unknown keys named', async () => {
  const arn = await createLb(core, 'attrs');
  const a = await attrs(arn);
  assert.equal(a['idle_timeout.timeout_seconds'], '60');
  assert.equal(a['deletion_protection.enabled'], 'false');
  assert.equal(a['routing.http2.enabled'], 'true');
  assert.equal(a['load_balancing.cross_zone.enabled'], 'true');
  assert.equal(a['access_logs.s3.enabled'], 'false');
  assert.equal(a['access_logs.s3.bucket'], '');
  assert.equal(a['routing.http.xff_header_processing.mode'], 'append');

  const changes = core.changes();
  const out = await core.lbs.modifyAttributes(scope, arn, [
    { Key: 'idle_timeout.timeout_seconds', Value: '120' },
    { Key: 'routing.http2.enabled', Value: 'false' },
  ]);
  assert.equal(out.find((x) => x.Key === 'idle_timeout.timeout_seconds')?.Value, '120');
  assert.equal(core.changes(), changes + 1);
  assert.equal((await attrs(arn))['routing.http2.enabled'], 'false');

  await rejectsWith(core.lbs.modifyAttributes(scope, arn, [{ Key: 'idle_timeout.timeout_seconds', Value: '4001' }]), 'ValidationError', /idle_timeout\.timeout_seconds.*1 to 4000/);
  await rejectsWith(core.lbs.modifyAttributes(scope, arn, [{ Key: 'idle_timeout.timeout_seconds', Value: '0' }]), 'ValidationError');
  await rejectsWith(core.lbs.modifyAttributes(scope, arn, [{ Key: 'foo.bar', Value: '1' }]), 'ValidationError', "Load balancer attribute key 'foo.bar' is not recognized");
  await rejectsWith(core.lbs.modifyAttributes(scope, arn, [{ Key: 'deletion_protection.enabled', Value: 'yes' }]), 'ValidationError');
  await rejectsWith(core.lbs.modifyAttributes(scope, arn, [{ Key: 'load_balancing.cross_zone.enabled', Value: 'false' }]), 'InvalidConfigurationRequest');
  await rejectsWith(core.lbs.modifyAttributes(scope, arn, [{ Key: 'access_logs.s3.enabled', Value: 'true' }]), 'ValidationError', /access_logs\.s3\.bucket/);
  await core.lbs.modifyAttributes(scope, arn, [
    { Key: 'access_logs.s3.enabled', Value: 'true' },
    { Key: 'access_logs.s3.bucket', Value: 'my-logs' },
  ]);
  // A failed request changes nothing.
  assert.equal((await attrs(arn))['idle_timeout.timeout_seconds'], '120');

  const nlb = await createLb(core, 'attrs-nlb', 'network');
  await rejectsWith(core.lbs.modifyAttributes(scope, nlb, [{ Key: 'idle_timeout.timeout_seconds', Value: '30' }]), 'ValidationError', "Load balancer attribute key 'idle_timeout.timeout_seconds' is not recognized");
  await core.lbs.modifyAttributes(scope, nlb, [{ Key: 'load_balancing.cross_zone.enabled', Value: 'true' }]);
  await rejectsWith(core.lbs.attributes(scope, `${arn}ff`), 'LoadBalancerNotFound');
});

test('deletion protection blocks DeleteLoadBalancer; deleting removes listeners, rules and tags; unknown ARNs succeed', async () => {
  const arn = (await core.lbs.create(scope, { Name: 'doomed', Subnets: ['subnet-a', 'subnet-b'], Tags: [{ Key: 'team', Value: 'a' }] }, NOW)).LoadBalancerArn!;
  const listener = await core.listeners.create(scope, { LoadBalancerArn: arn, Protocol: 'HTTP', Port: 18081, DefaultActions: fixed() });
  await core.lbs.modifyAttributes(scope, arn, [{ Key: 'deletion_protection.enabled', Value: 'true' }]);
  await rejectsWith(core.lbs.delete(scope, arn), 'OperationNotPermitted', `Load balancer '${arn}' cannot be deleted because deletion protection is enabled`);
  await core.lbs.modifyAttributes(scope, arn, [{ Key: 'deletion_protection.enabled', Value: 'false' }]);
  const changes = core.changes();
  await core.lbs.delete(scope, arn);
  assert.equal(core.changes(), changes + 1);
  await rejectsWith(core.lbs.describe(scope, { LoadBalancerArns: [arn] }), 'LoadBalancerNotFound');
  const db = core.store.db;
  assert.equal((await db.selectFrom('elb_listeners').select('arn').where('load_balancer_arn', '=', arn).execute()).length, 0);
  assert.equal((await db.selectFrom('elb_rules').select('arn').where('listener_arn', '=', listener.ListenerArn!).execute()).length, 0);
  assert.equal((await db.selectFrom('tags').select('key').where('resource_arn', '=', arn).execute()).length, 0);
  // Again, and an ARN that never existed: both succeed, as on AWS.
  await core.lbs.delete(scope, arn);
  await core.lbs.delete(scope, 'arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/never/0123456789abcdef');
});

test('SetSecurityGroups, SetSubnets and SetIpAddressType store and echo', async () => {
  const arn = await createLb(core, 'settable');
  assert.deepEqual(await core.lbs.setSecurityGroups(scope, { LoadBalancerArn: arn, SecurityGroups: ['sg-1', 'sg-2'] }), { SecurityGroupIds: ['sg-1', 'sg-2'], EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: undefined });
  const subnets = await core.lbs.setSubnets(scope, { LoadBalancerArn: arn, Subnets: ['subnet-x', 'subnet-y', 'subnet-z'] });
  assert.deepEqual(subnets.AvailabilityZones?.map((z) => `${z.ZoneName}:${z.SubnetId}`), ['us-east-1a:subnet-x', 'us-east-1b:subnet-y', 'us-east-1c:subnet-z']);
  await rejectsWith(core.lbs.setSubnets(scope, { LoadBalancerArn: arn, Subnets: ['subnet-x'] }), 'ValidationError', 'At least two subnets in two different Availability Zones must be specified');
  assert.deepEqual(await core.lbs.setIpAddressType(scope, { LoadBalancerArn: arn, IpAddressType: 'dualstack' }), { IpAddressType: 'dualstack' });
  const lb = (await core.lbs.describe(scope, { LoadBalancerArns: [arn] })).LoadBalancers[0]!;
  assert.deepEqual(lb.SecurityGroups, ['sg-1', 'sg-2']);
  assert.equal(lb.IpAddressType, 'dualstack');
  assert.equal(lb.AvailabilityZones?.length, 3);

  const nlb = await createLb(core, 'settable-nlb', 'network');
  await rejectsWith(core.lbs.setSecurityGroups(scope, { LoadBalancerArn: nlb, SecurityGroups: ['sg-1'] }), 'InvalidConfigurationRequest');
  await rejectsWith(core.lbs.setIpAddressType(scope, { LoadBalancerArn: nlb, IpAddressType: 'dualstack-without-public-ipv4' }), 'ValidationError');
});
