import type * as ecr from '@aws-sdk/client-ecr';
import { Readable } from 'node:stream';
import type { Scope } from '../control/arns.js';
import { AwsError } from '../gateway/errors.js';
import { parseDigest } from './digest.js';
import type { Registry } from './registry.js';
import { keyOf, type RepositoryRecord } from './repositories.js';
import { UploadError, type UploadInfo } from './uploads.js';

// ECR's layer API (InitiateLayerUpload → UploadLayerPart… → CompleteLayerUpload,
// BatchCheckLayerAvailability) over the same staged uploads the /v2/ API uses.

/** ECR tells clients to send parts of this size; a part travels base64 in a JSON body under the 10 MiB request limit. */
export const PART_SIZE = 5 * 1024 * 1024;

export class LayerUploads {
  readonly #registry: Registry;

  constructor(registry: Registry) {
    this.#registry = registry;
  }

  async initiate(repo: RepositoryRecord, now: number): Promise<ecr.InitiateLayerUploadResponse> {
    const upload = await this.#registry.uploads.start(keyOf(repo), now);
    return { uploadId: upload.id, partSize: PART_SIZE };
  }

  async #upload(repo: RepositoryRecord, uploadId: string): Promise<UploadInfo> {
    const upload = await this.#registry.uploads.get(uploadId, keyOf(repo));
    if (!upload) {
      throw new AwsError('UploadNotFoundException', `The upload with id '${uploadId}' was not found in the repository with name '${repo.name}' in the registry with id '${repo.accountId}'.`);
    }
    return upload;
  }

  async part(scope: Scope, repo: RepositoryRecord, input: ecr.UploadLayerPartRequest): Promise<ecr.UploadLayerPartResponse> {
    const upload = await this.#upload(repo, input.uploadId!);
    const data = Buffer.from(input.layerPartBlob ?? new Uint8Array());
    const first = input.partFirstByte!;
    const last = input.partLastByte!;
    if (last < first || last - first + 1 !== data.length) {
      throw new AwsError('InvalidLayerPartException', `The layer part spans bytes ${first}-${last} (${last - first + 1} bytes) but ${data.length} bytes were sent.`, {
        extra: { registryId: scope.accountId, repositoryName: repo.name, uploadId: upload.id, lastValidByteReceived: upload.size - 1 },
      });
    }
    try {
      const size = await this.#registry.uploads.append(upload, Readable.from([data]), { start: first, length: data.length });
      return { registryId: scope.accountId, repositoryName: repo.name, uploadId: upload.id, lastByteReceived: size - 1 };
    } catch (e) {
      if (e instanceof UploadError) {
        throw new AwsError('InvalidLayerPartException', e.message, {
          extra: { registryId: scope.accountId, repositoryName: repo.name, uploadId: upload.id, lastValidByteReceived: e.size - 1 },
        });
      }
      throw e;
    }
  }

  async complete(scope: Scope, repo: RepositoryRecord, input: ecr.CompleteLayerUploadRequest, now: number): Promise<ecr.CompleteLayerUploadResponse> {
    const upload = await this.#upload(repo, input.uploadId!);
    const digests = input.layerDigests ?? [];
    if (digests.length !== 1 || !parseDigest(digests[0]!)) {
      throw new AwsError('InvalidParameterException', "layerDigests must name exactly one digest of the form 'sha256:<64 hex digits>'.");
    }
    const digest = digests[0]!;
    if (upload.size === 0) throw new AwsError('EmptyUploadException', `The upload with id '${upload.id}' has no layer parts; upload them with UploadLayerPart first.`);
    if ((await this.#registry.blobs.sizeIn(keyOf(repo), digest)) !== undefined) {
      await this.#registry.uploads.cancel(upload);
      throw new AwsError('LayerAlreadyExistsException', `The image layer '${digest}' already exists in the repository with name '${repo.name}' in the registry with id '${scope.accountId}'.`);
    }
    try {
      await this.#registry.uploads.commit(upload, digest, now);
    } catch (e) {
      if (e instanceof UploadError && e.kind === 'digest') throw new AwsError('InvalidLayerException', e.message);
      throw e;
    }
    return { registryId: scope.accountId, repositoryName: repo.name, uploadId: upload.id, layerDigest: digest };
  }

  async check(repo: RepositoryRecord, digests: string[]): Promise<ecr.BatchCheckLayerAvailabilityResponse> {
    const layers: ecr.Layer[] = [];
    const failures: ecr.LayerFailure[] = [];
    for (const digest of digests) {
      if (!parseDigest(digest)) {
        failures.push({ layerDigest: digest, failureCode: 'InvalidLayerDigest', failureReason: 'Invalid layer digest' });
        continue;
      }
      const size = await this.#registry.blobs.sizeIn(keyOf(repo), digest);
      if (size === undefined) failures.push({ layerDigest: digest, failureCode: 'MissingLayerDigest', failureReason: 'Missing layer digest' });
      else layers.push({ layerDigest: digest, layerAvailability: 'AVAILABLE', layerSize: size, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' });
    }
    return { layers, failures };
  }
}
