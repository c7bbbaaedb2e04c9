import type { Setting, SettingName } from '@aws-sdk/client-ecs';
import { AwsError } from '../gateway/errors.js';
import type { Store, Tx } from '../store/store.js';
import { rootPrincipalArn, type Scope } from './arns.js';
import { decodeToken, encodeToken, pageSize } from './pagination.js';

// ECS account settings: a value per principal, an account default set with
// PutAccountSettingDefault, and AWS's own default beneath both. The
// effective setting of a principal is the first of the three that exists.

interface SettingRule {
  values: string[];
  awsDefault: string;
}

const RULES: Record<string, SettingRule> = {
  serviceLongArnFormat: { values: ['enabled', 'disabled'], awsDefault: 'enabled' },
  taskLongArnFormat: { values: ['enabled', 'disabled'], awsDefault: 'enabled' },
  containerInstanceLongArnFormat: { values: ['enabled', 'disabled'], awsDefault: 'enabled' },
  awsvpcTrunking: { values: ['enabled', 'disabled'], awsDefault: 'disabled' },
  containerInsights: { values: ['enabled', 'disabled', 'enhanced'], awsDefault: 'disabled' },
  fargateFIPSMode: { values: ['enabled', 'disabled'], awsDefault: 'disabled' },
  tagResourceAuthorization: { values: ['on', 'off'], awsDefault: 'on' },
  fargateTaskRetirementWaitPeriod: { values: ['0', '7', '14'], awsDefault: '7' },
  guardDutyActivate: { values: ['on', 'off'], awsDefault: 'off' },
  defaultLogDriverMode: { values: ['blocking', 'non-blocking'], awsDefault: 'non-blocking' },
  fargateEventWindows: { values: ['enabled', 'disabled'], awsDefault: 'disabled' },
};

const ACCOUNT_DEFAULT = '';

function rule(name: string): SettingRule {
  const r = RULES[name];
  if (!r) throw new AwsError('InvalidParameterException', `Invalid setting name: ${name}. Valid names are ${Object.keys(RULES).join(', ')}.`);
  return r;
}

function checkValue(name: string, value: string) {
  const r = rule(name);
  if (!r.values.includes(value)) {
    throw new AwsError('InvalidParameterException', `Invalid value '${value}' for setting ${name}. Valid values are ${r.values.join(', ')}.`);
  }
  if (name === 'guardDutyActivate') {
    throw new AwsError('InvalidParameterException', 'guardDutyActivate is managed by Amazon GuardDuty and cannot be set with PutAccountSetting.');
  }
}

export class AccountSettings {
  constructor(readonly store: Store) {}

  #principal(scope: Scope, principalArn: string | undefined): string {
    if (!principalArn) return rootPrincipalArn(scope.accountId);
    if (!/^arn:aws[a-z-]*:iam::\d{12}:(root|user\/.+|role\/.+)$/.test(principalArn)) {
      throw new AwsError('InvalidParameterException', `principalArn '${principalArn}' is not a valid IAM user, role or root ARN.`);
    }
    return principalArn;
  }

  async put(scope: Scope, name: string, value: string, principalArn: string | undefined): Promise<Setting> {
    checkValue(name, value);
    const principal = this.#principal(scope, principalArn);
    await this.store.transaction((tx) => upsert(tx, scope, principal, name, value));
    return { name: name as SettingName, value, principalArn: principal, type: 'user' };
  }

  async putDefault(scope: Scope, name: string, value: string): Promise<Setting> {
    checkValue(name, value);
    await this.store.transaction((tx) => upsert(tx, scope, ACCOUNT_DEFAULT, name, value));
    return { name: name as SettingName, value, principalArn: rootPrincipalArn(scope.accountId), type: 'user' };
  }

  async delete(scope: Scope, name: string, principalArn: string | undefined): Promise<Setting> {
    rule(name);
    const principal = this.#principal(scope, principalArn);
    const row = await this.store.transaction(async (tx) => {
      const found = await tx
        .selectFrom('account_settings')
        .select('value')
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('principal_arn', '=', principal)
        .where('name', '=', name)
        .executeTakeFirst();
      await tx
        .deleteFrom('account_settings')
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('principal_arn', '=', principal)
        .where('name', '=', name)
        .execute();
      return found;
    });
    return { name: name as SettingName, value: row?.value ?? (await this.effective(scope, name, principal)), principalArn: principal, type: 'user' };
  }

  /** The value in force for a principal (the root when none is named). */
  async effective(scope: Scope, name: string, principalArn?: string): Promise<string> {
    const principal = principalArn ?? rootPrincipalArn(scope.accountId);
    const rows = await this.store.db
      .selectFrom('account_settings')
      .select(['principal_arn', 'value'])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('name', '=', name)
      .where('principal_arn', 'in', [principal, ACCOUNT_DEFAULT])
      .execute();
    return rows.find((r) => r.principal_arn === principal)?.value ?? rows.find((r) => r.principal_arn === ACCOUNT_DEFAULT)?.value ?? rule(name).awsDefault;
  }

  async list(
    scope: Scope,
    q: { name?: string; value?: string; principalArn?: string; effectiveSettings?: boolean; nextToken?: string; maxResults?: number },
  ): Promise<{ settings: Setting[]; nextToken?: string }> {
    if (q.name) rule(q.name);
    if (q.value !== undefined && !q.name) throw new AwsError('InvalidParameterException', 'value can only be used together with name.');
    const principal = this.#principal(scope, q.principalArn);
    const limit = pageSize(q.maxResults, 10);
    const after = decodeToken(q.nextToken, ['string'])?.[0];
    const rows = await this.store.db
      .selectFrom('account_settings')
      .select(['principal_arn', 'name', 'value'])
      .where('account_id', '=', scope.accountId)
      .where('region', '=', scope.region)
      .where('principal_arn', 'in', [principal, ACCOUNT_DEFAULT])
      .execute();
    let settings: Setting[];
    if (q.effectiveSettings) {
      settings = Object.entries(RULES).map(([name, r]) => {
        const own = rows.find((x) => x.name === name && x.principal_arn === principal);
        const dflt = rows.find((x) => x.name === name && x.principal_arn === ACCOUNT_DEFAULT);
        const type = own || dflt ? 'user' : 'aws_managed';
        return { name: name as SettingName, value: own?.value ?? dflt?.value ?? r.awsDefault, principalArn: principal, type };
      });
    } else {
      settings = rows
        .filter((r) => r.principal_arn === principal)
        .map((r) => ({ name: r.name as SettingName, value: r.value, principalArn: principal, type: 'user' as const }));
    }
    settings = settings
      .filter((s) => (!q.name || s.name === q.name) && (q.value === undefined || s.value === q.value))
      .sort((a, b) => (a.name! < b.name! ? -1 : 1))
      .filter((s) => after === undefined || s.name! > after);
    const page = settings.slice(0, limit);
    return { settings: page, nextToken: settings.length > limit ? encodeToken([page.at(-1)!.name!]) : undefined };
  }
}

async function upsert(tx: Tx, scope: Scope, principal: string, name: string, value: string) {
  await tx
    .insertInto('account_settings')
    .values({ account_id: scope.accountId, region: scope.region, principal_arn: principal, name, value })
    .onConflict((oc) => oc.columns(['account_id', 'region', 'principal_arn', 'name']).doUpdateSet({ value }))
    .execute();
}
