import type { Logger } from 'pino';
import { DAY_MS } from './batch-rules.js';

// Retention is enforced: a timer deletes events older than each group's
// retentionInDays. AWS may take up to 72 hours; berth sweeps every
// `intervalMs` (10 minutes by default) and tests call the sweep directly.

export const DEFAULT_RETENTION_INTERVAL_MS = 10 * 60 * 1000;

/** Log field names of the sweep's lines. */
const FIELD = { groups: 'logGroups', events: 'logEvents', bytes: 'logBytes' } as const;

/** Events with timestamps before this are past a `days`-day retention at `now`. */
export const retentionCutoff = (days: number, now: number): number => now - days * DAY_MS;

export interface RetentionSweep {
  groups: number;
  events: number;
  bytes: number;
}

export class RetentionTimer {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sweep: (now: number) => RetentionSweep,
    private readonly opts: { intervalMs?: number; log?: Logger } = {},
  ) {}

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.runOnce(Date.now()), this.opts.intervalMs ?? DEFAULT_RETENTION_INTERVAL_MS);
    this.#timer.unref();
  }

  runOnce(now: number): RetentionSweep | undefined {
    try {
      const r = this.sweep(now);
      if (r.events) this.opts.log?.debug({ [FIELD.groups]: r.groups, [FIELD.events]: r.events, [FIELD.bytes]: r.bytes }, 'log retention deleted expired events');
      return r;
    } catch (e) {
      this.opts.log?.warn({ err: e }, 'log retention sweep failed');
      return undefined;
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
