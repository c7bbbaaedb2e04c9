import type { CapacityProvider, Failure } from '@aws-sdk/client-ecs';
import { AwsError } from '../gateway/errors.js';
import type { Scope } from './arns.js';
import { decodeToken, encodeToken, pageSize } from './pagination.js';

// Capacity providers as DescribeCapacityProviders shows them. Every account
// and region has AWS's two managed ones, FARGATE and FARGATE_SPOT, as on
// AWS; EC2 capacity providers (Auto Scaling groups) are not here yet.

export const MANAGED_CAPACITY_PROVIDERS = ['FARGATE', 'FARGATE_SPOT'] as const;

export const capacityProviderArn = (scope: Scope, name: string) => `arn:aws:ecs:${scope.region}:${scope.accountId}:capacity-provider/${name}`;

function managed(scope: Scope, name: string): CapacityProvider {
  return { capacityProviderArn: capacityProviderArn(scope, name), name, status: 'ACTIVE', tags: [] };
}

/** DescribeCapacityProviders: by name or ARN (at most 100), or all of them a page at a time. */
export function describeCapacityProviders(
  scope: Scope,
  input: { capacityProviders?: string[]; include?: string[]; maxResults?: number; nextToken?: string },
): { capacityProviders: CapacityProvider[]; failures: Failure[]; nextToken?: string } {
  if (input.capacityProviders?.length) {
    if (input.capacityProviders.length > 100) throw new AwsError('InvalidParameterException', 'capacityProviders can have at most 100 items.');
    if (input.maxResults !== undefined || input.nextToken !== undefined) {
      throw new AwsError('InvalidParameterException', 'maxResults and nextToken can be used only when no capacityProviders are named.');
    }
    const found: CapacityProvider[] = [];
    const failures: Failure[] = [];
    for (const ref of input.capacityProviders) {
      const name = MANAGED_CAPACITY_PROVIDERS.find((n) => n === ref || capacityProviderArn(scope, n) === ref);
      if (name) found.push(managed(scope, name));
      else failures.push({ arn: ref.startsWith('arn:') ? ref : capacityProviderArn(scope, ref), reason: 'MISSING' });
    }
    return { capacityProviders: found, failures };
  }
  const limit = pageSize(input.maxResults, 10);
  const after = decodeToken(input.nextToken, ['string'])?.[0];
  const names = MANAGED_CAPACITY_PROVIDERS.filter((n) => after === undefined || n > after);
  const page = names.slice(0, limit);
  return { capacityProviders: page.map((n) => managed(scope, n)), failures: [], nextToken: names.length > limit ? encodeToken([page.at(-1)!]) : undefined };
}
