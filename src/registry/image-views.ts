import type * as ecr from '@aws-sdk/client-ecr';
import type { Scope } from '../control/arns.js';
import { decodeToken, encodeToken, pageSize } from '../control/pagination.js';
import { AwsError } from '../gateway/errors.js';
import { parseDigest } from './digest.js';
import { imageNotFound, type Images, type StoredImage } from './images.js';
import type { Registry } from './registry.js';
import type { RepositoryRecord } from './repositories.js';
import { isTag } from './names.js';

// ECR's views of a repository's images: ListImages, DescribeImages,
// BatchGetImage and BatchDeleteImage, over the one image store.

export interface ScanSummary {
  status?: ecr.ImageScanStatus;
  summary?: ecr.ImageScanFindingsSummary;
}

type ImageIdCheck = { ok: true; digest: string; tag?: string } | { ok: false; failure: ecr.ImageFailure };

/** Resolves one ImageIdentifier as ECR does, or says why it cannot. */
async function resolveId(images: Images, repo: RepositoryRecord, id: ecr.ImageIdentifier): Promise<ImageIdCheck> {
  const fail = (failureCode: ecr.ImageFailureCode, failureReason: string): ImageIdCheck => ({ ok: false, failure: { imageId: id, failureCode, failureReason } });
  if (id.imageDigest === undefined && id.imageTag === undefined) return fail('MissingDigestAndTag', 'Invalid request parameters: both tag and digest cannot be null');
  if (id.imageDigest !== undefined && !parseDigest(id.imageDigest)) return fail('InvalidImageDigest', 'Invalid request parameters: image digest should satisfy the regex \'[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+\'');
  if (id.imageTag !== undefined && !isTag(id.imageTag)) return fail('InvalidImageTag', 'Invalid request parameters: image tag should satisfy the regex \'[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}\'');
  const byTag = id.imageTag !== undefined ? await images.resolve(repo, id.imageTag) : undefined;
  if (id.imageTag !== undefined && byTag === undefined) return fail('ImageNotFound', 'Requested image not found');
  if (id.imageDigest !== undefined) {
    if (byTag !== undefined && byTag !== id.imageDigest) return fail('ImageTagDoesNotMatchDigest', 'Invalid request parameters: given tag does not map to the given digest');
    if ((await images.resolve(repo, id.imageDigest)) === undefined) return fail('ImageNotFound', 'Requested image not found');
    return { ok: true, digest: id.imageDigest, tag: id.imageTag };
  }
  return { ok: true, digest: byTag!, tag: id.imageTag };
}

function tagFilter(filter: { tagStatus?: string } | undefined): (image: StoredImage) => boolean {
  switch (filter?.tagStatus) {
    case 'TAGGED':
      return (i) => i.tags.length > 0;
    case 'UNTAGGED':
      return (i) => i.tags.length === 0;
    default:
      return () => true;
  }
}

export class ImageViews {
  readonly #registry: Registry;
  readonly #scans: (repo: RepositoryRecord, digest: string) => Promise<ScanSummary>;

  constructor(registry: Registry, scans: (repo: RepositoryRecord, digest: string) => Promise<ScanSummary>) {
    this.#registry = registry;
    this.#scans = scans;
  }

  async list(repo: RepositoryRecord, input: ecr.ListImagesRequest): Promise<ecr.ListImagesResponse> {
    const limit = pageSize(input.maxResults, 1000);
    const after = decodeToken(input.nextToken, ['number'] as const);
    const ids: ecr.ImageIdentifier[] = [];
    const keep = tagFilter(input.filter);
    for (const image of await this.#registry.images.all(repo)) {
      if (!keep(image)) continue;
      if (image.tags.length === 0) ids.push({ imageDigest: image.digest });
      for (const tag of image.tags) ids.push({ imageDigest: image.digest, imageTag: tag });
    }
    const start = after ? after[0] : 0;
    const page = ids.slice(start, start + limit);
    return { imageIds: page, nextToken: start + limit < ids.length ? encodeToken([start + limit]) : undefined };
  }

  async describe(scope: Scope, repo: RepositoryRecord, input: ecr.DescribeImagesRequest): Promise<ecr.DescribeImagesResponse> {
    let images: StoredImage[];
    if (input.imageIds?.length) {
      if (input.nextToken !== undefined || input.maxResults !== undefined) throw new AwsError('InvalidParameterException', 'maxResults and nextToken cannot be used together with imageIds.');
      images = [];
      for (const id of input.imageIds) {
        const check = await resolveId(this.#registry.images, repo, id);
        if (!check.ok) {
          if (check.failure.failureCode === 'ImageNotFound' || check.failure.failureCode === 'ImageTagDoesNotMatchDigest') throw imageNotFound(scope, repo.name, id);
          throw new AwsError('InvalidParameterException', check.failure.failureReason!);
        }
        const image = await this.#registry.images.image(repo, check.digest);
        if (image && !images.some((i) => i.digest === image.digest)) images.push(image);
      }
      return { imageDetails: await Promise.all(images.map((i) => this.#detail(scope, repo, i))) };
    }
    const limit = pageSize(input.maxResults, 1000);
    const after = decodeToken(input.nextToken, ['number'] as const);
    images = (await this.#registry.images.all(repo)).filter(tagFilter(input.filter));
    const start = after ? after[0] : 0;
    const page = images.slice(start, start + limit);
    return {
      imageDetails: await Promise.all(page.map((i) => this.#detail(scope, repo, i))),
      nextToken: start + limit < images.length ? encodeToken([start + limit]) : undefined,
    };
  }

  async #detail(scope: Scope, repo: RepositoryRecord, i: StoredImage): Promise<ecr.ImageDetail> {
    const scan = await this.#scans(repo, i.digest);
    return {
      registryId: scope.accountId,
      repositoryName: repo.name,
      imageDigest: i.digest,
      imageTags: i.tags.length ? i.tags : undefined,
      imageSizeInBytes: i.size,
      imagePushedAt: new Date(i.pushedAt),
      imageManifestMediaType: i.mediaType,
      artifactMediaType: i.artifactType,
      lastRecordedPullTime: i.lastPullAt === undefined ? undefined : new Date(i.lastPullAt),
      imageScanStatus: scan.status,
      imageScanFindingsSummary: scan.summary,
    };
  }

  async batchGet(scope: Scope, repo: RepositoryRecord, input: ecr.BatchGetImageRequest, now: number): Promise<ecr.BatchGetImageResponse> {
    const images: ecr.Image[] = [];
    const failures: ecr.ImageFailure[] = [];
    for (const id of input.imageIds ?? []) {
      const check = await resolveId(this.#registry.images, repo, id);
      if (!check.ok) {
        failures.push(check.failure);
        continue;
      }
      const stored = await this.#registry.images.manifest(repo, check.digest, { pull: now });
      if (!stored) {
        failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
        continue;
      }
      if (input.acceptedMediaTypes?.length && !input.acceptedMediaTypes.includes(stored.mediaType)) {
        failures.push({ imageId: id, failureCode: 'UnsupportedImageType' as ecr.ImageFailureCode, failureReason: `The image's media type ${stored.mediaType} is not among the accepted media types.` });
        continue;
      }
      images.push({
        registryId: scope.accountId,
        repositoryName: repo.name,
        imageId: { imageDigest: check.digest, imageTag: check.tag },
        imageManifest: stored.bytes.toString('utf8'),
        imageManifestMediaType: stored.mediaType,
      });
    }
    return { images, failures };
  }

  /**
   * ECR's BatchDeleteImage: a digest deletes the image and all its tags; a
   * tag alone removes that tag, and the image with its last tag.
   */
  async batchDelete(repo: RepositoryRecord, input: ecr.BatchDeleteImageRequest): Promise<ecr.BatchDeleteImageResponse> {
    const imageIds: ecr.ImageIdentifier[] = [];
    const failures: ecr.ImageFailure[] = [];
    const { images } = this.#registry;
    for (const id of input.imageIds ?? []) {
      const check = await resolveId(images, repo, id);
      if (!check.ok) {
        failures.push(check.failure);
        continue;
      }
      const image = await images.image(repo, check.digest);
      if (!image) {
        failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
        continue;
      }
      if (id.imageDigest === undefined && image.tags.length > 1) {
        await images.untag(repo, id.imageTag!);
        imageIds.push({ imageDigest: image.digest, imageTag: id.imageTag });
        continue;
      }
      const outcome = await images.delete(repo, image.digest);
      if (outcome.referencedBy) {
        failures.push({ imageId: id, failureCode: 'ImageReferencedByManifestList', failureReason: `Requested image referenced by manifest list: [${outcome.referencedBy.join(', ')}]` });
        continue;
      }
      if (image.tags.length === 0) imageIds.push({ imageDigest: image.digest });
      for (const tag of image.tags) imageIds.push({ imageDigest: image.digest, imageTag: tag });
    }
    return { imageIds, failures };
  }
}
