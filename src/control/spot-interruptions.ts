import type { Logger } from 'pino';
import type { Tasks } from './tasks.js';

// An optional steady rate of FARGATE_SPOT interruptions (`berth up
// --spot-interruption-rate R`): R interruptions per Spot task-hour, so that
// services built for Spot meet reclaimed capacity without anyone running
// `berth fargate interrupt`. Every interval, each cluster's expected number
// of interruptions (its running Spot tasks × R × the interval) is drawn and
// interrupted as AWS does (Tasks.interruptSpot).

/** How many of `spotTasks` to interrupt in `intervalMs` at `ratePerTaskHour`: the expectation's whole part, plus one with its fraction's probability. */
export function interruptionsDue(spotTasks: number, ratePerTaskHour: number, intervalMs: number, random: () => number): number {
  const expected = (spotTasks * ratePerTaskHour * intervalMs) / 3_600_000;
  const whole = Math.floor(expected);
  return Math.min(spotTasks, whole + (random() < expected - whole ? 1 : 0));
}

export interface SpotInterruptionOptions {
  ratePerTaskHour: number;
  intervalMs?: number;
  log: Logger;
  random?: () => number;
}

export class SpotInterruptions {
  #timer?: NodeJS.Timeout;
  #running = false;

  constructor(
    readonly tasks: Tasks,
    readonly opts: SpotInterruptionOptions,
  ) {}

  start(): void {
    const every = this.opts.intervalMs ?? 10_000;
    this.#timer = setInterval(() => void this.runOnce(Date.now(), every), every);
    this.#timer.unref();
  }

  close(): void {
    clearInterval(this.#timer);
  }

  /** One draw per cluster with running Spot tasks; returns how many tasks were interrupted. */
  async runOnce(now: number, intervalMs: number): Promise<number> {
    if (this.#running) return 0;
    this.#running = true;
    let interrupted = 0;
    try {
      for (const c of await this.tasks.runningSpotTasks()) {
        const count = interruptionsDue(c.count, this.opts.ratePerTaskHour, intervalMs, this.opts.random ?? Math.random);
        if (!count) continue;
        const tasks = await this.tasks.interruptSpot(c.scope, { cluster: c.clusterArn, count }, now);
        interrupted += tasks.length;
        this.opts.log.info({ cluster: c.clusterArn, count: tasks.length, tasks: tasks.map((t) => t.taskArn) }, 'interrupted FARGATE_SPOT tasks (the interruption rate)');
      }
    } catch (e) {
      this.opts.log.warn({ err: e }, 'the Spot interruption draw failed');
    } finally {
      this.#running = false;
    }
    return interrupted;
  }
}
