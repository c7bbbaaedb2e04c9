import type * as ecr from '@aws-sdk/client-ecr';
import { AwsError } from '../../gateway/errors.js';
import { listTags } from '../../control/tags.js';
import type { Tx } from '../../store/store.js';

// ECR's tags ({Key, Value}) in the shared tags table: setting a key again replaces its value.

export const MAX_ECR_TAGS = 50;

export async function addTagRows(tx: Tx, arn: string, tags: ecr.Tag[]): Promise<void> {
  const existing = await listTags(tx, arn);
  const keys = new Set(existing.map((t) => t.key));
  const added = tags.filter((t) => !keys.has(t.Key!)).length;
  if (existing.length + added > MAX_ECR_TAGS) {
    throw new AwsError('TooManyTagsException', `A repository can have at most ${MAX_ECR_TAGS} tags; this request would leave it with ${existing.length + added}.`);
  }
  let position = existing.length;
  for (const t of tags) {
    if (keys.has(t.Key!)) {
      await tx.updateTable('tags').set({ value: t.Value ?? '' }).where('resource_arn', '=', arn).where('key', '=', t.Key!).execute();
    } else {
      await tx.insertInto('tags').values({ resource_arn: arn, key: t.Key!, value: t.Value ?? '', position: position++ }).execute();
      keys.add(t.Key!);
    }
  }
}

export async function removeTagRows(tx: Tx, arn: string, keys: string[]): Promise<void> {
  if (keys.length) await tx.deleteFrom('tags').where('resource_arn', '=', arn).where('key', 'in', keys).execute();
}
