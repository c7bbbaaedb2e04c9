import type { Scope } from '../control/arns.js';
import { AwsError } from '../gateway/errors.js';

// Log group and stream names, their ARNs in AWS's formats, and the
// logGroupIdentifier (a name or an ARN) that newer operations accept.

/** DescribeLogGroups' `arn`: with the trailing `:*` that IAM policies use. */
export const logGroupArn = (s: Scope, name: string) => `arn:aws:logs:${s.region}:${s.accountId}:log-group:${name}:*`;
/** `logGroupArn`: without it, as tagging and logGroupIdentifier take it. */
export const logGroupBareArn = (s: Scope, name: string) => `arn:aws:logs:${s.region}:${s.accountId}:log-group:${name}`;
export const logStreamArn = (s: Scope, group: string, stream: string) => `arn:aws:logs:${s.region}:${s.accountId}:log-group:${group}:log-stream:${stream}`;

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]+$/;
const STREAM_NAME = /^[^:*]*$/;

const patternError = (value: string, field: string, pattern: string) =>
  new AwsError('InvalidParameterException', `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern}`);

export function checkGroupName(name: string, field = 'logGroupName'): void {
  if (!GROUP_NAME.test(name)) throw patternError(name, field, '[\\.\\-_/#A-Za-z0-9]+');
}

export function checkStreamName(name: string, field = 'logStreamName'): void {
  if (!STREAM_NAME.test(name)) throw patternError(name, field, '[^:*]*');
}

export const groupNotFound = () => new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
export const streamNotFound = () => new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');

/** Where a request names its log group: `logGroupName`, or `logGroupIdentifier` (a name or an ARN). */
export interface GroupRef {
  logGroupName?: string;
  logGroupIdentifier?: string;
}

/**
 * The group name a request means, in the caller's scope. An ARN of another
 * account or region names no group the caller has (ResourceNotFoundException).
 */
export function groupNameOf(scope: Scope, ref: GroupRef): string {
  if (ref.logGroupName !== undefined && ref.logGroupIdentifier !== undefined) {
    throw new AwsError('InvalidParameterException', 'LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  }
  if (ref.logGroupName !== undefined) return ref.logGroupName;
  if (ref.logGroupIdentifier === undefined) throw new AwsError('InvalidParameterException', 'Should provide either logGroupName or logGroupIdentifier.');
  return groupNameFromIdentifier(scope, ref.logGroupIdentifier);
}

/** A log group name from a name or a log group ARN (with or without the trailing `:*`). */
export function groupNameFromIdentifier(scope: Scope, identifier: string): string {
  if (!identifier.startsWith('arn:')) return identifier;
  const m = /^arn:aws[a-z-]*:logs:([a-z0-9-]*):(\d*):log-group:([^:]+)(?::\*)?$/.exec(identifier);
  if (!m) throw new AwsError('InvalidParameterException', `The specified log group identifier '${identifier}' is not a log group name or ARN.`);
  if (m[1] !== scope.region || m[2] !== scope.accountId) throw groupNotFound();
  return m[3]!;
}
