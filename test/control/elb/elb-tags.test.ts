import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rejectsWith } from '../fixture.js';
import { createLb, createTg, fixed, openElb, scope, type ElbCore } from './lb-fixture.js';

// AddTags, RemoveTags and DescribeTags over every kind of ELBv2 resource.

let core: ElbCore;
before(async () => {
  core = await openElb();
});
after(async () => {
  await core?.close();
});

const tagsOf = async (arn: string) => (await core.lbs.tags.describe(scope, [arn]))[0]!.Tags;

test('tags given at creation, then added, overwritten and removed', async () => {
  const lb = (await core.lbs.create(scope, { Name: 't-lb', Subnets: ['subnet-a', 'subnet-b'], Tags: [{ Key: 'env', Value: 'dev' }, { Key: 'team' }] }, 1)).LoadBalancerArn!;
  assert.deepEqual(await tagsOf(lb), [
    { Key: 'env', Value: 'dev' },
    { Key: 'team', Value: '' },
  ]);
  await core.lbs.tags.add(scope, [lb], [{ Key: 'env', Value: 'prod' }, { Key: 'cost', Value: '42' }]);
  assert.deepEqual(await tagsOf(lb), [
    { Key: 'env', Value: 'prod' },
    { Key: 'team', Value: '' },
    { Key: 'cost', Value: '42' },
  ]);
  await core.lbs.tags.remove(scope, [lb], ['team', 'absent']);
  assert.deepEqual(await tagsOf(lb), [
    { Key: 'env', Value: 'prod' },
    { Key: 'cost', Value: '42' },
  ]);
});

test('target groups, listeners and rules take tags too; DescribeTags answers for several at once', async () => {
  const lb = await createLb(core, 't-all');
  const tg = (await core.targetGroups.create(scope, { Name: 't-tg', Protocol: 'HTTP', Port: 80, VpcId: (await core.lbs.describe(scope, { LoadBalancerArns: [lb] })).LoadBalancers[0]!.VpcId, Tags: [{ Key: 'a', Value: '1' }] })).TargetGroupArn!;
  const l = (await core.listeners.create(scope, { LoadBalancerArn: lb, Protocol: 'HTTP', Port: 22001, DefaultActions: fixed(), Tags: [{ Key: 'b', Value: '2' }] })).ListenerArn!;
  const r = (await core.rules.create(scope, { ListenerArn: l, Priority: 1, Conditions: [{ Field: 'path-pattern', Values: ['/'] }], Actions: fixed(), Tags: [{ Key: 'c', Value: '3' }] })).RuleArn!;
  const all = await core.lbs.tags.describe(scope, [lb, tg, l, r]);
  assert.deepEqual(all, [
    { ResourceArn: lb, Tags: [] },
    { ResourceArn: tg, Tags: [{ Key: 'a', Value: '1' }] },
    { ResourceArn: l, Tags: [{ Key: 'b', Value: '2' }] },
    { ResourceArn: r, Tags: [{ Key: 'c', Value: '3' }] },
  ]);
  await core.lbs.tags.add(scope, [r], [{ Key: 'd', Value: '4' }]);
  assert.deepEqual(await tagsOf(r), [
    { Key: 'c', Value: '3' },
    { Key: 'd', Value: '4' },
  ]);
  // Deleting a resource deletes its tags.
  await core.rules.delete(scope, r);
  assert.equal((await core.store.db.selectFrom('tags').select('key').where('resource_arn', '=', r).execute()).length, 0);
  await core.targetGroups.delete(scope, tg);
  assert.equal((await core.store.db.selectFrom('tags').select('key').where('resource_arn', '=', tg).execute()).length, 0);
});

test("AWS's tag rules: unique keys, no aws: prefix, at most 50, one resource per AddTags", async () => {
  const lb = await createLb(core, 't-rules');
  await rejectsWith(
    core.lbs.tags.add(scope, [lb], [{ Key: 'x', Value: '1' }, { Key: 'x', Value: '2' }]),
    'DuplicateTagKeys',
    'Duplicate Tag Keys found in the request. Tag keys should be unique.',
  );
  await rejectsWith(core.lbs.tags.add(scope, [lb], [{ Key: 'aws:owner', Value: 'me' }]), 'ValidationError', "Tag key 'aws:owner' cannot start with 'aws:'");
  const forty = Array.from({ length: 40 }, (_, i) => ({ Key: `k${i}`, Value: String(i) }));
  await core.lbs.tags.add(scope, [lb], forty);
  const twelve = Array.from({ length: 12 }, (_, i) => ({ Key: `n${i}`, Value: String(i) }));
  await rejectsWith(core.lbs.tags.add(scope, [lb], twelve), 'TooManyTags');
  assert.equal((await tagsOf(lb))!.length, 40);
  // Overwriting existing keys does not count against the limit.
  await core.lbs.tags.add(scope, [lb], [...forty.slice(0, 30), ...twelve.slice(0, 10)]);
  assert.equal((await tagsOf(lb))!.length, 50);
  const other = await createLb(core, 't-rules-2');
  await rejectsWith(core.lbs.tags.add(scope, [lb, other], [{ Key: 'a', Value: 'b' }]), 'ValidationError', 'Only one resource can be tagged at a time');
  await rejectsWith(
    core.lbs.create(scope, { Name: 't-rules-3', Subnets: ['subnet-a', 'subnet-b'], Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `t${i}` })) }, 1),
    'TooManyTags',
  );
  await rejectsWith(core.lbs.describe(scope, { Names: ['t-rules-3'] }), 'LoadBalancerNotFound');
});

test('unknown resources answer with the matching NotFound error', async () => {
  const base = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';
  await rejectsWith(core.lbs.tags.describe(scope, [`${base}:loadbalancer/app/none/0123456789abcdef`]), 'LoadBalancerNotFound');
  await rejectsWith(core.lbs.tags.add(scope, [`${base}:targetgroup/none/0123456789abcdef`], [{ Key: 'a' }]), 'TargetGroupNotFound');
  await rejectsWith(core.lbs.tags.remove(scope, [`${base}:listener/app/none/0123456789abcdef/0123456789abcdef`], ['a']), 'ListenerNotFound');
  await rejectsWith(core.lbs.tags.describe(scope, [`${base}:listener-rule/app/none/0123456789abcdef/0123456789abcdef/0123456789abcdef`]), 'RuleNotFound');
  await rejectsWith(core.lbs.tags.describe(scope, ['not-an-arn']), 'ValidationError');
  // Another account's load balancer is not found either.
  const lb = await createLb(core, 't-scope');
  await rejectsWith(core.lbs.tags.describe({ accountId: '444444444444', region: 'us-east-1' }, [lb]), 'LoadBalancerNotFound');
  const many = Array.from({ length: 21 }, () => lb);
  await rejectsWith(core.lbs.tags.describe(scope, many), 'ValidationError');
  await createTg(core, 't-scope-tg');
});
