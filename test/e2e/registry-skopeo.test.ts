import { BatchDeleteImageCommand } from '@aws-sdk/client-ecr';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { requireDocker } from '../support/docker.js';
import { createRepository, DockerCli, ecrClient, MEDIA, registryHost, registryPassword, sha256, tarOf, tempDir, V2Client, writeFiles } from '../support/registry.js';
import { aws, startBerth, type Berth } from './harness.js';

// skopeo against berth's registry: copies in both directions, in Docker
// schema 2 and OCI formats, from docker-daemon:, oci: and dir: sources; a
// two-platform image index pushed with --all and copied back unchanged.

let b: Berth | undefined;
let docker: DockerCli | undefined;
let v2: V2Client;
let host: string;
let creds: string;
const dirs: string[] = [];
/** An image in the local daemon (not in any registry) that the copies start from. */
let source: { reference: string; files: { path: string; sha256: string }[] } | undefined;

const dir = (prefix: string) => {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
};

function skopeo(args: string[]): { status: number; stdout: string; stderr: string } {
  // A private, empty auth file: only --creds / --src-creds / --dest-creds authenticate.
  const r = spawnSync('skopeo', args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, REGISTRY_AUTH_FILE: join(dirs[0]!, 'auth.json') } });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function mustSkopeo(args: string[]): string {
  const r = skopeo(args);
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const copyArgs = () => ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', creds, '--dest-creds', creds];
const inspectArgs = () => ['inspect', '--tls-verify=false', '--creds', creds];

before(async () => {
  dirs.push(tempDir('berth-skopeo-'));
  writeFiles(dirs[0]!, { 'auth.json': '{"auths":{}}' });
  if (!requireDocker()) return;
  b = await startBerth();
  host = registryHost(b);
  creds = `AWS:${await registryPassword(b)}`;
  v2 = await V2Client.basic(b);
  docker = new DockerCli();
  const reference = `berth-test-skopeo/source:${randomBytes(4).toString('hex')}`;
  const built = docker.buildLayeredImage(reference, { layers: 2, layerSize: 128 * 1024 });
  source = { reference, files: built.files };
  for (const name of ['skopeo/app', 'skopeo/from-dir', 'skopeo/from-oci', 'skopeo/multi']) await createRepository(b, name);
});

after(async () => {
  docker?.cleanup();
  await b?.stop();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function registryDigest(repo: string, reference: string): Promise<string> {
  const head = await v2.request('HEAD', `/v2/${repo}/manifests/${reference}`);
  assert.equal(head.status, 200, `HEAD ${repo}:${reference} → ${head.status}`);
  return String(head.headers['docker-content-digest']);
}

test('skopeo copy docker-daemon: → docker:// --format v2s2 stores a Docker schema 2 manifest', async (t) => {
  if (!requireDocker(t)) return;
  mustSkopeo([...copyArgs(), '--format', 'v2s2', `docker-daemon:${source!.reference}`, `docker://${host}/skopeo/app:v2s2`]);
  const raw = JSON.parse(mustSkopeo([...inspectArgs(), '--raw', `docker://${host}/skopeo/app:v2s2`]));
  assert.equal(raw.mediaType, MEDIA.dockerManifest);
  assert.equal(raw.layers.length, 3, 'busybox and two random layers');
  const info = JSON.parse(mustSkopeo([...inspectArgs(), `docker://${host}/skopeo/app:v2s2`]));
  assert.equal(info.Digest, await registryDigest('skopeo/app', 'v2s2'));
  assert.deepEqual(info.RepoTags, ['v2s2']);
  assert.equal(info.Architecture, 'amd64');
  assert.equal(info.Os, 'linux');
});

test('skopeo copy docker-daemon: → docker:// --format oci stores an OCI manifest; inspect lists both tags', async (t) => {
  if (!requireDocker(t)) return;
  mustSkopeo([...copyArgs(), '--format', 'oci', `docker-daemon:${source!.reference}`, `docker://${host}/skopeo/app:oci`]);
  const raw = mustSkopeo([...inspectArgs(), '--raw', `docker://${host}/skopeo/app:oci`]);
  assert.equal(JSON.parse(raw).mediaType, MEDIA.ociManifest);
  const digest = await registryDigest('skopeo/app', 'oci');
  assert.equal(sha256(raw.trimEnd()), digest, 'inspect --raw returns the stored bytes');
  const info = JSON.parse(mustSkopeo([...inspectArgs(), `docker://${host}/skopeo/app:oci`]));
  assert.equal(info.Digest, digest);
  assert.deepEqual([...info.RepoTags].sort(), ['oci', 'v2s2']);
  const images = aws(b!, ['ecr', 'describe-images', '--repository-name', 'skopeo/app', '--image-ids', 'imageTag=oci']);
  assert.equal(images.json.imageDetails[0].imageManifestMediaType, MEDIA.ociManifest);
});

test('skopeo copy docker:// → oci:DIR and dir:DIR keeps the digest; both copy back to new repositories unchanged', async (t) => {
  if (!requireDocker(t)) return;
  const digest = await registryDigest('skopeo/app', 'oci');
  const ociDir = dir('berth-skopeo-oci-');
  mustSkopeo([...copyArgs(), `docker://${host}/skopeo/app:oci`, `oci:${ociDir}:latest`]);
  const index = JSON.parse(readFileSync(join(ociDir, 'index.json'), 'utf8'));
  assert.equal(index.manifests[0].digest, digest);
  assert.ok(existsSync(join(ociDir, 'blobs', 'sha256', digest.slice(7))));

  const plainDir = dir('berth-skopeo-dir-');
  mustSkopeo([...copyArgs(), `docker://${host}/skopeo/app:v2s2`, `dir:${plainDir}`]);
  const v2s2Digest = await registryDigest('skopeo/app', 'v2s2');
  assert.equal(sha256(readFileSync(join(plainDir, 'manifest.json'))), v2s2Digest);

  mustSkopeo([...copyArgs(), `dir:${plainDir}`, `docker://${host}/skopeo/from-dir:v1`]);
  assert.equal(await registryDigest('skopeo/from-dir', 'v1'), v2s2Digest);
  mustSkopeo([...copyArgs(), `oci:${ociDir}:latest`, `docker://${host}/skopeo/from-oci:v1`]);
  assert.equal(await registryDigest('skopeo/from-oci', 'v1'), digest);
  const info = JSON.parse(mustSkopeo([...inspectArgs(), `docker://${host}/skopeo/from-oci:v1`]));
  assert.equal(info.Digest, digest);
  assert.deepEqual(info.RepoTags, ['v1']);
});

test('skopeo copy docker:// → docker-daemon: pulls an image that runs with the same file contents', async (t) => {
  if (!requireDocker(t)) return;
  for (const tag of ['v2s2', 'oci']) {
    const local = docker!.track(`berth-test-skopeo/pulled-${tag}:${randomBytes(4).toString('hex')}`);
    mustSkopeo([...copyArgs(), `docker://${host}/skopeo/app:${tag}`, `docker-daemon:${local}`]);
    const hashes = docker!.fileHashes(local, source!.files.map((f) => f.path));
    for (const f of source!.files) assert.equal(hashes[f.path], f.sha256, `${tag}: ${f.path}`);
  }
});

/** An OCI layout with a two-platform index (linux/amd64, linux/arm64) tagged `multi`. */
function writeTwoPlatformLayout(root: string): { indexDigest: string; index: Buffer; manifests: Record<string, string>; blobs: Record<string, Buffer> } {
  const blobs: Record<string, Buffer> = {};
  const add = (data: Buffer) => {
    const d = sha256(data);
    blobs[d] = data;
    return d;
  };
  const manifests: Record<string, string> = {};
  const entries = [];
  for (const arch of ['amd64', 'arm64']) {
    // gzip-compressed, as skopeo pushes layers to a registry (an uncompressed one it would compress, changing the manifest).
    const tar = tarOf(`platform-${arch}.txt`, Buffer.concat([Buffer.from(`${arch}\n`), randomBytes(1024)]));
    const layer = gzipSync(tar);
    const config = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        config: { mediaType: MEDIA.ociConfig, digest: add(config), size: config.length },
        layers: [{ mediaType: MEDIA.ociLayerGzip, digest: add(layer), size: layer.length }],
      }),
    );
    manifests[arch] = add(manifest);
    entries.push({ mediaType: MEDIA.ociManifest, digest: manifests[arch], size: manifest.length, platform: { architecture: arch, os: 'linux' } });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: entries }));
  const indexDigest = add(index);
  const files: Record<string, Buffer | string> = {
    'oci-layout': '{"imageLayoutVersion":"1.0.0"}',
    'index.json': JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: MEDIA.ociIndex, digest: indexDigest, size: index.length, annotations: { 'org.opencontainers.image.ref.name': 'multi' } }],
    }),
  };
  for (const [d, data] of Object.entries(blobs)) files[`blobs/sha256/${d.slice(7)}`] = data;
  writeFiles(root, files);
  return { indexDigest, index, manifests, blobs };
}

test('a two-platform OCI index: skopeo copy --all pushes it, inspect --raw returns it, copy --all back is identical', async (t) => {
  if (!requireDocker(t)) return;
  const layoutDir = dir('berth-skopeo-multi-');
  const layout = writeTwoPlatformLayout(layoutDir);
  mustSkopeo([...copyArgs(), '--all', `oci:${layoutDir}:multi`, `docker://${host}/skopeo/multi:v1`]);

  const raw = skopeo([...inspectArgs(), '--raw', `docker://${host}/skopeo/multi:v1`]);
  assert.equal(raw.status, 0, raw.stderr);
  assert.equal(sha256(raw.stdout.trimEnd()), layout.indexDigest, `the index comes back byte for byte:\n${raw.stdout}\nsent:\n${layout.index.toString('utf8')}`);
  assert.equal(JSON.parse(raw.stdout).mediaType, MEDIA.ociIndex);
  assert.equal(await registryDigest('skopeo/multi', 'v1'), layout.indexDigest);

  // inspect resolves the index to a platform's image; Digest names what the tag points at (the index).
  for (const arch of ['amd64', 'arm64']) {
    const info = JSON.parse(mustSkopeo([...inspectArgs(), '--override-arch', arch, '--override-os', 'linux', `docker://${host}/skopeo/multi:v1`]));
    assert.equal(info.Architecture, arch);
    assert.equal(info.Digest, layout.indexDigest);
    assert.deepEqual(info.RepoTags, ['v1']);
  }
  const byDigest = JSON.parse(mustSkopeo([...inspectArgs(), '--raw', `docker://${host}/skopeo/multi@${layout.manifests.arm64}`]));
  assert.equal(byDigest.mediaType, MEDIA.ociManifest);

  const ids = aws(b!, ['ecr', 'list-images', '--repository-name', 'skopeo/multi']);
  assert.deepEqual(
    ids.json.imageIds.map((i: { imageDigest: string }) => i.imageDigest).sort(),
    [layout.indexDigest, layout.manifests.amd64, layout.manifests.arm64].sort(),
  );
  const tagged = aws(b!, ['ecr', 'list-images', '--repository-name', 'skopeo/multi', '--filter', 'tagStatus=TAGGED']);
  assert.deepEqual(tagged.json.imageIds, [{ imageDigest: layout.indexDigest, imageTag: 'v1' }]);

  // ECR keeps an index's children while the index lists them.
  const refused = await ecrClient(b!).send(new BatchDeleteImageCommand({ repositoryName: 'skopeo/multi', imageIds: [{ imageDigest: layout.manifests.arm64 }] }));
  assert.deepEqual(refused.imageIds, []);
  assert.equal(refused.failures![0]!.failureCode, 'ImageReferencedByManifestList');

  const back = dir('berth-skopeo-back-');
  mustSkopeo([...copyArgs(), '--all', `docker://${host}/skopeo/multi:v1`, `oci:${back}:multi`]);
  const index = JSON.parse(readFileSync(join(back, 'index.json'), 'utf8'));
  assert.equal(index.manifests.length, 1);
  assert.equal(index.manifests[0].digest, layout.indexDigest);
  for (const [d, data] of Object.entries(layout.blobs)) {
    const path = join(back, 'blobs', 'sha256', d.slice(7));
    assert.ok(existsSync(path), `${d} missing from the copy`);
    assert.ok(readFileSync(path).equals(data), `${d} differs in the copy`);
  }
});

test('skopeo inspect of a missing tag and a missing repository fails with manifest unknown / name unknown', (t) => {
  if (!requireDocker(t)) return;
  const tag = skopeo([...inspectArgs(), `docker://${host}/skopeo/app:absent`]);
  assert.notEqual(tag.status, 0);
  assert.match(tag.stderr, /manifest unknown/i);
  const repo = skopeo([...inspectArgs(), `docker://${host}/skopeo/nowhere:v1`]);
  assert.notEqual(repo.status, 0);
  assert.match(repo.stderr, /name unknown|does not exist/i);
});
