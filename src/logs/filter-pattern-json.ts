// JSON filter patterns: `{ $.eventType = "UpdateTrail" && $.latency > 500 }`.
//
//   pattern    := '{' expr '}'
//   expr       := and ('||' and)*                 () > && > ||
//   and        := factor ('&&' factor)*
//   factor     := '(' expr ')' | condition
//   condition  := selector op literal             op: = != < <= > >=
//               | selector IS (NULL | TRUE | FALSE)
//               | selector NOT EXISTS
//   selector   := '$' step*
//   step       := '.' name | '.' '*' | '[' digits ']' | '[' '*' ']' | '.'? "['" key "']"
//
// Names are letters, digits, '-' and '_'; bracket keys (`$.['cluster.name']`)
// take anything. A selector holds at most one wildcard and a pattern at most
// three; a pattern holds at most two regexes (documented quotas).
//
// Meaning, per the user guide: a comparison needs the selector to reach a
// value node (string or number; booleans compare as "true"/"false"); on an
// object, array, null or a missing property both `=` and `!=` are false. IS
// NULL/TRUE/FALSE test for exactly that JSON value; NOT EXISTS holds when the
// selector reaches nothing. With a wildcard, a condition holds when it holds
// for some element reached (NOT EXISTS: when none is reached). A message that
// is not a JSON document matches no JSON pattern, NOT EXISTS included.

import type { FilterPattern } from './filter-pattern.js';
import { compileComparison, readLiteral, readOperator, type Comparison } from './filter-pattern-condition.js';
import { invalidCharacters, invalidPattern } from './filter-pattern-error.js';
import { JsonPathReader, NESTED, type Found, type Step } from './filter-pattern-json-reader.js';

type Expr =
  | { readonly kind: 'or' | 'and'; readonly parts: readonly Expr[] }
  | { readonly kind: 'compare'; readonly path: number; readonly comparison: Comparison }
  | { readonly kind: 'is'; readonly path: number; readonly value: null | true | false }
  | { readonly kind: 'notExists'; readonly path: number };

interface Selector {
  readonly text: string;
  readonly steps: readonly Step[];
}

const MAX_WILDCARDS_PER_SELECTOR = 1;
const MAX_WILDCARDS_PER_PATTERN = 3;
const MAX_REGEX_PER_PATTERN = 2;

function isNameChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Characters that may follow a selector. */
function endsSelector(c: number): boolean {
  return c !== c || isSpace(c) || c === 0x3d || c === 0x21 || c === 0x3c || c === 0x3e || c === 0x29 || c === 0x26 || c === 0x7c;
}

/** Reads a selector at text[i] ('$'); an invalid character is quoted with the selector text before it, as AWS does (`$."`). */
function readSelector(text: string, i: number): { selector: Selector; end: number } {
  const steps: Step[] = [];
  let j = i + 1;
  const fail = (at: number): never => {
    throw invalidCharacters(text.slice(i, at + 1));
  };
  for (;;) {
    const c = text.charCodeAt(j);
    if (c === 0x2e /* . */) {
      const n = text.charCodeAt(j + 1);
      if (n === 0x2a /* * */) {
        steps.push({ kind: 'any' });
        j += 2;
      } else if (n === 0x5b /* [ */) {
        j += 1; // `$.['a.b']`: the documented spelling keeps the dot
      } else if (isNameChar(n)) {
        let k = j + 1;
        while (isNameChar(text.charCodeAt(k))) k++;
        steps.push({ kind: 'key', key: text.slice(j + 1, k) });
        j = k;
      } else fail(j + 1);
    } else if (c === 0x5b /* [ */) {
      const n = text.charCodeAt(j + 1);
      if (n === 0x2a && text.charCodeAt(j + 2) === 0x5d) {
        steps.push({ kind: 'any' });
        j += 3;
      } else if (n === 0x27 /* ' */ || n === 0x22 /* " */) {
        const close = text.indexOf(text[j + 1]!, j + 2);
        if (close < 0 || text.charCodeAt(close + 1) !== 0x5d) fail(close < 0 ? text.length - 1 : close + 1);
        steps.push({ kind: 'key', key: text.slice(j + 2, close) });
        j = close + 2;
      } else {
        let k = j + 1;
        while (text.charCodeAt(k) >= 0x30 && text.charCodeAt(k) <= 0x39) k++;
        if (k === j + 1 || text.charCodeAt(k) !== 0x5d) fail(k);
        steps.push({ kind: 'index', index: Number(text.slice(j + 1, k)) });
        j = k + 1;
      }
    } else if (endsSelector(c)) {
      break;
    } else fail(j);
  }
  if (steps.length === 0) throw invalidPattern(`'$' must be followed by a property, as in '$.name'`);
  const selector = { text: text.slice(i, j), steps };
  if (steps.filter((s) => s.kind === 'any').length > MAX_WILDCARDS_PER_SELECTOR) {
    throw invalidPattern(`only one wildcard is allowed in a property selector ('${selector.text}')`);
  }
  return { selector, end: j };
}

/** Parses the text between the braces. */
class JsonPatternParser {
  readonly selectors: Selector[] = [];
  #text: string;
  #i = 0;
  #regexes = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): Expr {
    const expr = this.#or();
    this.#ws();
    if (this.#i < this.#text.length) this.#unexpected();
    const wildcards = this.selectors.reduce((n, s) => n + s.steps.filter((st) => st.kind === 'any').length, 0);
    if (wildcards > MAX_WILDCARDS_PER_PATTERN) throw invalidPattern(`a filter pattern can use at most ${MAX_WILDCARDS_PER_PATTERN} wildcard selectors`);
    if (this.#regexes > MAX_REGEX_PER_PATTERN) throw invalidPattern(`a filter pattern can contain at most ${MAX_REGEX_PER_PATTERN} regular expressions`);
    return expr;
  }

  #ws(): void {
    while (isSpace(this.#text.charCodeAt(this.#i))) this.#i++;
  }

  #unexpected(): never {
    const rest = this.#text.slice(this.#i).trimEnd();
    if (rest === '') throw invalidPattern('the expression ends too early');
    // A stray symbol (`, $.path = …`) is quoted the way AWS quotes it.
    const symbols = /^[^\sA-Za-z0-9_$"%()&|]+/.exec(rest);
    if (symbols) throw invalidCharacters(symbols[0]);
    throw invalidPattern(`unexpected '${rest.length > 20 ? rest.slice(0, 20) + '…' : rest}'`);
  }

  #eat(token: string): boolean {
    this.#ws();
    if (this.#text.startsWith(token, this.#i)) {
      this.#i += token.length;
      return true;
    }
    return false;
  }

  #or(): Expr {
    const parts = [this.#and()];
    while (this.#eat('||')) parts.push(this.#and());
    return parts.length === 1 ? parts[0]! : { kind: 'or', parts };
  }

  #and(): Expr {
    const parts = [this.#factor()];
    while (this.#eat('&&')) parts.push(this.#factor());
    return parts.length === 1 ? parts[0]! : { kind: 'and', parts };
  }

  #factor(): Expr {
    if (this.#eat('(')) {
      const inner = this.#or();
      if (!this.#eat(')')) this.#unexpected();
      return inner;
    }
    return this.#condition();
  }

  #word(): string {
    this.#ws();
    const m = /^[A-Za-z]+/.exec(this.#text.slice(this.#i, this.#i + 8));
    return m ? m[0].toUpperCase() : '';
  }

  #condition(): Expr {
    this.#ws();
    const text = this.#text;
    if (text[this.#i] !== '$') {
      if (this.#i >= text.length) this.#unexpected();
      throw invalidPattern(`expected a property selector such as '$.name' at '${text.slice(this.#i, this.#i + 20)}'`);
    }
    const { selector, end } = readSelector(text, this.#i);
    this.#i = end;
    const path = this.selectors.push(selector) - 1;
    this.#ws();
    const op = readOperator(text, this.#i);
    if (op) {
      this.#i = op.end;
      this.#ws();
      if (this.#i >= text.length) throw invalidPattern(`a value is missing after '${op.op}'`);
      const lit = readLiteral(text, this.#i, ')&|');
      this.#i = lit.end;
      const comparison = compileComparison(op.op, lit.literal);
      if (comparison.usesRegex) this.#regexes++;
      return { kind: 'compare', path, comparison };
    }
    const word = this.#word();
    if (word === 'IS') {
      this.#i += 2;
      const what = this.#word();
      if (what === 'NULL' || what === 'TRUE' || what === 'FALSE') {
        this.#i += what.length;
        return { kind: 'is', path, value: what === 'NULL' ? null : what === 'TRUE' };
      }
      if (what === 'NOT') throw invalidPattern("'IS NOT' is not supported");
      throw invalidPattern("'IS' must be followed by NULL, TRUE or FALSE");
    }
    if (word === 'NOT') {
      this.#i += 3;
      if (this.#word() === 'EXISTS') {
        this.#i += 6;
        return { kind: 'notExists', path };
      }
      throw invalidPattern("'NOT' must be followed by EXISTS");
    }
    if (word === 'EXISTS') throw invalidPattern("'EXISTS' is not supported; use NOT EXISTS");
    throw invalidPattern(`an operator is missing after '${selector.text}'`);
  }
}

/**
 * Substrings a matching message contains whenever it holds no backslash (and
 * so no JSON escape): the quoted names of the properties a condition needs,
 * and the literal text of string values it compares equal. Not certain for
 * every message, so they are a private prefilter, never `required`.
 */
function hints(expr: Expr, selectors: readonly Selector[]): Set<string> {
  switch (expr.kind) {
    case 'and': {
      const all = new Set<string>();
      for (const p of expr.parts) for (const h of hints(p, selectors)) all.add(h);
      return all;
    }
    case 'or': {
      const [first, ...rest] = expr.parts.map((p) => hints(p, selectors));
      return new Set([...first!].filter((h) => rest.every((r) => r.has(h))));
    }
    case 'notExists':
      return new Set();
    case 'compare':
    case 'is': {
      const out = new Set<string>();
      for (const step of selectors[expr.path]!.steps) {
        if (step.kind === 'key' && step.key !== '' && JSON.stringify(step.key) === `"${step.key}"`) out.add(`"${step.key}"`);
      }
      if (expr.kind === 'compare' && expr.comparison.literal !== '' && JSON.stringify(expr.comparison.literal) === `"${expr.comparison.literal}"`) {
        out.add(expr.comparison.literal);
      }
      if (expr.kind === 'is') out.add(String(expr.value));
      return out;
    }
  }
}

function isScalar(v: Found): v is string | number | boolean {
  return v !== null && v !== NESTED;
}

function holds(expr: Expr, reader: JsonPathReader): boolean {
  switch (expr.kind) {
    case 'and':
      for (const p of expr.parts) if (!holds(p, reader)) return false;
      return true;
    case 'or':
      for (const p of expr.parts) if (holds(p, reader)) return true;
      return false;
    case 'compare': {
      const test = expr.comparison.test;
      for (const v of reader.found(expr.path)) if (isScalar(v) && test(v)) return true;
      return false;
    }
    case 'is':
      return reader.found(expr.path).includes(expr.value);
    case 'notExists':
      return reader.found(expr.path).length === 0;
  }
}

function couldBeJson(message: string): boolean {
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) return true;
    if (!isSpace(c)) return false;
  }
  return false;
}

class JsonFilterPattern implements FilterPattern {
  readonly source: string;
  readonly required: readonly string[] = [];
  readonly #expr: Expr;
  readonly #reader: JsonPathReader;
  readonly #hints: readonly string[];
  readonly #valueReaders = new Map<string, JsonPathReader | null>();

  constructor(source: string, inner: string) {
    this.source = source;
    const parser = new JsonPatternParser(inner);
    this.#expr = parser.parse();
    this.#reader = new JsonPathReader(parser.selectors.map((s) => s.steps));
    this.#hints = [...hints(this.#expr, parser.selectors)].sort((a, b) => b.length - a.length);
  }

  matches(message: string): boolean {
    if (!couldBeJson(message)) return false;
    const hasBackslash = message.indexOf('\\') >= 0;
    if (!hasBackslash) {
      const hints = this.#hints;
      for (let k = 0; k < hints.length; k++) if (!message.includes(hints[k]!)) return false;
    }
    return this.#reader.read(message, true, hasBackslash) && holds(this.#expr, this.#reader) && this.#reader.confirm();
  }

  value(message: string, selector: string): number | string | undefined {
    let reader = this.#valueReaders.get(selector);
    if (reader === undefined) {
      reader = null;
      if (selector.startsWith('$')) {
        try {
          const { selector: sel, end } = readSelector(selector, 0);
          if (end === selector.length) reader = new JsonPathReader([sel.steps]);
        } catch {
          // not a JSON selector: nothing to read
        }
      }
      if (this.#valueReaders.size >= 64) this.#valueReaders.clear(); // selectors come from metric transformations: a handful
      this.#valueReaders.set(selector, reader);
    }
    if (reader === null || !couldBeJson(message) || !reader.read(message)) return undefined;
    const v = reader.found(0)[0];
    if (typeof v === 'number' || typeof v === 'string') return v;
    if (typeof v === 'boolean') return String(v);
    return undefined;
  }
}

/** `text` is the trimmed pattern, known to start with '{' and end with '}'. */
export function compileJsonPattern(source: string, text: string): FilterPattern {
  return new JsonFilterPattern(source, text.slice(1, -1));
}
