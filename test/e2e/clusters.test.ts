import {
  ClusterNotFoundException,
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  ECSServiceException,
  InvalidParameterException,
  ListClustersCommand,
  PutClusterCapacityProvidersCommand,
  paginateListClusters,
  UpdateClusterCommand,
  UpdateClusterSettingsCommand,
  type Cluster,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ecsClient, startBerth, type Berth } from './harness.js';

// ECS clusters through the real SDK against a real berth.

let b: Berth;
let ecs: ECSClient;
const ACCOUNT = '000000000000';
const arnOf = (name: string, region = 'us-east-1') => `arn:aws:ecs:${region}:${ACCOUNT}:cluster/${name}`;

before(async () => {
  b = await startBerth();
  ecs = ecsClient(b);
});

after(async () => {
  ecs?.destroy();
  await b?.stop();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
});

async function listAll(client: ECSClient): Promise<string[]> {
  const out: string[] = [];
  for await (const page of paginateListClusters({ client }, {})) out.push(...(page.clusterArns ?? []));
  return out;
}

async function rejects<T extends Error>(p: Promise<unknown>, type: new (...args: any[]) => T, message?: RegExp): Promise<T> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.equal((e as Error).name, type.name);
    if (message) assert.match((e as Error).message, message);
    return e as T;
  }
  assert.fail(`expected ${type.name}, but the call succeeded`);
}

const setting = (c: Cluster | undefined, name: string) => c?.settings?.find((s) => s.name === name)?.value;

test('CreateCluster with tags and containerInsights returns the new cluster', async () => {
  const out = await ecs.send(
    new CreateClusterCommand({
      clusterName: 'alpha',
      tags: [
        { key: 'team', value: 'platform' },
        { key: 'env', value: 'test' },
      ],
      settings: [{ name: 'containerInsights', value: 'enabled' }],
    }),
  );
  const c = out.cluster!;
  assert.equal(c.clusterArn, arnOf('alpha'));
  assert.equal(c.clusterName, 'alpha');
  assert.equal(c.status, 'ACTIVE');
  assert.equal(c.registeredContainerInstancesCount, 0);
  assert.equal(c.runningTasksCount, 0);
  assert.equal(c.pendingTasksCount, 0);
  assert.equal(c.activeServicesCount, 0);
  assert.deepEqual(c.tags, [
    { key: 'team', value: 'platform' },
    { key: 'env', value: 'test' },
  ]);
  assert.equal(setting(c, 'containerInsights'), 'enabled');
});

test('CreateCluster again with the same name is idempotent', async () => {
  const before = await listAll(ecs);
  const again = await ecs.send(new CreateClusterCommand({ clusterName: 'alpha' }));
  assert.equal(again.cluster!.clusterArn, arnOf('alpha'));
  assert.equal(again.cluster!.status, 'ACTIVE');
  const after = await listAll(ecs);
  assert.deepEqual([...after].sort(), [...before].sort());
  assert.equal(after.filter((a) => a === arnOf('alpha')).length, 1);
  // The tags it was created with are still there, once each.
  const d = await ecs.send(new DescribeClustersCommand({ clusters: ['alpha'], include: ['TAGS'] }));
  assert.deepEqual(
    d.clusters![0]!.tags!.map((t) => t.key).sort(),
    ['env', 'team'],
  );
});

test('CreateCluster refuses a bad name and a bad setting with InvalidParameterException', async () => {
  await rejects(ecs.send(new CreateClusterCommand({ clusterName: 'has space' })), InvalidParameterException);
  await rejects(ecs.send(new CreateClusterCommand({ clusterName: 'x'.repeat(256) })), InvalidParameterException);
  await rejects(
    ecs.send(new CreateClusterCommand({ clusterName: 'bad-setting', settings: [{ name: 'containerInsights', value: 'sometimes' }] })),
    InvalidParameterException,
  );
  const d = await ecs.send(new DescribeClustersCommand({ clusters: ['bad-setting'] }));
  assert.equal(d.clusters!.length, 0, 'a refused cluster must not exist');
});

test('DescribeClusters with include SETTINGS/STATISTICS/TAGS/CONFIGURATIONS/ATTACHMENTS, and MISSING failures', async () => {
  await ecs.send(
    new CreateClusterCommand({
      clusterName: 'beta',
      tags: [{ key: 'k', value: 'v' }],
      configuration: { executeCommandConfiguration: { logging: 'DEFAULT' } },
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }],
    }),
  );
  const full = await ecs.send(
    new DescribeClustersCommand({
      clusters: ['beta', arnOf('alpha'), 'nope'],
      include: ['SETTINGS', 'STATISTICS', 'TAGS', 'CONFIGURATIONS', 'ATTACHMENTS'],
    }),
  );
  assert.deepEqual(full.clusters!.map((c) => c.clusterName), ['beta', 'alpha']);
  assert.deepEqual(full.failures, [{ arn: arnOf('nope'), reason: 'MISSING' }]);
  const beta = full.clusters![0]!;
  assert.deepEqual(beta.tags, [{ key: 'k', value: 'v' }]);
  assert.equal(setting(beta, 'containerInsights'), 'disabled');
  assert.deepEqual(beta.configuration, { executeCommandConfiguration: { logging: 'DEFAULT' } });
  assert.deepEqual(beta.capacityProviders, ['FARGATE', 'FARGATE_SPOT']);
  assert.deepEqual(beta.defaultCapacityProviderStrategy, [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }]);
  assert.ok(Array.isArray(beta.attachments), 'ATTACHMENTS asked for: attachments must be a list');
  const stats = new Map(beta.statistics!.map((s) => [s.name, s.value]));
  for (const name of ['runningEC2TasksCount', 'runningFargateTasksCount', 'pendingEC2TasksCount', 'pendingFargateTasksCount', 'activeEC2ServiceCount', 'activeFargateServiceCount', 'drainingEC2ServiceCount', 'drainingFargateServiceCount']) {
    assert.equal(stats.get(name), '0', `statistic ${name}`);
  }
  assert.equal(setting(full.clusters![1], 'containerInsights'), 'enabled');

  // Without include: no tags, settings, statistics, configuration or attachments.
  const bare = await ecs.send(new DescribeClustersCommand({ clusters: ['beta'] }));
  const c = bare.clusters![0]!;
  assert.equal(c.clusterArn, arnOf('beta'));
  assert.deepEqual(c.tags ?? [], []);
  assert.deepEqual(c.statistics ?? [], []);
  assert.deepEqual(c.settings ?? [], []);
  assert.equal(c.configuration, undefined);
  assert.equal(c.attachments, undefined);
  assert.deepEqual(bare.failures, []);
});

test('DescribeClusters with no cluster named describes the default cluster', async () => {
  const out = await ecs.send(new DescribeClustersCommand({}));
  assert.equal(out.clusters!.length, 1);
  assert.equal(out.clusters![0]!.clusterName, 'default');
  assert.equal(out.clusters![0]!.clusterArn, arnOf('default'));
  assert.equal(out.clusters![0]!.status, 'ACTIVE');
  const byName = await ecs.send(new DescribeClustersCommand({ clusters: ['default'] }));
  assert.equal(byName.clusters![0]!.clusterArn, arnOf('default'));
});

test('ListClusters pages through ~120 clusters with the SDK paginator (pageSize 7), each cluster once', async () => {
  const names = Array.from({ length: 120 }, (_, i) => `page-${String(i).padStart(3, '0')}`);
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(names.slice(i, i + 20).map((clusterName) => ecs.send(new CreateClusterCommand({ clusterName }))));
  }
  const seen: string[] = [];
  let pages = 0;
  for await (const page of paginateListClusters({ client: ecs, pageSize: 7 }, {})) {
    pages++;
    assert.ok(page.clusterArns!.length <= 7, `page ${pages} has ${page.clusterArns!.length} items`);
    seen.push(...page.clusterArns!);
  }
  assert.equal(new Set(seen).size, seen.length, 'a cluster was listed twice');
  for (const name of names) assert.ok(seen.includes(arnOf(name)), `${name} was never listed`);
  for (const name of ['alpha', 'beta', 'default']) assert.ok(seen.includes(arnOf(name)), `${name} was never listed`);
  assert.equal(pages, Math.ceil(seen.length / 7));
  assert.ok(seen.length >= 123);
  // One page of maxResults 7 has a nextToken; an unpaginated call returns at most 100.
  const first = await ecs.send(new ListClustersCommand({ maxResults: 7 }));
  assert.equal(first.clusterArns!.length, 7);
  assert.ok(first.nextToken);
  const unpaged = await ecs.send(new ListClustersCommand({}));
  assert.equal(unpaged.clusterArns!.length, 100);
  assert.ok(unpaged.nextToken);
});

test('UpdateCluster sets configuration.executeCommandConfiguration', async () => {
  const executeCommandConfiguration = {
    kmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    logging: 'OVERRIDE' as const,
    logConfiguration: {
      cloudWatchLogGroupName: '/ecs/exec',
      cloudWatchEncryptionEnabled: true,
      s3BucketName: 'exec-logs',
      s3EncryptionEnabled: false,
      s3KeyPrefix: 'alpha/',
    },
  };
  const out = await ecs.send(new UpdateClusterCommand({ cluster: 'alpha', configuration: { executeCommandConfiguration } }));
  assert.equal(out.cluster!.clusterArn, arnOf('alpha'));
  assert.deepEqual(out.cluster!.configuration?.executeCommandConfiguration, executeCommandConfiguration);
  const d = await ecs.send(new DescribeClustersCommand({ clusters: ['alpha'], include: ['CONFIGURATIONS'] }));
  assert.deepEqual(d.clusters![0]!.configuration?.executeCommandConfiguration, executeCommandConfiguration);
  await rejects(ecs.send(new UpdateClusterCommand({ cluster: 'no-such-cluster', configuration: { executeCommandConfiguration } })), ClusterNotFoundException);
});

test('UpdateClusterSettings changes containerInsights', async () => {
  const out = await ecs.send(new UpdateClusterSettingsCommand({ cluster: 'alpha', settings: [{ name: 'containerInsights', value: 'disabled' }] }));
  assert.equal(setting(out.cluster, 'containerInsights'), 'disabled');
  const d = await ecs.send(new DescribeClustersCommand({ clusters: ['alpha'], include: ['SETTINGS'] }));
  assert.equal(setting(d.clusters![0], 'containerInsights'), 'disabled');
  assert.equal(d.clusters![0]!.settings!.filter((s) => s.name === 'containerInsights').length, 1);
  await ecs.send(new UpdateClusterSettingsCommand({ cluster: arnOf('alpha'), settings: [{ name: 'containerInsights', value: 'enhanced' }] }));
  const e = await ecs.send(new DescribeClustersCommand({ clusters: ['alpha'], include: ['SETTINGS'] }));
  assert.equal(setting(e.clusters![0], 'containerInsights'), 'enhanced');
  await rejects(ecs.send(new UpdateClusterSettingsCommand({ cluster: 'alpha', settings: [{ name: 'containerInsights', value: 'maybe' }] })), InvalidParameterException);
  await rejects(ecs.send(new UpdateClusterSettingsCommand({ cluster: 'ghost', settings: [{ name: 'containerInsights', value: 'enabled' }] })), ClusterNotFoundException);
});

test('DeleteCluster: INACTIVE in describe, gone from the list, ClusterNotFoundException the second time', async () => {
  await ecs.send(new CreateClusterCommand({ clusterName: 'doomed', tags: [{ key: 'x', value: 'y' }] }));
  const out = await ecs.send(new DeleteClusterCommand({ cluster: 'doomed' }));
  assert.equal(out.cluster!.clusterArn, arnOf('doomed'));
  assert.equal(out.cluster!.status, 'INACTIVE');

  const d = await ecs.send(new DescribeClustersCommand({ clusters: ['doomed'] }));
  assert.equal(d.clusters!.length, 1);
  assert.equal(d.clusters![0]!.status, 'INACTIVE');
  assert.deepEqual(d.failures, []);

  assert.ok(!(await listAll(ecs)).includes(arnOf('doomed')));

  const err = await rejects(ecs.send(new DeleteClusterCommand({ cluster: 'doomed' })), ClusterNotFoundException);
  assert.ok(err instanceof ECSServiceException);
  assert.equal(err.$metadata.httpStatusCode, 400);
  assert.equal(err.$fault, 'client');
  await rejects(ecs.send(new DeleteClusterCommand({ cluster: arnOf('never-was') })), ClusterNotFoundException);

  // The name can be used again; the new cluster starts without the old one's tags.
  const again = await ecs.send(new CreateClusterCommand({ clusterName: 'doomed' }));
  assert.equal(again.cluster!.status, 'ACTIVE');
  const t = await ecs.send(new DescribeClustersCommand({ clusters: ['doomed'], include: ['TAGS'] }));
  assert.equal(t.clusters![0]!.status, 'ACTIVE');
  assert.deepEqual(t.clusters![0]!.tags ?? [], []);
  assert.ok((await listAll(ecs)).includes(arnOf('doomed')));
});

test('regions are isolated: a client in eu-west-1 does not see us-east-1 clusters', async () => {
  const eu = ecsClient(b, 'eu-west-1');
  try {
    const euBefore = await listAll(eu);
    assert.ok(!euBefore.some((a) => a.includes(':us-east-1:')), `eu-west-1 lists ${euBefore.join(', ')}`);
    assert.ok(!euBefore.includes(arnOf('alpha', 'eu-west-1')));

    const created = await eu.send(new CreateClusterCommand({ clusterName: 'alpha', tags: [{ key: 'region', value: 'eu' }] }));
    assert.equal(created.cluster!.clusterArn, arnOf('alpha', 'eu-west-1'));

    // Each region has its own 'alpha'.
    const euAlpha = await eu.send(new DescribeClustersCommand({ clusters: ['alpha'], include: ['TAGS', 'SETTINGS'] }));
    assert.deepEqual(euAlpha.clusters![0]!.tags, [{ key: 'region', value: 'eu' }]);
    const usAlpha = await ecs.send(new DescribeClustersCommand({ clusters: ['alpha'], include: ['TAGS', 'SETTINGS'] }));
    assert.deepEqual(usAlpha.clusters![0]!.tags!.map((t) => t.key).sort(), ['env', 'team']);

    await eu.send(new CreateClusterCommand({ clusterName: 'eu-only' }));
    const us = await listAll(ecs);
    assert.ok(!us.some((a) => a.includes(':eu-west-1:')), 'us-east-1 lists an eu-west-1 cluster');
    const miss = await ecs.send(new DescribeClustersCommand({ clusters: ['eu-only'] }));
    assert.deepEqual(miss.clusters, []);
    assert.deepEqual(miss.failures, [{ arn: arnOf('eu-only'), reason: 'MISSING' }]);

    const euList = await listAll(eu);
    assert.ok(euList.includes(arnOf('eu-only', 'eu-west-1')));
    assert.ok(euList.every((a) => a.includes(':eu-west-1:')));

    // Deleting eu-west-1's alpha leaves us-east-1's alone.
    await eu.send(new DeleteClusterCommand({ cluster: 'alpha' }));
    const still = await ecs.send(new DescribeClustersCommand({ clusters: ['alpha'] }));
    assert.equal(still.clusters![0]!.status, 'ACTIVE');
  } finally {
    eu.destroy();
  }
});

test('a us-east-1 cluster ARN sent by an eu-west-1 client does not reach the us-east-1 cluster', async () => {
  const eu = ecsClient(b, 'eu-west-1');
  try {
    await ecs.send(new CreateClusterCommand({ clusterName: 'home-only' }));
    const described = await eu.send(new DescribeClustersCommand({ clusters: [arnOf('home-only')] }));
    assert.deepEqual(described.clusters, [], `eu-west-1 described ${JSON.stringify(described.clusters)}`);
    assert.equal(described.failures!.length, 1);
    try {
      await eu.send(new DeleteClusterCommand({ cluster: arnOf('home-only') }));
      assert.fail('an eu-west-1 client deleted a us-east-1 cluster by its ARN');
    } catch (e) {
      assert.ok(e instanceof ClusterNotFoundException || e instanceof InvalidParameterException, `${(e as Error).name}: ${(e as Error).message}`);
    }
    const home = await ecs.send(new DescribeClustersCommand({ clusters: ['home-only'] }));
    assert.equal(home.clusters![0]!.status, 'ACTIVE');
  } finally {
    eu.destroy();
  }
});

test('PutClusterCapacityProviders sets FARGATE/FARGATE_SPOT and the default strategy; bad strategies are InvalidParameterException', async () => {
  await ecs.send(new CreateClusterCommand({ clusterName: 'cp' }));
  const put = await ecs.send(
    new PutClusterCapacityProvidersCommand({
      cluster: 'cp',
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [
        { capacityProvider: 'FARGATE', base: 2, weight: 1 },
        { capacityProvider: 'FARGATE_SPOT', weight: 3 },
      ],
    }),
  );
  assert.deepEqual(put.cluster!.capacityProviders, ['FARGATE', 'FARGATE_SPOT']);
  assert.deepEqual(put.cluster!.defaultCapacityProviderStrategy, [
    { capacityProvider: 'FARGATE', base: 2, weight: 1 },
    { capacityProvider: 'FARGATE_SPOT', base: 0, weight: 3 },
  ]);
  const described = (await ecs.send(new DescribeClustersCommand({ clusters: ['cp'] }))).clusters![0]!;
  assert.deepEqual(described.defaultCapacityProviderStrategy, put.cluster!.defaultCapacityProviderStrategy);

  const refused = async (input: ConstructorParameters<typeof PutClusterCapacityProvidersCommand>[0], message: RegExp) => {
    await assert.rejects(ecs.send(new PutClusterCapacityProvidersCommand(input)), (e: Error) => {
      assert.ok(e instanceof InvalidParameterException, `${e.name}: ${e.message}`);
      assert.match(e.message, message);
      return true;
    });
  };
  await refused({ cluster: 'cp', capacityProviders: ['FARGATE', 'FARGATE_SPOT'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', base: 1, weight: 1 }, { capacityProvider: 'FARGATE_SPOT', base: 1, weight: 1 }] }, /Only one capacity provider in a capacity provider strategy can have a base defined/);
  await refused({ cluster: 'cp', capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] }, /not associated with the cluster/);
  await refused({ cluster: 'cp', capacityProviders: ['my-asg-provider'], defaultCapacityProviderStrategy: [] }, /^The specified capacity provider was not found\. Specify a valid capacity provider and try again\.$/);
  await refused({ cluster: 'cp', capacityProviders: ['FARGATE'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1001 }] }, /weight/);
  // Nothing of a refused request was kept.
  assert.deepEqual((await ecs.send(new DescribeClustersCommand({ clusters: ['cp'] }))).clusters![0]!.capacityProviders, ['FARGATE', 'FARGATE_SPOT']);
  // [] clears both.
  const cleared = await ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'cp', capacityProviders: [], defaultCapacityProviderStrategy: [] }));
  assert.deepEqual([cleared.cluster!.capacityProviders, cleared.cluster!.defaultCapacityProviderStrategy], [[], []]);
  await assert.rejects(ecs.send(new PutClusterCapacityProvidersCommand({ cluster: 'nope', capacityProviders: [], defaultCapacityProviderStrategy: [] })), ClusterNotFoundException);
});

test('DescribeCapacityProviders shows the managed FARGATE and FARGATE_SPOT providers; unknown names are MISSING', async () => {
  const all = await ecs.send(new DescribeCapacityProvidersCommand({}));
  assert.deepEqual(
    all.capacityProviders!.map((c) => [c.name, c.status, c.capacityProviderArn]),
    [
      ['FARGATE', 'ACTIVE', `arn:aws:ecs:us-east-1:${ACCOUNT}:capacity-provider/FARGATE`],
      ['FARGATE_SPOT', 'ACTIVE', `arn:aws:ecs:us-east-1:${ACCOUNT}:capacity-provider/FARGATE_SPOT`],
    ],
  );
  const paged = await ecs.send(new DescribeCapacityProvidersCommand({ maxResults: 1 }));
  assert.equal(paged.capacityProviders!.length, 1);
  const rest = await ecs.send(new DescribeCapacityProvidersCommand({ maxResults: 1, nextToken: paged.nextToken }));
  assert.equal(rest.capacityProviders![0]!.name, 'FARGATE_SPOT');
  assert.equal(rest.nextToken, undefined);
  const some = await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [`arn:aws:ecs:us-east-1:${ACCOUNT}:capacity-provider/FARGATE_SPOT`, 'nope'] }));
  assert.deepEqual(some.capacityProviders!.map((c) => c.name), ['FARGATE_SPOT']);
  assert.deepEqual(some.failures, [{ arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:capacity-provider/nope`, reason: 'MISSING' }]);
});
