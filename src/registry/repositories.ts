import type * as ecr from '@aws-sdk/client-ecr';
import type { Scope } from '../control/arns.js';
import { decodeToken, encodeToken, pageSize } from '../control/pagination.js';
import { insertTags, listTags, MAX_TAGS } from '../control/tags.js';
import { AwsError } from '../gateway/errors.js';
import type { EcrRepositoryRow } from '../store/schema.js';
import type { Store, Tx } from '../store/store.js';
import type { RepositoryKey } from './blob-store.js';
import { isRepositoryName, wildcardMatches } from './names.js';
import { checkPolicy } from './policy.js';

// ECR repositories: their records and settings (tag mutability, scanning,
// encryption, policies). Images live in images.ts; bytes in the blob store.

export interface RepositoryRecord {
  arn: string;
  accountId: string;
  region: string;
  name: string;
  createdAt: number;
  version: number;
  imageTagMutability: ecr.ImageTagMutability;
  exclusionFilters?: ecr.ImageTagMutabilityExclusionFilter[];
  scanOnPush: boolean;
  encryption: ecr.EncryptionConfiguration;
  policyText?: string;
  lifecyclePolicyText?: string;
  lifecyclePolicyUpdatedAt?: number;
  lifecycleEvaluatedAt?: number;
}

type Body = Omit<RepositoryRecord, 'arn' | 'accountId' | 'region' | 'name' | 'createdAt' | 'version'>;

export const repositoryArn = (s: Scope, name: string) => `arn:aws:ecr:${s.region}:${s.accountId}:repository/${name}`;

export const keyOf = (r: RepositoryRecord): RepositoryKey => ({ accountId: r.accountId, region: r.region, name: r.name });

export function notFound(scope: Scope, name: string): AwsError {
  return new AwsError('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${scope.accountId}'`);
}

/** Whether ECR refuses to move `tag` in this repository. */
export function tagIsImmutable(repo: RepositoryRecord, tag: string): boolean {
  const excluded = (repo.exclusionFilters ?? []).some((f) => wildcardMatches(f.filter ?? '', tag));
  switch (repo.imageTagMutability) {
    case 'IMMUTABLE':
      return true;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !excluded;
    case 'MUTABLE_WITH_EXCLUSION':
      return excluded;
    default:
      return false;
  }
}

export function checkRegistryId(scope: Scope, registryId: string | undefined): void {
  if (registryId !== undefined && registryId !== scope.accountId) {
    throw new AwsError('AccessDeniedException', `berth serves only the caller's own registry (${scope.accountId}); registry '${registryId}' belongs to another account.`);
  }
}

function checkMutability(mutability: string | undefined, filters: ecr.ImageTagMutabilityExclusionFilter[] | undefined): void {
  const withExclusion = mutability === 'IMMUTABLE_WITH_EXCLUSION' || mutability === 'MUTABLE_WITH_EXCLUSION';
  if (withExclusion && !filters?.length) {
    throw new AwsError('InvalidParameterException', `imageTagMutabilityExclusionFilters must be provided when imageTagMutability is ${mutability}.`);
  }
  if (!withExclusion && filters?.length) {
    throw new AwsError('InvalidParameterException', 'imageTagMutabilityExclusionFilters can only be used with imageTagMutability IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION.');
  }
  for (const f of filters ?? []) {
    if (!/^[0-9a-zA-Z._*-]{1,128}$/.test(f.filter ?? '')) {
      throw new AwsError('InvalidParameterException', `imageTagMutabilityExclusionFilters filter '${f.filter}' is not valid: use letters, digits, '.', '_', '-' and '*' wildcards.`);
    }
  }
}

/** ECR's tags ({Key, Value}) set in the shared tags table, with ECR's error past the limit. */
export function setEcrTags(tx: Tx, arn: string, tags: ecr.Tag[] | undefined): Promise<void> {
  const rows = (tags ?? []).map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' }));
  return insertTags(tx, arn, rows, (total) => new AwsError('TooManyTagsException', `A repository can have at most ${MAX_TAGS} tags; this request would leave it with ${total}.`));
}

export function checkEcrTags(tags: ecr.Tag[] | undefined): void {
  const seen = new Set<string>();
  for (const t of tags ?? []) {
    const key = t.Key ?? '';
    if (key.length < 1 || key.length > 128) throw new AwsError('InvalidTagParameterException', `Tag key '${key}' must be 1 to 128 characters long.`);
    if ((t.Value ?? '').length > 256) throw new AwsError('InvalidTagParameterException', `The value of tag '${key}' must be at most 256 characters long.`);
    if (key.toLowerCase().startsWith('aws:')) throw new AwsError('InvalidTagParameterException', `Tag key '${key}' is not valid: keys beginning with 'aws:' are reserved for AWS use.`);
    if (seen.has(key)) throw new AwsError('InvalidTagParameterException', `Tag key '${key}' appears more than once; tag keys must be unique.`);
    seen.add(key);
  }
}

export class Repositories {
  readonly #store: Store;
  readonly #registryHost: () => string;

  /** `registryHost`: where clients reach the /v2/ API (known once the gateway listens). */
  constructor(store: Store, registryHost: () => string) {
    this.#store = store;
    this.#registryHost = registryHost;
  }

  get registryHost(): string {
    return this.#registryHost();
  }

  view(r: RepositoryRecord): ecr.Repository {
    return {
      repositoryArn: r.arn,
      registryId: r.accountId,
      repositoryName: r.name,
      repositoryUri: `${this.registryHost}/${r.name}`,
      createdAt: new Date(r.createdAt),
      imageTagMutability: r.imageTagMutability,
      ...(r.exclusionFilters?.length ? { imageTagMutabilityExclusionFilters: r.exclusionFilters } : {}),
      imageScanningConfiguration: { scanOnPush: r.scanOnPush },
      encryptionConfiguration: r.encryption,
    };
  }

  async create(scope: Scope, input: ecr.CreateRepositoryRequest, now: number): Promise<RepositoryRecord> {
    checkRegistryId(scope, input.registryId);
    const name = input.repositoryName ?? '';
    if (!isRepositoryName(name)) {
      throw new AwsError(
        'InvalidParameterException',
        `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*' and be 2 to 256 characters long'`,
      );
    }
    checkMutability(input.imageTagMutability, input.imageTagMutabilityExclusionFilters);
    checkEcrTags(input.tags);
    const encryption = input.encryptionConfiguration ?? { encryptionType: 'AES256' };
    if (encryption.encryptionType === 'AES256' && encryption.kmsKey !== undefined) {
      throw new AwsError('InvalidParameterException', "encryptionConfiguration.kmsKey can only be given with encryptionType 'KMS' or 'KMS_DSSE'.");
    }
    const record: RepositoryRecord = {
      arn: repositoryArn(scope, name),
      accountId: scope.accountId,
      region: scope.region,
      name,
      createdAt: now,
      version: 1,
      imageTagMutability: input.imageTagMutability ?? 'MUTABLE',
      exclusionFilters: input.imageTagMutabilityExclusionFilters,
      scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false,
      encryption,
    };
    return this.#store.transaction(async (tx) => {
      const existing = await tx.selectFrom('ecr_repositories').select('arn').where('arn', '=', record.arn).executeTakeFirst();
      if (existing) {
        throw new AwsError('RepositoryAlreadyExistsException', `The repository with name '${name}' already exists in the registry with id '${scope.accountId}'`);
      }
      await tx
        .insertInto('ecr_repositories')
        .values({ arn: record.arn, account_id: scope.accountId, region: scope.region, name, created_at: now, version: 1, body: JSON.stringify(bodyOf(record)) })
        .execute();
      await setEcrTags(tx, record.arn, input.tags);
      return record;
    });
  }

  /** The repository, or RepositoryNotFoundException. */
  async get(scope: Scope, name: string, tx: Tx = this.#store.db): Promise<RepositoryRecord> {
    const row = await tx.selectFrom('ecr_repositories').selectAll().where('arn', '=', repositoryArn(scope, name)).executeTakeFirst();
    if (!row) throw notFound(scope, name);
    return recordOf(row);
  }

  async find(scope: Scope, name: string): Promise<RepositoryRecord | undefined> {
    try {
      return await this.get(scope, name);
    } catch (e) {
      if (e instanceof AwsError && e.code === 'RepositoryNotFoundException') return undefined;
      throw e;
    }
  }

  async describe(scope: Scope, input: ecr.DescribeRepositoriesRequest): Promise<ecr.DescribeRepositoriesResponse> {
    checkRegistryId(scope, input.registryId);
    if (input.repositoryNames?.length) {
      if (input.nextToken !== undefined || input.maxResults !== undefined) {
        throw new AwsError('InvalidParameterException', 'maxResults and nextToken cannot be used together with repositoryNames.');
      }
      const out: ecr.Repository[] = [];
      for (const name of input.repositoryNames) out.push(this.view(await this.get(scope, name)));
      return { repositories: out };
    }
    const limit = pageSize(input.maxResults, 1000);
    const after = decodeToken(input.nextToken, ['string'] as const);
    let q = this.#store.db.selectFrom('ecr_repositories').selectAll().where('account_id', '=', scope.accountId).where('region', '=', scope.region);
    if (after) q = q.where('name', '>', after[0]);
    const rows = await q.orderBy('name').limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    return { repositories: page.map((r) => this.view(recordOf(r))), nextToken: rows.length > limit ? encodeToken([page.at(-1)!.name]) : undefined };
  }

  /** Names of the scope's repositories after `last`, for the /v2/_catalog listing. */
  async names(scope: Scope, limit: number, last?: string): Promise<string[]> {
    let q = this.#store.db.selectFrom('ecr_repositories').select('name').where('account_id', '=', scope.accountId).where('region', '=', scope.region);
    if (last !== undefined) q = q.where('name', '>', last);
    return (await q.orderBy('name').limit(limit).execute()).map((r) => r.name);
  }

  /** Deletes the record and everything the store holds about its images; the caller removes blob links. */
  async delete(scope: Scope, name: string, force: boolean): Promise<RepositoryRecord> {
    return this.#store.transaction(async (tx) => {
      const repo = await this.get(scope, name, tx);
      const images = await tx.selectFrom('ecr_images').select('digest').where('repository_arn', '=', repo.arn).limit(1).execute();
      if (images.length && !force) {
        throw new AwsError(
          'RepositoryNotEmptyException',
          `The repository with name '${name}' in registry with id '${scope.accountId}' cannot be deleted because it still contains images`,
        );
      }
      for (const table of ['ecr_images', 'ecr_tags', 'ecr_scans', 'ecr_lifecycle_previews'] as const) {
        await tx.deleteFrom(table).where('repository_arn', '=', repo.arn).execute();
      }
      await tx.deleteFrom('tags').where('resource_arn', '=', repo.arn).execute();
      await tx.deleteFrom('ecr_repositories').where('arn', '=', repo.arn).execute();
      return repo;
    });
  }

  /** Read-modify-write of one repository's settings. */
  async update(scope: Scope, name: string, change: (r: RepositoryRecord) => RepositoryRecord): Promise<RepositoryRecord> {
    return this.#store.transaction(async (tx) => {
      const next = change(await this.get(scope, name, tx));
      await tx.updateTable('ecr_repositories').set({ body: JSON.stringify(bodyOf(next)), version: next.version + 1 }).where('arn', '=', next.arn).execute();
      return { ...next, version: next.version + 1 };
    });
  }

  setMutability(scope: Scope, name: string, mutability: ecr.ImageTagMutability, filters?: ecr.ImageTagMutabilityExclusionFilter[]): Promise<RepositoryRecord> {
    checkMutability(mutability, filters);
    return this.update(scope, name, (r) => ({ ...r, imageTagMutability: mutability, exclusionFilters: filters?.length ? filters : undefined }));
  }

  setScanOnPush(scope: Scope, name: string, scanOnPush: boolean): Promise<RepositoryRecord> {
    return this.update(scope, name, (r) => ({ ...r, scanOnPush }));
  }

  setPolicy(scope: Scope, name: string, policyText: string): Promise<RepositoryRecord> {
    checkPolicy(policyText, 'policyText');
    return this.update(scope, name, (r) => ({ ...r, policyText }));
  }

  async deletePolicy(scope: Scope, name: string): Promise<string> {
    const repo = await this.get(scope, name);
    if (repo.policyText === undefined) throw policyNotFound(scope, name);
    await this.update(scope, name, (r) => ({ ...r, policyText: undefined }));
    return repo.policyText;
  }

  setLifecyclePolicy(scope: Scope, name: string, text: string | undefined, now: number): Promise<RepositoryRecord> {
    return this.update(scope, name, (r) => ({ ...r, lifecyclePolicyText: text, lifecyclePolicyUpdatedAt: text === undefined ? undefined : now }));
  }

  /** Repositories with a lifecycle policy, across every scope (the lifecycle schedule walks these). */
  async withLifecyclePolicies(): Promise<RepositoryRecord[]> {
    return (await this.all()).filter((r) => r.lifecyclePolicyText !== undefined);
  }

  /** Every repository, for garbage collection's mark phase. */
  async all(): Promise<RepositoryRecord[]> {
    return (await this.#store.db.selectFrom('ecr_repositories').selectAll().execute()).map(recordOf);
  }

  async tags(arn: string): Promise<ecr.Tag[]> {
    return (await listTags(this.#store.db, arn)).map((t) => ({ Key: t.key, Value: t.value }));
  }

  // The registry's own settings: its policy and scanning configuration.

  async registrySettings(scope: Scope): Promise<RegistrySettings> {
    const row = await this.#store.db.selectFrom('ecr_registries').select('body').where('account_id', '=', scope.accountId).where('region', '=', scope.region).executeTakeFirst();
    return row ? (JSON.parse(row.body) as RegistrySettings) : {};
  }

  async updateRegistrySettings(scope: Scope, change: (s: RegistrySettings) => RegistrySettings): Promise<RegistrySettings> {
    return this.#store.transaction(async (tx) => {
      const row = await tx.selectFrom('ecr_registries').select('body').where('account_id', '=', scope.accountId).where('region', '=', scope.region).executeTakeFirst();
      const next = change(row ? (JSON.parse(row.body) as RegistrySettings) : {});
      const body = JSON.stringify(next);
      if (row) await tx.updateTable('ecr_registries').set({ body }).where('account_id', '=', scope.accountId).where('region', '=', scope.region).execute();
      else await tx.insertInto('ecr_registries').values({ account_id: scope.accountId, region: scope.region, body }).execute();
      return next;
    });
  }
}

export interface RegistrySettings {
  policyText?: string;
  scanning?: ecr.RegistryScanningConfiguration;
}

export function policyNotFound(scope: Scope, name: string): AwsError {
  return new AwsError('RepositoryPolicyNotFoundException', `Repository policy does not exist for the repository with name '${name}' in the registry with id '${scope.accountId}'`);
}

function recordOf(row: EcrRepositoryRow): RepositoryRecord {
  return { ...(JSON.parse(row.body) as Body), arn: row.arn, accountId: row.account_id, region: row.region, name: row.name, createdAt: row.created_at, version: row.version };
}

function bodyOf(r: RepositoryRecord): Body {
  const { arn: _a, accountId: _b, region: _c, name: _d, createdAt: _e, version: _f, ...body } = r;
  return body;
}
