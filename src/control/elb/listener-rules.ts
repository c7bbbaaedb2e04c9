import type { CreateRuleInput, DescribeRulesInput, ModifyRuleInput, Rule, RulePriorityPair } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsError } from '../../gateway/errors.js';
import type { Store, Tx } from '../../store/store.js';
import type { Scope } from '../arns.js';
import { checkElbTags, dropElbTags, tagElbResource } from './elb-tags.js';
import { checkForwardTargets, normalizeActions } from './listeners.js';
import { pageAfter } from './load-balancers.js';
import {
  inScope,
  listenerNotFound,
  newElbId,
  readListener,
  readLoadBalancer,
  readRule,
  ruleArn,
  ruleNotFound,
  type ListenerRecord,
  type LoadBalancerRecord,
  type RuleBody,
  type RuleRecord,
} from './records.js';
import { validateActions, validatePriority, validateConditions } from './rule-validation.js';

// The rules of Application Load Balancer listeners: conditions and actions
// checked by rule-validation.ts, priorities unique per listener, the target
// groups they forward to checked as for listeners. The default rule (priority
// NULL in the store, 'default' on the wire) belongs to the listener: it is
// created, changed and deleted only through the listener's operations.
//
// AWS's messages used here: "Priority '…' is currently in use"
// (PriorityInUse), "Default rule '…' cannot be deleted" and "Default rule '…'
// cannot be modified" (OperationNotPermitted). The others are berth's.

const validation = (message: string) => new AwsError('ValidationError', message);

/** ELBv2 quota rules-per-application-load-balancer: rules of all its listeners, default rules not counted. */
export const MAX_RULES = 100;
const PAGE_SIZE = 400;

const priorityInUse = (p: number) => new AwsError('PriorityInUse', `Priority '${p}' is currently in use`);
const defaultRuleUnchangeable = (arn: string) => new AwsError('OperationNotPermitted', `Default rule '${arn}' cannot be modified`);

function rejectTransforms(transforms: unknown[] | undefined): void {
  if (transforms?.length) {
    throw new AwsError('InvalidConfigurationRequest', "berth does not support rule transforms (host-header-rewrite, url-rewrite); rewrite the request in the target instead");
  }
}

const view = (body: RuleBody): Rule => body.description;

export interface ListenerRulesOptions {
  /** Called after every committed change, so the data plane re-reads the store. */
  changed: () => void;
}

export class ListenerRules {
  readonly #store: Store;
  readonly #changed: () => void;

  constructor(store: Store, opts: ListenerRulesOptions) {
    this.#store = store;
    this.#changed = opts.changed;
  }

  async create(scope: Scope, input: CreateRuleInput): Promise<Rule> {
    const priority = input.Priority!;
    validatePriority(priority);
    validateConditions(input.Conditions);
    rejectTransforms(input.Transforms);
    if (input.Tags) checkElbTags(input.Tags);

    const out = await this.#store.transaction(async (tx) => {
      const { listener, lb } = await this.#listener(tx, scope, input.ListenerArn!);
      const protocol = listener.body.description.Protocol!;
      validateActions(input.Actions, { listenerProtocol: protocol, loadBalancerType: 'application', listenerPort: listener.row.port, member: 'actions' });
      const taken = await tx.selectFrom('elb_rules').select('arn').where('listener_arn', '=', listener.row.arn).where('priority', '=', priority).executeTakeFirst();
      if (taken) throw priorityInUse(priority);
      const count = await tx
        .selectFrom('elb_rules')
        .innerJoin('elb_listeners', 'elb_listeners.arn', 'elb_rules.listener_arn')
        .select('elb_rules.arn')
        .where('elb_listeners.load_balancer_arn', '=', lb.row.arn)
        .where('elb_rules.priority', 'is not', null)
        .execute();
      if (count.length >= MAX_RULES) {
        throw new AwsError('TooManyRules', `A load balancer can have at most ${MAX_RULES} rules besides its listeners' default rules`);
      }
      const actions = normalizeActions(input.Actions!);
      await checkForwardTargets(tx, scope, lb, protocol, actions);
      const arn = ruleArn(listener.row.arn, newElbId());
      const body: RuleBody = { description: { RuleArn: arn, Priority: String(priority), Conditions: input.Conditions, Actions: actions, IsDefault: false } };
      await tx.insertInto('elb_rules').values({ arn, listener_arn: listener.row.arn, priority, body: JSON.stringify(body) }).execute();
      await tagElbResource(tx, arn, input.Tags);
      return view(body);
    });
    this.#changed();
    return out;
  }

  async describe(scope: Scope, input: DescribeRulesInput): Promise<{ Rules: Rule[]; NextMarker?: string }> {
    const pageSize = input.PageSize ?? PAGE_SIZE;
    if (pageSize < 1 || pageSize > PAGE_SIZE) throw validation(`Page size must be between 1 and ${PAGE_SIZE}`);
    const byArn = input.RuleArns?.length ? input.RuleArns : undefined;
    if (byArn && input.ListenerArn) throw validation('Rule ARNs and a listener ARN cannot be specified at the same time');
    if (!byArn && !input.ListenerArn) throw validation('You must specify either rule ARNs or a listener ARN');
    const db = this.#store.db;
    let q = db.selectFrom('elb_rules').selectAll();
    if (input.ListenerArn) {
      await this.#listener(db, scope, input.ListenerArn, false);
      q = q.where('listener_arn', '=', input.ListenerArn);
    } else {
      q = q.where('arn', 'in', byArn!);
    }
    const rows = (await q.execute()).filter((r) => inScope(scope, r.arn));
    if (byArn) {
      const found = new Set(rows.map((r) => r.arn));
      const missing = [...new Set(byArn)].filter((a) => !found.has(a));
      if (missing.length) throw ruleNotFound(`Rules '[${missing.join(', ')}]' not found`);
    }
    // By listener, then priority, each listener's default rule last.
    const key = (r: (typeof rows)[number]) => [r.listener_arn, r.priority ?? Number.MAX_SAFE_INTEGER] as [string, number];
    rows.sort((a, b) => {
      const [la, pa] = key(a);
      const [lb, pb] = key(b);
      return la < lb ? -1 : la > lb ? 1 : pa - pb;
    });
    const { page, next } = pageAfter(rows, input.Marker, pageSize, key);
    return { Rules: page.map((r) => view(JSON.parse(r.body) as RuleBody)), NextMarker: next };
  }

  async modify(scope: Scope, input: ModifyRuleInput): Promise<Rule> {
    if (input.Conditions !== undefined) validateConditions(input.Conditions);
    rejectTransforms(input.Transforms);
    const out = await this.#store.transaction(async (tx) => {
      const rule = await this.require(tx, scope, input.RuleArn!);
      // A listener's default actions change through ModifyListener, as on AWS.
      if (rule.row.priority === null) throw defaultRuleUnchangeable(rule.row.arn);
      const d = rule.body.description;
      let actions = d.Actions;
      if (input.Actions !== undefined) {
        const { listener, lb } = await this.#listener(tx, scope, rule.row.listener_arn);
        const protocol = listener.body.description.Protocol!;
        validateActions(input.Actions, { listenerProtocol: protocol, loadBalancerType: 'application', listenerPort: listener.row.port, member: 'actions' });
        actions = normalizeActions(input.Actions);
        await checkForwardTargets(tx, scope, lb, protocol, actions);
      }
      const body: RuleBody = { description: { ...d, Conditions: input.Conditions ?? d.Conditions, Actions: actions } };
      await tx.updateTable('elb_rules').set({ body: JSON.stringify(body) }).where('arn', '=', rule.row.arn).execute();
      return view(body);
    });
    this.#changed();
    return out;
  }

  async delete(scope: Scope, arn: string): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const rule = await this.require(tx, scope, arn);
      if (rule.row.priority === null) throw new AwsError('OperationNotPermitted', `Default rule '${arn}' cannot be deleted`);
      await tx.deleteFrom('elb_rules').where('arn', '=', arn).execute();
      await dropElbTags(tx, arn);
    });
    this.#changed();
  }

  /**
   * SetRulePriorities: all or nothing. Priorities may be swapped among the
   * rules named; a priority held by a rule not named, or named twice for one
   * listener, is PriorityInUse.
   */
  async setPriorities(scope: Scope, pairs: RulePriorityPair[]): Promise<Rule[]> {
    const seen = new Set<string>();
    for (const p of pairs) {
      if (!p.RuleArn) throw validation('A rule ARN must be specified for each rule priority');
      if (p.Priority === undefined) throw validation(`A priority must be specified for rule '${p.RuleArn}'`);
      validatePriority(p.Priority);
      if (seen.has(p.RuleArn)) throw validation(`Rule '${p.RuleArn}' is specified more than once`);
      seen.add(p.RuleArn);
    }
    const out = await this.#store.transaction(async (tx) => {
      const rules: RuleRecord[] = [];
      for (const p of pairs) {
        const rule = await this.require(tx, scope, p.RuleArn!);
        if (rule.row.priority === null) throw defaultRuleUnchangeable(rule.row.arn);
        rules.push(rule);
      }
      // Priorities are unique per listener: among the request, and against the rules it leaves alone.
      const wanted = new Map<string, Set<number>>();
      for (const [i, rule] of rules.entries()) {
        const p = pairs[i]!.Priority!;
        const set = wanted.get(rule.row.listener_arn) ?? new Set<number>();
        if (set.has(p)) throw priorityInUse(p);
        set.add(p);
        wanted.set(rule.row.listener_arn, set);
      }
      for (const [listener, priorities] of wanted) {
        const holders = await tx
          .selectFrom('elb_rules')
          .select(['arn', 'priority'])
          .where('listener_arn', '=', listener)
          .where('priority', 'in', [...priorities])
          .execute();
        const clash = holders.find((h) => !seen.has(h.arn));
        if (clash) throw priorityInUse(clash.priority!);
      }
      // Two steps, so swaps never meet the (listener, priority) unique constraint half-way.
      for (const [i, rule] of rules.entries()) {
        await tx.updateTable('elb_rules').set({ priority: -(i + 1) }).where('arn', '=', rule.row.arn).execute();
      }
      const views: Rule[] = [];
      for (const [i, rule] of rules.entries()) {
        const p = pairs[i]!.Priority!;
        const body: RuleBody = { description: { ...rule.body.description, Priority: String(p) } };
        await tx.updateTable('elb_rules').set({ priority: p, body: JSON.stringify(body) }).where('arn', '=', rule.row.arn).execute();
        views.push(view(body));
      }
      return views;
    });
    this.#changed();
    return out;
  }

  /** The caller's rule, or RuleNotFound. */
  async require(tx: Tx, scope: Scope, arn: string): Promise<RuleRecord> {
    const rec = inScope(scope, arn) ? await readRule(tx, arn) : undefined;
    if (!rec) throw ruleNotFound(`Rule '${arn}' not found`);
    return rec;
  }

  /** The caller's listener and its load balancer; rules exist only on Application Load Balancers. */
  async #listener(tx: Tx, scope: Scope, arn: string, applicationOnly = true): Promise<{ listener: ListenerRecord; lb: LoadBalancerRecord }> {
    const listener = inScope(scope, arn) ? await readListener(tx, arn) : undefined;
    if (!listener) throw listenerNotFound(`Listener '${arn}' not found`);
    const lb = await readLoadBalancer(tx, listener.row.load_balancer_arn);
    if (!lb) throw listenerNotFound(`Listener '${arn}' not found`);
    if (applicationOnly && lb.body.description.Type !== 'application') {
      throw validation(`Listener '${arn}' belongs to a Network Load Balancer; only listeners of Application Load Balancers have rules besides the default rule`);
    }
    return { listener, lb };
  }
}
