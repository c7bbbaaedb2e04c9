import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { basicAuth, createRepository, errorCode, MEDIA, randomImage, registryHost, registryPassword, sha256, V2Client, withQuery, type V2Response } from '../support/registry.js';
import { startBerth, type Berth } from './harness.js';

// The OCI Distribution API (v1.1) over raw HTTP, request by request: the
// status codes, headers and bodies the spec prescribes, with ECR's login.

let b: Berth;
let v2: V2Client;
let password: string;
let host: string;

before(async () => {
  b = await startBerth();
  host = registryHost(b);
  password = await registryPassword(b);
  v2 = new V2Client(b.endpoint, basicAuth(password));
  for (const name of ['conf/blobs', 'conf/manifests', 'conf/tags', 'conf/referrers', 'conf/mount-target', 'conf/bearer']) await createRepository(b, name);
});

after(async () => {
  await b?.stop();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
});

function assertError(r: V2Response, status: number, code: string): void {
  assert.equal(r.status, status, `${r.status} ${r.text}`);
  if (r.body.length) assert.equal(errorCode(r), code, r.text);
}

test('GET /v2/ without credentials: 401, ECR\'s Basic challenge, an UNAUTHORIZED body; with them: 200', async () => {
  const anon = v2.as(undefined);
  for (const method of ['GET', 'HEAD']) {
    const r = await anon.request(method, '/v2/');
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], `Basic realm="http://${host}/",service="ecr.amazonaws.com"`);
    assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
    if (method === 'GET') assert.equal(errorCode(r), 'UNAUTHORIZED');
  }
  const ok = await v2.request('GET', '/v2/');
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['docker-distribution-api-version'], 'registry/2.0');
  assert.deepEqual(ok.json, {});
  assert.equal((await v2.request('HEAD', '/v2/')).status, 200);
  // Every other route asks for credentials the same way.
  const blob = await anon.request('GET', `/v2/conf/blobs/blobs/${sha256('x')}`);
  assert.equal(blob.status, 401);
  assert.match(String(blob.headers['www-authenticate']), /^Basic realm=/);
});

test('the Bearer flow: GET /v2/token with Basic credentials returns a token that works as Bearer', async () => {
  const anon = await v2.as(undefined).request('GET', '/v2/token');
  assert.equal(anon.status, 401);
  assert.match(String(anon.headers['www-authenticate']), /^Basic realm=.*service="ecr\.amazonaws\.com"/);
  const r = await v2.request('GET', `/v2/token?service=ecr.amazonaws.com&scope=${encodeURIComponent('repository:conf/bearer:pull,push')}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json).sort(), ['access_token', 'expires_in', 'issued_at', 'token']);
  assert.equal(r.json.token, r.json.access_token);
  assert.ok(Math.abs(r.json.expires_in - 12 * 3600) < 300, String(r.json.expires_in));
  assert.ok(Math.abs(Date.parse(r.json.issued_at) - Date.now()) < 60_000, r.json.issued_at);

  const bearer = v2.as(`Bearer ${r.json.token}`);
  assert.equal((await bearer.request('GET', '/v2/')).status, 200);
  const data = randomBytes(1000);
  const push = await bearer.pushBlob('conf/bearer', data);
  assert.equal(push.status, 201, push.text);
  const got = await bearer.request('GET', `/v2/conf/bearer/blobs/${sha256(data)}`);
  assert.ok(got.body.equals(data));
});

test('monolithic upload: POST ?digest= with the body → 201 with Location and Docker-Content-Digest', async () => {
  const data = randomBytes(4096);
  const digest = sha256(data);
  const r = await v2.pushBlob('conf/blobs', data);
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.location, `/v2/conf/blobs/blobs/${digest}`);
  assert.equal(r.headers['docker-content-digest'], digest);
  const got = await v2.request('GET', String(r.headers.location));
  assert.equal(got.status, 200);
  assert.ok(got.body.equals(data));
  assert.equal(got.headers['docker-content-digest'], digest);
});

test('chunked upload: POST → PATCH with Content-Range (Range grows) → GET status → PATCH → PUT ?digest= → 201', async () => {
  const data = randomBytes(3000);
  const digest = sha256(data);
  const start = await v2.request('POST', '/v2/conf/blobs/blobs/uploads/');
  assert.equal(start.status, 202);
  const id = String(start.headers['docker-upload-uuid']);
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.equal(start.headers.location, `/v2/conf/blobs/blobs/uploads/${id}`);
  assert.equal(start.headers.range, '0-0');

  const p1 = await v2.request('PATCH', String(start.headers.location), { headers: { 'content-type': 'application/octet-stream', 'content-range': '0-999' }, body: data.subarray(0, 1000) });
  assert.equal(p1.status, 202, p1.text);
  assert.equal(p1.headers.range, '0-999');
  assert.equal(p1.headers.location, `/v2/conf/blobs/blobs/uploads/${id}`);

  const status = await v2.request('GET', String(p1.headers.location));
  assert.equal(status.status, 204);
  assert.equal(status.headers.range, '0-999');
  assert.equal(status.headers['docker-upload-uuid'], id);
  assert.equal(status.headers.location, `/v2/conf/blobs/blobs/uploads/${id}`);

  const p2 = await v2.request('PATCH', String(p1.headers.location), { headers: { 'content-type': 'application/octet-stream', 'content-range': '1000-2499' }, body: data.subarray(1000, 2500) });
  assert.equal(p2.status, 202, p2.text);
  assert.equal(p2.headers.range, '0-2499');
  // The last chunk travels with the closing PUT.
  const put = await v2.request('PUT', withQuery(String(p2.headers.location), `digest=${encodeURIComponent(digest)}`), {
    headers: { 'content-type': 'application/octet-stream', 'content-range': '2500-2999' },
    body: data.subarray(2500),
  });
  assert.equal(put.status, 201, put.text);
  assert.equal(put.headers.location, `/v2/conf/blobs/blobs/${digest}`);
  assert.equal(put.headers['docker-content-digest'], digest);
  assert.ok((await v2.request('GET', `/v2/conf/blobs/blobs/${digest}`)).body.equals(data));
  // The upload is over.
  assertError(await v2.request('GET', `/v2/conf/blobs/blobs/uploads/${id}`), 404, 'BLOB_UPLOAD_UNKNOWN');
});

test('streamed PATCH without Content-Range (as docker sends) then an empty PUT', async () => {
  const data = randomBytes(200_000);
  const start = await v2.request('POST', '/v2/conf/blobs/blobs/uploads/');
  const chunks = [data.subarray(0, 70_000), data.subarray(70_000, 150_000), data.subarray(150_000)];
  const patch = await v2.request('PATCH', String(start.headers.location), {
    body: (async function* () {
      for (const c of chunks) yield c;
    })(),
  });
  assert.equal(patch.status, 202, patch.text);
  assert.equal(patch.headers.range, `0-${data.length - 1}`);
  const put = await v2.request('PUT', withQuery(String(patch.headers.location), `digest=${sha256(data)}`));
  assert.equal(put.status, 201, put.text);
});

test('blob GET with Range: bytes=10-19 → 206 with those bytes; HEAD → size and digest, no body; unsatisfiable → 416', async () => {
  const data = randomBytes(100);
  const digest = sha256(data);
  await v2.pushBlob('conf/blobs', data);
  const part = await v2.request('GET', `/v2/conf/blobs/blobs/${digest}`, { headers: { range: 'bytes=10-19' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers['content-range'], 'bytes 10-19/100');
  assert.equal(part.headers['content-length'], '10');
  assert.ok(part.body.equals(data.subarray(10, 20)));
  const tail = await v2.request('GET', `/v2/conf/blobs/blobs/${digest}`, { headers: { range: 'bytes=90-' } });
  assert.equal(tail.status, 206);
  assert.ok(tail.body.equals(data.subarray(90)));
  const suffix = await v2.request('GET', `/v2/conf/blobs/blobs/${digest}`, { headers: { range: 'bytes=-5' } });
  assert.equal(suffix.status, 206);
  assert.ok(suffix.body.equals(data.subarray(95)));

  const head = await v2.request('HEAD', `/v2/conf/blobs/blobs/${digest}`);
  assert.equal(head.status, 200);
  assert.equal(head.headers['content-length'], '100');
  assert.equal(head.headers['docker-content-digest'], digest);
  assert.equal(head.headers['accept-ranges'], 'bytes');
  assert.equal(head.body.length, 0);

  for (const range of ['bytes=100-200', 'bytes=50-10', 'bytes=-0']) {
    const r = await v2.request('GET', `/v2/conf/blobs/blobs/${digest}`, { headers: { range } });
    assert.equal(r.status, 416, `${range}: ${r.status} ${r.text}`);
    assert.equal(r.headers['content-range'], 'bytes */100', range);
  }
  // A unit the registry does not know is ignored: the whole blob.
  const pages = await v2.request('GET', `/v2/conf/blobs/blobs/${digest}`, { headers: { range: 'pages=1-2' } });
  assert.equal(pages.status, 200);
  assert.ok(pages.body.equals(data));
  assertError(await v2.request('GET', `/v2/conf/blobs/blobs/${sha256('absent')}`), 404, 'BLOB_UNKNOWN');
  const missingHead = await v2.request('HEAD', `/v2/conf/blobs/blobs/${sha256('absent')}`);
  assert.equal(missingHead.status, 404);
  assert.equal(missingHead.body.length, 0);
});

test('manifests: PUT by tag, GET/HEAD by tag and by digest with Content-Type and Docker-Content-Digest', async () => {
  for (const format of ['docker', 'oci'] as const) {
    const image = randomImage({ format });
    const put = await v2.pushImage('conf/manifests', format, image);
    assert.equal(put.headers['docker-content-digest'], image.digest);
    assert.equal(put.headers.location, `/v2/conf/manifests/manifests/${image.digest}`);
    for (const reference of [format, image.digest]) {
      const get = await v2.request('GET', `/v2/conf/manifests/manifests/${reference}`, { headers: { accept: `${MEDIA.dockerManifest}, ${MEDIA.ociManifest}` } });
      assert.equal(get.status, 200);
      assert.equal(get.headers['content-type'], image.mediaType);
      assert.equal(get.headers['docker-content-digest'], image.digest);
      assert.ok(get.body.equals(image.manifest), 'the manifest bytes differ');
      const head = await v2.request('HEAD', `/v2/conf/manifests/manifests/${reference}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(image.manifest.length));
      assert.equal(head.headers['docker-content-digest'], image.digest);
      assert.equal(head.body.length, 0);
    }
  }
  assertError(await v2.request('GET', '/v2/conf/manifests/manifests/nope'), 404, 'MANIFEST_UNKNOWN');
  assertError(await v2.request('GET', `/v2/conf/manifests/manifests/${sha256('nope')}`), 404, 'MANIFEST_UNKNOWN');
  assert.equal((await v2.request('HEAD', '/v2/conf/manifests/manifests/nope')).status, 404);
});

test('tags/list pages with n and last, and a Link header to the next page', async () => {
  const image = randomImage();
  const tags = ['t1', 't2', 't3', 't4', 't5'];
  for (const t of tags) await v2.pushImage('conf/tags', t, image);
  const all = await v2.request('GET', '/v2/conf/tags/tags/list');
  assert.deepEqual(all.json, { name: 'conf/tags', tags });
  assert.equal(all.headers.link, undefined);

  const seen: string[] = [];
  let next: string | undefined = '/v2/conf/tags/tags/list?n=2';
  const links: string[] = [];
  for (let i = 0; next && i < 10; i++) {
    const r = await v2.request('GET', next);
    assert.equal(r.status, 200);
    assert.ok(r.json.tags.length <= 2);
    seen.push(...r.json.tags);
    const link = r.headers.link as string | undefined;
    if (link) links.push(link);
    next = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : undefined;
  }
  assert.deepEqual(seen, tags);
  assert.deepEqual(links, ['</v2/conf/tags/tags/list?n=2&last=t2>; rel="next"', '</v2/conf/tags/tags/list?n=2&last=t4>; rel="next"']);
  assert.deepEqual((await v2.request('GET', '/v2/conf/tags/tags/list?last=t3')).json.tags, ['t4', 't5']);
  assert.deepEqual((await v2.request('GET', '/v2/conf/tags/tags/list?n=0')).json.tags, []);
  assertError(await v2.request('GET', '/v2/conf/none/tags/list'), 404, 'NAME_UNKNOWN');
});

test('_catalog lists the repositories, paged with n, last and Link', async () => {
  const all = await v2.request('GET', '/v2/_catalog');
  assert.equal(all.status, 200);
  const names: string[] = all.json.repositories;
  for (const n of ['conf/blobs', 'conf/manifests', 'conf/tags']) assert.ok(names.includes(n), n);
  assert.deepEqual(names, [...names].sort());
  const first = await v2.request('GET', '/v2/_catalog?n=2');
  assert.deepEqual(first.json.repositories, names.slice(0, 2));
  assert.equal(first.headers.link, `</v2/_catalog?n=2&last=${encodeURIComponent(names[1]!)}>; rel="next"`);
  const second = await v2.request('GET', `/v2/_catalog?n=2&last=${encodeURIComponent(names[1]!)}`);
  assert.deepEqual(second.json.repositories, names.slice(2, 4));
});

test('referrers: a manifest with a subject answers OCI-Subject; GET referrers lists it; ?artifactType= filters with OCI-Filters-Applied', async () => {
  const subject = randomImage({ format: 'oci' });
  await v2.pushImage('conf/referrers', 'app', subject);
  const empty = Buffer.from('{}');
  assert.equal((await v2.pushBlob('conf/referrers', empty)).status, 201);
  const artifact = (artifactType: string, payload: Buffer) =>
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        artifactType,
        config: { mediaType: MEDIA.ociEmpty, digest: sha256(empty), size: 2 },
        layers: [{ mediaType: 'application/json', digest: sha256(payload), size: payload.length }],
        subject: { mediaType: MEDIA.ociManifest, digest: subject.digest, size: subject.manifest.length },
        annotations: { 'org.example.kind': artifactType.split('.').pop()! },
      }),
    );
  const pushed: Record<string, string> = {};
  for (const type of ['application/vnd.example.sbom', 'application/vnd.example.signature']) {
    const payload = Buffer.from(JSON.stringify({ type, nonce: randomBytes(4).toString('hex') }));
    assert.equal((await v2.pushBlob('conf/referrers', payload)).status, 201);
    const manifest = artifact(type, payload);
    const put = await v2.putManifest('conf/referrers', sha256(manifest), manifest, MEDIA.ociManifest);
    assert.equal(put.status, 201, put.text);
    assert.equal(put.headers['oci-subject'], subject.digest);
    pushed[type] = sha256(manifest);
  }

  const all = await v2.request('GET', `/v2/conf/referrers/referrers/${subject.digest}`);
  assert.equal(all.status, 200);
  assert.equal(all.headers['content-type'], MEDIA.ociIndex);
  assert.equal(all.headers['oci-filters-applied'], undefined);
  assert.equal(all.json.schemaVersion, 2);
  assert.equal(all.json.mediaType, MEDIA.ociIndex);
  const byDigest = Object.fromEntries(all.json.manifests.map((m: { digest: string }) => [m.digest, m]));
  assert.equal(all.json.manifests.length, 2);
  assert.equal(byDigest[pushed['application/vnd.example.sbom']!].artifactType, 'application/vnd.example.sbom');
  assert.deepEqual(byDigest[pushed['application/vnd.example.sbom']!].annotations, { 'org.example.kind': 'sbom' });
  assert.equal(byDigest[pushed['application/vnd.example.signature']!].mediaType, MEDIA.ociManifest);

  const filtered = await v2.request('GET', `/v2/conf/referrers/referrers/${subject.digest}?artifactType=${encodeURIComponent('application/vnd.example.sbom')}`);
  assert.equal(filtered.status, 200);
  assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
  assert.deepEqual(filtered.json.manifests.map((m: { digest: string }) => m.digest), [pushed['application/vnd.example.sbom']]);

  const none = await v2.request('GET', `/v2/conf/referrers/referrers/${sha256('nothing refers to this')}`);
  assert.equal(none.status, 200);
  assert.deepEqual(none.json.manifests, []);
});

test('DELETE a manifest by tag removes the tag only; by digest removes the manifest', async () => {
  const image = randomImage();
  await v2.pushImage('conf/manifests', 'doomed', image);
  await v2.putManifest('conf/manifests', 'keeper', image.manifest, image.mediaType);
  const byTag = await v2.request('DELETE', '/v2/conf/manifests/manifests/doomed');
  assert.equal(byTag.status, 202);
  assertError(await v2.request('GET', '/v2/conf/manifests/manifests/doomed'), 404, 'MANIFEST_UNKNOWN');
  assert.equal((await v2.request('GET', `/v2/conf/manifests/manifests/${image.digest}`)).status, 200);
  assert.equal((await v2.request('GET', '/v2/conf/manifests/manifests/keeper')).status, 200);
  assertError(await v2.request('DELETE', '/v2/conf/manifests/manifests/doomed'), 404, 'MANIFEST_UNKNOWN');

  const byDigest = await v2.request('DELETE', `/v2/conf/manifests/manifests/${image.digest}`);
  assert.equal(byDigest.status, 202);
  assertError(await v2.request('GET', `/v2/conf/manifests/manifests/${image.digest}`), 404, 'MANIFEST_UNKNOWN');
  assertError(await v2.request('GET', '/v2/conf/manifests/manifests/keeper'), 404, 'MANIFEST_UNKNOWN');
  assertError(await v2.request('DELETE', `/v2/conf/manifests/manifests/${image.digest}`), 404, 'MANIFEST_UNKNOWN');
});

test('DELETE a blob → 202; it is then unknown to the repository', async () => {
  const data = randomBytes(512);
  const digest = sha256(data);
  await v2.pushBlob('conf/blobs', data);
  const del = await v2.request('DELETE', `/v2/conf/blobs/blobs/${digest}`);
  assert.equal(del.status, 202);
  assert.equal((await v2.request('HEAD', `/v2/conf/blobs/blobs/${digest}`)).status, 404);
  assertError(await v2.request('GET', `/v2/conf/blobs/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
  assertError(await v2.request('DELETE', `/v2/conf/blobs/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
});

test('cross-repository mount: POST ?mount=&from= → 201 when the source has the blob, 202 (a plain upload) when not', async () => {
  const data = randomBytes(2048);
  const digest = sha256(data);
  await v2.pushBlob('conf/blobs', data);
  const mounted = await v2.request('POST', `/v2/conf/mount-target/blobs/uploads/?mount=${digest}&from=conf/blobs`);
  assert.equal(mounted.status, 201, mounted.text);
  assert.equal(mounted.headers.location, `/v2/conf/mount-target/blobs/${digest}`);
  assert.equal(mounted.headers['docker-content-digest'], digest);
  assert.ok((await v2.request('GET', `/v2/conf/mount-target/blobs/${digest}`)).body.equals(data));

  const absent = sha256(randomBytes(8));
  const fallback = await v2.request('POST', `/v2/conf/mount-target/blobs/uploads/?mount=${absent}&from=conf/blobs`);
  assert.equal(fallback.status, 202);
  assert.match(String(fallback.headers.location), /^\/v2\/conf\/mount-target\/blobs\/uploads\/[0-9a-f-]{36}$/);
  const fromNowhere = await v2.request('POST', `/v2/conf/mount-target/blobs/uploads/?mount=${digest}&from=conf/does-not-exist`);
  assert.equal(fromNowhere.status, 202);
});

test('DELETE an upload → 204; it is then unknown', async () => {
  const start = await v2.request('POST', '/v2/conf/blobs/blobs/uploads/');
  await v2.request('PATCH', String(start.headers.location), { body: randomBytes(100) });
  const del = await v2.request('DELETE', String(start.headers.location));
  assert.equal(del.status, 204);
  assertError(await v2.request('GET', String(start.headers.location)), 404, 'BLOB_UPLOAD_UNKNOWN');
  assertError(await v2.request('PATCH', String(start.headers.location), { body: randomBytes(10) }), 404, 'BLOB_UPLOAD_UNKNOWN');
});
