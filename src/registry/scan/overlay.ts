// The union filesystem, reduced to the files the scanner cares about. Each
// layer's findings are kept apart until the layer ends, because OCI whiteouts
// hide only what *lower* layers put there, and a layer's entries may come in
// any order. A file replaced by a later layer is forgotten; a file replaced by
// a directory is not (rare, and it would need a prefix scan per entry).

export class Overlay<T> {
  #lower = new Map<string, T>();
  #layer = new Map<string, T>();

  /** `.wh.<name>`: the path and, if it was a directory, everything under it. */
  whiteout(path: string): void {
    this.#lower.delete(path);
    this.opaque(path);
  }

  /** `.wh..wh..opq`: the directory's lower contents. */
  opaque(dir: string): void {
    const prefix = dir === '' ? '' : `${dir}/`;
    for (const key of [...this.#lower.keys()]) if (key.startsWith(prefix)) this.#lower.delete(key);
  }

  /** Any non-directory entry at `path` in the current layer hides the lower file there. */
  replace(path: string): void {
    this.#lower.delete(path);
  }

  set(path: string, value: T): void {
    this.#layer.set(path, value);
  }

  endLayer(): void {
    for (const [k, v] of this.#layer) this.#lower.set(k, v);
    this.#layer.clear();
  }

  get(path: string): T | undefined {
    return this.#layer.get(path) ?? this.#lower.get(path);
  }

  /** What the finished image holds, by path. */
  entries(): Array<[string, T]> {
    return [...this.#lower].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
