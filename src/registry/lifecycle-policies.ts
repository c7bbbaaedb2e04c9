import type * as ecr from '@aws-sdk/client-ecr';
import type { Logger } from 'pino';
import type { Scope } from '../control/arns.js';
import { decodeToken, encodeToken, pageSize } from '../control/pagination.js';
import { AwsError } from '../gateway/errors.js';
import { LOG } from '../log.js';
import type { Store } from '../store/store.js';
import { evaluateLifecyclePolicy, type LifecycleResult } from './lifecycle/evaluate.js';
import { parseLifecyclePolicy } from './lifecycle/policy.js';
import type { Registry } from './registry.js';
import type { RepositoryRecord } from './repositories.js';

// Lifecycle policies with storage and a schedule: the policy text per
// repository, previews (computed in the background, as ECR's are, so the
// `lifecycle-policy-preview-complete` waiter has something to wait for) and
// the periodic pass that expires what the policies select.

interface PreviewBody {
  lifecyclePolicyText: string;
  results: LifecycleResult[];
  startedAt: number;
}

const notFound = (scope: Scope, name: string) =>
  new AwsError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${name}' in the registry with id '${scope.accountId}'`);

export class LifecyclePolicies {
  readonly #store: Store;
  readonly #registry: Registry;
  readonly #log: Logger;

  constructor(store: Store, registry: Registry, log: Logger) {
    this.#store = store;
    this.#registry = registry;
    this.#log = log;
  }

  async put(scope: Scope, name: string, text: string, now: number): Promise<ecr.PutLifecyclePolicyResponse> {
    parseLifecyclePolicy(text);
    const repo = await this.#registry.repositories.setLifecyclePolicy(scope, name, text, now);
    return { registryId: repo.accountId, repositoryName: repo.name, lifecyclePolicyText: text };
  }

  async get(scope: Scope, name: string): Promise<ecr.GetLifecyclePolicyResponse> {
    const repo = await this.#registry.repositories.get(scope, name);
    if (repo.lifecyclePolicyText === undefined) throw notFound(scope, name);
    return {
      registryId: repo.accountId,
      repositoryName: repo.name,
      lifecyclePolicyText: repo.lifecyclePolicyText,
      lastEvaluatedAt: repo.lifecycleEvaluatedAt === undefined ? undefined : new Date(repo.lifecycleEvaluatedAt),
    };
  }

  async delete(scope: Scope, name: string, now: number): Promise<ecr.DeleteLifecyclePolicyResponse> {
    const current = await this.get(scope, name);
    await this.#registry.repositories.setLifecyclePolicy(scope, name, undefined, now);
    return current;
  }

  async startPreview(scope: Scope, name: string, text: string | undefined, now: number): Promise<ecr.StartLifecyclePolicyPreviewResponse> {
    const repo = await this.#registry.repositories.get(scope, name);
    const policyText = text ?? repo.lifecyclePolicyText;
    if (policyText === undefined) throw notFound(scope, name);
    const policy = parseLifecyclePolicy(policyText);
    const inserted = await this.#store.transaction(async (tx) => {
      const row = await tx.selectFrom('ecr_lifecycle_previews').select('status').where('repository_arn', '=', repo.arn).executeTakeFirst();
      if (row?.status === 'IN_PROGRESS') return false;
      const body: PreviewBody = { lifecyclePolicyText: policyText, results: [], startedAt: now };
      await tx.deleteFrom('ecr_lifecycle_previews').where('repository_arn', '=', repo.arn).execute();
      await tx.insertInto('ecr_lifecycle_previews').values({ repository_arn: repo.arn, status: 'IN_PROGRESS', body: JSON.stringify(body) }).execute();
      return true;
    });
    if (!inserted) {
      throw new AwsError('LifecyclePolicyPreviewInProgressException', `A lifecycle policy preview is already in progress for the repository with name '${name}' in the registry with id '${scope.accountId}'`);
    }
    // In the background, as on ECR: callers poll GetLifecyclePolicyPreview (or its waiter).
    setImmediate(() => {
      void this.#evaluate(repo, policy, now)
        .then((results) => this.#finishPreview(repo, { lifecyclePolicyText: policyText, results, startedAt: now }, 'COMPLETE'))
        .catch(async (e: unknown) => {
          this.#log.warn({ err: e, [LOG.repository]: repo.name }, 'lifecycle policy preview failed');
          await this.#finishPreview(repo, { lifecyclePolicyText: policyText, results: [], startedAt: now }, 'FAILED');
        });
    });
    return { registryId: repo.accountId, repositoryName: repo.name, lifecyclePolicyText: policyText, status: 'IN_PROGRESS' };
  }

  async getPreview(scope: Scope, name: string, input: ecr.GetLifecyclePolicyPreviewRequest): Promise<ecr.GetLifecyclePolicyPreviewResponse> {
    const repo = await this.#registry.repositories.get(scope, name);
    const row = await this.#store.db.selectFrom('ecr_lifecycle_previews').selectAll().where('repository_arn', '=', repo.arn).executeTakeFirst();
    if (!row) {
      throw new AwsError('LifecyclePolicyPreviewNotFoundException', `There is no dry run for this repository with name '${name}' in the registry with id '${scope.accountId}'`);
    }
    const body = JSON.parse(row.body) as PreviewBody;
    let results = body.results;
    if (input.imageIds?.length) {
      results = results.filter((r) => input.imageIds!.some((id) => (id.imageDigest === undefined || id.imageDigest === r.digest) && (id.imageTag === undefined || r.tags.includes(id.imageTag))));
    }
    if (input.filter?.tagStatus === 'TAGGED') results = results.filter((r) => r.tags.length > 0);
    if (input.filter?.tagStatus === 'UNTAGGED') results = results.filter((r) => r.tags.length === 0);
    const limit = pageSize(input.maxResults, 100);
    const after = decodeToken(input.nextToken, ['number'] as const);
    const start = after ? after[0] : 0;
    const page = results.slice(start, start + limit);
    return {
      registryId: repo.accountId,
      repositoryName: repo.name,
      lifecyclePolicyText: body.lifecyclePolicyText,
      status: row.status as ecr.LifecyclePolicyPreviewStatus,
      previewResults: page.map((r) => ({
        imageTags: r.tags.length ? r.tags : undefined,
        imageDigest: r.digest,
        imagePushedAt: new Date(r.pushedAt),
        action: { type: 'EXPIRE' },
        appliedRulePriority: r.appliedRulePriority,
      })),
      summary: { expiringImageTotalCount: results.length },
      nextToken: start + limit < results.length ? encodeToken([start + limit]) : undefined,
    };
  }

  /** One pass of the schedule: every repository's policy applied; returns how many images expired. */
  async applyAll(now: number): Promise<number> {
    let expired = 0;
    for (const repo of await this.#registry.repositories.withLifecyclePolicies()) {
      try {
        const results = await this.#evaluate(repo, parseLifecyclePolicy(repo.lifecyclePolicyText!), now);
        for (const r of results) if ((await this.#registry.images.delete(repo, r.digest)).deleted) expired++;
        await this.#registry.repositories.update(repo, repo.name, (x) => ({ ...x, lifecycleEvaluatedAt: now }));
        if (results.length) this.#log.info({ [LOG.repository]: repo.name, expired: results.length }, 'lifecycle policy expired images');
      } catch (e) {
        this.#log.warn({ err: e, [LOG.repository]: repo.name }, 'could not apply the lifecycle policy');
      }
    }
    return expired;
  }

  async #evaluate(repo: RepositoryRecord, policy: ReturnType<typeof parseLifecyclePolicy>, now: number): Promise<LifecycleResult[]> {
    const images = await this.#registry.images.all(repo);
    return evaluateLifecyclePolicy(
      policy,
      images.map((i) => ({ digest: i.digest, tags: i.tags, pushedAt: i.pushedAt, lastPulledAt: i.lastPullAt })),
      now,
    );
  }

  async #finishPreview(repo: RepositoryRecord, body: PreviewBody, status: 'COMPLETE' | 'FAILED'): Promise<void> {
    await this.#store.db.updateTable('ecr_lifecycle_previews').set({ status, body: JSON.stringify(body) }).where('repository_arn', '=', repo.arn).execute();
  }
}
