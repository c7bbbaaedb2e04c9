import type { Action, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsError } from '../../gateway/errors.js';
import { parseCidr, wildcardCount } from '../../lb/patterns.js';

// What ELBv2 checks in a rule's conditions and actions before it stores
// them, with its error codes and, where they are known, its messages. Pure:
// whether the named target groups exist, and whether the listener has room
// for another rule, is the caller's business. Condition values are parsed
// with the data plane's own parsers (lb/patterns.ts), so whatever passes here
// can be matched there.
//
// Messages quoted from AWS: "A rule can only have '5' condition values",
// "The weight for each target group must be between 0 and 999, inclusive",
// "Target group stickiness duration must be between 1 and 604800 seconds",
// "The redirect configuration is not valid because it creates a loop.",
// "For actions of type 'redirect', you must specify the following fields:
// 'RedirectConfig'", and the "1 validation error detected: Value … at …
// failed to satisfy constraint: …" form of model constraints. The others
// follow the same wording and name the field.

const validation = (message: string) => new AwsError('ValidationError', message);
const invalidAction = (message: string) => new AwsError('InvalidLoadBalancerAction', message);

/** AWS's form for a violated model constraint (`at` is the lowerCamel request path). */
const constraint = (value: unknown, at: string, rule: string) =>
  validation(`1 validation error detected: Value '${String(value)}' at '${at}' failed to satisfy constraint: Member must ${rule}`);

// ---- priority -------------------------------------------------------------

export const MIN_PRIORITY = 1;
export const MAX_PRIORITY = 50_000;

/** A rule's priority: an integer from 1 to 50000 (the default rule has none). */
export function validatePriority(p: number): void {
  if (!Number.isInteger(p)) throw validation(`Priority '${p}' must be an integer`);
  if (p < MIN_PRIORITY) throw constraint(p, 'priority', `have value greater than or equal to ${MIN_PRIORITY}`);
  if (p > MAX_PRIORITY) throw constraint(p, 'priority', `have value less than or equal to ${MAX_PRIORITY}`);
}

// ---- conditions -----------------------------------------------------------

/** ALB quotas: condition values and wildcards per rule (not adjustable for berth). */
export const MAX_CONDITION_VALUES = 5;
export const MAX_CONDITION_WILDCARDS = 5;
const MAX_VALUE_LENGTH = 128;
const MAX_METHOD_LENGTH = 40;
const MAX_HEADER_NAME_LENGTH = 40;

const CONDITION_FIELDS = ['path-pattern', 'host-header', 'http-header', 'http-request-method', 'query-string', 'source-ip'] as const;
type ConditionField = (typeof CONDITION_FIELDS)[number];

const CONFIG_OF: Record<ConditionField, keyof RuleCondition> = {
  'path-pattern': 'PathPatternConfig',
  'host-header': 'HostHeaderConfig',
  'http-header': 'HttpHeaderConfig',
  'http-request-method': 'HttpRequestMethodConfig',
  'query-string': 'QueryStringConfig',
  'source-ip': 'SourceIpConfig',
};
const CONFIG_KEYS = Object.values(CONFIG_OF);

/** A rule may hold at most one of each of these; http-header and query-string may repeat. */
const ONCE_PER_RULE = new Set<ConditionField>(['path-pattern', 'host-header', 'http-request-method', 'source-ip']);

// Allowed characters, from the RuleCondition reference. `&` is written
// "&amp;" there only because the reference is HTML.
const PATH_CHARS = /^[A-Za-z0-9_\-.$/~"'@:+&*?]*$/;
const HOST_CHARS = /^[A-Za-z0-9\-.*?]*$/;
const METHOD_CHARS = /^[A-Z_-]+$/;
/** RFC 7230 token characters: what a header name may be made of. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** "Rules are applied only to visible ASCII characters; excluding control characters." */
const VISIBLE_ASCII = /^[\x20-\x7e]*$/;
/** RFC 3986 query characters, `%` escapes included, plus `\` for escaping wildcards. */
const QUERY_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%\\]*$/;

function isField(f: string): f is ConditionField {
  return (CONDITION_FIELDS as readonly string[]).includes(f);
}

function checkLength(field: string, value: string, limit: number, what = `'${field}' value`): void {
  if (value.length > limit) throw validation(`The ${what} is too long; the limit is '${limit}'`);
}

function checkPattern(field: 'path-pattern' | 'host-header', value: string): void {
  if (value === '') throw validation('A condition value must be specified');
  checkLength(field, value, MAX_VALUE_LENGTH);
  if (field === 'path-pattern') {
    if (!PATH_CHARS.test(value)) {
      throw validation(`The 'path-pattern' value '${value}' contains characters that are not valid; allowed are A-Z, a-z, 0-9, _ - . $ / ~ " ' @ : + & * ?`);
    }
    return;
  }
  if (!HOST_CHARS.test(value)) {
    throw validation(`The 'host-header' value '${value}' contains characters that are not valid; allowed are A-Z, a-z, 0-9, - . * ?`);
  }
  // HostHeaderConditionConfig: at least one ".", and only letters after the last one.
  const dot = value.lastIndexOf('.');
  if (dot < 0 || !/^[A-Za-z]+$/.test(value.slice(dot + 1))) {
    throw validation(`The 'host-header' value '${value}' must include at least one '.' character and only alphabetical characters after the final '.'`);
  }
}

/** The values of one condition, checked; returns how many values and wildcards it uses. */
function checkCondition(c: RuleCondition, i: number, seen: Set<ConditionField>): { values: number; wildcards: number } {
  const at = `Conditions[${i}]`;
  if (c.Field === undefined) throw validation(`A condition field must be specified (${at}.Field)`);
  const field = c.Field;
  if (!isField(field)) throw validation(`Condition field '${field}' must be one of '[${CONDITION_FIELDS.join(',')}]'`);
  for (const key of CONFIG_KEYS) {
    if (key !== CONFIG_OF[field] && c[key] !== undefined) throw validation(`The '${key}' field is not compatible with '${field}'`);
  }
  if (c.RegexValues !== undefined || hasRegexValues(c)) {
    throw validation(`berth does not support 'RegexValues' in rule conditions (${at}); use 'Values' with the * and ? wildcards`);
  }
  if (ONCE_PER_RULE.has(field)) {
    if (seen.has(field)) throw validation(`A rule can only have one '${field}' condition`);
    seen.add(field);
  }

  switch (field) {
    case 'path-pattern':
    case 'host-header': {
      const config = field === 'path-pattern' ? c.PathPatternConfig : c.HostHeaderConfig;
      const configName = CONFIG_OF[field];
      if (c.Values !== undefined && config !== undefined) {
        throw validation(`You cannot provide both Values and '${configName}' for a condition of type '${field}'`);
      }
      const values = config ? config.Values : c.Values;
      if (!config && values && values.length > 1) throw validation(`The '${field}' field contains too many values; the limit is '1'`);
      if (!values?.length) throw validation('A condition value must be specified');
      let wildcards = 0;
      for (const v of values) {
        checkPattern(field, v);
        wildcards += wildcardCount(v, false);
      }
      return { values: values.length, wildcards };
    }
    case 'http-header': {
      if (c.Values !== undefined) throw validation(`The 'Values' field is not compatible with '${field}'`);
      const config = c.HttpHeaderConfig;
      if (!config) throw validation(`A 'HttpHeaderConfig' must be specified with 'http-header'`);
      const name = config.HttpHeaderName;
      if (!name) throw validation(`A 'HttpHeaderName' must be specified in 'HttpHeaderConfig'`);
      checkLength(field, name, MAX_HEADER_NAME_LENGTH, `'HttpHeaderName' value`);
      if (!HEADER_NAME.test(name)) throw validation(`The 'HttpHeaderName' value '${name}' is not a valid HTTP header name`);
      if (name.toLowerCase() === 'host') throw validation(`You cannot use an 'http-header' condition for the host header; use a 'host-header' condition`);
      const values = config.Values;
      if (!values?.length) throw validation('A condition value must be specified');
      let wildcards = 0;
      for (const v of values) {
        if (v === '') throw validation('A condition value must be specified');
        checkLength(field, v, MAX_VALUE_LENGTH);
        if (!VISIBLE_ASCII.test(v)) throw validation(`The 'http-header' value '${v}' may contain only visible ASCII characters`);
        wildcards += wildcardCount(v, false);
      }
      return { values: values.length, wildcards };
    }
    case 'http-request-method': {
      if (c.Values !== undefined) throw validation(`The 'Values' field is not compatible with '${field}'`);
      const config = c.HttpRequestMethodConfig;
      if (!config) throw validation(`A 'HttpRequestMethodConfig' must be specified with 'http-request-method'`);
      const values = config.Values;
      if (!values?.length) throw validation('A condition value must be specified');
      for (const v of values) {
        checkLength(field, v, MAX_METHOD_LENGTH);
        if (!METHOD_CHARS.test(v)) {
          throw validation(`The 'http-request-method' value is invalid; the allowed characters are A-Z, hyphen and underscore`);
        }
      }
      return { values: values.length, wildcards: 0 };
    }
    case 'query-string': {
      if (c.Values !== undefined) throw validation(`The 'Values' field is not compatible with '${field}'`);
      const config = c.QueryStringConfig;
      if (!config) throw validation(`A 'QueryStringConfig' must be specified with 'query-string'`);
      const values = config.Values;
      if (!values?.length) throw validation('A condition value must be specified');
      let wildcards = 0;
      for (const kv of values) {
        if (kv.Value === undefined || kv.Value === '') throw validation(`A 'Value' must be specified in 'QueryStringKeyValuePair'`);
        for (const [part, text] of [['Key', kv.Key], ['Value', kv.Value]] as const) {
          if (text === undefined) continue;
          if (part === 'Key' && text === '') throw validation(`The 'Key' value in 'QueryStringKeyValuePair' cannot be empty; leave it out to match any key`);
          checkLength(field, text, MAX_VALUE_LENGTH, `'${part}' value`);
          if (!QUERY_CHARS.test(text)) throw validation(`The 'query-string' ${part} '${text}' contains characters that are not valid in a query string (RFC 3986)`);
          wildcards += wildcardCount(text, true);
        }
      }
      return { values: values.length, wildcards };
    }
    case 'source-ip': {
      if (c.Values !== undefined) throw validation(`The 'Values' field is not compatible with '${field}'`);
      const config = c.SourceIpConfig;
      if (!config) throw validation(`A 'SourceIpConfig' must be specified with 'source-ip'`);
      const values = config.Values;
      if (!values?.length) throw validation(`A 'source-ip' value must be specified`);
      for (const v of values) {
        if (!parseCidr(v)) throw validation(`The 'source-ip' value '${v}' is not a valid CIDR block`);
      }
      return { values: values.length, wildcards: 0 };
    }
  }
}

function hasRegexValues(c: RuleCondition): boolean {
  return (
    c.HostHeaderConfig?.RegexValues !== undefined ||
    c.PathPatternConfig?.RegexValues !== undefined ||
    c.HttpHeaderConfig?.RegexValues !== undefined
  );
}

/**
 * The conditions of a non-default rule: at least one; at most one each of
 * path-pattern, host-header, http-request-method and source-ip; at most 5
 * condition values and 5 wildcards in the whole rule.
 */
export function validateConditions(conditions: RuleCondition[] | undefined): void {
  if (conditions === undefined) throw constraint('null', 'conditions', 'not be null');
  if (conditions.length === 0) throw validation('A rule must have at least one condition');
  const seen = new Set<ConditionField>();
  let values = 0;
  let wildcards = 0;
  conditions.forEach((c, i) => {
    const used = checkCondition(c, i, seen);
    values += used.values;
    wildcards += used.wildcards;
  });
  if (values > MAX_CONDITION_VALUES) throw validation(`A rule can only have '${MAX_CONDITION_VALUES}' condition values`);
  if (wildcards > MAX_CONDITION_WILDCARDS) throw validation(`A rule can only have '${MAX_CONDITION_WILDCARDS}' wildcards`);
}

// ---- actions ----------------------------------------------------------------

export const MAX_ACTION_ORDER = 50_000;
/** ALB quota "Target Groups per Action per Application Load Balancer". */
export const MAX_TARGET_GROUPS_PER_ACTION = 5;
const MAX_WEIGHT = 999;
const MAX_STICKINESS_SECONDS = 604_800;
const MAX_MESSAGE_BODY = 1024;

const ACTION_TYPES = ['forward', 'authenticate-oidc', 'authenticate-cognito', 'redirect', 'fixed-response', 'jwt-validation'];
const ROUTING_ACTIONS = new Set(['forward', 'redirect', 'fixed-response']);
const AUTHENTICATING_ACTIONS = new Set(['authenticate-oidc', 'authenticate-cognito', 'jwt-validation']);
const CONTENT_TYPES = ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'];

/** The member each action type takes its settings from; the others must be absent. */
const CONFIG_BY_TYPE: Record<string, keyof Action> = {
  redirect: 'RedirectConfig',
  'fixed-response': 'FixedResponseConfig',
};
const ACTION_CONFIG_KEYS = [
  'TargetGroupArn',
  'ForwardConfig',
  'RedirectConfig',
  'FixedResponseConfig',
  'AuthenticateOidcConfig',
  'AuthenticateCognitoConfig',
  'JwtValidationConfig',
] as const;

export interface ActionContext {
  /** The listener's protocol: HTTP or HTTPS for an ALB; TCP, TLS, UDP or TCP_UDP for an NLB. */
  listenerProtocol: string;
  loadBalancerType: 'application' | 'network';
  /** The listener's port; with it a redirect to the very same port is seen as a loop. */
  listenerPort?: number;
  /** The request member the actions came in, for messages: `actions` (rules) or `defaultActions` (listeners). */
  member?: 'actions' | 'defaultActions';
}

function checkForward(a: Action, at: string): void {
  const groups = a.ForwardConfig?.TargetGroups;
  if (a.TargetGroupArn === undefined && !groups?.length) {
    throw invalidAction(`For actions of type 'forward', you must specify the following fields: 'TargetGroupArn' or 'ForwardConfig'`);
  }
  if (a.TargetGroupArn !== undefined && groups?.length) {
    if (groups.length !== 1 || groups[0]!.TargetGroupArn !== a.TargetGroupArn) {
      throw invalidAction(
        `When you specify both 'TargetGroupArn' and 'ForwardConfig', 'ForwardConfig' can name only one target group, the same as 'TargetGroupArn'`,
      );
    }
  }
  if (groups) {
    if (groups.length > MAX_TARGET_GROUPS_PER_ACTION) {
      throw validation(`You cannot specify more than '${MAX_TARGET_GROUPS_PER_ACTION}' target groups in a forward action`);
    }
    const arns = new Set<string>();
    groups.forEach((g, j) => {
      if (!g.TargetGroupArn) throw validation(`A target group ARN must be specified (${at}.forwardConfig.targetGroups.${j + 1}.member.targetGroupArn)`);
      if (arns.has(g.TargetGroupArn)) throw validation(`Target group '${g.TargetGroupArn}' is specified more than once in the forward action`);
      arns.add(g.TargetGroupArn);
      if (g.Weight !== undefined && (!Number.isInteger(g.Weight) || g.Weight < 0 || g.Weight > MAX_WEIGHT)) {
        throw validation(`The weight for each target group must be between 0 and ${MAX_WEIGHT}, inclusive`);
      }
    });
  }
  const sticky = a.ForwardConfig?.TargetGroupStickinessConfig;
  if (sticky) {
    const d = sticky.DurationSeconds;
    // AWS rejects an out-of-range duration even with stickiness disabled, and requires one when it is enabled.
    if ((d !== undefined && (!Number.isInteger(d) || d < 1 || d > MAX_STICKINESS_SECONDS)) || (sticky.Enabled && d === undefined)) {
      throw validation(`Target group stickiness duration must be between 1 and ${MAX_STICKINESS_SECONDS} seconds`);
    }
  }
}

const REDIRECT_PROTOCOL = /^(HTTPS?|#\{protocol\})$/;

function checkRedirect(a: Action, at: string, ctx: ActionContext): void {
  const r = a.RedirectConfig!;
  if (r.StatusCode !== 'HTTP_301' && r.StatusCode !== 'HTTP_302') {
    throw constraint(r.StatusCode ?? 'null', `${at}.redirectConfig.statusCode`, r.StatusCode === undefined ? 'not be null' : 'satisfy enum value set: [HTTP_301, HTTP_302]');
  }
  if (r.Protocol !== undefined && !REDIRECT_PROTOCOL.test(r.Protocol)) {
    throw constraint(r.Protocol, `${at}.redirectConfig.protocol`, `satisfy regular expression pattern: ${REDIRECT_PROTOCOL.source}`);
  }
  if (r.Port !== undefined && r.Port !== '#{port}') {
    const port = /^[0-9]{1,5}$/.test(r.Port) ? Number(r.Port) : NaN;
    if (!(port >= 1 && port <= 65535)) throw validation(`The redirect port '${r.Port}' must be a number from 1 to 65535, or '#{port}'`);
  }
  for (const [name, value, min] of [['host', r.Host, 1], ['path', r.Path, 1], ['query', r.Query, 0]] as const) {
    if (value === undefined) continue;
    if (value.length < min) throw constraint(value, `${at}.redirectConfig.${name}`, `have length greater than or equal to ${min}`);
    if (value.length > MAX_VALUE_LENGTH) throw constraint(value, `${at}.redirectConfig.${name}`, `have length less than or equal to ${MAX_VALUE_LENGTH}`);
  }
  if (r.Path !== undefined && !r.Path.startsWith('/')) throw validation(`The redirect path '${r.Path}' must start with a '/'`);
  if (ctx.listenerProtocol === 'HTTPS' && r.Protocol === 'HTTP') throw invalidAction('You cannot redirect HTTPS to HTTP');

  // The Location equals the request's URL when no component changes.
  const same = (v: string | undefined, keyword: string, literal?: string) => v === undefined || v === keyword || (literal !== undefined && v === literal);
  if (
    same(r.Protocol, '#{protocol}', ctx.listenerProtocol) &&
    same(r.Host, '#{host}') &&
    same(r.Port, '#{port}', ctx.listenerPort === undefined ? undefined : String(ctx.listenerPort)) &&
    same(r.Path, '/#{path}') &&
    same(r.Query, '#{query}')
  ) {
    throw invalidAction('The redirect configuration is not valid because it creates a loop.');
  }
}

function checkFixedResponse(a: Action, at: string): void {
  const f = a.FixedResponseConfig!;
  if (f.StatusCode === undefined) throw constraint('null', `${at}.fixedResponseConfig.statusCode`, 'not be null');
  if (!/^(2|4|5)\d\d$/.test(f.StatusCode)) {
    throw constraint(f.StatusCode, `${at}.fixedResponseConfig.statusCode`, 'satisfy regular expression pattern: ^(2|4|5)\\d\\d$');
  }
  if (f.ContentType !== undefined && !CONTENT_TYPES.includes(f.ContentType)) {
    throw invalidAction(`The ContentType must be one of:'text/html', 'application/json', 'application/javascript', 'text/css', 'text/plain'`);
  }
  if (f.MessageBody !== undefined && f.MessageBody.length > MAX_MESSAGE_BODY) {
    throw constraint(f.MessageBody, `${at}.fixedResponseConfig.messageBody`, `have length less than or equal to ${MAX_MESSAGE_BODY}`);
  }
}

/**
 * The actions of a rule or of a listener's default rule, structurally:
 * exactly one routing action (forward, redirect or fixed-response), last by
 * Order; Order values unique and 1–50000; each action's settings complete and
 * consistent. Network Load Balancers accept forward only. berth has no
 * identity provider integration, so authenticate-* and jwt-validation are
 * refused.
 */
export function validateActions(actions: Action[] | undefined, ctx: ActionContext): void {
  const member = ctx.member ?? 'actions';
  if (actions === undefined) throw constraint('null', member, 'not be null');
  if (actions.length === 0) throw validation('At least one action must be specified');

  const orders = new Set<number>();
  actions.forEach((a, i) => {
    const at = `${member}.${i + 1}.member`;
    const type = a.Type;
    if (type === undefined) throw constraint('null', `${at}.type`, 'not be null');
    if (!ACTION_TYPES.includes(type)) throw constraint(type, `${at}.type`, `satisfy enum value set: [${ACTION_TYPES.join(', ')}]`);
    if (AUTHENTICATING_ACTIONS.has(type)) throw invalidAction(`berth does not support actions of type '${type}'`);
    if (ctx.loadBalancerType === 'network' && type !== 'forward') {
      throw invalidAction(`Action type '${type}' is not supported by Network Load Balancers; the only supported action type is 'forward'`);
    }
    if (a.Order !== undefined) {
      if (!Number.isInteger(a.Order) || a.Order < 1) throw constraint(a.Order, `${at}.order`, 'have value greater than or equal to 1');
      if (a.Order > MAX_ACTION_ORDER) throw constraint(a.Order, `${at}.order`, `have value less than or equal to ${MAX_ACTION_ORDER}`);
      if (orders.has(a.Order)) throw validation(`Action order '${a.Order}' is used by more than one action; each action needs its own order`);
      orders.add(a.Order);
    } else if (actions.length > 1) {
      throw validation(`An action order must be specified for each action when a rule has more than one action (${at}.order)`);
    }

    // Each type takes its own settings and no other's.
    const own: readonly string[] = type === 'forward' ? ['TargetGroupArn', 'ForwardConfig'] : [CONFIG_BY_TYPE[type]!];
    const foreign = ACTION_CONFIG_KEYS.filter((k) => !own.includes(k) && a[k] !== undefined);
    if (foreign.length) throw invalidAction(`For actions of type '${type}', you cannot specify the following fields: ${foreign.map((k) => `'${k}'`).join(', ')}`);
    if (type !== 'forward' && a[CONFIG_BY_TYPE[type]!] === undefined) {
      throw invalidAction(`For actions of type '${type}', you must specify the following fields: '${CONFIG_BY_TYPE[type]!}'`);
    }

    if (type === 'forward') checkForward(a, at);
    else if (type === 'redirect') checkRedirect(a, at, ctx);
    else checkFixedResponse(a, at);
  });

  const routing = actions.filter((a) => ROUTING_ACTIONS.has(a.Type!));
  if (routing.length !== 1) {
    throw invalidAction(`A rule must include exactly one of the following routing actions: 'forward', 'redirect' or 'fixed-response'; found ${routing.length}`);
  }
  // Without Order the list's own order counts (a single action needs none).
  const last = actions.reduce((l, a) => ((a.Order ?? 0) > (l.Order ?? 0) ? a : l), actions[actions.length - 1]!);
  if (!ROUTING_ACTIONS.has(last.Type!)) {
    throw invalidAction(`The '${routing[0]!.Type}' action must be the last action to be performed (it must have the highest order)`);
  }
}
