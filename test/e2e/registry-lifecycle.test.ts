import { BatchDeleteImageCommand, CompleteLayerUploadCommand, ECRClient, InitiateLayerUploadCommand, PutImageCommand, UploadLayerPartCommand } from '@aws-sdk/client-ecr';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { aws, startBerth, type Berth } from './harness.js';

// Lifecycle policies with the AWS CLI (put, preview, the preview waiter) and
// on berth's schedule, then garbage collection of what they expired. The
// images are pushed through ECR's own layer API, so no Docker is needed.

let b: Berth;
let ecr: ECRClient;

before(async () => {
  // Maintenance every second, and unreferenced blobs go after three seconds.
  b = await startBerth({ extraArgs: ['--registry-maintenance-interval', '1', '--registry-gc-grace', '3'] });
  ecr = new ECRClient({ endpoint: b.endpoint, region: b.region, credentials: { accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey }, maxAttempts: 1 });
});

after(async () => {
  await b?.stop();
});

const digest = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Pushes an image of one unique layer through InitiateLayerUpload/UploadLayerPart/CompleteLayerUpload and PutImage. */
async function pushImage(repo: string, tag: string | undefined, content: string): Promise<string> {
  const blobs: Array<{ data: Buffer; mediaType: string }> = [
    { data: Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', note: content })), mediaType: 'application/vnd.oci.image.config.v1+json' },
    { data: Buffer.from(`layer of ${content}`), mediaType: 'application/vnd.oci.image.layer.v1.tar' },
  ];
  for (const blob of blobs) {
    const upload = await ecr.send(new InitiateLayerUploadCommand({ repositoryName: repo }));
    await ecr.send(new UploadLayerPartCommand({ repositoryName: repo, uploadId: upload.uploadId, partFirstByte: 0, partLastByte: blob.data.length - 1, layerPartBlob: blob.data }));
    await ecr.send(new CompleteLayerUploadCommand({ repositoryName: repo, uploadId: upload.uploadId, layerDigests: [digest(blob.data)] }));
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: blobs[0]!.mediaType, digest: digest(blobs[0]!.data), size: blobs[0]!.data.length },
    layers: [{ mediaType: blobs[1]!.mediaType, digest: digest(blobs[1]!.data), size: blobs[1]!.data.length }],
  });
  const put = await ecr.send(new PutImageCommand({ repositoryName: repo, imageManifest: manifest, imageTag: tag }));
  return put.image!.imageId!.imageDigest!;
}

function blobFiles(): number {
  const root = join(b.dataDir, 'registry', 'blobs', 'sha256');
  let n = 0;
  for (const prefix of readdirSync(root)) n += readdirSync(join(root, prefix)).length;
  return n;
}

const policy = (rules: unknown[]) => JSON.stringify({ rules });

test('start-lifecycle-policy-preview and the preview waiter show what would expire', async () => {
  assert.equal(aws(b, ['ecr', 'create-repository', '--repository-name', 'life/preview']).status, 0);
  for (let i = 1; i <= 4; i++) await pushImage('life/preview', `v${i}`, `preview ${i}`);
  await pushImage('life/preview', undefined, 'untagged one');
  const text = policy([
    { rulePriority: 1, description: 'untagged go', selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
    { rulePriority: 2, selection: { tagStatus: 'tagged', tagPrefixList: ['v'], countType: 'imageCountMoreThan', countNumber: 2 }, action: { type: 'expire' } },
  ]);
  // Previewed, not put: berth's one-second schedule would otherwise apply it before the preview reads the images.
  const start = aws(b, ['ecr', 'start-lifecycle-policy-preview', '--repository-name', 'life/preview', '--lifecycle-policy-text', text]);
  assert.equal(start.json.status, 'IN_PROGRESS');
  const wait = aws(b, ['ecr', 'wait', 'lifecycle-policy-preview-complete', '--repository-name', 'life/preview']);
  assert.equal(wait.status, 0, wait.stderr);
  const preview = aws(b, ['ecr', 'get-lifecycle-policy-preview', '--repository-name', 'life/preview']).json;
  assert.equal(preview.status, 'COMPLETE');
  const expiring = preview.previewResults.map((r: { imageTags?: string[]; appliedRulePriority: number }) => `${(r.imageTags ?? ['<untagged>']).join(',')}@${r.appliedRulePriority}`).sort();
  // The one untagged image is within "more than 1"; v1 and v2 are the oldest beyond the newest two.
  assert.deepEqual(expiring, ['v1@2', 'v2@2']);
  assert.equal(preview.summary.expiringImageTotalCount, 2);
  assert.equal(preview.lifecyclePolicyText, text);
  assert.equal(aws(b, ['ecr', 'list-images', '--repository-name', 'life/preview']).json.imageIds.length, 5, 'a preview expires nothing');
});

test('the schedule applies the policy, and garbage collection removes the expired layers', async () => {
  assert.equal(aws(b, ['ecr', 'create-repository', '--repository-name', 'life/applied']).status, 0);
  for (let i = 1; i <= 3; i++) await pushImage('life/applied', `build-${i}`, `applied ${i}`);
  const before = blobFiles();
  const text = policy([{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }]);
  assert.equal(aws(b, ['ecr', 'put-lifecycle-policy', '--repository-name', 'life/applied', '--lifecycle-policy-text', text]).status, 0);
  let tags: string[] = [];
  for (let i = 0; i < 40; i++) {
    tags = aws(b, ['ecr', 'list-images', '--repository-name', 'life/applied']).json.imageIds.map((id: { imageTag?: string }) => id.imageTag);
    if (tags.length === 1) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.deepEqual(tags, ['build-3']);
  const got = aws(b, ['ecr', 'get-lifecycle-policy', '--repository-name', 'life/applied']).json;
  assert.ok(got.lastEvaluatedAt, 'lastEvaluatedAt is reported once the policy ran');
  // Two images expired: their configs, layers and manifests (6 blobs) go once older than the grace period.
  let after = blobFiles();
  for (let i = 0; i < 60 && after > before - 6; i++) {
    await new Promise((r) => setTimeout(r, 500));
    after = blobFiles();
  }
  assert.equal(after, before - 6);
});

test('policy errors: a tagged rule without a prefix list, and no policy to get or preview', async () => {
  assert.equal(aws(b, ['ecr', 'create-repository', '--repository-name', 'life/errors']).status, 0);
  const bad = aws(b, ['ecr', 'put-lifecycle-policy', '--repository-name', 'life/errors', '--lifecycle-policy-text', policy([{ rulePriority: 1, selection: { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }])]);
  assert.match(bad.stderr, /InvalidParameterException.*tagPrefixList or tagPatternList/);
  assert.match(aws(b, ['ecr', 'get-lifecycle-policy', '--repository-name', 'life/errors']).stderr, /LifecyclePolicyNotFoundException/);
  assert.match(aws(b, ['ecr', 'start-lifecycle-policy-preview', '--repository-name', 'life/errors']).stderr, /LifecyclePolicyNotFoundException/);
  assert.match(aws(b, ['ecr', 'get-lifecycle-policy-preview', '--repository-name', 'life/errors']).stderr, /LifecyclePolicyPreviewNotFoundException/);
  const deleted = await ecr.send(new BatchDeleteImageCommand({ repositoryName: 'life/errors', imageIds: [{ imageTag: 'none' }] }));
  assert.equal(deleted.failures![0]!.failureCode, 'ImageNotFound');
});
