import type * as ecr from '@aws-sdk/client-ecr';
import type { Logger } from 'pino';
import type { Scope } from '../control/arns.js';
import { decodeToken, encodeToken, pageSize } from '../control/pagination.js';
import { AwsError } from '../gateway/errors.js';
import { LOG } from '../log.js';
import type { Store } from '../store/store.js';
import type { ScanSummary } from './image-views.js';
import { imageNotFound } from './images.js';
import type { Registry } from './registry.js';
import type { RepositoryRecord } from './repositories.js';
import { scanImage, type AdvisorySource, type ImageScanFindings } from './scan/index.js';

// ECR basic scanning: StartImageScan and scan on push queue a scan; one
// worker scans images one at a time in the background (reading layers from
// the blob store); DescribeImageScanFindings and DescribeImages read the
// stored result. A scan's row goes IN_PROGRESS → COMPLETE | FAILED.

interface ScanBody {
  description?: string;
  findings?: ImageScanFindings;
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

export class Scans {
  readonly #store: Store;
  readonly #registry: Registry;
  readonly #db: AdvisorySource;
  readonly #log: Logger;
  readonly #queue: Array<{ repo: RepositoryRecord; digest: string }> = [];
  #working?: Promise<void>;

  constructor(store: Store, registry: Registry, db: AdvisorySource, log: Logger) {
    this.#store = store;
    this.#registry = registry;
    this.#db = db;
    this.#log = log;
  }

  /** Queues a scan of an image (StartImageScan, scan on push). */
  async start(repo: RepositoryRecord, digest: string, now: number): Promise<ecr.ImageScanStatus> {
    const image = await this.#registry.images.image(repo, digest);
    if (!image) throw imageNotFound(repo, repo.name, { imageDigest: digest });
    if (INDEX_TYPES.has(image.mediaType) || image.artifactType !== undefined) {
      throw new AwsError('UnsupportedImageTypeException', 'The image type is not supported: basic scanning scans container images, not image indexes or artifacts.');
    }
    const status: ecr.ImageScanStatus = { status: 'IN_PROGRESS', description: 'The scan is in progress.' };
    await this.#save(repo, digest, 'IN_PROGRESS', { description: status.description }, now);
    this.#queue.push({ repo, digest });
    this.#working ??= this.#work().finally(() => (this.#working = undefined));
    return status;
  }

  /** The state of the latest scan, for DescribeImages. */
  async summary(repo: RepositoryRecord, digest: string): Promise<ScanSummary> {
    const row = await this.#row(repo, digest);
    if (!row) return {};
    const body = JSON.parse(row.body) as ScanBody;
    const status = { status: row.status as ecr.ScanStatus, description: body.description };
    if (!body.findings) return { status };
    return {
      status,
      summary: {
        imageScanCompletedAt: new Date(body.findings.imageScanCompletedAt),
        vulnerabilitySourceUpdatedAt: body.findings.vulnerabilitySourceUpdatedAt ? new Date(body.findings.vulnerabilitySourceUpdatedAt) : undefined,
        findingSeverityCounts: body.findings.findingSeverityCounts,
      },
    };
  }

  async findings(scope: Scope, repo: RepositoryRecord, digest: string, tag: string | undefined, input: ecr.DescribeImageScanFindingsRequest): Promise<ecr.DescribeImageScanFindingsResponse> {
    const row = await this.#row(repo, digest);
    if (!row) {
      throw new AwsError(
        'ScanNotFoundException',
        `Image scan does not exist for the image with '{imageDigest:'${digest}', imageTag:'${tag ?? 'null'}'}' in the repository with name '${repo.name}' in the registry with id '${scope.accountId}'`,
      );
    }
    const body = JSON.parse(row.body) as ScanBody;
    const out: ecr.DescribeImageScanFindingsResponse = {
      registryId: scope.accountId,
      repositoryName: repo.name,
      imageId: { imageDigest: digest, imageTag: tag },
      imageScanStatus: { status: row.status as ecr.ScanStatus, description: body.description },
    };
    if (!body.findings) return out;
    const limit = pageSize(input.maxResults, 1000);
    const after = decodeToken(input.nextToken, ['number'] as const);
    const start = after ? after[0] : 0;
    const all = body.findings.findings;
    out.imageScanFindings = {
      imageScanCompletedAt: new Date(body.findings.imageScanCompletedAt),
      vulnerabilitySourceUpdatedAt: body.findings.vulnerabilitySourceUpdatedAt ? new Date(body.findings.vulnerabilitySourceUpdatedAt) : undefined,
      findingSeverityCounts: body.findings.findingSeverityCounts,
      findings: all.slice(start, start + limit),
    };
    out.nextToken = start + limit < all.length ? encodeToken([start + limit]) : undefined;
    return out;
  }

  /** Resolves once the queue is empty (tests). */
  async idle(): Promise<void> {
    while (this.#working) await this.#working;
  }

  async #work(): Promise<void> {
    for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
      const { repo, digest } = next;
      try {
        const stored = await this.#registry.images.manifest(repo, digest);
        if (!stored) continue;
        const manifest = JSON.parse(stored.bytes.toString('utf8')) as { layers?: Array<{ digest: string }> };
        const layers = (manifest.layers ?? []).map((l) => () => this.#registry.blobs.reader(l.digest));
        const result = await scanImage(layers, this.#db, Date.now());
        await this.#save(repo, digest, 'COMPLETE', { description: result.imageScanStatus.description, findings: result.imageScanFindings }, Date.now());
      } catch (e) {
        this.#log.warn({ err: e, [LOG.repository]: repo.name, [LOG.digest]: digest }, 'image scan failed');
        await this.#save(repo, digest, 'FAILED', { description: `The scan failed: ${(e as Error).message}` }, Date.now()).catch(() => undefined);
      }
    }
  }

  #row(repo: RepositoryRecord, digest: string) {
    return this.#store.db.selectFrom('ecr_scans').selectAll().where('repository_arn', '=', repo.arn).where('digest', '=', digest).executeTakeFirst();
  }

  async #save(repo: RepositoryRecord, digest: string, status: string, body: ScanBody, now: number): Promise<void> {
    await this.#store.transaction(async (tx) => {
      // The image may have been deleted meanwhile: then there is nothing to record.
      const image = await tx.selectFrom('ecr_images').select('digest').where('repository_arn', '=', repo.arn).where('digest', '=', digest).executeTakeFirst();
      if (!image) return;
      await tx.deleteFrom('ecr_scans').where('repository_arn', '=', repo.arn).where('digest', '=', digest).execute();
      await tx.insertInto('ecr_scans').values({ repository_arn: repo.arn, digest, status, updated_at: now, body: JSON.stringify(body) }).execute();
    });
  }
}
