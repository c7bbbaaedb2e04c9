import type * as elb from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Scope } from '../../control/arns.js';
import type { ElbTags } from '../../control/elb/elb-tags.js';
import type { ListenerRules } from '../../control/elb/listener-rules.js';
import { MAX_CERTIFICATES, MAX_LISTENERS, SSL_POLICIES, type Listeners } from '../../control/elb/listeners.js';
import { MAX_LOAD_BALANCERS, pageAfter, type LoadBalancers } from '../../control/elb/load-balancers.js';
import { MAX_RULES } from '../../control/elb/listener-rules.js';
import { MAX_CONDITION_VALUES, MAX_CONDITION_WILDCARDS, MAX_TARGET_GROUPS_PER_ACTION } from '../../control/elb/rule-validation.js';
import { MAX_TARGET_GROUPS } from '../../control/elb/target-groups.js';
import { AwsError } from '../../gateway/errors.js';
import { loadServiceModel } from '../../gateway/model/load.js';
import type { Handler, RequestContext, ServiceDefinition } from '../../gateway/service.js';

// Elastic Load Balancing v2 operation handlers (query protocol, XML): each
// reads its typed input, calls control/elb and returns the output shape.
// Target groups and targets come in `extra` (targetGroupHandlers). Operations
// berth does not implement (trust stores, capacity reservations, resource
// policies, IPAM pools) have no handler: the gateway answers them with
// NotImplemented.

export interface Elbv2Deps {
  loadBalancers: LoadBalancers;
  listeners: Listeners;
  rules: ListenerRules;
  /** AddTags/RemoveTags/DescribeTags; the load balancers' own by default. */
  tags?: ElbTags;
  /** More handlers (target groups, targets). */
  extra: Record<string, Handler>;
}

const scopeOf = (ctx: RequestContext): Scope => ({ accountId: ctx.caller.accountId, region: ctx.caller.region });

/**
 * DescribeAccountLimits: ELBv2's default quotas, in the order AWS lists them.
 * The ones berth enforces come from the code that enforces them.
 */
export const ACCOUNT_LIMITS: elb.Limit[] = [
  ['application-load-balancers', MAX_LOAD_BALANCERS],
  ['target-groups', MAX_TARGET_GROUPS],
  ['targets-per-application-load-balancer', 1000],
  ['listeners-per-application-load-balancer', MAX_LISTENERS],
  ['rules-per-application-load-balancer', MAX_RULES],
  ['network-load-balancers', MAX_LOAD_BALANCERS],
  ['targets-per-network-load-balancer', 3000],
  ['targets-per-availability-zone-per-network-load-balancer', 500],
  ['listeners-per-network-load-balancer', MAX_LISTENERS],
  ['condition-values-per-alb-rule', MAX_CONDITION_VALUES],
  ['condition-wildcards-per-alb-rule', MAX_CONDITION_WILDCARDS],
  ['target-groups-per-application-load-balancer', 100],
  ['target-groups-per-action-on-application-load-balancer', MAX_TARGET_GROUPS_PER_ACTION],
  ['target-groups-per-action-on-network-load-balancer', 1],
  ['certificates-per-application-load-balancer', MAX_CERTIFICATES],
  ['certificates-per-network-load-balancer', MAX_CERTIFICATES],
  ['targets-per-target-group', 1000],
  ['target-id-registrations-per-application-load-balancer', 1000],
  ['network-load-balancer-enis-per-vpc', 1200],
  ['gateway-load-balancers', 100],
  ['gateway-load-balancers-per-vpc', 100],
  ['geneve-target-groups', 100],
  ['targets-per-availability-zone-per-gateway-load-balancer', 300],
].map(([Name, Max]) => ({ Name: String(Name), Max: String(Max) }));

const PAGE_SIZE = 400;

function checkPageSize(size: number | undefined): number {
  const n = size ?? PAGE_SIZE;
  if (n < 1 || n > PAGE_SIZE) throw new AwsError('ValidationError', `Page size must be between 1 and ${PAGE_SIZE}`);
  return n;
}

function describeSslPolicies(input: elb.DescribeSSLPoliciesInput): elb.DescribeSSLPoliciesOutput {
  let policies = SSL_POLICIES;
  if (input.Names?.length) {
    const missing = input.Names.filter((n) => !SSL_POLICIES.some((p) => p.Name === n));
    if (missing.length) throw new AwsError('SSLPolicyNotFound', `SSL policies '[${missing.join(', ')}]' not found`);
    policies = policies.filter((p) => input.Names!.includes(p.Name!));
  }
  if (input.LoadBalancerType) policies = policies.filter((p) => p.SupportedLoadBalancerTypes?.includes(input.LoadBalancerType!));
  const indexed = policies.map((p, i) => ({ p, i }));
  const { page, next } = pageAfter(indexed, input.Marker, checkPageSize(input.PageSize), (x) => [x.i]);
  return { SslPolicies: page.map((x) => x.p), NextMarker: next };
}

export function elbv2Service(deps: Elbv2Deps): ServiceDefinition {
  const { loadBalancers: lbs, listeners, rules } = deps;
  const tags = deps.tags ?? lbs.tags;
  const handlers: Record<string, Handler> = {
    // load balancers
    CreateLoadBalancer: async (i: elb.CreateLoadBalancerInput, ctx) => ({ LoadBalancers: [await lbs.create(scopeOf(ctx), i, ctx.now)] }),
    DescribeLoadBalancers: (i: elb.DescribeLoadBalancersInput, ctx) => lbs.describe(scopeOf(ctx), i),
    DeleteLoadBalancer: async (i: elb.DeleteLoadBalancerInput, ctx) => {
      await lbs.delete(scopeOf(ctx), i.LoadBalancerArn!);
      return {};
    },
    DescribeLoadBalancerAttributes: async (i: elb.DescribeLoadBalancerAttributesInput, ctx) => ({ Attributes: await lbs.attributes(scopeOf(ctx), i.LoadBalancerArn!) }),
    ModifyLoadBalancerAttributes: async (i: elb.ModifyLoadBalancerAttributesInput, ctx) => ({
      Attributes: await lbs.modifyAttributes(scopeOf(ctx), i.LoadBalancerArn!, i.Attributes ?? []),
    }),
    SetSecurityGroups: (i: elb.SetSecurityGroupsInput, ctx) => lbs.setSecurityGroups(scopeOf(ctx), i),
    SetSubnets: (i: elb.SetSubnetsInput, ctx) => lbs.setSubnets(scopeOf(ctx), i),
    SetIpAddressType: (i: elb.SetIpAddressTypeInput, ctx) => lbs.setIpAddressType(scopeOf(ctx), i),

    // listeners
    CreateListener: async (i: elb.CreateListenerInput, ctx) => ({ Listeners: [await listeners.create(scopeOf(ctx), i)] }),
    DescribeListeners: (i: elb.DescribeListenersInput, ctx) => listeners.describe(scopeOf(ctx), i),
    ModifyListener: async (i: elb.ModifyListenerInput, ctx) => ({ Listeners: [await listeners.modify(scopeOf(ctx), i)] }),
    DeleteListener: async (i: elb.DeleteListenerInput, ctx) => {
      await listeners.delete(scopeOf(ctx), i.ListenerArn!);
      return {};
    },
    DescribeListenerAttributes: async (i: elb.DescribeListenerAttributesInput, ctx) => ({ Attributes: await listeners.attributes(scopeOf(ctx), i.ListenerArn!) }),
    ModifyListenerAttributes: async (i: elb.ModifyListenerAttributesInput, ctx) => ({
      Attributes: await listeners.modifyAttributes(scopeOf(ctx), i.ListenerArn!, i.Attributes ?? []),
    }),
    AddListenerCertificates: async (i: elb.AddListenerCertificatesInput, ctx) => ({
      Certificates: await listeners.addCertificates(scopeOf(ctx), i.ListenerArn!, i.Certificates ?? []),
    }),
    RemoveListenerCertificates: async (i: elb.RemoveListenerCertificatesInput, ctx) => {
      await listeners.removeCertificates(scopeOf(ctx), i.ListenerArn!, i.Certificates ?? []);
      return {};
    },
    DescribeListenerCertificates: (i: elb.DescribeListenerCertificatesInput, ctx) => listeners.describeCertificates(scopeOf(ctx), i),

    // rules
    CreateRule: async (i: elb.CreateRuleInput, ctx) => ({ Rules: [await rules.create(scopeOf(ctx), i)] }),
    DescribeRules: (i: elb.DescribeRulesInput, ctx) => rules.describe(scopeOf(ctx), i),
    ModifyRule: async (i: elb.ModifyRuleInput, ctx) => ({ Rules: [await rules.modify(scopeOf(ctx), i)] }),
    DeleteRule: async (i: elb.DeleteRuleInput, ctx) => {
      await rules.delete(scopeOf(ctx), i.RuleArn!);
      return {};
    },
    SetRulePriorities: async (i: elb.SetRulePrioritiesInput, ctx) => ({ Rules: await rules.setPriorities(scopeOf(ctx), i.RulePriorities ?? []) }),

    // tags
    AddTags: async (i: elb.AddTagsInput, ctx) => {
      await tags.add(scopeOf(ctx), i.ResourceArns ?? [], i.Tags ?? []);
      return {};
    },
    RemoveTags: async (i: elb.RemoveTagsInput, ctx) => {
      await tags.remove(scopeOf(ctx), i.ResourceArns ?? [], i.TagKeys ?? []);
      return {};
    },
    DescribeTags: async (i: elb.DescribeTagsInput, ctx) => ({ TagDescriptions: await tags.describe(scopeOf(ctx), i.ResourceArns ?? []) }),

    // account-wide
    DescribeAccountLimits: (i: elb.DescribeAccountLimitsInput) => {
      const indexed = ACCOUNT_LIMITS.map((l, n) => ({ l, n }));
      const { page, next } = pageAfter(indexed, i.Marker, checkPageSize(i.PageSize), (x) => [x.n]);
      return { Limits: page.map((x) => x.l), NextMarker: next };
    },
    DescribeSSLPolicies: (i: elb.DescribeSSLPoliciesInput) => describeSslPolicies(i),

    ...deps.extra,
  };
  return {
    name: 'elbv2',
    signingName: 'elasticloadbalancing',
    model: loadServiceModel('elbv2'),
    protocol: 'query',
    validationErrorCode: 'ValidationError',
    handlers,
  };
}
