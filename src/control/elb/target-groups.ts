import type {
  CreateTargetGroupInput,
  DescribeTargetGroupsInput,
  Matcher,
  ModifyTargetGroupInput,
  ProtocolEnum,
  TargetGroup,
  TargetGroupAttribute,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsError } from '../../gateway/errors.js';
import type { Store, Tx } from '../../store/store.js';
import type { Scope } from '../arns.js';
import { tagElbResource, dropElbTags } from './elb-tags.js';
import { newElbId, readTargetGroup, targetGroupArn, targetGroupNotFound, targetGroupUsers, inScope, type TargetGroupBody, type TargetGroupRecord } from './records.js';

// Target groups: creation with ELBv2's defaults (health checks by protocol),
// their attributes, and the reads every other part needs. The targets in a
// group are targets.ts's business.

const validation = (message: string) => new AwsError('ValidationError', message);
const invalidConfig = (message: string) => new AwsError('InvalidConfigurationRequest', message);

export const MAX_TARGET_GROUPS = 3000;
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

const ALB_PROTOCOLS = new Set(['HTTP', 'HTTPS']);
const NLB_PROTOCOLS = new Set(['TCP', 'TLS', 'UDP', 'TCP_UDP']);
const PROTOCOLS = new Set([...ALB_PROTOCOLS, ...NLB_PROTOCOLS, 'GENEVE']);

/** Attribute defaults by target group kind (HTTP(S) groups are an ALB's, the others an NLB's). */
function defaultAttributes(protocol: string | undefined, targetType: string): Record<string, string> {
  if (protocol && NLB_PROTOCOLS.has(protocol)) {
    return {
      'deregistration_delay.timeout_seconds': '300',
      'deregistration_delay.connection_termination.enabled': 'false',
      'preserve_client_ip.enabled': targetType === 'ip' && protocol !== 'UDP' && protocol !== 'TCP_UDP' ? 'false' : 'true',
      'proxy_protocol_v2.enabled': 'false',
      'stickiness.enabled': 'false',
      'stickiness.type': 'source_ip',
      'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
      'target_health_state.unhealthy.connection_termination.enabled': 'true',
      'target_health_state.unhealthy.draining_interval_seconds': '0',
      'target_group_health.dns_failover.minimum_healthy_targets.count': '1',
      'target_group_health.dns_failover.minimum_healthy_targets.percentage': 'off',
      'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': '1',
      'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': 'off',
    };
  }
  return {
    'deregistration_delay.timeout_seconds': '300',
    'slow_start.duration_seconds': '0',
    'stickiness.enabled': 'false',
    'stickiness.type': 'lb_cookie',
    'stickiness.lb_cookie.duration_seconds': '86400',
    'stickiness.app_cookie.cookie_name': '',
    'stickiness.app_cookie.duration_seconds': '86400',
    'load_balancing.algorithm.type': 'round_robin',
    'load_balancing.algorithm.anomaly_mitigation': 'off',
    'load_balancing.cross_zone.enabled': 'use_load_balancer_configuration',
    'target_group_health.dns_failover.minimum_healthy_targets.count': '1',
    'target_group_health.dns_failover.minimum_healthy_targets.percentage': 'off',
    'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': '1',
    'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': 'off',
  };
}

const intIn = (min: number, max: number) => (v: string) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max;
const oneOf = (...values: string[]) => (v: string) => values.includes(v);
const bool = oneOf('true', 'false');
const minTargets = (v: string) => v === 'off' || intIn(1, 100)(v);

/** What each attribute accepts (key → check); keys a kind does not have are refused. */
const ATTRIBUTE_CHECKS: Record<string, (v: string) => boolean> = {
  'deregistration_delay.timeout_seconds': intIn(0, 3600),
  'deregistration_delay.connection_termination.enabled': bool,
  'slow_start.duration_seconds': (v) => v === '0' || intIn(30, 900)(v),
  'stickiness.enabled': bool,
  'stickiness.type': oneOf('lb_cookie', 'app_cookie', 'source_ip', 'source_ip_dest_ip', 'source_ip_dest_ip_proto'),
  'stickiness.lb_cookie.duration_seconds': intIn(1, 604800),
  'stickiness.app_cookie.cookie_name': (v) => v === '' || /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,256}$/.test(v),
  'stickiness.app_cookie.duration_seconds': intIn(1, 604800),
  'load_balancing.algorithm.type': oneOf('round_robin', 'least_outstanding_requests', 'weighted_random'),
  'load_balancing.algorithm.anomaly_mitigation': oneOf('on', 'off'),
  'load_balancing.cross_zone.enabled': oneOf('true', 'false', 'use_load_balancer_configuration'),
  'preserve_client_ip.enabled': bool,
  'proxy_protocol_v2.enabled': bool,
  'target_health_state.unhealthy.connection_termination.enabled': bool,
  'target_health_state.unhealthy.draining_interval_seconds': intIn(0, 360000),
  'target_group_health.dns_failover.minimum_healthy_targets.count': (v) => v === 'off' || intIn(1, 1_000_000)(v),
  'target_group_health.dns_failover.minimum_healthy_targets.percentage': minTargets,
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': intIn(1, 1_000_000),
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': minTargets,
};

/** Health check settings as AWS fills them in for a new group. */
function healthCheckDefaults(protocol: string | undefined, targetType: string): HealthSettings {
  const http = protocol === 'HTTP' || protocol === 'HTTPS';
  const hcProtocol = protocol === 'UDP' || protocol === 'TCP_UDP' || protocol === 'TLS' ? 'TCP' : (protocol ?? 'HTTP');
  return {
    HealthCheckProtocol: hcProtocol as ProtocolEnum,
    HealthCheckPort: 'traffic-port',
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: targetType === 'lambda' ? 35 : 30,
    HealthCheckTimeoutSeconds: http ? 5 : targetType === 'lambda' ? 30 : 10,
    HealthyThresholdCount: 5,
    UnhealthyThresholdCount: 2,
    HealthCheckPath: http ? '/' : undefined,
    Matcher: http ? ({ HttpCode: '200' } as Matcher) : undefined,
  };
}

type HealthSettings = Pick<
  TargetGroup,
  | 'HealthCheckProtocol'
  | 'HealthCheckPort'
  | 'HealthCheckEnabled'
  | 'HealthCheckIntervalSeconds'
  | 'HealthCheckTimeoutSeconds'
  | 'HealthyThresholdCount'
  | 'UnhealthyThresholdCount'
  | 'HealthCheckPath'
  | 'Matcher'
>;

/** ELBv2's checks of health check settings, on the merged result of a create or modify. */
function checkHealthSettings(h: HealthSettings, protocol: string | undefined): void {
  const hp = h.HealthCheckProtocol!;
  if (!['HTTP', 'HTTPS', 'TCP'].includes(hp)) throw validation(`Health check protocol '${hp}' is not supported; use HTTP, HTTPS or TCP.`);
  if (protocol && ALB_PROTOCOLS.has(protocol) && hp === 'TCP') throw validation(`Health check protocol 'TCP' is not supported for target groups with the '${protocol}' protocol`);
  if (h.HealthCheckPort !== 'traffic-port' && !(/^\d+$/.test(h.HealthCheckPort ?? '') && Number(h.HealthCheckPort) >= 1 && Number(h.HealthCheckPort) <= 65535)) {
    throw validation(`Health check port '${h.HealthCheckPort}' must be 'traffic-port' or a port from 1 to 65535`);
  }
  const between = (v: number | undefined, min: number, max: number, what: string) => {
    if (v !== undefined && (v < min || v > max)) throw validation(`${what} must be between ${min} and ${max}`);
  };
  between(h.HealthCheckIntervalSeconds, 5, 300, 'Health check interval');
  between(h.HealthCheckTimeoutSeconds, 2, 120, 'Health check timeout');
  between(h.HealthyThresholdCount, 2, 10, 'Healthy threshold count');
  between(h.UnhealthyThresholdCount, 2, 10, 'Unhealthy threshold count');
  if ((h.HealthCheckTimeoutSeconds ?? 0) >= (h.HealthCheckIntervalSeconds ?? 0)) {
    throw validation('Health check interval must be greater than the timeout.');
  }
  if (hp === 'TCP') {
    if (h.HealthCheckPath !== undefined) throw validation('Health check path is not supported for TCP health checks');
    if (h.Matcher !== undefined) throw validation('Health check matcher is not supported for TCP health checks');
    return;
  }
  const path = h.HealthCheckPath ?? '/';
  if (!path.startsWith('/') || path.length > 1024) throw validation(`Health check path '${path}' must begin with a '/' character and can have at most 1024 characters`);
  const code = h.Matcher?.HttpCode;
  if (h.Matcher?.GrpcCode !== undefined) throw validation('Matcher GrpcCode is only valid for target groups with protocol version GRPC');
  if (code !== undefined && !validHttpCodes(code)) {
    throw validation(`Health check matcher HTTP code '${code}' must be a value from 200 to 499, several separated by commas ("200,202") or a range ("200-299")`);
  }
}

function validHttpCodes(spec: string): boolean {
  const code = (s: string) => /^\d{3}$/.test(s) && Number(s) >= 200 && Number(s) <= 499;
  return spec.split(',').every((part) => {
    const [a, b, ...rest] = part.split('-');
    if (rest.length) return false;
    return b === undefined ? code(a!) : code(a!) && code(b) && Number(a) <= Number(b);
  });
}

export function checkTargetGroupName(name: string): void {
  if (name.length > 32) throw validation(`Target group name '${name}' cannot be longer than '32' characters`);
  if (!NAME.test(name)) {
    throw validation(`Target group name '${name}' can only contain characters that are alphanumeric characters or hyphens(-), and must not begin or end with a hyphen`);
  }
  if (name.toLowerCase().startsWith('internal-')) throw validation(`Target group name '${name}' cannot begin with 'internal-'`);
}

export class TargetGroups {
  readonly #store: Store;
  readonly #changed: () => void;

  constructor(store: Store, opts: { changed: () => void }) {
    this.#store = store;
    this.#changed = opts.changed;
  }

  async create(scope: Scope, input: CreateTargetGroupInput): Promise<TargetGroup> {
    const name = input.Name ?? '';
    checkTargetGroupName(name);
    const targetType = input.TargetType ?? 'instance';
    if (targetType === 'lambda' || targetType === 'alb') throw invalidConfig(`berth does not support target type '${targetType}'; use 'instance' or 'ip'.`);
    const protocol = input.Protocol;
    if (!protocol) throw validation('A protocol must be specified');
    if (!PROTOCOLS.has(protocol) || protocol === 'GENEVE') throw validation(`Protocol '${protocol}' is not supported; use HTTP, HTTPS, TCP, TLS, UDP or TCP_UDP`);
    if (input.Port === undefined) throw validation('A port must be specified');
    if (input.Port < 1 || input.Port > 65535) throw validation('Port must be between 1 and 65535');
    if (!input.VpcId) throw validation('A VPC ID must be specified');
    if (!/^vpc-[0-9a-f]{8,17}$/.test(input.VpcId)) throw validation(`The VPC ID '${input.VpcId}' is not valid`);
    if (input.ProtocolVersion !== undefined) {
      if (!ALB_PROTOCOLS.has(protocol)) throw validation('Protocol version is only supported for target groups with the HTTP or HTTPS protocol');
      if (!['HTTP1', 'HTTP2', 'GRPC'].includes(input.ProtocolVersion)) throw validation(`Protocol version '${input.ProtocolVersion}' must be one of HTTP1, HTTP2, GRPC`);
      if (input.ProtocolVersion !== 'HTTP1') throw invalidConfig(`berth's load balancers speak HTTP/1.1 to targets; protocol version '${input.ProtocolVersion}' is not supported.`);
    }
    const defaults = healthCheckDefaults(protocol, targetType);
    const health: HealthSettings = {
      HealthCheckProtocol: input.HealthCheckProtocol ?? defaults.HealthCheckProtocol,
      HealthCheckPort: input.HealthCheckPort ?? defaults.HealthCheckPort,
      HealthCheckEnabled: input.HealthCheckEnabled ?? defaults.HealthCheckEnabled,
      HealthCheckIntervalSeconds: input.HealthCheckIntervalSeconds ?? defaults.HealthCheckIntervalSeconds,
      HealthCheckTimeoutSeconds: input.HealthCheckTimeoutSeconds ?? defaults.HealthCheckTimeoutSeconds,
      HealthyThresholdCount: input.HealthyThresholdCount ?? defaults.HealthyThresholdCount,
      UnhealthyThresholdCount: input.UnhealthyThresholdCount ?? defaults.UnhealthyThresholdCount,
      HealthCheckPath: input.HealthCheckPath ?? (input.HealthCheckProtocol === 'TCP' ? undefined : defaults.HealthCheckPath),
      Matcher: input.Matcher ?? (input.HealthCheckProtocol === 'TCP' ? undefined : defaults.Matcher),
    };
    if (health.HealthCheckProtocol !== 'TCP' && health.HealthCheckPath === undefined) health.HealthCheckPath = '/';
    if (health.HealthCheckProtocol !== 'TCP' && health.Matcher === undefined) health.Matcher = { HttpCode: '200' };
    checkHealthSettings(health, protocol);

    return this.#store.transaction(async (tx) => {
      const existing = await tx.selectFrom('elb_target_groups').selectAll().where('account_id', '=', scope.accountId).where('region', '=', scope.region).where('name', '=', name).executeTakeFirst();
      if (existing) {
        const rec: TargetGroupRecord = { row: existing, body: JSON.parse(existing.body) as TargetGroupBody };
        // CreateTargetGroup is idempotent for the same settings, as on AWS.
        const d = rec.body.description;
        if (d.Protocol === protocol && d.Port === input.Port && d.VpcId === input.VpcId && d.TargetType === targetType) return this.#view(tx, rec);
        throw new AwsError('DuplicateTargetGroupName', 'A target group with the same name exists, but with different settings');
      }
      const count = await tx.selectFrom('elb_target_groups').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', scope.accountId).where('region', '=', scope.region).executeTakeFirstOrThrow();
      if (Number(count.n) >= MAX_TARGET_GROUPS) throw new AwsError('TooManyTargetGroups', `You have reached the maximum number of target groups (${MAX_TARGET_GROUPS}) allowed for your account`);
      const arn = targetGroupArn(scope, name, newElbId());
      const body: TargetGroupBody = {
        description: {
          TargetGroupArn: arn,
          TargetGroupName: name,
          Protocol: protocol,
          Port: input.Port,
          VpcId: input.VpcId,
          ...health,
          TargetType: targetType,
          ProtocolVersion: ALB_PROTOCOLS.has(protocol) ? (input.ProtocolVersion ?? 'HTTP1') : undefined,
          IpAddressType: input.IpAddressType ?? 'ipv4',
        },
        attributes: defaultAttributes(protocol, targetType),
      };
      await tx.insertInto('elb_target_groups').values({ arn, account_id: scope.accountId, region: scope.region, name, body: JSON.stringify(body) }).execute();
      await tagElbResource(tx, arn, input.Tags);
      return this.#view(tx, { row: { arn, account_id: scope.accountId, region: scope.region, name, body: '' }, body });
    });
  }

  async describe(scope: Scope, input: DescribeTargetGroupsInput): Promise<{ TargetGroups: TargetGroup[]; NextMarker?: string }> {
    const pageSize = input.PageSize ?? 400;
    if (pageSize < 1 || pageSize > 400) throw validation('Page size must be between 1 and 400');
    const named = [input.LoadBalancerArn ? 1 : 0, input.TargetGroupArns?.length ? 1 : 0, input.Names?.length ? 1 : 0].reduce((a, b) => a + b, 0);
    if (named > 1) throw validation('Only one of LoadBalancerArn, TargetGroupArns or Names can be specified');
    const db = this.#store.db;
    let q = db.selectFrom('elb_target_groups').selectAll().where('account_id', '=', scope.accountId).where('region', '=', scope.region);
    if (input.TargetGroupArns?.length) q = q.where('arn', 'in', input.TargetGroupArns);
    if (input.Names?.length) q = q.where('name', 'in', input.Names);
    let rows = await q.orderBy('name').orderBy('arn').execute();
    if (input.TargetGroupArns?.length && rows.length < new Set(input.TargetGroupArns).size) throw targetGroupNotFound();
    if (input.Names?.length && rows.length < new Set(input.Names).size) {
      const found = new Set(rows.map((r) => r.name));
      throw targetGroupNotFound(`Target groups '${input.Names.filter((n) => !found.has(n)).join(', ')}' not found`);
    }
    const users = await targetGroupUsers(db, scope.accountId, scope.region);
    if (input.LoadBalancerArn) {
      const lb = await db.selectFrom('elb_load_balancers').select('arn').where('arn', '=', input.LoadBalancerArn).executeTakeFirst();
      if (!lb || !inScope(scope, lb.arn)) throw new AwsError('LoadBalancerNotFound', `Load balancer '${input.LoadBalancerArn}' not found`);
      rows = rows.filter((r) => users.get(r.arn)?.has(input.LoadBalancerArn!));
    }
    let start = 0;
    if (input.Marker !== undefined) {
      const after = Buffer.from(input.Marker, 'base64url').toString('utf8');
      start = rows.findIndex((r) => `${r.name}\n${r.arn}` > after);
      if (!input.Marker || start < 0) start = rows.length;
    }
    const page = rows.slice(start, start + pageSize);
    const next = start + pageSize < rows.length ? Buffer.from(`${page.at(-1)!.name}\n${page.at(-1)!.arn}`).toString('base64url') : undefined;
    return {
      TargetGroups: page.map((row) => withUsers({ row, body: JSON.parse(row.body) as TargetGroupBody }, users)),
      NextMarker: next,
    };
  }

  async modify(scope: Scope, input: ModifyTargetGroupInput): Promise<TargetGroup> {
    const out = await this.#store.transaction(async (tx) => {
      const rec = await this.require(tx, scope, input.TargetGroupArn!);
      const d = rec.body.description;
      const next: HealthSettings = {
        HealthCheckProtocol: input.HealthCheckProtocol ?? d.HealthCheckProtocol,
        HealthCheckPort: input.HealthCheckPort ?? d.HealthCheckPort,
        HealthCheckEnabled: input.HealthCheckEnabled ?? d.HealthCheckEnabled,
        HealthCheckIntervalSeconds: input.HealthCheckIntervalSeconds ?? d.HealthCheckIntervalSeconds,
        HealthCheckTimeoutSeconds: input.HealthCheckTimeoutSeconds ?? d.HealthCheckTimeoutSeconds,
        HealthyThresholdCount: input.HealthyThresholdCount ?? d.HealthyThresholdCount,
        UnhealthyThresholdCount: input.UnhealthyThresholdCount ?? d.UnhealthyThresholdCount,
        HealthCheckPath: input.HealthCheckPath ?? d.HealthCheckPath,
        Matcher: input.Matcher ?? d.Matcher,
      };
      if (next.HealthCheckProtocol === 'TCP') {
        if (input.HealthCheckPath !== undefined || input.Matcher !== undefined) checkHealthSettings({ ...next, HealthCheckPath: input.HealthCheckPath, Matcher: input.Matcher }, d.Protocol);
        next.HealthCheckPath = undefined;
        next.Matcher = undefined;
      } else {
        next.HealthCheckPath ??= '/';
        next.Matcher ??= { HttpCode: '200' };
      }
      checkHealthSettings(next, d.Protocol);
      const body: TargetGroupBody = { ...rec.body, description: { ...d, ...next } };
      await tx.updateTable('elb_target_groups').set({ body: JSON.stringify(body) }).where('arn', '=', rec.row.arn).execute();
      if (next.HealthCheckEnabled === false && d.HealthCheckEnabled !== false) {
        // Without health checks every target gets traffic; they start over from initial if checks come back.
        await tx.updateTable('elb_targets').set({ state: 'healthy', reason: null, description: null, changed_at: Date.now() }).where('target_group_arn', '=', rec.row.arn).where('state', '<>', 'draining').execute();
      }
      if (next.HealthCheckEnabled !== false && d.HealthCheckEnabled === false) {
        await tx.updateTable('elb_targets').set({ state: 'initial', reason: null, description: null, changed_at: Date.now() }).where('target_group_arn', '=', rec.row.arn).where('state', '<>', 'draining').execute();
      }
      return this.#view(tx, { ...rec, body });
    });
    this.#changed();
    return out;
  }

  async delete(scope: Scope, arn: string): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const rec = await readTargetGroup(tx, arn);
      // Deleting a target group that is not there succeeds, as on AWS.
      if (!rec || !inScope(scope, arn)) return;
      const users = (await targetGroupUsers(tx, scope.accountId, scope.region)).get(arn);
      if (users?.size) throw new AwsError('ResourceInUse', `Target group '${arn}' is currently in use by a listener or a rule`);
      await tx.deleteFrom('elb_targets').where('target_group_arn', '=', arn).execute();
      await tx.deleteFrom('elb_request_counts').where('target_group_arn', '=', arn).execute();
      await tx.deleteFrom('elb_target_groups').where('arn', '=', arn).execute();
      await dropElbTags(tx, arn);
    });
    this.#changed();
  }

  async attributes(scope: Scope, arn: string): Promise<TargetGroupAttribute[]> {
    const rec = await this.require(this.#store.db, scope, arn);
    return toAttributeList(rec.body.attributes);
  }

  async modifyAttributes(scope: Scope, arn: string, attributes: TargetGroupAttribute[]): Promise<TargetGroupAttribute[]> {
    const out = await this.#store.transaction(async (tx) => {
      const rec = await this.require(tx, scope, arn);
      const next = { ...rec.body.attributes };
      for (const a of attributes) {
        const key = a.Key ?? '';
        const value = a.Value ?? '';
        if (!(key in rec.body.attributes)) throw validation(`Target group attribute key '${key}' is not recognized`);
        if (!ATTRIBUTE_CHECKS[key]?.(value)) throw validation(`'${value}' is not a valid value for target group attribute '${key}'`);
        next[key] = value;
      }
      if (next['stickiness.type'] === 'app_cookie' && next['stickiness.enabled'] === 'true' && !next['stickiness.app_cookie.cookie_name']) {
        throw validation("The attribute 'stickiness.app_cookie.cookie_name' must be set when stickiness type is 'app_cookie'");
      }
      const protocol = rec.body.description.Protocol;
      if (protocol && ALB_PROTOCOLS.has(protocol) && !['lb_cookie', 'app_cookie'].includes(next['stickiness.type']!)) {
        throw validation(`Stickiness type '${next['stickiness.type']}' is not supported for target groups with the ${protocol} protocol`);
      }
      if (protocol && NLB_PROTOCOLS.has(protocol) && next['stickiness.type'] !== 'source_ip') {
        throw validation(`Stickiness type '${next['stickiness.type']}' is not supported for target groups with the ${protocol} protocol`);
      }
      if (next['slow_start.duration_seconds'] !== '0' && next['load_balancing.algorithm.type'] === 'least_outstanding_requests') {
        throw invalidConfig('Slow start is not compatible with the least outstanding requests algorithm');
      }
      await tx.updateTable('elb_target_groups').set({ body: JSON.stringify({ ...rec.body, attributes: next }) }).where('arn', '=', arn).execute();
      return toAttributeList(next);
    });
    this.#changed();
    return out;
  }

  /** The caller's target group, or TargetGroupNotFound. */
  async require(tx: Tx, scope: Scope, arn: string): Promise<TargetGroupRecord> {
    const rec = await readTargetGroup(tx, arn);
    if (!rec || !inScope(scope, arn)) throw targetGroupNotFound(`Target groups '${arn}' not found`);
    return rec;
  }

  async #view(tx: Tx, rec: TargetGroupRecord): Promise<TargetGroup> {
    return withUsers(rec, await targetGroupUsers(tx, rec.row.account_id, rec.row.region));
  }
}

function withUsers(rec: TargetGroupRecord, users: Map<string, Set<string>>): TargetGroup {
  return { ...rec.body.description, LoadBalancerArns: [...(users.get(rec.row.arn) ?? [])] };
}

const toAttributeList = (a: Record<string, string>): TargetGroupAttribute[] => Object.entries(a).map(([Key, Value]) => ({ Key, Value }));
