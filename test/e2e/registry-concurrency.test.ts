import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { blobsDir, createRepository, filesUnder, randomImage, sha256, storedBlobs, V2Client, type V2Response } from '../support/registry.js';
import { startBerth, type Berth } from './harness.js';

// Eight clients push the same blobs at the same moment, each to its own
// repository and all to one: every push succeeds, the blob store keeps one
// copy of each blob, and every repository links what it pushed.

let b: Berth;
let v2: V2Client;
const CLIENTS = 8;

before(async () => {
  b = await startBerth();
  v2 = await V2Client.basic(b);
  for (let i = 0; i < CLIENTS; i++) await createRepository(b, `conc/r${i}`);
  await createRepository(b, 'conc/shared');
});

after(async () => {
  await b?.stop();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
});

const threeLayers = () => [randomBytes(4 * 1024 * 1024), randomBytes(1024 * 1024), randomBytes(300_000)];

/** Client i pushes every layer: even clients monolithically (POST ?digest=), odd ones in 256 KiB PATCHes with Content-Range and a closing PUT. */
async function pushLayers(client: number, repo: string, layers: Buffer[]): Promise<V2Response[]> {
  const out: V2Response[] = [];
  for (const layer of client % 2 === 0 ? layers : [...layers].reverse()) {
    out.push(client % 2 === 0 ? await v2.pushBlob(repo, layer) : await v2.pushBlobChunked(repo, layer, 256 * 1024));
  }
  return out;
}

const dirEntries = (path: string) => (existsSync(path) ? readdirSync(path) : []);

function assertStoredOnce(digests: string[]): void {
  const stored = storedBlobs(b.dataDir);
  for (const d of digests) assert.equal(stored.filter((s) => s === d).length, 1, `${d} is not stored exactly once`);
  // Nothing else lies beside the data files: no temp files, no second copies.
  for (const f of filesUnder(blobsDir(b.dataDir))) assert.match(f, /\/blobs\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}\/data$/, f);
  assert.deepEqual(dirEntries(join(b.dataDir, 'registry', 'uploads')), [], 'finished uploads left their staging');
  assert.deepEqual(dirEntries(join(b.dataDir, 'registry', 'staging')), []);
}

test('eight clients push the same three new layers at once, each to its own repository: all 201, one stored copy, every link present', async () => {
  const layers = threeLayers();
  const digests = layers.map((l) => sha256(l));
  const results = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => pushLayers(i, `conc/r${i}`, layers)));
  results.forEach((rs, i) => rs.forEach((r) => assert.equal(r.status, 201, `client ${i}: ${r.status} ${r.text}`)));
  assertStoredOnce(digests);
  for (let i = 0; i < CLIENTS; i++) {
    for (const d of digests) {
      const head = await v2.request('HEAD', `/v2/conc/r${i}/blobs/${d}`);
      assert.equal(head.status, 200, `conc/r${i} lacks ${d}`);
    }
  }
  // Each repository's link is its own: unlinking one leaves the others.
  assert.equal((await v2.request('DELETE', `/v2/conc/r0/blobs/${digests[0]}`)).status, 202);
  assert.equal((await v2.request('HEAD', `/v2/conc/r0/blobs/${digests[0]}`)).status, 404);
  assert.equal((await v2.request('HEAD', `/v2/conc/r1/blobs/${digests[0]}`)).status, 200);
});

test('eight clients push the same three new layers at once to one repository: all 201, one stored copy, linked', async () => {
  const layers = threeLayers();
  const digests = layers.map((l) => sha256(l));
  const results = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => pushLayers(i, 'conc/shared', layers)));
  results.forEach((rs, i) => rs.forEach((r) => assert.equal(r.status, 201, `client ${i}: ${r.status} ${r.text}`)));
  assertStoredOnce(digests);
  for (const [i, d] of digests.entries()) {
    const got = await v2.request('GET', `/v2/conc/shared/blobs/${d}`);
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(layers[i]!), `${d} differs from what was pushed`);
  }
});

test('eight clients push the same image under eight tags at once, and the same three layers again: all 201, one manifest, eight tags', async () => {
  const image = randomImage({ layers: 3, layerSize: 512 * 1024 });
  const results = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const blobs = await pushLayers(i, 'conc/shared', [image.config, ...image.layers]);
      const manifest = await v2.putManifest('conc/shared', `t${i}`, image.manifest, image.mediaType);
      return [...blobs, manifest];
    }),
  );
  results.forEach((rs, i) => rs.forEach((r) => assert.equal(r.status, 201, `client ${i}: ${r.status} ${r.text}`)));
  assertStoredOnce([image.digest, sha256(image.config), ...image.layers.map((l) => sha256(l))]);
  const tags = await v2.request('GET', '/v2/conc/shared/tags/list');
  assert.deepEqual(tags.json.tags, Array.from({ length: CLIENTS }, (_, i) => `t${i}`));
  for (let i = 0; i < CLIENTS; i++) {
    const head = await v2.request('HEAD', `/v2/conc/shared/manifests/t${i}`);
    assert.equal(head.headers['docker-content-digest'], image.digest);
  }
});

test('uploads started while garbage collection runs back to back are never lost (the purge spares uploads being created)', async () => {
  // Maintenance every 10 ms: the upload purge lists uploads while POSTs create them.
  const busy = await startBerth({ extraArgs: ['--registry-maintenance-interval', '0.01'] });
  try {
    await createRepository(busy, 'conc/gc');
    const client = await V2Client.basic(busy);
    const lost: string[] = [];
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = 0; i < 25; i++) {
          const start = await client.request('POST', '/v2/conc/gc/blobs/uploads/');
          if (start.status !== 202) {
            lost.push(`POST → ${start.status} ${start.text}`);
            continue;
          }
          const status = await client.request('GET', String(start.headers.location));
          if (status.status !== 204) lost.push(`${start.headers.location} → ${status.status} ${status.text}`);
        }
      }),
    );
    assert.deepEqual(lost, []);
    assert.doesNotMatch(busy.output(), /maintenance failed/);
  } finally {
    await busy.stop();
    rmSync(busy.dataDir, { recursive: true, force: true });
  }
});
