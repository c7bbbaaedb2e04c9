// Space-delimited filter patterns: `[ip, user, username, timestamp, request,
// status_code = 4*, bytes > 1000]`.
//
//   pattern  := '[' element (',' element)* ']'  |  '[]'
//   element  := '...' | '' | or
//   or       := and ('||' and)*
//   and      := leaf ('&&' leaf)*
//   leaf     := name (op literal)?               every leaf of one element names the same field
//
// A message splits into fields at runs of spaces and tabs; text between
// double quotes or square brackets is one field, delimiters removed
// (`"GET /index.html HTTP/1.0"` → GET /index.html HTTP/1.0). Named elements
// take one field each and `...` any number (none included). Without `...`
// the last element takes the rest of the message: the guide's `[w1=ERROR,
// w2]` "returns log events where the first word is ERROR" in six-word lines,
// and it notes that `[w1=ERROR]` alone would not. `[]` matches every message.
//
// Extracted values, as TestMetricFilter reports them: `$name` for a named
// element, `$N` (1-based field position) for any field, so `[..., size]`
// yields $1…$6 and $size, and `[..., request=*.html*, status_code=4*,]` an
// unnamed seventh field $7.

import type { FilterPattern } from './filter-pattern.js';
import { compileComparison, readLiteral, readOperator, type Comparison } from './filter-pattern-condition.js';
import { invalidCharacters, invalidPattern } from './filter-pattern-error.js';

type Condition =
  | { readonly kind: 'and' | 'or'; readonly parts: readonly Condition[] }
  | { readonly kind: 'leaf'; readonly name: string; readonly comparison: Comparison | null };

interface Slot {
  /** '' for an unnamed field. */
  readonly name: string;
  readonly condition: Condition | null;
}

const ELLIPSIS = 'ellipsis';
type Element = Slot | typeof ELLIPSIS;

const MAX_REGEX_PER_PATTERN = 2;

function isNameChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

class SpacePatternParser {
  #text: string;
  #i = 0;
  regexes = 0;

  constructor(text: string) {
    this.#text = text;
  }

  #ws(): void {
    while (isSpace(this.#text.charCodeAt(this.#i))) this.#i++;
  }

  #eat(token: string): boolean {
    this.#ws();
    if (this.#text.startsWith(token, this.#i)) {
      this.#i += token.length;
      return true;
    }
    return false;
  }

  /** The run of characters that cannot start or continue anything here, for the error. */
  #badRun(): string {
    const text = this.#text;
    let j = this.#i + 1;
    while (j < text.length && !isSpace(text.charCodeAt(j)) && !isNameChar(text.charCodeAt(j)) && text[j] !== ',') j++;
    return text.slice(this.#i, j);
  }

  parse(): Element[] {
    const elements: Element[] = [];
    const text = this.#text;
    let afterComma = false;
    for (;;) {
      this.#ws();
      if (this.#i >= text.length) {
        if (afterComma) elements.push({ name: '', condition: null });
        break;
      }
      if (text.startsWith('...', this.#i)) {
        elements.push(ELLIPSIS);
        this.#i += 3;
      } else if (text[this.#i] === ',') {
        elements.push({ name: '', condition: null });
      } else {
        elements.push(this.#slot());
      }
      this.#ws();
      if (this.#i >= text.length) break;
      if (text[this.#i] !== ',') throw invalidCharacters(this.#badRun());
      this.#i++;
      afterComma = true;
    }
    if (this.regexes > MAX_REGEX_PER_PATTERN) throw invalidPattern(`a filter pattern can contain at most ${MAX_REGEX_PER_PATTERN} regular expressions`);
    return elements;
  }

  #slot(): Slot {
    const condition = this.#or();
    const names = new Set<string>();
    const collect = (c: Condition): void => {
      if (c.kind === 'leaf') names.add(c.name);
      else c.parts.forEach(collect);
    };
    collect(condition);
    const [name, other] = [...names];
    if (other !== undefined) throw invalidPattern(`the conditions of one field must all name that field ('${name}' and '${other}')`);
    const trivial = condition.kind === 'leaf' && condition.comparison === null;
    return { name: name!, condition: trivial ? null : condition };
  }

  #or(): Condition {
    const parts = [this.#and()];
    while (this.#eat('||')) parts.push(this.#and());
    return parts.length === 1 ? parts[0]! : { kind: 'or', parts };
  }

  #and(): Condition {
    const parts = [this.#leaf()];
    while (this.#eat('&&')) parts.push(this.#leaf());
    return parts.length === 1 ? parts[0]! : { kind: 'and', parts };
  }

  #leaf(): Condition {
    this.#ws();
    const text = this.#text;
    const start = this.#i;
    while (isNameChar(text.charCodeAt(this.#i))) this.#i++;
    if (this.#i === start) {
      if (start >= text.length) throw invalidPattern('a field name is missing');
      throw invalidCharacters(this.#badRun());
    }
    const name = text.slice(start, this.#i);
    this.#ws();
    const op = readOperator(text, this.#i);
    if (!op) return { kind: 'leaf', name, comparison: null };
    this.#i = op.end;
    this.#ws();
    if (this.#i >= text.length) throw invalidPattern(`a value is missing after '${name} ${op.op}'`);
    const lit = readLiteral(text, this.#i, ',&|');
    this.#i = lit.end;
    const comparison = compileComparison(op.op, lit.literal);
    if (comparison.usesRegex) this.regexes++;
    return { kind: 'leaf', name, comparison };
  }
}

function holds(c: Condition, value: string): boolean {
  switch (c.kind) {
    case 'leaf':
      return c.comparison === null || c.comparison.test(value);
    case 'and':
      for (const p of c.parts) if (!holds(p, value)) return false;
      return true;
    case 'or':
      for (const p of c.parts) if (holds(p, value)) return true;
      return false;
  }
}

/** Substrings a field satisfying the condition certainly contains (and so the message). */
function requiredOf(c: Condition): Set<string> {
  switch (c.kind) {
    case 'leaf':
      return new Set(c.comparison && c.comparison.literal !== '' ? [c.comparison.literal] : []);
    case 'and': {
      const all = new Set<string>();
      for (const p of c.parts) for (const r of requiredOf(p)) all.add(r);
      return all;
    }
    case 'or': {
      const [first, ...rest] = c.parts.map(requiredOf);
      return new Set([...first!].filter((r) => rest.every((s) => s.has(r))));
    }
  }
}

class SpaceDelimitedPattern implements FilterPattern {
  readonly source: string;
  readonly required: readonly string[];
  readonly #elements: readonly Element[];
  readonly #slots: number;
  readonly #ellipses: number;
  // Per-message scratch, reused: field k spans raw [rawStart, rawEnd) and holds value [valStart, valEnd).
  #rawStart = new Int32Array(32);
  #rawEnd = new Int32Array(32);
  #valStart = new Int32Array(32);
  #valEnd = new Int32Array(32);
  #fields = 0;
  #message = '';
  // The match found: element e covers fields [#from[e], #to[e]).
  #from: Int32Array;
  #to: Int32Array;
  #failed: Uint8Array = new Uint8Array(0);

  constructor(source: string, inner: string) {
    this.source = source;
    const parser = new SpacePatternParser(inner);
    this.#elements = parser.parse();
    this.#slots = this.#elements.filter((e) => e !== ELLIPSIS).length;
    this.#ellipses = this.#elements.length - this.#slots;
    this.#from = new Int32Array(this.#elements.length);
    this.#to = new Int32Array(this.#elements.length);
    const required = new Set<string>();
    for (const e of this.#elements) if (e !== ELLIPSIS && e.condition) for (const r of requiredOf(e.condition)) required.add(r);
    this.required = [...required];
  }

  #split(message: string): void {
    this.#message = message;
    let n = 0;
    let i = 0;
    const len = message.length;
    for (;;) {
      while (i < len && (message.charCodeAt(i) === 0x20 || message.charCodeAt(i) === 0x09)) i++;
      if (i >= len) break;
      if (n === this.#rawStart.length) this.#grow();
      const c = message.charCodeAt(i);
      this.#rawStart[n] = i;
      if (c === 0x22 /* " */ || c === 0x5b /* [ */) {
        let close = message.indexOf(c === 0x22 ? '"' : ']', i + 1);
        if (close < 0) close = len;
        this.#valStart[n] = i + 1;
        this.#valEnd[n] = close;
        i = Math.min(close + 1, len);
      } else {
        let j = i + 1;
        while (j < len && message.charCodeAt(j) !== 0x20 && message.charCodeAt(j) !== 0x09) j++;
        this.#valStart[n] = i;
        this.#valEnd[n] = j;
        i = j;
      }
      this.#rawEnd[n] = i;
      n++;
    }
    this.#fields = n;
  }

  #grow(): void {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.#rawStart = grow(this.#rawStart);
    this.#rawEnd = grow(this.#rawEnd);
    this.#valStart = grow(this.#valStart);
    this.#valEnd = grow(this.#valEnd);
  }

  /** The text of fields [from, to): one field's value, or the raw span of several. */
  #text(from: number, to: number): string {
    if (to - from === 1) return this.#message.slice(this.#valStart[from]!, this.#valEnd[from]!);
    if (to <= from) return '';
    return this.#message.slice(this.#rawStart[from]!, this.#rawEnd[to - 1]!);
  }

  #fits(slot: Slot, from: number, to: number): boolean {
    return slot.condition === null || holds(slot.condition, this.#text(from, to));
  }

  /** Matches the split message, recording which fields each element covers. */
  #match(): boolean {
    const elements = this.#elements;
    const m = this.#fields;
    if (elements.length === 0) return true;
    if (this.#ellipses === 0) {
      const n = elements.length;
      if (m < n) return false;
      for (let e = 0; e < n; e++) {
        const from = e;
        const to = e === n - 1 ? m : e + 1;
        if (!this.#fits(elements[e] as Slot, from, to)) return false;
        this.#from[e] = from;
        this.#to[e] = to;
      }
      return true;
    }
    if (m < this.#slots) return false;
    const states = (elements.length + 1) * (m + 1);
    if (this.#failed.length < states) this.#failed = new Uint8Array(states);
    else this.#failed.fill(0, 0, states);
    return this.#place(0, 0);
  }

  /** Can elements [e..] cover fields [f..] exactly? Failures are memoised, so this is O(elements × fields²) at worst. */
  #place(e: number, f: number): boolean {
    const elements = this.#elements;
    const m = this.#fields;
    if (e === elements.length) return f === m;
    const key = e * (m + 1) + f;
    if (this.#failed[key] === 1) return false;
    const el = elements[e]!;
    if (el === ELLIPSIS) {
      for (let to = f; to <= m; to++) {
        if (this.#place(e + 1, to)) {
          this.#from[e] = f;
          this.#to[e] = to;
          return true;
        }
      }
    } else if (f < m && this.#fits(el, f, f + 1) && this.#place(e + 1, f + 1)) {
      this.#from[e] = f;
      this.#to[e] = f + 1;
      return true;
    }
    this.#failed[key] = 1;
    return false;
  }

  matches(message: string): boolean {
    const required = this.required;
    for (let k = 0; k < required.length; k++) if (!message.includes(required[k]!)) return false;
    this.#split(message);
    return this.#match();
  }

  value(message: string, selector: string): number | string | undefined {
    if (!selector.startsWith('$')) return undefined;
    if (!this.matches(message)) return undefined;
    const key = selector.slice(1);
    const elements = this.#elements;
    if (/^[1-9][0-9]*$/.test(key)) {
      const position = Number(key);
      // Without an ellipsis the last element's position covers the rest of the message.
      if (this.#ellipses === 0 && elements.length > 0) {
        const n = elements.length;
        if (position > n) return undefined;
        return position === n ? this.#text(n - 1, this.#fields) : this.#text(position - 1, position);
      }
      return position <= this.#fields ? this.#text(position - 1, position) : undefined;
    }
    for (let e = 0; e < elements.length; e++) {
      const el = elements[e]!;
      if (el !== ELLIPSIS && el.name !== '' && el.name === key) return this.#text(this.#from[e]!, this.#to[e]!);
    }
    return undefined;
  }
}

/** `text` is the trimmed pattern, known to start with '[' and end with ']'. */
export function compileSpaceDelimitedPattern(source: string, text: string): FilterPattern {
  return new SpaceDelimitedPattern(source, text.slice(1, -1));
}
