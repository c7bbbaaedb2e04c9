import { PlacementInputError } from './types.js';

// Placement strategies as ECS accepts them (PlacementStrategy: type + field),
// checked once and turned into a small closed type the scorers work from.

export type Strategy =
  | { type: 'random' }
  | { type: 'binpack'; field: 'cpu' | 'memory' }
  | { type: 'spread'; field: 'instanceId' }
  | { type: 'spread'; field: 'attribute'; attribute: string };

/** ECS takes at most 5 strategy rules per task or service. */
export const MAX_STRATEGIES = 5;

const AZ: Strategy = { type: 'spread', field: 'attribute', attribute: 'ecs.availability-zone' };

/**
 * RunTask without placementStrategy: "Using RunTask, you can allow the default
 * task placement strategy to distribute tasks randomly across your cluster"
 * (ECS developer guide, Scheduling Amazon ECS tasks).
 */
export const RUN_TASK_DEFAULT_STRATEGY: readonly Strategy[] = [{ type: 'random' }];

/**
 * A service without placementStrategy: spread over Availability Zones (the
 * docs' default for service tasks), then over the instances in each zone, as
 * the console's "AZ balanced spread" template does.
 */
export const SERVICE_DEFAULT_STRATEGY: readonly Strategy[] = [AZ, { type: 'spread', field: 'instanceId' }];

export interface WireStrategy {
  type?: string;
  field?: string;
}

const invalid = (message: string) => new PlacementInputError(message);

function parseOne(s: WireStrategy): Strategy {
  const field = s.field?.trim();
  switch (s.type) {
    case 'random':
      // "For the random placement strategy, this field is not used."
      return { type: 'random' };
    case 'binpack': {
      const f = field?.toLowerCase();
      if (f === 'cpu' || f === 'memory') return { type: 'binpack', field: f };
      throw invalid(`The binpack placement strategy takes the field cpu or memory, not '${s.field ?? ''}'.`);
    }
    case 'spread': {
      if (!field) throw invalid('The spread placement strategy needs a field: instanceId, host, or attribute:NAME such as attribute:ecs.availability-zone.');
      const lower = field.toLowerCase();
      // "instanceId (or host, which has the same effect)"
      if (lower === 'instanceid' || lower === 'host') return { type: 'spread', field: 'instanceId' };
      if (lower.startsWith('attribute:') && field.length > 'attribute:'.length) return { type: 'spread', field: 'attribute', attribute: field.slice('attribute:'.length) };
      throw invalid(`The spread placement strategy takes the field instanceId, host or attribute:NAME (for example attribute:ecs.availability-zone), not '${field}'.`);
    }
    case undefined:
    case '':
      throw invalid('A placement strategy needs a type: random, spread or binpack.');
    default:
      throw invalid(`'${s.type}' is not a placement strategy type; use random, spread or binpack.`);
  }
}

/** The request's strategies, checked; `fallback` when it names none. Throws PlacementInputError. */
export function parseStrategies(input: readonly WireStrategy[] | undefined, fallback: readonly Strategy[]): Strategy[] {
  if (!input?.length) return [...fallback];
  if (input.length > MAX_STRATEGIES) throw invalid(`You can specify up to ${MAX_STRATEGIES} placement strategies; the request has ${input.length}.`);
  return input.map(parseOne);
}

/** The strategy in ECS's wire form (as DescribeServices shows it). */
export function toWireStrategy(s: Strategy): { type: string; field?: string } {
  if (s.type === 'random') return { type: 'random' };
  if (s.type === 'binpack') return { type: 'binpack', field: s.field };
  return { type: 'spread', field: s.field === 'instanceId' ? 'instanceId' : `attribute:${s.attribute}` };
}
