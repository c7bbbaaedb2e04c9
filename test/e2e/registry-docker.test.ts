import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { requireDocker } from '../support/docker.js';
import { createRepository, DockerCli, MEDIA, registryHost, storedBlobs, V2Client } from '../support/registry.js';
import { aws, startBerth, type Berth } from './harness.js';

// The docker CLI against berth's registry, as ECR's documentation has users
// do it: `aws ecr get-login-password | docker login`, `docker push`,
// `docker pull`; a second repository gets the layers by cross-mount, and an
// IMMUTABLE repository refuses to move a tag.

let b: Berth | undefined;
let docker: DockerCli | undefined;
let v2: V2Client;
let host: string;

before(async () => {
  if (!requireDocker()) return;
  b = await startBerth();
  host = registryHost(b);
  docker = new DockerCli();
  v2 = await V2Client.basic(b);
});

after(async () => {
  docker?.cleanup();
  await b?.stop();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
});

/** The image pushed by the first push test, reused by the ones after it. */
let pushed: { reference: string; digest: string; files: { path: string; sha256: string }[]; imageId: string } | undefined;

test('docker login with `aws ecr get-login-password` succeeds and writes only the private config dir', (t) => {
  if (!requireDocker(t)) return;
  const r = docker!.login(b!);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /Login Succeeded/);
  const config = JSON.parse(readFileSync(join(docker!.configDir, 'config.json'), 'utf8'));
  assert.ok(config.auths?.[host]?.auth, `no auth for ${host} in ${JSON.stringify(config)}`);
  assert.equal(Buffer.from(config.auths[host].auth, 'base64').toString('utf8').split(':')[0], 'AWS');
});

test('docker login with a wrong password is refused (401 from /v2/)', (t) => {
  if (!requireDocker(t)) return;
  const other = new DockerCli();
  try {
    const r = other.run(['login', '--username', 'AWS', '--password-stdin', host], { input: 'not-a-token' });
    assert.notEqual(r.status, 0, r.output);
    assert.match(r.output, /unauthorized|401/i);
    assert.ok(!existsSync(join(other.configDir, 'config.json')) || !readFileSync(join(other.configDir, 'config.json'), 'utf8').includes(host));
  } finally {
    other.cleanup();
  }
});

test('docker push to a repository that does not exist fails with NAME_UNKNOWN (ECR creates none on push)', (t) => {
  if (!requireDocker(t)) return;
  const reference = `${host}/docker/missing:v1`;
  docker!.buildLayeredImage(reference, { layers: 1, layerSize: 1024 });
  const r = docker!.run(['push', reference]);
  assert.notEqual(r.status, 0, r.output);
  assert.match(r.output, /name unknown|does not exist/i);
  assert.equal(aws(b!, ['ecr', 'describe-repositories', '--repository-names', 'docker/missing']).status, 255);
});

test('docker push of a FROM-scratch image with 3 random layers (4 in all); ECR lists it under its tag and digest', async (t) => {
  if (!requireDocker(t)) return;
  await createRepository(b!, 'docker/app');
  const reference = `${host}/docker/app:v1`;
  const built = docker!.buildLayeredImage(reference, { layers: 3, layerSize: 512 * 1024 });
  const r = docker!.run(['push', reference]);
  assert.equal(r.status, 0, r.output);
  const m = /v1: digest: (sha256:[0-9a-f]{64}) size: (\d+)/.exec(r.output);
  assert.ok(m, r.output);
  assert.equal((r.output.match(/: Pushed/g) ?? []).length, 4, r.output);
  pushed = { reference, digest: m[1]!, files: built.files, imageId: built.imageId };

  const images = aws(b!, ['ecr', 'describe-images', '--repository-name', 'docker/app']);
  assert.equal(images.status, 0, images.stderr);
  assert.equal(images.json.imageDetails.length, 1);
  const detail = images.json.imageDetails[0];
  assert.equal(detail.imageDigest, pushed.digest);
  assert.deepEqual(detail.imageTags, ['v1']);
  assert.equal(detail.imageManifestMediaType, MEDIA.dockerManifest);
  assert.ok(detail.imageSizeInBytes > 3 * 512 * 1024, JSON.stringify(detail));
});

test('docker pull brings back the same bytes: every random file hashes as built', async (t) => {
  if (!requireDocker(t)) return;
  assert.ok(pushed, 'the push test must run first');
  // Remove the image completely so the pull really downloads every layer.
  docker!.must(['rmi', '-f', pushed.imageId]);
  assert.notEqual(docker!.run(['image', 'inspect', pushed.reference]).status, 0);
  const r = docker!.run(['pull', pushed.reference]);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, new RegExp(`Digest: ${pushed.digest}`));
  assert.equal(docker!.must(['image', 'inspect', '--format', '{{.Id}}', pushed.reference]).stdout.trim(), pushed.imageId);
  const hashes = docker!.fileHashes(pushed.reference, pushed.files.map((f) => f.path));
  for (const f of pushed.files) assert.equal(hashes[f.path], f.sha256, `${f.path} differs after the round trip`);
  // The pull is what ECR records as lastRecordedPullTime.
  const images = aws(b!, ['ecr', 'describe-images', '--repository-name', 'docker/app', '--image-ids', 'imageTag=v1']);
  assert.ok(images.json.imageDetails[0].lastRecordedPullTime, images.stdout);
});

test('pushing the same image to a second repository cross-mounts every layer; the blob store keeps one copy', async (t) => {
  if (!requireDocker(t)) return;
  assert.ok(pushed, 'the push test must run first');
  await createRepository(b!, 'docker/copy');
  const manifest = await v2.request('GET', `/v2/docker/app/manifests/v1`, { headers: { accept: MEDIA.dockerManifest } });
  assert.equal(manifest.status, 200, manifest.text);
  const layers: string[] = manifest.json.layers.map((l: { digest: string }) => l.digest);
  const config: string = manifest.json.config.digest;
  assert.equal(layers.length, 4);
  const before = storedBlobs(b!.dataDir);
  for (const d of [...layers, config, pushed.digest]) assert.ok(before.includes(d), `${d} is not in the blob store`);

  const copy = docker!.tag(pushed.reference, `${host}/docker/copy:v1`);
  const r = docker!.run(['push', copy]);
  assert.equal(r.status, 0, r.output);
  assert.equal((r.output.match(/Mounted from docker\/app/g) ?? []).length, 4, r.output);
  assert.match(r.output, new RegExp(`v1: digest: ${pushed.digest}`));

  assert.deepEqual(storedBlobs(b!.dataDir), before, 'the second push stored blobs again');
  for (const d of [...layers, config]) {
    const head = await v2.request('HEAD', `/v2/docker/copy/blobs/${d}`);
    assert.equal(head.status, 200, `${d} is not linked into docker/copy`);
  }
  const images = aws(b!, ['ecr', 'list-images', '--repository-name', 'docker/copy']);
  assert.deepEqual(images.json.imageIds, [{ imageDigest: pushed.digest, imageTag: 'v1' }]);
});

test('IMMUTABLE repository: docker push of a different image to an existing tag fails with "tag invalid"; the tag keeps its image', async (t) => {
  if (!requireDocker(t)) return;
  await createRepository(b!, 'docker/frozen', { imageTagMutability: 'IMMUTABLE' });
  const first = `${host}/docker/frozen:release`;
  docker!.buildLayeredImage(first, { layers: 1, layerSize: 4096 });
  const ok = docker!.run(['push', first]);
  assert.equal(ok.status, 0, ok.output);
  const digest = /release: digest: (sha256:[0-9a-f]{64})/.exec(ok.output)![1]!;

  // Pushing the same image again is no change and succeeds.
  assert.equal(docker!.run(['push', first]).status, 0);

  docker!.buildLayeredImage(first, { layers: 1, layerSize: 4096 });
  const refused = docker!.run(['push', first]);
  assert.notEqual(refused.status, 0, refused.output);
  assert.match(refused.output, /tag invalid/i);

  const images = aws(b!, ['ecr', 'describe-images', '--repository-name', 'docker/frozen']);
  assert.equal(images.json.imageDetails.length, 1, images.stdout);
  assert.equal(images.json.imageDetails[0].imageDigest, digest);
  assert.deepEqual(images.json.imageDetails[0].imageTags, ['release']);
});

test('docker pull of a tag that does not exist fails with "manifest unknown"', (t) => {
  if (!requireDocker(t)) return;
  const r = docker!.run(['pull', docker!.track(`${host}/docker/app:nope`)]);
  assert.notEqual(r.status, 0, r.output);
  assert.match(r.output, /manifest unknown|not found/i);
});
