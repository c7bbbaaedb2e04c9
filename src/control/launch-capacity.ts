import type { CapacityProviderStrategyItem } from '@aws-sdk/client-ecs';
import { AwsError } from '../gateway/errors.js';
import { isManagedCapacityProvider } from './capacity-providers.js';
import type { ClusterRecord } from './clusters.js';
import { checkPlacesTasks, checkStrategy, StrategyError, type StrategyItem } from './placement/capacity-provider-strategy.js';

// Where a launch's tasks run, decided as ECS decides it from the request and
// the cluster: a launch type (EC2 → the cluster's instances, FARGATE →
// berth's Fargate pool), a capacity provider strategy (FARGATE/FARGATE_SPOT,
// or EC2 capacity providers: the instances of each provider), or, when the
// request names neither, the cluster's default strategy, else EC2.

export type LaunchKind = 'EC2' | 'FARGATE';

export interface CapacityChoice {
  launchType: LaunchKind;
  /** Set when a strategy (the request's or the cluster's default) places the tasks. */
  strategy?: StrategyItem[];
}

const invalid = (message: string) => new AwsError('InvalidParameterException', message);

export const BOTH_MESSAGE = 'Specifying both a launch type and capacity provider strategy is not supported.';
export const NOT_ASSOCIATED_MESSAGE =
  'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.';
export const MIXED_MESSAGE =
  'The specified capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.';

/** The capacity a RunTask or a service's tasks use; throws ECS's InvalidParameterException. */
export function chooseCapacity(cluster: ClusterRecord, input: { launchType?: string; capacityProviderStrategy?: CapacityProviderStrategyItem[] }): CapacityChoice {
  const given = input.capacityProviderStrategy ?? [];
  if (input.launchType && given.length) throw invalid(BOTH_MESSAGE);
  if (input.launchType) {
    if (input.launchType === 'EC2' || input.launchType === 'FARGATE') return { launchType: input.launchType };
    throw invalid(`berth runs tasks with launch type EC2 or FARGATE, not ${input.launchType}.`);
  }
  let strategy: StrategyItem[];
  try {
    if (given.length) {
      strategy = checkStrategy(given, 'capacityProviderStrategy');
    } else {
      const fallback = cluster.body.defaultCapacityProviderStrategy ?? [];
      if (!fallback.length) return { launchType: 'EC2' };
      strategy = checkStrategy(fallback, 'defaultCapacityProviderStrategy');
      checkPlacesTasks(strategy, 'clusterDefault');
    }
  } catch (e) {
    if (e instanceof StrategyError) throw invalid(e.message);
    throw e;
  }
  if (strategy.some((i) => !cluster.body.capacityProviders.includes(i.capacityProvider))) throw invalid(NOT_ASSOCIATED_MESSAGE);
  const fargate = strategy.filter((i) => isManagedCapacityProvider(i.capacityProvider)).length;
  if (fargate && fargate < strategy.length) throw invalid(MIXED_MESSAGE);
  return { launchType: fargate ? 'FARGATE' : 'EC2', strategy };
}
