import type { Logger } from 'pino';
import { collectGarbage } from './garbage-collector.js';
import type { LifecyclePolicies } from './lifecycle-policies.js';
import type { Registry } from './registry.js';

// The registry's schedule: lifecycle policies applied, then garbage
// collected, every interval (ECR evaluates policies within a day; berth's
// default is ten minutes). One pass at a time; stop() waits for a running one.

export interface MaintenanceOptions {
  intervalMs: number;
  graceMs: number;
  log: Logger;
}

export class RegistryMaintenance {
  readonly #registry: Registry;
  readonly #lifecycle: LifecyclePolicies;
  readonly #opts: MaintenanceOptions;
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;

  constructor(registry: Registry, lifecycle: LifecyclePolicies, opts: MaintenanceOptions) {
    this.#registry = registry;
    this.#lifecycle = lifecycle;
    this.#opts = opts;
  }

  start(): void {
    this.#timer = setInterval(() => void this.runOnce(), this.#opts.intervalMs);
    this.#timer.unref();
  }

  runOnce(now = Date.now()): Promise<void> {
    this.#running ??= (async () => {
      try {
        await this.#lifecycle.applyAll(now);
        await collectGarbage(this.#registry, now, { graceMs: this.#opts.graceMs, log: this.#opts.log });
      } catch (e) {
        this.#opts.log.warn({ err: e }, 'registry maintenance failed; it runs again at the next interval');
      }
    })().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
