import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readInstance, saveInstance } from '../../src/control/instance-record.js';
import { retryOnConflict, VersionConflict } from '../../src/control/optimistic.js';
import { addInstance, openCore, scope, type Core } from './fixture.js';

// The version check every placement and resource return relies on: a write
// from a stale read changes nothing and is retried on fresh reads.

let core: Core;
before(async () => {
  core = await openCore();
});
after(async () => {
  await core.close();
});

test('a stale instance write is refused, and retryOnConflict runs the transaction again on fresh reads', async () => {
  await core.clusters.create(scope, { clusterName: 'opt' }, 0);
  const arn = await addInstance(core, { cluster: 'opt', memory: 1000 });
  const stale = (await readInstance(core.store.db, arn))!;
  // Another writer (a replica, another RunTask) takes 100 MiB first.
  await core.store.transaction(async (tx) => {
    const fresh = (await readInstance(tx, arn))!;
    await saveInstance(tx, fresh, { body: { ...fresh.body, remaining: { ...fresh.body.remaining, memory: fresh.body.remaining.memory - 100 } } });
  });
  await assert.rejects(
    core.store.transaction((tx) => saveInstance(tx, stale, { body: { ...stale.body, remaining: { ...stale.body.remaining, memory: 0 } } })),
    VersionConflict,
  );
  assert.equal((await readInstance(core.store.db, arn))!.body.remaining.memory, 900);

  let attempts = 0;
  await retryOnConflict(() =>
    core.store.transaction(async (tx) => {
      attempts++;
      const rec = attempts === 1 ? stale : (await readInstance(tx, arn))!;
      await saveInstance(tx, rec, { body: { ...rec.body, remaining: { ...rec.body.remaining, memory: rec.body.remaining.memory - 50 } } });
    }),
  );
  assert.equal(attempts, 2);
  assert.equal((await readInstance(core.store.db, arn))!.body.remaining.memory, 850);
});

test('retryOnConflict gives up with a ServerException after its attempts', async () => {
  let n = 0;
  await assert.rejects(
    retryOnConflict(async () => {
      n++;
      throw new VersionConflict('x');
    }, 3),
    (e: unknown) => (e as { code?: string }).code === 'ServerException',
  );
  assert.equal(n, 3);
});
