// One comparison of a field's value against a literal, shared by JSON
// patterns (`$.status = 4*`) and space-delimited ones (`status_code = 4*`).
//
// The literal after the operator is one of
//   "quoted text"   a string; \" and \\ are its escapes
//   %regex%         the regex dialect (filter-pattern-regex.ts)
//   bare            letters, digits and _ . - + * ; a number when it reads as
//                   one (integer, decimal, scientific, optional sign)
// and the operators are = != for everything, < <= > >= for numbers only.
//
// String equality supports `*` at the start and/or end only: "*Event matches
// PutEvent and GetEvent. Event* matches EventId and EventName. Ev*ent will
// only match the actual string Ev*ent" (CloudWatch Logs user guide). A lone
// `*` matches any value.

import { invalidCharacters, invalidPattern } from './filter-pattern-error.js';
import { readRegex, type CompiledRegex } from './filter-pattern-regex.js';

export type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Literal =
  | { readonly kind: 'string'; readonly text: string }
  | { readonly kind: 'number'; readonly text: string; readonly value: number }
  | { readonly kind: 'regex'; readonly regex: CompiledRegex };

/** A scalar value a comparison can look at: a JSON string, number or boolean, or a space-delimited field. */
export type Scalar = string | number | boolean;

export interface Comparison {
  readonly test: (value: Scalar) => boolean;
  /** A substring every value passing the test contains, '' when none is certain. */
  readonly literal: string;
  readonly usesRegex: boolean;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number a text spells, or undefined; `12ab`, `0x1F`, '' and ' 1' are not numbers. */
export function numberOf(text: string): number | undefined {
  return NUMBER.test(text) ? Number(text) : undefined;
}

function isBareChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f || // _
    c === 0x2e || // .
    c === 0x2d || // -
    c === 0x2b || // +
    c === 0x2a // *
  );
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Reads a double-quoted string at text[i] ('"'); returns its content and the index after the closing quote. */
export function readQuoted(text: string, i: number): { value: string; end: number } {
  let value = '';
  let j = i + 1;
  while (j < text.length) {
    const ch = text[j]!;
    if (ch === '"') return { value, end: j + 1 };
    if (ch === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) {
      value += text[j + 1];
      j += 2;
    } else {
      value += ch;
      j++;
    }
  }
  throw invalidPattern('a quoted string is missing its closing \'"\'');
}

/**
 * Reads the literal at text[i]. A bare literal stops at whitespace or at one
 * of `stops` (the characters that may follow it in the surrounding grammar);
 * any other character is reported as AWS reports it.
 */
export function readLiteral(text: string, i: number, stops: string): { literal: Literal; end: number } {
  const ch = text[i];
  if (ch === '"') {
    const q = readQuoted(text, i);
    return { literal: { kind: 'string', text: q.value }, end: q.end };
  }
  if (ch === '%') {
    const r = readRegex(text, i);
    return { literal: { kind: 'regex', regex: r.regex }, end: r.end };
  }
  let j = i;
  while (j < text.length && isBareChar(text.charCodeAt(j))) j++;
  const bad = (k: number) => k < text.length && !isSpace(text.charCodeAt(k)) && !stops.includes(text[k]!);
  if (bad(j)) {
    let k = j + 1;
    while (bad(k) && !isBareChar(text.charCodeAt(k))) k++;
    throw invalidCharacters(text.slice(j, k));
  }
  if (j === i) throw invalidPattern('a value is missing after the operator');
  const bare = text.slice(i, j);
  const value = numberOf(bare);
  return { literal: value === undefined ? { kind: 'string', text: bare } : { kind: 'number', text: bare, value }, end: j };
}

/** Reads a comparison operator at text[i]; undefined when there is none. */
export function readOperator(text: string, i: number): { op: Operator; end: number } | undefined {
  const two = text.slice(i, i + 2);
  if (two === '!=' || two === '<=' || two === '>=') return { op: two, end: i + 2 };
  const one = text[i];
  if (one === '=' || one === '<' || one === '>') return { op: one, end: i + 1 };
  return undefined;
}

function textOf(value: Scalar): string {
  return typeof value === 'string' ? value : String(value);
}

/** `*` at either end is a wildcard; in the middle it is a literal asterisk. */
function globTest(pattern: string): { test: (s: string) => boolean; literal: string } {
  let from = 0;
  let to = pattern.length;
  while (from < to && pattern.charCodeAt(from) === 0x2a) from++;
  while (to > from && pattern.charCodeAt(to - 1) === 0x2a) to--;
  const core = pattern.slice(from, to);
  const leading = from > 0;
  const trailing = to < pattern.length;
  if (core === '') return { test: leading ? () => true : (s) => s === '', literal: '' };
  if (leading && trailing) return { test: (s) => s.includes(core), literal: core };
  if (leading) return { test: (s) => s.endsWith(core), literal: core };
  if (trailing) return { test: (s) => s.startsWith(core), literal: core };
  return { test: (s) => s === core, literal: core };
}

function equality(literal: Literal): { test: (v: Scalar) => boolean; literal: string } {
  switch (literal.kind) {
    case 'regex': {
      const re = literal.regex.re;
      return { test: (v) => re.test(textOf(v)), literal: literal.regex.literal };
    }
    case 'string': {
      const g = globTest(literal.text);
      return { test: (v) => g.test(textOf(v)), literal: g.literal };
    }
    case 'number': {
      // Numerically when the value is (or spells) a number: 200 = 200.0 = 2e2.
      const n = literal.value;
      const text = literal.text;
      return {
        test: (v) => {
          if (typeof v === 'number') return v === n;
          if (typeof v === 'boolean') return false;
          const m = numberOf(v);
          return m === undefined ? v === text : m === n;
        },
        literal: '',
      };
    }
  }
}

function ordering(op: '<' | '<=' | '>' | '>=', n: number): (v: Scalar) => boolean {
  const num = (v: Scalar) => (typeof v === 'number' ? v : typeof v === 'string' ? numberOf(v) : undefined);
  switch (op) {
    case '<':
      return (v) => {
        const m = num(v);
        return m !== undefined && m < n;
      };
    case '<=':
      return (v) => {
        const m = num(v);
        return m !== undefined && m <= n;
      };
    case '>':
      return (v) => {
        const m = num(v);
        return m !== undefined && m > n;
      };
    case '>=':
      return (v) => {
        const m = num(v);
        return m !== undefined && m >= n;
      };
  }
}

export function compileComparison(op: Operator, literal: Literal): Comparison {
  const usesRegex = literal.kind === 'regex';
  if (op === '=') return { ...equality(literal), usesRegex };
  if (op === '!=') {
    const eq = equality(literal).test;
    return { test: (v) => !eq(v), literal: '', usesRegex };
  }
  if (literal.kind !== 'number') throw invalidPattern(`the operator '${op}' needs a number`);
  return { test: ordering(op, literal.value), literal: '', usesRegex };
}
