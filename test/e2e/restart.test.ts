import {
  CreateClusterCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  paginateListTaskDefinitions,
  RegisterTaskDefinitionCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ecsClient, repoRoot, startBerth, type Berth } from './harness.js';

// berth's state across restarts: a SIGKILL mid-write loses nothing that was
// acknowledged and never hands out a revision twice; a clean SIGTERM keeps
// everything; `berth env` points clients at the berth of a data dir.

const started: Berth[] = [];
const dirs = new Set<string>();

async function start(opts: Parameters<typeof startBerth>[0] = {}): Promise<Berth> {
  const b = await startBerth(opts);
  started.push(b);
  dirs.add(b.dataDir);
  return b;
}

after(async () => {
  for (const b of started) await b.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const FAMILY = 'crash-loop';
const definition = (i: number) => ({
  family: FAMILY,
  containerDefinitions: [{ name: 'app', image: 'busybox', memory: 32, command: ['echo', String(i)] }],
});

async function allRevisions(ecs: ECSClient, family: string): Promise<number[]> {
  const out: number[] = [];
  for await (const page of paginateListTaskDefinitions({ client: ecs, pageSize: 100 }, { familyPrefix: family, status: 'ACTIVE' })) {
    out.push(...page.taskDefinitionArns!.map((a) => Number(a.split(':').pop())));
  }
  return out;
}

test('SIGKILL mid-loop: every acknowledged revision survives; revisions stay 1..N with no gap or duplicate', async () => {
  const first = await start();
  const ecs = ecsClient(first);
  const acknowledged: number[] = [];
  let loopError: unknown;
  let stop = false;
  const loop = (async () => {
    for (let i = 1; !stop; i++) {
      try {
        const out = await ecs.send(new RegisterTaskDefinitionCommand(definition(i)));
        acknowledged.push(out.taskDefinition!.revision!);
      } catch (e) {
        loopError = e;
        return;
      }
    }
  })();
  await new Promise((r) => setTimeout(r, 1500));
  await first.kill();
  stop = true;
  await loop;
  ecs.destroy();
  assert.equal(first.process.signalCode, 'SIGKILL');
  assert.ok(loopError, 'the loop should have been cut off by the kill');
  assert.ok(acknowledged.length >= 5, `only ${acknowledged.length} registrations in 1.5 s`);
  assert.deepEqual(acknowledged, Array.from({ length: acknowledged.length }, (_, i) => i + 1), 'acknowledged revisions were not 1..n');

  const second = await start({ dataDir: first.dataDir });
  assert.equal(second.accessKeyId, first.accessKeyId, 'the root key changed across the restart');
  const ecs2 = ecsClient(second);
  try {
    for (const revision of acknowledged) {
      const d = await ecs2.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${FAMILY}:${revision}` }));
      assert.equal(d.taskDefinition!.revision, revision);
      assert.deepEqual(d.taskDefinition!.containerDefinitions![0]!.command, ['echo', String(revision)]);
    }
    const before = await allRevisions(ecs2, FAMILY);
    const n = before.length;
    assert.ok(n >= acknowledged.length, `${n} revisions listed, ${acknowledged.length} acknowledged`);
    // At most the one request in flight at the kill may have committed unacknowledged.
    assert.ok(n <= acknowledged.length + 1, `${n} revisions listed, only ${acknowledged.length} acknowledged`);
    assert.deepEqual(before, Array.from({ length: n }, (_, i) => i + 1));

    for (let k = 1; k <= 3; k++) {
      const out = await ecs2.send(new RegisterTaskDefinitionCommand(definition(n + k)));
      assert.equal(out.taskDefinition!.revision, n + k);
    }
    assert.deepEqual(await allRevisions(ecs2, FAMILY), Array.from({ length: n + 3 }, (_, i) => i + 1));
  } finally {
    ecs2.destroy();
    await second.stop();
  }
});

test('a clean SIGTERM restart keeps a tagged cluster', async () => {
  const first = await start();
  const ecs = ecsClient(first);
  await ecs.send(
    new CreateClusterCommand({
      clusterName: 'survivor',
      tags: [
        { key: 'team', value: 'ops' },
        { key: 'tier', value: 'gold' },
      ],
      settings: [{ name: 'containerInsights', value: 'enhanced' }],
    }),
  );
  ecs.destroy();
  await first.stop();
  assert.equal(first.process.exitCode, 0, `berth did not exit cleanly:\n${first.output()}`);

  const second = await start({ dataDir: first.dataDir });
  const ecs2 = ecsClient(second);
  try {
    const d = await ecs2.send(new DescribeClustersCommand({ clusters: ['survivor'], include: ['TAGS', 'SETTINGS'] }));
    assert.deepEqual(d.failures, []);
    const c = d.clusters![0]!;
    assert.equal(c.status, 'ACTIVE');
    assert.equal(c.clusterArn, 'arn:aws:ecs:us-east-1:000000000000:cluster/survivor');
    assert.deepEqual(c.tags, [
      { key: 'team', value: 'ops' },
      { key: 'tier', value: 'gold' },
    ]);
    assert.equal(c.settings!.find((s) => s.name === 'containerInsights')?.value, 'enhanced');
  } finally {
    ecs2.destroy();
    await second.stop();
  }
});

test('berth env --data-dir prints the exports, which work; the key file is mode 0600', async () => {
  const b = await start();
  try {
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'berth.js'), 'env', '--data-dir', b.dataDir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const exports = new Map<string, string>();
    for (const line of r.stdout.trim().split('\n')) {
      const m = /^export ([A-Z_]+)=(.*)$/.exec(line);
      assert.ok(m, `not an export line: ${line}`);
      exports.set(m[1]!, m[2]!.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1'));
    }
    assert.equal(exports.get('AWS_ENDPOINT_URL'), b.endpoint);
    assert.equal(exports.get('AWS_ACCESS_KEY_ID'), b.accessKeyId);
    assert.equal(exports.get('AWS_SECRET_ACCESS_KEY'), b.secretAccessKey);
    assert.equal(exports.get('AWS_REGION'), 'us-east-1');

    const keyFile = join(b.dataDir, 'root-access-key.json');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600, `key file mode ${(statSync(keyFile).mode & 0o777).toString(8)}`);
    const key = JSON.parse(readFileSync(keyFile, 'utf8'));
    assert.equal(key.accessKeyId, b.accessKeyId);

    // The exports alone are enough for the AWS CLI (nothing else AWS_* in the environment).
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) clean[k] = v;
    clean.AWS_PAGER = '';
    clean.AWS_CONFIG_FILE = '/dev/null';
    clean.AWS_SHARED_CREDENTIALS_FILE = '/dev/null';
    const sh = spawnSync('bash', ['-c', `eval "$(${JSON.stringify(process.execPath)} ${JSON.stringify(join(repoRoot, 'bin', 'berth.js'))} env --data-dir ${JSON.stringify(b.dataDir)})" && aws sts get-caller-identity --output json`], {
      encoding: 'utf8',
      env: clean,
      timeout: 60_000,
    });
    assert.equal(sh.status, 0, sh.stderr);
    assert.equal(JSON.parse(sh.stdout).Account, '000000000000');
  } finally {
    await b.stop();
  }
  // With no berth ever started in a dir, `berth env` says so and fails.
  const empty = mkdtempSync(join(tmpdir(), 'berth-empty-'));
  dirs.add(empty);
  const none = spawnSync(process.execPath, [join(repoRoot, 'bin', 'berth.js'), 'env', '--data-dir', empty], { encoding: 'utf8' });
  assert.notEqual(none.status, 0);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /berth up/);
});

test('BERTH_ROOT_ACCESS_KEY_ID / BERTH_ROOT_SECRET_ACCESS_KEY fix the root key on first start', async () => {
  const accessKeyId = 'AKIAFIXEDKEYFORCI001';
  const secretAccessKey = 'fixedSecretForContinuousIntegration00001';
  const b = await start({ env: { BERTH_ROOT_ACCESS_KEY_ID: accessKeyId, BERTH_ROOT_SECRET_ACCESS_KEY: secretAccessKey } });
  try {
    assert.equal(b.accessKeyId, accessKeyId);
    assert.equal(b.secretAccessKey, secretAccessKey);
    const ecs = ecsClient(b);
    const out = await ecs.send(new DescribeClustersCommand({}));
    assert.equal(out.clusters![0]!.clusterName, 'default');
    ecs.destroy();
    assert.equal(statSync(join(b.dataDir, 'root-access-key.json')).mode & 0o777, 0o600);
  } finally {
    await b.stop();
  }
});
