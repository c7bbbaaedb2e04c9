import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { digestOf } from '../../src/registry/digest.js';
import { collectGarbage } from '../../src/registry/garbage-collector.js';
import { MEDIA } from '../../src/registry/manifest.js';
import { Registry } from '../../src/registry/registry.js';
import { keyOf, type RepositoryRecord } from '../../src/registry/repositories.js';
import { SqliteStore } from '../../src/store/sqlite.js';

// Mark-and-sweep against the real store and filesystem driver: what a
// manifest reaches survives, what nothing reaches goes once it is older
// than the grace period, and a push in progress is never swept.

const scope = { accountId: '000000000000', region: 'us-east-1' };
const HOUR = 3600_000;
let dir: string;
let store: SqliteStore;
let registry: Registry;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'berth-gc-'));
  store = await SqliteStore.open(join(dir, 'berth.sqlite'));
  registry = new Registry(store, { dataDir: dir, registryHost: () => '127.0.0.1:1' });
});

after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function pushBlob(repo: RepositoryRecord, data: Buffer, now: number): Promise<string> {
  const upload = await registry.uploads.start(keyOf(repo), now);
  await registry.uploads.append(upload, Readable.from([data]));
  const digest = digestOf(data);
  await registry.uploads.commit(upload, digest, now);
  return digest;
}

function manifestOf(config: string, layers: string[], sizes: number[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
      layers: layers.map((d, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d, size: sizes[i] })),
    }),
  );
}

test('what a manifest reaches survives; an unreferenced old blob and its links are swept', async () => {
  const t0 = Date.UTC(2026, 0, 1);
  const repo = await registry.repositories.create(scope, { repositoryName: 'gc/one' }, t0);
  const config = await pushBlob(repo, Buffer.from('{}'), t0);
  const kept = await pushBlob(repo, Buffer.from('layer kept'), t0);
  const orphan = await pushBlob(repo, Buffer.from('layer orphaned'), t0);
  await registry.images.putManifest(repo, manifestOf(config, [kept], [10]), { tag: 'v1', now: t0 });

  // Young: nothing goes.
  const early = await collectGarbage(registry, t0 + 1000, { graceMs: HOUR });
  assert.equal(early.blobsDeleted, 0);
  assert.notEqual(await registry.blobs.size(orphan), undefined);

  const late = await collectGarbage(registry, t0 + 2 * HOUR, { graceMs: HOUR });
  assert.equal(late.blobsDeleted, 1);
  assert.equal(late.linksDeleted, 1);
  assert.equal(await registry.blobs.size(orphan), undefined);
  assert.notEqual(await registry.blobs.sizeIn(keyOf(repo), kept), undefined);
  assert.notEqual(await registry.blobs.sizeIn(keyOf(repo), config), undefined);
});

test('a layer shared by two repositories outlives the deletion of one image', async () => {
  const t0 = Date.UTC(2026, 1, 1);
  const a = await registry.repositories.create(scope, { repositoryName: 'gc/a' }, t0);
  const b = await registry.repositories.create(scope, { repositoryName: 'gc/b' }, t0);
  const config = await pushBlob(a, Buffer.from('{}'), t0);
  const shared = await pushBlob(a, Buffer.from('shared layer'), t0);
  assert.ok(await registry.blobs.link(keyOf(b), config, t0));
  assert.ok(await registry.blobs.link(keyOf(b), shared, t0));
  const m = manifestOf(config, [shared], [12]);
  const inA = await registry.images.putManifest(a, m, { tag: 'x', now: t0 });
  await registry.images.putManifest(b, m, { tag: 'x', now: t0 });
  assert.ok((await registry.images.delete(a, inA.digest)).deleted);

  await collectGarbage(registry, t0 + 2 * HOUR, { graceMs: HOUR });
  assert.notEqual(await registry.blobs.size(shared), undefined, 'b still reaches it');
  assert.equal(await registry.blobs.sizeIn(keyOf(a), shared), undefined, "a's link is gone");
  assert.notEqual(await registry.blobs.sizeIn(keyOf(b), shared), undefined);
});

test('a push that refers to an old unreferenced blob refreshes it, so a concurrent sweep keeps it', async () => {
  const t0 = Date.UTC(2026, 2, 1);
  const repo = await registry.repositories.create(scope, { repositoryName: 'gc/race' }, t0);
  const config = await pushBlob(repo, Buffer.from('{}'), t0);
  const layer = await pushBlob(repo, Buffer.from('old layer, re-pushed'), t0);
  // Hours later a client finds the layer present (HEAD) and pushes a manifest for it while GC runs.
  const later = t0 + 5 * HOUR;
  const [gc, put] = await Promise.all([
    collectGarbage(registry, later, { graceMs: HOUR }),
    registry.images.putManifest(repo, manifestOf(config, [layer], [20]), { tag: 'again', now: later }),
  ]);
  const survivors = await registry.blobs.sizeIn(keyOf(repo), layer);
  if (survivors === undefined) {
    // The sweep got there first: then the push must have been refused, never stored with a missing layer.
    assert.fail(`the manifest ${put.digest} was stored but its layer was swept (gc: ${JSON.stringify(gc)})`);
  }
  await collectGarbage(registry, later + 10, { graceMs: HOUR });
  assert.notEqual(await registry.blobs.size(layer), undefined);
});

test('uploads abandoned for more than a day are purged', async () => {
  const t0 = Date.UTC(2026, 3, 1);
  const repo = await registry.repositories.create(scope, { repositoryName: 'gc/uploads' }, t0);
  const upload = await registry.uploads.start(keyOf(repo), t0);
  await registry.uploads.append(upload, Readable.from([Buffer.from('partial')]));
  const result = await collectGarbage(registry, t0 + 25 * HOUR, { graceMs: HOUR });
  assert.ok(result.uploadsPurged >= 1);
  assert.equal(await registry.uploads.get(upload.id, keyOf(repo)), undefined);
});
