// A binary min-heap with a fixed order, for placement's per-bucket candidate
// lists: peek at the best, drop it, or let it sink after its key changed.

export class Heap<T> {
  #items: T[] = [];

  constructor(readonly less: (a: T, b: T) => boolean) {}

  /** A heap of `items` (taken over, not copied), ordered in O(n). */
  static of<T>(items: T[], less: (a: T, b: T) => boolean): Heap<T> {
    const h = new Heap(less);
    h.#items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) h.#sink(i);
    return h;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.#items;
    const top = a[0];
    const last = a.pop();
    if (a.length && last !== undefined) {
      a[0] = last;
      this.#sink(0);
    }
    return top;
  }

  /** The top's key grew (or shrank, which keeps it on top): restore the order. */
  topChanged(): void {
    if (this.#items.length) this.#sink(0);
  }

  #sink(i: number): void {
    const a = this.#items;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(a[l]!, a[m]!)) m = l;
      if (r < n && this.less(a[r]!, a[m]!)) m = r;
      if (m === i) return;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
  }
}
