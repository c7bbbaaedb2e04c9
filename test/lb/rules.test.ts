import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Action, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { RuleConfig } from '../../src/lb/config.js';
import { caselessPattern, cidrContains, hostnameOf, parseCidr, parseIp, pathPattern, queryPattern } from '../../src/lb/patterns.js';
import { chooseTargetGroup, groupStickinessSeconds, redirectTarget, ruleMatches, selectRule, type RequestFacts } from '../../src/lb/rules.js';

function request(over: Partial<RequestFacts> = {}): RequestFacts {
  return { method: 'GET', host: 'www.example.com', path: '/', query: '', headers: {}, sourceIp: '192.0.2.10', ...over };
}

let seq = 0;
function rule(conditions: RuleCondition[], priority: number | 'default' = ++seq): RuleConfig {
  return { arn: `arn:rule/${priority}/${++seq}`, priority, conditions, actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }] };
}

const matches = (c: RuleCondition, over: Partial<RequestFacts>) => ruleMatches(rule([c]), request(over));

// ---- patterns --------------------------------------------------------------

test('wildcards: * is zero or more characters, ? exactly one', () => {
  const cases: [string, string, boolean][] = [
    ['/img/*', '/img/', true],
    ['/img/*', '/img/a/b.png', true],
    ['/img/*', '/im', false],
    ['*.jpg', '/a/b.jpg', true],
    ['*.jpg', '/a/b.jpgx', false],
    ['/a?c', '/abc', true],
    ['/a?c', '/ac', false],
    ['/a?c', '/abbc', false],
    ['/*/x/*', '/a/x/b', true],
    ['/*/x/*', '/a/y/b', false],
    ['*api-v1*', '/users/api-v1/john', true],
    ['/a*b*c', '/a-b-b-c', true],
    ['/a*b*c', '/a-b-b-', false],
    ['*', '', true],
    ['**', 'anything', true],
    ['/exact', '/exact', true],
    ['/exact', '/exact/', false],
    ['/Case', '/case', false],
  ];
  for (const [pattern, subject, expected] of cases) assert.equal(pathPattern(pattern)(subject), expected, `${pattern} vs ${subject}`);
});

test('caseless patterns fold ASCII case only', () => {
  assert.equal(caselessPattern('*.Example.COM')('API.example.com'), true);
  assert.equal(caselessPattern('www.example.com')('WWW.EXAMPLE.COM'), true);
  assert.equal(caselessPattern('a?c')('ABC'), true);
  assert.equal(caselessPattern('é')('É'), false);
});

test('query patterns treat \\* and \\? as literal characters', () => {
  assert.equal(queryPattern('a\\*b')('a*b'), true);
  assert.equal(queryPattern('a\\*b')('axxb'), false);
  assert.equal(queryPattern('a\\?')('a?'), true);
  assert.equal(queryPattern('a\\?')('ab'), false);
  assert.equal(queryPattern('a*')('AB'), true);
});

test('hostnameOf strips the port, keeping IPv6 brackets', () => {
  assert.equal(hostnameOf('example.com'), 'example.com');
  assert.equal(hostnameOf('example.com:8080'), 'example.com');
  assert.equal(hostnameOf('[::1]:80'), '[::1]');
  assert.equal(hostnameOf('[::1]'), '[::1]');
});

test('CIDR parsing and containment, IPv4, IPv6 and IPv4-mapped IPv6', () => {
  const inside = (cidr: string, ip: string) => cidrContains(parseCidr(cidr)!, parseIp(ip)!);
  assert.equal(inside('10.0.0.0/8', '10.1.2.3'), true);
  assert.equal(inside('10.0.0.0/8', '11.1.2.3'), false);
  assert.equal(inside('192.0.2.10/32', '192.0.2.10'), true);
  assert.equal(inside('192.0.2.10/32', '192.0.2.11'), false);
  assert.equal(inside('0.0.0.0/0', '203.0.113.9'), true);
  assert.equal(inside('127.0.0.0/8', '::ffff:127.0.0.1'), true);
  assert.equal(inside('::ffff:127.0.0.0/104', '127.9.9.9'), true);
  assert.equal(inside('2001:db8::/32', '2001:db8:1::5'), true);
  assert.equal(inside('2001:db8::/32', '2001:db9::5'), false);
  assert.equal(inside('::1/128', '::1'), true);
  assert.equal(inside('fe80::/10', 'fe80::1%eth0'), true);
  assert.equal(inside('::/0', '10.0.0.1'), false, 'an IPv4 client is not in an IPv6 block');
  assert.equal(inside('2001:db8::/33', '2001:db8:8000::1'), false);
  assert.equal(inside('2001:db8::/33', '2001:db8:7fff::1'), true);
  for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0/8', '010.0.0.0/8', '256.0.0.0/8', '::g/64', '1::2::3/64', '::/129', '10.0.0.0/08', 'a/b']) {
    assert.equal(parseCidr(bad), undefined, bad);
  }
  assert.equal(parseIp('1:2:3:4:5:6:7:8:9'), undefined);
  assert.deepEqual(parseIp('::'), [0, 0, 0, 0]);
});

// ---- conditions ------------------------------------------------------------

test('path-pattern: case-sensitive, path only, legacy and config forms', () => {
  assert.equal(matches({ Field: 'path-pattern', Values: ['/api/*'] }, { path: '/api/users', query: 'x=1' }), true);
  assert.equal(matches({ Field: 'path-pattern', Values: ['/api/*'] }, { path: '/API/users' }), false);
  assert.equal(matches({ Field: 'path-pattern', Values: ['*x=1'] }, { path: '/a', query: 'x=1' }), false, 'the query string is not part of the path');
  const config: RuleCondition = { Field: 'path-pattern', PathPatternConfig: { Values: ['/a', '/b/*'] } };
  assert.equal(matches(config, { path: '/a' }), true);
  assert.equal(matches(config, { path: '/b/c' }), true);
  assert.equal(matches(config, { path: '/c' }), false);
});

test('host-header: case-insensitive, port ignored', () => {
  const c: RuleCondition = { Field: 'host-header', HostHeaderConfig: { Values: ['*.example.com'] } };
  assert.equal(matches(c, { host: 'API.Example.com:8443' }), true);
  assert.equal(matches(c, { host: 'example.com' }), false);
  assert.equal(matches(c, { host: undefined }), false);
  assert.equal(matches({ Field: 'host-header', Values: ['www.example.com'] }, { host: 'WWW.example.com' }), true);
});

test('http-header: name and values case-insensitive, repeated headers each tried', () => {
  const c: RuleCondition = { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'User-Agent', Values: ['*Mobile*', 'curl/?.*'] } };
  assert.equal(matches(c, { headers: { 'user-agent': 'Foo MOBILE Safari' } }), true);
  assert.equal(matches(c, { headers: { 'user-agent': 'curl/8.5.0' } }), true);
  assert.equal(matches(c, { headers: { 'user-agent': 'Firefox' } }), false);
  assert.equal(matches(c, { headers: {} }), false);
  const xf: RuleCondition = { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-env', Values: ['beta'] } };
  assert.equal(matches(xf, { headers: { 'x-env': 'prod, beta' } }), true, 'Node joins repeats with ", "');
  assert.equal(matches(xf, { headers: { 'x-env': 'prod' }, rawHeaders: ['X-Env', 'prod', 'X-ENV', 'BETA'] }), true);
  assert.equal(matches(xf, { headers: {}, rawHeaders: ['X-Env', 'prod, beta'] }), false, 'with raw headers each occurrence is compared whole');
  const cookie: RuleCondition = { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'set-cookie', Values: ['b=*'] } };
  assert.equal(matches(cookie, { headers: { 'set-cookie': ['a=1', 'b=2'] } }), true);
});

test('http-request-method: exact and case-sensitive', () => {
  const c: RuleCondition = { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET', 'HEAD'] } };
  assert.equal(matches(c, { method: 'GET' }), true);
  assert.equal(matches(c, { method: 'HEAD' }), true);
  assert.equal(matches(c, { method: 'get' }), false);
  assert.equal(matches(c, { method: 'POST' }), false);
});

test('query-string: key optional, case-insensitive, wildcards, percent-encoding', () => {
  const c: RuleCondition = { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'version', Value: 'v1' }, { Value: '*example*' }] } };
  assert.equal(matches(c, { query: 'version=v1' }), true);
  assert.equal(matches(c, { query: 'a=b&VERSION=V1' }), true);
  assert.equal(matches(c, { query: 'version=v2' }), false);
  assert.equal(matches(c, { query: 'q=an-Example-here' }), true, 'a value without a key matches any key');
  assert.equal(matches(c, { query: 'version' }), false);
  assert.equal(matches(c, { query: '' }), false);
  const spaced: RuleCondition = { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'name', Value: 'a b' }] } };
  assert.equal(matches(spaced, { query: 'name=a%20b' }), true);
  assert.equal(matches(spaced, { query: 'name=a%2' }), false, 'malformed escapes are compared raw');
  const flag: RuleCondition = { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'debug', Value: '*' }] } };
  assert.equal(matches(flag, { query: 'debug' }), true, 'a key without = has the empty value');
  const literal: RuleCondition = { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'q', Value: '\\*' }] } };
  assert.equal(matches(literal, { query: 'q=*' }), true);
  assert.equal(matches(literal, { query: 'q=x' }), false);
});

test('source-ip: CIDR blocks, IPv4 and IPv6, IPv4-mapped clients', () => {
  const c: RuleCondition = { Field: 'source-ip', SourceIpConfig: { Values: ['192.0.2.0/24', '2001:db8::/32'] } };
  assert.equal(matches(c, { sourceIp: '192.0.2.200' }), true);
  assert.equal(matches(c, { sourceIp: '::ffff:192.0.2.1' }), true);
  assert.equal(matches(c, { sourceIp: '2001:db8::1' }), true);
  assert.equal(matches(c, { sourceIp: '198.51.100.1' }), false);
  assert.equal(matches(c, { sourceIp: 'not-an-ip' }), false);
});

test('conditions of a rule are ANDed', () => {
  const r = rule([
    { Field: 'path-pattern', Values: ['/api/*'] },
    { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['POST'] } },
    { Field: 'host-header', Values: ['api.example.com'] },
  ]);
  assert.equal(ruleMatches(r, request({ path: '/api/x', method: 'POST', host: 'api.example.com' })), true);
  assert.equal(ruleMatches(r, request({ path: '/api/x', method: 'GET', host: 'api.example.com' })), false);
  assert.equal(ruleMatches(r, request({ path: '/x', method: 'POST', host: 'api.example.com' })), false);
});

test('conditions the control plane should have refused never match', () => {
  assert.equal(matches({ Field: 'cookie', Values: ['x'] }, {}), false);
  assert.equal(matches({ Field: 'path-pattern', Values: [] }, {}), false);
  assert.equal(matches({ Field: 'source-ip', SourceIpConfig: { Values: ['bogus'] } }, {}), false);
});

test('a condition without Field is read from its config', () => {
  assert.equal(matches({ PathPatternConfig: { Values: ['/x'] } }, { path: '/x' }), true);
});

test('selectRule returns the first matching rule, the default rule last', () => {
  const a = rule([{ Field: 'path-pattern', Values: ['/a*'] }], 1);
  const ab = rule([{ Field: 'path-pattern', Values: ['/ab*'] }], 2);
  const dflt = rule([], 'default');
  const rules = [a, ab, dflt];
  assert.equal(selectRule(rules, request({ path: '/abc' })), a);
  assert.equal(selectRule(rules, request({ path: '/zzz' })), dflt);
  assert.throws(() => selectRule([a], request({ path: '/zzz' })), /no default rule/);
});

// ---- actions ---------------------------------------------------------------

const redirectReq = (over: Partial<RequestFacts> & { protocol?: 'http' | 'https'; port?: number } = {}) => ({
  ...request({ host: 'example.com:8080', path: '/a/b', query: 'x=1' }),
  protocol: 'http' as const,
  port: 8080,
  ...over,
});

test('redirectTarget: components default to the request, keywords substituted', () => {
  const cases: [Parameters<typeof redirectTarget>[0], ReturnType<typeof redirectReq>, number, string][] = [
    [{ StatusCode: 'HTTP_301', Protocol: 'HTTPS', Port: '443' }, redirectReq(), 301, 'https://example.com:443/a/b?x=1'],
    [{ StatusCode: 'HTTP_302', Host: 'new.#{host}' }, redirectReq(), 302, 'http://new.example.com:8080/a/b?x=1'],
    [{ StatusCode: 'HTTP_302', Path: '/new/#{path}' }, redirectReq(), 302, 'http://example.com:8080/new/a/b?x=1'],
    [{ StatusCode: 'HTTP_302', Query: '#{query}&value=xyz' }, redirectReq(), 302, 'http://example.com:8080/a/b?x=1&value=xyz'],
    [{ StatusCode: 'HTTP_302', Query: '' }, redirectReq(), 302, 'http://example.com:8080/a/b'],
    [{ StatusCode: 'HTTP_302', Path: '/p/#{host}/#{port}' }, redirectReq(), 302, 'http://example.com:8080/p/example.com/8080?x=1'],
    [{ StatusCode: 'HTTP_301', Protocol: '#{protocol}', Host: 'h.test' }, redirectReq({ protocol: 'https', port: 443, query: '' }), 301, 'https://h.test:443/a/b'],
  ];
  for (const [config, req, status, location] of cases) assert.deepEqual(redirectTarget(config, req), { status, location }, JSON.stringify(config));
});

test('chooseTargetGroup: weights, a lone TargetGroupArn, zero weights, stickiness', () => {
  const tg = (n: string) => `arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/${n}/0`;
  assert.equal(chooseTargetGroup({ Type: 'forward', TargetGroupArn: tg('a') }, Math.random), tg('a'));
  assert.equal(chooseTargetGroup({ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301' } }, Math.random), undefined);
  const weighted: Action = {
    Type: 'forward',
    ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg('a'), Weight: 1 }, { TargetGroupArn: tg('b'), Weight: 0 }, { TargetGroupArn: tg('c'), Weight: 3 }] },
  };
  assert.equal(chooseTargetGroup(weighted, () => 0), tg('a'));
  assert.equal(chooseTargetGroup(weighted, () => 0.24), tg('a'));
  assert.equal(chooseTargetGroup(weighted, () => 0.25), tg('c'));
  assert.equal(chooseTargetGroup(weighted, () => 0.9999999999), tg('c'));
  assert.equal(chooseTargetGroup(weighted, () => 0.5, tg('a')), tg('a'), 'stuck to a group that still gets traffic');
  assert.equal(chooseTargetGroup(weighted, () => 0, tg('b')), tg('a'), 'not to one whose weight is 0');
  const dead: Action = { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg('a'), Weight: 0 }] } };
  assert.equal(chooseTargetGroup(dead, Math.random), undefined);
  assert.equal(chooseTargetGroup({ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg('z') }] } }, Math.random), tg('z'));
  assert.equal(groupStickinessSeconds({ ...weighted, ForwardConfig: { ...weighted.ForwardConfig, TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 } } }), 60);
  assert.equal(groupStickinessSeconds(weighted), undefined);
});

test('chooseTargetGroup spreads traffic in proportion to the weights', () => {
  const action: Action = { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'a', Weight: 1 }, { TargetGroupArn: 'b', Weight: 3 }] } };
  const counts = { a: 0, b: 0 };
  const n = 4000;
  for (let i = 0; i < n; i++) counts[chooseTargetGroup(action, () => (i + 0.5) / n) as 'a' | 'b']++;
  assert.deepEqual(counts, { a: 1000, b: 3000 });
});

// ---- properties --------------------------------------------------------------

/** Reference semantics: the wildcard pattern as an anchored RegExp, ASCII letters folded when caseless. */
function reference(pattern: string, subject: string, ignoreCase: boolean): boolean {
  const fold = (s: string) => (ignoreCase ? s.replace(/[A-Z]/g, (c) => c.toLowerCase()) : s);
  const source = [...fold(pattern)].map((ch) => (ch === '*' ? '[\\s\\S]*' : ch === '?' ? '[\\s\\S]' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`).test(fold(subject));
}

const small = fc.constantFrom('a', 'b', 'A', '/', '.', 'é');
const patternArb = fc.array(fc.oneof(small, fc.constant('*'), fc.constant('?')), { maxLength: 8 }).map((cs) => cs.join(''));
const subjectArb = fc.array(small, { maxLength: 10 }).map((cs) => cs.join(''));

test('property: a pattern without wildcards matches exactly itself', () => {
  fc.assert(
    fc.property(fc.string().filter((s) => !/[*?]/.test(s)), fc.string(), (p, other) => {
      assert.equal(pathPattern(p)(p), true);
      assert.equal(pathPattern(p)(other), other === p);
      assert.equal(caselessPattern(p)(p.replace(/[a-z]/g, (c) => c.toUpperCase())), true);
    }),
  );
});

test('property: * matches everything', () => {
  fc.assert(
    fc.property(fc.string(), (s) => {
      assert.equal(pathPattern('*')(s), true);
      assert.equal(caselessPattern('*')(s), true);
      assert.equal(queryPattern('*')(s), true);
    }),
  );
});

test('property: compiled matchers agree with a RegExp reference', () => {
  fc.assert(
    fc.property(patternArb, subjectArb, (p, s) => {
      assert.equal(pathPattern(p)(s), reference(p, s, false), `${p} vs ${s}`);
      assert.equal(caselessPattern(p)(s), reference(p, s, true), `${p} vs ${s} (caseless)`);
    }),
    { numRuns: 2000 },
  );
});

/** A naive evaluator written from the user guide, for the rule conditions the generator makes. */
function naiveSelect(rules: readonly RuleConfig[], req: RequestFacts): RuleConfig {
  const holds = (c: RuleCondition): boolean => {
    switch (c.Field) {
      case 'path-pattern':
        return (c.PathPatternConfig?.Values ?? c.Values ?? []).some((p) => reference(p, req.path, false));
      case 'host-header': {
        const host = (req.host ?? '').split(':')[0]!;
        return (c.HostHeaderConfig?.Values ?? c.Values ?? []).some((p) => reference(p, host, true));
      }
      case 'http-request-method':
        return (c.HttpRequestMethodConfig?.Values ?? []).includes(req.method);
      default:
        throw new Error(`generator made ${c.Field}`);
    }
  };
  for (const r of rules) if (r.priority === 'default' || r.conditions.every(holds)) return r;
  throw new Error('no default');
}

const conditionArb: fc.Arbitrary<RuleCondition> = fc.oneof(
  patternArb.map((p) => ({ Field: 'path-pattern', Values: [`/${p}`] })),
  fc.array(patternArb, { minLength: 1, maxLength: 3 }).map((ps) => ({ Field: 'path-pattern', PathPatternConfig: { Values: ps.map((p) => `/${p}`) } })),
  patternArb.map((p) => ({ Field: 'host-header', HostHeaderConfig: { Values: [p] } })),
  fc.subarray(['GET', 'POST', 'HEAD'], { minLength: 1 }).map((ms) => ({ Field: 'http-request-method', HttpRequestMethodConfig: { Values: ms } })),
);

test('property: selectRule returns the lowest-priority matching rule, as a naive evaluator does', () => {
  const rulesArb = fc
    .array(fc.tuple(fc.integer({ min: 1, max: 50_000 }), fc.array(conditionArb, { minLength: 1, maxLength: 3 })), { maxLength: 12 })
    .map((specs) => {
      const seen = new Set<number>();
      const numbered = specs.filter(([p]) => !seen.has(p) && seen.add(p)).sort((x, y) => x[0] - y[0]);
      return [...numbered.map(([p, cs]) => rule(cs, p)), rule([], 'default')];
    });
  const reqArb = fc.record({
    path: subjectArb.map((s) => `/${s}`),
    host: fc.option(subjectArb.map((s) => `${s}:8080`), { nil: undefined }),
    method: fc.constantFrom('GET', 'POST', 'HEAD', 'get'),
  });
  fc.assert(
    fc.property(rulesArb, reqArb, (rules, r) => {
      const req = request(r);
      const chosen = selectRule(rules, req);
      assert.equal(chosen, naiveSelect(rules, req));
      // and it is the lowest-priority rule that matches on its own
      const firstMatch = rules.find((x) => ruleMatches(x, req));
      assert.equal(chosen, firstMatch);
    }),
    { numRuns: 500 },
  );
});
