// Reads the values at a fixed set of JSON paths straight from a log message's
// text, validating the whole message as JSON on the way, without building the
// document. A JSON filter pattern runs over every event of a FilterLogEvents
// scan, where JSON.parse alone would spend most of the per-event budget
// building objects and strings the pattern never looks at. This reader decodes
// only the values a pattern names and, when the message holds no backslash,
// steps over strings with indexOf; test/logs/filter-pattern-speed.test.ts
// reports it beside JSON.parse.
//
//   text ──scan──▶ at each value: is this position on a wanted path?
//                    yes, a leaf  → decode it into found[selector]
//                    yes, inside  → descend with the path trie's child
//                    no           → validate and skip
//
// Paths form a trie; a wildcard step (`[*]`, `.*`) is merged into its named
// siblings up front so that every position has exactly one trie node.
// Nesting deeper than MAX_DEPTH falls back to JSON.parse and a walk of the
// parsed value (readParsed), which is also the reference the tests compare
// against. Duplicate keys are the one place the two may differ: a path
// without a wildcard keeps the last occurrence as JSON.parse does, but a
// wildcard reaches every occurrence, and a path through a repeated key
// (`$.a.b` in {"a":{"b":1},"a":{}}) finds what the earlier one held.

export type Step = { readonly kind: 'key'; readonly key: string } | { readonly kind: 'index'; readonly index: number } | { readonly kind: 'any' };

/** What a path found: a scalar, null, or NESTED for an object or array (which no comparison accepts). */
export type Found = string | number | boolean | null | typeof NESTED;

export const NESTED: unique symbol = Symbol('nested');

interface TrieNode {
  keys: Map<string, TrieNode>;
  indexes: Map<number, TrieNode>;
  any: TrieNode | null;
  /** Selectors that end here. */
  ends: number[];
  /** keys as parallel arrays, compared in place against the message (no key string is built). */
  keyNames: string[];
  keyNodes: TrieNode[];
}

const newNode = (): TrieNode => ({ keys: new Map(), indexes: new Map(), any: null, ends: [], keyNames: [], keyNodes: [] });

function index(node: TrieNode): void {
  node.keyNames = [...node.keys.keys()];
  node.keyNodes = [...node.keys.values()];
  for (const child of node.keyNodes) index(child);
  for (const child of node.indexes.values()) index(child);
  if (node.any) index(node.any);
}

function isDigit(s: string, k: number): boolean {
  const c = s.charCodeAt(k);
  return c >= 0x30 && c <= 0x39;
}

function mergeInto(target: TrieNode, source: TrieNode): void {
  for (const id of source.ends) if (!target.ends.includes(id)) target.ends.push(id);
  for (const [k, child] of source.keys) {
    const t = target.keys.get(k) ?? newNode();
    target.keys.set(k, t);
    mergeInto(t, child);
  }
  for (const [k, child] of source.indexes) {
    const t = target.indexes.get(k) ?? newNode();
    target.indexes.set(k, t);
    mergeInto(t, child);
  }
  if (source.any) {
    target.any ??= newNode();
    mergeInto(target.any, source.any);
  }
}

/** After this, a named child also carries everything the wildcard sibling wants. */
function foldWildcards(node: TrieNode): void {
  if (node.any) {
    foldWildcards(node.any);
    for (const child of node.keys.values()) mergeInto(child, node.any);
    for (const child of node.indexes.values()) mergeInto(child, node.any);
  }
  for (const child of node.keys.values()) foldWildcards(child);
  for (const child of node.indexes.values()) foldWildcards(child);
}

const MAX_DEPTH = 200;
/** Characters no JSON string holds raw. */
const CONTROL = /[\u0000-\u001f]/;
const NOTHING: readonly Found[] = Object.freeze([]);
const TOO_DEEP = Symbol('too deep');

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

export class JsonPathReader {
  readonly #root: TrieNode;
  readonly #multi: boolean[];
  readonly #found: Found[][];
  /** #found[id] belongs to the message being read only when #seen[id] === #generation. */
  readonly #seen: Float64Array;
  #generation = 1;
  #s = '';
  #i = 0;
  #escaped = false;
  /** Open containers while skipping: '{' or '['. */
  readonly #open = new Uint8Array(MAX_DEPTH);
  /** The message holds no backslash: a string ends at the next '"' (control characters are confirm()'s business). */
  #plain = false;

  constructor(paths: readonly (readonly Step[])[]) {
    this.#root = newNode();
    this.#multi = paths.map((p) => p.some((s) => s.kind === 'any'));
    this.#found = paths.map(() => []);
    this.#seen = new Float64Array(paths.length);
    paths.forEach((path, id) => {
      let node = this.#root;
      for (const step of path) {
        let next: TrieNode | undefined;
        if (step.kind === 'key') {
          next = node.keys.get(step.key);
          if (!next) node.keys.set(step.key, (next = newNode()));
        } else if (step.kind === 'index') {
          next = node.indexes.get(step.index);
          if (!next) node.indexes.set(step.index, (next = newNode()));
        } else {
          next = node.any ??= newNode();
        }
        node = next;
      }
      node.ends.push(id);
    });
    foldWildcards(this.#root);
    index(this.#root);
  }

  /** What path `id` found in the last message read: empty when absent. */
  found(id: number): readonly Found[] {
    return this.#seen[id] === this.#generation ? this.#found[id]! : NOTHING;
  }

  /**
   * Reads one message; false (and nothing found) when it is not a JSON
   * document. A loose read skips one check, that no string holds a raw
   * control character, which costs a pass over the whole message; confirm()
   * makes it afterwards, for the few messages where the answer matters.
   * A caller that already looked for a backslash passes what it found.
   */
  read(text: string, loose = false, hasBackslash = text.indexOf('\\') >= 0): boolean {
    this.#s = text;
    this.#plain = !hasBackslash;
    if (!this.#scan()) return false;
    return loose || this.confirm();
  }

  /** After a loose read: is the message strictly JSON? */
  confirm(): boolean {
    if (!this.#plain || !CONTROL.test(this.#s)) return true;
    // A control character somewhere (maybe only a newline between tokens): check every string.
    this.#plain = false;
    return this.#scan();
  }

  #scan(): boolean {
    this.#generation++;
    this.#i = 0;
    try {
      this.#ws();
      const ok = this.#value(this.#root, 0);
      this.#ws();
      if (ok && this.#i === this.#s.length) return true;
    } catch (err) {
      if (err !== TOO_DEEP) throw err;
      return this.readParsed(this.#s);
    }
    this.#generation++;
    return false;
  }

  /** The same as read, through JSON.parse. */
  readParsed(text: string): boolean {
    this.#generation++;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return false;
    }
    this.#walk(doc, this.#root);
    return true;
  }

  #walk(value: unknown, node: TrieNode): void {
    this.#record(node, value !== null && typeof value === 'object' ? NESTED : (value as Found));
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      value.forEach((v, k) => {
        const child = node.indexes.get(k) ?? node.any;
        if (child) this.#walk(v, child);
      });
    } else {
      for (const [k, v] of Object.entries(value)) {
        const child = node.keys.get(k) ?? node.any;
        if (child) this.#walk(v, child);
      }
    }
  }

  #record(node: TrieNode, value: Found): void {
    const ends = node.ends;
    for (let k = 0; k < ends.length; k++) {
      const id = ends[k]!;
      if (this.#multi[id] && this.#seen[id] === this.#generation) {
        this.#found[id]!.push(value);
      } else {
        // A path without a wildcard keeps the last occurrence, as JSON.parse does with duplicate keys.
        this.#found[id] = [value];
        this.#seen[id] = this.#generation;
      }
    }
  }

  #ws(): void {
    const s = this.#s;
    let i = this.#i;
    while (isWs(s.charCodeAt(i))) i++;
    this.#i = i;
  }

  /** Validates the value at #i, recording it when node wants it; node is null to just skip. */
  #value(node: TrieNode | null, depth: number): boolean {
    if (node === null) return this.#skip();
    const s = this.#s;
    const start = this.#i;
    const c = s.charCodeAt(start);
    if (c === 0x7b /* { */) return this.#object(node, depth + 1);
    if (c === 0x5b /* [ */) return this.#array(node, depth + 1);
    let end: number;
    let value: Found;
    if (c === 0x22 /* " */) {
      end = this.#stringEnd(start);
      if (end < 0) return false;
      value = this.#escaped ? (JSON.parse(s.slice(start, end)) as string) : s.slice(start + 1, end - 1);
    } else if (c === 0x74 /* t */ || c === 0x66 /* f */ || c === 0x6e /* n */) {
      end = literalEnd(s, start, c);
      if (end < 0) return false;
      value = c === 0x74 ? true : c === 0x66 ? false : null;
    } else {
      end = numberEnd(s, start);
      if (end < 0) return false;
      value = Number(s.slice(start, end));
    }
    this.#i = end;
    if (node.ends.length > 0) this.#record(node, value);
    return true;
  }

  #object(node: TrieNode, depth: number): boolean {
    if (depth > MAX_DEPTH) throw TOO_DEEP;
    const s = this.#s;
    if (node.ends.length > 0) this.#record(node, NESTED);
    const search = node.keyNames.length > 0 || node.any !== null;
    let i = this.#i + 1; // after '{'
    while (isWs(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) === 0x7d /* } */) {
      this.#i = i + 1;
      return true;
    }
    for (;;) {
      if (s.charCodeAt(i) !== 0x22) return false;
      const keyEnd = this.#stringEnd(i);
      if (keyEnd < 0) return false;
      let child: TrieNode | null = null;
      if (search) {
        child = this.#escaped ? (node.keys.get(JSON.parse(s.slice(i, keyEnd)) as string) ?? node.any) : this.#child(node, i + 1, keyEnd - 1);
      }
      i = keyEnd;
      while (isWs(s.charCodeAt(i))) i++;
      if (s.charCodeAt(i) !== 0x3a /* : */) return false;
      i++;
      while (isWs(s.charCodeAt(i))) i++;
      if (child !== null) {
        this.#i = i;
        if (!this.#value(child, depth)) return false;
        i = this.#i;
      } else {
        // Most members are skipped; strings and numbers without a call to #skip.
        const v = s.charCodeAt(i);
        if (v === 0x22) i = this.#stringEnd(i);
        else if ((v >= 0x30 && v <= 0x39) || v === 0x2d) i = numberEnd(s, i);
        else {
          this.#i = i;
          i = this.#skip() ? this.#i : -1;
        }
        if (i < 0) return false;
      }
      while (isWs(s.charCodeAt(i))) i++;
      const c = s.charCodeAt(i);
      i++;
      if (c === 0x7d /* } */) {
        this.#i = i;
        return true;
      }
      if (c !== 0x2c /* , */) return false;
      while (isWs(s.charCodeAt(i))) i++;
    }
  }

  /** The child for the unescaped key at text [from, to), compared in place. */
  #child(node: TrieNode, from: number, to: number): TrieNode | null {
    const names = node.keyNames;
    const length = to - from;
    const s = this.#s;
    for (let k = 0; k < names.length; k++) {
      const name = names[k]!;
      if (name.length === length && s.charCodeAt(from) === name.charCodeAt(0) && s.startsWith(name, from)) return node.keyNodes[k]!;
    }
    return node.any;
  }

  #array(node: TrieNode, depth: number): boolean {
    if (depth > MAX_DEPTH) throw TOO_DEEP;
    const s = this.#s;
    if (node.ends.length > 0) this.#record(node, NESTED);
    const search = node.indexes.size > 0 || node.any !== null;
    this.#i++; // [
    this.#ws();
    if (s.charCodeAt(this.#i) === 0x5d /* ] */) {
      this.#i++;
      return true;
    }
    for (let k = 0; ; k++) {
      const child = search ? (node.indexes.get(k) ?? node.any) : null;
      if (!this.#value(child, depth)) return false;
      this.#ws();
      const c = s.charCodeAt(this.#i);
      this.#i++;
      if (c === 0x5d /* ] */) return true;
      if (c !== 0x2c /* , */) return false;
      this.#ws();
    }
  }

  /**
   * Validates and steps over the value at #i, recording nothing. Most of a
   * message is skipped, so this is one loop over locals with an explicit
   * stack of open containers rather than recursion.
   */
  #skip(): boolean {
    const s = this.#s;
    const open = this.#open;
    let depth = 0;
    let i = this.#i;
    for (;;) {
      // A value starts at i.
      let c = s.charCodeAt(i);
      if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        i++;
        while (isWs(s.charCodeAt(i))) i++;
        if (s.charCodeAt(i) === (c === 0x7b ? 0x7d : 0x5d)) {
          i++;
        } else {
          if (depth === open.length) throw TOO_DEEP;
          open[depth++] = c;
          if (c === 0x7b) {
            i = this.#keyEnd(i);
            if (i < 0) return false;
          }
          continue;
        }
      } else if (c === 0x22 /* " */) {
        i = this.#stringEnd(i);
        if (i < 0) return false;
      } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
        i = literalEnd(s, i, c);
        if (i < 0) return false;
      } else {
        i = numberEnd(s, i);
        if (i < 0) return false;
      }
      // After a value: close containers, or go on to the next member.
      for (;;) {
        if (depth === 0) {
          this.#i = i;
          return true;
        }
        while (isWs(s.charCodeAt(i))) i++;
        c = s.charCodeAt(i);
        const inObject = open[depth - 1] === 0x7b;
        if (c === 0x2c /* , */) {
          i++;
          while (isWs(s.charCodeAt(i))) i++;
          if (inObject) {
            i = this.#keyEnd(i);
            if (i < 0) return false;
          }
          break;
        }
        if (c !== (inObject ? 0x7d : 0x5d)) return false;
        i++;
        depth--;
      }
    }
  }

  /** `"key" :` at i; returns where its value starts, or -1. */
  #keyEnd(i: number): number {
    const s = this.#s;
    if (s.charCodeAt(i) !== 0x22) return -1;
    i = this.#stringEnd(i);
    if (i < 0) return -1;
    while (isWs(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 0x3a) return -1;
    i++;
    while (isWs(s.charCodeAt(i))) i++;
    return i;
  }

  /** The index after the string starting at i ('"'), or -1; sets #escaped when it holds an escape sequence. */
  #stringEnd(i: number): number {
    const s = this.#s;
    if (this.#plain) {
      // No backslash anywhere in the message: the next quote ends the string.
      const close = s.indexOf('"', i + 1);
      this.#escaped = false;
      return close < 0 ? -1 : close + 1;
    }
    let escaped = false;
    i++;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (c !== c || c < 0x20) return -1; // end of text (NaN) or a raw control character
      if (c === 0x5c /* \ */) {
        escaped = true;
        const e = s.charCodeAt(i + 1);
        if (e === 0x75 /* u */) {
          if (!(isHexDigit(s.charCodeAt(i + 2)) && isHexDigit(s.charCodeAt(i + 3)) && isHexDigit(s.charCodeAt(i + 4)) && isHexDigit(s.charCodeAt(i + 5)))) return -1;
          i += 6;
          continue;
        }
        // " \ / b f n r t
        if (e !== 0x22 && e !== 0x5c && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1;
        i += 2;
        continue;
      }
      i++;
    }
    this.#escaped = escaped;
    return i + 1;
  }
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The index after `true`, `false` or `null` at i (c is its first character), or -1. */
function literalEnd(s: string, i: number, c: number): number {
  const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null';
  return s.startsWith(word, i) ? i + word.length : -1;
}

/** The index after the number at i, or -1: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
function numberEnd(s: string, i: number): number {
  if (s.charCodeAt(i) === 0x2d) i++;
  if (s.charCodeAt(i) === 0x30) i++;
  else if (isDigit(s, i)) while (isDigit(s, i)) i++;
  else return -1;
  if (s.charCodeAt(i) === 0x2e) {
    i++;
    if (!isDigit(s, i)) return -1;
    while (isDigit(s, i)) i++;
  }
  const e = s.charCodeAt(i);
  if (e === 0x65 || e === 0x45) {
    i++;
    const sign = s.charCodeAt(i);
    if (sign === 0x2b || sign === 0x2d) i++;
    if (!isDigit(s, i)) return -1;
    while (isDigit(s, i)) i++;
  }
  return i;
}
