import { createHash, randomBytes } from 'node:crypto';
import type { Listener, LoadBalancer, Rule, TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsError } from '../../gateway/errors.js';
import type { ElbListenerRow, ElbLoadBalancerRow, ElbRuleRow, ElbTargetGroupRow } from '../../store/schema.js';
import type { Tx } from '../../store/store.js';
import type { Scope } from '../arns.js';

// Load balancers, target groups, listeners and rules as stored: each row keeps
// the AWS description (the SDK's own shape, timestamps as epoch ms) and the
// resource's attributes in `body`; the columns are what is looked up. ARNs
// follow ELBv2's formats. Reads here are shared by every ELBv2 operation.

export interface LoadBalancerBody {
  /** As DescribeLoadBalancers returns it (CreatedTime as epoch ms). */
  description: Omit<LoadBalancer, 'CreatedTime'> & { CreatedTime: number };
  /** Every attribute with its current value (defaults included). */
  attributes: Record<string, string>;
  /** The address its listeners bind. */
  address: string;
}

export interface TargetGroupBody {
  /** As DescribeTargetGroups returns it, without LoadBalancerArns (derived from the listeners and rules that use it). */
  description: Omit<TargetGroup, 'LoadBalancerArns'>;
  attributes: Record<string, string>;
}

export interface ListenerBody {
  description: Listener;
  attributes: Record<string, string>;
}

export interface RuleBody {
  description: Rule;
}

export interface LoadBalancerRecord {
  row: ElbLoadBalancerRow;
  body: LoadBalancerBody;
}
export interface TargetGroupRecord {
  row: ElbTargetGroupRow;
  body: TargetGroupBody;
}
export interface ListenerRecord {
  row: ElbListenerRow;
  body: ListenerBody;
}
export interface RuleRecord {
  row: ElbRuleRow;
  body: RuleBody;
}

// ── ARNs ─────────────────────────────────────────────────────────────────────

const elbArn = (s: Scope, resource: string) => `arn:aws:elasticloadbalancing:${s.region}:${s.accountId}:${resource}`;
/** ELBv2's resource ids: 16 hex digits. */
export const newElbId = () => randomBytes(8).toString('hex');

export const lbTypeSegment = (type: string) => (type === 'network' ? 'net' : type === 'gateway' ? 'gwy' : 'app');

export const loadBalancerArn = (s: Scope, type: string, name: string, id: string) => elbArn(s, `loadbalancer/${lbTypeSegment(type)}/${name}/${id}`);
export const targetGroupArn = (s: Scope, name: string, id: string) => elbArn(s, `targetgroup/${name}/${id}`);
/** `listener/app/<lb name>/<lb id>/<id>`: the load balancer's ARN suffix plus the listener's id. */
export const listenerArn = (lbArn: string, id: string) => `${lbArn.replace(':loadbalancer/', ':listener/')}/${id}`;
export const ruleArn = (lArn: string, id: string) => `${lArn.replace(':listener/', ':listener-rule/')}/${id}`;

/**
 * berth has one VPC per account and region (there is no EC2 API): every
 * load balancer is in it, whatever subnets it names, and target groups are
 * checked against it. A stable id, so scripts can read it once.
 */
export function defaultVpcId(s: Scope): string {
  return `vpc-${createHash('sha256').update(`${s.accountId}/${s.region}`).digest('hex').slice(0, 17)}`;
}

// ── reads ────────────────────────────────────────────────────────────────────

export const loadBalancerNotFound = (what = 'One or more load balancers not found') => new AwsError('LoadBalancerNotFound', what);
export const targetGroupNotFound = (what = 'One or more target groups not found') => new AwsError('TargetGroupNotFound', what);
export const listenerNotFound = (what = 'One or more listeners not found') => new AwsError('ListenerNotFound', what);
export const ruleNotFound = (what = 'One or more rules not found') => new AwsError('RuleNotFound', what);

/** Whether an ARN belongs to the caller's account and region (other scopes read as not found). */
export const inScope = (s: Scope, arn: string) => arn.startsWith(`arn:aws:elasticloadbalancing:${s.region}:${s.accountId}:`);

export async function readLoadBalancer(tx: Tx, arn: string): Promise<LoadBalancerRecord | undefined> {
  const row = await tx.selectFrom('elb_load_balancers').selectAll().where('arn', '=', arn).executeTakeFirst();
  return row && { row, body: JSON.parse(row.body) as LoadBalancerBody };
}

export async function readTargetGroup(tx: Tx, arn: string): Promise<TargetGroupRecord | undefined> {
  const row = await tx.selectFrom('elb_target_groups').selectAll().where('arn', '=', arn).executeTakeFirst();
  return row && { row, body: JSON.parse(row.body) as TargetGroupBody };
}

export async function readListener(tx: Tx, arn: string): Promise<ListenerRecord | undefined> {
  const row = await tx.selectFrom('elb_listeners').selectAll().where('arn', '=', arn).executeTakeFirst();
  return row && { row, body: JSON.parse(row.body) as ListenerBody };
}

export async function readRule(tx: Tx, arn: string): Promise<RuleRecord | undefined> {
  const row = await tx.selectFrom('elb_rules').selectAll().where('arn', '=', arn).executeTakeFirst();
  return row && { row, body: JSON.parse(row.body) as RuleBody };
}

export async function listenersOf(tx: Tx, lbArn: string): Promise<ListenerRecord[]> {
  const rows = await tx.selectFrom('elb_listeners').selectAll().where('load_balancer_arn', '=', lbArn).orderBy('port').execute();
  return rows.map((row) => ({ row, body: JSON.parse(row.body) as ListenerBody }));
}

/** A listener's rules by priority, the default rule last. */
export async function rulesOf(tx: Tx, listenerArn: string): Promise<RuleRecord[]> {
  const rows = await tx.selectFrom('elb_rules').selectAll().where('listener_arn', '=', listenerArn).execute();
  return rows
    .map((row) => ({ row, body: JSON.parse(row.body) as RuleBody }))
    .sort((a, b) => (a.row.priority ?? Number.MAX_SAFE_INTEGER) - (b.row.priority ?? Number.MAX_SAFE_INTEGER));
}

/** The target groups an action list forwards to. */
export function forwardedTargetGroups(actions: readonly { Type?: string; TargetGroupArn?: string; ForwardConfig?: { TargetGroups?: { TargetGroupArn?: string }[] } }[] | undefined): string[] {
  const out = new Set<string>();
  for (const a of actions ?? []) {
    if (a.Type !== 'forward') continue;
    if (a.TargetGroupArn) out.add(a.TargetGroupArn);
    for (const t of a.ForwardConfig?.TargetGroups ?? []) if (t.TargetGroupArn) out.add(t.TargetGroupArn);
  }
  return [...out];
}

/**
 * Which load balancers use each target group (through a listener's default
 * actions or a rule): TargetGroup.LoadBalancerArns, "in use" for the health
 * checker, and DeleteTargetGroup's ResourceInUse all read this.
 */
export async function targetGroupUsers(tx: Tx, accountId: string, region: string): Promise<Map<string, Set<string>>> {
  const prefix = `arn:aws:elasticloadbalancing:${region}:${accountId}:listener-rule/`;
  const rows = await tx
    .selectFrom('elb_rules')
    .innerJoin('elb_listeners', 'elb_listeners.arn', 'elb_rules.listener_arn')
    .select(['elb_rules.body as body', 'elb_listeners.load_balancer_arn as lb'])
    .where('elb_rules.arn', 'like', `${prefix}%`)
    .execute();
  const users = new Map<string, Set<string>>();
  for (const r of rows) {
    const rule = (JSON.parse(r.body) as RuleBody).description;
    for (const tg of forwardedTargetGroups(rule.Actions)) {
      let set = users.get(tg);
      if (!set) users.set(tg, (set = new Set()));
      set.add(r.lb);
    }
  }
  return users;
}

/** The PEM files behind a certificate ARN (`arn:aws:acm:<region>:<account>:certificate/<id>`): `<dir>/<id>.crt` and `<dir>/<id>.key`, provided by the operator. */
export function certificateFiles(certificatesDir: string, arn: string): { certFile: string; keyFile: string } {
  const id = arn.slice(arn.lastIndexOf('/') + 1);
  return { certFile: `${certificatesDir}/${id}.crt`, keyFile: `${certificatesDir}/${id}.key` };
}
