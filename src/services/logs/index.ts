import type * as cwl from '@aws-sdk/client-cloudwatch-logs';
import type { Scope } from '../../control/arns.js';
import { AwsError } from '../../gateway/errors.js';
import type { RequestContext, ServiceDefinition } from '../../gateway/service.js';
import type { LogStore } from '../../logs/log-store.js';
import { groupNameFromIdentifier } from '../../logs/names.js';
import { logsModel, readInputEvents } from './input-events.js';

// Amazon CloudWatch Logs API operation handlers (json-1.1, target prefix
// Logs_20140328): thin, over the log store.

export interface LogsDeps {
  logs: LogStore;
}

const scopeOf = (ctx: RequestContext): Scope => ({ accountId: ctx.caller.accountId, region: ctx.caller.region });

/** The log group a tagging ARN names (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME`). */
function groupNameFromResourceArn(scope: Scope, arn: string): string {
  if (!/^arn:aws[a-z-]*:logs:[a-z0-9-]*:\d*:log-group:[^:]+(:\*)?$/.test(arn)) {
    if (/^arn:aws[a-z-]*:logs:/.test(arn)) throw new AwsError('ResourceNotFoundException', 'The specified resource does not exist.');
    throw new AwsError('InvalidParameterException', `Invalid parameter at 'resourceArn' failed to satisfy constraint: '${arn}' is not a CloudWatch Logs log group ARN.`);
  }
  return groupNameFromIdentifier(scope, arn);
}

export function logsService(d: LogsDeps): ServiceDefinition {
  const { logs } = d;
  return {
    name: 'logs',
    signingName: 'logs',
    model: logsModel(),
    protocol: 'json',
    validationErrorCode: 'InvalidParameterException',
    handlers: {
      // log groups
      CreateLogGroup: (i: cwl.CreateLogGroupRequest, ctx) => {
        logs.createLogGroup(scopeOf(ctx), { ...i, logGroupName: i.logGroupName! }, ctx.now);
        return {};
      },
      DeleteLogGroup: (i: cwl.DeleteLogGroupRequest, ctx) => {
        logs.deleteLogGroup(scopeOf(ctx), i.logGroupName!);
        return {};
      },
      DescribeLogGroups: (i: cwl.DescribeLogGroupsRequest, ctx) => logs.groups.describe(scopeOf(ctx), i),
      PutRetentionPolicy: (i: cwl.PutRetentionPolicyRequest, ctx) => {
        logs.groups.setRetention(scopeOf(ctx), i.logGroupName!, i.retentionInDays!);
        return {};
      },
      DeleteRetentionPolicy: (i: cwl.DeleteRetentionPolicyRequest, ctx) => {
        logs.groups.setRetention(scopeOf(ctx), i.logGroupName!, undefined);
        return {};
      },
      PutLogGroupDeletionProtection: (i: cwl.PutLogGroupDeletionProtectionRequest, ctx) => {
        const scope = scopeOf(ctx);
        logs.groups.setDeletionProtection(scope, groupNameFromIdentifier(scope, i.logGroupIdentifier!), i.deletionProtectionEnabled!);
        return {};
      },

      // log streams
      CreateLogStream: (i: cwl.CreateLogStreamRequest, ctx) => {
        logs.streams.create(logs.groups.get(scopeOf(ctx), i.logGroupName!), i.logStreamName!, ctx.now);
        return {};
      },
      DeleteLogStream: (i: cwl.DeleteLogStreamRequest, ctx) => {
        logs.streams.delete(logs.groups.get(scopeOf(ctx), i.logGroupName!), i.logStreamName!);
        return {};
      },
      DescribeLogStreams: (i: cwl.DescribeLogStreamsRequest, ctx) => logs.streams.describe(logs.group(scopeOf(ctx), i), i),

      // events
      PutLogEvents: (i: Omit<cwl.PutLogEventsRequest, 'logEvents'> & { logEvents?: unknown }, ctx) => {
        const { timestamps, messages } = readInputEvents(i.logEvents);
        return logs.putLogEvents(scopeOf(ctx), { logGroupName: i.logGroupName!, logStreamName: i.logStreamName! }, timestamps, messages, ctx.now);
      },
      GetLogEvents: (i: cwl.GetLogEventsRequest, ctx) => logs.getLogEvents(scopeOf(ctx), i),
      FilterLogEvents: (i: cwl.FilterLogEventsRequest, ctx) => logs.filterLogEvents(scopeOf(ctx), i),
      StartLiveTail: () => {
        // Live Tail answers with an event stream (application/vnd.amazon.eventstream) held open for up to
        // three hours; the gateway serializes one body per request. FilterLogEvents polling
        // (`aws logs tail --follow`) is what berth serves for following a group.
        throw new AwsError(
          'InvalidOperationException',
          'berth does not serve Live Tail sessions (StartLiveTail streams events over an event stream, which berth does not support). Poll FilterLogEvents instead, e.g. `aws logs tail GROUP --follow`.',
        );
      },

      // tags
      TagResource: (i: cwl.TagResourceRequest, ctx) => {
        const scope = scopeOf(ctx);
        const group = logs.groups.get(scope, groupNameFromResourceArn(scope, i.resourceArn!));
        logs.tags.set(group, i.tags ?? {}, i.resourceArn!);
        return {};
      },
      UntagResource: (i: cwl.UntagResourceRequest, ctx) => {
        const scope = scopeOf(ctx);
        logs.tags.remove(logs.groups.get(scope, groupNameFromResourceArn(scope, i.resourceArn!)), i.tagKeys ?? []);
        return {};
      },
      ListTagsForResource: (i: cwl.ListTagsForResourceRequest, ctx) => {
        const scope = scopeOf(ctx);
        return { tags: logs.tags.list(logs.groups.get(scope, groupNameFromResourceArn(scope, i.resourceArn!))) };
      },
      TagLogGroup: (i: cwl.TagLogGroupRequest, ctx) => {
        const group = logs.groups.get(scopeOf(ctx), i.logGroupName!);
        logs.tags.set(group, i.tags ?? {}, logs.groups.arnOf(group));
        return {};
      },
      UntagLogGroup: (i: cwl.UntagLogGroupRequest, ctx) => {
        logs.tags.remove(logs.groups.get(scopeOf(ctx), i.logGroupName!), i.tags ?? []);
        return {};
      },
      ListTagsLogGroup: (i: cwl.ListTagsLogGroupRequest, ctx) => ({ tags: logs.tags.list(logs.groups.get(scopeOf(ctx), i.logGroupName!)) }),

      // metric filters
      PutMetricFilter: (i: cwl.PutMetricFilterRequest, ctx) => {
        logs.metricFilters.put(logs.groups.get(scopeOf(ctx), i.logGroupName!), i, ctx.now);
        return {};
      },
      DescribeMetricFilters: (i: cwl.DescribeMetricFiltersRequest, ctx) => {
        const scope = scopeOf(ctx);
        return logs.metricFilters.describe(scope, i.logGroupName !== undefined ? logs.groups.get(scope, i.logGroupName) : undefined, i);
      },
      DeleteMetricFilter: (i: cwl.DeleteMetricFilterRequest, ctx) => {
        logs.metricFilters.delete(logs.groups.get(scopeOf(ctx), i.logGroupName!), i.filterName!);
        return {};
      },
    },
  };
}
