import type { Tag, TagDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsError } from '../../gateway/errors.js';
import type { Store, Tx } from '../../store/store.js';
import type { Scope } from '../arns.js';
import { dropTags, insertTags, listTags, MAX_TAGS, removeTags } from '../tags.js';
import { inScope, listenerNotFound, loadBalancerNotFound, ruleNotFound, targetGroupNotFound } from './records.js';

// Tags of ELBv2 resources (load balancers, target groups, listeners, rules),
// kept in the shared tags table under the resource's ARN. ELBv2 spells a tag
// {Key, Value}; control/tags.ts keeps {key, value}.
//
// AWS's messages used here: "Duplicate Tag Keys found in the request. Tag
// keys should be unique." (DuplicateTagKeys), "Tag key 'aws:…' cannot start
// with 'aws:'", "Only one resource can be tagged at a time" (AddTags with
// several ARNs). The TooManyTags wording is berth's.

export const MAX_ELB_TAGS = MAX_TAGS;
/** DescribeTags: "You can specify up to 20 resources in a single call." */
export const MAX_DESCRIBE_TAG_RESOURCES = 20;

const validation = (message: string) => new AwsError('ValidationError', message);
const tooManyTags = (total: number) =>
  new AwsError('TooManyTags', `A resource can have at most ${MAX_ELB_TAGS} tags; this request would give it ${total}.`);

/** The checks every tagging request gets: keys present, unique, not in the `aws:` namespace, at most 50. */
export function checkElbTags(tags: readonly { Key?: string; Value?: string }[]): void {
  const seen = new Set<string>();
  for (const t of tags) {
    const key = t.Key;
    if (key === undefined || key === '') throw validation('A tag key must be specified');
    if (key.toLowerCase().startsWith('aws:')) throw validation(`Tag key '${key}' cannot start with 'aws:'`);
    if (seen.has(key)) throw new AwsError('DuplicateTagKeys', 'Duplicate Tag Keys found in the request. Tag keys should be unique.');
    seen.add(key);
  }
  if (tags.length > MAX_ELB_TAGS) throw tooManyTags(tags.length);
}

/** Tags a resource as it is created (CreateLoadBalancer, CreateTargetGroup, CreateListener, CreateRule). */
export async function tagElbResource(tx: Tx, arn: string, tags: { Key?: string; Value?: string }[] | undefined): Promise<void> {
  if (!tags?.length) return;
  checkElbTags(tags);
  await insertTags(tx, arn, tags.map((t) => ({ key: t.Key!, value: t.Value ?? '' })), tooManyTags);
}

/** Removes every tag of a resource that is being deleted. */
export async function dropElbTags(tx: Tx, arn: string): Promise<void> {
  await dropTags(tx, arn);
}

export async function listElbTags(tx: Tx, arn: string): Promise<Tag[]> {
  return (await listTags(tx, arn)).map((t) => ({ Key: t.key!, Value: t.value ?? '' }));
}

/** The kinds of ELBv2 resource that take tags, by the ARN's resource type. */
const RESOURCE_TABLES = {
  loadbalancer: { table: 'elb_load_balancers', notFound: (arn: string) => loadBalancerNotFound(`Load balancer '${arn}' not found`) },
  targetgroup: { table: 'elb_target_groups', notFound: (arn: string) => targetGroupNotFound(`Target groups '${arn}' not found`) },
  listener: { table: 'elb_listeners', notFound: (arn: string) => listenerNotFound(`Listener '${arn}' not found`) },
  'listener-rule': { table: 'elb_rules', notFound: (arn: string) => ruleNotFound(`Rule '${arn}' not found`) },
} as const;

/** Checks that `arn` names an ELBv2 resource of the caller's that exists; otherwise the matching *NotFound error. */
export async function requireTaggable(tx: Tx, scope: Scope, arn: string): Promise<void> {
  const m = /^arn:aws:elasticloadbalancing:[a-z0-9-]+:\d+:(loadbalancer|targetgroup|listener|listener-rule|truststore)\//.exec(arn);
  if (!m) throw validation(`'${arn}' is not a valid Elastic Load Balancing resource ARN`);
  const type = m[1]!;
  if (type === 'truststore') throw new AwsError('TrustStoreNotFound', `Trust store '${arn}' not found`);
  const kind = RESOURCE_TABLES[type as keyof typeof RESOURCE_TABLES];
  if (!inScope(scope, arn)) throw kind.notFound(arn);
  const row = await tx.selectFrom(kind.table).select('arn').where('arn', '=', arn).executeTakeFirst();
  if (!row) throw kind.notFound(arn);
}

/** AddTags, RemoveTags and DescribeTags over any ELBv2 resource. */
export class ElbTags {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async add(scope: Scope, resourceArns: string[], tags: Tag[]): Promise<void> {
    // ELBv2 tags one resource per call, though the member is a list.
    if (resourceArns.length !== 1) throw validation('Only one resource can be tagged at a time');
    checkElbTags(tags);
    await this.#store.transaction(async (tx) => {
      await requireTaggable(tx, scope, resourceArns[0]!);
      await insertTags(tx, resourceArns[0]!, tags.map((t) => ({ key: t.Key!, value: t.Value ?? '' })), tooManyTags);
    });
  }

  /** All or nothing: every resource must exist before any loses a tag. */
  async remove(scope: Scope, resourceArns: string[], keys: string[]): Promise<void> {
    if (resourceArns.length === 0) throw validation('A resource ARN must be specified');
    await this.#store.transaction(async (tx) => {
      for (const arn of resourceArns) await requireTaggable(tx, scope, arn);
      for (const arn of new Set(resourceArns)) await removeTags(tx, arn, keys);
    });
  }

  async describe(scope: Scope, resourceArns: string[]): Promise<TagDescription[]> {
    if (resourceArns.length > MAX_DESCRIBE_TAG_RESOURCES) {
      throw validation(
        `1 validation error detected: Value '[${resourceArns.join(', ')}]' at 'resourceArns' failed to satisfy constraint: Member must have length less than or equal to ${MAX_DESCRIBE_TAG_RESOURCES}`,
      );
    }
    const db = this.#store.db;
    const out: TagDescription[] = [];
    for (const arn of new Set(resourceArns)) {
      await requireTaggable(db, scope, arn);
      out.push({ ResourceArn: arn, Tags: await listElbTags(db, arn) });
    }
    return out;
  }
}
