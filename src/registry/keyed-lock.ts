// Serializes work per key within this process: an upload's chunks arrive one
// at a time, and garbage collection never deletes a blob while a push is
// linking it.

export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn, fn);
    const tail = result.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  busy(key: string): boolean {
    return this.#tails.has(key);
  }
}
