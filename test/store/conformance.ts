import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { TaskDefinitions } from '../../src/control/task-definitions.js';

// The one suite every Store implementation must pass (SQLite now,
// PostgreSQL when it lands): transactions are atomic, concurrent writers
// serialize, optimistic versions detect a lost race.

export function storeConformance(name: string, open: () => Promise<Store>) {
  let store: Store;
  before(async () => {
    store = await open();
  });
  after(async () => {
    await store.close();
  });

  test(`${name}: a transaction that throws leaves nothing behind`, async () => {
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.insertInto('tags').values({ resource_arn: 'arn:rollback', key: 'k', value: 'v', position: 1 }).execute();
        throw new Error('abort');
      }),
      /abort/,
    );
    const rows = await store.db.selectFrom('tags').selectAll().where('resource_arn', '=', 'arn:rollback').execute();
    assert.equal(rows.length, 0);
  });

  test(`${name}: a committed transaction is visible to the next read`, async () => {
    await store.transaction(async (tx) => {
      await tx.insertInto('tags').values({ resource_arn: 'arn:commit', key: 'k', value: 'v', position: 1 }).execute();
    });
    const rows = await store.db.selectFrom('tags').select('value').where('resource_arn', '=', 'arn:commit').execute();
    assert.deepEqual(rows, [{ value: 'v' }]);
  });

  test(`${name}: concurrent registrations get distinct, gapless revisions`, async () => {
    const tds = new TaskDefinitions(store);
    const scope = { accountId: '000000000000', region: 'us-east-1' };
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        tds.register(scope, { family: 'conformance', containerDefinitions: [{ name: 'a', image: 'busybox', memory: 16 }] }, Date.now()),
      ),
    );
    const revisions = results.map((r) => r.taskDefinition.revision!).sort((a, b) => a - b);
    assert.deepEqual(revisions, Array.from({ length: 40 }, (_, i) => i + 1));
  });

  test(`${name}: an update guarded by a stale version changes nothing`, async () => {
    const row = { arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/conf', account_id: '000000000000', region: 'us-east-1', name: 'conf', status: 'ACTIVE', version: 1, created_at: 0, body: '{}' };
    await store.transaction((tx) => tx.insertInto('clusters').values(row).execute());
    const first = await store.transaction((tx) =>
      tx.updateTable('clusters').set({ version: 2, body: '{"a":1}' }).where('arn', '=', row.arn).where('version', '=', 1).executeTakeFirst(),
    );
    const stale = await store.transaction((tx) =>
      tx.updateTable('clusters').set({ version: 2, body: '{"a":2}' }).where('arn', '=', row.arn).where('version', '=', 1).executeTakeFirst(),
    );
    assert.equal(Number(first.numUpdatedRows), 1);
    assert.equal(Number(stale.numUpdatedRows), 0);
    const now = await store.db.selectFrom('clusters').select('body').where('arn', '=', row.arn).executeTakeFirstOrThrow();
    assert.equal(now.body, '{"a":1}');
  });
}
