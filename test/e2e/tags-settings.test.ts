import {
  ClusterNotFoundException,
  CreateClusterCommand,
  DeleteAccountSettingCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  InvalidParameterException,
  ListAccountSettingsCommand,
  ListTagsForResourceCommand,
  PutAccountSettingCommand,
  PutAccountSettingDefaultCommand,
  RegisterTaskDefinitionCommand,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  type ECSClient,
  type ListAccountSettingsCommandInput,
  type Setting,
  type SettingName,
  type Tag,
} from '@aws-sdk/client-ecs';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { aws, ecsClient, startBerth, type Berth } from './harness.js';

// Tags on clusters and task definitions, ECS account settings, and STS's
// GetCallerIdentity, through the real SDK and CLI against a real berth.

let b: Berth;
let ecs: ECSClient;
const ACCOUNT = '000000000000';
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const clusterArn = (name: string) => `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${name}`;

before(async () => {
  b = await startBerth();
  ecs = ecsClient(b);
});

after(async () => {
  ecs?.destroy();
  await b?.stop();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
});

async function rejects<T extends Error>(p: Promise<unknown>, type: new (...args: any[]) => T, message?: RegExp): Promise<T> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error).name}: ${(e as Error).message}`);
    if (message) assert.match((e as Error).message, message);
    return e as T;
  }
  assert.fail(`expected ${type.name}, but the call succeeded`);
}

const sortTags = (tags: Tag[] | undefined) => [...(tags ?? [])].sort((x, y) => (x.key! < y.key! ? -1 : 1));
const tagsOf = async (resourceArn: string) => sortTags((await ecs.send(new ListTagsForResourceCommand({ resourceArn }))).tags);

// ── tags ────────────────────────────────────────────────────────────────────

test('TagResource / UntagResource / ListTagsForResource on a cluster', async () => {
  const arn = (await ecs.send(new CreateClusterCommand({ clusterName: 'tagged', tags: [{ key: 'a', value: '1' }] }))).cluster!.clusterArn!;
  assert.equal(arn, clusterArn('tagged'));
  assert.deepEqual(await tagsOf(arn), [{ key: 'a', value: '1' }]);

  await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'b', value: '2' }, { key: 'a', value: '10' }] }));
  assert.deepEqual(await tagsOf(arn), [
    { key: 'a', value: '10' },
    { key: 'b', value: '2' },
  ]);
  // DescribeClusters sees the same tags.
  const d = await ecs.send(new DescribeClustersCommand({ clusters: ['tagged'], include: ['TAGS'] }));
  assert.deepEqual(sortTags(d.clusters![0]!.tags), [
    { key: 'a', value: '10' },
    { key: 'b', value: '2' },
  ]);

  await ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['a', 'not-there'] }));
  assert.deepEqual(await tagsOf(arn), [{ key: 'b', value: '2' }]);
  await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'empty', value: '' }] }));
  assert.deepEqual(await tagsOf(arn), [
    { key: 'b', value: '2' },
    { key: 'empty', value: '' },
  ]);
});

test('TagResource / UntagResource / ListTagsForResource on a task definition', async () => {
  const reg = await ecs.send(
    new RegisterTaskDefinitionCommand({ family: 'tagged-td', containerDefinitions: [{ name: 'app', image: 'busybox', memory: 32 }], tags: [{ key: 'x', value: 'y' }] }),
  );
  const arn = reg.taskDefinition!.taskDefinitionArn!;
  assert.deepEqual(await tagsOf(arn), [{ key: 'x', value: 'y' }]);
  await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'owner', value: 'me' }] }));
  assert.deepEqual(await tagsOf(arn), [
    { key: 'owner', value: 'me' },
    { key: 'x', value: 'y' },
  ]);
  await ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['x'] }));
  assert.deepEqual(await tagsOf(arn), [{ key: 'owner', value: 'me' }]);
});

test('tags on unknown resources: ClusterNotFoundException / ResourceNotFoundException', async () => {
  const ghostCluster = clusterArn('ghost');
  await rejects(ecs.send(new ListTagsForResourceCommand({ resourceArn: ghostCluster })), ClusterNotFoundException);
  await rejects(ecs.send(new TagResourceCommand({ resourceArn: ghostCluster, tags: [{ key: 'k', value: 'v' }] })), ClusterNotFoundException);
  await rejects(ecs.send(new UntagResourceCommand({ resourceArn: ghostCluster, tagKeys: ['k'] })), ClusterNotFoundException);

  const ghostTd = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/ghost:1`;
  await rejects(ecs.send(new ListTagsForResourceCommand({ resourceArn: ghostTd })), ResourceNotFoundException);
  await rejects(ecs.send(new TagResourceCommand({ resourceArn: ghostTd, tags: [{ key: 'k', value: 'v' }] })), ResourceNotFoundException);

  // A deleted cluster is not taggable either, and tagging it did not create anything.
  await ecs.send(new CreateClusterCommand({ clusterName: 'short-lived' }));
  await ecs.send(new DeleteClusterCommand({ cluster: 'short-lived' }));
  await rejects(ecs.send(new TagResourceCommand({ resourceArn: clusterArn('short-lived'), tags: [{ key: 'k', value: 'v' }] })), ClusterNotFoundException);
});

test('bad tags → InvalidParameterException', async () => {
  const arn = clusterArn('tagged');
  await rejects(ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: 'aws:reserved', value: 'v' }] })), InvalidParameterException);
  await rejects(ecs.send(new TagResourceCommand({ resourceArn: 'not-an-arn', tags: [{ key: 'k', value: 'v' }] })), InvalidParameterException);
  // 50 tags at most per resource (it has 2).
  const many = Array.from({ length: 49 }, (_, i) => ({ key: `k${i}`, value: String(i) }));
  await rejects(ecs.send(new TagResourceCommand({ resourceArn: arn, tags: many })), InvalidParameterException);
  assert.equal((await tagsOf(arn)).length, 2, 'a refused TagResource changed the tags');
  await ecs.send(new TagResourceCommand({ resourceArn: arn, tags: many.slice(0, 48) }));
  assert.equal((await tagsOf(arn)).length, 50);
});

// ── account settings ────────────────────────────────────────────────────────

async function listAllSettings(input: ListAccountSettingsCommandInput, client = ecs): Promise<Setting[]> {
  const out: Setting[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(new ListAccountSettingsCommand({ ...input, nextToken }));
    out.push(...(page.settings ?? []));
    nextToken = page.nextToken;
    assert.ok(++pages < 50, 'ListAccountSettings never stops paging');
  } while (nextToken);
  return out;
}

const valueOf = (settings: Setting[], name: string) => settings.find((s) => s.name === name)?.value;

test('PutAccountSetting / ListAccountSettings (name filter) / DeleteAccountSetting', async () => {
  const put = await ecs.send(new PutAccountSettingCommand({ name: 'serviceLongArnFormat', value: 'disabled' }));
  assert.deepEqual({ name: put.setting!.name, value: put.setting!.value, principalArn: put.setting!.principalArn }, { name: 'serviceLongArnFormat', value: 'disabled', principalArn: ROOT });

  const named = await ecs.send(new ListAccountSettingsCommand({ name: 'serviceLongArnFormat' }));
  assert.equal(named.settings!.length, 1);
  assert.equal(named.settings![0]!.value, 'disabled');
  assert.equal(named.settings![0]!.principalArn, ROOT);

  // Without effectiveSettings, only what was set explicitly.
  const own = await listAllSettings({});
  assert.deepEqual(own.map((s) => s.name), ['serviceLongArnFormat']);

  // Another principal's setting is its own.
  const role = `arn:aws:iam::${ACCOUNT}:role/deployer`;
  await ecs.send(new PutAccountSettingCommand({ name: 'taskLongArnFormat', value: 'disabled', principalArn: role }));
  const roleSettings = await listAllSettings({ principalArn: role });
  assert.deepEqual(roleSettings.map((s) => [s.name, s.value, s.principalArn]), [['taskLongArnFormat', 'disabled', role]]);
  assert.equal(valueOf(await listAllSettings({ effectiveSettings: true }), 'taskLongArnFormat'), 'enabled', "the role's setting leaked to root");

  const del = await ecs.send(new DeleteAccountSettingCommand({ name: 'serviceLongArnFormat' }));
  assert.equal(del.setting!.name, 'serviceLongArnFormat');
  assert.deepEqual((await ecs.send(new ListAccountSettingsCommand({ name: 'serviceLongArnFormat' }))).settings, []);
  assert.equal(valueOf(await listAllSettings({ effectiveSettings: true }), 'serviceLongArnFormat'), 'enabled');
  await ecs.send(new DeleteAccountSettingCommand({ name: 'taskLongArnFormat', principalArn: role }));
  assert.deepEqual(await listAllSettings({ principalArn: role }), []);
});

test('ListAccountSettings effectiveSettings covers every setting, pages without repeats', async () => {
  await ecs.send(new PutAccountSettingCommand({ name: 'awsvpcTrunking', value: 'enabled' }));
  const all = await listAllSettings({ effectiveSettings: true });
  const names = all.map((s) => s.name!);
  assert.equal(new Set(names).size, names.length, `repeated settings: ${names.join(',')}`);
  for (const name of ['serviceLongArnFormat', 'taskLongArnFormat', 'containerInstanceLongArnFormat', 'awsvpcTrunking', 'containerInsights']) {
    assert.ok(names.includes(name as SettingName), `${name} missing from ${names.join(',')}`);
  }
  assert.equal(valueOf(all, 'awsvpcTrunking'), 'enabled');
  assert.equal(valueOf(all, 'taskLongArnFormat'), 'enabled');
  assert.ok(all.every((s) => s.principalArn === ROOT), JSON.stringify(all));

  for (const maxResults of [1, 3, 4]) {
    const paged = await listAllSettings({ effectiveSettings: true, maxResults });
    assert.deepEqual(
      paged.map((s) => [s.name, s.value]),
      all.map((s) => [s.name, s.value]),
      `maxResults ${maxResults}`,
    );
  }
  const firstPage = await ecs.send(new ListAccountSettingsCommand({ effectiveSettings: true, maxResults: 2 }));
  assert.equal(firstPage.settings!.length, 2);
  assert.ok(firstPage.nextToken);

  const filtered = await ecs.send(new ListAccountSettingsCommand({ effectiveSettings: true, name: 'containerInsights' }));
  assert.deepEqual(filtered.settings!.map((s) => s.name), ['containerInsights']);
  await ecs.send(new DeleteAccountSettingCommand({ name: 'awsvpcTrunking' }));
});

test('account settings are regional', async () => {
  await ecs.send(new PutAccountSettingCommand({ name: 'containerInstanceLongArnFormat', value: 'disabled' }));
  const eu = ecsClient(b, 'eu-west-1');
  try {
    assert.equal(valueOf(await listAllSettings({ effectiveSettings: true }, eu), 'containerInstanceLongArnFormat'), 'enabled');
    assert.deepEqual(await listAllSettings({}, eu), []);
  } finally {
    eu.destroy();
  }
  assert.equal(valueOf(await listAllSettings({ effectiveSettings: true }), 'containerInstanceLongArnFormat'), 'disabled');
  await ecs.send(new DeleteAccountSettingCommand({ name: 'containerInstanceLongArnFormat' }));
});

test('invalid setting name or value → InvalidParameterException', async () => {
  await rejects(ecs.send(new PutAccountSettingCommand({ name: 'notASetting' as SettingName, value: 'enabled' })), InvalidParameterException, /name/);
  await rejects(ecs.send(new PutAccountSettingCommand({ name: 'serviceLongArnFormat', value: 'sometimes' })), InvalidParameterException, /sometimes|value/);
  await rejects(ecs.send(new PutAccountSettingDefaultCommand({ name: 'containerInsights', value: 'loud' })), InvalidParameterException);
  await rejects(ecs.send(new DeleteAccountSettingCommand({ name: 'bogus' as SettingName })), InvalidParameterException);
  await rejects(ecs.send(new ListAccountSettingsCommand({ name: 'bogus' as SettingName })), InvalidParameterException);
  await rejects(ecs.send(new PutAccountSettingCommand({ name: 'taskLongArnFormat', value: 'enabled', principalArn: 'arn:aws:s3:::bucket' })), InvalidParameterException);
  assert.deepEqual(await listAllSettings({}), [], 'a refused setting was stored');
});

test('the containerInsights account default applies to new clusters', async () => {
  const def = await ecs.send(new PutAccountSettingDefaultCommand({ name: 'containerInsights', value: 'enabled' }));
  assert.equal(def.setting!.name, 'containerInsights');
  assert.equal(def.setting!.value, 'enabled');
  assert.equal(valueOf(await listAllSettings({ effectiveSettings: true }), 'containerInsights'), 'enabled');

  const insightsOf = async (name: string) => {
    const d = await ecs.send(new DescribeClustersCommand({ clusters: [name], include: ['SETTINGS'] }));
    return d.clusters![0]!.settings!.find((s) => s.name === 'containerInsights')?.value;
  };
  const created = await ecs.send(new CreateClusterCommand({ clusterName: 'insightful' }));
  assert.equal(created.cluster!.settings!.find((s) => s.name === 'containerInsights')?.value, 'enabled');
  assert.equal(await insightsOf('insightful'), 'enabled');
  // A setting on the cluster itself wins over the default.
  await ecs.send(new CreateClusterCommand({ clusterName: 'quiet', settings: [{ name: 'containerInsights', value: 'disabled' }] }));
  assert.equal(await insightsOf('quiet'), 'disabled');

  await ecs.send(new PutAccountSettingDefaultCommand({ name: 'containerInsights', value: 'disabled' }));
  await ecs.send(new CreateClusterCommand({ clusterName: 'after-default' }));
  assert.equal(await insightsOf('after-default'), 'disabled');
  assert.equal(await insightsOf('insightful'), 'enabled', 'changing the default changed an existing cluster');
});

// ── STS ─────────────────────────────────────────────────────────────────────

test('aws sts get-caller-identity (query protocol) returns account 000000000000', () => {
  const r = aws(b, ['sts', 'get-caller-identity']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.json.Account, ACCOUNT);
  assert.equal(r.json.Arn, ROOT);
  assert.equal(typeof r.json.UserId, 'string');
  // With a key berth does not know, the CLI reports the query-protocol error.
  const bad = aws(b, ['sts', 'get-caller-identity'], { env: { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE' } });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /InvalidClientTokenId/);
});
