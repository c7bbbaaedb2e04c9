import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireDocker } from '../support/docker.js';
import { basicAuth, blobsDir, createRepository, DockerCli, errorCode, filesUnder, registryHost, registryPassword, sha256, storedBlobs, V2Client, withQuery } from '../support/registry.js';
import { startBerth, type Berth } from './harness.js';

// berth killed with SIGKILL in the middle of pushes: after a restart on the
// same data dir no partial blob is visible or stored, the interrupted upload
// resumes from the bytes on disk (or is retried from scratch), and a docker
// push run again succeeds.

const started: Berth[] = [];
const dirs = new Set<string>();
let docker: DockerCli | undefined;

async function start(opts: Parameters<typeof startBerth>[0] = {}): Promise<Berth> {
  const b = await startBerth(opts);
  started.push(b);
  dirs.add(b.dataDir);
  return b;
}

after(async () => {
  docker?.cleanup();
  for (const b of started) await b.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const uploadData = (b: Berth, id: string) => join(b.dataDir, 'registry', 'uploads', id, 'data');
const sizeOnDisk = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/** Waits (bounded) until `check` holds. */
async function until(what: string, check: () => boolean, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(everyMs);
  }
}

/** Streams `data` as one PATCH (chunked, as docker does), `chunk` bytes every `delayMs`; settles when the connection ends either way. */
function slowPatch(v2: V2Client, location: string, data: Buffer, chunk: number, delayMs: number): Promise<unknown> {
  return v2
    .request('PATCH', location, {
      body: (async function* () {
        for (let offset = 0; offset < data.length; offset += chunk) {
          yield data.subarray(offset, offset + chunk);
          await sleep(delayMs);
        }
      })(),
      timeoutMs: 120_000,
    })
    .catch((e: unknown) => e);
}

test('SIGKILL during two 50 MB chunked uploads: no blob visible or stored after restart; one upload resumes from the bytes on disk, the other is retried from scratch', async () => {
  const first = await start();
  await createRepository(first, 'faults/big');
  const password = await registryPassword(first);
  let v2 = new V2Client(first.endpoint, basicAuth(password));
  const size = 50 * 1024 * 1024;
  const resumed = randomBytes(size);
  const retried = randomBytes(size);
  const blobsBefore = filesUnder(blobsDir(first.dataDir));

  const a = await v2.request('POST', '/v2/faults/big/blobs/uploads/');
  const bUpload = await v2.request('POST', '/v2/faults/big/blobs/uploads/');
  const idA = String(a.headers['docker-upload-uuid']);
  const patches = [slowPatch(v2, String(a.headers.location), resumed, 1024 * 1024, 40), slowPatch(v2, String(bUpload.headers.location), retried, 1024 * 1024, 40)];
  await until('10 MB of the first upload are on disk', () => sizeOnDisk(uploadData(first, idA)) >= 10 * 1024 * 1024);
  await first.kill();
  const outcomes = await Promise.all(patches);
  for (const o of outcomes) assert.ok(o instanceof Error, `a PATCH finished although berth was killed: ${JSON.stringify(o)}`);

  const second = await start({ dataDir: first.dataDir });
  // The token is stateless: the password from before the restart still works.
  v2 = new V2Client(second.endpoint, basicAuth(password));
  for (const data of [resumed, retried]) {
    const head = await v2.request('HEAD', `/v2/faults/big/blobs/${sha256(data)}`);
    assert.equal(head.status, 404, 'a blob is visible after the crash');
    assert.ok(!storedBlobs(second.dataDir).includes(sha256(data)));
  }
  assert.deepEqual(filesUnder(blobsDir(second.dataDir)), blobsBefore, 'the crash left files under blobs/');

  // Resume: the status reports exactly the bytes on disk; the rest follows.
  const onDisk = sizeOnDisk(uploadData(second, idA));
  assert.ok(onDisk >= 10 * 1024 * 1024 && onDisk < size, `${onDisk} bytes on disk`);
  const location = `/v2/faults/big/blobs/uploads/${idA}`;
  const status = await v2.request('GET', location);
  assert.equal(status.status, 204);
  assert.equal(status.headers.range, `0-${onDisk - 1}`);
  const rest = await v2.request('PATCH', location, { headers: { 'content-range': `${onDisk}-${size - 1}` }, body: resumed.subarray(onDisk), timeoutMs: 120_000 });
  assert.equal(rest.status, 202, rest.text);
  assert.equal(rest.headers.range, `0-${size - 1}`);
  const put = await v2.request('PUT', withQuery(location, `digest=${sha256(resumed)}`), { timeoutMs: 120_000 });
  assert.equal(put.status, 201, put.text);

  // Retry from scratch: a new monolithic upload of the whole blob.
  const again = await v2.pushBlob('faults/big', retried);
  assert.equal(again.status, 201, again.text);

  for (const data of [resumed, retried]) {
    const got = await v2.request('GET', `/v2/faults/big/blobs/${sha256(data)}`, { timeoutMs: 120_000 });
    assert.equal(got.status, 200);
    assert.equal(`sha256:${createHash('sha256').update(got.body).digest('hex')}`, sha256(data), 'the stored blob differs from what was sent');
  }
  const stored = storedBlobs(second.dataDir);
  assert.equal(stored.filter((d) => d === sha256(resumed) || d === sha256(retried)).length, 2);
  await second.stop();
});

test('SIGKILL during docker push: after a restart on the same port, the same docker push succeeds and the image pulls intact', async (t) => {
  if (!requireDocker(t)) return;
  const first = await start();
  const port = new URL(first.endpoint).port;
  const host = registryHost(first);
  await createRepository(first, 'faults/app');
  docker = new DockerCli();
  assert.equal(docker.login(first).status, 0);
  const reference = `${host}/faults/app:v1`;
  const built = docker.buildLayeredImage(reference, { layers: 3, layerSize: 32 * 1024 * 1024 });

  const push = spawn('docker', ['push', reference], { env: { ...process.env, DOCKER_CONFIG: docker.configDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  push.stdout.on('data', (d: Buffer) => (output += d.toString()));
  push.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const pushExited = new Promise<number | null>((resolve) => push.once('exit', (code) => resolve(code)));
  const uploads = join(first.dataDir, 'registry', 'uploads');
  const uploadedBytes = () => (existsSync(uploads) ? readdirSync(uploads).reduce((sum, id) => sum + sizeOnDisk(join(uploads, id, 'data')), 0) : 0);
  // A local push is fast: look often, and kill early.
  await until('docker push has sent 4 MB', () => uploadedBytes() >= 4 * 1024 * 1024, 60_000, 5);
  await first.kill();
  // The CLI going away cancels the push in the daemon (it would otherwise retry on its own).
  push.kill('SIGINT');
  await Promise.race([pushExited, sleep(30_000, undefined, { ref: false })]);
  assert.doesNotMatch(output, /v1: digest:/, 'the push finished before berth was killed');

  const second = await start({ dataDir: first.dataDir, extraArgs: ['--port', port] });
  assert.equal(second.endpoint, first.endpoint);
  const v2 = await V2Client.basic(second);
  assert.equal(errorCode(await v2.request('GET', '/v2/faults/app/manifests/v1')), 'MANIFEST_UNKNOWN');

  const retry = docker.run(['push', reference], { timeoutMs: 180_000 });
  assert.equal(retry.status, 0, retry.output);
  const digest = /v1: digest: (sha256:[0-9a-f]{64})/.exec(retry.output)?.[1];
  assert.ok(digest, retry.output);
  const manifest = await v2.request('GET', '/v2/faults/app/manifests/v1');
  assert.equal(manifest.status, 200);
  assert.equal(manifest.headers['docker-content-digest'], digest);
  const stored = storedBlobs(second.dataDir);
  for (const l of manifest.json.layers as Array<{ digest: string }>) {
    assert.equal(stored.filter((d) => d === l.digest).length, 1, `${l.digest} is not stored exactly once`);
    assert.equal((await v2.request('HEAD', `/v2/faults/app/blobs/${l.digest}`)).status, 200);
  }

  docker.must(['rmi', '-f', built.imageId]);
  const pull = docker.run(['pull', reference], { timeoutMs: 180_000 });
  assert.equal(pull.status, 0, pull.output);
  const hashes = docker.fileHashes(reference, built.files.map((f) => f.path));
  for (const f of built.files) assert.equal(hashes[f.path], f.sha256, f.path);
  await second.stop();
});
