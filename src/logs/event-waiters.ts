// Followers (`berth logs --follow`) wait for a group's next events instead of
// polling: each waits for the group's sequence to pass the last one it saw.
// The store tells this object after every committed batch.

interface Waiter {
  afterSeq: number;
  resolve: (seq: number) => void;
  timer: NodeJS.Timeout;
}

export class EventWaiters {
  #byGroup = new Map<number, Set<Waiter>>();

  /**
   * Resolves with the group's last sequence once it is > afterSeq, or with `current` when timeoutMs pass first.
   * The timer is not unref'd: a caller awaiting the answer must not see the process end under it.
   */
  wait(groupId: number, current: number, afterSeq: number, timeoutMs: number): Promise<number> {
    if (current > afterSeq) return Promise.resolve(current);
    return new Promise((resolve) => {
      let set = this.#byGroup.get(groupId);
      if (!set) this.#byGroup.set(groupId, (set = new Set()));
      const waiter: Waiter = {
        afterSeq,
        resolve,
        timer: setTimeout(() => {
          this.#remove(groupId, waiter);
          resolve(current);
        }, timeoutMs),
      };
      set.add(waiter);
    });
  }

  /** The group's events now reach `lastSeq`. */
  notify(groupId: number, lastSeq: number): void {
    const set = this.#byGroup.get(groupId);
    if (!set) return;
    for (const w of [...set]) {
      if (lastSeq > w.afterSeq) {
        this.#remove(groupId, w);
        w.resolve(lastSeq);
      }
    }
  }

  /** The group is gone (or the store closes): every waiter on it returns now with what it has. */
  release(groupId?: number): void {
    const groups = groupId === undefined ? [...this.#byGroup.keys()] : [groupId];
    for (const g of groups) {
      for (const w of [...(this.#byGroup.get(g) ?? [])]) {
        this.#remove(g, w);
        w.resolve(w.afterSeq);
      }
    }
  }

  #remove(groupId: number, w: Waiter): void {
    clearTimeout(w.timer);
    const set = this.#byGroup.get(groupId);
    set?.delete(w);
    if (set && set.size === 0) this.#byGroup.delete(groupId);
  }
}
