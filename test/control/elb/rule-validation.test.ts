import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Action, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsError } from '../../../src/gateway/errors.js';
import { validateActions, validateConditions, validatePriority, type ActionContext } from '../../../src/control/elb/rule-validation.js';

const TG = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef';
const TG2 = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/api/0123456789abcdef';
const ALB_HTTP: ActionContext = { listenerProtocol: 'HTTP', loadBalancerType: 'application', listenerPort: 80 };
const ALB_HTTPS: ActionContext = { listenerProtocol: 'HTTPS', loadBalancerType: 'application', listenerPort: 443 };
const NLB_TCP: ActionContext = { listenerProtocol: 'TCP', loadBalancerType: 'network', listenerPort: 80 };

function rejects(fn: () => void, code: string, message: RegExp | string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AwsError, `expected an AwsError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

// ---- priority ----------------------------------------------------------------

test('validatePriority accepts 1 to 50000', () => {
  for (const p of [1, 2, 49_999, 50_000]) validatePriority(p);
  rejects(() => validatePriority(0), 'ValidationError', "1 validation error detected: Value '0' at 'priority' failed to satisfy constraint: Member must have value greater than or equal to 1");
  rejects(() => validatePriority(50_001), 'ValidationError', /Member must have value less than or equal to 50000/);
  rejects(() => validatePriority(1.5), 'ValidationError', /integer/);
  rejects(() => validatePriority(Number.NaN), 'ValidationError', /integer/);
});

// ---- conditions ----------------------------------------------------------------

test('valid conditions of every type pass', () => {
  const valid: RuleCondition[][] = [
    [{ Field: 'path-pattern', Values: ['/img/*'] }],
    [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/a', `/b_-.$/~"'@:+&*?`] } }],
    [{ Field: 'host-header', Values: ['*.example.com'] }],
    [{ Field: 'host-header', HostHeaderConfig: { Values: ['www.example.com', 'a?.example.org'] } }],
    [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'User-Agent', Values: ['*Chrome*', 'curl/*'] } }],
    [{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET', 'HEAD', 'CUSTOM_METHOD-X'] } }],
    [{ Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'version', Value: 'v1' }, { Value: '*example*' }, { Value: 'a\\*b' }] } }],
    [{ Field: 'source-ip', SourceIpConfig: { Values: ['192.0.2.0/24', '2001:db8::/32'] } }],
    [
      { Field: 'path-pattern', Values: ['/api/*'] },
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-a', Values: ['1'] } },
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-b', Values: ['2'] } },
      { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'a', Value: 'b' }] } },
      { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'c', Value: 'd' }] } },
    ],
  ];
  for (const cs of valid) validateConditions(cs);
});

test('invalid conditions are refused with a ValidationError naming the problem', () => {
  const cases: [RuleCondition[] | undefined, RegExp | string][] = [
    [undefined, "1 validation error detected: Value 'null' at 'conditions' failed to satisfy constraint: Member must not be null"],
    [[], /at least one condition/],
    [[{ Values: ['/x'] }], /A condition field must be specified \(Conditions\[0\]\.Field\)/],
    [[{ Field: 'cookie', Values: ['x'] }], "Condition field 'cookie' must be one of '[path-pattern,host-header,http-header,http-request-method,query-string,source-ip]'"],
    [[{ Field: 'path-pattern', HostHeaderConfig: { Values: ['a.b'] } }], "The 'HostHeaderConfig' field is not compatible with 'path-pattern'"],
    [[{ Field: 'path-pattern', Values: ['/a'], PathPatternConfig: { Values: ['/b'] } }], "You cannot provide both Values and 'PathPatternConfig' for a condition of type 'path-pattern'"],
    [[{ Field: 'path-pattern', Values: ['/a', '/b'] }], "The 'path-pattern' field contains too many values; the limit is '1'"],
    [[{ Field: 'host-header', Values: ['a.com', 'b.com'] }], "The 'host-header' field contains too many values; the limit is '1'"],
    [[{ Field: 'path-pattern', Values: [] }], 'A condition value must be specified'],
    [[{ Field: 'path-pattern', PathPatternConfig: { Values: [''] } }], 'A condition value must be specified'],
    [[{ Field: 'path-pattern', Values: [`/${'a'.repeat(128)}`] }], "The 'path-pattern' value is too long; the limit is '128'"],
    [[{ Field: 'path-pattern', Values: ['/a b'] }], /'path-pattern' value '\/a b' contains characters that are not valid/],
    [[{ Field: 'path-pattern', Values: ['/a%20b'] }], /contains characters that are not valid/],
    [[{ Field: 'host-header', Values: ['exa_mple.com'] }], /'host-header' value 'exa_mple.com' contains characters/],
    [[{ Field: 'host-header', Values: ['localhost'] }], /at least one '\.'/],
    [[{ Field: 'host-header', Values: ['example.c0m'] }], /only alphabetical characters after the final/],
    [[{ Field: 'host-header', Values: [`${'a'.repeat(126)}.com`] }], "The 'host-header' value is too long; the limit is '128'"],
    [[{ Field: 'path-pattern', PathPatternConfig: { RegexValues: ['^/a$'] } }], /berth does not support 'RegexValues'/],
    [[{ Field: 'path-pattern', Values: ['/a'] }, { Field: 'path-pattern', Values: ['/b'] }], "A rule can only have one 'path-pattern' condition"],
    [[{ Field: 'http-header', Values: ['x'] }], "The 'Values' field is not compatible with 'http-header'"],
    [[{ Field: 'http-header' }], "A 'HttpHeaderConfig' must be specified with 'http-header'"],
    [[{ Field: 'http-header', HttpHeaderConfig: { Values: ['x'] } }], /'HttpHeaderName' must be specified/],
    [[{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x'.repeat(41), Values: ['x'] } }], "The 'HttpHeaderName' value is too long; the limit is '40'"],
    [[{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'bad name', Values: ['x'] } }], /not a valid HTTP header name/],
    [[{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'Host', Values: ['x'] } }], /'host-header' condition/],
    [[{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x', Values: ['tab\there'] } }], /visible ASCII/],
    [[{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['get'] } }], "The 'http-request-method' value is invalid; the allowed characters are A-Z, hyphen and underscore"],
    [[{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['A'.repeat(41)] } }], "The 'http-request-method' value is too long; the limit is '40'"],
    [[{ Field: 'http-request-method' }], "A 'HttpRequestMethodConfig' must be specified with 'http-request-method'"],
    [[{ Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'a' }] } }], "A 'Value' must be specified in 'QueryStringKeyValuePair'"],
    [[{ Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'a', Value: 'b c' }] } }], /contains characters that are not valid in a query string/],
    [[{ Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'k'.repeat(129), Value: 'v' }] } }], "The 'Key' value is too long; the limit is '128'"],
    [[{ Field: 'query-string' }], "A 'QueryStringConfig' must be specified with 'query-string'"],
    [[{ Field: 'source-ip', SourceIpConfig: { Values: [] } }], "A 'source-ip' value must be specified"],
    [[{ Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.1'] } }], "The 'source-ip' value '10.0.0.1' is not a valid CIDR block"],
    [[{ Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/33'] } }], /not a valid CIDR block/],
    [[{ Field: 'source-ip', Values: ['10.0.0.0/8'] }], "The 'Values' field is not compatible with 'source-ip'"],
    [[{ Field: 'source-ip', SourceIpConfig: { Values: ['1.0.0.0/8', '2.0.0.0/8', '3.0.0.0/8', '4.0.0.0/8', '5.0.0.0/8', '6.0.0.0/8'] } }], "A rule can only have '5' condition values"],
    [
      [
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/a', '/b', '/c'] } },
        { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET', 'PUT', 'POST'] } },
      ],
      "A rule can only have '5' condition values",
    ],
    [[{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*/*/*', '/?/?/?'] } }], "A rule can only have '5' wildcards"],
  ];
  for (const [conditions, message] of cases) {
    rejects(() => validateConditions(conditions), 'ValidationError', message);
  }
});

test('escaped wildcards in query strings do not count against the wildcard quota', () => {
  validateConditions([{ Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'a', Value: '\\*\\*\\*\\*\\*\\*' }] } }]);
});

test('property: any rule with more than 5 condition values is refused', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), (n) => {
      const cs: RuleCondition[] = Array.from({ length: n }, (_, i) => ({
        Field: 'http-header',
        HttpHeaderConfig: { HttpHeaderName: `x-h${i}`, Values: ['v'] },
      }));
      if (n <= 5) validateConditions(cs);
      else rejects(() => validateConditions(cs), 'ValidationError', "A rule can only have '5' condition values");
    }),
  );
});

// ---- actions -------------------------------------------------------------------

test('valid actions pass', () => {
  const valid: [Action[], ActionContext][] = [
    [[{ Type: 'forward', TargetGroupArn: TG }], ALB_HTTP],
    [[{ Type: 'forward', TargetGroupArn: TG, Order: 1 }], ALB_HTTP],
    [[{ Type: 'forward', TargetGroupArn: TG, ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG }] } }], ALB_HTTP],
    [
      [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [{ TargetGroupArn: TG, Weight: 0 }, { TargetGroupArn: TG2, Weight: 999 }],
            TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 604_800 },
          },
        },
      ],
      ALB_HTTP,
    ],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Protocol: 'HTTPS', Port: '443' } }], ALB_HTTP],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_302', Path: '/new/#{path}' } }], ALB_HTTPS],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_302', Query: '#{query}&v=2' } }], ALB_HTTPS],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_302', Port: '8443' } }], ALB_HTTPS],
    [[{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503', ContentType: 'application/json', MessageBody: 'x'.repeat(1024) } }], ALB_HTTP],
    [[{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }], ALB_HTTP],
    [[{ Type: 'forward', TargetGroupArn: TG }], NLB_TCP],
  ];
  for (const [actions, ctx] of valid) validateActions(actions, ctx);
});

test('invalid actions are refused with AWS codes and messages', () => {
  const fwd = (extra: Partial<Action> = {}): Action => ({ Type: 'forward', TargetGroupArn: TG, ...extra });
  const cases: [Action[] | undefined, ActionContext, string, RegExp | string][] = [
    [undefined, ALB_HTTP, 'ValidationError', "1 validation error detected: Value 'null' at 'actions' failed to satisfy constraint: Member must not be null"],
    [undefined, { ...ALB_HTTP, member: 'defaultActions' }, 'ValidationError', /at 'defaultActions'/],
    [[], ALB_HTTP, 'ValidationError', /At least one action/],
    [[{ Type: 'drop' as Action['Type'] }], ALB_HTTP, 'ValidationError', /Value 'drop' at 'actions\.1\.member\.type' failed to satisfy constraint: Member must satisfy enum value set: \[forward, authenticate-oidc/],
    [[{ Type: 'authenticate-oidc', Order: 1 }, fwd({ Order: 2 })], ALB_HTTPS, 'InvalidLoadBalancerAction', "berth does not support actions of type 'authenticate-oidc'"],
    [[{ Type: 'authenticate-cognito' }], ALB_HTTPS, 'InvalidLoadBalancerAction', /does not support actions of type 'authenticate-cognito'/],
    [[{ Type: 'jwt-validation' }], ALB_HTTPS, 'InvalidLoadBalancerAction', /does not support/],
    [[{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200' } }], NLB_TCP, 'InvalidLoadBalancerAction', /only supported action type is 'forward'/],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Protocol: 'HTTPS' } }], NLB_TCP, 'InvalidLoadBalancerAction', /Network Load Balancers/],
    [[fwd({ Order: 0 })], ALB_HTTP, 'ValidationError', "1 validation error detected: Value '0' at 'actions.1.member.order' failed to satisfy constraint: Member must have value greater than or equal to 1"],
    [[fwd({ Order: 50_001 })], ALB_HTTP, 'ValidationError', /Member must have value less than or equal to 50000/],
    [[fwd({ Order: 1 }), fwd({ Order: 1 })], ALB_HTTP, 'ValidationError', /Action order '1' is used by more than one action/],
    [[fwd(), fwd()], ALB_HTTP, 'ValidationError', /action order must be specified/],
    [[fwd({ Order: 1 }), { Type: 'fixed-response', Order: 2, FixedResponseConfig: { StatusCode: '200' } }], ALB_HTTP, 'InvalidLoadBalancerAction', /exactly one of the following routing actions/],
    [[{ Type: 'forward' }], ALB_HTTP, 'InvalidLoadBalancerAction', /For actions of type 'forward', you must specify the following fields/],
    [[{ Type: 'forward', ForwardConfig: { TargetGroups: [] } }], ALB_HTTP, 'InvalidLoadBalancerAction', /you must specify/],
    [[fwd({ ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG2 }] } })], ALB_HTTP, 'InvalidLoadBalancerAction', /only one target group, the same as 'TargetGroupArn'/],
    [[fwd({ ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG }, { TargetGroupArn: TG2 }] } })], ALB_HTTP, 'InvalidLoadBalancerAction', /only one target group/],
    [[fwd({ RedirectConfig: { StatusCode: 'HTTP_301' } })], ALB_HTTP, 'InvalidLoadBalancerAction', "For actions of type 'forward', you cannot specify the following fields: 'RedirectConfig'"],
    [[{ Type: 'redirect', TargetGroupArn: TG, RedirectConfig: { StatusCode: 'HTTP_301', Protocol: 'HTTPS' } }], ALB_HTTP, 'InvalidLoadBalancerAction', /cannot specify the following fields: 'TargetGroupArn'/],
    [
      [{ Type: 'forward', ForwardConfig: { TargetGroups: ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => ({ TargetGroupArn: `${TG}${n}` })) } }],
      ALB_HTTP,
      'ValidationError',
      /more than '5' target groups/,
    ],
    [[{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG }, { TargetGroupArn: TG }] } }], ALB_HTTP, 'ValidationError', /specified more than once/],
    [[{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG, Weight: 1000 }] } }], ALB_HTTP, 'ValidationError', 'The weight for each target group must be between 0 and 999, inclusive'],
    [[{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG, Weight: -1 }] } }], ALB_HTTP, 'ValidationError', /between 0 and 999/],
    [[{ Type: 'forward', ForwardConfig: { TargetGroups: [{ Weight: 1 }] } }], ALB_HTTP, 'ValidationError', /A target group ARN must be specified/],
    [
      [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG }], TargetGroupStickinessConfig: { Enabled: false, DurationSeconds: 0 } } }],
      ALB_HTTP,
      'ValidationError',
      'Target group stickiness duration must be between 1 and 604800 seconds',
    ],
    [
      [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG }], TargetGroupStickinessConfig: { Enabled: true } } }],
      ALB_HTTP,
      'ValidationError',
      /stickiness duration must be between 1 and 604800/,
    ],
    [
      [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 604_801 } } }],
      ALB_HTTP,
      'ValidationError',
      /stickiness duration/,
    ],
    [[{ Type: 'redirect' }], ALB_HTTP, 'InvalidLoadBalancerAction', "For actions of type 'redirect', you must specify the following fields: 'RedirectConfig'"],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_307' as 'HTTP_301', Protocol: 'HTTPS' } }], ALB_HTTP, 'ValidationError', /redirectConfig\.statusCode' failed to satisfy constraint: Member must satisfy enum value set: \[HTTP_301, HTTP_302\]/],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: undefined, Protocol: 'HTTPS' } }], ALB_HTTP, 'ValidationError', /redirectConfig\.statusCode' failed to satisfy constraint: Member must not be null/],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Protocol: 'https' } }], ALB_HTTP, 'ValidationError', /redirectConfig\.protocol' failed to satisfy constraint: Member must satisfy regular expression pattern/],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Port: '0' } }], ALB_HTTP, 'ValidationError', /redirect port '0'/],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Port: '65536' } }], ALB_HTTP, 'ValidationError', /redirect port/],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Path: 'no-slash' } }], ALB_HTTP, 'ValidationError', /must start with a '\/'/],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Host: '' } }], ALB_HTTP, 'ValidationError', /redirectConfig\.host' failed to satisfy constraint: Member must have length greater than or equal to 1/],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Query: 'q'.repeat(129) } }], ALB_HTTP, 'ValidationError', /redirectConfig\.query' failed to satisfy constraint: Member must have length less than or equal to 128/],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Protocol: 'HTTP' } }], ALB_HTTPS, 'InvalidLoadBalancerAction', /cannot redirect HTTPS to HTTP/],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301' } }], ALB_HTTP, 'InvalidLoadBalancerAction', 'The redirect configuration is not valid because it creates a loop.'],
    [
      [{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Protocol: '#{protocol}', Host: '#{host}', Port: '#{port}', Path: '/#{path}', Query: '#{query}' } }],
      ALB_HTTP,
      'InvalidLoadBalancerAction',
      /creates a loop/,
    ],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Protocol: 'HTTPS', Port: '443' } }], ALB_HTTPS, 'InvalidLoadBalancerAction', /creates a loop/],
    [[{ Type: 'fixed-response' }], ALB_HTTP, 'InvalidLoadBalancerAction', "For actions of type 'fixed-response', you must specify the following fields: 'FixedResponseConfig'"],
    [[{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '302' } }], ALB_HTTP, 'ValidationError', /fixedResponseConfig\.statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: \^\(2\|4\|5\)\\d\\d\$/],
    [[{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '20' } }], ALB_HTTP, 'ValidationError', /regular expression pattern/],
    [[{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: undefined } }], ALB_HTTP, 'ValidationError', /must not be null/],
    [[{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/xml' } }], ALB_HTTP, 'InvalidLoadBalancerAction', "The ContentType must be one of:'text/html', 'application/json', 'application/javascript', 'text/css', 'text/plain'"],
    [[{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', MessageBody: 'x'.repeat(1025) } }], ALB_HTTP, 'ValidationError', /messageBody' failed to satisfy constraint: Member must have length less than or equal to 1024/],
  ];
  for (const [actions, ctx, code, message] of cases) {
    rejects(() => validateActions(actions, ctx), code, message);
  }
});

test('a redirect that changes only the query, or the port of another listener, is no loop', () => {
  validateActions([{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Query: 'moved=1' } }], ALB_HTTP);
  validateActions([{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Port: '8080' } }], ALB_HTTP);
  // without the listener's port, a literal port counts as a change
  validateActions([{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Port: '80' } }], { listenerProtocol: 'HTTP', loadBalancerType: 'application' });
});
