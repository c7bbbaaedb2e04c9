import type {
  CreateTargetGroupInput,
  DeregisterTargetsInput,
  DescribeTargetGroupAttributesInput,
  DescribeTargetGroupsInput,
  DescribeTargetHealthInput,
  ModifyTargetGroupAttributesInput,
  ModifyTargetGroupInput,
  RegisterTargetsInput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Scope } from '../../control/arns.js';
import type { TargetGroups } from '../../control/elb/target-groups.js';
import type { Targets } from '../../control/elb/targets.js';
import type { Handler, RequestContext } from '../../gateway/service.js';

// ELBv2's target group and target operations: thin handlers over
// control/elb's TargetGroups and Targets.

const scopeOf = (ctx: RequestContext): Scope => ({ accountId: ctx.caller.accountId, region: ctx.caller.region });

export function targetGroupHandlers(deps: { targetGroups: TargetGroups; targets: Targets }): Record<string, Handler> {
  const { targetGroups, targets } = deps;
  return {
    CreateTargetGroup: async (input: CreateTargetGroupInput, ctx) => ({ TargetGroups: [await targetGroups.create(scopeOf(ctx), input)] }),
    DescribeTargetGroups: (input: DescribeTargetGroupsInput, ctx) => targetGroups.describe(scopeOf(ctx), input),
    ModifyTargetGroup: async (input: ModifyTargetGroupInput, ctx) => ({ TargetGroups: [await targetGroups.modify(scopeOf(ctx), input)] }),
    DeleteTargetGroup: async (input: { TargetGroupArn: string }, ctx) => {
      await targetGroups.delete(scopeOf(ctx), input.TargetGroupArn);
      return {};
    },
    DescribeTargetGroupAttributes: async (input: DescribeTargetGroupAttributesInput, ctx) => ({
      Attributes: await targetGroups.attributes(scopeOf(ctx), input.TargetGroupArn!),
    }),
    ModifyTargetGroupAttributes: async (input: ModifyTargetGroupAttributesInput, ctx) => ({
      Attributes: await targetGroups.modifyAttributes(scopeOf(ctx), input.TargetGroupArn!, input.Attributes ?? []),
    }),
    RegisterTargets: async (input: RegisterTargetsInput, ctx) => {
      await targets.register(scopeOf(ctx), input.TargetGroupArn!, input.Targets ?? [], ctx.now);
      return {};
    },
    DeregisterTargets: async (input: DeregisterTargetsInput, ctx) => {
      await targets.deregister(scopeOf(ctx), input.TargetGroupArn!, input.Targets ?? [], ctx.now);
      return {};
    },
    DescribeTargetHealth: async (input: DescribeTargetHealthInput, ctx) => ({
      TargetHealthDescriptions: await targets.describeHealth(scopeOf(ctx), input.TargetGroupArn!, input.Targets, ctx.now),
    }),
  };
}
