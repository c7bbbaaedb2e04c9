import type { Action, RedirectActionConfig } from '@aws-sdk/client-elastic-load-balancing-v2';
import { compileFixedResponse, type FixedResponse } from './alb-responses.js';
import type { RuleConfig } from './config.js';
import type { RequestCounter, RequestCounts } from './request-counter.js';

// A listener's rules compiled once per apply(): for each rule, the one
// action that answers (the terminal action: forward, redirect or
// fixed-response, the highest Order), with what the hot path needs ready
// (the fixed body as bytes, the request counters of the target groups).

export type CompiledAction =
  | {
      kind: 'forward';
      action: Action;
      /** The target group when the action forwards to exactly one. */
      single: string | undefined;
      /** Target-group stickiness of a weighted forward. */
      groupStickyMs: number;
      counters: Map<string, RequestCounter>;
    }
  | { kind: 'redirect'; config: RedirectActionConfig }
  | { kind: 'fixed'; response: FixedResponse }
  /** Actions berth does not run (authenticate-oidc, authenticate-cognito, jwt-validation): ALB's 501. */
  | { kind: 'unsupported'; type: string };

export interface CompiledRules {
  rules: RuleConfig[];
  /** Set when the default rule is the only rule: no rule needs evaluating. */
  onlyDefault: RuleConfig | undefined;
  actions: Map<RuleConfig, CompiledAction>;
}

const TERMINAL = new Set(['forward', 'redirect', 'fixed-response']);

export function forwardGroups(a: Action): string[] {
  const tuples = a.ForwardConfig?.TargetGroups ?? [];
  const arns = tuples.map((t) => t.TargetGroupArn).filter((x): x is string => !!x);
  if (a.TargetGroupArn && !arns.includes(a.TargetGroupArn)) arns.push(a.TargetGroupArn);
  return arns;
}

export function compileAction(actions: readonly Action[], loadBalancerArn: string, counts: RequestCounts): CompiledAction {
  const ordered = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
  const other = ordered.find((a) => !TERMINAL.has(a.Type ?? ''));
  if (other) return { kind: 'unsupported', type: other.Type ?? 'unknown' };
  const a = ordered[ordered.length - 1];
  if (!a) return { kind: 'unsupported', type: 'none' };
  if (a.Type === 'redirect') return { kind: 'redirect', config: a.RedirectConfig ?? { StatusCode: 'HTTP_302' } };
  if (a.Type === 'fixed-response') {
    const f = a.FixedResponseConfig;
    return { kind: 'fixed', response: compileFixedResponse(f?.StatusCode, f?.ContentType, f?.MessageBody) };
  }
  const groups = forwardGroups(a);
  const counters = new Map<string, RequestCounter>();
  for (const arn of groups) counters.set(arn, counts.counter(arn, loadBalancerArn));
  // One target group and nothing to weigh: the hot path skips chooseTargetGroup.
  const tuples = a.ForwardConfig?.TargetGroups;
  const single = !tuples?.length ? a.TargetGroupArn : tuples.length === 1 && (tuples[0]!.Weight ?? 1) > 0 ? tuples[0]!.TargetGroupArn : undefined;
  const st = a.ForwardConfig?.TargetGroupStickinessConfig;
  return { kind: 'forward', action: a, single, groupStickyMs: st?.Enabled ? (st.DurationSeconds ?? 3600) * 1000 : 0, counters };
}

export function compileRules(rules: readonly RuleConfig[], loadBalancerArn: string, counts: RequestCounts): CompiledRules {
  const actions = new Map<RuleConfig, CompiledAction>();
  for (const r of rules) actions.set(r, compileAction(r.actions, loadBalancerArn, counts));
  const only = rules.length === 1 && rules[0]!.priority === 'default' ? rules[0] : undefined;
  return { rules: [...rules], onlyDefault: only, actions };
}
