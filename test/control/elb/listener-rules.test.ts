import type { Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rejectsWith } from '../fixture.js';
import { createLb, createTg, fixed, forward, openElb, scope, type ElbCore } from './lb-fixture.js';

// CreateRule, DescribeRules, ModifyRule, DeleteRule and SetRulePriorities
// against a real SQLite store.

let core: ElbCore;
before(async () => {
  core = await openElb();
});
after(async () => {
  await core?.close();
});

let nextPort = 21000;
async function listener(name: string): Promise<{ lb: string; listener: string }> {
  const lb = await createLb(core, name);
  const l = await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: nextPort++, DefaultActions: fixed('default', '404') });
  return { lb, listener: l.ListenerArn! };
}

const path = (p: string) => [{ Field: 'path-pattern', Values: [p] }];
const rule = (listenerArn: string, priority: number, p = `/p${priority}`) => core.rules.create(scope, { ListenerArn: listenerArn, Priority: priority, Conditions: path(p), Actions: fixed(p) });
const priorities = (rules: Rule[]) => rules.map((r) => r.Priority);

test('rules are created with their priority; DescribeRules lists them by priority, the default rule last', async () => {
  const { listener: l } = await listener('r-basic');
  const changes = core.changes();
  const r10 = await rule(l, 10);
  assert.equal(core.changes(), changes + 1);
  assert.match(r10.RuleArn!, /^arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule\/app\/r-basic\/[0-9a-f]{16}\/[0-9a-f]{16}\/[0-9a-f]{16}$/);
  assert.equal(r10.Priority, '10');
  assert.equal(r10.IsDefault, false);
  assert.deepEqual(r10.Conditions, path('/p10'));
  await rule(l, 2);
  const all = (await core.rules.describe(scope, { ListenerArn: l })).Rules;
  assert.deepEqual(priorities(all), ['2', '10', 'default']);
  const def = all.at(-1)!;
  assert.equal(def.IsDefault, true);
  assert.deepEqual(def.Conditions, []);
  assert.deepEqual(def.Actions, fixed('default', '404'));
  assert.deepEqual((await core.rules.describe(scope, { RuleArns: [r10.RuleArn!] })).Rules, [r10]);
});

test('a priority is used once per listener: PriorityInUse', async () => {
  const { listener: l } = await listener('r-prio');
  await rule(l, 5);
  await rejectsWith(rule(l, 5, '/other'), 'PriorityInUse', "Priority '5' is currently in use");
  // Another listener has its own priorities.
  const { listener: other } = await listener('r-prio-2');
  await rule(other, 5);
  await rejectsWith(rule(l, 0), 'ValidationError');
  await rejectsWith(rule(l, 50001), 'ValidationError');
});

test('conditions, actions and forwarded target groups are checked', async () => {
  const { listener: l, lb } = await listener('r-check');
  await rejectsWith(core.rules.create(scope, { ListenerArn: l, Priority: 1, Conditions: [], Actions: fixed() }), 'ValidationError');
  await rejectsWith(core.rules.create(scope, { ListenerArn: l, Priority: 1, Conditions: path('/x'), Actions: [] }), 'ValidationError');
  const tcp = await createTg(core, 'r-tcp', 'TCP');
  await rejectsWith(core.rules.create(scope, { ListenerArn: l, Priority: 1, Conditions: path('/x'), Actions: forward(tcp) }), 'IncompatibleProtocols');
  const tg = await createTg(core, 'r-http');
  const r = await core.rules.create(scope, { ListenerArn: l, Priority: 1, Conditions: path('/x'), Actions: forward(tg) });
  assert.equal(r.Actions![0]!.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn, tg);
  const [group] = (await core.targetGroups.describe(scope, { TargetGroupArns: [tg] })).TargetGroups;
  assert.deepEqual(group!.LoadBalancerArns, [lb]);
  await rejectsWith(
    core.rules.create(scope, { ListenerArn: l, Priority: 2, Conditions: path('/y'), Actions: fixed(), Transforms: [{ Type: 'url-rewrite' }] }),
    'InvalidConfigurationRequest',
  );
  await rejectsWith(core.rules.create(scope, { ListenerArn: `${l}0`, Priority: 2, Conditions: path('/y'), Actions: fixed() }), 'ListenerNotFound');
  // Network Load Balancer listeners have only their default rule.
  const nlb = await createLb(core, 'r-nlb', 'network');
  const nl = await core.listeners.create(scope, { LoadBalancerArn: nlb, Protocol: 'TCP', Port: nextPort++, DefaultActions: forward(await createTg(core, 'r-nlb-tg', 'TCP')) });
  await rejectsWith(core.rules.create(scope, { ListenerArn: nl.ListenerArn!, Priority: 1, Conditions: path('/'), Actions: fixed() }), 'ValidationError', /Network Load Balancer/);
});

test('ModifyRule replaces conditions and actions; the default rule changes only through ModifyListener', async () => {
  const { listener: l } = await listener('r-mod');
  const r = await rule(l, 3);
  const m = await core.rules.modify(scope, { RuleArn: r.RuleArn!, Conditions: path('/new') });
  assert.deepEqual(m.Conditions, path('/new'));
  assert.deepEqual(m.Actions, fixed('/p3'));
  const m2 = await core.rules.modify(scope, { RuleArn: r.RuleArn!, Actions: fixed('changed') });
  assert.deepEqual(m2.Conditions, path('/new'));
  assert.deepEqual(m2.Actions, fixed('changed'));
  assert.equal(m2.Priority, '3');
  const def = (await core.rules.describe(scope, { ListenerArn: l })).Rules.at(-1)!;
  await rejectsWith(core.rules.modify(scope, { RuleArn: def.RuleArn!, Actions: fixed('x') }), 'OperationNotPermitted', `Default rule '${def.RuleArn}' cannot be modified`);
  await rejectsWith(core.rules.modify(scope, { RuleArn: `${r.RuleArn}0`, Actions: fixed('x') }), 'RuleNotFound');
});

test('DeleteRule deletes a rule but never the default rule', async () => {
  const { listener: l } = await listener('r-del');
  const r = await rule(l, 7);
  const def = (await core.rules.describe(scope, { ListenerArn: l })).Rules.at(-1)!;
  await rejectsWith(core.rules.delete(scope, def.RuleArn!), 'OperationNotPermitted', `Default rule '${def.RuleArn}' cannot be deleted`);
  await core.rules.delete(scope, r.RuleArn!);
  assert.deepEqual(priorities((await core.rules.describe(scope, { ListenerArn: l })).Rules), ['default']);
  await rejectsWith(core.rules.delete(scope, r.RuleArn!), 'RuleNotFound');
  await rejectsWith(core.rules.describe(scope, { RuleArns: [r.RuleArn!] }), 'RuleNotFound');
});

test('SetRulePriorities swaps atomically and refuses conflicts', async () => {
  const { listener: l } = await listener('r-set');
  const a = await rule(l, 1, '/a');
  const b = await rule(l, 2, '/b');
  const c = await rule(l, 3, '/c');
  const swapped = await core.rules.setPriorities(scope, [
    { RuleArn: a.RuleArn!, Priority: 2 },
    { RuleArn: b.RuleArn!, Priority: 1 },
  ]);
  assert.deepEqual(swapped.map((r) => [r.RuleArn, r.Priority]), [
    [a.RuleArn, '2'],
    [b.RuleArn, '1'],
  ]);
  const order = (await core.rules.describe(scope, { ListenerArn: l })).Rules.map((r) => r.Conditions?.[0]?.Values?.[0] ?? 'default');
  assert.deepEqual(order, ['/b', '/a', '/c', 'default']);

  // A priority held by a rule left out of the request.
  await rejectsWith(core.rules.setPriorities(scope, [{ RuleArn: a.RuleArn!, Priority: 3 }]), 'PriorityInUse', "Priority '3' is currently in use");
  // The same priority twice in one request.
  await rejectsWith(
    core.rules.setPriorities(scope, [
      { RuleArn: a.RuleArn!, Priority: 9 },
      { RuleArn: b.RuleArn!, Priority: 9 },
    ]),
    'PriorityInUse',
  );
  const def = (await core.rules.describe(scope, { ListenerArn: l })).Rules.at(-1)!;
  await rejectsWith(core.rules.setPriorities(scope, [{ RuleArn: def.RuleArn!, Priority: 4 }]), 'OperationNotPermitted');
  await rejectsWith(
    core.rules.setPriorities(scope, [
      { RuleArn: c.RuleArn!, Priority: 10 },
      { RuleArn: `${c.RuleArn}0`, Priority: 11 },
    ]),
    'RuleNotFound',
  );
  // Nothing changed by the failed requests.
  assert.deepEqual(priorities((await core.rules.describe(scope, { ListenerArn: l })).Rules), ['1', '2', '3', 'default']);
  // A rotation among all three.
  await core.rules.setPriorities(scope, [
    { RuleArn: a.RuleArn!, Priority: 3 },
    { RuleArn: b.RuleArn!, Priority: 2 },
    { RuleArn: c.RuleArn!, Priority: 1 },
  ]);
  const rotated = (await core.rules.describe(scope, { ListenerArn: l })).Rules.map((r) => r.Conditions?.[0]?.Values?.[0] ?? 'default');
  assert.deepEqual(rotated, ['/c', '/b', '/a', 'default']);
});

test('DescribeRules pages; a load balancer holds at most 100 rules besides default rules', async () => {
  const { listener: l, lb } = await listener('r-many');
  for (let p = 1; p <= 60; p++) await rule(l, p);
  const second = await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: nextPort++, DefaultActions: fixed() });
  for (let p = 1; p <= 40; p++) await rule(second.ListenerArn!, p);
  await rejectsWith(rule(second.ListenerArn!, 41), 'TooManyRules');

  const seen: string[] = [];
  let marker: string | undefined;
  do {
    const page = await core.rules.describe(scope, { ListenerArn: l, PageSize: 25, Marker: marker });
    assert.ok(page.Rules.length <= 25);
    seen.push(...priorities(page.Rules).map(String));
    marker = page.NextMarker;
  } while (marker);
  assert.equal(seen.length, 61);
  assert.equal(seen.at(-1), 'default');
  assert.deepEqual(seen.slice(0, 3), ['1', '2', '3']);
});
