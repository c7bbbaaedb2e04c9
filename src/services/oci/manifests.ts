import { parseDigest } from '../../registry/digest.js';
import { imageNotFound } from '../../registry/images.js';
import { MAX_MANIFEST_BYTES, MEDIA } from '../../registry/manifest.js';
import { isTag } from '../../registry/names.js';
import type { RepositoryRecord } from '../../registry/repositories.js';
import { OciError } from './errors.js';
import { listingSize, readSmallBody, sendEmpty, sendJson, type OciRequest } from './routes.js';

// Manifests, tags, referrers and the catalog on the /v2/ API.

export async function repository(r: OciRequest, name: string): Promise<RepositoryRecord> {
  return r.deps.registry.repositories.get(r.principal, name);
}

export async function manifestRoutes(r: OciRequest, name: string, reference: string): Promise<void> {
  const byDigest = parseDigest(reference) !== undefined;
  if (!byDigest && !isTag(reference)) throw new OciError(reference.includes(':') ? 'DIGEST_INVALID' : 'TAG_INVALID', `'${reference}' is neither a valid tag nor a valid digest.`);
  const { registry } = r.deps;
  switch (r.req.method) {
    case 'GET':
    case 'HEAD': {
      const repo = await repository(r, name);
      const digest = await registry.images.resolve(repo, reference);
      const found = digest && (await registry.images.manifest(repo, digest, { pull: r.now }));
      if (!digest || !found) throw new OciError('MANIFEST_UNKNOWN', imageNotFound(r.principal, name, byDigest ? { imageDigest: reference } : { imageTag: reference }).message);
      r.res.statusCode = 200;
      r.res.setHeader('Content-Type', found.mediaType);
      r.res.setHeader('Content-Length', found.bytes.length);
      r.res.setHeader('Docker-Content-Digest', digest);
      r.res.setHeader('ETag', `"${digest}"`);
      r.res.end(r.req.method === 'HEAD' ? undefined : found.bytes);
      return;
    }
    case 'PUT': {
      const repo = await repository(r, name);
      const bytes = await readSmallBody(r.req, MAX_MANIFEST_BYTES);
      const result = await registry.images.putManifest(repo, bytes, {
        mediaType: r.req.headers['content-type'],
        tag: byDigest ? undefined : reference,
        expectedDigest: byDigest ? reference : undefined,
        now: r.now,
      });
      for (const tag of r.query.getAll('tag')) {
        await registry.images.putManifest(repo, bytes, { mediaType: r.req.headers['content-type'], tag, now: r.now });
      }
      if (result.created) registry.pushed({ repo, digest: result.digest, manifest: result.manifest, now: r.now });
      const headers: Record<string, string> = { Location: `/v2/${name}/manifests/${result.digest}`, 'Docker-Content-Digest': result.digest };
      if (result.manifest.subject) headers['OCI-Subject'] = result.manifest.subject.digest;
      sendEmpty(r.res, 201, headers);
      return;
    }
    case 'DELETE': {
      const repo = await repository(r, name);
      if (!byDigest) {
        // OCI 1.1: deleting by tag removes the tag only.
        if (!(await registry.images.untag(repo, reference))) throw new OciError('MANIFEST_UNKNOWN', imageNotFound(r.principal, name, { imageTag: reference }).message);
        sendEmpty(r.res, 202);
        return;
      }
      const outcome = await registry.images.delete(repo, reference);
      if (outcome.referencedBy) throw new OciError('DENIED', `The manifest ${reference} is listed by the image index ${outcome.referencedBy.join(', ')}; delete the index first.`);
      if (!outcome.deleted) throw new OciError('MANIFEST_UNKNOWN', imageNotFound(r.principal, name, { imageDigest: reference }).message);
      sendEmpty(r.res, 202);
      return;
    }
    default:
      throw new OciError('UNSUPPORTED', `${r.req.method} is not supported on manifests.`);
  }
}

export async function tagList(r: OciRequest, name: string): Promise<void> {
  if (r.req.method !== 'GET') throw new OciError('UNSUPPORTED', `${r.req.method} is not supported on tags/list.`);
  const repo = await repository(r, name);
  const n = listingSize(r.query);
  const last = r.query.get('last') ?? undefined;
  const tags = await r.deps.registry.images.tags(repo, n + 1, last);
  const page = tags.slice(0, n);
  if (tags.length > n && page.length) r.res.setHeader('Link', `</v2/${name}/tags/list?n=${n}&last=${encodeURIComponent(page.at(-1)!)}>; rel="next"`);
  sendJson(r.res, 200, { name, tags: page });
}

export async function catalog(r: OciRequest): Promise<void> {
  if (r.req.method !== 'GET') throw new OciError('UNSUPPORTED', `${r.req.method} is not supported on _catalog.`);
  const n = listingSize(r.query);
  const names = await r.deps.registry.repositories.names(r.principal, n + 1, r.query.get('last') ?? undefined);
  const page = names.slice(0, n);
  if (names.length > n && page.length) r.res.setHeader('Link', `</v2/_catalog?n=${n}&last=${encodeURIComponent(page.at(-1)!)}>; rel="next"`);
  sendJson(r.res, 200, { repositories: page });
}

export async function referrers(r: OciRequest, name: string, digest: string): Promise<void> {
  if (r.req.method !== 'GET') throw new OciError('UNSUPPORTED', `${r.req.method} is not supported on referrers.`);
  if (!parseDigest(digest)) throw new OciError('DIGEST_INVALID', `'${digest}' is not a valid digest.`);
  const repo = await repository(r, name);
  const artifactType = r.query.get('artifactType') ?? undefined;
  const manifests = [];
  for (const image of await r.deps.registry.images.referrers(repo, digest)) {
    if (artifactType !== undefined && image.artifactType !== artifactType) continue;
    const stored = await r.deps.registry.images.manifest(repo, image.digest);
    if (!stored) continue;
    const doc = JSON.parse(stored.bytes.toString('utf8')) as { annotations?: Record<string, string> };
    manifests.push({
      mediaType: image.mediaType,
      digest: image.digest,
      size: stored.bytes.length,
      ...(image.artifactType ? { artifactType: image.artifactType } : {}),
      ...(doc.annotations ? { annotations: doc.annotations } : {}),
    });
  }
  if (artifactType !== undefined) r.res.setHeader('OCI-Filters-Applied', 'artifactType');
  sendJson(r.res, 200, { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests }, false, MEDIA.ociIndex);
}
