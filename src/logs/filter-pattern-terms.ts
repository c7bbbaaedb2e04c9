// Unstructured filter patterns: terms matched as case-sensitive substrings.
//
//   ERROR ARGUMENTS          both terms (AND)
//   ?ERROR ?ARGUMENTS        either term (OR)
//   ERROR -ARGUMENTS         ERROR and not ARGUMENTS
//   "INTERNAL SERVER ERROR"  an exact phrase; \" and \\ are its escapes
//
// A bare term is letters, digits and '_'; anything else must be quoted, and
// AWS answers "Invalid character(s) in term ':'" otherwise. A '-' or '?'
// starts a new term even inside a word, so `request-id` is `request -id`.
// "If you combine "?" with other filter patterns, all question mark terms
// will be ignored": `?ERROR ?ARGUMENTS REQUEST` is `REQUEST`. A quoted term
// of only whitespace (the guide's `" "`) stands for nothing and matches every
// message; an empty one (`""`) is rejected, as AWS does.

import type { FilterPattern } from './filter-pattern.js';
import { invalidCharacters, invalidPattern } from './filter-pattern-error.js';
import { readQuoted } from './filter-pattern-condition.js';

type Modifier = '' | '?' | '-';

function isWordChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

interface Terms {
  readonly include: string[];
  readonly exclude: string[];
  readonly optional: string[];
}

function parseTerms(text: string): Terms {
  const terms: Terms = { include: [], exclude: [], optional: [] };
  const add = (modifier: Modifier, term: string) => {
    if (term.trim() === '') return;
    const list = modifier === '' ? terms.include : modifier === '-' ? terms.exclude : terms.optional;
    if (!list.includes(term)) list.push(term);
  };
  let modifier: Modifier = '';
  let pending = false;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 0x3f /* ? */ || c === 0x2d /* - */) {
      if (pending) throw invalidCharacters(text.slice(i - 1, i + 1));
      modifier = c === 0x3f ? '?' : '-';
      pending = true;
      i++;
    } else if (c === 0x22 /* " */) {
      const { value, end } = readQuoted(text, i);
      if (value === '') throw invalidCharacters(text.slice(i, end));
      add(modifier, value);
      modifier = '';
      pending = false;
      i = end;
    } else if (isWordChar(c)) {
      let j = i + 1;
      while (j < text.length && isWordChar(text.charCodeAt(j))) j++;
      add(modifier, text.slice(i, j));
      modifier = '';
      pending = false;
      i = j;
    } else {
      let j = i + 1;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if (isSpace(d) || isWordChar(d) || d === 0x22 || d === 0x3f || d === 0x2d) break;
        j++;
      }
      throw invalidCharacters(text.slice(i, j));
    }
  }
  if (pending) throw invalidPattern(`'${modifier}' must be followed by a term`);
  return terms;
}

class TermPattern implements FilterPattern {
  readonly source: string;
  readonly required: readonly string[];
  readonly #include: readonly string[];
  readonly #exclude: readonly string[];
  /** Only when there is nothing else: the OR terms. */
  readonly #anyOf: readonly string[];

  constructor(source: string, terms: Terms) {
    this.source = source;
    // Longest first: a long term is the likeliest to be absent, ending the scan early.
    this.#include = [...terms.include].sort((a, b) => b.length - a.length);
    this.#exclude = terms.exclude;
    this.#anyOf = terms.include.length === 0 && terms.exclude.length === 0 ? terms.optional : [];
    this.required = this.#anyOf.length === 1 ? [...this.#anyOf] : [...this.#include];
  }

  matches(message: string): boolean {
    const include = this.#include;
    for (let k = 0; k < include.length; k++) if (!message.includes(include[k]!)) return false;
    const exclude = this.#exclude;
    for (let k = 0; k < exclude.length; k++) if (message.includes(exclude[k]!)) return false;
    const anyOf = this.#anyOf;
    if (anyOf.length === 0) return true;
    for (let k = 0; k < anyOf.length; k++) if (message.includes(anyOf[k]!)) return true;
    return false;
  }

  value(): undefined {
    return undefined;
  }
}

/** `text` is the trimmed pattern. */
export function compileTermPattern(source: string, text: string): FilterPattern {
  return new TermPattern(source, parseTerms(text));
}
