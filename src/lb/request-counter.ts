import type { RequestCount } from './config.js';

// Requests forwarded per target group × load balancer × minute. Counting is
// one increment on an object the compiled rules hold; drain() hands out what
// was counted since the last drain. Counts are increments: the same minute
// may appear in several drains (the data plane drains every ~10 s), and the
// receiver sums them.

const MINUTE = 60_000;

export class RequestCounter {
  minute = 0;
  requests = 0;
  /** Minutes that ended since the last drain, with their counts. */
  ended: Array<[number, number]> = [];
  constructor(
    readonly targetGroupArn: string,
    readonly loadBalancerArn: string,
  ) {}

  count(now: number): void {
    const minute = now - (now % MINUTE);
    if (minute !== this.minute) {
      if (this.requests > 0) this.ended.push([this.minute, this.requests]);
      this.minute = minute;
      this.requests = 0;
    }
    this.requests++;
  }
}

export class RequestCounts {
  readonly #counters = new Map<string, RequestCounter>();

  /** The counter of one target group behind one load balancer (the same object every time). */
  counter(targetGroupArn: string, loadBalancerArn: string): RequestCounter {
    const key = `${targetGroupArn}\n${loadBalancerArn}`;
    let c = this.#counters.get(key);
    if (!c) this.#counters.set(key, (c = new RequestCounter(targetGroupArn, loadBalancerArn)));
    return c;
  }

  drain(): RequestCount[] {
    const out: RequestCount[] = [];
    for (const c of this.#counters.values()) {
      for (const [minute, requests] of c.ended) out.push({ targetGroupArn: c.targetGroupArn, loadBalancerArn: c.loadBalancerArn, minute, requests });
      c.ended = [];
      if (c.requests > 0) {
        out.push({ targetGroupArn: c.targetGroupArn, loadBalancerArn: c.loadBalancerArn, minute: c.minute, requests: c.requests });
        c.requests = 0;
      }
    }
    return out;
  }
}
