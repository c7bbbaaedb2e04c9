import fc from 'fast-check';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { issueRegistryPassword } from '../../src/registry/auth-token.js';
import {
  basicAuth,
  blobsDir,
  createRepository,
  errorCode,
  filesUnder,
  MEDIA,
  randomImage,
  registryPassword,
  sha256,
  V2Client,
  withQuery,
  type Body,
  type V2Response,
} from '../support/registry.js';
import { startBerth, type Berth } from './harness.js';

// Requests a registry must refuse, over raw HTTP: wrong digests, broken
// manifests, bad ranges, truncated chunks, bad names, unknown uploads,
// missing repositories, bad tokens. Each gets the spec's error code, nothing
// is stored, and berth never answers 5xx.

/** Every answer of this file, to check at the end that none was a 5xx. */
const answers: Array<{ method: string; path: string; status: number }> = [];

class Recording extends V2Client {
  override async request(method: string, path: string, opts: { headers?: Record<string, string>; body?: Body; timeoutMs?: number } = {}): Promise<V2Response> {
    const r = await super.request(method, path, opts);
    answers.push({ method, path, status: r.status });
    return r;
  }
  override as(authorization: string | undefined): Recording {
    return new Recording(this.url.origin, authorization);
  }
}

let b: Berth;
let v2: Recording;

before(async () => {
  b = await startBerth();
  v2 = new Recording(b.endpoint, basicAuth(await registryPassword(b)));
  for (const name of ['bad/blobs', 'bad/manifests', 'bad/other']) await createRepository(b, name);
});

after(async () => {
  await b?.stop();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
});

function assertError(r: V2Response, status: number, code: string): void {
  assert.equal(r.status, status, `${r.status} ${r.text}`);
  assert.equal(errorCode(r), code, r.text);
  assert.equal(typeof r.json.errors[0].message, 'string');
}

const blobFiles = () => filesUnder(blobsDir(b.dataDir));

test('a blob whose bytes do not match its digest: DIGEST_INVALID, nothing under blobs/, HEAD 404', async () => {
  const before = blobFiles();
  const data = randomBytes(5000);
  const claimed = sha256(randomBytes(5000));
  assertError(await v2.pushBlob('bad/blobs', data, claimed), 400, 'DIGEST_INVALID');
  assert.equal((await v2.request('HEAD', `/v2/bad/blobs/blobs/${claimed}`)).status, 404);
  assert.equal((await v2.request('HEAD', `/v2/bad/blobs/blobs/${sha256(data)}`)).status, 404);

  // The chunked way: the closing PUT names the wrong digest; the upload is gone after.
  const start = await v2.request('POST', '/v2/bad/blobs/blobs/uploads/');
  await v2.request('PATCH', String(start.headers.location), { headers: { 'content-range': `0-${data.length - 1}` }, body: data });
  assertError(await v2.request('PUT', withQuery(String(start.headers.location), `digest=${claimed}`)), 400, 'DIGEST_INVALID');
  assertError(await v2.request('GET', String(start.headers.location)), 404, 'BLOB_UPLOAD_UNKNOWN');
  assert.equal((await v2.request('HEAD', `/v2/bad/blobs/blobs/${claimed}`)).status, 404);
  assert.deepEqual(blobFiles(), before, 'a refused blob left files under blobs/');
});

test('malformed digests are DIGEST_INVALID', async () => {
  const data = randomBytes(10);
  for (const digest of ['sha256:xyz', 'md5:d41d8cd98f00b204e9800998ecf8427e', `sha256:${'A'.repeat(64)}`, 'nodigest', '']) {
    assertError(await v2.pushBlob('bad/blobs', data, digest), 400, 'DIGEST_INVALID');
  }
  assertError(await v2.request('GET', '/v2/bad/blobs/blobs/sha256:short'), 400, 'DIGEST_INVALID');
  const start = await v2.request('POST', '/v2/bad/blobs/blobs/uploads/');
  assertError(await v2.request('PUT', String(start.headers.location), { body: data }), 400, 'DIGEST_INVALID');
});

test('a manifest that references a blob the repository lacks: MANIFEST_BLOB_UNKNOWN, nothing stored', async () => {
  const image = randomImage({ layers: 2 });
  // The config and the first layer are there; the second is not.
  await v2.pushBlob('bad/manifests', image.config);
  await v2.pushBlob('bad/manifests', image.layers[0]!);
  const before = blobFiles();
  assertError(await v2.putManifest('bad/manifests', 'broken', image.manifest, image.mediaType), 400, 'MANIFEST_BLOB_UNKNOWN');
  assertError(await v2.request('GET', '/v2/bad/manifests/manifests/broken'), 404, 'MANIFEST_UNKNOWN');
  assertError(await v2.request('GET', `/v2/bad/manifests/manifests/${image.digest}`), 404, 'MANIFEST_UNKNOWN');
  assert.deepEqual((await v2.request('GET', '/v2/bad/manifests/tags/list')).json.tags, []);
  assert.deepEqual(blobFiles(), before);
  // A blob in another repository does not count either.
  await v2.pushBlob('bad/other', image.layers[1]!);
  assertError(await v2.putManifest('bad/manifests', 'broken', image.manifest, image.mediaType), 400, 'MANIFEST_BLOB_UNKNOWN');
});

test('an index that references a manifest the repository lacks: MANIFEST_BLOB_UNKNOWN, nothing stored', async () => {
  const present = randomImage({ format: 'oci' });
  await v2.pushImage('bad/manifests', present.digest, present);
  const absent = randomImage({ format: 'oci' });
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [
        { mediaType: MEDIA.ociManifest, digest: present.digest, size: present.manifest.length, platform: { architecture: 'amd64', os: 'linux' } },
        { mediaType: MEDIA.ociManifest, digest: absent.digest, size: absent.manifest.length, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    }),
  );
  const before = blobFiles();
  const r = await v2.putManifest('bad/manifests', 'multi', index, MEDIA.ociIndex);
  assertError(r, 400, 'MANIFEST_BLOB_UNKNOWN');
  assert.match(r.json.errors[0].message, new RegExp(absent.digest));
  assertError(await v2.request('GET', '/v2/bad/manifests/manifests/multi'), 404, 'MANIFEST_UNKNOWN');
  assert.deepEqual(blobFiles(), before);
});

test('invalid manifests are MANIFEST_INVALID; a digest reference that does not match the bytes is DIGEST_INVALID', async () => {
  const image = randomImage();
  await v2.pushBlob('bad/manifests', image.config);
  for (const l of image.layers) await v2.pushBlob('bad/manifests', l);
  const doc = JSON.parse(image.manifest.toString('utf8'));
  const cases: Array<[string, Buffer | string, string]> = [
    ['not JSON', '{"schemaVersion": 2, ', MEDIA.dockerManifest],
    ['a JSON array', '[]', MEDIA.dockerManifest],
    ['empty', '', MEDIA.dockerManifest],
    ['schema 1', JSON.stringify({ schemaVersion: 1, name: 'bad/manifests', tag: 'x', fsLayers: [] }), 'application/vnd.docker.distribution.manifest.v1+prettyjws'],
    ['an unknown media type', JSON.stringify({ ...doc, mediaType: 'application/x-nonsense' }), 'application/x-nonsense'],
    ['a media type that contradicts Content-Type', image.manifest, MEDIA.ociManifest],
    ['a layer without digest', JSON.stringify({ ...doc, layers: [{ mediaType: MEDIA.dockerLayer, size: 1 }] }), MEDIA.dockerManifest],
    ['a negative size', JSON.stringify({ ...doc, config: { ...doc.config, size: -1 } }), MEDIA.dockerManifest],
    ['schemaVersion 3', JSON.stringify({ ...doc, schemaVersion: 3 }), MEDIA.dockerManifest],
    ['an index without manifests', JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex }), MEDIA.ociIndex],
  ];
  const before = blobFiles();
  for (const [what, body, type] of cases) {
    const r = await v2.putManifest('bad/manifests', 'invalid', Buffer.from(body), type);
    assert.equal(r.status, 400, `${what}: ${r.status} ${r.text}`);
    assert.equal(errorCode(r), 'MANIFEST_INVALID', `${what}: ${r.text}`);
  }
  assertError(await v2.putManifest('bad/manifests', sha256('other bytes'), image.manifest, image.mediaType), 400, 'DIGEST_INVALID');
  assertError(await v2.putManifest('bad/manifests', 'bad%20tag!', image.manifest, image.mediaType), 400, 'TAG_INVALID');
  assertError(await v2.putManifest('bad/manifests', '.dot-first', image.manifest, image.mediaType), 400, 'TAG_INVALID');
  assertError(await v2.putManifest('bad/manifests', 'x'.repeat(129), image.manifest, image.mediaType), 400, 'TAG_INVALID');
  assert.deepEqual(blobFiles(), before);
  assert.deepEqual((await v2.request('GET', '/v2/bad/manifests/tags/list')).json.tags, []);
});

test('a manifest over 4 MiB is refused with SIZE_INVALID', async () => {
  const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
  const r = await v2.putManifest('bad/manifests', 'huge', huge, MEDIA.dockerManifest);
  assert.ok(r.status === 413 || r.status === 400, `${r.status} ${r.text}`);
  assert.equal(errorCode(r), 'SIZE_INVALID');
});

async function startUpload(repo = 'bad/blobs'): Promise<string> {
  const r = await v2.request('POST', `/v2/${repo}/blobs/uploads/`);
  assert.equal(r.status, 202);
  return String(r.headers.location);
}

test('an out-of-order Content-Range is 416 with the Range received so far; the upload goes on from there', async () => {
  const data = randomBytes(3000);
  const location = await startUpload();
  await v2.request('PATCH', location, { headers: { 'content-range': '0-999' }, body: data.subarray(0, 1000) });
  for (const range of ['2000-2999', '0-999', '500-1499']) {
    const r = await v2.request('PATCH', location, { headers: { 'content-range': range }, body: data.subarray(0, 1000) });
    assert.equal(r.status, 416, `${range}: ${r.status} ${r.text}`);
    assert.equal(r.headers.range, '0-999', range);
    assert.equal(r.headers.location, location);
  }
  // A Content-Range whose length disagrees with Content-Length, or that is not a range at all.
  const mismatch = await v2.request('PATCH', location, { headers: { 'content-range': '1000-1999' }, body: data.subarray(1000, 1500) });
  assert.equal(mismatch.status, 416, mismatch.text);
  for (const range of ['bytes=1000-1999', '1999-1000', 'abc']) {
    assert.equal((await v2.request('PATCH', location, { headers: { 'content-range': range }, body: data.subarray(1000, 2000) })).status, 416, range);
  }
  assert.equal((await v2.request('GET', location)).headers.range, '0-999', 'a refused chunk wrote nothing');
  const ok = await v2.request('PATCH', location, { headers: { 'content-range': '1000-2999' }, body: data.subarray(1000) });
  assert.equal(ok.status, 202, ok.text);
  assert.equal((await v2.request('PUT', withQuery(location, `digest=${sha256(data)}`))).status, 201);
});

/** A chunk sent with Transfer-Encoding: chunked whose Content-Range claims more than the body carries. */
function truncatedPatch(location: string, range: string, body: Buffer) {
  return v2.request('PATCH', location, {
    headers: { 'content-range': range, 'transfer-encoding': 'chunked' },
    body: (async function* () {
      yield body;
    })(),
  });
}

test('a truncated chunk (Content-Range says more than arrives): 400/416, Range reports what arrived, PUT of the full digest fails until the rest is sent', async () => {
  const data = randomBytes(2000);
  const digest = sha256(data);

  // Resumed: the rest follows and the blob commits.
  const resumed = await startUpload();
  const cut = await truncatedPatch(resumed, '0-1999', data.subarray(0, 700));
  assert.ok(cut.status === 400 || cut.status === 416, `${cut.status} ${cut.text}`);
  assert.equal(errorCode(cut), 'BLOB_UPLOAD_INVALID');
  assert.equal(cut.headers.range, '0-699');
  const status = await v2.request('GET', resumed);
  assert.equal(status.status, 204);
  assert.equal(status.headers.range, '0-699');
  const rest = await v2.request('PATCH', resumed, { headers: { 'content-range': '700-1999' }, body: data.subarray(700) });
  assert.equal(rest.status, 202, rest.text);
  assert.equal(rest.headers.range, '0-1999');
  const done = await v2.request('PUT', withQuery(resumed, `digest=${digest}`));
  assert.equal(done.status, 201, done.text);
  assert.ok((await v2.request('GET', `/v2/bad/blobs/blobs/${digest}`)).body.equals(data));

  // Not resumed: the closing PUT names the full digest and is refused; nothing is stored.
  const other = randomBytes(2000);
  const before = blobFiles();
  const abandoned = await startUpload();
  const cut2 = await truncatedPatch(abandoned, '0-1999', other.subarray(0, 1200));
  assert.ok(cut2.status === 400 || cut2.status === 416, `${cut2.status} ${cut2.text}`);
  assert.equal((await v2.request('GET', abandoned)).headers.range, '0-1199');
  assertError(await v2.request('PUT', withQuery(abandoned, `digest=${sha256(other)}`)), 400, 'DIGEST_INVALID');
  assert.equal((await v2.request('HEAD', `/v2/bad/blobs/blobs/${sha256(other)}`)).status, 404);
  assert.equal((await v2.request('HEAD', `/v2/bad/blobs/blobs/${sha256(other.subarray(0, 1200))}`)).status, 404);
  assert.deepEqual(blobFiles(), before);
});

/** Sends a PATCH that declares `declared` bytes, writes only `body`, and hangs up (a client that dies mid-chunk). */
function abandonedPatch(location: string, declared: number, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: v2.url.hostname, port: Number(v2.url.port) }, () => {
      socket.write(
        `PATCH ${location} HTTP/1.1\r\nHost: ${v2.url.host}\r\nAuthorization: ${v2.authorization}\r\n` +
          `Content-Type: application/octet-stream\r\nContent-Range: 0-${declared - 1}\r\nContent-Length: ${declared}\r\n\r\n`,
      );
      socket.write(body, () => setTimeout(() => socket.destroy(), 200));
    });
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

test('a client that hangs up mid-chunk: the upload keeps what arrived, reports it, and resumes from there', async () => {
  const data = randomBytes(4000);
  const location = await startUpload();
  await abandonedPatch(location, 4000, data.subarray(0, 1500));
  // The server notices the hang-up on its own time: wait (bounded) until the reported size settles.
  let range = '';
  for (let i = 0, same = 0; i < 100 && same < 3; i++) {
    const r = await v2.request('GET', location);
    assert.equal(r.status, 204);
    same = r.headers.range === range ? same + 1 : 0;
    range = String(r.headers.range);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const received = Number(range.split('-')[1]) + 1;
  assert.ok(received <= 1500, range);
  const rest = await v2.request('PATCH', location, { headers: { 'content-range': `${received}-3999` }, body: data.subarray(received) });
  assert.equal(rest.status, 202, rest.text);
  const put = await v2.request('PUT', withQuery(location, `digest=${sha256(data)}`));
  assert.equal(put.status, 201, put.text);
  assert.ok((await v2.request('GET', `/v2/bad/blobs/blobs/${sha256(data)}`)).body.equals(data));
});

test('repository names outside the grammar are NAME_INVALID', async () => {
  const names = ['UPPER/case', 'trailing-', '-leading', 'a//b', 'double..dot', 'x', 'a/.hidden', 'sp%20ace', 'a'.repeat(257), '%2e%2e/etc'];
  for (const name of names) {
    for (const [method, path] of [
      ['GET', `/v2/${name}/tags/list`],
      ['POST', `/v2/${name}/blobs/uploads/`],
      ['PUT', `/v2/${name}/manifests/latest`],
      ['GET', `/v2/${name}/blobs/${sha256('x')}`],
    ] as const) {
      const r = await v2.request(method, path, { body: method === 'PUT' ? '{}' : undefined });
      assert.equal(r.status, 400, `${method} ${path}: ${r.status} ${r.text}`);
      assert.equal(errorCode(r), 'NAME_INVALID', `${method} ${path}`);
    }
  }
});

test('unknown upload ids are BLOB_UPLOAD_UNKNOWN, including another repository\'s upload', async () => {
  for (const id of [randomUUID(), 'not-an-id', '..', '%2e%2e', 'x'.repeat(36)]) {
    for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
      const path = `/v2/bad/blobs/blobs/uploads/${id}${method === 'PUT' ? `?digest=${sha256('')}` : ''}`;
      const r = await v2.request(method, path, { body: method === 'PATCH' ? 'abc' : undefined });
      assert.equal(r.status, 404, `${method} ${path}: ${r.status} ${r.text}`);
      assert.equal(errorCode(r), 'BLOB_UPLOAD_UNKNOWN', `${method} ${path}`);
    }
  }
  const elsewhere = await startUpload('bad/other');
  const stolen = elsewhere.replace('/v2/bad/other/', '/v2/bad/blobs/');
  assertError(await v2.request('GET', stolen), 404, 'BLOB_UPLOAD_UNKNOWN');
  assertError(await v2.request('PATCH', stolen, { body: 'abc' }), 404, 'BLOB_UPLOAD_UNKNOWN');
  assert.equal((await v2.request('GET', elsewhere)).status, 204, 'the owner still has its upload');
});

test('pushing to a repository that does not exist is NAME_UNKNOWN (no repository is created on push)', async () => {
  const image = randomImage();
  assertError(await v2.request('POST', '/v2/bad/nowhere/blobs/uploads/'), 404, 'NAME_UNKNOWN');
  assertError(await v2.pushBlob('bad/nowhere', image.config), 404, 'NAME_UNKNOWN');
  assertError(await v2.putManifest('bad/nowhere', 'v1', image.manifest, image.mediaType), 404, 'NAME_UNKNOWN');
  assertError(await v2.request('GET', '/v2/bad/nowhere/tags/list'), 404, 'NAME_UNKNOWN');
  assertError(await v2.request('GET', '/v2/bad/nowhere/manifests/v1'), 404, 'NAME_UNKNOWN');
  assert.ok(!(await v2.request('GET', '/v2/_catalog')).json.repositories.includes('bad/nowhere'));
});

test('expired, forged, garbage and misaddressed credentials are 401 with the challenge', async () => {
  const caller = { accessKeyId: b.accessKeyId, accountId: '000000000000', region: b.region };
  const expired = issueRegistryPassword(caller, b.secretAccessKey, Date.now() - 13 * 3600_000).password;
  const wrongSecret = issueRegistryPassword(caller, 'not-the-secret', Date.now()).password;
  const unknownKey = issueRegistryPassword({ ...caller, accessKeyId: 'AKIAUNKNOWNKEY000000' }, b.secretAccessKey, Date.now()).password;
  const good = await registryPassword(b);
  const [body, mac] = good.split('.') as [string, string];
  const tampered = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), a: '111122223333' })).toString('base64url')}.${mac}`;
  const authorizations = [
    basicAuth(expired),
    `Bearer ${expired}`,
    basicAuth(wrongSecret),
    basicAuth(unknownKey),
    basicAuth(tampered),
    basicAuth('garbage'),
    basicAuth(`${body}.`),
    'Bearer garbage',
    'Bearer ',
    basicAuth(good, 'root'),
    'Basic !!!not-base64!!!',
    `Basic ${Buffer.from('no-colon').toString('base64')}`,
    'Digest username="AWS"',
  ];
  for (const auth of authorizations) {
    for (const path of ['/v2/', '/v2/bad/blobs/tags/list', '/v2/token']) {
      const r = await v2.as(auth).request('GET', path);
      assert.equal(r.status, 401, `${auth.slice(0, 30)}… on ${path}: ${r.status} ${r.text}`);
      assert.equal(errorCode(r), 'UNAUTHORIZED');
      assert.match(String(r.headers['www-authenticate']), /^Basic realm="[^"]+",service="ecr\.amazonaws\.com"$/);
    }
  }
  const expiredAnswer = await v2.as(basicAuth(expired)).request('GET', '/v2/');
  assert.match(expiredAnswer.json.errors[0].message, /expired/i);
  // A download URL's token is only honoured on GET.
  const r = await v2.as(undefined).request('POST', `/v2/bad/blobs/blobs/uploads/?X-Berth-Token=${encodeURIComponent(good)}`);
  assert.equal(r.status, 401);
});

test('malformed paths, methods and query values are 4xx, never 5xx', async () => {
  const cases: Array<[string, string, number]> = [
    ['GET', '/v2/bad/manifests/manifests/%E0%A4%A', 400],
    ['GET', '/v2/bad/blobs/blobs/%zz', 400],
    ['PATCH', '/v2/bad/blobs/blobs/uploads/%zz', 404],
    ['GET', '/v2/bad/manifests/referrers/%zz', 400],
    ['GET', '/v2/bad/manifests/referrers/sha256:nothex', 400],
    ['GET', '/v2/bad/manifests/tags/list?n=-1', 400],
    ['GET', '/v2/bad/manifests/tags/list?n=abc', 400],
    ['GET', '/v2/_catalog?n=1.5', 400],
    ['POST', '/v2/bad/manifests/manifests/latest', 405],
    ['PATCH', `/v2/bad/blobs/blobs/${sha256('x')}`, 405],
    ['POST', '/v2/bad/manifests/tags/list', 405],
    ['DELETE', '/v2/', 405],
    ['POST', '/v2/_catalog', 405],
    ['PUT', '/v2/bad/blobs/blobs/uploads/', 405],
    ['GET', '/v2/bad/blobs/nothing-here', 400],
    ['GET', '/v2/bad', 404],
  ];
  for (const [method, path, status] of cases) {
    const r = await v2.request(method, path);
    assert.equal(r.status, status, `${method} ${path}: ${r.status} ${r.text}`);
    if (method !== 'HEAD') assert.ok(errorCode(r), `${method} ${path}: no OCI error body: ${r.text}`);
  }
});

test('random junk under /v2/ (fast-check): never a 5xx, always an OCI error body', async () => {
  const segment = fc.oneof(
    fc.constantFrom('bad', 'blobs', 'manifests', 'uploads', 'tags', 'list', 'referrers', '_catalog', 'token', '..', '.', '', '%00', '%zz', '%2F', sha256('x')),
    fc.stringMatching(/^[A-Za-z0-9._~%:-]{0,20}$/),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS'),
      fc.array(segment, { minLength: 1, maxLength: 6 }),
      fc.option(fc.stringMatching(/^[a-z]{1,6}=[A-Za-z0-9%:.-]{0,12}$/), { nil: undefined }),
      fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
      fc.option(fc.constantFrom('0-9', 'bytes=0-1', '5-1', 'x'), { nil: undefined }),
      async (method, segments, query, body, range) => {
        const path = `/v2/${segments.join('/')}${query ? `?${query}` : ''}`;
        const headers: Record<string, string> = range ? { 'content-range': range, range } : {};
        const r = await v2.request(method, path, { headers, body: body && method !== 'GET' && method !== 'HEAD' ? Buffer.from(body) : undefined });
        assert.ok(r.status >= 200 && r.status < 500, `${method} ${path} → ${r.status} ${r.text}`);
        if (r.status >= 400 && method !== 'HEAD') assert.ok(errorCode(r), `${method} ${path} → ${r.status} without an OCI error body: ${r.text}`);
      },
    ),
    { numRuns: 300, seed: 6 },
  );
});

test('no request in this file was answered 5xx, and berth logged no unexpected failure', () => {
  assert.ok(answers.length > 300, `only ${answers.length} answers recorded`);
  const fivexx = answers.filter((a) => a.status >= 500);
  assert.deepEqual(fivexx, []);
  assert.doesNotMatch(b.output(), /failed unexpectedly/, b.output());
});
