import {
  BatchCheckLayerAvailabilityCommand,
  DeleteRepositoryPolicyCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ListImagesCommand,
  ListTagsForResourceCommand,
  CompleteLayerUploadCommand,
  GetDownloadUrlForLayerCommand,
  GetRepositoryPolicyCommand,
  InitiateLayerUploadCommand,
  PutImageCommand,
  UploadLayerPartCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { createRepository, ecrClient, errorCode, MEDIA, randomImage, registryHost, sha256, storedBlobs, V2Client, type RawImage } from '../support/registry.js';
import { aws, startBerth, type Berth, type CliResult } from './harness.js';

// ECR's API through the AWS CLI (v1, the one on this machine) and, for the
// layer operations the CLI has no sensible way to feed, the SDK: the flows
// ECR users script, with the exact error codes ECR answers.

let b: Berth;
let v2: V2Client;
let ecr: ECRClient;
let host: string;

before(async () => {
  b = await startBerth();
  host = registryHost(b);
  v2 = await V2Client.basic(b);
  ecr = ecrClient(b);
});

after(async () => {
  await b?.stop();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
});

function ok(r: CliResult): any {
  assert.equal(r.status, 0, `aws failed: ${r.stderr}`);
  return r.json;
}

/** The CLI failed with this AWS error code (exit status 255, "(Code)" in its message). */
function assertCliError(r: CliResult, code: string): void {
  assert.equal(r.status, 255, `expected ${code}, got status ${r.status}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, new RegExp(`\\(${code}\\)`), r.stderr);
}

/** The CLI prints timestamps as epoch seconds (v1's default) or ISO text. */
const millis = (t: number | string): number => (typeof t === 'number' ? t * 1000 : Date.parse(t));

async function sdkError(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('the call succeeded');
}

test('create-repository with tags, IMMUTABLE and scan on push; the same name again is RepositoryAlreadyExistsException', () => {
  const repo = ok(
    aws(b, [
      'ecr', 'create-repository', '--repository-name', 'ecr/immutable',
      '--image-tag-mutability', 'IMMUTABLE',
      '--image-scanning-configuration', 'scanOnPush=true',
      '--tags', 'Key=team,Value=platform', 'Key=env,Value=test',
    ]),
  ).repository;
  assert.equal(repo.repositoryArn, `arn:aws:ecr:${b.region}:000000000000:repository/ecr/immutable`);
  assert.equal(repo.registryId, '000000000000');
  assert.equal(repo.repositoryName, 'ecr/immutable');
  assert.equal(repo.repositoryUri, `${host}/ecr/immutable`);
  assert.equal(repo.imageTagMutability, 'IMMUTABLE');
  assert.deepEqual(repo.imageScanningConfiguration, { scanOnPush: true });
  assert.deepEqual(repo.encryptionConfiguration, { encryptionType: 'AES256' });
  assert.ok(Math.abs(millis(repo.createdAt) - Date.now()) < 60_000, String(repo.createdAt));
  const tags = ok(aws(b, ['ecr', 'list-tags-for-resource', '--resource-arn', repo.repositoryArn]));
  assert.deepEqual(tags.tags, [
    { Key: 'team', Value: 'platform' },
    { Key: 'env', Value: 'test' },
  ]);
  assertCliError(aws(b, ['ecr', 'create-repository', '--repository-name', 'ecr/immutable']), 'RepositoryAlreadyExistsException');
  assertCliError(aws(b, ['ecr', 'create-repository', '--repository-name', 'Upper/Case']), 'InvalidParameterException');
  // The CLI checks lengths itself; the name grammar is berth's to enforce.
  assertCliError(aws(b, ['ecr', 'create-repository', '--repository-name', 'trailing-']), 'InvalidParameterException');
});

test('describe-repositories pages with --max-items/--page-size and --starting-token; unknown names are RepositoryNotFoundException', async () => {
  const names = ['page/r1', 'page/r2', 'page/r3', 'page/r4', 'page/r5'];
  for (const n of names) await createRepository(b, n);
  const all = (await ecr.send(new DescribeRepositoriesCommand({}))).repositories!.map((r) => r.repositoryName!);
  assert.deepEqual(all, [...all].sort(), 'repositories come back in name order');
  for (const n of names) assert.ok(all.includes(n), n);

  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const r = ok(aws(b, ['ecr', 'describe-repositories', '--max-items', '2', '--page-size', '1', ...(token ? ['--starting-token', token] : [])]));
    assert.ok(r.repositories.length <= 2, JSON.stringify(r));
    seen.push(...r.repositories.map((x: { repositoryName: string }) => x.repositoryName));
    token = r.NextToken;
    pages++;
  } while (token && pages < 20);
  assert.equal(pages, Math.ceil(all.length / 2));
  assert.deepEqual(seen, all);

  const two = ok(aws(b, ['ecr', 'describe-repositories', '--repository-names', 'page/r2', 'page/r4']));
  assert.deepEqual(two.repositories.map((r: { repositoryName: string }) => r.repositoryName), ['page/r2', 'page/r4']);
  assertCliError(aws(b, ['ecr', 'describe-repositories', '--repository-names', 'page/none']), 'RepositoryNotFoundException');
});

// Images in 'ecr/images': A tagged a1 and a2, B untagged.
let imageA: RawImage;
let imageB: RawImage;

test('describe-images and list-images (all, TAGGED, UNTAGGED) show what was pushed', async () => {
  await createRepository(b, 'ecr/images');
  imageA = randomImage({ layers: 2 });
  imageB = randomImage({ layers: 1 });
  await v2.pushImage('ecr/images', 'a1', imageA);
  await v2.pushImage('ecr/images', 'a2', imageA);
  await v2.pushImage('ecr/images', imageB.digest, imageB);

  const all = ok(aws(b, ['ecr', 'list-images', '--repository-name', 'ecr/images'])).imageIds;
  assert.deepEqual(sortIds(all), sortIds([{ imageDigest: imageA.digest, imageTag: 'a1' }, { imageDigest: imageA.digest, imageTag: 'a2' }, { imageDigest: imageB.digest }]));
  const tagged = ok(aws(b, ['ecr', 'list-images', '--repository-name', 'ecr/images', '--filter', 'tagStatus=TAGGED'])).imageIds;
  assert.deepEqual(sortIds(tagged), sortIds([{ imageDigest: imageA.digest, imageTag: 'a1' }, { imageDigest: imageA.digest, imageTag: 'a2' }]));
  const untagged = ok(aws(b, ['ecr', 'list-images', '--repository-name', 'ecr/images', '--filter', 'tagStatus=UNTAGGED'])).imageIds;
  assert.deepEqual(untagged, [{ imageDigest: imageB.digest }]);

  const details = ok(aws(b, ['ecr', 'describe-images', '--repository-name', 'ecr/images'])).imageDetails;
  assert.equal(details.length, 2);
  const a = details.find((d: { imageDigest: string }) => d.imageDigest === imageA.digest);
  assert.deepEqual(a.imageTags, ['a1', 'a2']);
  assert.equal(a.repositoryName, 'ecr/images');
  assert.equal(a.registryId, '000000000000');
  assert.equal(a.imageManifestMediaType, MEDIA.dockerManifest);
  assert.equal(a.imageSizeInBytes, imageA.config.length + imageA.layers.reduce((s, l) => s + l.length, 0));
  const onlyB = (await ecr.send(new DescribeImagesCommand({ repositoryName: 'ecr/images', filter: { tagStatus: 'UNTAGGED' } }))).imageDetails!;
  assert.deepEqual(onlyB.map((d) => d.imageDigest), [imageB.digest]);
  assert.equal(onlyB[0]!.imageTags, undefined);
  assertCliError(aws(b, ['ecr', 'describe-images', '--repository-name', 'ecr/images', '--image-ids', 'imageTag=missing']), 'ImageNotFoundException');
  assertCliError(aws(b, ['ecr', 'list-images', '--repository-name', 'ecr/none']), 'RepositoryNotFoundException');
});

const sortIds = (ids: Array<{ imageDigest?: string; imageTag?: string }>) => [...ids].sort((x, y) => `${x.imageDigest}${x.imageTag ?? ''}`.localeCompare(`${y.imageDigest}${y.imageTag ?? ''}`));

test('batch-get-image returns the manifest bytes as pushed; unknown ids are failures, not errors', () => {
  const r = ok(aws(b, ['ecr', 'batch-get-image', '--repository-name', 'ecr/images', '--image-ids', 'imageTag=a1', 'imageTag=nope', `imageDigest=${imageB.digest}`]));
  assert.equal(r.images.length, 2);
  const a = r.images.find((i: { imageId: { imageTag?: string } }) => i.imageId.imageTag === 'a1');
  assert.equal(a.imageManifest, imageA.manifest.toString('utf8'));
  assert.equal(a.imageId.imageDigest, imageA.digest);
  assert.equal(a.imageManifestMediaType, MEDIA.dockerManifest);
  const bImage = r.images.find((i: { imageId: { imageDigest?: string } }) => i.imageId.imageDigest === imageB.digest);
  assert.equal(sha256(bImage.imageManifest), imageB.digest);
  assert.deepEqual(r.failures, [{ imageId: { imageTag: 'nope' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
});

test('put-image retags with the manifest from batch-get-image; the same tag and digest again is ImageAlreadyExistsException', async () => {
  const got = ok(aws(b, ['ecr', 'batch-get-image', '--repository-name', 'ecr/images', '--image-ids', 'imageTag=a1']));
  const manifest: string = got.images[0].imageManifest;
  const put = ok(aws(b, ['ecr', 'put-image', '--repository-name', 'ecr/images', '--image-tag', 'a3', '--image-manifest', manifest]));
  assert.equal(put.image.imageId.imageDigest, imageA.digest);
  assert.equal(put.image.imageId.imageTag, 'a3');
  const head = await v2.request('HEAD', '/v2/ecr/images/manifests/a3');
  assert.equal(head.status, 200);
  assert.equal(head.headers['docker-content-digest'], imageA.digest);
  assertCliError(aws(b, ['ecr', 'put-image', '--repository-name', 'ecr/images', '--image-tag', 'a3', '--image-manifest', manifest]), 'ImageAlreadyExistsException');
  // The digest named with the manifest must be the manifest's.
  assertCliError(
    aws(b, ['ecr', 'put-image', '--repository-name', 'ecr/images', '--image-tag', 'a4', '--image-digest', imageB.digest, '--image-manifest', manifest]),
    'ImageDigestDoesNotMatchException',
  );
  // A manifest whose layers the repository lacks is LayersNotFoundException.
  assertCliError(
    aws(b, ['ecr', 'put-image', '--repository-name', 'ecr/images', '--image-tag', 'ghost', '--image-manifest', randomImage().manifest.toString('utf8')]),
    'LayersNotFoundException',
  );
});

test('batch-delete-image: a tag of many removes the tag; the last tag removes the image; a digest removes image and tags', async () => {
  const one = ok(aws(b, ['ecr', 'batch-delete-image', '--repository-name', 'ecr/images', '--image-ids', 'imageTag=a1']));
  assert.deepEqual(one.imageIds, [{ imageDigest: imageA.digest, imageTag: 'a1' }]);
  assert.deepEqual(one.failures, []);
  const details = (await ecr.send(new DescribeImagesCommand({ repositoryName: 'ecr/images', imageIds: [{ imageDigest: imageA.digest }] }))).imageDetails!;
  assert.deepEqual(details[0]!.imageTags, ['a2', 'a3']);
  assert.equal((await v2.request('HEAD', '/v2/ecr/images/manifests/a1')).status, 404);

  ok(aws(b, ['ecr', 'batch-delete-image', '--repository-name', 'ecr/images', '--image-ids', 'imageTag=a2']));
  const last = ok(aws(b, ['ecr', 'batch-delete-image', '--repository-name', 'ecr/images', '--image-ids', 'imageTag=a3']));
  assert.deepEqual(last.imageIds, [{ imageDigest: imageA.digest, imageTag: 'a3' }]);
  const gone = await sdkError(ecr.send(new DescribeImagesCommand({ repositoryName: 'ecr/images', imageIds: [{ imageDigest: imageA.digest }] })));
  assert.equal(gone.name, 'ImageNotFoundException');
  assert.equal((await v2.request('HEAD', `/v2/ecr/images/manifests/${imageA.digest}`)).status, 404);

  // B gets two tags, then goes by digest with both.
  const manifestB = imageB.manifest.toString('utf8');
  for (const tag of ['b1', 'b2']) await ecr.send(new PutImageCommand({ repositoryName: 'ecr/images', imageTag: tag, imageManifest: manifestB }));
  const byDigest = ok(aws(b, ['ecr', 'batch-delete-image', '--repository-name', 'ecr/images', '--image-ids', `imageDigest=${imageB.digest}`, 'imageTag=gone']));
  assert.deepEqual(sortIds(byDigest.imageIds), sortIds([{ imageDigest: imageB.digest, imageTag: 'b1' }, { imageDigest: imageB.digest, imageTag: 'b2' }]));
  assert.deepEqual(byDigest.failures, [{ imageId: { imageTag: 'gone' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
  assert.deepEqual((await ecr.send(new DescribeImagesCommand({ repositoryName: 'ecr/images' }))).imageDetails, []);
  assert.deepEqual((await ecr.send(new ListImagesCommand({ repositoryName: 'ecr/images' }))).imageIds, []);
});

test('IMMUTABLE: put-image of another image under an existing tag is ImageTagAlreadyExistsException until put-image-tag-mutability MUTABLE', async () => {
  const first = randomImage();
  const second = randomImage();
  await v2.pushImage('ecr/immutable', 'v1', first);
  await v2.pushImage('ecr/immutable', second.digest, second);
  const manifest = second.manifest.toString('utf8');
  assertCliError(aws(b, ['ecr', 'put-image', '--repository-name', 'ecr/immutable', '--image-tag', 'v1', '--image-manifest', manifest]), 'ImageTagAlreadyExistsException');
  // The /v2/ API refuses the same way.
  const put = await v2.putManifest('ecr/immutable', 'v1', second.manifest, second.mediaType);
  assert.equal(put.status, 400);
  assert.equal(errorCode(put), 'TAG_INVALID');
  assert.equal((await v2.request('HEAD', '/v2/ecr/immutable/manifests/v1')).headers['docker-content-digest'], first.digest);
  // A new tag is fine on an immutable repository.
  ok(aws(b, ['ecr', 'put-image', '--repository-name', 'ecr/immutable', '--image-tag', 'v2', '--image-manifest', manifest]));

  const mut = ok(aws(b, ['ecr', 'put-image-tag-mutability', '--repository-name', 'ecr/immutable', '--image-tag-mutability', 'MUTABLE']));
  assert.deepEqual(mut, { registryId: '000000000000', repositoryName: 'ecr/immutable', imageTagMutability: 'MUTABLE' });
  assert.equal((await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['ecr/immutable'] }))).repositories![0]!.imageTagMutability, 'MUTABLE');
  const moved = ok(aws(b, ['ecr', 'put-image', '--repository-name', 'ecr/immutable', '--image-tag', 'v1', '--image-manifest', manifest]));
  assert.equal(moved.image.imageId.imageDigest, second.digest);
  assert.equal((await v2.request('HEAD', '/v2/ecr/immutable/manifests/v1')).headers['docker-content-digest'], second.digest);
  // The first image stays, untagged.
  assert.deepEqual((await ecr.send(new ListImagesCommand({ repositoryName: 'ecr/immutable', filter: { tagStatus: 'UNTAGGED' } }))).imageIds, [{ imageDigest: first.digest }]);
});

test('set/get/delete-repository-policy; an invalid policy is InvalidParameterException', async () => {
  await createRepository(b, 'ecr/policy');
  assertCliError(aws(b, ['ecr', 'get-repository-policy', '--repository-name', 'ecr/policy']), 'RepositoryPolicyNotFoundException');
  const policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'pull', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] }],
  });
  const set = ok(aws(b, ['ecr', 'set-repository-policy', '--repository-name', 'ecr/policy', '--policy-text', policy]));
  assert.equal(set.repositoryName, 'ecr/policy');
  assert.deepEqual(JSON.parse(set.policyText), JSON.parse(policy));
  const got = ok(aws(b, ['ecr', 'get-repository-policy', '--repository-name', 'ecr/policy']));
  assert.deepEqual(JSON.parse(got.policyText), JSON.parse(policy));
  for (const bad of ['not json', '{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"ecr:*"}]}']) {
    assertCliError(aws(b, ['ecr', 'set-repository-policy', '--repository-name', 'ecr/policy', '--policy-text', bad]), 'InvalidParameterException');
  }
  const kept = await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: 'ecr/policy' }));
  assert.deepEqual(JSON.parse(kept.policyText!), JSON.parse(policy), 'a refused policy changes nothing');
  const deleted = ok(aws(b, ['ecr', 'delete-repository-policy', '--repository-name', 'ecr/policy']));
  assert.deepEqual(JSON.parse(deleted.policyText), JSON.parse(policy));
  assertCliError(aws(b, ['ecr', 'get-repository-policy', '--repository-name', 'ecr/policy']), 'RepositoryPolicyNotFoundException');
  assert.equal((await sdkError(ecr.send(new DeleteRepositoryPolicyCommand({ repositoryName: 'ecr/policy' })))).name, 'RepositoryPolicyNotFoundException');
});

test('tag-resource, untag-resource, list-tags-for-resource', async () => {
  const arn = `arn:aws:ecr:${b.region}:000000000000:repository/ecr/policy`;
  assert.deepEqual((await ecr.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, []);
  ok(aws(b, ['ecr', 'tag-resource', '--resource-arn', arn, '--tags', 'Key=a,Value=1', 'Key=b,Value=2']));
  ok(aws(b, ['ecr', 'tag-resource', '--resource-arn', arn, '--tags', 'Key=a,Value=changed']));
  assert.deepEqual(ok(aws(b, ['ecr', 'list-tags-for-resource', '--resource-arn', arn])).tags, [
    { Key: 'a', Value: 'changed' },
    { Key: 'b', Value: '2' },
  ]);
  ok(aws(b, ['ecr', 'untag-resource', '--resource-arn', arn, '--tag-keys', 'a']));
  assert.deepEqual(ok(aws(b, ['ecr', 'list-tags-for-resource', '--resource-arn', arn])).tags, [{ Key: 'b', Value: '2' }]);
  assertCliError(aws(b, ['ecr', 'tag-resource', '--resource-arn', arn, '--tags', 'Key=aws:reserved,Value=x']), 'InvalidTagParameterException');
  assertCliError(aws(b, ['ecr', 'list-tags-for-resource', '--resource-arn', `arn:aws:ecr:${b.region}:000000000000:repository/ecr/none`]), 'RepositoryNotFoundException');
});

test('delete-repository: RepositoryNotEmptyException without --force; with --force it goes and its blobs are no longer pullable', async () => {
  await createRepository(b, 'ecr/doomed');
  const image = randomImage({ layers: 2 });
  await v2.pushImage('ecr/doomed', 'v1', image);
  const layer = sha256(image.layers[0]!);
  assert.equal((await v2.request('GET', `/v2/ecr/doomed/blobs/${layer}`)).status, 200);
  assertCliError(aws(b, ['ecr', 'delete-repository', '--repository-name', 'ecr/doomed']), 'RepositoryNotEmptyException');
  const deleted = ok(aws(b, ['ecr', 'delete-repository', '--repository-name', 'ecr/doomed', '--force']));
  assert.equal(deleted.repository.repositoryName, 'ecr/doomed');
  assert.equal((await sdkError(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['ecr/doomed'] })))).name, 'RepositoryNotFoundException');

  const gone = await v2.request('GET', `/v2/ecr/doomed/blobs/${layer}`);
  assert.equal(gone.status, 404);
  assert.equal(errorCode(gone), 'NAME_UNKNOWN');
  // A new repository of the same name starts empty: the old links went with the old one.
  await createRepository(b, 'ecr/doomed');
  for (const d of [layer, sha256(image.config)]) {
    const r = await v2.request('GET', `/v2/ecr/doomed/blobs/${d}`);
    assert.equal(r.status, 404);
    assert.equal(errorCode(r), 'BLOB_UNKNOWN');
  }
  const manifest = await v2.request('GET', `/v2/ecr/doomed/manifests/v1`);
  assert.equal(manifest.status, 404);
  assert.equal(errorCode(manifest), 'MANIFEST_UNKNOWN');
  // An empty repository deletes without --force.
  ok(aws(b, ['ecr', 'delete-repository', '--repository-name', 'ecr/doomed']));
});

test('get-authorization-token: AWS:<password>, expiresAt about 12 hours on, proxyEndpoint is this registry', async () => {
  const r = ok(aws(b, ['ecr', 'get-authorization-token']));
  assert.equal(r.authorizationData.length, 1);
  const data = r.authorizationData[0];
  assert.equal(data.proxyEndpoint, `http://${host}`);
  const expires = millis(data.expiresAt);
  assert.ok(Math.abs(expires - (Date.now() + 12 * 3600_000)) < 5 * 60_000, `expiresAt ${data.expiresAt}`);
  const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
  assert.match(decoded, /^AWS:.+/);
  const check = await v2.as(`Basic ${data.authorizationToken}`).request('GET', '/v2/');
  assert.equal(check.status, 200);
  // get-login-password is the same password.
  const pw = aws(b, ['ecr', 'get-login-password']);
  assert.equal(pw.status, 0, pw.stderr);
  assert.equal((await v2.as(`Basic ${Buffer.from(`AWS:${pw.stdout.trim()}`).toString('base64')}`).request('GET', '/v2/')).status, 200);
});

test('describe-registry; put/get/delete-registry-policy', () => {
  const registry = ok(aws(b, ['ecr', 'describe-registry']));
  assert.equal(registry.registryId, '000000000000');
  assert.deepEqual(registry.replicationConfiguration, { rules: [] });
  assertCliError(aws(b, ['ecr', 'get-registry-policy']), 'RegistryPolicyNotFoundException');
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'ecr:ReplicateImage', Resource: '*' }] });
  const put = ok(aws(b, ['ecr', 'put-registry-policy', '--policy-text', policy]));
  assert.equal(put.registryId, '000000000000');
  assert.deepEqual(JSON.parse(ok(aws(b, ['ecr', 'get-registry-policy'])).policyText), JSON.parse(policy));
  assertCliError(aws(b, ['ecr', 'put-registry-policy', '--policy-text', '{"Statement":"nope"}']), 'InvalidParameterException');
  const deleted = ok(aws(b, ['ecr', 'delete-registry-policy']));
  assert.deepEqual(JSON.parse(deleted.policyText), JSON.parse(policy));
  assertCliError(aws(b, ['ecr', 'get-registry-policy']), 'RegistryPolicyNotFoundException');
  assertCliError(aws(b, ['ecr', 'delete-registry-policy']), 'RegistryPolicyNotFoundException');
});

test('layer API (SDK): InitiateLayerUpload → UploadLayerPart ×2 → CompleteLayerUpload → AVAILABLE; PutImage; /v2/ serves it', async () => {
  await createRepository(b, 'ecr/layers');
  const layer = randomBytes(300_000);
  const digest = sha256(layer);
  const before = await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'ecr/layers', layerDigests: [digest] }));
  assert.deepEqual(before.layers, []);
  assert.equal(before.failures![0]!.failureCode, 'MissingLayerDigest');

  const init = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'ecr/layers' }));
  assert.ok(init.uploadId);
  assert.ok(init.partSize! > 0);
  const split = 123_456;
  const p1 = await ecr.send(new UploadLayerPartCommand({ repositoryName: 'ecr/layers', uploadId: init.uploadId, partFirstByte: 0, partLastByte: split - 1, layerPartBlob: layer.subarray(0, split) }));
  assert.equal(p1.lastByteReceived, split - 1);
  const p2 = await ecr.send(
    new UploadLayerPartCommand({ repositoryName: 'ecr/layers', uploadId: init.uploadId, partFirstByte: split, partLastByte: layer.length - 1, layerPartBlob: layer.subarray(split) }),
  );
  assert.equal(p2.lastByteReceived, layer.length - 1);
  const done = await ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'ecr/layers', uploadId: init.uploadId, layerDigests: [digest] }));
  assert.equal(done.layerDigest, digest);
  assert.equal(done.repositoryName, 'ecr/layers');

  const check = await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'ecr/layers', layerDigests: [digest] }));
  assert.deepEqual(check.failures, []);
  assert.equal(check.layers![0]!.layerAvailability, 'AVAILABLE');
  assert.equal(check.layers![0]!.layerSize, layer.length);
  assert.ok(storedBlobs(b.dataDir).includes(digest));

  // A second upload of the same layer is LayerAlreadyExistsException.
  const again = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'ecr/layers' }));
  await ecr.send(new UploadLayerPartCommand({ repositoryName: 'ecr/layers', uploadId: again.uploadId, partFirstByte: 0, partLastByte: layer.length - 1, layerPartBlob: layer }));
  const exists = await sdkError(ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'ecr/layers', uploadId: again.uploadId, layerDigests: [digest] })));
  assert.equal(exists.name, 'LayerAlreadyExistsException');

  // The config goes the same way; then the manifest through PutImage.
  const image = randomImage({ layerData: [layer] });
  const cfg = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'ecr/layers' }));
  await ecr.send(new UploadLayerPartCommand({ repositoryName: 'ecr/layers', uploadId: cfg.uploadId, partFirstByte: 0, partLastByte: image.config.length - 1, layerPartBlob: image.config }));
  await ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'ecr/layers', uploadId: cfg.uploadId, layerDigests: [sha256(image.config)] }));
  const put = await ecr.send(new PutImageCommand({ repositoryName: 'ecr/layers', imageTag: 'sdk', imageManifest: image.manifest.toString('utf8'), imageManifestMediaType: image.mediaType }));
  assert.equal(put.image!.imageId!.imageDigest, image.digest);
  const pulled = await v2.request('GET', `/v2/ecr/layers/blobs/${digest}`);
  assert.equal(pulled.status, 200);
  assert.ok(pulled.body.equals(layer));
});

test('layer API (SDK): a part out of order is InvalidLayerPartException; a wrong digest is InvalidLayerException and stores nothing', async () => {
  const layer = randomBytes(10_000);
  const init = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: 'ecr/layers' }));
  await ecr.send(new UploadLayerPartCommand({ repositoryName: 'ecr/layers', uploadId: init.uploadId, partFirstByte: 0, partLastByte: 4999, layerPartBlob: layer.subarray(0, 5000) }));
  const gap = await sdkError(
    ecr.send(new UploadLayerPartCommand({ repositoryName: 'ecr/layers', uploadId: init.uploadId, partFirstByte: 6000, partLastByte: 9999, layerPartBlob: layer.subarray(6000) })),
  );
  assert.equal(gap.name, 'InvalidLayerPartException');
  assert.equal(gap.lastValidByteReceived, 4999);
  const mismatch = await sdkError(
    ecr.send(new UploadLayerPartCommand({ repositoryName: 'ecr/layers', uploadId: init.uploadId, partFirstByte: 5000, partLastByte: 9999, layerPartBlob: layer.subarray(5000, 6000) })),
  );
  assert.equal(mismatch.name, 'InvalidLayerPartException');
  // The right next part is still accepted.
  const p2 = await ecr.send(new UploadLayerPartCommand({ repositoryName: 'ecr/layers', uploadId: init.uploadId, partFirstByte: 5000, partLastByte: 9999, layerPartBlob: layer.subarray(5000) }));
  assert.equal(p2.lastByteReceived, 9999);

  const blobsBefore = storedBlobs(b.dataDir);
  const wrong = sha256(randomBytes(16));
  const bad = await sdkError(ecr.send(new CompleteLayerUploadCommand({ repositoryName: 'ecr/layers', uploadId: init.uploadId, layerDigests: [wrong] })));
  assert.equal(bad.name, 'InvalidLayerException');
  assert.deepEqual(storedBlobs(b.dataDir), blobsBefore);
  const check = await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'ecr/layers', layerDigests: [wrong, sha256(layer)] }));
  assert.deepEqual(check.failures!.map((f) => f.failureCode), ['MissingLayerDigest', 'MissingLayerDigest']);
  const unknown = await sdkError(ecr.send(new UploadLayerPartCommand({ repositoryName: 'ecr/layers', uploadId: init.uploadId, partFirstByte: 0, partLastByte: 0, layerPartBlob: Buffer.from('x') })));
  assert.equal(unknown.name, 'UploadNotFoundException');
});

test('GetDownloadUrlForLayer: the URL serves the layer without credentials; a missing layer is LayersNotFoundException', async () => {
  const image = randomImage({ layers: 1, layerSize: 50_000 });
  await v2.pushImage('ecr/layers', 'dl', image);
  const digest = sha256(image.layers[0]!);
  const out = await ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'ecr/layers', layerDigest: digest }));
  assert.equal(out.layerDigest, digest);
  const url = new URL(out.downloadUrl!);
  assert.equal(url.host, host);
  const fetched = await v2.as(undefined).request('GET', `${url.pathname}${url.search}`);
  assert.equal(fetched.status, 200);
  assert.ok(fetched.body.equals(image.layers[0]!), 'the downloaded bytes differ');
  // Without the URL's token the same path asks for credentials.
  assert.equal((await v2.as(undefined).request('GET', url.pathname)).status, 401);
  // The URL's token reads that one layer and nothing else: not the manifest, not the catalog, and it is no login password.
  const token = url.searchParams.get('X-Berth-Token')!;
  const elsewhere = await v2.as(undefined).request('GET', `/v2/ecr/layers/manifests/dl?X-Berth-Token=${encodeURIComponent(token)}`);
  assert.equal(elsewhere.status, 403);
  assert.equal(elsewhere.json.errors[0].code, 'DENIED');
  const asLogin = await v2.as(`Basic ${Buffer.from(`AWS:${token}`).toString('base64')}`).request('GET', '/v2/_catalog');
  assert.equal(asLogin.status, 403);
  const missing = await sdkError(ecr.send(new GetDownloadUrlForLayerCommand({ repositoryName: 'ecr/layers', layerDigest: sha256('absent') })));
  assert.equal(missing.name, 'LayersNotFoundException');
});
