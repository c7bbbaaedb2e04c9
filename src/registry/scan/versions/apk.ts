import { compareDigits, type Comparator } from './comparator.js';

// apk-tools' tokenizer (src/version.c, 3.x):
//   digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}
// Tokens compare pairwise while their kinds agree. At the first disagreement
// a pre-release suffix (_alpha _beta _pre _rc) is older; otherwise the side
// whose token comes later in that grammar is older, the end counting last:
// 1.0 < 1.0-r0 < 1.0_p1 < 1.0.1. One leniency kept from 2.x:
// digits right after the letter (`3.3.3p1`) are a digit token, not invalid,
// because two invalid versions compare equal and would hide a fix.

const enum T {
  InitialDigit,
  Digit,
  Letter,
  Suffix,
  SuffixNo,
  CommitHash,
  RevisionNo,
  End,
  Invalid,
}

const SUFFIXES = ['alpha', 'beta', 'pre', 'rc', '', 'cvs', 'svn', 'git', 'hg', 'p'];
const SUFFIX_NONE = 4;

interface Token {
  kind: T;
  value: string;
  suffix: number;
}

function* tokens(v: string): Generator<Token> {
  let i = 0;
  const take = (re: RegExp): string => {
    re.lastIndex = i;
    const m = re.exec(v);
    const s = m && m.index === i ? m[0] : '';
    i += s.length;
    return s;
  };
  let kind = T.InitialDigit;
  let value = take(/\d+/y);
  if (value === '') kind = T.Invalid;
  for (;;) {
    let suffix = SUFFIX_NONE;
    if (kind === T.Suffix) suffix = SUFFIXES.indexOf(value);
    yield { kind, value, suffix };
    if (kind === T.End || kind === T.Invalid) return;
    if (i >= v.length) {
      kind = T.End;
      value = '';
      continue;
    }
    const c = v[i]!;
    const prev = kind;
    kind = T.Invalid;
    value = '';
    if (c >= 'a' && c <= 'z') {
      if (prev <= T.Digit) {
        kind = T.Letter;
        value = c;
        i++;
      }
    } else if (c === '.') {
      if (prev <= T.Digit) {
        i++;
        value = take(/\d+/y);
        if (value !== '') kind = T.Digit;
      }
    } else if (c >= '0' && c <= '9') {
      // Only reachable after a letter or a suffix: digit runs are read whole.
      value = take(/\d+/y);
      if (prev === T.Letter) kind = T.Digit;
      else if (prev === T.Suffix) kind = T.SuffixNo;
    } else if (c === '_') {
      if (prev <= T.SuffixNo) {
        i++;
        value = take(/[a-z]+/y);
        if (value !== '' && SUFFIXES.indexOf(value) >= 0) kind = T.Suffix;
      }
    } else if (c === '~') {
      if (prev < T.CommitHash) {
        i++;
        value = take(/[0-9a-fA-F]+/y);
        if (value !== '') kind = T.CommitHash;
      }
    } else if (c === '-') {
      if (prev < T.RevisionNo && v[i + 1] === 'r') {
        i += 2;
        value = take(/\d+/y);
        if (value !== '') kind = T.RevisionNo;
      }
    }
  }
}

function stringSort(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function tokenCompare(a: Token, b: Token): number {
  switch (a.kind) {
    case T.Digit:
      // Gentoo's rule: a component with a leading zero is a decimal fraction.
      if (a.value[0] === '0' || b.value[0] === '0') return stringSort(a.value, b.value);
      return compareDigits(a.value, b.value);
    case T.InitialDigit:
    case T.SuffixNo:
    case T.RevisionNo:
      return compareDigits(a.value, b.value);
    case T.Suffix:
      return a.suffix - b.suffix;
    default:
      return stringSort(a.value, b.value);
  }
}

function compare(a: string, b: string): number {
  const ia = tokens(a);
  const ib = tokens(b);
  for (;;) {
    const ta = ia.next().value as Token;
    const tb = ib.next().value as Token;
    if (ta.kind !== tb.kind || ta.kind >= T.End) {
      if (ta.kind === tb.kind) return 0;
      if (ta.kind === T.Suffix && ta.suffix < SUFFIX_NONE) return -1;
      if (tb.kind === T.Suffix && tb.suffix < SUFFIX_NONE) return 1;
      return ta.kind > tb.kind ? -1 : 1;
    }
    const r = tokenCompare(ta, tb);
    if (r !== 0) return r < 0 ? -1 : 1;
  }
}

function valid(v: string): boolean {
  for (const t of tokens(v)) if (t.kind === T.Invalid) return false;
  return true;
}

export const apk: Comparator = { compare, valid };
