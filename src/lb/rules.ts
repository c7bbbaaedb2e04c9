import type { IncomingHttpHeaders } from 'node:http';
import type { Action, RedirectActionConfig, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RuleConfig } from './config.js';
import { caselessPattern, cidrContains, hostnameOf, parseCidr, parseIp, pathPattern, queryPattern, type CidrBlock, type IpAddress, type Matcher } from './patterns.js';

// Listener rules, evaluated as an Application Load Balancer does: the rules
// of a listener in priority order, the first whose conditions all hold wins
// (values within one condition are alternatives), the default rule last.
// Pure: the proxy hands in what it knows of a request and gets back a rule,
// a redirect Location or a target group. Rules are compiled once per
// RuleConfig object (configurations are immutable values; a new
// configuration brings new objects), then cost no allocation per request
// beyond the few request facts a condition asks for.

/** What the proxy knows of a request. */
export interface RequestFacts {
  method: string;
  /** The Host header (with its port, if any). */
  host: string | undefined;
  /** The path as received, without the query string. */
  path: string;
  /** The raw query string, without the `?`. */
  query: string;
  headers: IncomingHttpHeaders;
  /** The client's address as the socket reports it (IPv4-mapped IPv6 is fine). */
  sourceIp: string;
  /**
   * The request's raw headers (IncomingMessage.rawHeaders), when available:
   * ALB compares each occurrence of a repeated header on its own, which
   * `headers` (where Node joins repeats with ", ") cannot show exactly.
   */
  rawHeaders?: readonly string[];
}

/** Facts derived from the request at most once, and only when a condition asks. */
class RequestView {
  readonly req: RequestFacts;
  #hostname: string | undefined;
  #query: readonly QueryPair[] | undefined;
  #ip: IpAddress | null | undefined;

  constructor(req: RequestFacts) {
    this.req = req;
  }

  get hostname(): string {
    return (this.#hostname ??= this.req.host === undefined ? '' : hostnameOf(this.req.host));
  }

  get queryPairs(): readonly QueryPair[] {
    return (this.#query ??= parseQuery(this.req.query));
  }

  get sourceIp(): IpAddress | null {
    if (this.#ip === undefined) this.#ip = parseIp(this.req.sourceIp) ?? null;
    return this.#ip;
  }
}

interface QueryPair {
  key: string;
  value: string;
  /** Percent-decoded forms, when they differ from the raw ones. */
  decodedKey?: string;
  decodedValue?: string;
}

function decode(s: string): string | undefined {
  if (!s.includes('%')) return undefined;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** `a=1&b&c=` → (a,1) (b,'') (c,''); empty segments are skipped. */
function parseQuery(query: string): QueryPair[] {
  const pairs: QueryPair[] = [];
  let start = 0;
  const end = query.indexOf('#') < 0 ? query.length : query.indexOf('#');
  while (start < end) {
    let amp = query.indexOf('&', start);
    if (amp < 0 || amp > end) amp = end;
    if (amp > start) {
      const eq = query.indexOf('=', start);
      const hasValue = eq >= 0 && eq < amp;
      const pair: QueryPair = { key: query.slice(start, hasValue ? eq : amp), value: hasValue ? query.slice(eq + 1, amp) : '' };
      // AWS says any query character may be percent-encoded but not whether
      // conditions see the raw or the decoded text: a pair matches in either form.
      const dk = decode(pair.key);
      const dv = decode(pair.value);
      if (dk !== undefined) pair.decodedKey = dk;
      if (dv !== undefined) pair.decodedValue = dv;
      pairs.push(pair);
    }
    start = amp + 1;
  }
  return pairs;
}

type Test = (view: RequestView) => boolean;

const NEVER: Test = () => false;
const ALWAYS: Test = () => true;

function anyMatch(matchers: readonly Matcher[], subject: string): boolean {
  for (let i = 0; i < matchers.length; i++) if (matchers[i]!(subject)) return true;
  return false;
}

function headerMatches(view: RequestView, name: string, matchers: readonly Matcher[]): boolean {
  const raw = view.req.rawHeaders;
  if (raw) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const k = raw[i]!;
      if (k.length === name.length && k.toLowerCase() === name && anyMatch(matchers, raw[i + 1]!)) return true;
    }
    return false;
  }
  const value = view.req.headers[name];
  if (value === undefined) return false;
  if (Array.isArray(value)) {
    for (const v of value) if (anyMatch(matchers, v)) return true;
    return false;
  }
  if (anyMatch(matchers, value)) return true;
  // Node joins a repeated header with ", "; try each occurrence as ALB would.
  if (!value.includes(', ')) return false;
  for (const part of value.split(', ')) if (anyMatch(matchers, part)) return true;
  return false;
}

const FIELD_BY_CONFIG = {
  HostHeaderConfig: 'host-header',
  PathPatternConfig: 'path-pattern',
  HttpHeaderConfig: 'http-header',
  QueryStringConfig: 'query-string',
  HttpRequestMethodConfig: 'http-request-method',
  SourceIpConfig: 'source-ip',
} as const;

function fieldOf(c: RuleCondition): string | undefined {
  if (c.Field !== undefined) return c.Field;
  for (const [key, field] of Object.entries(FIELD_BY_CONFIG)) if (c[key as keyof typeof FIELD_BY_CONFIG] !== undefined) return field;
  return undefined;
}

// Cheap tests first: a rule fails on its first false condition.
const COST: Record<string, number> = {
  'http-request-method': 0,
  'path-pattern': 1,
  'host-header': 2,
  'source-ip': 3,
  'http-header': 4,
  'query-string': 5,
};

/**
 * One condition as a test. The control plane has validated it; anything it
 * should have refused (an unknown field, no values) never matches, so a bad
 * configuration sends requests to the default rule rather than everywhere.
 */
function compileCondition(c: RuleCondition): Test {
  switch (fieldOf(c)) {
    case 'path-pattern': {
      const ms = (c.PathPatternConfig?.Values ?? c.Values ?? []).map(pathPattern);
      return ms.length ? (v) => anyMatch(ms, v.req.path) : NEVER;
    }
    case 'host-header': {
      const ms = (c.HostHeaderConfig?.Values ?? c.Values ?? []).map(caselessPattern);
      return ms.length ? (v) => anyMatch(ms, v.hostname) : NEVER;
    }
    case 'http-header': {
      const name = c.HttpHeaderConfig?.HttpHeaderName?.toLowerCase();
      const ms = (c.HttpHeaderConfig?.Values ?? []).map(caselessPattern);
      return name && ms.length ? (v) => headerMatches(v, name, ms) : NEVER;
    }
    case 'http-request-method': {
      const methods = new Set(c.HttpRequestMethodConfig?.Values ?? []);
      return methods.size ? (v) => methods.has(v.req.method) : NEVER;
    }
    case 'query-string': {
      const wanted = (c.QueryStringConfig?.Values ?? []).map((kv) => ({
        key: kv.Key === undefined ? undefined : queryPattern(kv.Key),
        value: queryPattern(kv.Value ?? ''),
      }));
      if (!wanted.length) return NEVER;
      return (v) => {
        const pairs = v.queryPairs;
        for (let i = 0; i < pairs.length; i++) {
          const p = pairs[i]!;
          for (let j = 0; j < wanted.length; j++) {
            const w = wanted[j]!;
            const keyOk = !w.key || w.key(p.key) || (p.decodedKey !== undefined && w.key(p.decodedKey));
            if (keyOk && (w.value(p.value) || (p.decodedValue !== undefined && w.value(p.decodedValue)))) return true;
          }
        }
        return false;
      };
    }
    case 'source-ip': {
      const blocks = (c.SourceIpConfig?.Values ?? []).map(parseCidr).filter((b): b is CidrBlock => b !== undefined);
      if (!blocks.length) return NEVER;
      return (v) => {
        const ip = v.sourceIp;
        if (!ip) return false;
        for (let i = 0; i < blocks.length; i++) if (cidrContains(blocks[i]!, ip)) return true;
        return false;
      };
    }
    default:
      return NEVER;
  }
}

function compileRule(rule: RuleConfig): Test {
  if (rule.priority === 'default' || rule.conditions.length === 0) return ALWAYS;
  const tests = rule.conditions
    .map((c) => ({ cost: COST[fieldOf(c) ?? ''] ?? 9, test: compileCondition(c) }))
    .sort((a, b) => a.cost - b.cost)
    .map((t) => t.test);
  if (tests.length === 1) return tests[0]!;
  return (v) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(v)) return false;
    return true;
  };
}

const compiled = new WeakMap<RuleConfig, Test>();

function testOf(rule: RuleConfig): Test {
  let t = compiled.get(rule);
  if (!t) {
    t = compileRule(rule);
    compiled.set(rule, t);
  }
  return t;
}

/** True when every condition of the rule holds for the request (the default rule always matches). */
export function ruleMatches(rule: RuleConfig, req: RequestFacts): boolean {
  return testOf(rule)(new RequestView(req));
}

/** rules are sorted by priority with the default rule last; returns the first match (the default rule always matches). */
export function selectRule(rules: readonly RuleConfig[], req: RequestFacts): RuleConfig {
  const view = new RequestView(req);
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (testOf(rule)(view)) return rule;
  }
  // Every listener has a default rule; its absence is a bug upstream, not a request to refuse quietly.
  throw new Error('listener has no default rule');
}

const KEYWORD = /#\{(protocol|host|port|path|query)\}/g;

/**
 * The Location of a redirect action per RedirectActionConfig: #{protocol},
 * #{host}, #{port}, #{path} (without its leading "/") and #{query} take the
 * request's values, and a component left out keeps the request's value.
 * The port is always written, as ALB does (`https://example.com:443/`).
 */
export function redirectTarget(
  config: RedirectActionConfig,
  req: RequestFacts & { protocol: 'http' | 'https'; port: number },
): { status: number; location: string } {
  const values: Record<string, string> = {
    protocol: req.protocol,
    host: req.host === undefined ? '' : hostnameOf(req.host),
    port: String(req.port),
    path: req.path.startsWith('/') ? req.path.slice(1) : req.path,
    query: req.query,
  };
  const fill = (template: string) => template.replace(KEYWORD, (_, k: string) => values[k]!);
  const protocol = fill(config.Protocol ?? '#{protocol}').toLowerCase();
  const host = fill(config.Host ?? '#{host}');
  const port = fill(config.Port ?? '#{port}');
  const path = fill(config.Path ?? '/#{path}');
  const query = fill(config.Query ?? '#{query}');
  return {
    status: config.StatusCode === 'HTTP_301' ? 301 : 302,
    location: `${protocol}://${host}:${port}${path}${query ? `?${query}` : ''}`,
  };
}

/**
 * Weighted choice among a forward action's target groups (TargetGroupArn
 * alone, or a tuple without a weight, weighs 1); random() in [0, 1) is
 * injected. `stuckTo` is the group a client is bound to by target group
 * stickiness: kept while the action still sends it traffic. Undefined when
 * the action forwards nowhere (not a forward, or every weight is 0: ALB
 * answers 503 then).
 */
export function chooseTargetGroup(action: Action, random: () => number, stuckTo?: string): string | undefined {
  if (action.Type !== 'forward') return undefined;
  const groups = action.ForwardConfig?.TargetGroups;
  if (!groups?.length) return action.TargetGroupArn;
  let total = 0;
  for (const g of groups) {
    const w = g.Weight ?? 1;
    if (w > 0 && g.TargetGroupArn !== undefined) {
      if (g.TargetGroupArn === stuckTo) return stuckTo;
      total += w;
    }
  }
  if (total <= 0) return undefined;
  let r = random() * total;
  let last: string | undefined;
  for (const g of groups) {
    const w = g.Weight ?? 1;
    if (w <= 0 || g.TargetGroupArn === undefined) continue;
    if (r < w) return g.TargetGroupArn;
    r -= w;
    last = g.TargetGroupArn;
  }
  return last; // random() * total rounded up to total
}

/** The forward action's target group stickiness, in seconds, when enabled. */
export function groupStickinessSeconds(action: Action): number | undefined {
  const s = action.ForwardConfig?.TargetGroupStickinessConfig;
  return s?.Enabled ? s.DurationSeconds : undefined;
}
