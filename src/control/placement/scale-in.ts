import type { PlacementOptions } from './place.js';
import { NO_ATTRIBUTE } from './scorers.js';
import type { Strategy } from './strategy.js';
import type { InstanceSnapshot } from './types.js';

// Which tasks to stop when a service shrinks, the way ECS chooses them for
// the same strategies (ECS developer guide, task placement strategies):
//
// - spread: "Amazon ECS selects tasks to terminate that maintain a balance
//   across Availability Zones. Within an Availability Zone, tasks are
//   selected at random." Generally: a task from the bucket (attribute value,
//   or instance for instanceId) holding the most of the set goes first.
// - binpack: "The container instance that has the most available resources
//   left after task termination has that task terminated."
// - random: at random.
//
// Strategies apply in order, each breaking the previous one's ties; random
// breaks what is left. Pure: the caller gives the tasks, the instances and
// the random source.

export interface RunningTask {
  arn: string;
  containerInstanceArn: string;
  /** The task's reservation, returned to its instance when it stops. */
  cpu: number;
  memory: number;
}

/** Picks `count` of `tasks` to stop, in the order ECS would stop them. */
export function chooseTasksToStop(
  tasks: readonly RunningTask[],
  instances: readonly InstanceSnapshot[],
  count: number,
  strategy: readonly Strategy[],
  options: PlacementOptions,
): string[] {
  const byArn = new Map(instances.map((i) => [i.arn, i]));
  const remaining = new Map(instances.map((i) => [i.arn, { cpu: i.cpu, memory: i.memory }]));
  const left = tasks.map((t) => ({ task: t, tiebreak: options.random() }));
  const chain: Strategy[] = [];
  for (const s of strategy) {
    chain.push(s);
    if (s.type === 'random') break;
  }

  const bucketOf = (s: Strategy, t: RunningTask): string =>
    s.type === 'spread' && s.field === 'attribute' ? (byArn.get(t.containerInstanceArn)?.attributes.get(s.attribute) ?? NO_ATTRIBUTE) : t.containerInstanceArn;

  const chosen: string[] = [];
  while (chosen.length < count && left.length) {
    // Per spread strategy: how many of the remaining tasks each bucket holds.
    const counts = chain.map((s) => {
      if (s.type !== 'spread') return undefined;
      const m = new Map<string, number>();
      for (const { task } of left) m.set(bucketOf(s, task), (m.get(bucketOf(s, task)) ?? 0) + 1);
      return m;
    });
    // Higher key = stopped first.
    const key = (e: (typeof left)[number], i: number): number => {
      const s = chain[i]!;
      const t = e.task;
      if (s.type === 'spread') return counts[i]!.get(bucketOf(s, t))!;
      if (s.type === 'binpack') {
        const r = remaining.get(t.containerInstanceArn) ?? { cpu: 0, memory: 0 };
        return s.field === 'cpu' ? r.cpu + t.cpu : r.memory + t.memory;
      }
      return e.tiebreak;
    };
    let best = 0;
    for (let j = 1; j < left.length; j++) {
      let decided = false;
      for (let i = 0; i < chain.length && !decided; i++) {
        const d = key(left[j]!, i) - key(left[best]!, i);
        if (d) {
          if (d > 0) best = j;
          decided = true;
        }
      }
      if (!decided && left[j]!.tiebreak > left[best]!.tiebreak) best = j;
    }
    const [stop] = left.splice(best, 1);
    const r = remaining.get(stop!.task.containerInstanceArn);
    if (r) {
      r.cpu += stop!.task.cpu;
      r.memory += stop!.task.memory;
    }
    chosen.push(stop!.task.arn);
  }
  return chosen;
}
