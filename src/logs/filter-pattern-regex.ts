// The `%regex%` dialect of CloudWatch Logs filter patterns, checked against
// the documented restrictions and translated once into a JavaScript RegExp.
//
// What the user guide allows inside the percent signs ("Supported regular
// expressions (regex) syntax"):
//   - letters and digits, and the symbols  : _ # = @ / ; , -
//   - the operators  ^ $ ? [ ] { } | \ * + .
//   - no ( or ): there are no groups, so `|` always splits the whole regex
//   - no multi-byte characters; `\xhh` reaches any other ASCII character
// Spaces are accepted too: the guide's own `%^starting|^initializing|^shutting
// down%` and patterns AWS takes in production contain them. Escapes are the
// documented \d \D \s \S \w \W \xhh, a backslash before any operator or
// symbol, and the control escapes \t \n \r \f \v \b \B that mean the same in
// every engine. `{m,n}` may omit either bound (`{,n}`, `{m,}`).
//
// The translation keeps the documented meaning: `.` is any character
// (newlines too), `^`/`$` anchor the start/end of the subject, matching is
// case-sensitive and unanchored otherwise (`%Trail%` finds "UpdateTrail").

import type { FilterPattern } from './filter-pattern.js';
import { invalidCharacters, invalidPattern } from './filter-pattern-error.js';

export interface CompiledRegex {
  /** The regex as written, without the percent signs. */
  readonly body: string;
  readonly re: RegExp;
  /** A substring every subject the regex matches contains; '' when none is certain. */
  readonly literal: string;
}

const SYMBOLS = ':_#=@/;,- ';
const OPERATORS = '^$?[]{}|\\*+.';
const CLASS_ESCAPES = 'dDsSwW';
const CONTROL_ESCAPES = 'tnrfvbB';

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isAllowed(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return isAlnum(c) || SYMBOLS.includes(ch) || OPERATORS.includes(ch);
}

function hex(ch: string): string {
  return '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0');
}

/** Rejects any character outside the documented set, quoting the first run of them as AWS does. */
function checkCharacters(body: string): void {
  for (let i = 0; i < body.length; i++) {
    if (isAllowed(body[i]!)) continue;
    let j = i + 1;
    while (j < body.length && !isAllowed(body[j]!)) j++;
    throw invalidCharacters(body.slice(i, j));
  }
}

type Atom =
  | { readonly kind: 'char'; readonly ch: string } // a literal character
  | { readonly kind: 'other'; readonly js: string } // `.`, a class, \d …: consumes one character
  | { readonly kind: 'anchor'; readonly js: string }; // ^ $ \b \B: consumes nothing

interface Item {
  readonly atom: Atom;
  readonly min: number;
  readonly max: number; // Infinity when unbounded
  readonly quantifier: string; // JS text, '' for exactly once
}

function invalidRegex(body: string, why: string): Error {
  return invalidPattern(`invalid regular expression '%${body}%': ${why}`);
}

/** Parses `{m,n}` at body[i] ('{'); returns the JS quantifier text and the index after '}'. */
function readBraces(body: string, i: number): { min: number; max: number; js: string; end: number } {
  const close = body.indexOf('}', i);
  if (close < 0) throw invalidRegex(body, "'{' without '}'");
  const inner = body.slice(i + 1, close).replace(/ /g, '');
  const m = /^(\d*)(,?)(\d*)$/.exec(inner);
  if (!m || (m[1] === '' && m[3] === '')) throw invalidRegex(body, `'{${body.slice(i + 1, close)}}' is not a repetition`);
  const min = m[1] === '' ? 0 : Number(m[1]);
  const max = m[2] === '' ? min : m[3] === '' ? Infinity : Number(m[3]);
  if (max < min) throw invalidRegex(body, `'{${inner}}' has its bounds reversed`);
  const js = m[2] === '' ? `{${min}}` : max === Infinity ? `{${min},}` : `{${min},${max}}`;
  return { min, max, js, end: close + 1 };
}

/** An escape at body[i] ('\\'); returns the atom and the index after it. */
function readEscape(body: string, i: number, inClass: boolean): { atom: Atom; end: number } {
  const next = body[i + 1];
  if (next === undefined) throw invalidRegex(body, "it ends with '\\'");
  if (CLASS_ESCAPES.includes(next)) return { atom: { kind: 'other', js: '\\' + next }, end: i + 2 };
  if (next === 'x') {
    const hh = body.slice(i + 2, i + 4);
    if (!/^[0-9A-Fa-f]{2}$/.test(hh)) throw invalidRegex(body, '\\x needs two hexadecimal digits');
    return { atom: { kind: 'char', ch: String.fromCharCode(parseInt(hh, 16)) }, end: i + 4 };
  }
  if (CONTROL_ESCAPES.includes(next)) {
    // \b inside a class is a backspace, outside it a word boundary, in JS as in the others.
    if ((next === 'b' || next === 'B') && !inClass) return { atom: { kind: 'anchor', js: '\\' + next }, end: i + 2 };
    if (next === 'B') throw invalidRegex(body, "'\\B' inside a character class");
    const ch = { t: '\t', n: '\n', r: '\r', f: '\f', v: '\v', b: '\b' }[next as 't' | 'n' | 'r' | 'f' | 'v' | 'b'];
    return { atom: { kind: 'char', ch }, end: i + 2 };
  }
  if (SYMBOLS.includes(next) || OPERATORS.includes(next)) return { atom: { kind: 'char', ch: next }, end: i + 2 };
  throw invalidRegex(body, `'\\${next}' is not a supported escape`);
}

/** A character class at body[i] ('['); returns its JS text and the index after ']'. */
function readClass(body: string, i: number): { js: string; end: number } {
  let j = i + 1;
  let js = '[';
  if (body[j] === '^') {
    js += '^';
    j++;
  }
  const first = j;
  for (;;) {
    const ch = body[j];
    if (ch === undefined) throw invalidRegex(body, "'[' without ']'");
    // `]` first in a class is a member, as in POSIX and Java (`[]]`).
    if (ch === ']' && j > first) return { js: js + ']', end: j + 1 };
    if (ch === '\\') {
      const { atom, end } = readEscape(body, j, true);
      js += atom.kind === 'char' ? hex(atom.ch) : atom.js;
      j = end;
    } else if (ch === '-' && j > first && body[j + 1] !== ']' && body[j + 1] !== undefined) {
      js += '-'; // a range between its neighbours; JS rejects reversed ranges below
      j++;
    } else {
      js += isAlnum(ch.charCodeAt(0)) ? ch : hex(ch);
      j++;
    }
  }
}

function parse(body: string): Item[][] {
  const branches: Item[][] = [[]];
  let items = branches[0]!;
  let i = 0;
  while (i < body.length) {
    const ch = body[i]!;
    let atom: Atom;
    if (ch === '|') {
      items = [];
      branches.push(items);
      i++;
      continue;
    } else if (ch === '^' || ch === '$') {
      atom = { kind: 'anchor', js: ch };
      i++;
    } else if (ch === '.') {
      atom = { kind: 'other', js: '.' };
      i++;
    } else if (ch === '[') {
      const cls = readClass(body, i);
      atom = { kind: 'other', js: cls.js };
      i = cls.end;
    } else if (ch === '\\') {
      const esc = readEscape(body, i, false);
      atom = esc.atom;
      i = esc.end;
    } else if (ch === '*' || ch === '+' || ch === '?' || ch === '{') {
      throw invalidRegex(body, `'${ch}' has nothing to repeat`);
    } else if (ch === ']' || ch === '}') {
      throw invalidRegex(body, `unmatched '${ch}'`);
    } else {
      atom = { kind: 'char', ch };
      i++;
    }
    let min = 1;
    let max = 1;
    let quantifier = '';
    const q = body[i];
    if (q === '*' || q === '+' || q === '?' || q === '{') {
      if (atom.kind === 'anchor') throw invalidRegex(body, `'${q}' cannot repeat an anchor`);
      if (q === '{') {
        const b = readBraces(body, i);
        ({ min, max } = b);
        quantifier = b.js;
        i = b.end;
      } else {
        min = q === '+' ? 1 : 0;
        max = q === '?' ? 1 : Infinity;
        quantifier = q;
        i++;
      }
      if (body[i] === '?') {
        quantifier += '?'; // lazy: same matches, different extent
        i++;
      }
      const again = body[i];
      if (again === '*' || again === '+' || again === '{' || again === '?') throw invalidRegex(body, `'${again}' has nothing to repeat`);
    }
    items.push({ atom, min, max, quantifier });
  }
  return branches;
}

function emitChar(ch: string): string {
  return isAlnum(ch.charCodeAt(0)) ? ch : hex(ch);
}

function toJs(branches: readonly Item[][]): string {
  return branches
    .map((items) => items.map((it) => (it.atom.kind === 'char' ? emitChar(it.atom.ch) : it.atom.js) + it.quantifier).join(''))
    .join('|');
}

/**
 * The longest run of characters every match must contain. Without `|`, a
 * literal that must occur (no quantifier, or one with a minimum of 1) extends
 * the current run; one that may repeat ends the run after its first copy and
 * starts the next with its last; anything else ends the run.
 */
function requiredLiteral(branches: readonly Item[][]): string {
  if (branches.length !== 1) return '';
  let best = '';
  let run = '';
  const close = () => {
    if (run.length > best.length) best = run;
  };
  for (const it of branches[0]!) {
    if (it.atom.kind === 'anchor') continue;
    if (it.atom.kind !== 'char' || it.min === 0) {
      close();
      run = '';
      continue;
    }
    run += it.atom.ch.repeat(it.min);
    if (it.min !== it.max) {
      close();
      run = it.atom.ch.repeat(it.min);
    }
  }
  close();
  return best;
}

export function compileRegex(body: string): CompiledRegex {
  if (body === '') throw invalidPattern("a regular expression between '%' signs cannot be empty");
  checkCharacters(body);
  const branches = parse(body);
  let re: RegExp;
  try {
    re = new RegExp(toJs(branches), 's');
  } catch (err) {
    throw invalidRegex(body, (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, ''));
  }
  return { body, re, literal: requiredLiteral(branches) };
}

/** Reads `%…%` starting at text[i] ('%'); returns the compiled regex and the index after the closing '%'. */
export function readRegex(text: string, i: number): { regex: CompiledRegex; end: number } {
  const close = text.indexOf('%', i + 1);
  if (close < 0) throw invalidPattern("a regular expression must end with '%'");
  return { regex: compileRegex(text.slice(i + 1, close)), end: close + 1 };
}

class RegexPattern implements FilterPattern {
  readonly source: string;
  readonly required: readonly string[];
  readonly #re: RegExp;

  constructor(source: string, regex: CompiledRegex) {
    this.source = source;
    this.#re = regex.re;
    this.required = regex.literal === '' ? [] : [regex.literal];
  }

  matches(message: string): boolean {
    return this.#re.test(message);
  }

  value(): undefined {
    return undefined;
  }
}

/** A standalone `%regex%` pattern; `text` is the trimmed pattern, '%' at both ends. */
export function compileRegexPattern(source: string, text: string): FilterPattern {
  const body = text.slice(1, -1);
  if (body.includes('%')) throw invalidCharacters('%');
  return new RegexPattern(source, compileRegex(body));
}
