import type { Tag } from '@aws-sdk/client-ecs';
import { AwsError } from '../gateway/errors.js';
import type { Tx } from '../store/store.js';

// Tags of any resource, keyed by its ARN, in the order they were first set.

export const MAX_TAGS = 50;

export function checkTags(tags: Tag[] | undefined): void {
  if (!tags) return;
  const seen = new Set<string>();
  for (const t of tags) {
    const key = t.key ?? '';
    if (key.toLowerCase().startsWith('aws:')) {
      throw new AwsError('InvalidParameterException', `Tag key '${key}' is not valid: keys beginning with 'aws:' are reserved for AWS use.`);
    }
    if (seen.has(key)) throw new AwsError('InvalidParameterException', `Tag key '${key}' appears more than once; tag keys must be unique.`);
    seen.add(key);
  }
  if (tags.length > MAX_TAGS) throw new AwsError('InvalidParameterException', `A resource can have at most ${MAX_TAGS} tags; ${tags.length} were given.`);
}

export async function listTags(tx: Tx, arn: string): Promise<Tag[]> {
  const rows = await tx.selectFrom('tags').select(['key', 'value']).where('resource_arn', '=', arn).orderBy('position').execute();
  return rows.map((r) => ({ key: r.key, value: r.value }));
}

export async function addTags(tx: Tx, arn: string, tags: Tag[] | undefined): Promise<void> {
  if (!tags?.length) return;
  checkTags(tags);
  await insertTags(tx, arn, tags);
}

/** Tags that ECS itself sets (`aws:ecs:clusterName`, …), which callers may not. */
export async function addManagedTags(tx: Tx, arn: string, tags: Tag[]): Promise<void> {
  if (tags.length) await insertTags(tx, arn, tags);
}

const tooManyTags = (total: number) => new AwsError('InvalidParameterException', `A resource can have at most ${MAX_TAGS} tags; this request would give it ${total}.`);

/**
 * Sets tags on a resource: new keys are appended in order, existing keys get
 * the new value. `tooMany` is the service's error when the result would
 * exceed MAX_TAGS (ECS: InvalidParameterException, ECR: TooManyTagsException).
 */
export async function insertTags(tx: Tx, arn: string, tags: Tag[], tooMany: (total: number) => AwsError = tooManyTags): Promise<void> {
  const existing = await tx.selectFrom('tags').select(['key', 'position']).where('resource_arn', '=', arn).execute();
  const known = new Set(existing.map((r) => r.key));
  const added = tags.filter((t) => !known.has(t.key!)).length;
  if (existing.length + added > MAX_TAGS) throw tooMany(existing.length + added);
  let position = existing.reduce((m, r) => Math.max(m, r.position), 0);
  for (const t of tags) {
    await tx
      .insertInto('tags')
      .values({ resource_arn: arn, key: t.key!, value: t.value ?? '', position: ++position })
      .onConflict((oc) => oc.columns(['resource_arn', 'key']).doUpdateSet({ value: t.value ?? '' }))
      .execute();
  }
}

export async function removeTags(tx: Tx, arn: string, keys: string[]): Promise<void> {
  if (!keys.length) return;
  await tx.deleteFrom('tags').where('resource_arn', '=', arn).where('key', 'in', keys).execute();
}

export async function dropTags(tx: Tx, arn: string): Promise<void> {
  await tx.deleteFrom('tags').where('resource_arn', '=', arn).execute();
}
