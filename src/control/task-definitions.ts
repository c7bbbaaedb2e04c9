import type {
  ContainerDefinition,
  Failure,
  RegisterTaskDefinitionCommandInput,
  Tag,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import { AwsError } from '../gateway/errors.js';
import type { Store, Tx } from '../store/store.js';
import { parseArn, rootPrincipalArn, taskDefinitionArn, type Scope } from './arns.js';
import { decodeToken, encodeToken, pageSize } from './pagination.js';
import { requiredAttributes } from './required-attributes.js';
import { checkTaskDefinition } from './task-definition-rules.js';
import { addTags, checkTags, listTags } from './tags.js';

// ECS task definitions: families of immutable revisions. A revision number is
// never reused, not even after DeleteTaskDefinitions: the family row keeps the
// last one handed out, inside the registering transaction.

const unableToDescribe = () => new AwsError('ClientException', 'Unable to describe task definition.');

export interface TaskDefinitionRef {
  family: string;
  revision?: number;
}

/** `family`, `family:revision` or a task definition ARN. */
export function parseTaskDefinitionRef(scope: Scope, ref: string): TaskDefinitionRef {
  let text = ref;
  if (ref.startsWith('arn:')) {
    const arn = parseArn(ref);
    if (!arn || arn.service !== 'ecs' || arn.resourceType !== 'task-definition' || arn.region !== scope.region || arn.accountId !== scope.accountId) {
      throw unableToDescribe();
    }
    text = arn.resource;
  }
  const m = /^([a-zA-Z0-9_-]{1,255})(?::(\d+))?$/.exec(text);
  if (!m) throw new AwsError('ClientException', `Invalid revision number. Number: ${text.split(':')[1] ?? ''}`.trim());
  const revision = m[2] === undefined ? undefined : Number(m[2]);
  if (revision !== undefined && revision < 1) throw new AwsError('ClientException', `Invalid revision number. Number: ${m[2]}`);
  return { family: m[1]!, revision };
}

/** Fills in the members ECS adds to every container definition it stores. */
function withEcsDefaults(c: ContainerDefinition, networkMode: string): ContainerDefinition {
  return {
    ...c,
    cpu: c.cpu ?? 0,
    portMappings: (c.portMappings ?? []).map((p) => ({
      ...p,
      ...(p.containerPort !== undefined && p.hostPort === undefined && (networkMode === 'awsvpc' || networkMode === 'host') ? { hostPort: p.containerPort } : {}),
      protocol: p.protocol ?? 'tcp',
    })),
    essential: c.essential ?? true,
    environment: c.environment ?? [],
    mountPoints: c.mountPoints ?? [],
    volumesFrom: c.volumesFrom ?? [],
    systemControls: c.systemControls ?? [],
  };
}

function compatibilities(td: RegisterTaskDefinitionCommandInput): ('EC2' | 'EXTERNAL' | 'FARGATE')[] {
  const out: ('EC2' | 'EXTERNAL' | 'FARGATE')[] = ['EC2'];
  if (td.networkMode === 'awsvpc' && td.cpu && td.memory) out.push('FARGATE');
  if (td.requiresCompatibilities?.includes('EXTERNAL')) out.push('EXTERNAL');
  return out;
}

export class TaskDefinitions {
  constructor(readonly store: Store) {}

  async register(scope: Scope, raw: RegisterTaskDefinitionCommandInput, now: number): Promise<{ taskDefinition: TaskDefinition; tags?: Tag[] }> {
    const input = checkTaskDefinition(raw);
    checkTags(input.tags);
    const networkMode = input.networkMode ?? 'bridge';
    const family = input.family!;
    return this.store.transaction(async (tx) => {
      const fam = await tx
        .selectFrom('task_definition_families')
        .select(['last_revision', 'active_count'])
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('family', '=', family)
        .executeTakeFirst();
      const revision = (fam?.last_revision ?? 0) + 1;
      if (fam) {
        await tx
          .updateTable('task_definition_families')
          .set({ last_revision: revision, active_count: fam.active_count + 1 })
          .where('account_id', '=', scope.accountId)
          .where('region', '=', scope.region)
          .where('family', '=', family)
          .execute();
      } else {
        await tx
          .insertInto('task_definition_families')
          .values({ account_id: scope.accountId, region: scope.region, family, last_revision: revision, active_count: 1 })
          .execute();
      }
      const arn = taskDefinitionArn(scope, family, revision);
      const td: TaskDefinition = {
        taskDefinitionArn: arn,
        containerDefinitions: input.containerDefinitions!.map((c) => withEcsDefaults(c, networkMode)),
        family,
        taskRoleArn: input.taskRoleArn,
        executionRoleArn: input.executionRoleArn,
        networkMode,
        revision,
        volumes: input.volumes ?? [],
        status: 'ACTIVE',
        requiresAttributes: requiredAttributes(input),
        placementConstraints: input.placementConstraints ?? [],
        compatibilities: compatibilities(input),
        runtimePlatform: input.runtimePlatform,
        requiresCompatibilities: input.requiresCompatibilities,
        cpu: input.cpu,
        memory: input.memory,
        inferenceAccelerators: input.inferenceAccelerators,
        pidMode: input.pidMode,
        ipcMode: input.ipcMode,
        proxyConfiguration: input.proxyConfiguration,
        registeredAt: new Date(now),
        registeredBy: rootPrincipalArn(scope.accountId),
        ephemeralStorage: input.ephemeralStorage,
        enableFaultInjection: input.enableFaultInjection,
      };
      await tx
        .insertInto('task_definitions')
        .values({ arn, account_id: scope.accountId, region: scope.region, family, revision, status: 'ACTIVE', registered_at: now, body: JSON.stringify(td) })
        .execute();
      await addTags(tx, arn, input.tags);
      return { taskDefinition: td, tags: input.tags?.length ? input.tags : undefined };
    });
  }

  async #find(tx: Tx, scope: Scope, ref: TaskDefinitionRef): Promise<TaskDefinition | undefined> {
    let q = tx
      .selectFrom('task_definitions')
      .select('body')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('family', '=', ref.family);
    q = ref.revision !== undefined ? q.where('revision', '=', ref.revision) : q.where('status', '=', 'ACTIVE').orderBy('revision', 'desc').limit(1);
    const row = await q.executeTakeFirst();
    return row && revive(row.body);
  }

  /** The revision a reference names: an exact revision, or the family's latest ACTIVE one. */
  async get(scope: Scope, ref: string, tx: Tx = this.store.db): Promise<TaskDefinition> {
    const td = await this.#find(tx, scope, parseTaskDefinitionRef(scope, ref));
    if (!td) throw unableToDescribe();
    return td;
  }

  async describe(scope: Scope, ref: string, include: string[] = []): Promise<{ taskDefinition: TaskDefinition; tags?: Tag[] }> {
    const td = await this.get(scope, ref);
    return { taskDefinition: td, tags: include.includes('TAGS') ? await listTags(this.store.db, td.taskDefinitionArn!) : undefined };
  }

  async list(
    scope: Scope,
    q: { familyPrefix?: string; status?: string; sort?: string; nextToken?: string; maxResults?: number },
  ): Promise<{ taskDefinitionArns: string[]; nextToken?: string }> {
    const limit = pageSize(q.maxResults, 100);
    const desc = q.sort === 'DESC';
    const after = decodeToken(q.nextToken, ['string', 'number']);
    let query = this.store.db
      .selectFrom('task_definitions')
      .select(['arn', 'family', 'revision'])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('status', '=', q.status ?? 'ACTIVE')
      .orderBy('family', desc ? 'desc' : 'asc')
      .orderBy('revision', desc ? 'desc' : 'asc')
      .limit(limit + 1);
    if (q.familyPrefix !== undefined) query = query.where('family', '=', q.familyPrefix);
    if (after) {
      const [family, revision] = after;
      query = query.where((eb) =>
        desc
          ? eb.or([eb('family', '<', family), eb.and([eb('family', '=', family), eb('revision', '<', revision)])])
          : eb.or([eb('family', '>', family), eb.and([eb('family', '=', family), eb('revision', '>', revision)])]),
      );
    }
    const rows = await query.execute();
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { taskDefinitionArns: page.map((r) => r.arn), nextToken: rows.length > limit && last ? encodeToken([last.family, last.revision]) : undefined };
  }

  async families(
    scope: Scope,
    q: { familyPrefix?: string; status?: string; nextToken?: string; maxResults?: number },
  ): Promise<{ families: string[]; nextToken?: string }> {
    const limit = pageSize(q.maxResults, 100);
    const after = decodeToken(q.nextToken, ['string'])?.[0];
    let query = this.store.db
      .selectFrom('task_definition_families')
      .select('family')
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .orderBy('family')
      .limit(limit + 1);
    const status = q.status ?? 'ACTIVE';
    if (status === 'ACTIVE') query = query.where('active_count', '>', 0);
    if (status === 'INACTIVE') query = query.where('active_count', '=', 0);
    if (q.familyPrefix) query = query.where('family', '>=', q.familyPrefix).where('family', '<', `${q.familyPrefix}\uffff`);
    if (after !== undefined) query = query.where('family', '>', after);
    const rows = await query.execute();
    const page = rows.slice(0, limit).map((r) => r.family);
    return { families: page, nextToken: rows.length > limit ? encodeToken([page.at(-1)!]) : undefined };
  }

  async deregister(scope: Scope, ref: string, now: number): Promise<TaskDefinition> {
    const parsed = parseTaskDefinitionRef(scope, ref);
    if (parsed.revision === undefined) throw new AwsError('ClientException', 'A revision must be specified: use family:revision or the full task definition ARN.');
    return this.store.transaction(async (tx) => {
      const td = await this.#find(tx, scope, parsed);
      if (!td || td.status === 'DELETE_IN_PROGRESS') throw new AwsError('ClientException', 'The specified task definition does not exist.');
      if (td.status === 'INACTIVE') return td;
      td.status = 'INACTIVE';
      td.deregisteredAt = new Date(now);
      await this.#save(tx, td);
      await tx
        .updateTable('task_definition_families')
        .set((eb) => ({ active_count: eb('active_count', '-', 1) }))
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('family', '=', td.family!)
        .execute();
      return td;
    });
  }

  async delete(scope: Scope, refs: string[]): Promise<{ taskDefinitions: TaskDefinition[]; failures: Failure[] }> {
    if (refs.length > 10) throw new AwsError('InvalidParameterException', 'taskDefinitions can have at most 10 items.');
    const taskDefinitions: TaskDefinition[] = [];
    const failures: Failure[] = [];
    await this.store.transaction(async (tx) => {
      for (const ref of refs) {
        let parsed: TaskDefinitionRef;
        try {
          parsed = parseTaskDefinitionRef(scope, ref);
        } catch {
          failures.push({ arn: ref, reason: 'TASK_DEFINITION_NOT_FOUND', detail: 'The specified task definition does not exist.' });
          continue;
        }
        if (parsed.revision === undefined) {
          failures.push({ arn: ref, reason: 'INVALID_ARGUMENT', detail: 'A revision must be specified: use family:revision or the full task definition ARN.' });
          continue;
        }
        const td = await this.#find(tx, scope, parsed);
        if (!td) {
          failures.push({ arn: taskDefinitionArn(scope, parsed.family, parsed.revision), reason: 'TASK_DEFINITION_NOT_FOUND', detail: 'The specified task definition does not exist.' });
        } else if (td.status === 'ACTIVE') {
          failures.push({ arn: td.taskDefinitionArn, reason: 'TASK_DEFINITION_NOT_INACTIVE', detail: 'The specified task definition is ACTIVE. Deregister it before deleting it.' });
        } else {
          td.status = 'DELETE_IN_PROGRESS';
          await this.#save(tx, td);
          taskDefinitions.push(td);
        }
      }
    });
    return { taskDefinitions, failures };
  }

  async exists(scope: Scope, arn: string): Promise<boolean> {
    const row = await this.store.db.selectFrom('task_definitions').select('status').where('arn', '=', arn).executeTakeFirst();
    return row !== undefined && row.status !== 'DELETE_IN_PROGRESS' && arn.includes(`:${scope.region}:${scope.accountId}:`);
  }

  async #save(tx: Tx, td: TaskDefinition) {
    await tx.updateTable('task_definitions').set({ status: td.status!, body: JSON.stringify(td) }).where('arn', '=', td.taskDefinitionArn!).execute();
  }
}

/** A revision by its ARN, whatever its status (tasks keep running on deregistered revisions). */
export async function readTaskDefinition(tx: Tx, arn: string): Promise<TaskDefinition | undefined> {
  const row = await tx.selectFrom('task_definitions').select('body').where('arn', '=', arn).executeTakeFirst();
  return row && revive(row.body);
}

function revive(body: string): TaskDefinition {
  const td = JSON.parse(body) as TaskDefinition;
  if (td.registeredAt) td.registeredAt = new Date(td.registeredAt as unknown as string);
  if (td.deregisteredAt) td.deregisteredAt = new Date(td.deregisteredAt as unknown as string);
  return td;
}
