import type { Slot } from './filters.js';
import type { Strategy } from './strategy.js';

// The strategies as scorers: each gives an instance a number, lower is
// preferred, and place.ts compares instances by the scorers in the order the
// strategies were given (the next one only breaks the previous one's ties).
//
// - binpack(cpu|memory): what the instance has left: the least that still
//   fits wins, so tasks fill the fullest instances first.
// - spread(instanceId): the group's tasks on the instance.
// - spread(attribute:NAME): the group's tasks on all instances sharing the
//   instance's value of NAME (its bucket); instances without the attribute
//   share one bucket of their own.
// - random: an exponential clock per instance. The smallest clock wins and
//   the winner's clock advances by a fresh Exp(1) draw; by memorylessness the
//   other clocks are then still independent Exp(1) past the winner's, so
//   among instances that tie on everything before `random` the choice is
//   uniform, and it costs a heap update instead of a scan.

export interface Scorer {
  /** A bucket scorer scores every instance of a bucket alike; placement keeps one heap per combination of buckets. */
  readonly bucket?: { attribute: string; counts: Map<string, number>; position: number };
  score(slot: Slot): number;
}

/** The bucket of an instance without the attribute. */
export const NO_ATTRIBUTE = '\u0000none';

export function scorerFor(strategy: Strategy, bucketPosition: () => number): Scorer {
  switch (strategy.type) {
    case 'binpack':
      return strategy.field === 'cpu' ? { score: (s) => s.cpu } : { score: (s) => s.memory };
    case 'random':
      return { score: (s) => s.clock };
    case 'spread': {
      if (strategy.field === 'instanceId') return { score: (s) => s.groupTasks };
      const bucket = { attribute: strategy.attribute, counts: new Map<string, number>(), position: bucketPosition() };
      return { bucket, score: (s) => bucket.counts.get(s.buckets[bucket.position]!) ?? 0 };
    }
  }
}

/** An Exp(1) draw from a uniform source. */
export function exponential(random: () => number): number {
  return -Math.log(1 - random());
}
