import type { Scope } from '../control/arns.js';
import { AwsError } from '../gateway/errors.js';
import type { Store, Tx } from '../store/store.js';
import type { EcrImageRow } from '../store/schema.js';
import type { BlobStore } from './blob-store.js';
import { digestOf, parseDigest } from './digest.js';
import { ManifestInvalid, MAX_MANIFEST_BYTES, parseManifest, type ParsedManifest } from './manifest.js';
import { isTag } from './names.js';
import { keyOf, tagIsImmutable, type RepositoryRecord } from './repositories.js';

// Images: manifests and the tags that point at them, per repository. Both
// front ends (ECR's PutImage/BatchGetImage and OCI's /v2/ manifests) come
// through here, so immutability, reference checks and pull times agree.
//
//   putManifest: parse → every referenced blob/manifest present → bytes stored
//                once by digest → image row + tag in one transaction

export interface StoredImage {
  digest: string;
  mediaType: string;
  artifactType?: string;
  subject?: string;
  size: number;
  pushedAt: number;
  lastPullAt?: number;
  tags: string[];
}

export interface PutResult {
  digest: string;
  mediaType: string;
  /** false when the repository already held this exact image under this tag. */
  changed: boolean;
  /** true when this manifest was new to the repository. */
  created: boolean;
  manifest: ParsedManifest;
}

export const imageNotFound = (scope: Scope, repo: string, id: { imageDigest?: string; imageTag?: string }) =>
  new AwsError(
    'ImageNotFoundException',
    `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${repo}' in the registry with id '${scope.accountId}'`,
  );

export class Images {
  readonly #store: Store;
  readonly #blobs: BlobStore;

  constructor(store: Store, blobs: BlobStore) {
    this.#store = store;
    this.#blobs = blobs;
  }

  /**
   * Stores a manifest under a tag (or untagged when `tag` is undefined).
   * `expectedDigest`: the digest the client named (a /v2/ PUT by digest,
   * PutImage's imageDigest); the bytes must hash to it.
   */
  async putManifest(repo: RepositoryRecord, bytes: Buffer, opts: { mediaType?: string; tag?: string; expectedDigest?: string; now: number }): Promise<PutResult> {
    if (bytes.length > MAX_MANIFEST_BYTES) throw new AwsError('InvalidParameterException', `The manifest is ${bytes.length} bytes; the limit is ${MAX_MANIFEST_BYTES}.`);
    if (opts.tag !== undefined && !isTag(opts.tag)) {
      throw new AwsError('InvalidParameterException', `Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}''`);
    }
    let manifest: ParsedManifest;
    try {
      manifest = parseManifest(bytes, opts.mediaType);
    } catch (e) {
      if (e instanceof ManifestInvalid) throw new AwsError('InvalidParameterException', `Invalid parameter at 'imageManifest' failed to satisfy constraint: '${e.message}'`);
      throw e;
    }
    const digest = digestOf(bytes, (opts.expectedDigest && parseDigest(opts.expectedDigest)?.algorithm) || 'sha256');
    if (opts.expectedDigest !== undefined && opts.expectedDigest !== digest) {
      throw new AwsError('ImageDigestDoesNotMatchException', `The specified image digest '${opts.expectedDigest}' does not match the digest of the manifest, '${digest}'.`);
    }
    const key = keyOf(repo);
    const missing: string[] = [];
    for (const b of manifest.blobs) if (!(await this.#blobs.retain(key, b.digest, opts.now))) missing.push(b.digest);
    if (missing.length) {
      throw new AwsError('LayersNotFoundException', `The following layers were not found in the repository '${repo.name}': ${[...new Set(missing)].join(', ')}. Push them before the manifest.`);
    }
    if (manifest.manifests.length) {
      const present = await this.#store.db
        .selectFrom('ecr_images')
        .select('digest')
        .where('repository_arn', '=', repo.arn)
        .where('digest', 'in', manifest.manifests.map((m) => m.digest))
        .execute();
      const have = new Set(present.map((r) => r.digest));
      const absent = manifest.manifests.filter((m) => !have.has(m.digest)).map((m) => m.digest);
      if (absent.length) {
        throw new AwsError('ReferencedImagesNotFoundException', `The following manifests referenced by the image index were not found in the repository '${repo.name}': ${absent.join(', ')}.`);
      }
    }
    await this.#blobs.putContent(key, bytes, opts.now, digest);
    const refs = [...manifest.blobs.map((b) => b.digest), ...manifest.manifests.map((m) => m.digest)];
    return this.#store.transaction(async (tx) => {
      const existing = await tx.selectFrom('ecr_images').select('digest').where('repository_arn', '=', repo.arn).where('digest', '=', digest).executeTakeFirst();
      if (!existing) {
        await tx
          .insertInto('ecr_images')
          .values({
            repository_arn: repo.arn,
            digest,
            media_type: manifest.mediaType,
            artifact_media_type: manifest.artifactType ?? null,
            subject: manifest.subject?.digest ?? null,
            size: manifest.kind === 'image' ? manifest.contentSize : bytes.length,
            pushed_at: opts.now,
            last_pull_at: null,
            refs: JSON.stringify(refs),
          })
          .execute();
      }
      let changed = !existing;
      if (opts.tag !== undefined) {
        const current = await tx.selectFrom('ecr_tags').select('digest').where('repository_arn', '=', repo.arn).where('tag', '=', opts.tag).executeTakeFirst();
        if (current && current.digest !== digest && tagIsImmutable(repo, opts.tag)) {
          throw new AwsError(
            'ImageTagAlreadyExistsException',
            `The image tag '${opts.tag}' already exists in the '${repo.name}' repository and cannot be overwritten because the tag is immutable.`,
          );
        }
        if (!current) {
          await tx.insertInto('ecr_tags').values({ repository_arn: repo.arn, tag: opts.tag, digest, updated_at: opts.now }).execute();
          changed = true;
        } else if (current.digest !== digest) {
          await tx.updateTable('ecr_tags').set({ digest, updated_at: opts.now }).where('repository_arn', '=', repo.arn).where('tag', '=', opts.tag).execute();
          changed = true;
        }
      }
      return { digest, mediaType: manifest.mediaType, changed, created: !existing, manifest };
    });
  }

  /** The digest a tag or digest reference names, or undefined. */
  async resolve(repo: RepositoryRecord, reference: string, tx: Tx = this.#store.db): Promise<string | undefined> {
    if (parseDigest(reference)) {
      const row = await tx.selectFrom('ecr_images').select('digest').where('repository_arn', '=', repo.arn).where('digest', '=', reference).executeTakeFirst();
      return row?.digest;
    }
    const row = await tx.selectFrom('ecr_tags').select('digest').where('repository_arn', '=', repo.arn).where('tag', '=', reference).executeTakeFirst();
    return row?.digest;
  }

  /** A manifest's bytes and media type; `pull` records the pull time ECR reports as lastRecordedPullTime. */
  async manifest(repo: RepositoryRecord, digest: string, opts: { pull?: number } = {}): Promise<{ bytes: Buffer; mediaType: string } | undefined> {
    const row = await this.#store.db.selectFrom('ecr_images').select(['media_type']).where('repository_arn', '=', repo.arn).where('digest', '=', digest).executeTakeFirst();
    if (!row) return undefined;
    const bytes = await this.#blobs.getContent(digest);
    if (!bytes) return undefined;
    if (opts.pull !== undefined) {
      await this.#store.db.updateTable('ecr_images').set({ last_pull_at: opts.pull }).where('repository_arn', '=', repo.arn).where('digest', '=', digest).execute();
    }
    return { bytes, mediaType: row.media_type };
  }

  async image(repo: RepositoryRecord, digest: string): Promise<StoredImage | undefined> {
    const row = await this.#store.db.selectFrom('ecr_images').selectAll().where('repository_arn', '=', repo.arn).where('digest', '=', digest).executeTakeFirst();
    if (!row) return undefined;
    const tags = await this.#store.db.selectFrom('ecr_tags').select('tag').where('repository_arn', '=', repo.arn).where('digest', '=', digest).orderBy('tag').execute();
    return view(row, tags.map((t) => t.tag));
  }

  /** Every image of the repository with its tags, newest push first. */
  async all(repo: RepositoryRecord): Promise<StoredImage[]> {
    const rows = await this.#store.db.selectFrom('ecr_images').selectAll().where('repository_arn', '=', repo.arn).orderBy('pushed_at', 'desc').orderBy('digest').execute();
    const tags = await this.#store.db.selectFrom('ecr_tags').select(['tag', 'digest']).where('repository_arn', '=', repo.arn).orderBy('tag').execute();
    const byDigest = new Map<string, string[]>();
    for (const t of tags) byDigest.set(t.digest, [...(byDigest.get(t.digest) ?? []), t.tag]);
    return rows.map((r) => view(r, byDigest.get(r.digest) ?? []));
  }

  /** Tags in lexical order after `last`, at most `limit`. */
  async tags(repo: RepositoryRecord, limit: number, last?: string): Promise<string[]> {
    let q = this.#store.db.selectFrom('ecr_tags').select('tag').where('repository_arn', '=', repo.arn);
    if (last !== undefined) q = q.where('tag', '>', last);
    return (await q.orderBy('tag').limit(limit).execute()).map((r) => r.tag);
  }

  /** Manifests whose subject is `digest` (the OCI referrers API). */
  async referrers(repo: RepositoryRecord, digest: string): Promise<StoredImage[]> {
    const rows = await this.#store.db.selectFrom('ecr_images').selectAll().where('repository_arn', '=', repo.arn).where('subject', '=', digest).orderBy('digest').execute();
    return rows.map((r) => view(r, []));
  }

  /** Removes a tag; the image stays. false when the tag did not exist. */
  async untag(repo: RepositoryRecord, tag: string): Promise<boolean> {
    const result = await this.#store.db.deleteFrom('ecr_tags').where('repository_arn', '=', repo.arn).where('tag', '=', tag).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** The index manifests in the repository that list `digest`. */
  async referencingIndexes(repo: RepositoryRecord, digest: string, tx: Tx = this.#store.db): Promise<string[]> {
    const rows = await tx.selectFrom('ecr_images').select(['digest', 'refs']).where('repository_arn', '=', repo.arn).where('media_type', 'in', ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']).execute();
    return rows.filter((r) => (JSON.parse(r.refs) as string[]).includes(digest)).map((r) => r.digest);
  }

  /**
   * Deletes an image and its tags. Refused while an index in the repository
   * lists it (ECR's ImageReferencedByManifestList). Blob links go with the
   * next garbage collection.
   */
  async delete(repo: RepositoryRecord, digest: string): Promise<{ deleted: boolean; referencedBy?: string[] }> {
    return this.#store.transaction(async (tx) => {
      const row = await tx.selectFrom('ecr_images').select('digest').where('repository_arn', '=', repo.arn).where('digest', '=', digest).executeTakeFirst();
      if (!row) return { deleted: false };
      const referencedBy = (await this.referencingIndexes(repo, digest, tx)).filter((d) => d !== digest);
      if (referencedBy.length) return { deleted: false, referencedBy };
      await tx.deleteFrom('ecr_tags').where('repository_arn', '=', repo.arn).where('digest', '=', digest).execute();
      await tx.deleteFrom('ecr_scans').where('repository_arn', '=', repo.arn).where('digest', '=', digest).execute();
      await tx.deleteFrom('ecr_images').where('repository_arn', '=', repo.arn).where('digest', '=', digest).execute();
      return { deleted: true };
    });
  }

  /** Every digest any manifest in any repository references, and the manifests themselves (GC's mark set). */
  marked(): Promise<Set<string>> {
    return this.#reached(this.#store.db.selectFrom('ecr_images').select(['digest', 'refs']));
  }

  /** The digests a repository's manifests reference, with the manifests (links GC keeps). */
  markedIn(repo: RepositoryRecord): Promise<Set<string>> {
    return this.#reached(this.#store.db.selectFrom('ecr_images').select(['digest', 'refs']).where('repository_arn', '=', repo.arn));
  }

  async #reached(query: { execute(): Promise<Array<{ digest: string; refs: string }>> }): Promise<Set<string>> {
    const set = new Set<string>();
    for (const r of await query.execute()) {
      set.add(r.digest);
      for (const d of JSON.parse(r.refs) as string[]) set.add(d);
    }
    return set;
  }
}

function view(row: EcrImageRow, tags: string[]): StoredImage {
  return {
    digest: row.digest,
    mediaType: row.media_type,
    artifactType: row.artifact_media_type ?? undefined,
    subject: row.subject ?? undefined,
    size: Number(row.size),
    pushedAt: Number(row.pushed_at),
    lastPullAt: row.last_pull_at === null ? undefined : Number(row.last_pull_at),
    tags,
  };
}
