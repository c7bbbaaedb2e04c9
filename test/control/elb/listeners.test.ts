import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rejectsWith } from '../fixture.js';
import { certificate, createLb, createTg, fixed, forward, openElb, scope, type ElbCore } from './lb-fixture.js';

// CreateListener … DeleteListener, listener attributes and certificates,
// against a real SQLite store. Ports are distinct per test: berth binds every
// listener on one address, so a port serves one listener across load balancers.

let core: ElbCore;
before(async () => {
  core = await openElb();
});
after(async () => {
  await core?.close();
});

const ruleRows = (listenerArn: string) => core.store.db.selectFrom('elb_rules').selectAll().where('listener_arn', '=', listenerArn).execute();

test('a listener gets a default rule that mirrors its default actions', async () => {
  const lb = await createLb(core, 'l-basic');
  const changes = core.changes();
  const l = await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20080, DefaultActions: fixed('not here', '404') });
  assert.equal(core.changes(), changes + 1);
  assert.match(l.ListenerArn!, /^arn:aws:elasticloadbalancing:us-east-1:000000000000:listener\/app\/l-basic\/[0-9a-f]{16}\/[0-9a-f]{16}$/);
  assert.equal(l.LoadBalancerArn, lb);
  assert.equal(l.Port, 20080);
  assert.equal(l.Protocol, 'HTTP');
  assert.equal(l.SslPolicy, undefined);
  assert.deepEqual(l.DefaultActions, fixed('not here', '404'));
  assert.deepEqual(core.probes.at(-1), { address: '127.0.0.1', port: 20080 });

  const rules = await ruleRows(l.ListenerArn!);
  assert.equal(rules.length, 1);
  assert.equal(rules[0]!.priority, null);
  const rule = JSON.parse(rules[0]!.body).description;
  assert.match(rule.RuleArn, /:listener-rule\/app\/l-basic\//);
  assert.equal(rule.Priority, 'default');
  assert.equal(rule.IsDefault, true);
  assert.deepEqual(rule.Conditions, []);
  assert.deepEqual(rule.Actions, l.DefaultActions);

  const described = await core.listeners.describe(scope, { LoadBalancerArn: lb });
  assert.deepEqual(described.Listeners, [l]);
  assert.deepEqual((await core.listeners.describe(scope, { ListenerArns: [l.ListenerArn!] })).Listeners, [l]);
});

test('forward actions are echoed with ForwardConfig, and the target group learns its load balancer', async () => {
  const lb = await createLb(core, 'l-fwd');
  const tg = await createTg(core, 'tg-fwd');
  const l = await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20081, DefaultActions: forward(tg) });
  assert.deepEqual(l.DefaultActions, [
    { Type: 'forward', TargetGroupArn: tg, ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } } },
  ]);
  const [group] = (await core.targetGroups.describe(scope, { TargetGroupArns: [tg] })).TargetGroups;
  assert.deepEqual(group!.LoadBalancerArns, [lb]);
});

test('one listener per port: idempotent for the same settings, DuplicateListener otherwise, across load balancers too', async () => {
  const lb = await createLb(core, 'l-dup');
  const first = await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20082, DefaultActions: fixed() });
  const probes = core.probes.length;
  const again = await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20082, DefaultActions: fixed() });
  assert.equal(again.ListenerArn, first.ListenerArn);
  assert.equal(core.probes.length, probes, 'berth holds the port itself: no probe');
  await rejectsWith(
    core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20082, DefaultActions: fixed('other') }),
    'DuplicateListener',
    `A listener already exists on this port for this load balancer '${lb}'`,
  );
  const other = await createLb(core, 'l-dup-2');
  await rejectsWith(
    core.listeners.create(scope, { LoadBalancerArn: other, Protocol: 'HTTP', Port: 20082, DefaultActions: fixed() }),
    'DuplicateListener',
    /Port 20082 on 127\.0\.0\.1 is already used by a listener of load balancer 'l-dup'.*Choose another port/,
  );
  // Another account's load balancer on the same address collides too, without naming it.
  const s2 = { accountId: '333333333333', region: 'us-east-1' };
  const foreign = await createLb(core, 'l-dup-3', 'application', s2);
  await rejectsWith(core.listeners.create(s2, { LoadBalancerArn: foreign, Protocol: 'HTTP', Port: 20082, DefaultActions: fixed() }), 'DuplicateListener', /another account/);
});

test('a port another process holds is refused with a clear message', async () => {
  const lb = await createLb(core, 'l-busy');
  core.busyPorts.add(20083);
  await rejectsWith(
    core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20083, DefaultActions: fixed() }),
    'InvalidConfigurationRequest',
    'Port 20083 on 127.0.0.1 is in use by another process on this machine; berth cannot listen there. Choose another port.',
  );
  core.busyPorts.delete(20083);
  await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20083, DefaultActions: fixed() });
});

test('protocols must suit the load balancer type; ports 1–65535', async () => {
  const alb = await createLb(core, 'l-proto');
  const nlb = await createLb(core, 'l-proto-n', 'network');
  await rejectsWith(core.listeners.create(scope, { LoadBalancerArn: alb, Protocol: 'TCP', Port: 20084, DefaultActions: fixed() }), 'ValidationError', "Listener protocol 'TCP' must be one of 'HTTPS, HTTP'");
  await rejectsWith(core.listeners.create(scope, { LoadBalancerArn: nlb, Protocol: 'HTTP', Port: 20084, DefaultActions: fixed() }), 'ValidationError', /must be one of 'TCP_UDP, TLS, UDP, TCP'/);
  await rejectsWith(core.listeners.create(scope, { LoadBalancerArn: nlb, Protocol: 'QUIC', Port: 20084, DefaultActions: fixed() }), 'UnsupportedProtocol');
  await rejectsWith(core.listeners.create(scope, { LoadBalancerArn: alb, Protocol: 'HTTP', Port: 70000, DefaultActions: fixed() }), 'ValidationError');
  // NLBs forward only.
  await rejectsWith(core.listeners.create(scope, { LoadBalancerArn: nlb, Protocol: 'TCP', Port: 20084, DefaultActions: fixed() }), 'InvalidLoadBalancerAction');
  const tcp = await createTg(core, 'tg-proto-tcp', 'TCP');
  const l = await core.listeners.create(scope, { LoadBalancerArn: nlb, Protocol: 'TCP', Port: 20084, DefaultActions: forward(tcp) });
  assert.deepEqual(Object.fromEntries((await core.listeners.attributes(scope, l.ListenerArn!)).map((a) => [a.Key, a.Value])), { 'tcp.idle_timeout.seconds': '350' });
  await rejectsWith(core.listeners.create(scope, { LoadBalancerArn: `${alb}0`, Protocol: 'HTTP', Port: 20085, DefaultActions: fixed() }), 'LoadBalancerNotFound');
});

test('forwarded target groups: existence, protocol, VPC, one load balancer each', async () => {
  const lb = await createLb(core, 'l-tg');
  const missing = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/nope/0123456789abcdef';
  await rejectsWith(core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20086, DefaultActions: forward(missing) }), 'TargetGroupNotFound');
  const tcp = await createTg(core, 'tg-l-tcp', 'TCP');
  await rejectsWith(
    core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20086, DefaultActions: forward(tcp) }),
    'IncompatibleProtocols',
    new RegExp(`^The listener and its associated target group '${tcp}' have incompatible protocols`),
  );
  const elsewhere = await createTg(core, 'tg-l-vpc', 'HTTP', 'vpc-0123456789abcdef0');
  await rejectsWith(core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20086, DefaultActions: forward(elsewhere) }), 'ValidationError', /is in VPC 'vpc-0123456789abcdef0'/);
  const tg = await createTg(core, 'tg-l-shared');
  await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20086, DefaultActions: forward(tg) });
  // The same load balancer may use it again on another listener …
  await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20087, DefaultActions: forward(tg) });
  // … another may not.
  const other = await createLb(core, 'l-tg-2');
  await rejectsWith(
    core.listeners.create(scope, { LoadBalancerArn: other, Protocol: 'HTTP', Port: 20088, DefaultActions: forward(tg) }),
    'TargetGroupAssociationLimit',
    `The following target groups cannot be associated with more than one load balancer: ${tg}`,
  );
});

test('HTTPS needs one operator-provided certificate; the security policy defaults to ELBSecurityPolicy-2016-08', async () => {
  const lb = await createLb(core, 'l-tls');
  await rejectsWith(core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTPS', Port: 20443, DefaultActions: fixed() }), 'ValidationError', 'A certificate must be specified for HTTPS listeners');
  const absent = `arn:aws:acm:us-east-1:000000000000:certificate/absent`;
  await rejectsWith(
    core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTPS', Port: 20443, Certificates: [{ CertificateArn: absent }], DefaultActions: fixed() }),
    'CertificateNotFound',
    /absent\.crt.*absent\.key/,
  );
  const cert = certificate(core, 'site');
  await rejectsWith(
    core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTPS', Port: 20443, Certificates: [{ CertificateArn: cert }], SslPolicy: 'NoSuchPolicy', DefaultActions: fixed() }),
    'SSLPolicyNotFound',
  );
  await rejectsWith(
    core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTPS', Port: 20443, Certificates: [{ CertificateArn: certificate(core, 'eu', 'eu-west-1') }], DefaultActions: fixed() }),
    'CertificateNotFound',
  );
  const l = await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTPS', Port: 20443, Certificates: [{ CertificateArn: cert }], DefaultActions: fixed() });
  assert.equal(l.SslPolicy, 'ELBSecurityPolicy-2016-08');
  assert.deepEqual(l.Certificates, [{ CertificateArn: cert }]);
  const attrs = Object.fromEntries((await core.listeners.attributes(scope, l.ListenerArn!)).map((a) => [a.Key, a.Value]));
  assert.equal(attrs['routing.http.request.x_amzn_tls_version.header_name'], 'X-Amzn-Tls-Version');
  assert.equal(attrs['routing.http.response.server.enabled'], 'true');

  // Certificates besides the default one.
  const extra = certificate(core, 'extra');
  assert.deepEqual(await core.listeners.addCertificates(scope, l.ListenerArn!, [{ CertificateArn: extra }]), [{ CertificateArn: extra, IsDefault: false }]);
  await core.listeners.addCertificates(scope, l.ListenerArn!, [{ CertificateArn: extra }]);
  const listed = await core.listeners.describeCertificates(scope, { ListenerArn: l.ListenerArn! });
  assert.deepEqual(listed.Certificates, [
    { CertificateArn: cert, IsDefault: true },
    { CertificateArn: extra, IsDefault: false },
  ]);
  const page1 = await core.listeners.describeCertificates(scope, { ListenerArn: l.ListenerArn!, PageSize: 1 });
  assert.equal(page1.Certificates.length, 1);
  const page2 = await core.listeners.describeCertificates(scope, { ListenerArn: l.ListenerArn!, PageSize: 1, Marker: page1.NextMarker });
  assert.deepEqual(page2.Certificates, [{ CertificateArn: extra, IsDefault: false }]);
  assert.equal(page2.NextMarker, undefined);
  await rejectsWith(core.listeners.removeCertificates(scope, l.ListenerArn!, [{ CertificateArn: cert }]), 'OperationNotPermitted');
  await core.listeners.removeCertificates(scope, l.ListenerArn!, [{ CertificateArn: extra }]);
  assert.equal((await core.listeners.describeCertificates(scope, { ListenerArn: l.ListenerArn! })).Certificates.length, 1);
  await rejectsWith(core.listeners.addCertificates(scope, l.ListenerArn!, [{ CertificateArn: absent }]), 'CertificateNotFound');

  // HTTPS → HTTP drops the policy and certificate; HTTP → HTTPS needs a certificate again.
  const plain = await core.listeners.modify(scope, { ListenerArn: l.ListenerArn!, Protocol: 'HTTP' });
  assert.equal(plain.SslPolicy, undefined);
  assert.equal(plain.Certificates, undefined);
  await rejectsWith(core.listeners.modify(scope, { ListenerArn: l.ListenerArn!, Protocol: 'HTTPS' }), 'ValidationError', 'A certificate must be specified for HTTPS listeners');
  const secure = await core.listeners.modify(scope, { ListenerArn: l.ListenerArn!, Protocol: 'HTTPS', Certificates: [{ CertificateArn: cert }], SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' });
  assert.equal(secure.SslPolicy, 'ELBSecurityPolicy-TLS13-1-2-2021-06');
});

test('ModifyListener changes port and default actions and keeps the default rule in step', async () => {
  const lb = await createLb(core, 'l-mod');
  const l = await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20090, DefaultActions: fixed('one') });
  const l2 = await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20091, DefaultActions: fixed('two') });
  const changes = core.changes();
  const m = await core.listeners.modify(scope, { ListenerArn: l.ListenerArn!, Port: 20092, DefaultActions: fixed('moved') });
  assert.equal(core.changes(), changes + 1);
  assert.equal(m.Port, 20092);
  assert.deepEqual(m.DefaultActions, fixed('moved'));
  assert.deepEqual(core.probes.at(-1), { address: '127.0.0.1', port: 20092 });
  const [rule] = await ruleRows(l.ListenerArn!);
  assert.deepEqual(JSON.parse(rule!.body).description.Actions, fixed('moved'));
  const row = await core.store.db.selectFrom('elb_listeners').select('port').where('arn', '=', l.ListenerArn!).executeTakeFirstOrThrow();
  assert.equal(row.port, 20092);
  await rejectsWith(core.listeners.modify(scope, { ListenerArn: l.ListenerArn!, Port: 20091 }), 'ValidationError', "Listener port '20091' is already in use");
  core.busyPorts.add(20093);
  await rejectsWith(core.listeners.modify(scope, { ListenerArn: l2.ListenerArn!, Port: 20093 }), 'InvalidConfigurationRequest', /in use by another process/);
  await rejectsWith(core.listeners.modify(scope, { ListenerArn: l.ListenerArn!, Protocol: 'TCP' }), 'ValidationError');
});

test('listener attributes: defaults by protocol, checked values', async () => {
  const lb = await createLb(core, 'l-attr');
  const l = await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20095, DefaultActions: fixed() });
  const out = await core.listeners.modifyAttributes(scope, l.ListenerArn!, [
    { Key: 'routing.http.response.server.enabled', Value: 'false' },
    { Key: 'routing.http.response.x_frame_options.header_value', Value: 'DENY' },
  ]);
  const attrs = Object.fromEntries(out.map((a) => [a.Key, a.Value]));
  assert.equal(attrs['routing.http.response.server.enabled'], 'false');
  assert.equal(attrs['routing.http.response.x_frame_options.header_value'], 'DENY');
  assert.equal(attrs['routing.http.response.strict_transport_security.header_value'], '');
  assert.equal(attrs['routing.http.request.x_amzn_tls_version.header_name'], undefined, 'TLS headers only on HTTPS listeners');
  await rejectsWith(core.listeners.modifyAttributes(scope, l.ListenerArn!, [{ Key: 'tcp.idle_timeout.seconds', Value: '100' }]), 'ValidationError', /not recognized/);
  await rejectsWith(core.listeners.modifyAttributes(scope, l.ListenerArn!, [{ Key: 'routing.http.response.x_frame_options.header_value', Value: 'MAYBE' }]), 'ValidationError');
});

test('DeleteListener removes it and its rules; describing needs a load balancer or listeners', async () => {
  const lb = await createLb(core, 'l-del');
  const l = await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 20096, DefaultActions: fixed(), Tags: [{ Key: 'k', Value: 'v' }] });
  await core.rules.create(scope, { ListenerArn: l.ListenerArn!, Priority: 1, Conditions: [{ Field: 'path-pattern', Values: ['/a'] }], Actions: fixed('a') });
  await core.listeners.delete(scope, l.ListenerArn!);
  assert.equal((await ruleRows(l.ListenerArn!)).length, 0);
  assert.equal((await core.store.db.selectFrom('tags').select('key').where('resource_arn', '=', l.ListenerArn!).execute()).length, 0);
  await rejectsWith(core.listeners.delete(scope, l.ListenerArn!), 'ListenerNotFound');
  await rejectsWith(core.listeners.describe(scope, { ListenerArns: [l.ListenerArn!] }), 'ListenerNotFound');
  await rejectsWith(core.listeners.describe(scope, {}), 'ValidationError');
  await rejectsWith(core.listeners.describe(scope, { LoadBalancerArn: lb, ListenerArns: [l.ListenerArn!] }), 'ValidationError');
  assert.deepEqual((await core.listeners.describe(scope, { LoadBalancerArn: lb })).Listeners, []);
});

test('DescribeListeners pages by port', async () => {
  const lb = await createLb(core, 'l-page');
  for (const port of [20103, 20101, 20102]) await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: port, DefaultActions: fixed() });
  const p1 = await core.listeners.describe(scope, { LoadBalancerArn: lb, PageSize: 2 });
  assert.deepEqual(p1.Listeners.map((l) => l.Port), [20101, 20102]);
  const p2 = await core.listeners.describe(scope, { LoadBalancerArn: lb, PageSize: 2, Marker: p1.NextMarker });
  assert.deepEqual(p2.Listeners.map((l) => l.Port), [20103]);
  assert.equal(p2.NextMarker, undefined);
});
